package bridge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

// Listen opens the bridge listener. network is "unix" or "tcp", as
// config.Bridge.Endpoint returns them.
//
// A unix socket is created with mode 0600 so that only the sidecar's user can
// connect. A stale socket file left by a crashed sidecar is replaced; a socket
// another process still serves is not.
func Listen(network, address string) (net.Listener, error) {
	if network != "unix" {
		l, err := net.Listen(network, address)
		if err != nil {
			return nil, fmt.Errorf("bridge: cannot listen on %s: %w", address, err)
		}
		return l, nil
	}
	if err := removeStale(address); err != nil {
		return nil, err
	}
	// The umask makes the socket 0600 from birth: a chmod afterwards leaves
	// a window in which anyone could connect.
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", address)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("bridge: cannot listen on unix socket %s: %w", address, err)
	}
	return l, nil
}

func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bridge: cannot inspect %s: %w", path, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("bridge: %s exists and is not a socket; remove it or choose another --bridge-listen", path)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return fmt.Errorf("bridge: another process is serving %s; stop it or choose another --bridge-listen", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("bridge: cannot remove stale socket %s: %w", path, err)
	}
	return nil
}

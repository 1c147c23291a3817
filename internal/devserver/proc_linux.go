package devserver

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// sysProcAttr puts the server in its own process group, so Stop signals
// everything it spawned, and asks the kernel to SIGKILL it when the test
// binary dies (panic, -timeout, kill -9) instead of leaking a server.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func signalGroup(p *os.Process, sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}

// terminatedBy reports whether err says the process died of sig, which is
// a clean stop if it arrived before the CLI installed its handler.
func terminatedBy(err error, sig syscall.Signal) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

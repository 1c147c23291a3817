// Package devserver runs a real Temporal CLI dev server ("temporal server
// start-dev") for integration tests, so tests exercise the real frontend,
// matching and history services instead of a fake.
//
// A test package normally starts one server for all of its tests:
//
//	func TestMain(m *testing.M) { devserver.Main(m, devserver.Options{}) }
//
//	func TestSomething(t *testing.T) {
//		srv := devserver.Shared(t)
//		tq := devserver.TaskQueue(t)
//		// dial srv.Address(), use srv.Namespace() and tq ...
//	}
package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

// Install is the command that installs the CLI version this package is
// tested against (it carries Temporal server 1.29.1).
const Install = "go install github.com/temporalio/cli/cmd/temporal@v1.5.1"

// ErrNotFound is returned by Start when the temporal CLI cannot be found.
var ErrNotFound = errors.New("temporal CLI not found")

const (
	host         = "127.0.0.1"
	startTimeout = 2 * time.Minute  // upper bound even if ctx has none
	stopTimeout  = 10 * time.Second // SIGTERM grace before SIGKILL
	pollInterval = 50 * time.Millisecond
	startRetries = 3 // for the rare port stolen between pick and bind
)

// errPortInUse marks a start that failed because a port we picked was taken
// in the meantime; Start retries those with fresh ports.
var errPortInUse = errors.New("port already in use")

// Options configure a dev server. The zero value starts a server with only
// the "default" namespace.
type Options struct {
	// Binary is the path of the temporal CLI. If empty, Start looks at
	// $TEMPORAL_CLI, then "temporal" on $PATH, then $GOBIN, $GOPATH/bin
	// and ~/go/bin.
	Binary string

	// Namespaces are created at launch in addition to "default".
	Namespaces []string

	// DynamicConfig maps dynamic config keys to JSON values, for example
	// "system.enableActivityEagerExecution": "true". String values must be
	// quoted JSON: `"text"`.
	DynamicConfig map[string]string

	// Args are appended verbatim to the start-dev command line, for flags
	// without a field here, e.g. "--search-attribute", "Color=Keyword".
	Args []string

	// Port, if set, is the frontend's port, so that a server restarted on
	// the same database keeps its address; otherwise a free one is picked.
	Port int

	// Output, if set, receives the server's stdout and stderr as they are
	// written (os.Stderr is handy when debugging). The tail is always kept
	// for error messages regardless.
	Output io.Writer
}

// A Server is a running dev server process. Stop it when done.
type Server struct {
	addr string
	cmd  *exec.Cmd
	out  *tail

	done    chan struct{} // closed once the process is reaped
	waitErr error         // from cmd.Wait; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start starts a dev server on free loopback ports and returns once it
// answers GetSystemInfo and can describe every namespace, or when ctx (capped
// at two minutes) is done. Each server gets its own ports, so parallel test
// packages never collide.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin, err := findBinary(opts.Binary)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for i := 1; ; i++ {
		s, err := start(ctx, bin, opts)
		if err == nil || !errors.Is(err, errPortInUse) || i == startRetries {
			return s, err
		}
	}
}

// Address returns the host:port of the frontend gRPC service.
func (s *Server) Address() string { return s.addr }

// Namespace returns the namespace that always exists, "default".
func (s *Server) Namespace() string { return "default" }

// Stop stops the server: SIGTERM to its process group, then SIGKILL if it
// has not exited within 10s. It waits for the process to be reaped. Calling
// Stop again returns the first result. Stop reports an error if the server
// had already exited on its own, since that means it crashed under the tests.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	select {
	case <-s.done:
		return fmt.Errorf("devserver: temporal exited before Stop (%v)%s", s.waitErr, s.out.excerpt())
	default:
	}
	if err := signalGroup(s.cmd.Process, syscall.SIGTERM); err == nil {
		t := time.NewTimer(stopTimeout)
		defer t.Stop()
		select {
		case <-s.done:
			if s.waitErr == nil || terminatedBy(s.waitErr, syscall.SIGTERM) {
				return nil
			}
			return fmt.Errorf("devserver: temporal exited uncleanly on SIGTERM (%v)%s", s.waitErr, s.out.excerpt())
		case <-t.C:
		}
	}
	_ = signalGroup(s.cmd.Process, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		return fmt.Errorf("devserver: temporal (pid %d) survived SIGKILL for %v", s.cmd.Process.Pid, stopTimeout)
	}
	return fmt.Errorf("devserver: temporal did not exit within %v of SIGTERM and was killed%s", stopTimeout, s.out.excerpt())
}

func start(ctx context.Context, bin string, opts Options) (*Server, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	if opts.Port != 0 {
		ports[0] = opts.Port
	}
	addr := net.JoinHostPort(host, strconv.Itoa(ports[0]))
	args := []string{
		"server", "start-dev",
		"--headless", // no UI, so no UI port (it would default to --port+1000)
		"--ip", host,
		"--port", strconv.Itoa(ports[0]),
		"--http-port", strconv.Itoa(ports[1]),
		"--metrics-port", strconv.Itoa(ports[2]),
		"--log-level", "warn",
		// Ignore the developer's ~/.config/temporalio and TEMPORAL_* vars.
		"--disable-config-file", "--disable-config-env",
	}
	for _, ns := range opts.Namespaces {
		args = append(args, "--namespace", ns)
	}
	for _, k := range slices.Sorted(maps.Keys(opts.DynamicConfig)) {
		args = append(args, "--dynamic-config-value", k+"="+opts.DynamicConfig[k])
	}
	args = append(args, opts.Args...)

	s := &Server{addr: addr, out: new(tail), done: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	var w io.Writer = s.out
	if opts.Output != nil {
		w = io.MultiWriter(s.out, opts.Output)
	}
	s.cmd.Stdout, s.cmd.Stderr = w, w
	s.cmd.SysProcAttr = sysProcAttr()
	s.cmd.WaitDelay = time.Second // don't hang on pipes held by strays

	started := make(chan error)
	go func() {
		// On Linux the server gets Pdeathsig, which fires when the thread
		// that forked it exits, not the process. Keep this thread locked
		// until the child is reaped so it can't be killed prematurely.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("devserver: starting %s: %w", bin, err)
	}
	if err := s.waitReady(ctx, append([]string{s.Namespace()}, opts.Namespaces...)); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls until the frontend answers GetSystemInfo and describes
// every namespace, the process exits, or ctx is done.
func (s *Server) waitReady(ctx context.Context, namespaces []string) error {
	conn, err := grpc.NewClient(s.addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// The default reconnect backoff grows to minutes; we want to
		// notice the listener within a poll interval or so.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: pollInterval, Multiplier: 1.5, MaxDelay: 500 * time.Millisecond},
			MinConnectTimeout: time.Second,
		}))
	if err != nil {
		return fmt.Errorf("devserver: dialing %s: %w", s.addr, err)
	}
	defer conn.Close()
	c := workflowservice.NewWorkflowServiceClient(conn)

	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		err := ready(ctx, c, namespaces)
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			if s.out.contains("address already in use") {
				return fmt.Errorf("devserver: %w%s", errPortInUse, s.out.excerpt())
			}
			return fmt.Errorf("devserver: temporal exited before it was ready (%v)%s", s.waitErr, s.out.excerpt())
		case <-ctx.Done():
			return fmt.Errorf("devserver: server at %s not ready: %w; last error: %v%s", s.addr, ctx.Err(), err, s.out.excerpt())
		case <-tick.C:
		}
	}
}

func ready(ctx context.Context, c workflowservice.WorkflowServiceClient, namespaces []string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := c.GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{}); err != nil {
		return err
	}
	for _, ns := range namespaces {
		if _, err := c.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err != nil {
			return fmt.Errorf("namespace %q: %w", ns, err)
		}
	}
	return nil
}

// findBinary resolves the CLI path; see Options.Binary for the search order.
// An explicit path (Binary or $TEMPORAL_CLI) that does not exist is an error
// rather than a reason to fall back, so a typo doesn't silently pick another
// version.
func findBinary(explicit string) (string, error) {
	notFound := func(where string) error {
		return fmt.Errorf("devserver: %w (%s); install it with:\n\t%s\nor set TEMPORAL_CLI to its path", ErrNotFound, where, Install)
	}
	for _, p := range []struct{ path, source string }{
		{explicit, "Options.Binary"},
		{os.Getenv("TEMPORAL_CLI"), "$TEMPORAL_CLI"},
	} {
		if p.path == "" {
			continue
		}
		if !isExec(p.path) {
			return "", notFound(fmt.Sprintf("%s=%s is not an executable file", p.source, p.path))
		}
		return p.path, nil
	}
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(gp)[0], "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	var tried []string
	for _, d := range dirs {
		p := filepath.Join(d, "temporal")
		if isExec(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", notFound("not on $PATH, nor at " + strings.Join(tried, ", "))
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && (runtime.GOOS == "windows" || fi.Mode()&0o111 != 0)
}

// freePorts returns n distinct loopback ports that the kernel will not hand
// out to other bind(":0") callers (other test packages, the server's own
// internal services) for about a minute: each port is left in TIME_WAIT by
// closing an accepted connection from the server side, yet it can still be
// bound explicitly with SO_REUSEADDR, which Go servers set. This is the trick
// the CLI itself uses for the ports it picks.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", host+":0")
		if err != nil {
			return nil, fmt.Errorf("devserver: picking a free port: %w", err)
		}
		defer l.Close() // hold every port until all are picked, so they differ
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			return nil, fmt.Errorf("devserver: picking a free port: %w", err)
		}
		sc, err := l.Accept()
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("devserver: picking a free port: %w", err)
		}
		sc.Close() // server side first: it is the side that enters TIME_WAIT
		c.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tail keeps the last few KiB of the server's output for error messages;
// the dev server logs at warn level, which stays small, but a crash dumps
// goroutines and we only want the end.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 8 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
	return len(p), nil
}

func (t *tail) contains(s string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Contains(t.buf, []byte(s))
}

// excerpt returns the output tail formatted to end an error message.
func (t *tail) excerpt() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := bytes.TrimSpace(t.buf)
	if len(b) == 0 {
		return "; no output"
	}
	return "; output tail:\n" + string(b)
}

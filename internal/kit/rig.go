package kit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

// proc is a child process in its own process group, its output in a file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	mu   sync.Mutex
	code int
}

func startProc(name, log string, env []string, argv ...string) (*proc, error) {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, cmd: exec.Command(argv[0], argv[1:]...), log: log, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", name, argv[0], err)
	}
	go func() {
		_ = p.cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.code = p.cmd.ProcessState.ExitCode()
		p.mu.Unlock()
		close(p.done)
	}()
	return p, nil
}

// signal signals the process's whole group (an app may be a script that
// runs the real process as its child).
func (p *proc) signal(s syscall.Signal) { _ = syscall.Kill(-p.cmd.Process.Pid, s) }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits at most d for the process to exit and returns its exit code;
// ok is false if it did not exit.
func (p *proc) wait(d time.Duration) (code int, ok bool) {
	select {
	case <-p.done:
	case <-time.After(d):
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.code, true
}

// stop asks the process to stop and kills it after grace.
func (p *proc) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	p.signal(syscall.SIGTERM)
	if _, ok := p.wait(grace); !ok {
		p.signal(syscall.SIGKILL)
		<-p.done
	}
}

// tail returns the last n lines of the process's log.
func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// rig is the processes of one kit run: a dev server (or a given frontend),
// the sidecar, the proxy and the app under test.
type rig struct {
	opts      Options
	dir       string
	server    *devserver.Server
	address   string
	namespace string
	queue     string

	sidecarSock string
	appSock     string
	httpAddr    string
	sidecar     *proc
	sidecarRuns int
	proxy       *proxy
	app         *proc
	drive       *drive
}

func newRig(ctx context.Context, o Options) (*rig, error) {
	dir, err := os.MkdirTemp("", "sidecar-kit-")
	if err != nil {
		return nil, err
	}
	r := &rig{opts: o, dir: dir, address: o.Address, namespace: o.Namespace,
		queue: fmt.Sprintf("sidecar-kit-%08x", rand.Uint32())}
	if r.namespace == "" {
		r.namespace = "default"
	}
	if r.address == "" {
		s, err := devserver.Start(ctx, devserver.Options{Binary: o.TemporalCLI})
		if err != nil {
			return r, fmt.Errorf("starting a Temporal dev server: %w", err)
		}
		r.server, r.address = s, s.Address()
	}
	r.sidecarSock = filepath.Join(dir, "sidecar.sock")
	r.appSock = filepath.Join(dir, "app.sock")
	if r.httpAddr, err = freeAddr(); err != nil {
		return r, err
	}
	if err := r.startSidecar(ctx); err != nil {
		return r, err
	}
	if r.proxy, err = newProxy(r.appSock, "unix://"+r.sidecarSock); err != nil {
		return r, err
	}
	if r.drive, err = startDriver(r.address, r.namespace, r.queue); err != nil {
		return r, err
	}
	return r, nil
}

// startSidecar starts the sidecar and waits until it serves.
func (r *rig) startSidecar(ctx context.Context) error {
	r.sidecarRuns++
	args := []string{r.opts.Sidecar, "--address", r.address, "--namespace", r.namespace,
		"--task-queue", r.queue, "--bridge-listen", "unix://" + r.sidecarSock, "--http-listen", r.httpAddr,
		"--graceful-shutdown-timeout", "10s", "--task-handback-grace", "2s", "--log-level", "info", "--config-file="}
	p, err := startProc("sidecar", filepath.Join(r.dir, fmt.Sprintf("sidecar-%d.log", r.sidecarRuns)), nil, args...)
	if err != nil {
		return err
	}
	r.sidecar = p
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("the sidecar exited at start-up:\n%s", p.tail(20))
		}
		resp, err := http.Get("http://" + r.httpAddr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the sidecar did not serve /healthz within 30s:\n%s", p.tail(20))
}

// startApp launches the app under test, pointed at the proxy.
func (r *rig) startApp() error {
	bridge := "unix://" + r.appSock
	argv := make([]string, len(r.opts.Command))
	for i, a := range r.opts.Command {
		a = strings.ReplaceAll(a, "{bridge}", bridge)
		argv[i] = strings.ReplaceAll(a, "{task_queue}", r.queue)
	}
	env := []string{
		"TEMPORAL_SIDECAR=" + bridge,
		"TASK_QUEUE=" + r.queue,
		fmt.Sprintf("KIT_ACTIVITY_CAPACITY=%d", kitCapacity),
	}
	p, err := startProc("app", filepath.Join(r.dir, "app.log"), env, argv...)
	if err != nil {
		return err
	}
	r.app = p
	return nil
}

func (r *rig) close() {
	if r.app != nil {
		r.app.stop(15 * time.Second)
	}
	if r.drive != nil {
		r.drive.close()
	}
	if r.proxy != nil {
		r.proxy.close()
	}
	if r.sidecar != nil {
		r.sidecar.stop(15 * time.Second)
	}
	if r.server != nil {
		_ = r.server.Stop()
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

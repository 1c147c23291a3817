package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

// rig is the processes of the suite: one dev server for every case, and
// per case a sidecar and its apps.
type rig struct {
	dir    string
	port   int // the server's frontend port, kept across restarts
	server *devserver.Server

	sidecar *proc
	args    []string // the sidecar's command line, for restarts
	sock    string
	http    string
	apps    []*app
	queue   string
}

func newRig(ctx context.Context, dir string) (*rig, error) {
	r := &rig{dir: dir}
	return r, r.startServer(ctx)
}

func (r *rig) close() {
	r.stopCase()
	if r.server != nil {
		_ = r.server.Stop()
	}
}

func (r *rig) address() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// proc is a child process whose output goes to a log file.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func start(log string, name string, args ...string) (*proc, error) {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	p := &proc{cmd: exec.Command(name, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	go func() { p.err = p.cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

func (p *proc) signal(s syscall.Signal) { _ = p.cmd.Process.Signal(s) }

// wait waits for the process to exit, at most d, and returns its exit code
// (-1 if it did not exit, or died by a signal).
func (p *proc) wait(d time.Duration) int {
	select {
	case <-p.done:
	case <-time.After(d):
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *proc) kill() {
	p.signal(syscall.SIGKILL)
	<-p.done
}

// app is a supervised Python app: restarted when it exits, as a pod's
// container would be, until stopped.
type app struct {
	r        *rig
	n        int
	mu       sync.Mutex
	p        *proc
	stopped  bool
	restarts int
	ended    chan struct{}
}

func (r *rig) startApp() *app {
	a := &app{r: r, n: len(r.apps), ended: make(chan struct{})}
	r.apps = append(r.apps, a)
	go a.supervise()
	return a
}

func (a *app) supervise() {
	defer close(a.ended)
	for {
		a.mu.Lock()
		if a.stopped {
			a.mu.Unlock()
			return
		}
		p, err := start(filepath.Join(a.r.dir, fmt.Sprintf("%s-app%d.log", a.r.queue, a.n)), *python, "chaos/app.py",
			"--bridge", "unix://"+a.r.sock, "--task-queue", a.r.queue)
		if err != nil {
			a.mu.Unlock()
			fmt.Fprintln(os.Stderr, "chaos: cannot start app:", err)
			return
		}
		a.p = p
		a.mu.Unlock()
		<-p.done
		a.mu.Lock()
		a.restarts++
		a.mu.Unlock()
		time.Sleep(200 * time.Millisecond) // a restart delay, as a supervisor has
	}
}

func (a *app) current() *proc {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.p
}

func (a *app) stop() {
	a.mu.Lock()
	a.stopped = true
	p := a.p
	a.mu.Unlock()
	if p != nil {
		p.signal(syscall.SIGCONT)
		p.signal(syscall.SIGTERM)
		if p.wait(10*time.Second) == -1 {
			p.kill()
		}
	}
	<-a.ended
}

// startSidecar starts the case's sidecar and waits until it serves.
func (r *rig) startSidecar(extra ...string) error {
	if r.args == nil {
		r.sock = filepath.Join(r.dir, r.queue+".sock")
		r.http = freeAddr()
		r.args = append([]string{"--address", r.address(), "--task-queue", r.queue, "--bridge-listen", "unix:" + r.sock,
			"--http-listen", r.http, "--log-level", "info", "--task-handback-grace", "2s"}, extra...)
	}
	p, err := start(filepath.Join(r.dir, r.queue+"-sidecar.log"), *sidecarBin, r.args...)
	if err != nil {
		return err
	}
	r.sidecar = p
	return waitFor(30*time.Second, "the sidecar serving", func() bool {
		resp, err := http.Get("http://" + r.http + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
}

// stopCase ends the case's apps and sidecar.
func (r *rig) stopCase() {
	for _, a := range r.apps {
		a.stop()
	}
	r.apps = nil
	if r.sidecar != nil {
		r.sidecar.signal(syscall.SIGTERM)
		if r.sidecar.wait(40*time.Second) == -1 {
			r.sidecar.kill()
		}
		r.sidecar = nil
	}
	r.args = nil
}

// metric reads one unlabelled sample of the sidecar's /metrics.
func (r *rig) metric(name string) float64 {
	resp, err := http.Get("http://" + r.http + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

// rss is the resident set of the running sidecar, from /proc.
func (r *rig) rss() int64 {
	if r.sidecar == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.sidecar.cmd.Process.Pid))
	if err != nil {
		return int64(r.metric("process_resident_memory_bytes"))
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// sampler records the sidecar's peak RSS until stopped.
type sampler struct {
	stop chan struct{}
	done chan struct{}
	peak int64
}

func (r *rig) sample() *sampler {
	s := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			s.peak = max(s.peak, r.rss())
			select {
			case <-s.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	return s
}

func (s *sampler) end() int64 { close(s.stop); <-s.done; return s.peak }

// client runs client.py and decodes its JSON line into v. Its commands are
// idempotent, so one that crashed (temporalio's runtime once segfaulted
// here) is run again, once.
func (r *rig) client(v any, args ...string) error {
	var outb []byte
	var err error
	for range 2 {
		cmd := exec.Command(*python, append([]string{"chaos/client.py"}, args...)...)
		cmd.Stderr = os.Stderr
		if outb, err = cmd.Output(); err == nil {
			break
		}
		fmt.Fprintf(os.Stderr, "chaos: client.py %s: %v\n", args[0], err)
	}
	if err != nil {
		return fmt.Errorf("client.py %s: %w", strings.Join(args, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	return decode(lines[len(lines)-1], v)
}

// startWorkflows starts workflows prefix-first ... prefix-(first+count-1).
func (r *rig) startWorkflows(prefix string, first, count, steps, stepMS int) error {
	var started struct{ Started int }
	return r.client(&started, "start", "--address", r.address(), "--task-queue", r.queue, "--prefix", prefix,
		"--first", strconv.Itoa(first), "--count", strconv.Itoa(count), "--steps", strconv.Itoa(steps), "--step-ms", strconv.Itoa(stepMS))
}

func (r *rig) check(prefix string, count int, timeout time.Duration) (counts, error) {
	var c counts
	err := r.client(&c, "check", "--address", r.address(), "--prefix", prefix, "--count", strconv.Itoa(count),
		"--timeout", strconv.Itoa(int(timeout.Seconds())))
	return c, err
}

func waitFor(d time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

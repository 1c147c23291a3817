// Command demo runs the whole path on one machine: a Temporal dev server, the
// sidecar, and apps that run workflows and activities through it:
//
//  1. examples/python/greeter_app.py, written on the generated bridge stubs
//     alone (what any language needs), started through the client API by
//     examples/python/start_greeting.py;
//  2. clients/python/examples/hello, Temporal's Python hello example ported to
//     the Python client (only its imports and Worker constructor change);
//  3. examples/temporalio, plain temporalio apps (an activity; signals, a
//     query and an update) run unmodified through the temporalio adapter
//     (python -m temporal_sidecar.sdk run), each on its own task queue;
//  4. the polyglot pod: examples/polyglot/python_app.py (temporalio, through
//     the Python adapter) and clients/typescript/src/examples/polyglot
//     (@temporalio/worker, through the TypeScript adapter) on one task queue:
//     a Python workflow calls a TypeScript activity and a TypeScript workflow
//     a Python activity, each task routed by its type.
//
// The sidecar is started without --task-queue: it serves every queue its
// apps register. Its bridge listens on loopback TCP (a free port), with the
// WorkflowService proxy: sdk-core's client, which the TypeScript SDK's
// connections use, dials no unix socket.
//
//	make demo
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

const taskQueue = "greetings"

func main() {
	log.SetFlags(0)
	log.SetPrefix("demo: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	log.Print("starting Temporal dev server")
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		return err
	}
	defer srv.Stop()
	log.Printf("dev server at %s", srv.Address())

	// Port 0: the sidecar picks a free port and names it in its "sidecar ready" line.
	sidecarOut := newWatched("sidecar")
	sidecar := exec.Command("bin/sidecar", "--address", srv.Address(), "--workflow-service-proxy",
		"--bridge-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--graceful-shutdown-timeout", "5s")
	sidecar.Stdout, sidecar.Stderr = sidecarOut, sidecarOut
	if err := sidecar.Start(); err != nil {
		return fmt.Errorf("start sidecar (run `make build` first): %w", err)
	}
	defer sidecar.Process.Kill()
	sidecarDone := exited(sidecar)
	ready, err := sidecarOut.waitFor(ctx, sidecarDone, "sidecar ready")
	if err != nil {
		return fmt.Errorf("sidecar: %w", err)
	}
	bridge := field(ready, "bridge")
	if bridge == "" {
		return fmt.Errorf("no bridge address in the sidecar's line %q", ready)
	}
	if err := waitServing(ctx, bridge); err != nil {
		return err
	}
	log.Printf("sidecar bridge at %s (loopback TCP, with the WorkflowService proxy)", bridge)

	app := exec.Command(".venv/bin/python", "examples/python/greeter_app.py", bridge, taskQueue)
	app.Stdout, app.Stderr = prefixed("python-app"), prefixed("python-app")
	if err := app.Start(); err != nil {
		return fmt.Errorf("start Python app (run `make tools` first): %w", err)
	}
	defer app.Process.Kill()

	starter := exec.CommandContext(ctx, ".venv/bin/python", "examples/python/start_greeting.py", bridge, "Temporal", taskQueue)
	starter.Stdout, starter.Stderr = prefixed("client"), prefixed("client")
	if err := starter.Run(); err != nil {
		return fmt.Errorf("the workflow did not complete: %w", err)
	}

	log.Print("running the hello example on the Python client")
	hello := exec.CommandContext(ctx, ".venv/bin/python", "clients/python/examples/hello/run_demo.py",
		"--sidecar", bridge, "--task-queue", taskQueue)
	hello.Stdout, hello.Stderr = prefixed("hello"), prefixed("hello")
	if err := hello.Run(); err != nil {
		return fmt.Errorf("the hello example did not complete: %w", err)
	}

	for _, sample := range []string{"hello_activity.py", "hello_signal_update.py"} {
		log.Printf("running the temporalio app examples/temporalio/%s unmodified, through the adapter", sample)
		app := exec.CommandContext(ctx, ".venv/bin/python", "-m", "temporal_sidecar.sdk", "run", "examples/temporalio/"+sample)
		app.Env = append(os.Environ(), "TEMPORAL_SIDECAR_ADDRESS="+bridge)
		app.Stdout, app.Stderr = prefixed("temporalio"), prefixed("temporalio")
		if err := app.Run(); err != nil {
			return fmt.Errorf("the temporalio app %s did not complete: %w", sample, err)
		}
	}

	if err := polyglot(ctx, bridge, sidecarDone); err != nil {
		return err
	}

	log.Print("sending SIGTERM to the sidecar")
	if err := sidecar.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := sidecarDone.wait(ctx); err != nil {
		return fmt.Errorf("sidecar did not exit cleanly: %w", err)
	}
	if err := app.Wait(); err != nil {
		return fmt.Errorf("Python app did not exit cleanly: %w", err)
	}
	log.Print("sidecar and app exited cleanly")
	return nil
}

// polyglot runs the polyglot pod on the sidecar at bridge: the temporalio app
// examples/polyglot/python_app.py (through the Python adapter) and the
// @temporalio/worker app clients/typescript/src/examples/polyglot (through
// the TypeScript adapter) on one task queue. Once the Python app has
// registered, the TypeScript app runs a Python workflow that calls its
// TypeScript activity and a TypeScript workflow that calls the Python
// activity, prints both results and exits; the Python app then gets SIGTERM
// and must exit 0.
func polyglot(ctx context.Context, bridge string, sidecar *procExit) error {
	const queue = "polyglot"
	const tsApp = "clients/typescript/dist/examples/polyglot/worker.js"
	if _, err := os.Stat(tsApp); err != nil {
		return fmt.Errorf("the TypeScript app is not built (make ts-build): %w", err)
	}
	log.Printf("polyglot pod on task queue %q: a temporalio app and a @temporalio/worker app, one sidecar", queue)
	env := append(os.Environ(), "TEMPORAL_SIDECAR_ADDRESS="+bridge)
	pyOut := newWatched("polyglot-py")
	py := exec.Command(".venv/bin/python", "-m", "temporal_sidecar.sdk", "run", "examples/polyglot/python_app.py", queue)
	py.Env, py.Stdout, py.Stderr = env, pyOut, pyOut
	if err := py.Start(); err != nil {
		return fmt.Errorf("start the Python polyglot app: %w", err)
	}
	defer py.Process.Kill()
	pyDone := exited(py)
	// The adapter logs this line once the sidecar has accepted its registration.
	if _, err := pyOut.waitFor(ctx, pyDone, "on sidecar"); err != nil {
		return fmt.Errorf("the Python polyglot app did not register: %w", err)
	}
	select {
	case <-sidecar.done:
		return fmt.Errorf("the sidecar exited: %v", sidecar.err)
	default:
	}
	ts := exec.CommandContext(ctx, "node", tsApp, queue)
	tsOut := newWatched("polyglot-ts")
	ts.Env, ts.Stdout, ts.Stderr = env, tsOut, tsOut
	if err := ts.Run(); err != nil {
		return fmt.Errorf("the TypeScript polyglot app failed: %w", err)
	}
	for _, want := range []string{
		"Hello, Ada, from TypeScript! (via a Python workflow)",
		"GRACE (from Python) (via a TypeScript workflow)",
	} {
		if !tsOut.saw(want) {
			return fmt.Errorf("the TypeScript polyglot app did not print %q", want)
		}
	}
	if err := py.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := pyDone.wait(ctx); err != nil {
		return fmt.Errorf("the Python polyglot app did not exit cleanly: %w", err)
	}
	log.Print("polyglot pod: both workflows completed across languages; both apps exited cleanly")
	return nil
}

// procExit is a started command's exit: done closes when it has exited,
// and err is then Wait's result.
type procExit struct {
	done chan struct{}
	err  error
}

func exited(cmd *exec.Cmd) *procExit {
	e := &procExit{done: make(chan struct{})}
	go func() {
		e.err = cmd.Wait()
		close(e.done)
	}()
	return e
}

// wait waits for the exit until ctx ends.
func (e *procExit) wait(ctx context.Context) error {
	select {
	case <-e.done:
		return e.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// field reads key=value (slog's text format, value possibly quoted) from a log line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// waitServing waits until the bridge's health service says SERVING.
func waitServing(ctx context.Context, target string) error {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sidecar bridge never served: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// prefixed writes each line of a child's output with its name in front.
func prefixed(name string) io.Writer { return newWatched(name) }

// watched is a child's output: each line is printed with the child's name in
// front and kept, so that the demo can wait for a line.
type watched struct {
	name    string
	mu      sync.Mutex
	partial []byte
	lines   []string
	changed chan struct{} // closed and replaced when a line arrives
}

func newWatched(name string) *watched { return &watched{name: name, changed: make(chan struct{})} }

func (w *watched) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, b...)
	added := false
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := string(w.partial[:i])
		w.partial = w.partial[i+1:]
		fmt.Printf("%-11s | %s\n", w.name, line)
		w.lines = append(w.lines, line)
		added = true
	}
	if added {
		close(w.changed)
		w.changed = make(chan struct{})
	}
	return len(b), nil
}

// find returns the first line containing text, and a channel closed at the next line.
func (w *watched) find(text string) (string, bool, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.lines {
		if strings.Contains(l, text) {
			return l, true, nil
		}
	}
	return "", false, w.changed
}

func (w *watched) saw(text string) bool {
	_, ok, _ := w.find(text)
	return ok
}

// waitFor waits for a line containing text; it fails if the child exits
// first or ctx ends.
func (w *watched) waitFor(ctx context.Context, child *procExit, text string) (string, error) {
	for {
		line, ok, changed := w.find(text)
		if ok {
			return line, nil
		}
		select {
		case <-changed:
		case <-child.done:
			if line, ok, _ := w.find(text); ok {
				return line, nil
			}
			return "", fmt.Errorf("%s exited (%v) before saying %q", w.name, child.err, text)
		case <-ctx.Done():
			return "", fmt.Errorf("%s never said %q: %w", w.name, text, ctx.Err())
		}
	}
}

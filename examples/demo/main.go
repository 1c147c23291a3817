// Command demo runs the whole path on one machine: a Temporal dev server, the
// sidecar, and two Python apps that run workflows and activities through it:
//
//  1. examples/python/greeter_app.py, written on the generated bridge stubs
//     alone (what any language needs), started through the client API by
//     examples/python/start_greeting.py;
//  2. clients/python/examples/hello, Temporal's Python hello example ported to
//     the Python client (only its imports and Worker constructor change);
//  3. examples/temporalio, plain temporalio apps (an activity; signals, a
//     query and an update) run unmodified through the temporalio adapter
//     (python -m temporal_sidecar.sdk run), each on its own task queue.
//
// The sidecar is started without --task-queue: it serves every queue its
// apps register.
//
//	make demo
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

	dir, err := os.MkdirTemp("", "sidecar-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "bridge.sock")

	sidecar := exec.Command("bin/sidecar", "--address", srv.Address(), "--workflow-service-proxy",
		"--bridge-listen", "unix:"+sock, "--http-listen", "127.0.0.1:0", "--graceful-shutdown-timeout", "5s")
	sidecar.Stdout, sidecar.Stderr = prefixed("sidecar"), prefixed("sidecar")
	if err := sidecar.Start(); err != nil {
		return fmt.Errorf("start sidecar (run `make build` first): %w", err)
	}
	defer sidecar.Process.Kill()
	if err := waitServing(ctx, "unix://"+sock); err != nil {
		return err
	}

	app := exec.Command(".venv/bin/python", "examples/python/greeter_app.py", "unix://"+sock, taskQueue)
	app.Stdout, app.Stderr = prefixed("python-app"), prefixed("python-app")
	if err := app.Start(); err != nil {
		return fmt.Errorf("start Python app (run `make tools` first): %w", err)
	}
	defer app.Process.Kill()

	starter := exec.CommandContext(ctx, ".venv/bin/python", "examples/python/start_greeting.py", "unix://"+sock, "Temporal", taskQueue)
	starter.Stdout, starter.Stderr = prefixed("client"), prefixed("client")
	if err := starter.Run(); err != nil {
		return fmt.Errorf("the workflow did not complete: %w", err)
	}

	log.Print("running the hello example on the Python client")
	hello := exec.CommandContext(ctx, ".venv/bin/python", "clients/python/examples/hello/run_demo.py",
		"--sidecar", "unix://"+sock, "--task-queue", taskQueue)
	hello.Stdout, hello.Stderr = prefixed("hello"), prefixed("hello")
	if err := hello.Run(); err != nil {
		return fmt.Errorf("the hello example did not complete: %w", err)
	}

	for _, sample := range []string{"hello_activity.py", "hello_signal_update.py"} {
		log.Printf("running the temporalio app examples/temporalio/%s unmodified, through the adapter", sample)
		app := exec.CommandContext(ctx, ".venv/bin/python", "-m", "temporal_sidecar.sdk", "run", "examples/temporalio/"+sample)
		app.Env = append(os.Environ(), "TEMPORAL_SIDECAR_ADDRESS=unix://"+sock)
		app.Stdout, app.Stderr = prefixed("temporalio"), prefixed("temporalio")
		if err := app.Run(); err != nil {
			return fmt.Errorf("the temporalio app %s did not complete: %w", sample, err)
		}
	}

	log.Print("sending SIGTERM to the sidecar")
	if err := sidecar.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	if err := sidecar.Wait(); err != nil {
		return fmt.Errorf("sidecar did not exit cleanly: %w", err)
	}
	if err := app.Wait(); err != nil {
		return fmt.Errorf("Python app did not exit cleanly: %w", err)
	}
	log.Print("sidecar and app exited cleanly")
	return nil
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
func prefixed(name string) io.Writer {
	r, w := io.Pipe()
	go func() {
		buf := make([]byte, 0, 4096)
		chunk := make([]byte, 4096)
		for {
			n, err := r.Read(chunk)
			buf = append(buf, chunk[:n]...)
			for {
				i := strings.IndexByte(string(buf), '\n')
				if i < 0 {
					break
				}
				fmt.Printf("%-10s | %s\n", name, buf[:i])
				buf = buf[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	return w
}

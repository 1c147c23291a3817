// Command goworker is the native contender of the end-to-end benchmark: a
// Go SDK worker that only runs activities, registering "Echo", which returns
// its input. It is a separate process so the benchmark measures its CPU and
// memory the same way as the sidecar's.
//
// It prints "ready" on stdout once the worker has started and stops on
// SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/temporal-sidecar/sidecar/bench/internal/timeline"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

func main() {
	address := flag.String("address", "127.0.0.1:7233", "Temporal frontend")
	namespace := flag.String("namespace", "default", "namespace")
	taskQueue := flag.String("task-queue", "", "task queue")
	capacity := flag.Int("capacity", 100, "MaxConcurrentActivityExecutionSize")
	pollers := flag.Int("pollers", 2, "MaxConcurrentActivityTaskPollers (the SDK default is 2)")
	timelinePath := flag.String("timeline", "", "write the time of every completion to this file at exit")
	cpuProfile := flag.String("cpuprofile", "", "write a Go CPU profile to this file")
	flag.Parse()
	if err := run(*address, *namespace, *taskQueue, *capacity, *pollers, *timelinePath, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "goworker:", err)
		os.Exit(1)
	}
}

func run(address, namespace, taskQueue string, capacity, pollers int, timelinePath, cpuProfile string) error {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace, Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()

	var rec timeline.Recorder
	echo := func(ctx context.Context, s string) (string, error) {
		rec.Mark()
		return s, nil
	}
	w := worker.New(c, taskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize: capacity,
		MaxConcurrentActivityTaskPollers:   pollers,
		// This process is the activity worker only; the benchmark driver
		// runs the workflows.
		DisableWorkflowWorker: true,
	})
	w.RegisterActivityWithOptions(echo, activity.RegisterOptions{Name: "Echo"})
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Println("ready")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
	w.Stop()
	fmt.Fprintf(os.Stderr, "goworker: answered %d activities\n", rec.Len())
	return rec.WriteFile(timelinePath)
}

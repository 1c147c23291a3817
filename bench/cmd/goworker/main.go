// Command goworker is the native contender of the end-to-end benchmark: a
// Go SDK worker running the benchmark's workflows (Chain, TimerSignal) and
// its activity (Echo, which returns its input), or with -activities-only
// just the activity, for the workload whose workflows run in the driver. It
// is a separate process so the benchmark measures its CPU and memory the
// same way as the other contenders'.
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
	"github.com/temporal-sidecar/sidecar/bench/internal/workloads"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

type options struct {
	address, namespace, taskQueue string
	capacity, pollers             int
	activitiesOnly                bool
	timeline, cpuProfile          string
}

func main() {
	var o options
	flag.StringVar(&o.address, "address", "127.0.0.1:7233", "Temporal frontend")
	flag.StringVar(&o.namespace, "namespace", "default", "namespace")
	flag.StringVar(&o.taskQueue, "task-queue", "", "task queue")
	flag.IntVar(&o.capacity, "capacity", 100, "MaxConcurrentActivityExecutionSize and MaxConcurrentWorkflowTaskExecutionSize")
	flag.IntVar(&o.pollers, "pollers", 2, "MaxConcurrentActivityTaskPollers and MaxConcurrentWorkflowTaskPollers (the SDK default is 2)")
	flag.BoolVar(&o.activitiesOnly, "activities-only", false, "run the activity only (DisableWorkflowWorker): the driver runs the workflows")
	flag.StringVar(&o.timeline, "timeline", "", "write the time of every activity completion to this file at exit")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "goworker:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: o.address, Namespace: o.namespace, Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()

	var rec timeline.Recorder
	echo := func(ctx context.Context, s string) (string, error) {
		rec.Mark()
		return s, nil
	}
	w := worker.New(c, o.taskQueue, worker.Options{
		MaxConcurrentActivityExecutionSize:     o.capacity,
		MaxConcurrentActivityTaskPollers:       o.pollers,
		MaxConcurrentWorkflowTaskExecutionSize: o.capacity,
		MaxConcurrentWorkflowTaskPollers:       o.pollers,
		DisableWorkflowWorker:                  o.activitiesOnly,
	})
	w.RegisterActivityWithOptions(echo, activity.RegisterOptions{Name: workloads.Echo})
	if !o.activitiesOnly {
		w.RegisterWorkflowWithOptions(workloads.ChainWorkflow, workflow.RegisterOptions{Name: workloads.Chain})
		w.RegisterWorkflowWithOptions(workloads.TimerSignalWorkflow, workflow.RegisterOptions{Name: workloads.TimerSignal})
	}
	if err := w.Start(); err != nil {
		return err
	}
	fmt.Println("ready")

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	<-sigs
	w.Stop()
	fmt.Fprintf(os.Stderr, "goworker: answered %d activities\n", rec.Len())
	return rec.WriteFile(o.timeline)
}

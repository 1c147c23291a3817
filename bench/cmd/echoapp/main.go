// Command echoapp is the Go bridge app of the end-to-end benchmark. It
// connects to a sidecar and serves the activity "Echo" (answers every task
// with its first input payload, untouched) and, unless -activities-only,
// the workflows "Chain" and "TimerSignal" of bench/internal/workloads, as
// scripted answers to workflow activations (workflows.go).
//
// It is a separate process so the benchmark can measure its CPU and memory
// apart from the driver's. It prints "ready" on stdout once registered, and
// exits when the sidecar shuts down, the stream ends, or on SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/internal/timeline"
	"github.com/temporal-sidecar/sidecar/bench/internal/workloads"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
)

type options struct {
	target, taskQueue    string
	capacity             uint
	workers              int
	activitiesOnly       bool
	timeline, cpuProfile string
}

func main() {
	var o options
	flag.StringVar(&o.target, "bridge", "unix:///tmp/temporal-sidecar.sock", "bridge address of the sidecar (gRPC target)")
	flag.StringVar(&o.taskQueue, "task-queue", "", "task queue the sidecar serves (checked at registration)")
	flag.UintVar(&o.capacity, "capacity", 100, "activity tasks, and workflow activations, the app offers to run at once")
	flag.IntVar(&o.workers, "workers", 4, "goroutines answering activity tasks, and as many answering workflow activations")
	flag.BoolVar(&o.activitiesOnly, "activities-only", false, "register the activity only, no workflows")
	flag.StringVar(&o.timeline, "timeline", "", "write the time of every activity completion to this file at exit")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to this file")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "echoapp:", err)
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	host, _ := os.Hostname()
	capacity := uint32(o.capacity)
	reg := &bridgev1.Register{
		ProtocolVersion: 1,
		Identity:        fmt.Sprintf("%d@%s", os.Getpid(), host),
		SdkName:         "bench-echoapp",
		SdkVersion:      "0",
		TaskQueue:       o.taskQueue,
		Activities:      []*bridgev1.ActivityRegistration{{Name: workloads.Echo}},
		Capacity:        &bridgev1.Capacity{Activities: capacity, LocalActivities: capacity},
	}
	if !o.activitiesOnly {
		reg.Workflows = []*bridgev1.WorkflowRegistration{
			{Name: workloads.Chain},
			{Name: workloads.TimerSignal, Signals: []string{workloads.Signal}},
		}
		reg.Capacity.WorkflowActivations = capacity
	}
	app, err := bridgetest.Dial(ctx, o.target, reg)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", o.target, err)
	}
	defer app.Close()
	fmt.Println("ready")

	var rec timeline.Recorder
	stop := make(chan struct{})
	var once sync.Once
	end := func() { once.Do(func() { close(stop) }) }

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		end()
	}()
	// Everything that is neither an activity task nor an activation: the end
	// of the run is the sidecar's shutdown notice; a completion error is a
	// bug worth a line.
	go func() {
		for {
			m, err := app.Next(time.Hour)
			if err != nil {
				end()
				return
			}
			switch {
			case m.GetShutdown() != nil, m.GetDrained() != nil:
				end()
				return
			case m.GetCompletionError() != nil:
				fmt.Fprintln(os.Stderr, "echoapp: completion error:", m.GetCompletionError())
			case m.GetWorkerError() != nil:
				fmt.Fprintln(os.Stderr, "echoapp: worker error:", m.GetWorkerError())
			}
		}
	}()
	for range o.workers {
		go func() {
			for {
				t, err := app.NextActivity(time.Hour)
				if err != nil {
					end()
					return
				}
				start := t.GetStart()
				if start == nil {
					continue // a cancel: echo finishes before one could matter
				}
				var p *bridgev1.Payload
				if in := start.GetInput(); len(in) > 0 {
					p = in[0]
				}
				rec.Mark()
				if err := app.CompleteActivity(t.GetTaskToken(), bridgetest.Completed(p)); err != nil {
					end()
					return
				}
			}
		}()
	}
	wf := newWorkflows()
	if !o.activitiesOnly {
		for range o.workers {
			go func() {
				for {
					act, err := app.NextActivation(time.Hour)
					if err != nil {
						end()
						return
					}
					cmds, fail := wf.activate(act)
					if fail != nil {
						err = app.FailActivation(act.GetRunId(), fail)
					} else {
						err = app.CompleteActivation(act.GetRunId(), cmds...)
					}
					if err != nil {
						end()
						return
					}
				}
			}()
		}
	}
	<-stop
	fmt.Fprintf(os.Stderr, "echoapp: answered %d activities and %d activations (%d evictions); %d runs still cached\n",
		rec.Len(), wf.activations.Load(), wf.evictions.Load(), wf.cached())
	return rec.WriteFile(o.timeline)
}

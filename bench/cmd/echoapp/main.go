// Command echoapp is the Go bridge app of the end-to-end benchmark. It
// connects to a sidecar and serves the activity "Echo" (answers every task
// with its first input payload, untouched) and, unless -activities-only,
// the workflows "Chain" and "TimerSignal" of bench/internal/workloads, as
// scripted answers to workflow activations (workflows.go).
//
// With -task-queues it serves several queues, each on its own Connect
// stream (the bridge takes one registration per stream), the same types on
// each, so one process can stand for an app running one Worker per queue.
//
// It is a separate process so the benchmark can measure its CPU and memory
// apart from the driver's. It prints "ready" on stdout once every queue is
// registered, and exits when the sidecar shuts down, a stream ends, or on
// SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
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
	taskQueues           string
	capacity             uint
	workers              int
	activitiesOnly       bool
	timeline, cpuProfile string
}

func main() {
	var o options
	flag.StringVar(&o.target, "bridge", "unix:///tmp/temporal-sidecar.sock", "bridge address of the sidecar (gRPC target)")
	flag.StringVar(&o.taskQueue, "task-queue", "", "task queue the sidecar serves (checked at registration)")
	flag.StringVar(&o.taskQueues, "task-queues", "", "comma-separated task queues to serve, one Connect stream each, instead of -task-queue")
	flag.UintVar(&o.capacity, "capacity", 100, "activity tasks, and workflow activations, the app offers to run at once")
	flag.IntVar(&o.workers, "workers", 4, "goroutines answering activity tasks, and as many answering workflow activations, per queue")
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
	queues := []string{o.taskQueue}
	if o.taskQueues != "" {
		queues = strings.Split(o.taskQueues, ",")
	}
	var apps []*bridgetest.App
	defer func() {
		for _, a := range apps {
			a.Close()
		}
	}()
	for _, q := range queues {
		app, err := bridgetest.Dial(ctx, o.target, register(o, q))
		if err != nil {
			return fmt.Errorf("connecting to %s for task queue %q: %w", o.target, q, err)
		}
		apps = append(apps, app)
	}
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
	wf := newWorkflows()
	for _, app := range apps {
		serve(app, o, wf, &rec, end)
	}
	<-stop
	fmt.Fprintf(os.Stderr, "echoapp: answered %d activities and %d activations (%d evictions); %d runs still cached\n",
		rec.Len(), wf.activations.Load(), wf.evictions.Load(), wf.cached())
	return rec.WriteFile(o.timeline)
}

// register is the registration of one queue's stream.
func register(o options, queue string) *bridgev1.Register {
	host, _ := os.Hostname()
	capacity := uint32(o.capacity)
	reg := &bridgev1.Register{
		ProtocolVersion: 1,
		Identity:        fmt.Sprintf("%d@%s", os.Getpid(), host),
		SdkName:         "bench-echoapp",
		SdkVersion:      "0",
		TaskQueue:       queue,
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
	return reg
}

// serve starts the goroutines answering one stream; end is called when the
// stream ends or the sidecar says it is shutting down.
func serve(app *bridgetest.App, o options, wf *workflows, rec *timeline.Recorder, end func()) {
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
}

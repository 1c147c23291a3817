// Command echoapp is the bridge app of the end-to-end benchmark: it connects
// to a sidecar, registers the activity type "Echo" with a given capacity and
// answers every activity task with its first input payload, untouched.
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
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
)

func main() {
	target := flag.String("bridge", "unix:///tmp/temporal-sidecar.sock", "bridge address of the sidecar (gRPC target)")
	taskQueue := flag.String("task-queue", "", "task queue the sidecar serves (checked at registration)")
	capacity := flag.Uint("capacity", 100, "activity tasks the app offers to run at once")
	workers := flag.Int("workers", 4, "goroutines reading and answering activity tasks")
	timelinePath := flag.String("timeline", "", "write the time of every completion to this file at exit")
	cpuProfile := flag.String("cpuprofile", "", "write a Go CPU profile to this file")
	flag.Parse()
	if err := run(*target, *taskQueue, uint32(*capacity), *workers, *timelinePath, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "echoapp:", err)
		os.Exit(1)
	}
}

func run(target, taskQueue string, capacity uint32, workers int, timelinePath, cpuProfile string) error {
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	host, _ := os.Hostname()
	reg := &bridgev1.Register{
		ProtocolVersion: 1,
		Identity:        fmt.Sprintf("%d@%s", os.Getpid(), host),
		SdkName:         "bench-echoapp",
		SdkVersion:      "0",
		TaskQueue:       taskQueue,
		Activities:      []*bridgev1.ActivityRegistration{{Name: "Echo"}},
		Capacity:        &bridgev1.Capacity{Activities: capacity, LocalActivities: capacity},
	}
	app, err := bridgetest.Dial(ctx, target, reg)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", target, err)
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
	// Everything that is not an activity task: the end of the run is the
	// sidecar's shutdown notice; a completion error is a bug worth a line.
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
	for range workers {
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
	<-stop
	fmt.Fprintf(os.Stderr, "echoapp: answered %d activities\n", rec.Len())
	return rec.WriteFile(timelinePath)
}

//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/internal/workloads"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// batch is the outcome of driving n workflows.
type batch struct {
	lat      []time.Duration // start request → result, sorted
	failed   int
	firstErr error
	wall     time.Duration
	slowest  string        // the workflow ID with the highest latency
	slowLat  time.Duration // its latency
	ids      []string      // every workflow's ID
}

// drive runs n workflows of workload wl on task queue tq, all at once or
// one after another, and waits for all of them.
func (b *bench) drive(ctx context.Context, wl, tq, prefix string, n int, concurrent bool, progress string) batch {
	var (
		out     = batch{lat: make([]time.Duration, n), ids: make([]string, n)}
		wg      sync.WaitGroup
		mu      sync.Mutex
		done    atomic.Int64
		started = time.Now()
	)
	stopProgress := make(chan struct{})
	if progress != "" {
		go func() {
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					fmt.Fprintf(os.Stderr, "  %s: %d/%d workflows done after %s\n", progress, done.Load(), n, time.Since(started).Round(time.Second))
				case <-stopProgress:
					return
				}
			}
		}()
	}
	one := func(i int) {
		defer done.Add(1)
		t := time.Now()
		id := fmt.Sprintf("%s-%s-%d", prefix, tq, i)
		out.ids[i] = id
		err := b.workflow(ctx, wl, tq, id, fmt.Sprintf("%s #%04d", prefix, i))
		d := time.Since(t)
		out.lat[i] = d
		mu.Lock()
		if d > out.slowLat {
			out.slowest, out.slowLat = id, d
		}
		if err != nil {
			out.failed++
			if out.firstErr == nil {
				out.firstErr = err
			}
		}
		mu.Unlock()
	}
	for i := range n {
		if concurrent {
			wg.Go(func() { one(i) })
		} else {
			one(i)
		}
	}
	wg.Wait()
	out.wall = time.Since(started)
	close(stopProgress)
	slices.Sort(out.lat)
	return out
}

// workflow runs one workflow of wl to its result and checks the result.
func (b *bench) workflow(ctx context.Context, wl, tq, id, value string) error {
	cfg := b.cfg
	opts := client.StartWorkflowOptions{ID: id, TaskQueue: tq,
		// A workflow the benchmark gave up on does not linger on the server.
		WorkflowExecutionTimeout: cfg.roundTimeout}
	switch wl {
	case chain:
		run, err := b.client.ExecuteWorkflow(ctx, opts, workloads.Chain, cfg.K, value)
		if err != nil {
			return err
		}
		var got string
		if err := run.Get(ctx, &got); err != nil {
			return err
		}
		if got != value {
			return fmt.Errorf("Chain returned %q, want %q", got, value)
		}
	case timer:
		run, err := b.client.ExecuteWorkflow(ctx, opts, workloads.TimerSignal, cfg.TimerMS)
		if err != nil {
			return err
		}
		// The signal follows the start at once, so it usually arrives while
		// the timer runs (or with the first workflow task).
		if err := b.client.SignalWorkflow(ctx, id, run.GetRunID(), workloads.Signal, value); err != nil {
			return fmt.Errorf("signal: %w", err)
		}
		var got string
		if err := run.Get(ctx, &got); err != nil {
			return err
		}
		if got != value {
			return fmt.Errorf("TimerSignal returned %q, want %q", got, value)
		}
	case activities:
		run, err := b.client.ExecuteWorkflow(ctx, opts, workloads.EchoChain, cfg.K, value)
		if err != nil {
			return err
		}
		var got int
		if err := run.Get(ctx, &got); err != nil {
			return err
		}
		if got != cfg.K {
			return fmt.Errorf("workflow ran %d activities, want %d", got, cfg.K)
		}
	default:
		return fmt.Errorf("unknown workload %q", wl)
	}
	return nil
}

// historyGap is the longest time between two consecutive events of a
// workflow's history, and the two events: it shows where a slow workflow
// waited (a task waiting on its queue: SCHEDULED → STARTED; a worker
// busy with it: STARTED → COMPLETED; a timer: STARTED → FIRED).
type historyGap struct {
	Gap    time.Duration `json:"gap_ns"`
	From   string        `json:"from,omitempty"`
	To     string        `json:"to,omitempty"`
	At     time.Duration `json:"at_ns"` // from the first event
	Events int           `json:"events"`
}

func (g historyGap) String() string {
	if g.Events == 0 {
		return "–"
	}
	return fmt.Sprintf("%s %s→%s at %s", ms(g.Gap), g.From, g.To, ms(g.At))
}

// longestGap reads a workflow's history and finds its longest gap.
func (b *bench) longestGap(ctx context.Context, id string) (historyGap, error) {
	var g historyGap
	it := b.client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var first, prev time.Time
	var prevType string
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return g, err
		}
		t, typ := e.GetEventTime().AsTime(), shortEvent(e.GetEventType())
		if g.Events == 0 {
			first = t
		} else if d := t.Sub(prev); d > g.Gap {
			g.Gap, g.From, g.To, g.At = d, prevType, typ, prev.Sub(first)
		}
		prev, prevType = t, typ
		g.Events++
	}
	return g, nil
}

// taskTimes splits where tasks spent their time, summed over workflows:
// waiting on their task queue (SCHEDULED → STARTED: until a poller of the
// worker took them) and in the worker (STARTED → COMPLETED: the worker
// running them and reporting the result).
type taskTimes struct {
	Workflows int           `json:"workflows"`
	WFTs      int           `json:"wfts"`
	WFTQueued time.Duration `json:"wft_queued_ns"`
	WFTWorker time.Duration `json:"wft_worker_ns"`
	ATs       int           `json:"ats"`
	ATQueued  time.Duration `json:"at_queued_ns"`
	ATWorker  time.Duration `json:"at_worker_ns"`
}

func (t *taskTimes) add(o taskTimes) {
	t.Workflows += o.Workflows
	t.WFTs += o.WFTs
	t.WFTQueued += o.WFTQueued
	t.WFTWorker += o.WFTWorker
	t.ATs += o.ATs
	t.ATQueued += o.ATQueued
	t.ATWorker += o.ATWorker
}

// sampleTaskTimes reads the histories of up to k workflows spread evenly
// over ids.
func (b *bench) sampleTaskTimes(ctx context.Context, ids []string, k int) taskTimes {
	var tt taskTimes
	if len(ids) == 0 || k <= 0 {
		return tt
	}
	step := max(1, len(ids)/k)
	for i := 0; i < len(ids) && tt.Workflows < k; i += step {
		if one, err := b.taskTimes(ctx, ids[i]); err == nil {
			tt.add(one)
		}
	}
	return tt
}

func (b *bench) taskTimes(ctx context.Context, id string) (taskTimes, error) {
	tt := taskTimes{Workflows: 1}
	at := map[int64]time.Time{}
	it := b.client.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return tt, err
		}
		t := e.GetEventTime().AsTime()
		at[e.GetEventId()] = t
		since := func(id int64) time.Duration {
			if t0, ok := at[id]; ok {
				return t.Sub(t0)
			}
			return 0
		}
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			tt.WFTs++
			tt.WFTQueued += since(e.GetWorkflowTaskStartedEventAttributes().GetScheduledEventId())
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			tt.WFTWorker += since(e.GetWorkflowTaskCompletedEventAttributes().GetStartedEventId())
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			tt.WFTWorker += since(e.GetWorkflowTaskFailedEventAttributes().GetStartedEventId())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			tt.ATs++
			tt.ATQueued += since(e.GetActivityTaskStartedEventAttributes().GetScheduledEventId())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			tt.ATWorker += since(e.GetActivityTaskCompletedEventAttributes().GetStartedEventId())
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			tt.ATWorker += since(e.GetActivityTaskFailedEventAttributes().GetStartedEventId())
		}
	}
	return tt, nil
}

// shortEvent abbreviates an event type: WorkflowTaskScheduled → WFTScheduled.
func shortEvent(t enumspb.EventType) string {
	s := t.String()
	for long, short := range map[string]string{"WorkflowTask": "WFT", "ActivityTask": "AT", "WorkflowExecution": "WE"} {
		if rest, ok := strings.CutPrefix(s, long); ok {
			return short + rest
		}
	}
	return s
}

// startPerf records CPU samples with call graphs from the given processes.
func startPerf(out string, procs []*proc) (*exec.Cmd, error) {
	pids := make([]string, len(procs))
	for i, p := range procs {
		pids[i] = strconv.Itoa(p.pid())
	}
	cmd := exec.Command("perf", "record", "-q", "-F", "999", "-g", "-o", out, "-p", strings.Join(pids, ","))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting perf (is it installed?): %w", err)
	}
	time.Sleep(300 * time.Millisecond) // let it attach
	return cmd, nil
}

func stopPerf(cmd *exec.Cmd, data, report string) error {
	_ = cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return err
		}
	}
	f, err := os.Create(report)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, args := range [][]string{
		{"report", "-i", data, "--stdio", "--no-children", "--sort", "comm,sym", "--percent-limit", "0.7", "-g", "none"},
		{"report", "-i", data, "--stdio", "--children", "--sort", "comm,sym", "--percent-limit", "3", "-g", "none"},
	} {
		fmt.Fprintf(f, "### perf %s\n", strings.Join(args, " "))
		rep := exec.Command("perf", args...)
		rep.Stdout, rep.Stderr = f, f
		if err := rep.Run(); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "perf report: %s\n", report)
	return nil
}

// ms formats a duration in whole milliseconds, or with one decimal under 10ms.
func ms(d time.Duration) string {
	v := float64(d.Microseconds()) / 1000
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "ms"
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

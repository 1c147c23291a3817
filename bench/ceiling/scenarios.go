package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/ceiling/fake"
)

// The three workloads.
const (
	kindActivity = "activity" // activity task -> app echo -> RespondActivityTaskCompleted
	kindWorkflow = "workflow" // new run, 3-event history -> CompleteWorkflowExecution
	kindSticky   = "sticky"   // cached run, only new events -> one StartTimer or nothing
)

func kindTitle(k string) string {
	switch k {
	case kindActivity:
		return "activity tasks"
	case kindWorkflow:
		return "workflow activations, new runs"
	case kindSticky:
		return "workflow activations, sticky hits"
	}
	return k
}

// cellResult is one measured configuration.
type cellResult struct {
	Kind, Transport string
	Sessions        int
	InFlight        int // app capacity over all sessions
	Duration        time.Duration
	Ops             int64
	Rate            float64       // ops per second
	CPU             time.Duration // process CPU (user+system) in the window
	Others          time.Duration // CPU other processes used meanwhile (a noisy machine)
	P50, P99, Mean  time.Duration
	Samples         int
	AllocBytes      float64 // heap bytes allocated per op, whole process
	Allocs          float64 // heap objects allocated per op, whole process
	GCs             uint32  // garbage collections in the window
	Notes           []string
}

// CPUPerOp is process CPU per op: the sidecar, the in-process apps and the fake together.
func (c cellResult) CPUPerOp() time.Duration {
	if c.Ops == 0 {
		return 0
	}
	return c.CPU / time.Duration(c.Ops)
}

// OtherCores is how many cores other processes kept busy meanwhile.
func (c cellResult) OtherCores() float64 { return c.Others.Seconds() / c.Duration.Seconds() }

// Cores is how many cores the process kept busy on average.
func (c cellResult) Cores() float64 { return c.CPU.Seconds() / c.Duration.Seconds() }

// cellConfig builds the rig of one workload. inflight is the app capacity
// over all sessions; 1 makes a strictly sequential round-trip measurement.
func cellConfig(kind, transport string, sessions, inflight, appWorkers int) rigConfig {
	per := max(1, inflight/sessions)
	total := per * sessions
	c := rigConfig{transport: transport, sessions: sessions, capacity: uint32(per), appWorkers: appWorkers,
		maxActivities: 1, maxWorkflowTasks: 1, activityPollers: 1, workflowPollers: 1}
	pollers := 5 // the sidecar's default
	if inflight == 1 {
		pollers = 1
	}
	switch kind {
	case kindActivity:
		c.activities = true
		c.maxActivities, c.activityPollers = total, pollers
		c.fake = fake.Options{Activities: true}
	case kindWorkflow, kindSticky:
		c.workflows = true
		// Sticky pollers hold a slot while their poll waits, so the slots
		// exceed the app capacity by the pollers: the apps stay the limit.
		c.maxWorkflowTasks, c.workflowPollers = total+2*pollers, max(2, pollers)
		c.cache = 1000
		if kind == kindWorkflow {
			c.closeOnInit = true
			c.fake = fake.Options{NewRuns: true, FirstMeasured: true}
		} else {
			runs := 2 * total // twice the capacity: a run's next task is always ready
			if inflight == 1 {
				runs = 1 // strictly one task at a time
			}
			c.cache = max(c.cache, runs+100)
			c.fake = fake.Options{NewRuns: true, MaxRuns: runs, Plan: func(fake.RunState) fake.Step {
				return fake.Step{Signals: 1, Measured: true}
			}}
		}
	}
	return c
}

// opsOf is what a workload counts.
func opsOf(kind string, c fake.Counters) int64 {
	if kind == kindActivity {
		return c.ActivitiesDone
	}
	return c.WorkflowMeasured
}

// runCell runs one configuration: warm up, then measure for dur.
func runCell(kind, transport string, sessions, inflight, appWorkers int, warm, dur time.Duration, profile string) (cellResult, error) {
	cfg := cellConfig(kind, transport, sessions, inflight, appWorkers)
	r, err := startRig(cfg)
	if err != nil {
		return cellResult{}, err
	}
	closed := false
	defer func() {
		if !closed {
			r.close()
		}
	}()
	r.fake.Start()
	time.Sleep(warm)

	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0, cpu0, sys0 := r.fake.Snapshot(), cpuTime(), systemBusy()
	r.fake.Latency.On()
	if profile != "" {
		pf, err := os.Create(profile)
		if err != nil {
			return cellResult{}, err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return cellResult{}, err
		}
	}
	t0 := time.Now()
	time.Sleep(dur)
	el := time.Since(t0)
	c1, cpu1, sys1 := r.fake.Snapshot(), cpuTime(), systemBusy()
	runtime.ReadMemStats(&m1)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	lat := r.fake.Latency.Off()

	res := cellResult{Kind: kind, Transport: transport, Sessions: sessions, InFlight: int(cfg.capacity) * sessions,
		Duration: el, Ops: opsOf(kind, c1) - opsOf(kind, c0), CPU: cpu1 - cpu0, Others: max(0, (sys1-sys0)-(cpu1-cpu0)),
		P50: fake.Quantile(lat, 0.5), P99: fake.Quantile(lat, 0.99), Mean: fake.Mean(lat), Samples: len(lat)}
	res.Rate = float64(res.Ops) / el.Seconds()
	if res.Ops > 0 {
		res.AllocBytes = float64(m1.TotalAlloc-m0.TotalAlloc) / float64(res.Ops)
		res.Allocs = float64(m1.Mallocs-m0.Mallocs) / float64(res.Ops)
		res.GCs = m1.NumGC - m0.NumGC
	}
	closed = true
	shut := r.close()
	res.Notes = anomalies(r, r.fake.Snapshot())
	if shut != "" {
		res.Notes = append(res.Notes, shut)
	}
	return res, nil
}

// anomalies lists what should not happen in a clean run.
func anomalies(r *rig, c fake.Counters) []string {
	var out []string
	if waiting := c.RunsStarted - c.FirstTasksDone - c.WorkflowFailed; waiting > 0 {
		out = append(out, fmt.Sprintf("%d of %d new runs' first workflow tasks were still unanswered at the end", waiting, c.RunsStarted))
	}
	if c.HistoryFetches > 0 {
		out = append(out, fmt.Sprintf("%d sticky cache misses (history fetches)", c.HistoryFetches))
	}
	if c.WorkflowFailed > 0 {
		out = append(out, fmt.Sprintf("%d workflow tasks failed, last: %s", c.WorkflowFailed, r.fake.LastFailure()))
	}
	if c.ActivitiesFailed > 0 {
		out = append(out, fmt.Sprintf("%d activities failed", c.ActivitiesFailed))
	}
	if c.UnsupportedCommand > 0 {
		out = append(out, fmt.Sprintf("%d commands the fake does not model", c.UnsupportedCommand))
	}
	if n, last := r.appErrors(); n > 0 {
		out = append(out, fmt.Sprintf("%d completion errors sent to apps, last: %s", n, last))
	}
	return out
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// systemBusy is the CPU time all processes spent busy, from /proc/stat
// (0 where it cannot be read).
func systemBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		busy += n
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(timeout time.Duration, what string, cond func() bool) error {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return nil
}

// histPoint is the sticky-hit cost at one history length.
type histPoint struct {
	Events         int // history length before the measured activations
	Runs, Samples  int
	P50, P99, Mean time.Duration
	AllocBytes     float64       // heap bytes allocated per measured activation, whole process
	Allocs         float64       // heap objects allocated per measured activation, whole process
	CPU            time.Duration // process CPU per measured activation
	Others         float64       // cores other processes kept busy meanwhile
	Heap           uint64        // HeapAlloc after GC once the runs were grown
	Notes          []string
}

// historyCurve grows runs to each history length (runs of them per length,
// all in one sidecar), then times single sticky-hit activations (one signal
// each) at concurrency 1, the lengths interleaved so that every length sees
// the same machine; the cost must not grow with the length. CPU and
// allocation per activation are then measured one length at a time.
func historyCurve(lengths []int, runs, samples int, transport string) ([]histPoint, error) {
	groups := len(lengths)
	total := runs * groups
	group := func(run uint64) int { return int((run - 1) % uint64(groups)) }
	cfg := cellConfig(kindSticky, transport, 1, 1, 1)
	cfg.cache = total + 100
	// One slot for the normal poller (which waits in the fake once every run
	// exists) and one for the sticky poller: strictly one task at a time, so
	// no round trip includes another task's queueing.
	cfg.maxWorkflowTasks = 2
	grown := make([]atomic.Int64, groups)
	cfg.fake = fake.Options{NewRuns: true, MaxRuns: total, Plan: func(s fake.RunState) fake.Step {
		g := group(s.Run)
		left := int64(lengths[g]) - s.Events - 2 // the next task adds WorkflowTaskScheduled and Started
		if left <= 0 {
			grown[g].Add(s.Events)
			return fake.Step{Park: true}
		}
		return fake.Step{Signals: int(min(left, 5000))}
	}}
	measure := func(s fake.RunState) fake.Step {
		if s.SinceResume >= samples {
			return fake.Step{Park: true}
		}
		return fake.Step{Signals: 1, Measured: true}
	}
	r, err := startRig(cfg)
	if err != nil {
		return nil, err
	}
	defer r.close()
	parked := func() bool { return r.fake.Snapshot().RunsParked == int64(total) }
	r.fake.Start()
	if err := waitFor(3*time.Minute, "runs to grow", parked); err != nil {
		return nil, err
	}

	// Round trips, every length interleaved.
	r.fake.Latency.On()
	r.fake.Resume(measure)
	if err := waitFor(time.Minute, "measured activations", parked); err != nil {
		return nil, err
	}
	lat := r.fake.Latency.OffByRun(func(run uint64) int { return group(run) })

	// CPU and allocation, one length at a time.
	var out []histPoint
	for g := range groups {
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		c0, cpu0, sys0, t0 := r.fake.Snapshot(), cpuTime(), systemBusy(), time.Now()
		r.fake.ResumeWhere(func(run uint64) bool { return group(run) == g }, measure)
		if err := waitFor(time.Minute, "measured activations", parked); err != nil {
			return nil, err
		}
		runtime.ReadMemStats(&m1)
		c1, cpu1, sys1, el := r.fake.Snapshot(), cpuTime(), systemBusy(), time.Since(t0)
		ops := float64(c1.WorkflowMeasured - c0.WorkflowMeasured)
		l := lat[g]
		out = append(out, histPoint{Events: int(grown[g].Load() / int64(runs)), Runs: runs, Samples: len(l),
			P50: fake.Quantile(l, 0.5), P99: fake.Quantile(l, 0.99), Mean: fake.Mean(l),
			AllocBytes: float64(m1.TotalAlloc-m0.TotalAlloc) / ops, Allocs: float64(m1.Mallocs-m0.Mallocs) / ops,
			CPU:    time.Duration(float64(cpu1-cpu0) / ops),
			Others: max(0, (sys1-sys0)-(cpu1-cpu0)).Seconds() / el.Seconds(),
			Heap:   m0.HeapAlloc,
			Notes:  anomalies(r, c1)})
	}
	return out, nil
}

// heapPoint is the sidecar heap held per cached run.
type heapPoint struct {
	Runs        int
	Cached      int
	Events      float64 // mean history length of a cached run
	Base, After uint64  // HeapAlloc after GC, before and after
	PerRun      float64
	Notes       []string
}

// heapCurve fills the sticky cache with runs of about the given number of
// events (signals, and timers that fire in the next task), with the app in a
// child process so its heap is not counted, and measures the sidecar's heap
// growth per cached run.
func heapCurve(runs, events int, profile string) (heapPoint, error) {
	cfg := cellConfig(kindSticky, "unix", 1, 64, 4)
	cfg.childApp = true
	cfg.cache = runs + 64
	var total atomic.Int64
	cfg.fake = fake.Options{NewRuns: true, MaxRuns: runs, FireTimers: true, Plan: func(s fake.RunState) fake.Step {
		if s.Events+2 >= int64(events) {
			total.Add(s.Events)
			return fake.Step{Park: true}
		}
		return fake.Step{Signals: int(min(5, int64(events)-s.Events-2))}
	}}
	r, err := startRig(cfg)
	if err != nil {
		return heapPoint{}, err
	}
	defer r.close()
	time.Sleep(100 * time.Millisecond)
	base := heapAfterGC()
	r.fake.Start()
	if err := waitFor(5*time.Minute, "runs to fill the cache", func() bool { return r.fake.Snapshot().RunsParked == int64(runs) }); err != nil {
		return heapPoint{}, err
	}
	// Let the last tasks finish (slot release, cache shrink check).
	time.Sleep(300 * time.Millisecond)
	r.fake.Forget()
	after := heapAfterGC()
	if profile != "" {
		if f, err := os.Create(profile); err == nil {
			_ = pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	p := heapPoint{Runs: runs, Cached: r.w.Workflows().Cached(), Events: float64(total.Load()) / float64(runs),
		Base: base, After: after, Notes: anomalies(r, r.fake.Snapshot())}
	p.PerRun = (float64(after) - float64(base)) / float64(runs)
	if p.Cached != runs {
		p.Notes = append(p.Notes, fmt.Sprintf("the cache holds %d runs, not %d", p.Cached, runs))
	}
	return p, nil
}

func heapAfterGC() uint64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

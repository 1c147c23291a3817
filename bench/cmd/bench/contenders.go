//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/internal/timeline"
	"github.com/temporal-sidecar/sidecar/bench/internal/workloads"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// contender names.
const (
	goSDK        = "go-sdk"
	sidecar      = "sidecar"
	sidecarPy    = "sidecar-py"
	temporalioPy = "temporalio-py"
	// temporalioSC is temporalio's own worker, the same script as
	// temporalioPy, on the sidecar through temporal_sidecar.sdk's plugin.
	temporalioSC = "temporalio-adapter"
	// tsNative is a native @temporalio/worker worker (on its own
	// sdk-core), clients/typescript/src/bench/worker.ts with --address.
	tsNative = "ts-worker"
	// tsSC is the same script on the sidecar through SidecarWorker
	// (@temporal-sidecar/client/sdk), with --sidecar.
	tsSC = "ts-adapter"
)

var allContenders = []string{goSDK, sidecar, sidecarPy, temporalioPy, temporalioSC, tsNative, tsSC}

// tsContenders need node and the built TypeScript package (make ts-build).
var tsContenders = []string{tsNative, tsSC}

// pythonContenders need .venv.
var pythonContenders = []string{sidecarPy, temporalioPy, temporalioSC}

var labels = map[string]string{
	goSDK:        "Go SDK worker",
	sidecar:      "sidecar + Go bridge app",
	sidecarPy:    "sidecar + Python app (temporal_sidecar)",
	temporalioPy: "Python SDK worker (temporalio)",
	temporalioSC: "sidecar + temporalio (adapter)",
	tsNative:     "TypeScript SDK worker (@temporalio/worker)",
	tsSC:         "sidecar + @temporalio/worker (adapter)",
}

// shortLabels name the contenders on plot axes.
var shortLabels = map[string]string{
	goSDK:        "Go SDK",
	sidecar:      "sidecar+Go",
	sidecarPy:    "sidecar+Python",
	temporalioPy: "temporalio",
	temporalioSC: "sidecar+temporalio",
	tsNative:     "TS SDK",
	tsSC:         "sidecar+TS",
}

// workers is the running worker side of one contender.
type workers struct {
	procs    []*proc
	timeline string // file the activity-serving process writes at exit
	stop     func() (map[string]time.Duration, []string)
}

// launch starts a contender's worker processes on task queue tq, serving
// the workflows and the activity, or only the activity for the activities
// workload, and waits until they are ready.
func (b *bench) launch(ctx context.Context, name, wl, tq, prefix string) (*workers, error) {
	cfg := b.cfg
	bin := func(n string) string { return filepath.Join(cfg.binDir, n) }
	logf := func(n string) string { return filepath.Join(cfg.logDir, prefix+"-"+n+".log") }
	tl := filepath.Join(cfg.logDir, prefix+".timeline")
	capacity, pollers := strconv.Itoa(cfg.Capacity), strconv.Itoa(cfg.Pollers)
	actOnly := wl == activities
	switch name {
	case goSDK, temporalioPy, tsNative:
		var p *proc
		var err error
		switch name {
		case goSDK:
			args := []string{"-address", b.addr, "-namespace", "default", "-task-queue", tq,
				"-capacity", capacity, "-pollers", pollers, "-timeline", tl}
			if actOnly {
				args = append(args, "-activities-only")
			}
			p, err = startProc("goworker", logf("goworker"), bin("goworker"), args...)
		case tsNative:
			p, err = startProc("node", logf("node"), cfg.node, b.tsArgs(wl, tq, tl, "--address", b.addr)...)
		default:
			args := []string{filepath.Join(cfg.pyDir, "temporalio_worker.py"), "--address", b.addr, "--namespace", "default",
				"--task-queue", tq, "--capacity", capacity, "--pollers", pollers, "--timeline", tl}
			if actOnly {
				args = append(args, "--activities-only")
			}
			if cfg.unsandboxed {
				args = append(args, "--unsandboxed")
			}
			p, err = startProc("temporalio", logf("temporalio"), cfg.python, args...)
		}
		if err != nil {
			return nil, err
		}
		w := &workers{procs: []*proc{p}, timeline: tl}
		w.stop = func() (map[string]time.Duration, []string) {
			took, err := p.stop(cfg.shutdownGrace)
			return map[string]time.Duration{p.name: took}, errStrings(err)
		}
		if err := p.waitReady(ctx, nil); err != nil {
			w.stop()
			return nil, err
		}
		return w, nil
	case sidecar, sidecarPy, temporalioSC, tsSC:
		sock := filepath.Join(b.sock, prefix+".sock")
		listen := "unix:" + sock
		if name == tsSC {
			// sdk-core's client, which the TypeScript SDK's connections use, dials
			// no unix socket: a loopback TCP bridge on a port the sidecar picks.
			listen = "127.0.0.1:0"
		}
		args := []string{"--address", b.addr, "--namespace", "default", "--task-queue", tq,
			"--bridge-listen", listen, "--http-listen", "",
			"--max-concurrent-activities", capacity, "--max-activity-task-pollers", pollers,
			"--max-concurrent-workflow-tasks", capacity, "--max-workflow-task-pollers", pollers,
			"--identity", "bench-sidecar-" + prefix, "--log-level", "info"}
		if name == temporalioSC || name == tsSC {
			// The SDK's clients talk to Temporal only through the sidecar.
			args = append(args, "--workflow-service-proxy")
		}
		sc, err := startProc("sidecar", logf("sidecar"), bin("sidecar"), args...)
		if err != nil {
			return nil, err
		}
		w := &workers{procs: []*proc{sc}, timeline: tl}
		var app *proc
		w.stop = func() (map[string]time.Duration, []string) {
			took := map[string]time.Duration{}
			var errs []string
			stopApp := func() {
				var d time.Duration
				var err error
				if app.name == "echoapp" {
					d, err = app.waitExit(5 * time.Second)
				} else {
					d, err = app.stop(cfg.shutdownGrace)
				}
				took[app.name] = d
				errs = append(errs, errStrings(err)...)
			}
			// temporalio's and @temporalio/worker's workers on the adapters
			// shut down as they do on their own core, draining their session:
			// SIGTERM to them first, then to the sidecar.
			adapter := name == temporalioSC || name == tsSC
			if app != nil && adapter {
				stopApp()
			}
			// The others: SIGTERM to the sidecar first. The Go app leaves on
			// the sidecar's shutdown notice; the Python worker would
			// reconnect, so it gets its own SIGTERM once the sidecar is gone.
			d, err := sc.stop(cfg.shutdownGrace)
			took["sidecar"] = d
			errs = append(errs, errStrings(err)...)
			if app != nil && !adapter {
				stopApp()
			}
			return took, errs
		}
		var bridge string // the TCP bridge of tsSC
		if name == tsSC {
			bridge, err = sc.waitBridge(ctx)
		} else {
			err = sc.waitFile(ctx, sock)
		}
		if err != nil {
			w.stop()
			return nil, err
		}
		switch name {
		case sidecar:
			args := []string{"-bridge", "unix://" + sock, "-task-queue", tq, "-capacity", capacity,
				"-workers", strconv.Itoa(cfg.AppWorkers), "-timeline", tl}
			if actOnly {
				args = append(args, "-activities-only")
			}
			app, err = startProc("echoapp", logf("echoapp"), bin("echoapp"), args...)
		case temporalioSC:
			args := []string{filepath.Join(cfg.pyDir, "temporalio_worker.py"), "--sidecar", "unix://" + sock, "--namespace", "default",
				"--task-queue", tq, "--capacity", capacity, "--pollers", pollers, "--timeline", tl}
			if actOnly {
				args = append(args, "--activities-only")
			}
			if cfg.unsandboxed {
				args = append(args, "--unsandboxed")
			}
			app, err = startProc("temporalio", logf("temporalio"), cfg.python, args...)
		case tsSC:
			app, err = startProc("node", logf("node"), cfg.node, b.tsArgs(wl, tq, tl, "--sidecar", bridge)...)
		default:
			args := []string{filepath.Join(cfg.pyDir, "sidecar_app.py"), "--bridge", "unix://" + sock, "--task-queue", tq,
				"--capacity", capacity, "--timeline", tl}
			if actOnly {
				args = append(args, "--activities-only")
			}
			app, err = startProc("pyapp", logf("pyapp"), cfg.python, args...)
		}
		if err != nil {
			w.stop()
			return nil, err
		}
		w.procs = append(w.procs, app)
		if err := app.waitReady(ctx, sc); err != nil {
			w.stop()
			return nil, err
		}
		return w, nil
	}
	return nil, fmt.Errorf("unknown contender %q", name)
}

// tsArgs are node's arguments for the @temporalio/worker script, natively
// (--address) or on the sidecar (--sidecar): the same options otherwise.
func (b *bench) tsArgs(wl, tq, tl, where, addr string) []string {
	cfg := b.cfg
	args := []string{filepath.Join(cfg.tsDir, "worker.js"), where, addr, "--namespace", "default",
		"--task-queue", tq, "--capacity", strconv.Itoa(cfg.Capacity), "--pollers", strconv.Itoa(cfg.Pollers),
		"--timeline", tl, "--bundle", filepath.Join(cfg.logDir, tsBundle)}
	if wl == activities {
		args = append(args, "--activities-only")
	}
	return args
}

// tsBundle is the workflow bundle the first TypeScript worker of a run
// writes to the log directory and the others load (removed at the start).
const tsBundle = "ts-workflows-bundle.js"

func errStrings(err error) []string {
	if err == nil {
		return nil
	}
	return []string{err.Error()}
}

// round runs one contender's batch of one workload: start its worker
// processes on a fresh task queue, warm up, measure N workflows started at
// once, then run the sequential ones, and stop.
func (b *bench) round(r, pos int, wl, name string, profile bool) (*roundResult, error) {
	cfg := b.cfg
	ctx, cancel := context.WithTimeout(context.Background(), cfg.roundTimeout)
	defer cancel()
	prefix := fmt.Sprintf("r%d-%s-%s", r, wl, name)
	if profile {
		prefix = "perf-" + wl + "-" + name
	}
	tq := fmt.Sprintf("bench-%s-%d", prefix, time.Now().UnixNano())
	res := &roundResult{Round: r, Position: pos, Workload: wl, Contender: name, TaskQueue: tq, N: cfg.N,
		CPU: map[string]time.Duration{}, PeakRSS: map[string]int64{}, IdleRSS: map[string]int64{}, Problems: map[string]logProblems{},
		SeqCPU: map[string]time.Duration{}}
	res.Settle = b.settle(ctx)

	w, err := b.launch(ctx, name, wl, tq, prefix)
	if err != nil {
		return nil, err
	}
	var stopping atomic.Bool // the workers are being stopped on purpose
	stopped := false
	defer func() {
		if !stopped {
			stopping.Store(true)
			w.stop()
		}
	}()
	// A worker process that dies mid-batch ends the batch at once rather
	// than at the round timeout.
	for _, p := range w.procs {
		go func() {
			select {
			case <-p.done:
				if !stopping.Load() {
					fmt.Fprintf(os.Stderr, "bench: %s exited during the round (%v); see %s\n", p.name, p.waitErr, p.logPath)
					cancel()
				}
			case <-ctx.Done():
			}
		}()
	}
	if wl == activities {
		// The workflows run here; the contender serves only the activity.
		ww := sdkworker.New(b.client, tq, sdkworker.Options{LocalActivityWorkerOnly: true})
		ww.RegisterWorkflowWithOptions(workloads.EchoChainWorkflow, workflow.RegisterOptions{Name: workloads.EchoChain})
		if err := ww.Start(); err != nil {
			return nil, err
		}
		defer ww.Stop()
	}

	for _, p := range w.procs {
		if n, err := rss(p.pid()); err == nil {
			res.IdleRSS[p.name] = n
		}
	}
	if cfg.Warmup > 0 {
		if wb := b.drive(ctx, wl, tq, prefix+"-warmup", cfg.Warmup, true, ""); wb.failed > 0 {
			return nil, fmt.Errorf("%d of %d warm-up workflows failed; first: %v", wb.failed, cfg.Warmup, wb.firstErr)
		}
	}

	var perf *exec.Cmd
	if profile {
		if perf, err = startPerf(filepath.Join(cfg.logDir, prefix+".perf.data"), w.procs); err != nil {
			return nil, err
		}
	}

	var spies []*exec.Cmd
	var spyFiles []string
	if profile && cfg.pyspy != "" {
		if spies, spyFiles, err = startPySpy(cfg.pyspy, filepath.Join(cfg.logDir, prefix), w.procs); err != nil {
			return nil, err
		}
	}

	cpu0, err := b.cpuSnapshot(w.procs)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	batch := b.drive(ctx, wl, tq, prefix, cfg.N, true, fmt.Sprintf("round %d %s %s", r, wl, name))
	t1 := time.Now()
	cpu1, err := b.cpuSnapshot(w.procs)
	if err != nil {
		return nil, err
	}
	if perf != nil {
		if err := stopPerf(perf, filepath.Join(cfg.logDir, prefix+".perf.data"), filepath.Join(cfg.logDir, prefix+".perf.txt")); err != nil {
			fmt.Fprintf(os.Stderr, "bench: perf: %v\n", err)
		}
	}
	if len(spies) > 0 {
		stopPySpy(spies)
		for _, f := range spyFiles {
			sum := strings.TrimSuffix(f, ".txt") + ".summary.txt"
			if err := summarizePySpy(f, sum); err != nil {
				fmt.Fprintf(os.Stderr, "bench: py-spy: %v\n", err)
			} else {
				fmt.Fprintf(os.Stderr, "py-spy summary: %s\n", sum)
			}
		}
	}
	res.Wall, res.Latencies, res.Failed = batch.wall, batch.lat, batch.failed
	res.Slowest, res.SlowestLat = batch.slowest, batch.slowLat
	if batch.firstErr != nil {
		res.FirstErr = batch.firstErr.Error()
	}
	for _, p := range w.procs {
		res.CPU[p.name] = cpu1[p.name] - cpu0[p.name]
	}
	res.ServerCPU = cpu1["server"] - cpu0["server"]
	res.DriverCPU = cpu1["driver"] - cpu0["driver"]
	res.OtherCPU = cpu1["machine"] - cpu0["machine"] - res.ServerCPU - res.DriverCPU - res.workerCPU()

	if n := cfg.seqPerRound(); n > 0 && !profile && ctx.Err() == nil {
		s0, err := b.cpuSnapshot(w.procs)
		if err != nil {
			return nil, err
		}
		seq := b.drive(ctx, wl, tq, prefix+"-seq", n, false, "")
		s1, err := b.cpuSnapshot(w.procs)
		if err != nil {
			return nil, err
		}
		res.SeqN, res.SeqWall, res.SeqLatencies, res.SeqFailed = n, seq.wall, seq.lat, seq.failed
		if seq.firstErr != nil {
			res.SeqFirstErr = seq.firstErr.Error()
		}
		for _, p := range w.procs {
			res.SeqCPU[p.name] = s1[p.name] - s0[p.name]
		}
		res.SeqSlowest = seq.slowest
		res.SeqTasks = b.sampleTaskTimes(ctx, seq.ids, len(seq.ids))
	}
	res.Tasks = b.sampleTaskTimes(ctx, batch.ids, 10)
	// Where the slowest workflows waited, from their histories.
	if res.Slowest != "" {
		res.SlowestGap, _ = b.longestGap(ctx, res.Slowest)
	}
	if res.SeqSlowest != "" {
		res.SeqSlowGap, _ = b.longestGap(ctx, res.SeqSlowest)
	}
	for _, p := range w.procs {
		if rss, err := peakRSS(p.pid()); err == nil {
			res.PeakRSS[p.name] = rss
		}
	}

	stopping.Store(true)
	res.Shutdown, res.StopErrs = w.stop()
	stopped = true
	for _, p := range w.procs {
		res.Problems[p.name] = scanLog(p.logPath, 5)
	}
	if wl != timer {
		if ts, err := timeline.ReadFile(w.timeline); err == nil {
			s := timeline.Summarize(ts, t0.UnixNano(), t1.UnixNano())
			res.Completions, res.MaxGap, res.MaxGapAt = s.Count, s.MaxGap, s.MaxGapAt
		} else {
			res.StopErrs = append(res.StopErrs, "no timeline: "+err.Error())
		}
	}
	if batch.failed == cfg.N {
		return nil, fmt.Errorf("every workflow failed; first: %v", batch.firstErr)
	}
	return res, nil
}

// settle waits, up to 10s, until the dev server is idle (under 0.1 core
// over 300ms), so that a batch does not start while the server still works
// off the previous one (closing workflows, visibility). It returns how long
// it waited.
func (b *bench) settle(ctx context.Context) time.Duration {
	if b.server == 0 {
		return 0
	}
	start := time.Now()
	const step = 300 * time.Millisecond
	prev, err := cpuTime(b.server)
	for err == nil && time.Since(start) < 10*time.Second && ctx.Err() == nil {
		time.Sleep(step)
		var now time.Duration
		if now, err = cpuTime(b.server); err != nil {
			break
		}
		if now-prev < step/10 {
			break
		}
		prev = now
	}
	return time.Since(start)
}

// cpuSnapshot reads the CPU time used so far by each process, the dev
// server, this driver and the whole machine.
func (b *bench) cpuSnapshot(procs []*proc) (map[string]time.Duration, error) {
	m := map[string]time.Duration{}
	for _, p := range procs {
		d, err := cpuTime(p.pid())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.name, err)
		}
		m[p.name] = d
	}
	if b.server != 0 {
		m["server"], _ = cpuTime(b.server)
	}
	m["driver"], _ = cpuTime(os.Getpid())
	m["machine"], _ = machineBusy()
	return m, nil
}

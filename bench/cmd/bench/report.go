//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// The generated sections of BENCHMARKS.md, each between
// <!-- bench:NAME:start --> and <!-- bench:NAME:end -->.
const (
	workersSection    = "workers"
	activitiesSection = "activities"
)

func startMarker(name string) string { return "<!-- bench:" + name + ":start -->" }
func endMarker(name string) string   { return "<!-- bench:" + name + ":end -->" }

// skeleton is BENCHMARKS.md when it does not exist yet.
var skeleton = `# Benchmarks

` + startMarker(workersSection) + "\n" + endMarker(workersSection) + `

` + startMarker(activitiesSection) + "\n" + endMarker(activitiesSection) + "\n"

// updateFile replaces the named sections of path, creating the file from a
// skeleton if needed. Text outside the markers is kept. A section without
// markers goes in front of the next section that has them, or at the end.
// Empty sections are left as they are.
func updateFile(path string, sections map[string]string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b, err = []byte(skeleton), nil
	}
	if err != nil {
		return err
	}
	order := []string{workersSection}
	for name := range sections {
		// Other sections (such as a run of a few contenders alone) go after
		// the whole-worker one.
		if name != workersSection && name != activitiesSection {
			order = append(order, name)
		}
	}
	order = append(order, activitiesSection)
	for i, name := range order {
		s := sections[name]
		if strings.TrimSpace(s) == "" {
			continue
		}
		before := ""
		for _, next := range order[i+1:] {
			if bytes.Contains(b, []byte(startMarker(next))) {
				before = next
				break
			}
		}
		if b, err = replaceSection(b, name, s, before); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return os.WriteFile(path, b, 0o644)
}

// replaceSection replaces the text between the markers of section name. If
// the markers are absent, the section goes before the start marker of
// section before (when given and present) or at the end.
func replaceSection(doc []byte, name, section, before string) ([]byte, error) {
	sm, em := startMarker(name), endMarker(name)
	block := sm + "\n" + strings.TrimSpace(section) + "\n" + em
	i := bytes.Index(doc, []byte(sm))
	j := bytes.Index(doc, []byte(em))
	switch {
	case i < 0 && j < 0:
		if before != "" {
			if k := bytes.Index(doc, []byte(startMarker(before))); k >= 0 {
				var out []byte
				out = append(out, doc[:k]...)
				out = append(out, block...)
				out = append(out, "\n\n"...)
				return append(out, doc[k:]...), nil
			}
		}
		out := bytes.TrimRight(doc, "\n")
		if len(out) > 0 {
			out = append(out, "\n\n"...)
		}
		return append(append(out, block...), '\n'), nil
	case i < 0 || j < 0 || j < i:
		return nil, fmt.Errorf("the markers %s and %s must both appear, in that order", sm, em)
	}
	var out []byte
	out = append(out, doc[:i]...)
	out = append(out, block...)
	out = append(out, doc[j+len(em):]...)
	return out, nil
}

// report aggregates the rounds of every workload and contender.
type report struct {
	cfg     config
	rounds  []*roundResult
	date    time.Time
	took    time.Duration
	totals  map[key]*total
	machine string
	load    string // 1-minute load averages at start and end
	python  string // interpreter and package versions
	node    string // node and @temporalio/worker versions
	plots   plots
}

type key struct{ wl, c string }

type total struct {
	workflows int
	wall      time.Duration
	cpu       time.Duration
	rss       int64
	latencies []time.Duration
	failed    int
	seq       []time.Duration
	seqN      int
	seqCPU    time.Duration
	seqFailed int
	tasks     taskTimes
	seqTasks  taskTimes
}

func (t *total) wfPerSec() float64 { return float64(t.workflows) / t.wall.Seconds() }

func (t *total) cpuMsPerWF() float64 { return 1000 * t.cpu.Seconds() / float64(t.workflows) }

func newReport(cfg config, rounds []*roundResult, began time.Time, loadAtStart string) *report {
	r := &report{cfg: cfg, rounds: rounds, date: began, took: time.Since(began), totals: map[key]*total{},
		load: loadAtStart + " at start, " + loadAvg() + " at end"}
	for _, rr := range rounds {
		if rr.Error != "" {
			continue
		}
		k := key{rr.Workload, rr.Contender}
		t := r.totals[k]
		if t == nil {
			t = &total{}
			r.totals[k] = t
		}
		t.workflows += rr.N
		t.wall += rr.Wall
		t.cpu += rr.workerCPU()
		t.rss = max(t.rss, rr.workerRSS())
		t.latencies = append(t.latencies, rr.Latencies...)
		t.failed += rr.Failed
		t.seq = append(t.seq, rr.SeqLatencies...)
		t.seqN += rr.SeqN
		t.seqCPU += rr.seqCPU()
		t.seqFailed += rr.SeqFailed
		t.tasks.add(rr.Tasks)
		t.seqTasks.add(rr.SeqTasks)
	}
	for _, t := range r.totals {
		slices.Sort(t.latencies)
		slices.Sort(t.seq)
	}
	r.machine = machine()
	return r
}

// ran reports whether workload wl has results.
func (r *report) ran(wl string) bool {
	for k := range r.totals {
		if k.wl == wl {
			return true
		}
	}
	return false
}

// contenders lists the contenders with results for wl, in the fixed order.
func (r *report) contenders(wl string) []string {
	var out []string
	for _, c := range allContenders {
		if r.totals[key{wl, c}] != nil {
			out = append(out, c)
		}
	}
	return out
}

// paired compares contender c with the Go SDK worker round by round on
// workload wl: the median and range of the per-round ratios of f, and in
// how many rounds c's value was below the Go SDK's.
func (r *report) paired(wl, c string, f func(*roundResult) float64) (median, lo, hi float64, below, n int) {
	return r.pairedWith(wl, c, goSDK, f)
}

// pairedWith is paired against contender against instead of the Go SDK worker.
func (r *report) pairedWith(wl, c, against string, f func(*roundResult) float64) (median, lo, hi float64, below, n int) {
	base := map[int]*roundResult{}
	for _, rr := range r.rounds {
		if rr.Workload == wl && rr.Contender == against && rr.Error == "" {
			base[rr.Round] = rr
		}
	}
	var rs []float64
	for _, rr := range r.rounds {
		g := base[rr.Round]
		if rr.Workload != wl || rr.Contender != c || rr.Error != "" || g == nil || f(g) == 0 {
			continue
		}
		v := f(rr) / f(g)
		rs = append(rs, v)
		if v < 1 {
			below++
		}
	}
	if len(rs) == 0 {
		return 0, 0, 0, 0, 0
	}
	slices.Sort(rs)
	median = rs[len(rs)/2]
	if len(rs)%2 == 0 {
		median = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
	}
	return median, rs[0], rs[len(rs)-1], below, len(rs)
}

func wfPerSec(rr *roundResult) float64 { return float64(rr.N) / rr.Wall.Seconds() }

func cpuPerWF(rr *roundResult) float64 { return rr.workerCPU().Seconds() / float64(rr.N) }

func ratio(a, b float64) string {
	if b == 0 || a == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// verdict2 judges a target on the ratio over all rounds and on the
// per-round median: where they disagree, the run does not settle it.
func verdict2(all, median bool) string {
	switch {
	case all && median:
		return "met"
	case !all && !median:
		return "not met"
	}
	return "unclear (the two measures disagree)"
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

var workloadTitles = map[string]string{
	chain:      "Workload A: a chain of activities",
	timer:      "Workload B: a timer and a signal",
	activities: "activities only",
}

func (r *report) header(b *strings.Builder) {
	cfg := r.cfg
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("Generated by `make bench` on %s; the whole run (both sections) took %s. Do not edit between the markers: the next run replaces it.\n\n",
		r.date.UTC().Format("2006-01-02 15:04 MST"), r.took.Round(time.Second))
	p("- **Machine:** %s; 1-minute load average %s.\n", r.machine, r.load)
	parts := "the default 4 task queue partitions"
	if cfg.partitions > 0 {
		parts = fmt.Sprintf("%d task queue partition(s)", cfg.partitions)
	}
	p("- **Server:** one Temporal CLI dev server (%s) for every batch of every workload, SQLite in memory, one history shard, %s, log level warn", cliVersion(), parts)
	if cfg.serverDefaults && len(cfg.serverConfig) == 0 {
		p(", default dynamic config.\n")
	} else {
		dc := kvFlag{}
		if !cfg.serverDefaults {
			maps.Copy(dc, tunedServer)
		}
		maps.Copy(dc, cfg.serverConfig)
		p(", dynamic config `%s`.", strings.ReplaceAll(dc.String(), ",", "`, `"))
		if !cfg.serverDefaults {
			p(" Why: the stock dev server (one history shard) paces every task. It reads its transfer queue (which hands workflow and activity " +
				"tasks to matching) and its timer queue at most 20 times a second, so each task waits up to 50ms (a 10-activity chain took ~1050ms " +
				"at concurrency 1 on every contender); it makes timers due no earlier than ~1s from now, so a 100ms timer fired after ~1s; " +
				"a burst of 100 timers stalled some for 10s in the rate-limited timer queue; and with 4 partitions and 2 pollers a task now and then " +
				"waited ~2s in a partition no poller was on. Those waits are the same for every contender and swamp the worker's own latency. " +
				"`-server-defaults` runs the stock configuration.")
		}
		p("\n")
	}
	p("- **Sidecar:** %s, built with %s.\n", revision(), runtime.Version())
}

// workersMarkdown is the whole-worker section: workloads chain and timer.
func (r *report) workersMarkdown() string {
	if !r.ran(chain) && !r.ran(timer) {
		return ""
	}
	cfg := r.cfg
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	if cfg.section == "" || cfg.section == workersSection {
		p("## End to end: whole workers\n\n")
	} else {
		var names []string
		for _, c := range cfg.contenders {
			names = append(names, labels[c])
		}
		p("## End to end: whole workers, %s alone\n\n", strings.Join(names, ", "))
		p("A run of these contenders alone (`-contenders %s -section %s`), beside the full run's section above, which it leaves as it is; "+
			"compare within one section only.\n\n", strings.Join(cfg.contenders, ","), cfg.section)
	}
	r.header(&b)
	if r.python != "" {
		p("- **Python:** %s.\n", r.python)
	}
	if r.node != "" {
		p("- **Node:** %s.\n", r.node)
	}
	p("- **Driver:** one Go SDK client in `bench/cmd/bench` starts the workflows and waits for their results; it runs no worker. Latency is start request → result.\n")
	p("- **Workloads:**\n")
	if r.ran(chain) {
		p("  - *A, chain*: N=%d workflows `Chain` × K=%d sequential `Echo` activities, all N started at once. Each activity echoes the previous one's result "+
			"(a ~40-byte string) and has one attempt; the workflow returns the last result, which the driver checks.\n", cfg.N, cfg.K)
	}
	if r.ran(timer) {
		p("  - *B, timer + signal*: N=%d workflows `TimerSignal` started at once; each sleeps on a %dms timer, then waits for the signal `go`, which the "+
			"driver sends as soon as the start returns (so it usually arrives during the timer), and returns the signal's value.\n", cfg.N, cfg.TimerMS)
	}
	if cfg.Seq > 0 {
		p("  - *Concurrency 1*: after each batch the same worker processes run %d more workflows one at a time (%d per contender and workload in all).\n",
			cfg.seqPerRound(), cfg.seqPerRound()*cfg.Rounds)
	}
	p("  - %d unmeasured warm-up workflows, started at once, precede each batch.\n", cfg.Warmup)
	p("- **Contenders**, each in its own processes, the workflows and the activity in the worker, %d workflow task slots and %d activity slots, "+
		"%d workflow task pollers and %d activity task pollers, default sticky caches:\n", cfg.Capacity, cfg.Capacity, cfg.Pollers, cfg.Pollers)
	p("  - *%s*: `bench/cmd/goworker`, `worker.New` with `MaxConcurrentWorkflowTaskExecutionSize` and `MaxConcurrentActivityExecutionSize` %d, "+
		"`MaxConcurrentWorkflowTaskPollers` and `MaxConcurrentActivityTaskPollers` %d (the defaults), other options default; the workflows "+
		"in `bench/internal/workloads`.\n", labels[goSDK], cfg.Capacity, cfg.Pollers)
	p("  - *%s*: `bin/sidecar --max-concurrent-workflow-tasks %d --max-concurrent-activities %d --max-workflow-task-pollers %d "+
		"--max-activity-task-pollers %d --http-listen \"\"` on a unix socket, plus `bench/cmd/echoapp` (`internal/bridgetest`, capacity %d of each; "+
		"the workflows as scripted answers to activations, %d goroutines answering activations and %d answering activity tasks).\n",
		labels[sidecar], cfg.Capacity, cfg.Capacity, cfg.Pollers, cfg.Pollers, cfg.Capacity, cfg.AppWorkers, cfg.AppWorkers)
	p("  - *%s*: the same sidecar, plus `bench/python/sidecar_app.py`: a `temporal_sidecar.worker.Worker` with the workflows as "+
		"`@workflow.defn` classes (the client's own workflow runtime, `temporal_sidecar.workflow`) and an `async` `@activity.defn`, "+
		"`max_concurrent_workflow_tasks` and `max_concurrent_activities` %d.\n", labels[sidecarPy], cfg.Capacity)
	runner := "the default sandboxed workflow runner"
	if cfg.unsandboxed {
		runner = "`UnsandboxedWorkflowRunner`"
	}
	p("  - *%s*: `bench/python/temporalio_worker.py`: a `temporalio.worker.Worker` with the same workflow and activity code, %s, "+
		"`max_concurrent_workflow_tasks` and `max_concurrent_activities` %d, `max_concurrent_workflow_task_polls` and "+
		"`max_concurrent_activity_task_polls` %d.\n", labels[temporalioPy], runner, cfg.Capacity, cfg.Pollers)
	p("  - *%s*: the same sidecar (its flags as above, plus `--workflow-service-proxy`), plus the same `bench/python/temporalio_worker.py` "+
		"with `--sidecar`: the same Worker, options and code, whose client gets `temporal_sidecar.sdk.SidecarPlugin` (the one line an app "+
		"changes), so the Worker runs on the sidecar and the client talks to Temporal through the sidecar's WorkflowService proxy. "+
		"It is stopped before its sidecar (it drains its session, as temporalio drains sdk-core).\n", labels[temporalioSC])
	if slices.ContainsFunc(cfg.contenders, isTS) {
		p("  - *%s*: `clients/typescript/src/bench/worker.ts` (built to `dist/bench`, run with node): a `@temporalio/worker` `Worker.create` "+
			"with the same workflows (`./workflows`, bundled once per run and loaded by every worker) and activity, "+
			"`maxConcurrentWorkflowTaskExecutions` and `maxConcurrentActivityTaskExecutions` %d, `maxConcurrentWorkflowTaskPolls` and "+
			"`maxConcurrentActivityTaskPolls` %d, other options default (its sdk-core runs in the node process).\n", labels[tsNative], cfg.Capacity, cfg.Pollers)
		p("  - *%s*: the same sidecar (its flags as above, but `--bridge-listen 127.0.0.1:0`, a loopback TCP port, since sdk-core's client "+
			"dials no unix socket, plus `--workflow-service-proxy`), plus the same `worker.ts` with `--sidecar`: the same options and code, "+
			"`SidecarWorker.create` instead of `Worker.create` (the one line an app changes), its connection on the sidecar's WorkflowService "+
			"proxy. It is stopped before its sidecar (it drains its session, as the SDK drains sdk-core).\n", labels[tsSC])
	}
	p("- **Rounds:** %d. In each round every contender runs workload A, then every contender runs workload B; even rounds take the "+
		"contenders in reverse order (the dev server slows down as its database grows, and this spreads that evenly). "+
		"Each batch has a fresh task queue and fresh worker processes.\n", cfg.Rounds)
	p("- **Measured:** throughput = all workflows / all batch wall time; latency p50/p99 over all workflows of all rounds; " +
		"CPU = utime+stime from `/proc/<pid>/stat` of the worker-side processes (sidecar rows: sidecar + app) during the batches, per workflow; " +
		"peak RSS = `VmHWM` of those processes summed, highest round. Ratios (×) are to the Go SDK worker's row.\n")

	for _, wl := range []string{chain, timer} {
		if r.ran(wl) {
			r.workloadTable(&b, wl)
		}
	}
	r.adapterTable(&b, []string{chain, timer})
	r.latencyTable(&b)
	r.taskTable(&b, []string{chain, timer})
	r.plotsMarkdown(&b)
	r.cpuShares(&b, []string{chain, timer})
	r.perRound(&b, []string{chain, timer})
	r.anomalies(&b, []string{chain, timer})
	p("\n### How to run\n\n")
	p("```sh\n")
	p("make bench                                              # this page's numbers, 6-8 minutes on 2 cores\n")
	p("make bench BENCH_FLAGS=\"-contenders go-sdk,sidecar\"     # without the Python contenders (they need .venv: make venv)\n")
	p("make bench BENCH_FLAGS=-server-defaults                 # the stock dev server configuration\n")
	p("make bench BENCH_FLAGS=-perf                            # plus one perf-profiled chain batch per contender\n")
	p("make bench BENCH_FLAGS=\"-contenders go-sdk,temporalio-py,temporalio-adapter\"   # temporalio natively and through the adapter\n")
	p("make bench BENCH_FLAGS=\"-contenders go-sdk,ts-worker,ts-adapter\"   # @temporalio/worker natively and through the adapter\n")
	p("go run ./bench/cmd/bench -h                             # every flag\n")
	p("```\n\n")
	p("`make bench` builds the sidecar, the Go bridge app (`bench/cmd/echoapp`) and the Go SDK worker (`bench/cmd/goworker`) into " +
		"`bench/out/bin`; the Python contenders are `bench/python/*.py`, run with `.venv/bin/python`. It starts one dev server, runs the rounds, " +
		"and rewrites only the `bench:workers` and `bench:activities` sections of this file. The plots are drawn by `bench/plot` (its own Go " +
		"module, gonum/plot) and copied to `bench/results/` when each is under 100 KB (otherwise the summary CSV is). Process logs, activity " +
		"completion timelines, raw results (`results.json`) and perf reports go to `bench/out/logs`. Speed is measured here and never asserted in tests.\n")
	return b.String()
}

// workloadTable is the summary of one workload, with the DESIGN.md verdicts.
func (r *report) workloadTable(b *strings.Builder, wl string) {
	cfg := r.cfg
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	acts := cfg.activitiesPerWorkflow(wl)
	p("\n### %s\n\n", workloadTitles[wl])
	p("*throughput ×* and *CPU ×* are over all rounds (total workflows ÷ total wall time; total CPU ÷ total workflows), " +
		"to the Go SDK worker; *per round* is the median of the same ratios taken round by round (each contender against the Go SDK " +
		"batch of the same round), with their range, which one slow batch cannot swing.\n\n")
	if acts > 0 {
		p("| contender | workflows/s | activities/s | worker CPU ms/workflow | peak RSS MiB | p50 | p99 | throughput × | per round | CPU × | per round | RSS × | failed |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	} else {
		p("| contender | workflows/s | worker CPU ms/workflow | peak RSS MiB | p50 | p99 | throughput × | per round | CPU × | per round | RSS × | failed |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	}
	base := r.totals[key{wl, goSDK}]
	for _, c := range r.contenders(wl) {
		t := r.totals[key{wl, c}]
		var bwf, bcpu, brss float64
		if base != nil {
			bwf, bcpu, brss = base.wfPerSec(), base.cpuMsPerWF(), float64(base.rss)
		}
		p("| %s | %.1f | ", labels[c], t.wfPerSec())
		if acts > 0 {
			p("%.0f | ", t.wfPerSec()*float64(acts))
		}
		perRound := func(f func(*roundResult) float64) string {
			if c == goSDK {
				return "1.00×"
			}
			m, lo, hi, _, n := r.paired(wl, c, f)
			if n == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f× (%.2f–%.2f)", m, lo, hi)
		}
		p("%.2f | %.1f | %s | %s | %s | %s | %s | %s | %s | %d |\n", t.cpuMsPerWF(), float64(t.rss)/(1<<20),
			ms(percentile(t.latencies, 50)), ms(percentile(t.latencies, 99)),
			ratio(t.wfPerSec(), bwf), perRound(wfPerSec), ratio(t.cpuMsPerWF(), bcpu), perRound(cpuPerWF), ratio(float64(t.rss), brss), t.failed+t.seqFailed)
	}
	if s, g := r.totals[key{wl, sidecar}], base; s != nil && g != nil {
		tp, cpu := s.wfPerSec()/g.wfPerSec(), s.cpuMsPerWF()/g.cpuMsPerWF()
		tpm, _, _, tpBelow, n := r.paired(wl, sidecar, wfPerSec)
		cpum, _, _, cpuBelow, _ := r.paired(wl, sidecar, cpuPerWF)
		p("\nDESIGN.md targets, %s ÷ %s: throughput ≥ 1.0× — **%s** (%.2f× over all rounds; per round median %.2f×, ahead in %d of %d rounds); "+
			"worker-side CPU per workflow ≤ 1.0× — **%s** (%.2f× over all rounds; per round median %.2f×, less CPU in %d of %d rounds).\n",
			labels[sidecar], labels[goSDK], verdict2(tp >= 1, tpm >= 1), tp, tpm, n-tpBelow, n, verdict2(cpu <= 1, cpum <= 1), cpu, cpum, cpuBelow, n)
	}
	if idle := r.idleSidecarRSS(wl); idle > 0 {
		p("\nDESIGN.md target, idle RSS of the sidecar process under 30 MiB — **%s** (%.1f MiB at most, VmRSS once the app has registered and before any work).\n",
			verdict(idle < 30<<20), float64(idle)/(1<<20))
	}
	if s, t := r.totals[key{wl, sidecarPy}], r.totals[key{wl, temporalioPy}]; s != nil && t != nil {
		p("\nPython against Python, %s ÷ %s: throughput %s, worker-side CPU per workflow %s, peak RSS %s.\n",
			labels[sidecarPy], labels[temporalioPy], ratio(s.wfPerSec(), t.wfPerSec()), ratio(s.cpuMsPerWF(), t.cpuMsPerWF()),
			ratio(float64(s.rss), float64(t.rss)))
	}
	r.adapterVerdict(b, wl)
}

// adapterPair is an SDK adapter contender and the same SDK running natively.
type adapterPair struct {
	adapter, native string
	// proc names the SDK's process in roundResult.CPU, the same in both.
	proc string
	// sdk names the SDK.
	sdk string
	// title heads the pair's comparison section.
	title string
	// intro is the section's opening paragraph.
	intro string
}

var adapterPairs = []adapterPair{
	{
		adapter: temporalioSC, native: temporalioPy, proc: "temporalio", sdk: "temporalio",
		title: "The temporalio adapter against native temporalio",
		intro: labels[temporalioSC] + " runs `bench/python/temporalio_worker.py`, the script of " + labels[temporalioPy] + ", with `--sidecar`: " +
			"its one difference is the client plugin `temporal_sidecar.sdk.SidecarPlugin`, so the same `temporalio.worker.Worker` (sandbox, " +
			"workflow and activity code, options) gets its activations and activity tasks from the sidecar instead of from sdk-core inside the " +
			"process. Ratios are adapter ÷ native temporalio",
	},
	{
		adapter: tsSC, native: tsNative, proc: "node", sdk: "@temporalio/worker",
		title: "The @temporalio/worker adapter against native @temporalio/worker",
		intro: labels[tsSC] + " runs `clients/typescript/src/bench/worker.ts`, the script of " + labels[tsNative] + ", with `--sidecar`: " +
			"its one difference is `SidecarWorker.create` for `Worker.create` (with its connection on the sidecar's WorkflowService proxy), so " +
			"the same Worker (workflow bundle and isolates, activity code, options) gets its activations and activity tasks from the sidecar " +
			"instead of from sdk-core inside the node process. Native's node process includes its sdk-core threads. Ratios are adapter ÷ native " +
			"@temporalio/worker",
	},
}

// adapterVerdict judges each SDK adapter against the same SDK natively on
// wl: the DESIGN.md targets for an adapter (the language layer is the same,
// the sidecar replaces sdk-core).
func (r *report) adapterVerdict(b *strings.Builder, wl string) {
	for _, ap := range adapterPairs {
		a, n := r.totals[key{wl, ap.adapter}], r.totals[key{wl, ap.native}]
		if a == nil || n == nil {
			continue
		}
		tp, cpu := a.wfPerSec()/n.wfPerSec(), a.cpuMsPerWF()/n.cpuMsPerWF()
		tpm, tplo, tphi, tpBelow, rounds := r.pairedWith(wl, ap.adapter, ap.native, wfPerSec)
		cpum, cpulo, cpuhi, cpuBelow, _ := r.pairedWith(wl, ap.adapter, ap.native, cpuPerWF)
		fmt.Fprintf(b, "\nDESIGN.md targets for an adapter, %s ÷ %s (the same workflow and activity code): throughput ≥ 1.0× — **%s** "+
			"(%.2f× over all rounds; per round median %.2f× (%.2f–%.2f), ahead in %d of %d rounds); worker-side CPU per workflow ≤ 1.0× — **%s** "+
			"(%.2f× over all rounds; per round median %.2f× (%.2f–%.2f), less CPU in %d of %d rounds). Where its CPU goes: see *%s*.\n",
			labels[ap.adapter], labels[ap.native], verdict2(tp >= 1, tpm >= 1), tp, tpm, tplo, tphi, rounds-tpBelow, rounds,
			verdict2(cpu <= 1, cpum <= 1), cpu, cpum, cpulo, cpuhi, cpuBelow, rounds, ap.title)
	}
}

// procCPU is the CPU of worker-side process proc of contender c on wl over
// all rounds, per workflow of the batches, in ms; seq is the same for the
// sequential runs (per sequential workflow).
func (r *report) procCPU(wl, c, proc string) (batch, seq float64) {
	var cpu, seqCPU time.Duration
	var n, seqN int
	for _, rr := range r.rounds {
		if rr.Workload != wl || rr.Contender != c || rr.Error != "" {
			continue
		}
		cpu += rr.CPU[proc]
		n += rr.N
		seqCPU += rr.SeqCPU[proc]
		seqN += rr.SeqN
	}
	if n > 0 {
		batch = 1000 * cpu.Seconds() / float64(n)
	}
	if seqN > 0 {
		seq = 1000 * seqCPU.Seconds() / float64(seqN)
	}
	return batch, seq
}

// adapterTable compares each SDK adapter with the same SDK natively,
// workload by workload, and splits the adapter's CPU between the sidecar
// and the SDK's process.
func (r *report) adapterTable(b *strings.Builder, wls []string) {
	for _, ap := range adapterPairs {
		r.adapterPairTable(b, ap, wls)
	}
}

func (r *report) adapterPairTable(b *strings.Builder, ap adapterPair, wls []string) {
	var ran []string
	for _, wl := range wls {
		if r.totals[key{wl, ap.adapter}] != nil && r.totals[key{wl, ap.native}] != nil {
			ran = append(ran, wl)
		}
	}
	if len(ran) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("\n### %s\n\n", ap.title)
	p("%s; *per round* is their median over the rounds, each adapter batch against the native batch of the same round, with the range. "+
		"The CPU split is over all rounds. The machine has 2 cores and other work ran on it during the run, so only ratios taken side by side "+
		"in this run mean anything; absolute times move from run to run.\n\n", ap.intro)
	p("| | %s |\n|---|%s\n", strings.Join(mapTitles(ran), " | "), strings.Repeat("--:|", len(ran)))
	row := func(name string, f func(wl string) string) {
		p("| %s |", name)
		for _, wl := range ran {
			p(" %s |", f(wl))
		}
		p("\n")
	}
	a := func(wl string) *total { return r.totals[key{wl, ap.adapter}] }
	n := func(wl string) *total { return r.totals[key{wl, ap.native}] }
	perRound := func(wl string, f func(*roundResult) float64) string {
		m, lo, hi, _, k := r.pairedWith(wl, ap.adapter, ap.native, f)
		if k == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f× (%.2f–%.2f)", m, lo, hi)
	}
	sdk := ap.proc
	row("throughput ×, all rounds", func(wl string) string { return ratio(a(wl).wfPerSec(), n(wl).wfPerSec()) })
	row("throughput ×, per round", func(wl string) string { return perRound(wl, wfPerSec) })
	row("worker CPU per workflow ×, all rounds", func(wl string) string { return ratio(a(wl).cpuMsPerWF(), n(wl).cpuMsPerWF()) })
	row("worker CPU per workflow ×, per round", func(wl string) string { return perRound(wl, cpuPerWF) })
	row(fmt.Sprintf("native %s: process CPU ms/workflow", ap.sdk), func(wl string) string { return fmt.Sprintf("%.2f", n(wl).cpuMsPerWF()) })
	row(fmt.Sprintf("adapter: worker CPU ms/workflow (sidecar + %s process)", sdk), func(wl string) string { return fmt.Sprintf("%.2f", a(wl).cpuMsPerWF()) })
	row("adapter: sidecar ms/workflow (share of the adapter's)", func(wl string) string {
		sc, _ := r.procCPU(wl, ap.adapter, "sidecar")
		return fmt.Sprintf("%.2f (%.0f%%)", sc, 100*sc/a(wl).cpuMsPerWF())
	})
	row(fmt.Sprintf("adapter: %s process ms/workflow (share)", sdk), func(wl string) string {
		v, _ := r.procCPU(wl, ap.adapter, ap.proc)
		return fmt.Sprintf("%.2f (%.0f%%)", v, 100*v/a(wl).cpuMsPerWF())
	})
	row(fmt.Sprintf("adapter's %s process ÷ native %s process", sdk, sdk), func(wl string) string {
		v, _ := r.procCPU(wl, ap.adapter, ap.proc)
		return ratio(v, n(wl).cpuMsPerWF())
	})
	row(fmt.Sprintf("adapter's sidecar ÷ native %s process", sdk), func(wl string) string {
		sc, _ := r.procCPU(wl, ap.adapter, "sidecar")
		return ratio(sc, n(wl).cpuMsPerWF())
	})
	row(fmt.Sprintf("at c=1: worker CPU ms/workflow, adapter (sidecar + %s) / native", sdk), func(wl string) string {
		if a(wl).seqN == 0 || n(wl).seqN == 0 {
			return "–"
		}
		_, scSeq := r.procCPU(wl, ap.adapter, "sidecar")
		_, appSeq := r.procCPU(wl, ap.adapter, ap.proc)
		_, nSeq := r.procCPU(wl, ap.native, ap.proc)
		return fmt.Sprintf("%.2f (%.2f + %.2f) / %.2f", scSeq+appSeq, scSeq, appSeq, nSeq)
	})
	row("latency p50 ×, c=100", func(wl string) string {
		return ratio(float64(percentile(a(wl).latencies, 50)), float64(percentile(n(wl).latencies, 50)))
	})
	row("latency p50 ×, c=1", func(wl string) string {
		if len(a(wl).seq) == 0 || len(n(wl).seq) == 0 {
			return "–"
		}
		return ratio(float64(percentile(a(wl).seq, 50)), float64(percentile(n(wl).seq, 50)))
	})
	row(fmt.Sprintf("peak RSS MiB, adapter (sidecar + %s) / native", sdk), func(wl string) string {
		return fmt.Sprintf("%.1f / %.1f", float64(a(wl).rss)/(1<<20), float64(n(wl).rss)/(1<<20))
	})
}

func mapTitles(wls []string) []string {
	out := make([]string, len(wls))
	for i, wl := range wls {
		out[i] = workloadTitles[wl]
	}
	return out
}

// idleSidecarRSS is the largest idle RSS of the sidecar process over the
// workload's rounds; 0 if none was read.
func (r *report) idleSidecarRSS(wl string) int64 {
	var most int64
	for _, rr := range r.rounds {
		if rr.Workload == wl {
			most = max(most, rr.IdleRSS["sidecar"])
		}
	}
	return most
}

// latencyTable puts latency at concurrency 1 next to latency with all N at once.
func (r *report) latencyTable(b *strings.Builder) {
	cfg := r.cfg
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	var wls []string
	for _, wl := range []string{chain, timer} {
		if r.ran(wl) {
			wls = append(wls, wl)
		}
	}
	p("\n### Latency: one workflow at a time and %d at once\n\n", cfg.N)
	p("Start request → result. *c=1*: the sequential workflows after each batch (the worker otherwise idle); *c=%d*: the batch. "+
		"The ratio in parentheses is to the Go SDK worker. *CPU at c=1* is the worker side's CPU per workflow during the sequential runs, idle polling included.\n\n", cfg.N)
	p("| contender |")
	for _, wl := range wls {
		letter := map[string]string{chain: "A", timer: "B"}[wl]
		p(" %s c=1 p50 | %s c=1 p99 | %s CPU ms/wf at c=1 | %s c=%d p50 | %s c=%d p99 |", letter, letter, letter, letter, cfg.N, letter, cfg.N)
	}
	p("\n|---|%s\n", strings.Repeat("--:|", 5*len(wls)))
	for _, c := range allContenders {
		has := false
		for _, wl := range wls {
			has = has || r.totals[key{wl, c}] != nil
		}
		if !has {
			continue
		}
		p("| %s |", labels[c])
		for _, wl := range wls {
			t, base := r.totals[key{wl, c}], r.totals[key{wl, goSDK}]
			if t == nil {
				p(" | | | | |")
				continue
			}
			cell := func(lat []time.Duration, blat []time.Duration, q float64) string {
				if len(lat) == 0 {
					return "–"
				}
				v := percentile(lat, q)
				if c == goSDK || len(blat) == 0 {
					return ms(v)
				}
				return fmt.Sprintf("%s (%s)", ms(v), ratio(float64(v), float64(percentile(blat, q))))
			}
			var bseq, blat []time.Duration
			if base != nil {
				bseq, blat = base.seq, base.latencies
			}
			seqCPU := "–"
			if t.seqN > 0 {
				seqCPU = fmt.Sprintf("%.2f", 1000*t.seqCPU.Seconds()/float64(t.seqN))
			}
			p(" %s | %s | %s | %s | %s |", cell(t.seq, bseq, 50), cell(t.seq, bseq, 99), seqCPU, cell(t.latencies, blat, 50), cell(t.latencies, blat, 99))
		}
		p("\n")
	}
}

// taskTable says where the tasks of sampled workflows spent their time.
func (r *report) taskTable(b *strings.Builder, wls []string) {
	cfg := r.cfg
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	var rows []string
	for _, wl := range wls {
		for _, c := range r.contenders(wl) {
			t := r.totals[key{wl, c}]
			if t.tasks.Workflows == 0 {
				continue
			}
			per := func(d time.Duration, n int) string {
				if n == 0 {
					return "–"
				}
				return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000/float64(n))
			}
			row := fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", workloadTitles[wl][:min(len(workloadTitles[wl]), 10)], labels[c],
				per(t.tasks.WFTQueued, t.tasks.WFTs), per(t.tasks.WFTWorker, t.tasks.WFTs), per(t.tasks.ATQueued, t.tasks.ATs), per(t.tasks.ATWorker, t.tasks.ATs))
			if t.seqTasks.Workflows > 0 {
				row += fmt.Sprintf(" %s | %s | %s | %s |", per(t.seqTasks.WFTQueued, t.seqTasks.WFTs), per(t.seqTasks.WFTWorker, t.seqTasks.WFTs),
					per(t.seqTasks.ATQueued, t.seqTasks.ATs), per(t.seqTasks.ATWorker, t.seqTasks.ATs))
			} else {
				row += " – | – | – | – |"
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return
	}
	p("\n### Where the tasks spent their time\n\n")
	p("Mean milliseconds per task, from the histories of 10 workflows spread over each batch (*c=%d*) and of every sequential workflow (*c=1*): "+
		"*queued* is SCHEDULED → STARTED, the task waiting on its task queue until a poller of the worker took it (with the server's own "+
		"dispatch time); *in worker* is STARTED → COMPLETED, the worker running it and reporting the result. WFT = workflow task, AT = activity task.\n\n", cfg.N)
	p("| workload | contender | c=%d WFT queued | WFT in worker | AT queued | AT in worker | c=1 WFT queued | WFT in worker | AT queued | AT in worker |\n", cfg.N)
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, row := range rows {
		p("%s\n", row)
	}
}

func (r *report) plotsMarkdown(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	pl := r.plots
	switch {
	case len(pl.committed) > 0:
		p("\n### Plots\n\n")
		for _, f := range pl.committed {
			p("![%s](%s)\n\n", f.title, f.path)
		}
		p("The numbers behind them: `%s` (not committed).\n", pl.csv)
	case pl.committedCSV != "":
		p("\nThe plots were over 100 KB, so they are not committed (they are in `%s`); the numbers behind them are in `%s`.\n", pl.dir, pl.committedCSV)
	case len(pl.rendered) > 0:
		p("\nPlots (not committed): %s.\n", strings.Join(quoteAll(pl.rendered), ", "))
	case pl.csv != "":
		p("\nNo plots were rendered (%s); the numbers are in `%s`.\n", pl.err, pl.csv)
	}
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = "`" + v + "`"
	}
	return out
}

// cpuShares says where the machine's CPU went during the batches of wls.
func (r *report) cpuShares(b *strings.Builder, wls []string) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	var lines []string
	for _, wl := range wls {
		var server, driver, workers, other, wall time.Duration
		for _, rr := range r.rounds {
			if rr.Workload != wl {
				continue
			}
			server += rr.ServerCPU
			driver += rr.DriverCPU
			workers += rr.workerCPU()
			other += max(0, rr.OtherCPU)
			wall += rr.Wall
		}
		busy := server + driver + workers + other
		if busy <= 0 {
			continue
		}
		pct := func(d time.Duration) float64 { return 100 * d.Seconds() / busy.Seconds() }
		lines = append(lines, fmt.Sprintf("%s: %.2f of %d cores busy on average; dev server %.0f%%, driver %.0f%%, worker side %.0f%%, other processes %.0f%%",
			workloadTitles[wl], busy.Seconds()/wall.Seconds(), runtime.NumCPU(), pct(server), pct(driver), pct(workers), pct(other)))
	}
	if len(lines) == 0 {
		return
	}
	p("\n### Where the CPU went during the batches\n\n")
	for _, l := range lines {
		p("- %s.\n", l)
	}
	p("\nThe dev server takes most of the machine, and with all N workflows started at once the tasks spend most of their time queued " +
		"(see *Where the tasks spent their time*): throughput follows how fast the server dispatches tasks and the worker's 2 pollers per " +
		"task kind take them, more than the worker's CPU, and noise from other processes moves it. Worker-side CPU per workflow is the " +
		"sharper measure of the workers' own cost.\n")
}

// perRound is the per-batch table of wls, folded away.
func (r *report) perRound(b *strings.Builder, wls []string) {
	cfg := r.cfg
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("\n<details><summary>Per batch</summary>\n\n")
	p("CPU and RSS are split by process where there are two. Server and driver CPU are the dev server's and the driver's during the batch, " +
		"for context; *other processes* is the CPU everything else on the machine used meanwhile, in cores (noise from outside the benchmark). " +
		"*Longest gap* is the longest time between two consecutive activity completions in the worker during the batch: a stall shows there. " +
		"*c=1* columns are the sequential workflows after the batch. *Slowest* is the slowest workflow of the batch (and of the sequential runs): " +
		"its latency, then the longest gap between two consecutive events of its history, which shows where it waited " +
		"(SCHEDULED→STARTED: a task waiting on its queue, for a poller or the server; STARTED→COMPLETED: the worker working on it).\n\n")
	p("| round | workload | contender | wall s | workflows/s | p50 | p99 | worker CPU ms/wf | peak RSS MiB | server CPU ms/wf | driver CPU ms/wf | other processes, cores | longest gap | slowest | c=1 p50 | c=1 p99 | slowest at c=1 | log warn/error | exit after SIGTERM | failed |\n")
	p("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|---|--:|--:|--:|\n")
	for _, rr := range r.rounds {
		if !slices.Contains(wls, rr.Workload) {
			continue
		}
		if rr.Error != "" {
			p("| %d | %s | %s | did not run (see below) |%s\n", rr.Round, rr.Workload, labels[rr.Contender], strings.Repeat(" |", 16))
			continue
		}
		n := float64(rr.N)
		perWF := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
		cpu := fmt.Sprintf("%.2f", perWF(rr.workerCPU()))
		rss := fmt.Sprintf("%.1f", float64(rr.workerRSS())/(1<<20))
		var warn, errs int
		for _, lp := range rr.Problems {
			warn += lp.Warnings
			errs += lp.Errors
		}
		names := procNames(rr)
		if len(names) > 1 {
			var cs, rs []string
			for _, nm := range names {
				cs = append(cs, fmt.Sprintf("%s %.2f", nm, perWF(rr.CPU[nm])))
				rs = append(rs, fmt.Sprintf("%s %.1f", nm, float64(rr.PeakRSS[nm])/(1<<20)))
			}
			cpu += " (" + strings.Join(cs, " + ") + ")"
			rss += " (" + strings.Join(rs, " + ") + ")"
		}
		var exits []string
		for _, nm := range names {
			exits = append(exits, fmt.Sprintf("%.1fs", rr.Shutdown[nm].Seconds()))
		}
		gap := "–"
		if cfg.activitiesPerWorkflow(rr.Workload) > 0 {
			gap = ms(rr.MaxGap)
		}
		seq50, seq99, seqSlow := "–", "–", "–"
		if rr.SeqN > 0 {
			seq50, seq99 = ms(percentile(rr.SeqLatencies, 50)), ms(percentile(rr.SeqLatencies, 99))
			seqSlow = ms(rr.SeqLatencies[len(rr.SeqLatencies)-1]) + ": " + rr.SeqSlowGap.String()
		}
		slow := ms(rr.SlowestLat) + ": " + rr.SlowestGap.String()
		p("| %d | %s | %s | %.2f | %.1f | %s | %s | %s | %s | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s | %d/%d | %s | %d |\n",
			rr.Round, rr.Workload, labels[rr.Contender], rr.Wall.Seconds(), n/rr.Wall.Seconds(),
			ms(percentile(rr.Latencies, 50)), ms(percentile(rr.Latencies, 99)), cpu, rss,
			perWF(rr.ServerCPU), perWF(rr.DriverCPU), max(0, rr.OtherCPU.Seconds()/rr.Wall.Seconds()),
			gap, slow, seq50, seq99, seqSlow, warn, errs, strings.Join(exits, " / "), rr.Failed+rr.SeqFailed)
	}
	p("\n</details>\n")
}

// anomalies lists log lines at WARN or above, failures and lost activities.
func (r *report) anomalies(b *strings.Builder, wls []string) {
	cfg := r.cfg
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	var notes []string
	for _, rr := range r.rounds {
		if !slices.Contains(wls, rr.Workload) {
			continue
		}
		where := fmt.Sprintf("round %d %s %s", rr.Round, rr.Workload, labels[rr.Contender])
		if rr.Error != "" {
			notes = append(notes, fmt.Sprintf("%s: **the batch did not run**: %s", where, firstLine(rr.Error)))
			continue
		}
		for _, nm := range procNames(rr) {
			if lp := rr.Problems[nm]; len(lp.Messages) > 0 {
				notes = append(notes, fmt.Sprintf("%s, %s: %d warnings, %d errors: %s", where, nm, lp.Warnings, lp.Errors,
					strings.Join(lp.Messages, "; ")))
			}
		}
		for _, e := range rr.StopErrs {
			notes = append(notes, fmt.Sprintf("%s: %s", where, e))
		}
		if rr.FirstErr != "" {
			notes = append(notes, fmt.Sprintf("%s: %d workflows failed; first: %s", where, rr.Failed, rr.FirstErr))
		}
		if rr.SeqFirstErr != "" {
			notes = append(notes, fmt.Sprintf("%s: %d sequential workflows failed; first: %s", where, rr.SeqFailed, rr.SeqFirstErr))
		}
		if want := rr.N * cfg.activitiesPerWorkflow(rr.Workload); want > 0 && rr.Completions != want {
			notes = append(notes, fmt.Sprintf("%s: the worker answered %d activities during the batch, want %d", where, rr.Completions, want))
		}
	}
	if len(notes) > 0 {
		p("\nLog lines at WARN or above and other anomalies:\n\n")
		for _, n := range notes {
			p("- %s\n", n)
		}
	} else {
		p("\nNo worker process logged a warning or error, every workflow succeeded and every worker exited cleanly.\n")
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// activitiesMarkdown is the activity-only section: the workflows in the
// driver, the activity in the contender.
func (r *report) activitiesMarkdown() string {
	if !r.ran(activities) {
		return ""
	}
	cfg := r.cfg
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## End to end: activities only\n\n")
	p("The first version of this benchmark, kept as a second table: the contenders run only the activity, and the workflows run in a Go SDK worker " +
		"(`LocalActivityWorkerOnly`, default options) in the driver process, on the contender's task queue. It isolates the activity path.\n\n")
	r.header(&b)
	p("- **Workload:** N=%d workflows `EchoChain` × K=%d sequential `Echo` activities (a ~40-byte string, echoed back; one attempt each), all N started at once; "+
		"%d warm-up workflows before each batch; latency is start request → result.\n", cfg.N, cfg.K, cfg.Warmup)
	p("- **Contenders:** as in the whole-worker section, with %d activity slots and %d activity task pollers, but registering only the activity "+
		"(`goworker -activities-only`, which sets `DisableWorkflowWorker`; `echoapp -activities-only`). The rounds run after each round's "+
		"whole-worker batches, in the same alternating order.\n", cfg.Capacity, cfg.Pollers)
	p("- **Measured:** as in the whole-worker section; the driver's CPU here includes the workflows.\n")
	r.workloadTable(&b, activities)
	r.taskTable(&b, []string{activities})
	r.cpuShares(&b, []string{activities})
	r.perRound(&b, []string{activities})
	r.anomalies(&b, []string{activities})
	return b.String()
}

// procNames lists a round's worker processes in a fixed order.
func procNames(rr *roundResult) []string {
	var names []string
	for _, n := range []string{"goworker", "temporalio", "node", "sidecar", "echoapp", "pyapp"} {
		if _, ok := rr.CPU[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// machine describes the host: CPU count and model, memory, kernel.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for l := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for l := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				if _, err := fmt.Sscan(rest, &kb); err == nil {
					mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
				}
			}
		}
	}
	kernel := ""
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = ", Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("nproc %d, %s%s%s", runtime.NumCPU(), model, mem, kernel)
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// revision is the sidecar's git commit, marked when the tree has changes.
func revision() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "commit unknown"
	}
	rev := "commit " + strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += " with uncommitted changes"
	}
	return rev
}

// cliVersion asks the Temporal CLI the devserver package uses for its version.
func cliVersion() string {
	bin := os.Getenv("TEMPORAL_CLI")
	if bin == "" {
		bin = "temporal"
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "version unknown"
	}
	return strings.TrimSpace(string(out))
}

// nodeVersions names node and the @temporalio/worker the TypeScript
// contenders run.
func nodeVersions(cfg config) string {
	if !slices.ContainsFunc(cfg.contenders, isTS) {
		return ""
	}
	out, err := exec.Command(cfg.node, "-e",
		"const p = require.resolve('@temporalio/worker/package.json', { paths: [process.argv[1]] }); "+
			"console.log(`node ${process.versions.node}, @temporalio/worker ${require(p).version}`)", cfg.tsDir).Output()
	if err != nil {
		return "versions unknown"
	}
	return strings.TrimSpace(string(out))
}

// pythonVersions names the interpreter and the packages the Python
// contenders use.
func pythonVersions(cfg config) string {
	if !slices.ContainsFunc(cfg.contenders, isPython) {
		return ""
	}
	out, err := exec.Command(cfg.python, "-c",
		"import sys, importlib.metadata as m, temporal_sidecar as t; "+
			"print('CPython %d.%d.%d, temporalio %s, temporal_sidecar %s, protobuf %s, grpcio %s' % "+
			"(*sys.version_info[:3], m.version('temporalio'), t.__version__, m.version('protobuf'), m.version('grpcio')))").Output()
	if err != nil {
		return "versions unknown"
	}
	return strings.TrimSpace(string(out))
}

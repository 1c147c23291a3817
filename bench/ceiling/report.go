package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The markers around this program's section of BENCHMARKS.md.
const (
	startMarker = "<!-- bench:ceiling:start -->"
	endMarker   = "<!-- bench:ceiling:end -->"
)

// DESIGN.md's targets for the bridge ceiling.
const (
	targetActivities  = 50000.0
	targetActivations = 20000.0
	targetP50         = 100 * time.Microsecond
	targetHeapPerRun  = 10 * 1024.0
)

type report struct {
	cfg               config
	started, finished time.Time
	throughput        []cellResult
	latency           []cellResult
	history           []histPoint
	heap              []heapPoint
	profiles          []profileSummary
	plots             []string
}

type profileSummary struct {
	Kind, Path string
	Top        []topEntry
	Groups     []groupCost
	Err        string
}

// groupCost is the cumulative share of a few named functions.
type groupCost struct {
	Label string
	Pct   float64
}

// costGroups are the cumulative costs the report names. They overlap (the
// protobuf share includes its allocations, for one), so they do not add up.
var costGroups = []struct {
	label string
	funcs []string
}{
	{"GC: background marking + allocation assists", []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc"}},
	{"all heap allocation (runtime.mallocgc, assists included)", []string{"runtime.mallocgc"}},
	{"protobuf encode + decode in gRPC, sidecar and app", []string{"google.golang.org/grpc/encoding/proto.(*codecV2).Marshal", "google.golang.org/grpc/encoding/proto.(*codecV2).Unmarshal"}},
	{"the in-process apps (bridgetest reader + answering goroutines)", []string{"internal/bridgetest.(*App).read", "main.(*app).serve"}},
	{"the fake frontend", []string{"fake.(*Frontend).PollActivityTaskQueue", "fake.(*Frontend).PollWorkflowTaskQueue", "fake.(*Frontend).RespondWorkflowTaskCompleted", "fake.(*Frontend).RespondActivityTaskCompleted"}},
	{"sidecar bridge stream writer (Server.write)", []string{"internal/bridge.(*Server).write"}},
	{"sidecar bridge stream reader + completion handling (Server.read)", []string{"internal/bridge.(*Server).read"}},
	{"workflow engine, one goroutine per task (Engine.Deliver.func1)", []string{"internal/workflow.(*Engine).Deliver.func1"}},
	{"activity dispatch + respond (Dispatcher.Deliver, Complete.func1)", []string{"internal/activity.(*Dispatcher).Deliver", "internal/activity.(*Dispatcher).Complete.func1"}},
	{"pollers (poller.loop)", []string{"internal/poller.(*Poller[go.shape.*uint8]).loop"}},
	{"credit-release wake-ups (bridge Server.notify)", []string{"internal/bridge.(*Server).notify"}},
	{"context.WithTimeout per RPC and poll", []string{"context.WithTimeout"}},
	{"goroutine scheduling (runtime.schedule)", []string{"runtime.schedule"}},
}

type topEntry struct {
	Name            string
	FlatPct, CumPct string
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// profileTop runs go tool pprof -top on a CPU profile, keeps its output next
// to the profile (flat and cumulative) and returns the top flat entries.
func profileTop(kind, path string) profileSummary {
	s := profileSummary{Kind: kind, Path: path}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	flat, err := exec.CommandContext(ctx, goTool(), "tool", "pprof", "-top", "-nodecount=40", path).Output()
	if err != nil {
		s.Err = err.Error()
		return s
	}
	_ = os.WriteFile(strings.TrimSuffix(path, ".pprof")+".top.txt", flat, 0o644)
	if cum, err := exec.CommandContext(ctx, goTool(), "tool", "pprof", "-top", "-cum", "-nodecount=600", path).Output(); err == nil {
		_ = os.WriteFile(strings.TrimSuffix(path, ".pprof")+".cum.txt", cum, 0o644)
		s.Groups = groups(string(cum))
	}
	sc := bufio.NewScanner(strings.NewReader(string(flat)))
	table := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 5 && f[0] == "flat" && f[1] == "flat%" {
			table = true
			continue
		}
		if !table || len(f) < 6 {
			continue
		}
		s.Top = append(s.Top, topEntry{Name: strings.Join(f[5:], " "), FlatPct: f[1], CumPct: f[4]})
		if len(s.Top) == 8 {
			break
		}
	}
	return s
}

// groups sums the cum% of each cost group's functions in a -top -cum listing.
func groups(listing string) []groupCost {
	cum := map[string]float64{}
	for _, line := range strings.Split(listing, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[4], "%") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		if err != nil {
			continue
		}
		cum[strings.Join(f[5:], " ")] = v
	}
	var out []groupCost
	for _, g := range costGroups {
		var sum float64
		for _, fn := range g.funcs {
			for name, v := range cum {
				if name == fn || strings.HasSuffix(name, "/"+fn) {
					sum += v
				}
			}
		}
		out = append(out, groupCost{Label: g.label, Pct: sum})
	}
	return out
}

// renderPlots runs the plotting module (its own go.mod, so the main module
// does not depend on gonum/plot) over the CSV files.
func renderPlots(out string) []string {
	dir := filepath.Join("bench", "ceiling", "plot")
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		logf("plots skipped: %s not found (run from the repository root)", dir)
		return nil
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool(), "run", ".", abs)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	b, err := cmd.CombinedOutput()
	if err != nil {
		logf("plots skipped (CSV files are in %s): %v: %s", out, err, strings.TrimSpace(string(b)))
		return nil
	}
	var pngs []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasSuffix(line, ".png") {
			pngs = append(pngs, "`"+filepath.Join(out, filepath.Base(line))+"`")
		}
	}
	return pngs
}

func (r *report) writeCSV() error {
	write := func(name string, header []string, rows [][]string) error {
		if len(rows) == 0 {
			return nil
		}
		f, err := os.Create(filepath.Join(r.cfg.out, name))
		if err != nil {
			return err
		}
		w := csv.NewWriter(f)
		_ = w.Write(header)
		_ = w.WriteAll(rows)
		return errors.Join(w.Error(), f.Close())
	}
	ff := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	var rows [][]string
	for _, c := range r.throughput {
		rows = append(rows, []string{c.Kind, c.Transport, strconv.Itoa(c.Sessions), strconv.Itoa(c.InFlight), ff(c.Duration.Seconds()),
			strconv.FormatInt(c.Ops, 10), ff(c.Rate), ff(c.Cores()), ff(us(c.CPUPerOp())), ff(us(c.P50)), ff(us(c.P99))})
	}
	if err := write("throughput.csv", []string{"kind", "transport", "sessions", "inflight", "duration_s", "ops", "ops_per_s",
		"cpu_cores", "cpu_us_per_op", "p50_us", "p99_us"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, c := range r.latency {
		rows = append(rows, []string{c.Kind, c.Transport, ff(us(c.P50)), ff(us(c.P99)), ff(us(c.Mean)), strconv.Itoa(c.Samples), ff(c.Rate)})
	}
	if err := write("latency.csv", []string{"kind", "transport", "p50_us", "p99_us", "mean_us", "samples", "ops_per_s"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, p := range r.history {
		rows = append(rows, []string{strconv.Itoa(p.Events), strconv.Itoa(p.Runs), strconv.Itoa(p.Samples), ff(us(p.P50)), ff(us(p.P99)),
			ff(us(p.Mean)), ff(p.AllocBytes), ff(p.Allocs), ff(us(p.CPU))})
	}
	if err := write("history.csv", []string{"events", "runs", "samples", "p50_us", "p99_us", "mean_us", "alloc_bytes_per_activation",
		"allocs_per_activation", "cpu_us_per_activation"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, p := range r.heap {
		rows = append(rows, []string{strconv.Itoa(p.Runs), strconv.Itoa(p.Cached), ff(p.Events), strconv.FormatUint(p.Base, 10),
			strconv.FormatUint(p.After, 10), ff(p.PerRun)})
	}
	return write("heap.csv", []string{"runs", "cached", "events", "heap_base", "heap_after", "bytes_per_run"}, rows)
}

func fmtRate(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.0f µs", us(d))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

func fmtBytes(b float64) string {
	if b >= 1024 {
		return fmt.Sprintf("%.1f KiB", b/1024)
	}
	return fmt.Sprintf("%.0f B", b)
}

func verdict(ok bool) string {
	if ok {
		return "meets"
	}
	return "**short**"
}

func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Sidecar ceiling: fake frontend, bridge apps in process\n\n")
	p("Generated by `go run ./bench/ceiling -duration %s` on %s (%s, took %s). Do not edit between the markers: the next run replaces it.\n\n",
		r.cfg.duration, r.started.Format("2006-01-02"), machine(), r.finished.Sub(r.started).Round(time.Second))
	p("A worker assembled as `cmd/sidecar` does it (`worker.New`) polls an in-process fake `WorkflowServiceClient` "+
		"(`bench/ceiling/fake`) that answers every poll at once; `internal/bridgetest` apps in the same process answer every task "+
		"at once from %d goroutines per session. So the sidecar, the bridge and the apps' gRPC share the CPUs, and nothing waits on a server. "+
		"Round trip = from the fake handing a task out to the fake receiving its Respond call. App capacity in throughput cells: %d over all sessions. "+
		"CPU is the whole process (sidecar + apps + fake).\n\n", r.cfg.appWorkers, r.cfg.inflight)

	if len(r.throughput)+len(r.latency)+len(r.history)+len(r.heap) > 0 {
		p("### Against DESIGN.md's targets\n\n")
		p("| target | measured | verdict |\n|---|---|---|\n")
		best := func(kind string) (cellResult, bool) {
			var out cellResult
			found := false
			for _, c := range r.throughput {
				if c.Kind == kind && (!found || c.Rate > out.Rate) {
					out, found = c, true
				}
			}
			return out, found
		}
		if c, ok := best(kindActivity); ok {
			p("| ≥ 50,000 activity tasks/s | %s/s (%s, %d session(s); 2 cores ÷ CPU per task: %s/s) | %s |\n", fmtRate(c.Rate), c.Transport, c.Sessions,
				fmtRate(2/c.CPUPerOp().Seconds()), verdict(c.Rate >= targetActivities))
		}
		for _, k := range []string{kindWorkflow, kindSticky} {
			if c, ok := best(k); ok {
				p("| ≥ 20,000 workflow activations/s (%s) | %s/s (%s, %d session(s); 2 cores ÷ CPU per task: %s/s) | %s |\n", strings.TrimPrefix(kindTitle(k), "workflow activations, "),
					fmtRate(c.Rate), c.Transport, c.Sessions, fmtRate(2/c.CPUPerOp().Seconds()), verdict(c.Rate >= targetActivations))
			}
		}
		for _, c := range r.latency {
			if c.Transport == "unix" {
				p("| round trip p50 ≤ 100 µs (%s, unix) | %s | %s |\n", kindTitle(c.Kind), fmtDur(c.P50), verdict(c.P50 <= targetP50))
			}
		}
		for _, h := range r.heap {
			if h.Events < 100 {
				p("| < 10 KiB heap per cached run of a 50-event history (%d runs) | %s | %s |\n", h.Runs, fmtBytes(h.PerRun), verdict(h.PerRun < targetHeapPerRun))
			}
		}
		if m, ok := r.marginal(); ok {
			p("| < 10 KiB heap per cached run (marginal, fixed costs removed) | %s | %s |\n", fmtBytes(m), verdict(m < targetHeapPerRun))
		}
		if len(r.history) > 1 {
			first, last := r.history[0], r.history[len(r.history)-1]
			ratio := float64(last.P50) / float64(first.P50)
			allocs := last.Allocs / first.Allocs
			p("| sticky-hit cost flat in history length | p50 %s at %d events, %s at %d (×%.2f); objects allocated ×%.2f | %s |\n",
				fmtDur(first.P50), first.Events, fmtDur(last.P50), last.Events, ratio, allocs, verdict(ratio < 1.5 && allocs < 1.1))
		}
		p("\n")
	}
	if len(r.throughput) > 0 {
		p("### Throughput\n\n")
		p("| workload | transport | sessions | per second | CPU cores busy (this process) | other processes (cores) | CPU per task | 2 cores ÷ CPU per task | heap allocated per task | round trip p50 | p99 | measured for |\n" +
			"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, c := range r.throughput {
			proj := 0.0
			if c.CPUPerOp() > 0 {
				proj = 2 / c.CPUPerOp().Seconds()
			}
			p("| %s | %s | %d | %s | %.2f | %.2f | %.1f µs | %s | %s / %.0f objects | %s | %s | %s |\n", kindTitle(c.Kind), c.Transport, c.Sessions, fmtRate(c.Rate),
				c.Cores(), c.OtherCores(), us(c.CPUPerOp()), fmtRate(proj), fmtBytes(c.AllocBytes), c.Allocs, fmtDur(c.P50), fmtDur(c.P99), c.Duration.Round(100*time.Millisecond))
		}
		p("\nThe machine is shared: \"other processes\" is the CPU the rest of the machine used during the cell (from /proc/stat); where it is " +
			"well above 0 the cell's rate is depressed, and \"2 cores ÷ CPU per task\" (this process's CPU per task, both cores to itself) is the better estimate of the ceiling. " +
			"A new-run activation is followed by its eviction activation (the run closed), so each costs two bridge round trips; " +
			"the count is of RespondWorkflowTaskCompleted calls.\n\n")
	}
	if len(r.latency) > 0 {
		p("### One round trip at concurrency 1\n\n")
		p("One session offering capacity 1, one answering goroutine, one task at a time.\n\n")
		p("| workload | transport | p50 | p99 | mean | samples |\n|---|---|---:|---:|---:|---:|\n")
		for _, c := range r.latency {
			p("| %s | %s | %s | %s | %s | %d |\n", kindTitle(c.Kind), c.Transport, fmtDur(c.P50), fmtDur(c.P99), fmtDur(c.Mean), c.Samples)
		}
		p("\n")
	}
	if len(r.history) > 0 {
		p("### Sticky-hit cost against history length\n\n")
		p("%d runs grown to each length (signals), all in one sidecar; then %d sticky-hit activations per run, one at a time, each carrying one new signal "+
			"(plus the previous task's WorkflowTaskCompleted and timer events). Round trips are measured with every length interleaved, so all lengths see "+
			"the same machine; CPU and allocation per activation (whole process) in a second pass, one length at a time. "+
			"At concurrency 1 a round trip is a chain of wake-ups, so it is faster when the machine is busy (cores stay out of idle states) than when idle.\n\n",
			r.cfg.histRuns, r.cfg.histSample)
		p("| history events | p50 | p99 | mean | CPU per activation | bytes allocated | objects allocated | samples | other processes (cores) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, h := range r.history {
			p("| %d | %s | %s | %s | %.1f µs | %s | %.0f | %d | %.2f |\n", h.Events, fmtDur(h.P50), fmtDur(h.P99), fmtDur(h.Mean), us(h.CPU),
				fmtBytes(h.AllocBytes), h.Allocs, h.Samples, h.Others)
		}
		p("\n")
	}
	if len(r.heap) > 0 {
		p("### Heap per cached run\n\n")
		p("The sticky cache filled with runs of the given history length (each task: 5 signals, and a timer started every other task " +
			"that fires in the next one), the app in a child process so that only the sidecar " +
			"(and the fake, which forgets the runs before the measurement) is on this heap; HeapAlloc after GC, minus the same before the first run.\n\n")
		p("| cached runs | mean history | heap before | heap after | per run |\n|---:|---:|---:|---:|---:|\n")
		for _, h := range r.heap {
			p("| %d | %.0f events | %s | %s | %s |\n", h.Cached, h.Events, fmtBytes(float64(h.Base)), fmtBytes(float64(h.After)), fmtBytes(h.PerRun))
		}
		if m, ok := r.marginal(); ok {
			p("\nMarginal heap per cached run between the two cache sizes with the shortest histories (removes fixed costs): **%s**.\n", fmtBytes(m))
		}
		p("\nA heap profile of each point (`go tool pprof -sample_index=inuse_space`) is in `%s/heap-*.pprof`.\n\n", r.cfg.out)
	}
	if len(r.profiles) > 0 {
		p("### Where the CPU goes (unix socket, 1 session)\n\n")
		p("Top flat entries of `go tool pprof -top`; the profiles and full listings (flat and `-cum`) are in `%s/`.\n\n", r.cfg.out)
		for _, s := range r.profiles {
			p("**%s** (`%s`)", kindTitle(s.Kind), filepath.Base(s.Path))
			if s.Err != "" {
				p(": pprof failed: %s\n\n", s.Err)
				continue
			}
			p("\n\n| flat%% | cum%% | function |\n|---:|---:|---|\n")
			for _, t := range s.Top {
				p("| %s | %s | `%s` |\n", t.FlatPct, t.CumPct, t.Name)
			}
			if len(s.Groups) > 0 {
				p("\n| cumulative share of CPU (overlapping) | %% |\n|---|---:|\n")
				for _, g := range s.Groups {
					if g.Pct > 0 {
						p("| %s | %.1f |\n", g.Label, g.Pct)
					}
				}
			}
			p("\n")
		}
	}
	var notes []string
	for _, c := range append(append([]cellResult{}, r.throughput...), r.latency...) {
		for _, n := range c.Notes {
			notes = append(notes, fmt.Sprintf("%s over %s, %d sessions: %s", kindTitle(c.Kind), c.Transport, c.Sessions, n))
		}
	}
	for _, h := range r.history {
		for _, n := range h.Notes {
			notes = append(notes, fmt.Sprintf("history %d: %s", h.Events, n))
		}
	}
	for _, h := range r.heap {
		for _, n := range h.Notes {
			notes = append(notes, fmt.Sprintf("heap %d runs: %s", h.Runs, n))
		}
	}
	if len(notes) > 0 {
		p("### Anomalies\n\n")
		stuck := false
		for _, n := range notes {
			p("- %s\n", n)
			stuck = stuck || strings.Contains(n, "first workflow tasks were still unanswered")
		}
		if stuck {
			p("\nAn unanswered first task with a shutdown that runs into its deadline is a new run's task, polled with a capacity claim, " +
				"still waiting in `bridge.Server.Assign` when the sessions began draining: no draining session gives it a credit and its " +
				"context cannot be cancelled, so it waits until the shutdown deadline and is never answered.\n")
		}
		p("\n")
	}
	p("Guards for the hot paths without I/O (activation building, completion validation, slots, bridge credits, heartbeat coalescing): " +
		"`go test -run '^$' -bench . ./internal/workflow ./internal/slots ./internal/bridge ./internal/activity` (they report allocations).\n\n")
	if len(r.plots) > 0 {
		p("Plots (not committed): %s.\n", strings.Join(r.plots, ", "))
	} else {
		p("CSV files (not committed) are in `%s/`; no plots were rendered.\n", r.cfg.out)
	}
	return strings.TrimRight(b.String(), "\n")
}

// marginal is the heap per run between the smallest and largest cache of
// the shortest history length measured.
func (r *report) marginal() (float64, bool) {
	var lo, hi *heapPoint
	minEv := 0.0
	for i := range r.heap {
		if h := &r.heap[i]; minEv == 0 || h.Events < minEv-5 {
			minEv = h.Events
		}
	}
	for i := range r.heap {
		h := &r.heap[i]
		if h.Events > minEv+5 {
			continue
		}
		if lo == nil || h.Runs < lo.Runs {
			lo = h
		}
		if hi == nil || h.Runs > hi.Runs {
			hi = h
		}
	}
	if lo == nil || hi == nil || hi.Runs == lo.Runs {
		return 0, false
	}
	grow := func(h *heapPoint) float64 { return float64(h.After) - float64(h.Base) }
	return (grow(hi) - grow(lo)) / float64(hi.Runs-lo.Runs), true
}

// updateFile replaces the section between the markers of path. A missing
// file is created with only the section; a file without the markers gets
// the section appended. Text outside the markers is kept.
func updateFile(path, section string) error {
	block := startMarker + "\n" + section + "\n" + endMarker + "\n"
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return os.WriteFile(path, []byte(block), 0o644)
	}
	if err != nil {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, startMarker), strings.Index(s, endMarker)
	switch {
	case i < 0 && j < 0:
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		s += "\n" + block
	case i < 0 || j < i:
		return fmt.Errorf("%s: the markers %s and %s must both appear, in that order", path, startMarker, endMarker)
	default:
		rest := s[j+len(endMarker):]
		rest = strings.TrimPrefix(rest, "\n")
		s = s[:i] + block + rest
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

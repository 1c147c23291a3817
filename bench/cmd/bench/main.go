//go:build linux

// Command bench is the end-to-end benchmark: whole Temporal workers side by
// side on one dev server. Each workload runs against every contender in
// interleaved rounds, each batch on a fresh task queue with fresh worker
// processes:
//
//   - chain: N workflows × K sequential Echo activities, workflows and
//     activities both in the worker;
//   - timer: N workflows that sleep on a short timer, wait for a signal
//     the driver sends, and complete;
//   - activities: the chain workload with the workflows in a Go SDK worker
//     in this driver and only the activities in the contender (the first
//     version of this benchmark).
//
// The contenders are a native Go SDK worker, the sidecar with a Go bridge
// app, the sidecar with the Python client (temporal_sidecar), a native
// Python SDK worker (temporalio), the same temporalio worker on the
// sidecar through temporal_sidecar.sdk's plugin (the adapter), a native
// TypeScript SDK worker (@temporalio/worker), and the same TypeScript
// worker on the sidecar through SidecarWorker (the TypeScript adapter). After each concurrent batch the same
// worker processes run a few workflows one at a time, for the latency at
// concurrency 1.
//
// It writes the results into BENCHMARKS.md between the markers
//
//	<!-- bench:workers:start --> ... <!-- bench:workers:end -->
//	<!-- bench:activities:start --> ... <!-- bench:activities:end -->
//
// and PNG plots (via the gonum/plot module in bench/plot) into bench/out,
// copied to bench/results when small. Run it with `make bench`, which
// builds the binaries it starts. Speed is measured here and never asserted.
//
// With -queue-cost it instead compares one sidecar serving N task queues
// with N sidecars serving one each (queuecost.go), and writes the
// bench:queues section; `make bench-queues` runs it.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/internal/workloads"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

type config struct {
	N, K, Rounds, Warmup, Seq int
	TimerMS                   int
	Capacity, Pollers         int
	AppWorkers                int
	binDir, out, logDir       string
	python, pyDir             string
	node, tsDir               string
	section                   string // the -out section the whole-worker results go to
	plotDir, plotOut, results string
	unsandboxed               bool
	perf                      bool
	pyspy                     string
	roundTimeout              time.Duration
	shutdownGrace             time.Duration
	contenders                []string
	workloads                 []string
	partitions                int
	serverConfig              kvFlag
	serverDefaults            bool
	// The queue-cost mode (queuecost.go).
	queueSettle    time.Duration
	queueWorkflows int
}

// tunedServer is the dynamic config the dev server gets unless
// -server-defaults. The dev server has one history shard, and its defaults
// pace every task: the transfer queue (which hands workflow and activity
// tasks to matching) and the timer queue are each read at most 20 times a
// second per shard, so each task waits up to 50ms; scheduled tasks are due
// no earlier than 1s from now, so a 100ms timer fires after ~1s; and a
// burst of timers can stall the rate-limited timer queue reader for
// seconds. With 4 task queue partitions and 2 pollers a task now and then
// waits ~2s in a partition nobody polls (see -partitions). All of that
// hides the worker's own latency and adds noise to small batches; every
// contender sees the same server.
var tunedServer = map[string]string{
	"history.transferProcessorMaxPollRPS": "1000",
	"history.timerProcessorMaxPollRPS":    "1000",
	"history.timerProcessorMaxTimeShift":  `"100ms"`,
}

// kvFlag collects repeated key=value flags.
type kvFlag map[string]string

func (f kvFlag) String() string {
	var out []string
	for k, v := range f {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func (f kvFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	f[k] = v
	return nil
}

func main() {
	var cfg config
	flag.IntVar(&cfg.N, "n", 100, "workflows per batch, all started at once")
	flag.IntVar(&cfg.K, "k", 10, "sequential Echo activities per chain workflow")
	flag.IntVar(&cfg.Rounds, "rounds", 4, "rounds; odd rounds run the contenders in order, even rounds in reverse")
	flag.IntVar(&cfg.Warmup, "warmup", 20, "unmeasured workflows run (all at once) before each measured batch")
	flag.IntVar(&cfg.Seq, "seq", 30, "workflows run one at a time per contender and workload, for the latency at concurrency 1, spread evenly over the rounds")
	flag.IntVar(&cfg.TimerMS, "timer", 100, "the timer workload's timer, in milliseconds")
	flag.IntVar(&cfg.Capacity, "capacity", 100, "activity slots and workflow task slots of every contender")
	flag.IntVar(&cfg.Pollers, "pollers", 2, "activity task pollers and workflow task pollers of every contender (the Go SDK default is 2)")
	flag.IntVar(&cfg.AppWorkers, "app-workers", 4, "goroutines of the Go bridge app answering activity tasks, and as many answering activations")
	flag.StringVar(&cfg.binDir, "bin", "bench/out/bin", "directory holding the sidecar, echoapp and goworker binaries")
	flag.StringVar(&cfg.python, "python", ".venv/bin/python", "Python with temporal_sidecar (clients/python) and temporalio installed (make venv)")
	flag.StringVar(&cfg.pyDir, "pydir", "bench/python", "directory of the Python contenders' scripts")
	flag.StringVar(&cfg.node, "node", "node", "Node.js (20 or later) for the @temporalio/worker contenders")
	flag.StringVar(&cfg.tsDir, "tsdir", "clients/typescript/dist/bench", "directory of the built @temporalio/worker contender script (make ts-build)")
	flag.BoolVar(&cfg.unsandboxed, "unsandboxed", false, "run the temporalio contender's workflows with UnsandboxedWorkflowRunner instead of the default sandbox")
	flag.StringVar(&cfg.out, "out", "BENCHMARKS.md", "markdown file whose bench:workers and bench:activities sections are replaced; empty prints only")
	flag.StringVar(&cfg.section, "section", workersSection, "the section of -out (between <!-- bench:NAME:start --> and <!-- bench:NAME:end -->) "+
		"that the whole-worker results replace; another `NAME` than workers keeps the full run's section and adds this run's after it "+
		"(a run of a few contenders alone)")
	flag.StringVar(&cfg.logDir, "logs", "bench/out/logs", "directory for process logs, timelines, raw results and profiles")
	flag.StringVar(&cfg.plotDir, "plot-module", "bench/plot", "the gonum/plot module that renders the PNG plots; empty renders none")
	flag.StringVar(&cfg.plotOut, "plots", "bench/out/plots", "directory for the summary CSV and the PNG plots")
	flag.StringVar(&cfg.results, "results", "bench/results", "directory the plots are copied to, to be committed, when each is under 100 KB (else the CSV is); empty copies nothing")
	flag.BoolVar(&cfg.perf, "perf", false, "after the measured rounds, run one more chain batch per contender under `perf record` and write the reports to -logs")
	flag.StringVar(&cfg.pyspy, "py-spy", "", "with -perf: also sample the Python contenders' stacks with this py-spy binary (such as .venv/bin/py-spy, "+
		"pinned in clients/python/requirements-dev.txt) and write a self/inclusive summary per process to -logs")
	flag.DurationVar(&cfg.roundTimeout, "round-timeout", 4*time.Minute, "give up on a batch that takes longer")
	flag.DurationVar(&cfg.shutdownGrace, "shutdown-grace", 45*time.Second, "how long a worker process may take to exit after SIGTERM")
	flag.IntVar(&cfg.partitions, "partitions", 1, "task queue partitions on the dev server (matching.numTaskqueue{Read,Write}Partitions); 0 keeps the server default, 4")
	flag.BoolVar(&cfg.serverDefaults, "server-defaults", false, "run the dev server with its default dynamic config: 4 partitions (unless -partitions), "+
		"the transfer queue read at most 20 times a second, timers due no earlier than 1s (see tunedServer)")
	cfg.serverConfig = kvFlag{}
	flag.Var(cfg.serverConfig, "server-config", "a dynamic config `key=value` for the dev server; repeatable")
	contenders := flag.String("contenders", strings.Join(allContenders, ","), "contenders to run, comma-separated, from "+strings.Join(allContenders, ", "))
	wls := flag.String("workloads", strings.Join(allWorkloads, ","), "workloads to run, comma-separated, from "+strings.Join(allWorkloads, ", ")+
		" (activities runs only the go-sdk and sidecar contenders)")
	queueCost := flag.String("queue-cost", "", "instead of the rounds, run the hidden-cost check of one sidecar with N task queues against N sidecars, "+
		"for each comma-separated `N` (such as 1,10,50), and write the bench:queues section of -out")
	flag.DurationVar(&cfg.queueSettle, "queue-settle", 3*time.Second, "with -queue-cost: how long every setup idles, once all its queues are polled, before it is measured")
	flag.IntVar(&cfg.queueWorkflows, "queue-workflows", 100, "with -queue-cost: Chain workflows run through each setup after the idle measure, spread over its queues; 0 runs none")
	flag.Parse()
	if cfg.serverDefaults {
		setFlags := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
		if !setFlags["partitions"] {
			cfg.partitions = 0
		}
	}
	cfg.contenders = strings.Split(*contenders, ",")
	cfg.workloads = strings.Split(*wls, ",")
	if *queueCost != "" {
		sizes, err := parseSizes(*queueCost)
		if err == nil {
			err = runQueueCost(cfg, sizes)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// Workloads.
const (
	chain      = "chain"
	timer      = "timer"
	activities = "activities"
)

var allWorkloads = []string{chain, timer, activities}

// contendersOf lists the contenders that run a workload, in the configured order.
func (c config) contendersOf(wl string) []string {
	if wl != activities {
		return c.contenders
	}
	var out []string
	for _, n := range c.contenders {
		if n == goSDK || n == sidecar {
			out = append(out, n)
		}
	}
	return out
}

// seqPerRound is how many workflows each batch runs one at a time.
func (c config) seqPerRound() int {
	if c.Seq <= 0 {
		return 0
	}
	return (c.Seq + c.Rounds - 1) / c.Rounds
}

type bench struct {
	cfg    config
	addr   string
	client client.Client
	logger log.Logger
	sock   string // directory for bridge sockets (short path)
	server int    // dev server pid, for its CPU
}

func run(cfg config) error {
	for _, c := range cfg.contenders {
		if _, ok := labels[c]; !ok {
			return fmt.Errorf("unknown contender %q (want some of %s)", c, strings.Join(allContenders, ", "))
		}
	}
	for _, w := range cfg.workloads {
		if !slices.Contains(allWorkloads, w) {
			return fmt.Errorf("unknown workload %q (want some of %s)", w, strings.Join(allWorkloads, ", "))
		}
	}
	if cfg.Rounds < 1 || cfg.N < 1 {
		return fmt.Errorf("-rounds and -n must be at least 1")
	}
	for _, b := range []string{"sidecar", "echoapp", "goworker"} {
		if _, err := os.Stat(filepath.Join(cfg.binDir, b)); err != nil {
			return fmt.Errorf("%v; build the binaries first (make bench does)", err)
		}
	}
	if slices.ContainsFunc(cfg.contenders, isPython) {
		if err := checkPython(cfg); err != nil {
			return err
		}
	}
	if slices.ContainsFunc(cfg.contenders, isTS) {
		if err := checkTS(cfg); err != nil {
			return err
		}
	}
	began, load := time.Now(), loadAvg()
	b, closeBench, err := startBench(cfg)
	if err != nil {
		return err
	}
	defer closeBench()

	var results []*roundResult
	for r := 1; r <= cfg.Rounds; r++ {
		for _, wl := range cfg.workloads {
			order := slices.Clone(cfg.contendersOf(wl))
			if r%2 == 0 {
				slices.Reverse(order)
			}
			for pos, name := range order {
				res, err := b.round(r, pos+1, wl, name, false)
				if err != nil {
					// Record it and go on: one broken batch should not cost
					// the whole run.
					fmt.Fprintf(os.Stderr, "bench: round %d, %s, %s: %v\n", r, wl, name, err)
					res = &roundResult{Round: r, Position: pos + 1, Workload: wl, Contender: name, Error: err.Error()}
				} else {
					fmt.Fprintf(os.Stderr, "round %d %-10s %-13s %s\n", r, wl, name, res.summary(cfg))
				}
				results = append(results, res)
			}
		}
	}
	rep := newReport(cfg, results, began, load)
	rep.python = pythonVersions(cfg)
	rep.node = nodeVersions(cfg)
	rep.plots = b.renderPlots(rep)
	workersMD, activitiesMD := rep.workersMarkdown(), rep.activitiesMarkdown()
	fmt.Println(workersMD)
	fmt.Println(activitiesMD)

	raw, _ := json.MarshalIndent(results, "", "  ")
	rawPath := filepath.Join(cfg.logDir, "results.json")
	if err := os.WriteFile(rawPath, raw, 0o644); err != nil {
		return err
	}
	if cfg.out != "" {
		if err := updateFile(cfg.out, map[string]string{cfg.section: workersMD, activitiesSection: activitiesMD}); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s (raw results in %s)\n", cfg.out, rawPath)
	}

	if cfg.perf {
		for _, name := range cfg.contenders {
			res, err := b.round(cfg.Rounds+1, 1, chain, name, true)
			if err != nil {
				return fmt.Errorf("profiled round, %s: %w", name, err)
			}
			fmt.Fprintf(os.Stderr, "profiled %-13s %s (perf overhead included; not in the tables)\n", name, res.summary(cfg))
		}
	}
	fmt.Fprintf(os.Stderr, "total %s\n", time.Since(began).Round(time.Second))
	return nil
}

// startBench creates the log directory, starts the dev server and dials a
// Go SDK client to it; the returned func stops them.
func startBench(cfg config) (*bench, func(), error) {
	if err := os.MkdirAll(cfg.logDir, 0o755); err != nil {
		return nil, nil, err
	}
	closeAll := func() {}
	fail := func(err error) (*bench, func(), error) {
		closeAll()
		return nil, nil, err
	}
	sock, err := os.MkdirTemp("", "bench")
	if err != nil {
		return nil, nil, err
	}
	closeAll = func() { os.RemoveAll(sock) }
	fmt.Fprintf(os.Stderr, "starting the Temporal dev server...\n")
	srvLog, err := os.Create(filepath.Join(cfg.logDir, "devserver.log"))
	if err != nil {
		return fail(err)
	}
	closeAll = func() { srvLog.Close(); os.RemoveAll(sock) }
	opts := devserver.Options{Output: srvLog, DynamicConfig: map[string]string{}}
	if !cfg.serverDefaults {
		maps.Copy(opts.DynamicConfig, tunedServer)
	}
	if cfg.partitions > 0 {
		n := strconv.Itoa(cfg.partitions)
		opts.DynamicConfig["matching.numTaskqueueReadPartitions"] = n
		opts.DynamicConfig["matching.numTaskqueueWritePartitions"] = n
	}
	maps.Copy(opts.DynamicConfig, cfg.serverConfig)
	srv, err := devserver.Start(context.Background(), opts)
	if err != nil {
		return fail(err)
	}
	closeAll = func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		srvLog.Close()
		os.RemoveAll(sock)
	}
	serverPID, err := childByName("temporal")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: server CPU will not be reported: %v\n", err)
	}

	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), Logger: logger})
	if err != nil {
		return fail(err)
	}
	b := &bench{cfg: cfg, addr: srv.Address(), client: c, logger: logger, sock: sock, server: serverPID}
	return b, func() { c.Close(); closeAll() }, nil
}

// roundResult is one measured batch of one contender on one workload, and
// the sequential runs after it.
type roundResult struct {
	Round     int    `json:"round"`
	Position  int    `json:"position"` // 1 = ran first in its round and workload
	Workload  string `json:"workload"`
	Contender string `json:"contender"`
	TaskQueue string `json:"task_queue"`

	// Error is why the batch could not run; the other fields are then empty.
	Error string `json:"error,omitempty"`
	// Settle is how long the batch waited for the dev server to go idle.
	Settle time.Duration `json:"settle_ns"`

	N         int             `json:"n"`
	Wall      time.Duration   `json:"wall_ns"`
	Latencies []time.Duration `json:"latencies_ns"`
	Failed    int             `json:"failed"`
	FirstErr  string          `json:"first_error,omitempty"`

	// Per worker-side process: CPU used during the measured batch, peak RSS
	// over the process's life (warm-up and sequential runs included), time
	// to exit on SIGTERM.
	CPU     map[string]time.Duration `json:"cpu_ns"`
	PeakRSS map[string]int64         `json:"peak_rss_bytes"`
	// IdleRSS is VmRSS once the worker is up (app registered, polling)
	// and before any work.
	IdleRSS  map[string]int64         `json:"idle_rss_bytes"`
	Shutdown map[string]time.Duration `json:"shutdown_ns"`
	Problems map[string]logProblems   `json:"log_problems"`
	StopErrs []string                 `json:"stop_errors,omitempty"`

	ServerCPU time.Duration `json:"server_cpu_ns"`
	DriverCPU time.Duration `json:"driver_cpu_ns"`
	// OtherCPU is what every other process on the machine used during the
	// batch: noise from outside the benchmark.
	OtherCPU time.Duration `json:"other_cpu_ns"`

	// Activity completions seen by the worker during the batch.
	Completions int           `json:"completions"`
	MaxGap      time.Duration `json:"max_gap_ns"`
	MaxGapAt    time.Duration `json:"max_gap_at_ns"`

	// The slowest workflow of the batch and the longest gap in its history.
	Slowest    string        `json:"slowest_workflow"`
	SlowestLat time.Duration `json:"slowest_latency_ns"`
	SlowestGap historyGap    `json:"slowest_gap"`

	// Where the tasks of a sample of the batch's workflows spent their time.
	Tasks taskTimes `json:"task_times"`

	// The workflows run one at a time after the batch.
	SeqN         int                      `json:"seq_n"`
	SeqWall      time.Duration            `json:"seq_wall_ns"`
	SeqLatencies []time.Duration          `json:"seq_latencies_ns"`
	SeqFailed    int                      `json:"seq_failed"`
	SeqFirstErr  string                   `json:"seq_first_error,omitempty"`
	SeqCPU       map[string]time.Duration `json:"seq_cpu_ns"`
	SeqSlowest   string                   `json:"seq_slowest_workflow"`
	SeqSlowGap   historyGap               `json:"seq_slowest_gap"`
	SeqTasks     taskTimes                `json:"seq_task_times"`
}

func (r *roundResult) workerCPU() time.Duration { return sum(r.CPU) }

func (r *roundResult) seqCPU() time.Duration { return sum(r.SeqCPU) }

func sum(m map[string]time.Duration) time.Duration {
	var t time.Duration
	for _, d := range m {
		t += d
	}
	return t
}

func (r *roundResult) workerRSS() int64 {
	var t int64
	for _, b := range r.PeakRSS {
		t += b
	}
	return t
}

func (r *roundResult) summary(cfg config) string {
	n := float64(r.N)
	s := fmt.Sprintf("wall %.2fs  %.1f wf/s  p50 %s p99 %s  CPU %.2f ms/wf  RSS %.1f MiB  failed %d",
		r.Wall.Seconds(), n/r.Wall.Seconds(), ms(percentile(r.Latencies, 50)), ms(percentile(r.Latencies, 99)),
		float64(r.workerCPU().Microseconds())/1000/n, float64(r.workerRSS())/(1<<20), r.Failed)
	if r.Workload != timer {
		s += fmt.Sprintf("  %.0f act/s  gap %s", n*float64(cfg.K)/r.Wall.Seconds(), ms(r.MaxGap))
	}
	if r.SeqN > 0 {
		s += fmt.Sprintf("  | c=1: p50 %s p99 %s failed %d", ms(percentile(r.SeqLatencies, 50)), ms(percentile(r.SeqLatencies, 99)), r.SeqFailed)
	}
	return s
}

func isPython(c string) bool { return slices.Contains(pythonContenders, c) }

func isTS(c string) bool { return slices.Contains(tsContenders, c) }

// checkTS makes sure the @temporalio/worker contenders can start, and
// removes a workflow bundle an earlier run left (the code may have changed).
func checkTS(cfg config) error {
	if _, err := exec.LookPath(cfg.node); err != nil {
		return fmt.Errorf("the @temporalio/worker contenders need Node.js 20 (-node): %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.tsDir, "worker.js")); err != nil {
		return fmt.Errorf("%v: build the TypeScript package first (make ts-build), or pass -tsdir", err)
	}
	if err := os.MkdirAll(cfg.logDir, 0o755); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(cfg.logDir, tsBundle)); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// checkPython makes sure the Python contenders can start.
func checkPython(cfg config) error {
	if _, err := os.Stat(cfg.python); err != nil {
		return fmt.Errorf("the Python contenders need %s with clients/python and temporalio installed (make venv), "+
			"or leave them out with -contenders %s,%s: %v", cfg.python, goSDK, sidecar, err)
	}
	for _, s := range []string{"sidecar_app.py", "temporalio_worker.py"} {
		if _, err := os.Stat(filepath.Join(cfg.pyDir, s)); err != nil {
			return fmt.Errorf("%v (run from the repository root or pass -pydir)", err)
		}
	}
	return nil
}

// activitiesPerWorkflow is how many Echo activities one workflow of wl runs.
func (c config) activitiesPerWorkflow(wl string) int {
	if wl == timer {
		return 0
	}
	return c.K
}

// workflowType is the workflow the driver starts for wl.
func workflowType(wl string) string {
	switch wl {
	case timer:
		return workloads.TimerSignal
	case activities:
		return workloads.EchoChain
	}
	return workloads.Chain
}

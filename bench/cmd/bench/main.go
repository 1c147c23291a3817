//go:build linux

// Command bench is the end-to-end activity throughput benchmark: it runs the
// same workload against one Temporal dev server twice per round, once served
// by a native Go SDK activity worker and once by the sidecar plus a Go bridge
// app, interleaved over several rounds, and writes the results into
// BENCHMARKS.md between the markers
//
//	<!-- bench:activities:start --> ... <!-- bench:activities:end -->
//
// Run it with `make bench`, which builds the binaries it starts. Speed is
// measured here and never asserted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/internal/timeline"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

type config struct {
	N, K, Rounds, Warmup int
	Capacity, Pollers    int
	AppWorkers           int
	binDir, out, logDir  string
	perf                 bool
	roundTimeout         time.Duration
	shutdownGrace        time.Duration
	contenders           []string
	partitions           int
}

func main() {
	var cfg config
	flag.IntVar(&cfg.N, "n", 200, "workflows per round and contender, all started at once")
	flag.IntVar(&cfg.K, "k", 10, "sequential Echo activities per workflow")
	flag.IntVar(&cfg.Rounds, "rounds", 3, "rounds; the contenders alternate which goes first")
	flag.IntVar(&cfg.Warmup, "warmup", 20, "unmeasured workflows run before each measured batch")
	flag.IntVar(&cfg.Capacity, "capacity", 100, "activity slots: the Go SDK's MaxConcurrentActivityExecutionSize, the sidecar's --max-concurrent-activities and the bridge app's capacity")
	flag.IntVar(&cfg.Pollers, "pollers", 2, "activity task pollers of both contenders (the Go SDK default is 2)")
	flag.IntVar(&cfg.AppWorkers, "app-workers", 4, "goroutines of the bridge app answering tasks")
	flag.StringVar(&cfg.binDir, "bin", "bench/out/bin", "directory holding the sidecar, echoapp and goworker binaries")
	flag.StringVar(&cfg.out, "out", "BENCHMARKS.md", "markdown file whose activities section is replaced; empty prints only")
	flag.StringVar(&cfg.logDir, "logs", "bench/out/logs", "directory for process logs, timelines, raw results and profiles")
	flag.BoolVar(&cfg.perf, "perf", false, "after the measured rounds, run one more round per contender under `perf record` and write the reports to -logs")
	flag.DurationVar(&cfg.roundTimeout, "round-timeout", 3*time.Minute, "give up on a batch that takes longer")
	flag.DurationVar(&cfg.shutdownGrace, "shutdown-grace", 45*time.Second, "how long a worker process may take to exit after SIGTERM")
	flag.IntVar(&cfg.partitions, "partitions", 0, "task queue partitions on the dev server (matching.numTaskqueue{Read,Write}Partitions); 0 keeps the server default, 4")
	contenders := flag.String("contenders", "go-sdk,sidecar", "contenders to run, comma-separated")
	flag.Parse()
	cfg.contenders = strings.Split(*contenders, ",")
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// contender names.
const (
	goSDK   = "go-sdk"
	sidecar = "sidecar"
)

var labels = map[string]string{
	goSDK:   "Go SDK worker",
	sidecar: "sidecar + Go bridge app",
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
			return fmt.Errorf("unknown contender %q (want %s or %s)", c, goSDK, sidecar)
		}
	}
	for _, b := range []string{"sidecar", "echoapp", "goworker"} {
		if _, err := os.Stat(filepath.Join(cfg.binDir, b)); err != nil {
			return fmt.Errorf("%v; build the binaries first (make bench does)", err)
		}
	}
	if err := os.MkdirAll(cfg.logDir, 0o755); err != nil {
		return err
	}
	sock, err := os.MkdirTemp("", "bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(sock)

	began, load := time.Now(), loadAvg()
	fmt.Fprintf(os.Stderr, "starting the Temporal dev server...\n")
	srvLog, err := os.Create(filepath.Join(cfg.logDir, "devserver.log"))
	if err != nil {
		return err
	}
	defer srvLog.Close()
	opts := devserver.Options{Output: srvLog}
	if cfg.partitions > 0 {
		n := strconv.Itoa(cfg.partitions)
		opts.DynamicConfig = map[string]string{"matching.numTaskqueueReadPartitions": n, "matching.numTaskqueueWritePartitions": n}
	}
	srv, err := devserver.Start(context.Background(), opts)
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}()
	serverPID, err := childByName("temporal")
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: server CPU will not be reported: %v\n", err)
	}

	logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), Logger: logger})
	if err != nil {
		return err
	}
	defer c.Close()
	b := &bench{cfg: cfg, addr: srv.Address(), client: c, logger: logger, sock: sock, server: serverPID}

	var results []*roundResult
	for r := 1; r <= cfg.Rounds; r++ {
		order := slices.Clone(cfg.contenders)
		if r%2 == 0 {
			slices.Reverse(order)
		}
		for pos, name := range order {
			res, err := b.round(r, pos+1, name, false)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w", r, name, err)
			}
			fmt.Fprintf(os.Stderr, "round %d %-8s %s\n", r, name, res.summary(cfg))
			results = append(results, res)
		}
	}
	rep := newReport(cfg, results, began, load)
	md := rep.markdown()
	fmt.Println(md)

	raw, _ := json.MarshalIndent(results, "", "  ")
	rawPath := filepath.Join(cfg.logDir, "results.json")
	if err := os.WriteFile(rawPath, raw, 0o644); err != nil {
		return err
	}
	if cfg.out != "" {
		if err := updateFile(cfg.out, md); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s (raw results in %s)\n", cfg.out, rawPath)
	}

	if cfg.perf {
		for _, name := range cfg.contenders {
			res, err := b.round(cfg.Rounds+1, 1, name, true)
			if err != nil {
				return fmt.Errorf("profiled round, %s: %w", name, err)
			}
			fmt.Fprintf(os.Stderr, "profiled %-8s %s (perf overhead included; not in the table)\n", name, res.summary(cfg))
		}
	}
	fmt.Fprintf(os.Stderr, "total %s\n", time.Since(began).Round(time.Second))
	return nil
}

// roundResult is one measured batch of one contender.
type roundResult struct {
	Round     int    `json:"round"`
	Position  int    `json:"position"` // 1 = ran first in its round
	Contender string `json:"contender"`
	TaskQueue string `json:"task_queue"`

	Wall      time.Duration   `json:"wall_ns"`
	Latencies []time.Duration `json:"latencies_ns"`
	Failed    int             `json:"failed"`
	FirstErr  string          `json:"first_error,omitempty"`

	// Per worker-side process: CPU used during the measured batch, peak RSS
	// over the process's life (warm-up included), time to exit on SIGTERM.
	CPU      map[string]time.Duration `json:"cpu_ns"`
	PeakRSS  map[string]int64         `json:"peak_rss_bytes"`
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
}

func (r *roundResult) workerCPU() time.Duration {
	var t time.Duration
	for _, d := range r.CPU {
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
	n := float64(cfg.N)
	return fmt.Sprintf("wall %.2fs  %.1f wf/s  %.0f act/s  p50 %s p99 %s  CPU %.2f ms/wf  RSS %.1f MiB  gap %s  failed %d",
		r.Wall.Seconds(), n/r.Wall.Seconds(), n*float64(cfg.K)/r.Wall.Seconds(),
		ms(percentile(r.Latencies, 50)), ms(percentile(r.Latencies, 99)),
		float64(r.workerCPU().Microseconds())/1000/n, float64(r.workerRSS())/(1<<20), ms(r.MaxGap), r.Failed)
}

// workers is the running worker side of one contender.
type workers struct {
	procs    []*proc
	timeline string // file the activity-serving process writes at exit
	stop     func() (map[string]time.Duration, []string)
}

func (b *bench) launch(ctx context.Context, name, tq, prefix string) (*workers, error) {
	cfg := b.cfg
	bin := func(n string) string { return filepath.Join(cfg.binDir, n) }
	tl := filepath.Join(cfg.logDir, prefix+".timeline")
	capacity, pollers := strconv.Itoa(cfg.Capacity), strconv.Itoa(cfg.Pollers)
	switch name {
	case goSDK:
		gw, err := startProc("goworker", filepath.Join(cfg.logDir, prefix+"-goworker.log"), bin("goworker"),
			"-address", b.addr, "-namespace", "default", "-task-queue", tq,
			"-capacity", capacity, "-pollers", pollers, "-timeline", tl)
		if err != nil {
			return nil, err
		}
		w := &workers{procs: []*proc{gw}, timeline: tl}
		w.stop = func() (map[string]time.Duration, []string) {
			took, err := gw.stop(cfg.shutdownGrace)
			return map[string]time.Duration{"goworker": took}, errStrings(err)
		}
		if err := gw.waitReady(ctx, nil); err != nil {
			w.stop()
			return nil, err
		}
		return w, nil
	case sidecar:
		sock := filepath.Join(b.sock, prefix+".sock")
		sc, err := startProc("sidecar", filepath.Join(cfg.logDir, prefix+"-sidecar.log"), bin("sidecar"),
			"--address", b.addr, "--namespace", "default", "--task-queue", tq,
			"--bridge-listen", "unix:"+sock, "--http-listen", "",
			"--max-concurrent-activities", capacity, "--max-activity-task-pollers", pollers,
			"--identity", "bench-sidecar-"+prefix, "--log-level", "info")
		if err != nil {
			return nil, err
		}
		w := &workers{procs: []*proc{sc}, timeline: tl}
		var app *proc
		w.stop = func() (map[string]time.Duration, []string) {
			took := map[string]time.Duration{}
			var errs []string
			// SIGTERM to the sidecar; the app leaves on its shutdown notice.
			d, err := sc.stop(cfg.shutdownGrace)
			took["sidecar"] = d
			errs = append(errs, errStrings(err)...)
			if app != nil {
				d, err := app.waitExit(5 * time.Second)
				took["echoapp"] = d
				errs = append(errs, errStrings(err)...)
			}
			return took, errs
		}
		if err := sc.waitFile(ctx, sock); err != nil {
			w.stop()
			return nil, err
		}
		app, err = startProc("echoapp", filepath.Join(cfg.logDir, prefix+"-echoapp.log"), bin("echoapp"),
			"-bridge", "unix://"+sock, "-task-queue", tq, "-capacity", capacity,
			"-workers", strconv.Itoa(cfg.AppWorkers), "-timeline", tl)
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

func errStrings(err error) []string {
	if err == nil {
		return nil
	}
	return []string{err.Error()}
}

// round runs one contender's batch: start its worker processes and a
// workflow worker on a fresh task queue, warm up, measure N workflows, stop.
func (b *bench) round(r, pos int, name string, profile bool) (*roundResult, error) {
	cfg := b.cfg
	ctx, cancel := context.WithTimeout(context.Background(), cfg.roundTimeout)
	defer cancel()
	prefix := fmt.Sprintf("r%d-%s", r, name)
	if profile {
		prefix = "perf-" + name
	}
	tq := fmt.Sprintf("bench-%s-%d", prefix, time.Now().UnixNano())
	res := &roundResult{Round: r, Position: pos, Contender: name, TaskQueue: tq,
		CPU: map[string]time.Duration{}, PeakRSS: map[string]int64{}, Problems: map[string]logProblems{}}

	w, err := b.launch(ctx, name, tq, prefix)
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
	ww := sdkworker.New(b.client, tq, sdkworker.Options{LocalActivityWorkerOnly: true})
	ww.RegisterWorkflowWithOptions(EchoChain, workflow.RegisterOptions{Name: "EchoChain"})
	if err := ww.Start(); err != nil {
		return nil, err
	}
	defer ww.Stop()

	if cfg.Warmup > 0 {
		if _, failed, firstErr, _ := b.workflows(ctx, tq, prefix+"-warmup", cfg.Warmup, ""); failed > 0 {
			return nil, fmt.Errorf("%d warm-up workflows failed; first: %v", failed, firstErr)
		}
	}

	var perf *exec.Cmd
	if profile {
		if perf, err = startPerf(filepath.Join(cfg.logDir, prefix+".perf.data"), w.procs); err != nil {
			return nil, err
		}
	}

	cpu0, err := b.cpuSnapshot(w.procs)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	lat, failed, firstErr, wall := b.workflows(ctx, tq, prefix, cfg.N, fmt.Sprintf("round %d %s", r, name))
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
	res.Wall, res.Latencies, res.Failed = wall, lat, failed
	if firstErr != nil {
		res.FirstErr = firstErr.Error()
	}
	for _, p := range w.procs {
		res.CPU[p.name] = cpu1[p.name] - cpu0[p.name]
		if rss, err := peakRSS(p.pid()); err == nil {
			res.PeakRSS[p.name] = rss
		}
	}
	res.ServerCPU = cpu1["server"] - cpu0["server"]
	res.DriverCPU = cpu1["driver"] - cpu0["driver"]
	res.OtherCPU = cpu1["machine"] - cpu0["machine"] - res.ServerCPU - res.DriverCPU - res.workerCPU()

	ww.Stop()
	stopping.Store(true)
	res.Shutdown, res.StopErrs = w.stop()
	stopped = true
	for _, p := range w.procs {
		res.Problems[p.name] = scanLog(p.logPath, 5)
	}
	if ts, err := timeline.ReadFile(w.timeline); err == nil {
		s := timeline.Summarize(ts, t0.UnixNano(), t1.UnixNano())
		res.Completions, res.MaxGap, res.MaxGapAt = s.Count, s.MaxGap, s.MaxGapAt
	} else {
		res.StopErrs = append(res.StopErrs, "no timeline: "+err.Error())
	}
	if failed == cfg.N {
		return nil, fmt.Errorf("every workflow failed; first: %v", firstErr)
	}
	return res, nil
}

// cpuSnapshot reads the CPU time used so far by each process, the dev
// server and this driver.
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

// workflows starts n EchoChain workflows at once and waits for all of them.
// It returns each one's latency from start request to result, sorted.
func (b *bench) workflows(ctx context.Context, tq, prefix string, n int, progress string) (lat []time.Duration, failed int, firstErr error, wall time.Duration) {
	cfg := b.cfg
	lat = make([]time.Duration, n)
	var (
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
	for i := range n {
		wg.Go(func() {
			defer done.Add(1)
			input := fmt.Sprintf("echo %s #%04d", prefix, i)
			t := time.Now()
			run, err := b.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: fmt.Sprintf("%s-%s-%d", prefix, tq, i), TaskQueue: tq,
			}, "EchoChain", cfg.K, input)
			var got int
			if err == nil {
				err = run.Get(ctx, &got)
			}
			if err == nil && got != cfg.K {
				err = fmt.Errorf("workflow ran %d activities, want %d", got, cfg.K)
			}
			lat[i] = time.Since(t)
			if err != nil {
				mu.Lock()
				failed++
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	wall = time.Since(started)
	close(stopProgress)
	slices.Sort(lat)
	return lat, failed, firstErr, wall
}

// EchoChain runs k Echo activities one after another, each with input, and
// checks each result is the input. Activities get one attempt, so a lost or
// failed task fails the workflow and shows in the results instead of hiding
// in a retry.
func EchoChain(ctx workflow.Context, k int, input string) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	for i := range k {
		var out string
		if err := workflow.ExecuteActivity(ctx, "Echo", input).Get(ctx, &out); err != nil {
			return i, err
		}
		if out != input {
			return i, temporal.NewNonRetryableApplicationError(fmt.Sprintf("Echo returned %q, want %q", out, input), "BadEcho", nil)
		}
	}
	return k, nil
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

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 0, 64) + "ms"
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

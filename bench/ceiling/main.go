// Command ceiling measures the sidecar's own ceiling: a worker assembled as
// cmd/sidecar assembles it, polling an in-process fake frontend that answers
// at once, with bridge apps (internal/bridgetest) answering every task as fast
// as they can over a unix socket or loopback TCP.
//
//	go run ./bench/ceiling -duration 10s                        print the report
//	go run ./bench/ceiling -duration 10s -write BENCHMARKS.md   and replace its ceiling section
//	go run ./bench/ceiling -duration 1s -only throughput        a quick look
//
// It measures activity tasks/s, workflow activations/s (new runs, and sticky
// hits on cached runs), one round trip at concurrency 1, unix socket against
// loopback TCP, 1/4/16 app sessions, the sticky-hit cost against history
// length, and the heap per cached run. CSV files, CPU profiles and (when the
// plotting module builds) PNG plots go to bench/out/ceiling/.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

type config struct {
	duration   time.Duration
	write      string
	out        string
	only       map[string]bool
	kinds      []string
	transports []string
	sessions   []int
	inflight   int
	appWorkers int
	histLens   []int
	histRuns   int
	histSample int
	heap       [][2]int // cached runs x history events
	profile    bool
	plot       bool
}

func main() {
	var (
		cfg                                       config
		only, kinds, transports, sessions         string
		histLens, heapRuns                        string
		childTarget                               string
		childSessions, childCapacity, childWorker int
		heapPointFlag                             string
	)
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each unix-socket throughput cell; TCP cells run a fifth of it and round-trip cells a quarter (at least 1s)")
	flag.StringVar(&cfg.write, "write", "", "markdown file whose section between <!-- bench:ceiling:start --> and <!-- bench:ceiling:end --> is replaced")
	flag.StringVar(&cfg.out, "out", "bench/out/ceiling", "directory for CSV files, CPU profiles and plots")
	flag.StringVar(&only, "only", "throughput,latency,history,heap", "parts to run")
	flag.StringVar(&kinds, "kinds", "activity,workflow,sticky", "workloads")
	flag.StringVar(&transports, "transports", "unix,tcp", "bridge transports")
	flag.StringVar(&sessions, "sessions", "1,4,16", "app session counts")
	flag.IntVar(&cfg.inflight, "inflight", 256, "app capacity over all sessions (split evenly) in throughput cells")
	flag.IntVar(&cfg.appWorkers, "app-workers", 4, "goroutines answering tasks in each app session")
	flag.StringVar(&histLens, "history-lengths", "10,100,1000,5000", "history lengths (events) for the sticky-hit cost curve")
	flag.IntVar(&cfg.histRuns, "history-runs", 200, "runs grown to each history length")
	flag.IntVar(&cfg.histSample, "history-samples", 10, "measured sticky-hit activations per run")
	flag.StringVar(&heapRuns, "heap", "1000x50,10000x50,1000x1000", "heap measurements: cached runs x history events of each")
	flag.BoolVar(&cfg.profile, "profile", true, "write CPU profiles of the unix-socket 1-session cells")
	flag.BoolVar(&cfg.plot, "plot", true, "render PNG plots with bench/ceiling/plot (needs the Go module proxy once)")
	flag.StringVar(&childTarget, "child-app", "", "internal: run as the app process of a heap measurement, connecting here")
	flag.IntVar(&childSessions, "child-sessions", 1, "internal")
	flag.IntVar(&childCapacity, "child-capacity", 64, "internal")
	flag.IntVar(&childWorker, "child-workers", 4, "internal")
	flag.StringVar(&heapPointFlag, "heap-point", "", "internal: measure one RUNSxEVENTS heap point in this process and print it as JSON")
	flag.Parse()
	if childTarget != "" {
		os.Exit(childMain(childTarget, childSessions, childCapacity, childWorker))
	}
	if heapPointFlag != "" {
		os.Exit(heapPointMain(heapPointFlag, cfg.out))
	}
	var err error
	cfg.only = map[string]bool{}
	for _, s := range split(only) {
		cfg.only[s] = true
	}
	cfg.kinds, cfg.transports = split(kinds), split(transports)
	if cfg.sessions, err = ints(sessions); err == nil {
		if cfg.histLens, err = ints(histLens); err == nil {
			cfg.heap, err = pairs(heapRuns)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

func pairs(s string) ([][2]int, error) {
	var out [][2]int
	for _, f := range split(s) {
		a, b, ok := strings.Cut(f, "x")
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || x <= 0 || y <= 0 {
			return nil, fmt.Errorf("%q is not RUNSxEVENTS", f)
		}
		out = append(out, [2]int{x, y})
	}
	return out, nil
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range split(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(cfg config) error {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	rep := &report{cfg: cfg, started: time.Now()}
	short := func(d time.Duration, div int) time.Duration { return max(time.Second, d/time.Duration(div)) }
	warm := min(time.Second, max(300*time.Millisecond, cfg.duration/10))

	if cfg.only["throughput"] {
		for _, tr := range cfg.transports {
			for _, k := range cfg.kinds {
				for _, s := range cfg.sessions {
					d := cfg.duration
					if tr != "unix" {
						d = short(cfg.duration, 5)
					}
					prof := ""
					if cfg.profile && tr == "unix" && s == 1 {
						prof = filepath.Join(cfg.out, "cpu-"+k+".pprof")
					}
					res, err := runCell(k, tr, s, cfg.inflight, cfg.appWorkers, warm, d, prof)
					if err != nil {
						return fmt.Errorf("%s over %s with %d sessions: %w", k, tr, s, err)
					}
					logf("%-8s %-4s sessions=%-2d %9.0f/s  cpu %.2f cores (others %.2f) %5.1fµs/op  p50 %v p99 %v %v",
						k, tr, s, res.Rate, res.Cores(), res.OtherCores(), us(res.CPUPerOp()), res.P50, res.P99, res.Notes)
					rep.throughput = append(rep.throughput, res)
					if prof != "" {
						rep.profiles = append(rep.profiles, profileTop(k, prof))
					}
				}
			}
		}
	}
	if cfg.only["latency"] {
		for _, tr := range cfg.transports {
			for _, k := range cfg.kinds {
				res, err := runCell(k, tr, 1, 1, 1, warm, short(cfg.duration, 4), "")
				if err != nil {
					return fmt.Errorf("round trip of %s over %s: %w", k, tr, err)
				}
				logf("%-8s %-4s concurrency 1: p50 %v p99 %v mean %v (%d samples, %.0f/s) %v",
					k, tr, res.P50, res.P99, res.Mean, res.Samples, res.Rate, res.Notes)
				rep.latency = append(rep.latency, res)
			}
		}
	}
	if cfg.only["history"] {
		ps, err := historyCurve(cfg.histLens, cfg.histRuns, cfg.histSample, "unix")
		if err != nil {
			return fmt.Errorf("sticky-hit cost against history length: %w", err)
		}
		for _, p := range ps {
			logf("history %5d events: p50 %v p99 %v mean %v, cpu %.1fµs, %.0f B / %.0f allocs per activation, live heap %.1f MiB, others %.2f cores %v",
				p.Events, p.P50, p.P99, p.Mean, us(p.CPU), p.AllocBytes, p.Allocs, float64(p.Heap)/(1<<20), p.Others, p.Notes)
		}
		rep.history = ps
	}
	if cfg.only["heap"] {
		for _, h := range cfg.heap {
			p, err := heapInFreshProcess(h[0], h[1], cfg.out)
			if err != nil {
				return fmt.Errorf("heap with %d runs of %d events: %w", h[0], h[1], err)
			}
			logf("heap: %d cached runs of %.0f events: %.0f B per run (%d -> %d) %v",
				p.Cached, p.Events, p.PerRun, p.Base, p.After, p.Notes)
			rep.heap = append(rep.heap, p)
		}
	}
	rep.finished = time.Now()
	if err := rep.writeCSV(); err != nil {
		return err
	}
	if cfg.plot {
		rep.plots = renderPlots(cfg.out)
	}
	md := rep.markdown()
	fmt.Println(md)
	if cfg.write != "" {
		if err := updateFile(cfg.write, md); err != nil {
			return err
		}
		logf("wrote the ceiling section of %s", cfg.write)
	}
	return nil
}

// heapInFreshProcess measures one heap point in a new process, so no heap
// left over from earlier measurements moves its numbers.
func heapInFreshProcess(runs, events int, out string) (heapPoint, error) {
	exe, err := os.Executable()
	if err != nil {
		return heapPoint{}, err
	}
	cmd := exec.Command(exe, "-heap-point", fmt.Sprintf("%dx%d", runs, events), "-out", out)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return heapPoint{}, fmt.Errorf("heap measurement process: %w", err)
	}
	var p heapPoint
	if err := json.Unmarshal(b, &p); err != nil {
		return heapPoint{}, fmt.Errorf("heap measurement process printed %q: %w", b, err)
	}
	return p, nil
}

func heapPointMain(arg, out string) int {
	ps, err := pairs(arg)
	if err != nil || len(ps) != 1 {
		fmt.Fprintln(os.Stderr, "ceiling: -heap-point wants one RUNSxEVENTS")
		return 2
	}
	// Sample finely enough that the heap profile names what a cached run
	// holds; the samples live outside the heap, so HeapAlloc is unchanged.
	runtime.MemProfileRate = 512
	prof := ""
	if out != "" {
		prof = filepath.Join(out, fmt.Sprintf("heap-%s.pprof", arg))
	}
	p, err := heapCurve(ps[0][0], ps[0][1], prof)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		return 1
	}
	b, _ := json.Marshal(p)
	fmt.Println(string(b))
	return 0
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// machine describes the CPU for the report.
func machine() string {
	model := runtime.GOARCH
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs, GOMAXPROCS %d, %s %s/%s", model, runtime.NumCPU(), runtime.GOMAXPROCS(0),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

var _ = slices.Sort[[]int]

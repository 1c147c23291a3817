//go:build linux

package main

// The hidden-cost check of one sidecar serving many task queues (issue 13):
// for each N, one sidecar with N queues against N sidecars with one
// --task-queue each, on the same dev server. Run with -queue-cost (make
// bench-queues); it writes the bench:queues section of BENCHMARKS.md.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/telemetry"
)

const queuesSection = "queues"

// Queue-cost setups.
const (
	oneSidecar   = "one"  // one sidecar, N queues registered by one app over N streams
	manySidecars = "many" // N sidecars with one --task-queue each, and N apps
)

// queueCostResult is one setup at one N.
type queueCostResult struct {
	N     int    `json:"n"`
	Setup string `json:"setup"`
	Error string `json:"error,omitempty"`

	Sidecars int `json:"sidecars"`
	Apps     int `json:"apps"`
	// Ready is from starting the first process to every queue polling.
	Ready time.Duration `json:"ready_ns"`

	// Idle, after the settle: sums over the sidecar processes, and over
	// the app processes.
	SidecarRSS  int64 `json:"sidecar_rss_bytes"`
	MaxRSS      int64 `json:"max_sidecar_rss_bytes"` // the largest single sidecar
	AppRSS      int64 `json:"app_rss_bytes"`
	Goroutines  int64 `json:"sidecar_goroutines"`
	HeapInuse   int64 `json:"sidecar_heap_inuse_bytes"`
	FrontConns  int   `json:"frontend_connections"`
	ServerConns int   `json:"server_connections"` // established on the frontend's side: every client the server sees

	// The workload: Workflows Chain workflows spread over the N queues.
	Workflows  int           `json:"workflows"`
	Wall       time.Duration `json:"wall_ns"`
	Failed     int           `json:"failed"`
	FirstErr   string        `json:"first_error,omitempty"`
	SidecarCPU time.Duration `json:"sidecar_cpu_ns"`
	AppCPU     time.Duration `json:"app_cpu_ns"`
	PeakRSS    int64         `json:"sidecar_peak_rss_bytes"` // VmHWM summed over the sidecars, after the workload
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-queue-cost wants comma-separated queue counts >= 1, got %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// runQueueCost is the whole queue-cost run: one dev server, then each N
// with both setups, the one-sidecar setup first.
func runQueueCost(cfg config, sizes []int) error {
	for _, b := range []string{"sidecar", "echoapp"} {
		if _, err := os.Stat(filepath.Join(cfg.binDir, b)); err != nil {
			return fmt.Errorf("%v; build the binaries first (make bench-queues does)", err)
		}
	}
	cfg.logDir = filepath.Join(cfg.logDir, "queues")
	// The tree as the binaries were just built from it: others may edit it
	// during the run.
	rev := revision()
	began, load := time.Now(), loadAvg()
	b, closeBench, err := startBench(cfg)
	if err != nil {
		return err
	}
	defer closeBench()
	// What the server holds before any sidecar runs: the driver's client
	// and the dev server's own.
	baseConns := -1
	if port, err := portOf(b.addr); err == nil && b.server != 0 {
		if n, err := tcpConns(b.server, port, false); err == nil {
			baseConns = n
		}
	}
	var results []*queueCostResult
	for _, n := range sizes {
		for _, setup := range []string{oneSidecar, manySidecars} {
			res, err := b.queueCost(n, setup)
			if err != nil {
				// Record it and go on, as the rounds do.
				fmt.Fprintf(os.Stderr, "bench: N=%d, %s: %v\n", n, setup, err)
				res.Error = err.Error()
			} else {
				fmt.Fprintf(os.Stderr, "N=%-3d %-4s %s\n", n, setup, res.summary())
			}
			results = append(results, res)
		}
	}
	md := queueCostMarkdown(cfg, results, began, time.Since(began), load, baseConns, rev)
	fmt.Println(md)
	raw, _ := json.MarshalIndent(results, "", "  ")
	rawPath := filepath.Join(cfg.logDir, "results.json")
	if err := os.WriteFile(rawPath, raw, 0o644); err != nil {
		return err
	}
	if cfg.out != "" {
		doc, err := os.ReadFile(cfg.out)
		if err != nil {
			return err
		}
		if doc, err = replaceSection(doc, queuesSection, md, ""); err != nil {
			return fmt.Errorf("%s: %w", cfg.out, err)
		}
		if err := os.WriteFile(cfg.out, doc, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s (raw results in %s)\n", cfg.out, rawPath)
	}
	fmt.Fprintf(os.Stderr, "total %s\n", time.Since(began).Round(time.Second))
	return nil
}

func (r *queueCostResult) summary() string {
	s := fmt.Sprintf("ready %s  sidecar RSS %.1f MiB  app RSS %.1f MiB  goroutines %d  frontend conns %d (server sees %d)",
		ms(r.Ready), mib(r.SidecarRSS), mib(r.AppRSS), r.Goroutines, r.FrontConns, r.ServerConns)
	if r.Workflows > 0 {
		s += fmt.Sprintf("  | %d wf in %.2fs, failed %d, CPU sidecar %.2f app %.2f ms/wf",
			r.Workflows, r.Wall.Seconds(), r.Failed, perWF(r.SidecarCPU, r.Workflows), perWF(r.AppCPU, r.Workflows))
	}
	return s
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func perWF(d time.Duration, n int) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }

// queueSide is one sidecar process of a setup and the app serving it.
type queueSide struct {
	sidecar, app *proc
	http         string // the sidecar's --http-listen address, as it bound it
	queues       []string
}

// queueCost starts one setup for n queues, waits until every queue is
// polled, measures it idle, runs the workload through it and stops it.
func (b *bench) queueCost(n int, setup string) (*queueCostResult, error) {
	cfg := b.cfg
	res := &queueCostResult{N: n, Setup: setup}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.roundTimeout)
	defer cancel()
	b.settle(ctx)

	stamp := time.Now().UnixNano()
	queues := make([]string, n)
	for i := range queues {
		queues[i] = fmt.Sprintf("qc-%d-%s-%d-%d", n, setup, i, stamp)
	}
	var groups [][]string // the queues of each sidecar
	if setup == oneSidecar {
		groups = [][]string{queues}
	} else {
		for _, q := range queues {
			groups = append(groups, []string{q})
		}
	}
	res.Sidecars, res.Apps = len(groups), len(groups)

	started := time.Now()
	sides := make([]*queueSide, len(groups))
	defer func() { stopSides(sides, cfg.shutdownGrace) }()
	// Sidecars first, all at once, then their apps: start-up is what it
	// would be in a pod, and the wait is bounded by the slowest.
	for i, qs := range groups {
		prefix := fmt.Sprintf("N%d-%s-%d", n, setup, i)
		sock := filepath.Join(b.sock, prefix+".sock")
		args := []string{"--address", b.addr, "--namespace", "default",
			"--bridge-listen", "unix:" + sock, "--http-listen", "127.0.0.1:0",
			"--max-concurrent-activities", strconv.Itoa(cfg.Capacity), "--max-activity-task-pollers", strconv.Itoa(cfg.Pollers),
			"--max-concurrent-workflow-tasks", strconv.Itoa(cfg.Capacity), "--max-workflow-task-pollers", strconv.Itoa(cfg.Pollers),
			"--identity", "bench-" + prefix, "--log-level", "info"}
		if setup == manySidecars {
			args = append(args, "--task-queue", qs[0])
		} else {
			args = append(args, "--max-task-queues", strconv.Itoa(max(n, 1)))
		}
		sc, err := startProc("sidecar", filepath.Join(cfg.logDir, prefix+"-sidecar.log"), filepath.Join(cfg.binDir, "sidecar"), args...)
		if err != nil {
			return res, err
		}
		sides[i] = &queueSide{sidecar: sc, queues: qs}
	}
	for i, s := range sides {
		prefix := fmt.Sprintf("N%d-%s-%d", n, setup, i)
		sock := filepath.Join(b.sock, prefix+".sock")
		if err := s.sidecar.waitFile(ctx, sock); err != nil {
			return res, err
		}
		args := []string{"-bridge", "unix://" + sock, "-task-queues", strings.Join(s.queues, ","),
			"-capacity", strconv.Itoa(cfg.Capacity), "-workers", "1"}
		app, err := startProc("echoapp", filepath.Join(cfg.logDir, prefix+"-echoapp.log"), filepath.Join(cfg.binDir, "echoapp"), args...)
		if err != nil {
			return res, err
		}
		s.app = app
	}
	for _, s := range sides {
		if err := s.app.waitReady(ctx, s.sidecar); err != nil {
			return res, err
		}
		addr, err := httpAddr(ctx, s.sidecar)
		if err != nil {
			return res, err
		}
		s.http = addr
		if err := waitPolling(ctx, s); err != nil {
			return res, err
		}
	}
	res.Ready = time.Since(started)

	// A short settle so start-up garbage and the first long polls are
	// behind every process alike.
	select {
	case <-time.After(cfg.queueSettle):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	frontPort, err := portOf(b.addr)
	if err != nil {
		return res, err
	}
	for _, s := range sides {
		r, err := rss(s.sidecar.pid())
		if err != nil {
			return res, err
		}
		res.SidecarRSS += r
		res.MaxRSS = max(res.MaxRSS, r)
		if r, err = rss(s.app.pid()); err != nil {
			return res, err
		}
		res.AppRSS += r
		m, err := scrape(ctx, "http://"+s.http+"/metrics", "go_goroutines", "go_memstats_heap_inuse_bytes")
		if err != nil {
			return res, err
		}
		res.Goroutines += int64(m["go_goroutines"])
		res.HeapInuse += int64(m["go_memstats_heap_inuse_bytes"])
		c, err := tcpConns(s.sidecar.pid(), frontPort, true)
		if err != nil {
			return res, err
		}
		res.FrontConns += c
	}
	if b.server != 0 {
		// The frontend's side: every established connection the server
		// holds on its port, the driver's SDK client included.
		res.ServerConns, _ = tcpConns(b.server, frontPort, false)
	}

	if cfg.queueWorkflows > 0 {
		if err := b.queueWorkload(ctx, res, sides, queues); err != nil {
			return res, err
		}
	}
	return res, nil
}

// queueWorkload runs cfg.queueWorkflows Chain workflows, all started at
// once and spread round-robin over the queues, and measures the worker
// side's CPU over the batch.
func (b *bench) queueWorkload(ctx context.Context, res *queueCostResult, sides []*queueSide, queues []string) error {
	cfg := b.cfg
	cpu := func() (sc, app time.Duration, err error) {
		for _, s := range sides {
			d, err := cpuTime(s.sidecar.pid())
			if err != nil {
				return 0, 0, err
			}
			sc += d
			if d, err = cpuTime(s.app.pid()); err != nil {
				return 0, 0, err
			}
			app += d
		}
		return sc, app, nil
	}
	sc0, app0, err := cpu()
	if err != nil {
		return err
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		started  = time.Now()
		prefix   = fmt.Sprintf("qc-N%d-%s", res.N, res.Setup)
		n        = cfg.queueWorkflows
		failed   int
		firstErr error
	)
	for i := range n {
		tq := queues[i%len(queues)]
		wg.Go(func() {
			err := b.workflow(ctx, chain, tq, fmt.Sprintf("%s-%d-%d", prefix, i, started.UnixNano()), fmt.Sprintf("%s #%04d", prefix, i))
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
	res.Wall = time.Since(started)
	sc1, app1, err := cpu()
	if err != nil {
		return err
	}
	res.Workflows, res.Failed = n, failed
	if firstErr != nil {
		res.FirstErr = firstErr.Error()
	}
	res.SidecarCPU, res.AppCPU = sc1-sc0, app1-app0
	for _, s := range sides {
		p, err := peakRSS(s.sidecar.pid())
		if err != nil {
			return err
		}
		res.PeakRSS += p
	}
	return nil
}

// stopSides stops every sidecar at once (SIGTERM, drain), then waits for
// each app, which leaves on the sidecar's shutdown notice.
func stopSides(sides []*queueSide, grace time.Duration) {
	var wg sync.WaitGroup
	for _, s := range sides {
		if s == nil {
			continue
		}
		wg.Go(func() {
			if _, err := s.sidecar.stop(grace); err != nil {
				fmt.Fprintln(os.Stderr, "bench:", err)
			}
			if s.app != nil {
				if _, err := s.app.waitExit(5 * time.Second); err != nil {
					fmt.Fprintln(os.Stderr, "bench:", err)
				}
			}
		})
	}
	wg.Wait()
}

var telemetryAddrRE = regexp.MustCompile(`msg="telemetry listening" addr=(\S+)`)

// httpAddr reads the address the sidecar bound for --http-listen
// 127.0.0.1:0 from its log, so no port is picked ahead and raced for.
func httpAddr(ctx context.Context, p *proc) (string, error) {
	for {
		if b, err := os.ReadFile(p.logPath); err == nil {
			if m := telemetryAddrRE.FindSubmatch(b); m != nil {
				return string(m[1]), nil
			}
		}
		select {
		case <-p.done:
			return "", fmt.Errorf("%s exited before serving HTTP (%v); see %s%s", p.name, p.waitErr, p.logPath, p.tail())
		case <-ctx.Done():
			return "", fmt.Errorf("%s did not log its HTTP address: %w; see %s", p.name, ctx.Err(), p.logPath)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitPolling waits until the sidecar's /readyz is 200 and names every
// queue of s as polling.
func waitPolling(ctx context.Context, s *queueSide) error {
	c := http.Client{Timeout: 5 * time.Second}
	last := "no answer"
	for {
		if resp, err := c.Get("http://" + s.http + "/readyz"); err != nil {
			last = err.Error()
		} else {
			var r telemetry.Readiness
			err := json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			polling := 0
			for _, q := range r.TaskQueues {
				if q.Polling && slices.Contains(s.queues, q.Name) {
					polling++
				}
			}
			if err == nil && r.Ready && polling == len(s.queues) {
				return nil
			}
			last = fmt.Sprintf("%d, ready %v, %d of %d queues polling, %s", resp.StatusCode, r.Ready, polling, len(s.queues), r.Reason)
		}
		select {
		case <-s.sidecar.done:
			return fmt.Errorf("sidecar exited before its queues were polled (%v); see %s%s", s.sidecar.waitErr, s.sidecar.logPath, s.sidecar.tail())
		case <-ctx.Done():
			return fmt.Errorf("queues not polled: %w; last /readyz: %s; see %s", ctx.Err(), last, s.sidecar.logPath)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// scrape reads unlabelled gauges from a Prometheus text endpoint.
func scrape(ctx context.Context, url string, names ...string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && slices.Contains(names, f[0]) {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = v
			}
		}
	}
	for _, n := range names {
		if _, ok := out[n]; !ok {
			return nil, fmt.Errorf("%s has no %s", url, n)
		}
	}
	return out, sc.Err()
}

func portOf(addr string) (int, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(p)
}

// tcpConns counts pid's established TCP sockets whose remote port
// (remote true) or local port (remote false) is port: its open socket
// inodes from /proc/<pid>/fd, matched against /proc/<pid>/net/tcp{,6}.
func tcpConns(pid, port int, remote bool) (int, error) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, err
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		if in, ok := strings.CutPrefix(l, "socket:["); ok {
			inodes[strings.TrimSuffix(in, "]")] = true
		}
	}
	n := 0
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue // no IPv6
		}
		n += countConns(b, port, remote, inodes)
	}
	return n, nil
}

// countConns counts the rows of a /proc/net/tcp table in state
// ESTABLISHED (01) whose inode is in inodes and whose remote or local
// port is port. Addresses are hex "ADDR:PORT".
func countConns(table []byte, port int, remote bool, inodes map[string]bool) int {
	col := 1 // local_address
	if remote {
		col = 2 // rem_address
	}
	n := 0
	for i, l := range strings.Split(string(table), "\n") {
		f := strings.Fields(l)
		if i == 0 || len(f) < 10 || f[3] != "01" || !inodes[f[9]] {
			continue
		}
		_, hexPort, ok := strings.Cut(f[col], ":")
		if p, err := strconv.ParseInt(hexPort, 16, 32); ok && err == nil && int(p) == port {
			n++
		}
	}
	return n
}

// queueCostMarkdown is the bench:queues section.
func queueCostMarkdown(cfg config, results []*queueCostResult, date time.Time, took time.Duration, load string, baseConns int, rev string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## One sidecar, many task queues: the hidden cost\n\n")
	p("Generated by `make bench-queues` on %s; the run took %s. Do not edit between the markers: the next run replaces it.\n\n",
		date.UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second))
	p("**What this measures.** Issue 13's check that one sidecar serving N task queues costs less than N sidecars with one `--task-queue` each. ")
	p("For each N, on one dev server: *one sidecar* started without `--task-queue`, and one `bench/cmd/echoapp` registering the N queues over N Connect streams ")
	p("(`-task-queues`); against *N sidecars*, each with `--task-queue` and its own echoapp on one stream. ")
	p("Every sidecar: %d workflow task and %d activity pollers and %d slots of each per queue, `--http-listen` on loopback, otherwise defaults; ", cfg.Pollers, cfg.Pollers, cfg.Capacity)
	p("every app registers the `Chain` and `TimerSignal` workflows and the `Echo` activity on each queue, one goroutine per queue answering each kind. ")
	p("Once every sidecar's `/readyz` is 200 and names each of its queues as polling, and after a %s settle, the benchmark reads: ", cfg.queueSettle)
	p("*RSS* = `VmRSS` from `/proc/PID/status`, summed over the sidecar processes and, apart, over the app processes; ")
	p("*goroutines* and *Go heap* = `go_goroutines` and `go_memstats_heap_inuse_bytes` from each sidecar's `/metrics`, summed; ")
	p("*frontend connections* = the sidecars' established TCP sockets (their `/proc/PID/fd` socket inodes in `/proc/PID/net/tcp{,6}`) whose remote port is the frontend's; ")
	p("*server sees* = established sockets the dev server holds on its frontend port")
	if baseConns >= 0 {
		p(", %d of them there before any sidecar started (the driver's SDK client and the dev server's own)", baseConns)
	}
	p(". ")
	p("Apps talk to their sidecar over a unix socket, one gRPC connection per stream (`internal/bridgetest` dials one per registration), so the one sidecar also holds N bridge connections. ")
	if cfg.queueWorkflows > 0 {
		p("Then a short workload through the same processes: %d `Chain` workflows of %d `Echo` activities, started at once by the driver's Go SDK client and spread round-robin over the N queues; ", cfg.queueWorkflows, cfg.K)
		p("CPU = utime+stime of the sidecars and of the apps over the batch; *peak RSS* = the sidecars' `VmHWM` summed after it.")
	}
	p("\n\n")
	p("- **Machine:** %s; 1-minute load average %s at start, %s at end.\n", machine(), load, loadAvg())
	p("- **Server:** one Temporal CLI dev server (%s), SQLite in memory, the benchmark's tuned dynamic config (see above).\n", cliVersion())
	p("- **Sidecar:** %s, built with %s.\n\n", rev, runtime.Version())

	byKey := map[string]*queueCostResult{}
	var sizes []int
	for _, r := range results {
		byKey[fmt.Sprint(r.N, r.Setup)] = r
		if !slices.Contains(sizes, r.N) {
			sizes = append(sizes, r.N)
		}
	}
	label := func(r *queueCostResult) string {
		if r.Setup == oneSidecar {
			return fmt.Sprintf("one sidecar, %d queue(s)", r.N)
		}
		return fmt.Sprintf("%d sidecar(s), 1 queue each", r.N)
	}
	x := func(a, b float64) string {
		if b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", a/b)
	}
	p("### Idle, every queue polled\n\n")
	p("*×* is N sidecars ÷ one sidecar.\n\n")
	p("| N | setup | sidecar RSS MiB | largest sidecar MiB | goroutines | Go heap MiB | frontend connections | server sees | app RSS MiB | ready after |\n")
	p("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, n := range sizes {
		one, many := byKey[fmt.Sprint(n, oneSidecar)], byKey[fmt.Sprint(n, manySidecars)]
		for _, r := range []*queueCostResult{one, many} {
			if r == nil {
				continue
			}
			if r.Error != "" {
				p("| %d | %s | failed: %s |||||||\n", n, label(r), strings.ReplaceAll(firstLine(r.Error), "|", "/"))
				continue
			}
			p("| %d | %s | %.1f | %.1f | %d | %.1f | %d | %d | %.1f | %s |\n", n, label(r), mib(r.SidecarRSS), mib(r.MaxRSS), r.Goroutines,
				mib(r.HeapInuse), r.FrontConns, r.ServerConns, mib(r.AppRSS), ms(r.Ready))
		}
		if one != nil && many != nil && one.Error == "" && many.Error == "" && n > 1 {
			p("| %d | **×** | **%s** | | %s | %s | %s | | %s | |\n", n, x(float64(many.SidecarRSS), float64(one.SidecarRSS)),
				x(float64(many.Goroutines), float64(one.Goroutines)), x(float64(many.HeapInuse), float64(one.HeapInuse)),
				x(float64(many.FrontConns), float64(one.FrontConns)), x(float64(many.AppRSS), float64(one.AppRSS)))
		}
	}
	p("\n")
	var verdicts []string
	for _, n := range sizes {
		one, many := byKey[fmt.Sprint(n, oneSidecar)], byKey[fmt.Sprint(n, manySidecars)]
		if n < 2 || one == nil || many == nil || one.Error != "" || many.Error != "" {
			continue
		}
		ok := one.SidecarRSS < many.SidecarRSS && one.FrontConns < many.FrontConns
		verdicts = append(verdicts, fmt.Sprintf("N=%d %s (one sidecar %.1f MiB, %d frontend connection(s); %d sidecars %.1f MiB, %d)",
			n, verdict(ok), mib(one.SidecarRSS), one.FrontConns, n, mib(many.SidecarRSS), many.FrontConns))
	}
	if len(verdicts) > 0 {
		p("Issue 13, one sidecar with N queues uses less memory and fewer frontend connections than N sidecars: %s.\n\n", strings.Join(verdicts, "; "))
	}

	if cfg.queueWorkflows > 0 {
		p("### A short workload through the same processes\n\n")
		p("*×* is N sidecars ÷ one sidecar. One batch per setup and N: a rough side-by-side, not the end-to-end benchmark's rounds.\n\n")
		p("| N | setup | workflows/s | activities/s | sidecar CPU ms/wf | app CPU ms/wf | worker-side CPU ms/wf | sidecar peak RSS MiB | failed |\n")
		p("|--:|---|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, n := range sizes {
			one, many := byKey[fmt.Sprint(n, oneSidecar)], byKey[fmt.Sprint(n, manySidecars)]
			for _, r := range []*queueCostResult{one, many} {
				if r == nil || r.Error != "" || r.Workflows == 0 {
					continue
				}
				wfs := float64(r.Workflows) / r.Wall.Seconds()
				p("| %d | %s | %.1f | %.0f | %.2f | %.2f | %.2f | %.1f | %d |\n", n, label(r), wfs, wfs*float64(cfg.K),
					perWF(r.SidecarCPU, r.Workflows), perWF(r.AppCPU, r.Workflows), perWF(r.SidecarCPU+r.AppCPU, r.Workflows), mib(r.PeakRSS), r.Failed)
			}
			if one != nil && many != nil && one.Error == "" && many.Error == "" && one.Workflows > 0 && many.Workflows > 0 && n > 1 {
				p("| %d | **×** | %s | | %s | %s | %s | %s | |\n", n, x(one.Wall.Seconds(), many.Wall.Seconds()),
					x(float64(many.SidecarCPU), float64(one.SidecarCPU)), x(float64(many.AppCPU), float64(one.AppCPU)),
					x(float64(many.SidecarCPU+many.AppCPU), float64(one.SidecarCPU+one.AppCPU)), x(float64(many.PeakRSS), float64(one.PeakRSS)))
			}
		}
		p("\n")
		for _, r := range results {
			if r.FirstErr != "" {
				p("N=%d, %s: first failure: %s\n\n", r.N, label(r), firstLine(r.FirstErr))
			}
		}
	}

	p("### How to run\n\n")
	p("```sh\n")
	p("make bench-queues                                          # this section, about %s on 2 cores\n", took.Round(30*time.Second))
	p("make bench-queues QUEUES_FLAGS=\"-queue-cost 1,10,100\"      # other queue counts\n")
	p("make bench-queues QUEUES_FLAGS=\"-queue-workflows 0 -out ''\"  # idle figures only, printed, this file untouched\n")
	p("```\n\n")
	p("`make bench-queues` builds the binaries as `make bench` does and runs `bench/cmd/bench -queue-cost 1,10,50`, which rewrites only this section. ")
	p("Process logs and raw results (`results.json`) go to `bench/out/logs/queues`.\n")
	return b.String()
}

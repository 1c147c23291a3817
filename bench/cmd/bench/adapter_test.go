//go:build linux

package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// The adapter is judged against native temporalio round by round, and its
// CPU is split between the sidecar and the temporalio process.
func TestAdapterAgainstNativeTemporalio(t *testing.T) {
	batch := func(r int, c string, wall time.Duration, cpu map[string]time.Duration) *roundResult {
		return &roundResult{Round: r, Workload: chain, Contender: c, N: 100, Wall: wall, CPU: cpu,
			Latencies: []time.Duration{time.Second}, SeqCPU: map[string]time.Duration{}}
	}
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	rounds := []*roundResult{
		batch(1, temporalioPy, 10*time.Second, map[string]time.Duration{"temporalio": ms(4000)}),
		batch(1, temporalioSC, 8*time.Second, map[string]time.Duration{"temporalio": ms(2700), "sidecar": ms(1300)}),
		batch(2, temporalioPy, 10*time.Second, map[string]time.Duration{"temporalio": ms(4000)}),
		batch(2, temporalioSC, 20*time.Second, map[string]time.Duration{"temporalio": ms(3000), "sidecar": ms(1400)}),
		batch(3, temporalioPy, 10*time.Second, map[string]time.Duration{"temporalio": ms(4000)}),
		batch(3, temporalioSC, 9*time.Second, map[string]time.Duration{"temporalio": ms(2600), "sidecar": ms(1200)}),
	}
	r := newReport(config{N: 100, K: 10, Rounds: 3}, rounds, time.Now(), "0")
	var b strings.Builder
	r.workloadTable(&b, chain)
	r.adapterTable(&b, []string{chain, timer})
	out := b.String()
	for _, want := range []string{
		// Throughput: 300 workflows in 37s against 30s over all rounds; per round 1.25, 0.50, 1.11.
		"throughput ≥ 1.0× — **unclear (the two measures disagree)** (0.81× over all rounds; per round median 1.11× (0.50–1.25), ahead in 2 of 3 rounds)",
		// CPU: 12.2s against 12s; per round 1.00, 1.10, 0.95.
		"worker-side CPU per workflow ≤ 1.0× — **unclear (the two measures disagree)** (1.02× over all rounds; per round median 1.00× (0.95–1.10), less CPU in 1 of 3 rounds)",
		"| | Workload A: a chain of activities |\n",
		"| adapter: sidecar ms/workflow (share of the adapter's) | 13.00 (32%) |",
		"| adapter: temporalio process ms/workflow (share) | 27.67 (68%) |",
		"| adapter's temporalio process ÷ native temporalio process | 0.69× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}

	// The @temporalio/worker pair is judged the same way, its SDK process being node.
	ts := []*roundResult{
		batch(1, tsNative, 10*time.Second, map[string]time.Duration{"node": ms(3000)}),
		batch(1, tsSC, 10*time.Second, map[string]time.Duration{"node": ms(2000), "sidecar": ms(1000)}),
	}
	r = newReport(config{N: 100, K: 10, Rounds: 1}, ts, time.Now(), "0")
	b.Reset()
	r.workloadTable(&b, chain)
	r.adapterTable(&b, []string{chain})
	out = b.String()
	for _, want := range []string{
		"DESIGN.md targets for an adapter, sidecar + @temporalio/worker (adapter) ÷ TypeScript SDK worker (@temporalio/worker)",
		"throughput ≥ 1.0× — **met** (1.00× over all rounds; per round median 1.00× (1.00–1.00), ahead in 1 of 1 rounds)",
		"### The @temporalio/worker adapter against native @temporalio/worker",
		"| native @temporalio/worker: process CPU ms/workflow | 30.00 |",
		"| adapter: node process ms/workflow (share) | 20.00 (67%) |",
		"| adapter's sidecar ÷ native node process | 0.33× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "### The temporalio adapter") {
		t.Errorf("a temporalio section without temporalio contenders:\n%s", out)
	}

	// Without the native contender there is nothing to judge against.
	r = newReport(config{N: 100, K: 10, Rounds: 3}, rounds[1:2], time.Now(), "0")
	b.Reset()
	r.workloadTable(&b, chain)
	r.adapterTable(&b, []string{chain})
	if s := b.String(); strings.Contains(s, "DESIGN.md targets for an adapter") || strings.Contains(s, "### The temporalio adapter") {
		t.Errorf("an adapter verdict without native temporalio:\n%s", b.String())
	}
}

func TestSummarizePySpy(t *testing.T) {
	dir := t.TempDir()
	in, out := dir+"/p.txt", dir+"/s.txt"
	raw := "run (a.py:1);_write (grpc/aio/_call.py:500) 3\n" +
		"run (a.py:2);_write (grpc/aio/_call.py:501) 1\n" +
		"run (a.py:1);step (/x/site-packages/temporalio/worker.py:9) 4\n"
	if err := os.WriteFile(in, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := summarizePySpy(in, out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	for _, want := range []string{
		" 50.00%  grpc/aio/_call.py\n", " 50.00%  temporalio/worker.py\n",
		" 50.00%  _write (grpc/aio/_call.py)\n", "100.00%  run (a.py)\n", "of 8 samples",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("missing %q in\n%s", want, b)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCeilingSmoke runs every workload briefly, so the benchmark keeps
// building and working as the sidecar changes. It checks that work flowed,
// not how fast.
func TestCeilingSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sidecar with apps for a few seconds")
	}
	for _, k := range []string{kindActivity, kindWorkflow, kindSticky} {
		for _, inflight := range []int{1, 32} {
			res, err := runCell(k, "unix", 1, inflight, 2, 100*time.Millisecond, 300*time.Millisecond, "")
			if err != nil {
				t.Fatalf("%s, in flight %d: %v", k, inflight, err)
			}
			if res.Ops == 0 {
				t.Errorf("%s, in flight %d: nothing completed", k, inflight)
			}
			for _, n := range res.Notes {
				t.Logf("%s, in flight %d: %s", k, inflight, n)
			}
		}
	}
}

func TestHistoryCurveSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a sidecar with an app")
	}
	ps, err := historyCurve([]int{20, 60}, 3, 2, "unix")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if want := []int{20, 60}[i]; p.Samples != 6 || p.Events < want {
			t.Errorf("samples %d (want 6), events %d (want >= %d)", p.Samples, p.Events, want)
		}
	}
}

func TestUpdateFileKeepsTextOutsideMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "B.md")
	if err := updateFile(path, "one"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := startMarker + "\none\n" + endMarker + "\n"; string(b) != want {
		t.Fatalf("new file = %q, want %q", b, want)
	}
	other := "# Benchmarks\n\n<!-- bench:activities:start -->\nkept\n<!-- bench:activities:end -->\n\n"
	if err := os.WriteFile(path, []byte(other+string(b)+"tail\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := updateFile(path, "two"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if want := other + startMarker + "\ntwo\n" + endMarker + "\ntail\n"; string(b) != want {
		t.Fatalf("updated file = %q, want %q", b, want)
	}
	if err := os.WriteFile(path, []byte("# Benchmarks\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := updateFile(path, "three"); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# Benchmarks\n\n"+startMarker+"\nthree\n") {
		t.Fatalf("appended file = %q", b)
	}
}

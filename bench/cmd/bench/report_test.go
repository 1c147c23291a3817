//go:build linux

package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/internal/timeline"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	line := []byte("4242 (my (odd) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0 100 1000 200")
	got, err := parseStatCPU(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3250 * time.Millisecond; got != want {
		t.Errorf("parseStatCPU = %v, want %v", got, want)
	}
	comm, ppid, ok := statPPID(line)
	if !ok || comm != "my (odd) proc" || ppid != 1 {
		t.Errorf("statPPID = %q, %d, %v", comm, ppid, ok)
	}
	if _, err := parseStatCPU([]byte("garbage")); err == nil {
		t.Error("parseStatCPU accepted garbage")
	}
}

func TestParseStatusKBReadsTheNamedField(t *testing.T) {
	status := []byte("Name:\tx\nVmPeak:\t  9999 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1024 kB\n")
	for field, want := range map[string]int64{"VmHWM": 2048 << 10, "VmRSS": 1024 << 10} {
		if got, err := parseStatusKB(status, field); err != nil || got != want {
			t.Errorf("parseStatusKB(%s) = %d, %v; want %d", field, got, err, want)
		}
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Error("parseStatusKB found a field the status does not have")
	}
}

func TestReplaceSection(t *testing.T) {
	sm, em := startMarker(activitiesSection), endMarker(activitiesSection)
	doc := "# B\n\nintro\n\n" + sm + "\nold\n" + em + "\n\n## How to run\n"
	out, err := replaceSection([]byte(doc), activitiesSection, "new\n", "")
	if err != nil {
		t.Fatal(err)
	}
	want := "# B\n\nintro\n\n" + sm + "\nnew\n" + em + "\n\n## How to run\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	out, err = replaceSection([]byte("# B\n"), activitiesSection, "new", "")
	if err != nil || !strings.HasSuffix(string(out), sm+"\nnew\n"+em+"\n") || !strings.HasPrefix(string(out), "# B\n\n") {
		t.Errorf("appending to a file without markers: %q, %v", out, err)
	}
	if _, err := replaceSection([]byte(em+sm), activitiesSection, "x", ""); err == nil {
		t.Error("markers in the wrong order were accepted")
	}
	// A new section goes in front of the next one that exists.
	out, err = replaceSection([]byte(doc), workersSection, "workers", activitiesSection)
	wantPrefix := "# B\n\nintro\n\n" + startMarker(workersSection) + "\nworkers\n" + endMarker(workersSection) + "\n\n" + sm
	if err != nil || !strings.HasPrefix(string(out), wantPrefix) {
		t.Errorf("inserting before the next section: %q, %v", out, err)
	}
	for _, name := range []string{workersSection, activitiesSection} {
		if !strings.Contains(skeleton, startMarker(name)) || !strings.Contains(skeleton, endMarker(name)) {
			t.Errorf("the skeleton lacks the %s markers", name)
		}
	}
}

func TestUpdateFileLeavesEmptySections(t *testing.T) {
	path := t.TempDir() + "/B.md"
	if err := updateFile(path, map[string]string{workersSection: "W1", activitiesSection: "A1"}); err != nil {
		t.Fatal(err)
	}
	if err := updateFile(path, map[string]string{workersSection: "W2"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if s := string(b); !strings.Contains(s, "\nW2\n") || !strings.Contains(s, "\nA1\n") || strings.Contains(s, "W1") {
		t.Errorf("got %q", s)
	}
}

func TestSummarizeTimeline(t *testing.T) {
	ts := []int64{5, 100, 110, 150, 400, 420, 1000}
	w := timeline.Summarize(ts, 100, 420)
	if w.Count != 5 || w.MaxGap != 250 || w.MaxGapAt != 50 {
		t.Errorf("Summarize = %+v", w)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i))
	}
	if p := percentile(d, 50); p != 100 {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(d, 99); p != 198 {
		t.Errorf("p99 = %v", p)
	}
}

func TestParseMachineBusy(t *testing.T) {
	got, err := parseMachineBusy([]byte("cpu  100 5 50 9999 77 3 2 1 40 0\ncpu0 1 2 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := 1610 * time.Millisecond; got != want {
		t.Errorf("parseMachineBusy = %v, want %v", got, want)
	}
}

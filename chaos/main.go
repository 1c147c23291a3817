// Command chaos is the sidecar's fault suite: a real workload (Python apps
// on temporal_sidecar, workflows started by an independent temporalio
// client) on a dev server with a database file, under the faults an
// operator meets: apps SIGKILLed, the sidecar SIGKILLed or SIGTERMed, the
// server restarted, hung apps, hostile and oversize bridge messages, and a
// soak. Every case ends by counting the workflows lost and stuck, which
// must be zero.
//
//	go run ./chaos -short            a few minutes; part of make test
//	go run ./chaos -out RELIABILITY.md   the full form, written as a table
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

var (
	short      = flag.Bool("short", false, "the short form: smaller batches, fewer faults, a 30s soak")
	out        = flag.String("out", "", "write the results table into this markdown file (between chaos markers)")
	sidecarBin = flag.String("sidecar", "bin/sidecar", "the sidecar binary (make build)")
	python     = flag.String("python", ".venv/bin/python", "the Python with clients/python and temporalio installed (make venv)")
	only       = flag.String("cases", "", "comma-separated case ids to run (default all)")
	logDir     = flag.String("logs", "", "where process logs go (default a temporary directory, kept on failure)")
)

// A result is one case's outcome.
type result struct {
	id, name             string
	workflows, completed int
	lost, stuck          int
	took                 time.Duration
	notes                string
	err                  error
	lostIDs, stuckIDs    []string
}

func (r result) ok() bool {
	return r.err == nil && r.lost == 0 && r.stuck == 0 && r.completed == r.workflows
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

func run() error {
	for _, p := range []string{*sidecarBin, *python} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%s is missing: run make build venv first (%v)", p, err)
		}
	}
	dir := *logDir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "chaos-"); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ctx := context.Background()
	r, err := newRig(ctx, dir)
	if err != nil {
		return err
	}
	defer r.close()

	var results []result
	for _, c := range cases(*short) {
		if *only != "" && !strings.Contains(","+*only+",", ","+c.id+",") {
			continue
		}
		fmt.Fprintf(os.Stderr, "chaos: %s ...\n", c.name)
		res := r.runCase(ctx, c)
		fmt.Fprintf(os.Stderr, "chaos: %s: %d/%d completed, %d lost, %d stuck in %s %s %v\n",
			c.name, res.completed, res.workflows, res.lost, res.stuck, res.took.Round(time.Second), res.notes, errText(res.err))
		results = append(results, res)
	}
	table := render(results, *short)
	fmt.Print(table)
	if *out != "" {
		if err := writeSection(*out, table); err != nil {
			return err
		}
	}
	failed := 0
	for _, res := range results {
		if !res.ok() {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d cases lost or stuck workflows, or failed; logs in %s", failed, len(results), dir)
	}
	if *logDir == "" {
		_ = os.RemoveAll(dir)
	}
	return nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return "error: " + err.Error()
}

// render is the results as a markdown table, in the style of BENCHMARKS.md.
func render(results []result, short bool) string {
	var b strings.Builder
	form := "full"
	if short {
		form = "short"
	}
	fmt.Fprintf(&b, "Fault suite (`make chaos`, %s form), %s, Temporal dev server with a database file, Python apps on temporal_sidecar, workflows started by temporalio.\n\n",
		form, time.Now().UTC().Format("2006-01-02"))
	b.WriteString("| case | workflows | completed | lost | stuck | took | notes |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range results {
		notes := r.notes
		if r.err != nil {
			notes = strings.TrimSpace(notes + " error: " + r.err.Error())
		}
		if len(r.lostIDs) > 0 {
			notes += fmt.Sprintf(" lost: %v", r.lostIDs)
		}
		if len(r.stuckIDs) > 0 {
			notes += fmt.Sprintf(" stuck: %v", r.stuckIDs)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s | %s |\n", r.name, r.workflows, r.completed, r.lost, r.stuck, r.took.Round(time.Second), notes)
	}
	return b.String()
}

const beginMark, endMark = "<!-- chaos:begin -->", "<!-- chaos:end -->"

// writeSection replaces the marked section of path (or writes the file).
func writeSection(path, table string) error {
	section := beginMark + "\n" + table + endMark + "\n"
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return os.WriteFile(path, []byte("# Reliability\n\n`make chaos` runs the fault suite (`chaos/`); `make chaos-short` its short form, part of `make test`.\nEvery case must end with zero workflows lost or stuck.\n\n"+section), 0o644)
	}
	if err != nil {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		return os.WriteFile(path, []byte(s+"\n"+section), 0o644)
	}
	return os.WriteFile(path, []byte(s[:i]+section+s[j+len(endMark)+1:]), 0o644)
}

// counts is what client.py check prints.
type counts struct {
	Completed int      `json:"completed"`
	Lost      int      `json:"lost"`
	Stuck     int      `json:"stuck"`
	LostIDs   []string `json:"lost_ids"`
	StuckIDs  []string `json:"stuck_ids"`
}

func decode(line string, v any) error {
	if err := json.Unmarshal([]byte(line), v); err != nil {
		return fmt.Errorf("client.py printed %q: %w", line, err)
	}
	return nil
}

// startServer starts the dev server on the rig's database, on its port once
// it has one.
func (r *rig) startServer(ctx context.Context) error {
	s, err := devserver.Start(ctx, devserver.Options{Port: r.port, Args: []string{"--db-filename", filepath.Join(r.dir, "temporal.db")},
		DynamicConfig: map[string]string{"system.enableActivityEagerExecution": "true"}})
	if err != nil {
		return err
	}
	r.server = s
	if r.port == 0 {
		_, port, _ := strings.Cut(s.Address(), ":")
		fmt.Sscan(port, &r.port)
	}
	return nil
}

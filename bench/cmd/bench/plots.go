//go:build linux

package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// maxCommittedPlot is the largest PNG copied to -results to be committed.
const maxCommittedPlot = 100 << 10

type plots struct {
	dir          string   // where they were rendered
	csv          string   // the summary CSV in dir
	rendered     []string // PNG paths in dir
	committed    []plotFile
	committedCSV string // the CSV copied to -results when the plots are too big
	err          string // why none were rendered
}

type plotFile struct{ title, path string }

// plotTitles are the plot module's outputs and what they show.
var plotTitles = map[string]string{
	"e2e_throughput_cpu.png": "Throughput and worker-side CPU per workflow, per contender",
	"e2e_latency.png":        "Latency at concurrency 1 and with all workflows at once, per contender",
}

// summaryCSV writes one row per workload and contender.
func (r *report) summaryCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"workload", "contender", "label", "batch_n", "workflows", "workflows_per_s", "cpu_ms_per_workflow", "peak_rss_mib",
		"p50_ms", "p99_ms", "seq_p50_ms", "seq_p99_ms", "seq_cpu_ms_per_workflow", "failed"})
	msf := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) }
	for _, wl := range allWorkloads {
		for _, c := range r.contenders(wl) {
			t := r.totals[key{wl, c}]
			seqCPU := ""
			if t.seqN > 0 {
				seqCPU = strconv.FormatFloat(1000*t.seqCPU.Seconds()/float64(t.seqN), 'f', 3, 64)
			}
			seq50, seq99 := "", ""
			if len(t.seq) > 0 {
				seq50, seq99 = msf(percentile(t.seq, 50)), msf(percentile(t.seq, 99))
			}
			_ = w.Write([]string{wl, c, shortLabels[c], strconv.Itoa(r.cfg.N), strconv.Itoa(t.workflows),
				strconv.FormatFloat(t.wfPerSec(), 'f', 3, 64), strconv.FormatFloat(t.cpuMsPerWF(), 'f', 3, 64),
				strconv.FormatFloat(float64(t.rss)/(1<<20), 'f', 1, 64),
				msf(percentile(t.latencies, 50)), msf(percentile(t.latencies, 99)), seq50, seq99, seqCPU,
				strconv.Itoa(t.failed + t.seqFailed)})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// renderPlots writes the summary CSV and renders it with the plot module
// (its own go.mod, so the sidecar's module does not depend on gonum/plot),
// then copies the PNGs to -results when each is small enough to commit, or
// else the CSV.
func (b *bench) renderPlots(r *report) plots {
	cfg := b.cfg
	pl := plots{dir: cfg.plotOut}
	if err := os.MkdirAll(cfg.plotOut, 0o755); err != nil {
		pl.err = err.Error()
		return pl
	}
	pl.csv = filepath.Join(cfg.plotOut, "e2e_summary.csv")
	if err := r.summaryCSV(pl.csv); err != nil {
		pl.err = err.Error()
		return pl
	}
	if cfg.plotDir == "" {
		pl.err = "-plot-module is empty"
		return pl
	}
	abs, _ := filepath.Abs(cfg.plotOut)
	cmd := exec.Command("go", "run", ".", filepath.Join(abs, "e2e_summary.csv"), abs)
	cmd.Dir = cfg.plotDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		pl.err = fmt.Sprintf("go run in %s: %v: %s", cfg.plotDir, err, strings.TrimSpace(string(out)))
		fmt.Fprintln(os.Stderr, "bench: plots skipped:", pl.err)
		return pl
	}
	for l := range strings.Lines(string(out)) {
		if l = strings.TrimSpace(l); strings.HasSuffix(l, ".png") {
			pl.rendered = append(pl.rendered, l)
		}
	}
	if cfg.results == "" || len(pl.rendered) == 0 {
		return pl
	}
	small := true
	for _, f := range pl.rendered {
		if st, err := os.Stat(f); err != nil || st.Size() >= maxCommittedPlot {
			small = false
		}
	}
	if err := os.MkdirAll(cfg.results, 0o755); err != nil {
		pl.err = err.Error()
		return pl
	}
	if !small {
		dst := filepath.Join(cfg.results, "e2e_summary.csv")
		if err := copyFile(pl.csv, dst); err == nil {
			pl.committedCSV = dst
		}
		return pl
	}
	for _, f := range pl.rendered {
		dst := filepath.Join(cfg.results, filepath.Base(f))
		if err := copyFile(f, dst); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			continue
		}
		title := plotTitles[filepath.Base(f)]
		if title == "" {
			title = filepath.Base(f)
		}
		link := dst
		if cfg.out != "" {
			// A link relative to the markdown file.
			if a, err := filepath.Abs(dst); err == nil {
				if o, err := filepath.Abs(cfg.out); err == nil {
					if rel, err := filepath.Rel(filepath.Dir(o), a); err == nil {
						link = rel
					}
				}
			}
		}
		pl.committed = append(pl.committed, plotFile{title: title, path: filepath.ToSlash(link)})
	}
	return pl
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

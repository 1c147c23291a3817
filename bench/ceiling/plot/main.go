// Command plot renders the ceiling benchmark's CSV files as PNG plots. It is
// its own module so that the sidecar's module does not depend on gonum/plot;
// bench/ceiling runs it as `go run . <dir>` and falls back to CSV only when
// it cannot be built.
package main

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: plot <dir with throughput.csv, history.csv, heap.csv>")
		os.Exit(2)
	}
	dir := os.Args[1]
	for _, f := range []func(string) (string, error){throughput, history, heap} {
		out, err := f(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "plot:", err)
			os.Exit(1)
		}
		if out != "" {
			fmt.Println(out)
		}
	}
}

// rows reads a CSV file as maps keyed by its header; a missing file is empty.
func rows(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, err
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out, nil
}

func num(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

func line(p *plot.Plot, i int, name string, pts plotter.XYs, dashed bool) error {
	l, s, err := plotter.NewLinePoints(pts)
	if err != nil {
		return err
	}
	c := palette[i%len(palette)]
	l.Color, s.Color = c, c
	l.Width = vg.Points(1.5)
	s.Shape = draw.CircleGlyph{}
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l, s)
	p.Legend.Add(name, l, s)
	return nil
}

func throughput(dir string) (string, error) {
	rs, err := rows(filepath.Join(dir, "throughput.csv"))
	if err != nil || len(rs) == 0 {
		return "", err
	}
	series := map[string]plotter.XYs{}
	for _, r := range rs {
		k := r["kind"] + " / " + r["transport"]
		series[k] = append(series[k], plotter.XY{X: num(r["sessions"]), Y: num(r["ops_per_s"])})
	}
	var names []string
	for k := range series {
		names = append(names, k)
	}
	sort.Strings(names)
	p := plot.New()
	p.Title.Text = "Throughput against app sessions"
	p.X.Label.Text = "app sessions"
	p.Y.Label.Text = "tasks or activations per second"
	var all plotter.XYs
	for _, pts := range series {
		all = append(all, pts...)
	}
	logX(p, all)
	p.Y.Min = 0
	p.Legend.Top = true
	for i, n := range names {
		pts := series[n]
		sort.Slice(pts, func(a, b int) bool { return pts[a].X < pts[b].X })
		if err := line(p, i/2, n, pts, i%2 == 1); err != nil {
			return "", err
		}
	}
	return save(p, dir, "throughput_vs_sessions.png")
}

func history(dir string) (string, error) {
	rs, err := rows(filepath.Join(dir, "history.csv"))
	if err != nil || len(rs) == 0 {
		return "", err
	}
	var p50, p99, mean plotter.XYs
	for _, r := range rs {
		x := num(r["events"])
		p50 = append(p50, plotter.XY{X: x, Y: num(r["p50_us"])})
		p99 = append(p99, plotter.XY{X: x, Y: num(r["p99_us"])})
		mean = append(mean, plotter.XY{X: x, Y: num(r["mean_us"])})
	}
	p := plot.New()
	p.Title.Text = "Sticky-hit round trip against history length"
	p.X.Label.Text = "history events before the activation"
	p.Y.Label.Text = "round trip (µs)"
	logX(p, p50)
	p.Y.Min = 0
	p.Legend.Top = true
	for i, s := range []struct {
		n   string
		pts plotter.XYs
	}{{"p50", p50}, {"mean", mean}, {"p99", p99}} {
		if err := line(p, i, s.n, s.pts, false); err != nil {
			return "", err
		}
	}
	return save(p, dir, "sticky_cost_vs_history.png")
}

func heap(dir string) (string, error) {
	rs, err := rows(filepath.Join(dir, "heap.csv"))
	if err != nil || len(rs) == 0 {
		return "", err
	}
	var pts plotter.XYs
	for _, r := range rs {
		pts = append(pts, plotter.XY{X: num(r["runs"]), Y: num(r["bytes_per_run"])})
	}
	p := plot.New()
	p.Title.Text = "Sidecar heap per cached run (~50-event histories)"
	p.X.Label.Text = "cached runs"
	p.Y.Label.Text = "bytes per run"
	logX(p, pts)
	p.Y.Min = 0
	p.Y.Max = 11 * 1024
	p.Legend.Top = true
	if err := line(p, 0, "measured", pts, false); err != nil {
		return "", err
	}
	target := plotter.XYs{{X: pts[0].X, Y: 10 * 1024}, {X: pts[len(pts)-1].X, Y: 10 * 1024}}
	if err := line(p, 3, "target (10 KiB)", target, true); err != nil {
		return "", err
	}
	return save(p, dir, "heap_per_cached_run.png")
}

// logX puts the x axis on a log scale with explicit bounds when the points
// span more than one positive value.
func logX(p *plot.Plot, pts plotter.XYs) {
	lo, hi := 0.0, 0.0
	for i, pt := range pts {
		if i == 0 || pt.X < lo {
			lo = pt.X
		}
		if i == 0 || pt.X > hi {
			hi = pt.X
		}
	}
	if lo <= 0 || hi <= lo {
		return
	}
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.X.Min, p.X.Max = lo/1.3, hi*1.3
}

func save(p *plot.Plot, dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	if err := p.Save(7*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return "", err
	}
	return path, nil
}

// Command plot renders the end-to-end benchmark's summary CSV
// (bench/cmd/bench writes e2e_summary.csv) as PNG bar charts:
//
//   - e2e_throughput_cpu.png: workflows per second and worker-side CPU per
//     workflow, one row of charts per workload, one bar per contender;
//   - e2e_latency.png: latency p50 and p99 at concurrency 1 and with all
//     workflows at once, one row per workload.
//
// It is its own module, with the same gonum/plot version as
// bench/ceiling/plot, so that the sidecar's module does not depend on
// gonum/plot. Usage: go run . <e2e_summary.csv> <output dir>; it prints the
// path of each PNG it writes.
package main

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: plot <e2e_summary.csv> <output dir>")
		os.Exit(2)
	}
	rs, err := rows(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "plot:", err)
		os.Exit(1)
	}
	for _, f := range []func([]row, string) (string, error){throughputCPU, latency} {
		out, err := f(rs, os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "plot:", err)
			os.Exit(1)
		}
		if out != "" {
			fmt.Println(out)
		}
	}
}

type row map[string]string

func rows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, err
	}
	var out []row
	for _, r := range recs[1:] {
		m := row{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out, nil
}

func (r row) num(k string) float64 {
	v, _ := strconv.ParseFloat(r[k], 64)
	return v
}

var titles = map[string]string{
	"chain":      "A: chain of activities",
	"timer":      "B: timer + signal",
	"activities": "activities only",
}

// byWorkload groups rows by workload, in first-seen order.
func byWorkload(rs []row) (order []string, groups map[string][]row) {
	groups = map[string][]row{}
	for _, r := range rs {
		wl := r["workload"]
		if _, ok := groups[wl]; !ok {
			order = append(order, wl)
		}
		groups[wl] = append(groups[wl], r)
	}
	return order, groups
}

var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
}

// contenderBars is a chart with one bar per contender, in its own color,
// labelled with its value.
func contenderBars(title, ylabel string, rs []row, col, format string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = ylabel
	var names []string
	var pts plotter.XYs
	var labels []string
	top := 0.0
	for i, r := range rs {
		v := r.num(col)
		bc, err := plotter.NewBarChart(plotter.Values{v}, vg.Points(28))
		if err != nil {
			return nil, err
		}
		bc.XMin = float64(i)
		bc.Color = palette[i%len(palette)]
		bc.LineStyle.Width = 0
		p.Add(bc)
		names = append(names, r["label"])
		pts = append(pts, plotter.XY{X: float64(i), Y: v})
		labels = append(labels, fmt.Sprintf(format, v))
		top = max(top, v)
	}
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].XAlign = draw.XCenter
	}
	l.Offset = vg.Point{Y: vg.Points(2)}
	p.Add(l)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(rs))-0.4
	p.Y.Min, p.Y.Max = 0, top*1.18
	return p, nil
}

func throughputCPU(rs []row, dir string) (string, error) {
	order, groups := byWorkload(rs)
	if len(order) == 0 {
		return "", nil
	}
	var grid [][]*plot.Plot
	for _, wl := range order {
		tp, err := contenderBars(titles[wl]+": throughput", "workflows / s", groups[wl], "workflows_per_s", "%.1f")
		if err != nil {
			return "", err
		}
		cpu, err := contenderBars(titles[wl]+": worker CPU per workflow", "CPU ms / workflow", groups[wl], "cpu_ms_per_workflow", "%.1f")
		if err != nil {
			return "", err
		}
		grid = append(grid, []*plot.Plot{tp, cpu})
	}
	return save(grid, 10*vg.Inch, vg.Length(len(order))*3*vg.Inch, filepath.Join(dir, "e2e_throughput_cpu.png"))
}

// latencyBars is a chart of p50 and p99 side by side per contender.
func latencyBars(title string, rs []row, p50, p99 string) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "ms"
	w := vg.Points(16)
	var names []string
	top := 0.0
	for j, s := range []struct{ name, col string }{{"p50", p50}, {"p99", p99}} {
		var vs plotter.Values
		for _, r := range rs {
			vs = append(vs, r.num(s.col))
			top = max(top, r.num(s.col))
		}
		bc, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return nil, err
		}
		bc.Color = palette[j]
		bc.LineStyle.Width = 0
		bc.Offset = vg.Length(2*j-1) * w / 2
		p.Add(bc)
		p.Legend.Add(s.name, bc)
	}
	for _, r := range rs {
		names = append(names, r["label"])
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(len(rs))-0.4
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Points(6)
	p.Y.Min, p.Y.Max = 0, top*1.3
	return p, nil
}

func latency(rs []row, dir string) (string, error) {
	order, groups := byWorkload(rs)
	var grid [][]*plot.Plot
	for _, wl := range order {
		g := groups[wl]
		hasSeq := false
		for _, r := range g {
			hasSeq = hasSeq || r["seq_p50_ms"] != ""
		}
		if !hasSeq {
			continue // the activities-only workload has no sequential runs
		}
		one, err := latencyBars(titles[wl]+": one workflow at a time", g, "seq_p50_ms", "seq_p99_ms")
		if err != nil {
			return "", err
		}
		all, err := latencyBars(titles[wl]+": "+g[0]["batch_n"]+" at once", g, "p50_ms", "p99_ms")
		if err != nil {
			return "", err
		}
		grid = append(grid, []*plot.Plot{one, all})
	}
	if len(grid) == 0 {
		return "", nil
	}
	return save(grid, 10*vg.Inch, vg.Length(len(grid))*3*vg.Inch, filepath.Join(dir, "e2e_latency.png"))
}

// save draws a grid of plots into one PNG.
func save(grid [][]*plot.Plot, w, h vg.Length, path string) (string, error) {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(80), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	t := draw.Tiles{Rows: len(grid), Cols: len(grid[0]), PadX: vg.Inch / 3, PadY: vg.Inch / 4,
		PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align(grid, t, dc)
	for j := range grid {
		for i, p := range grid[j] {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

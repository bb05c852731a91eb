package main

import (
	"cmp"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The plots drawn from results.json, each file in the plots directory.
const (
	plotLatency    = "latency.png"    // added latency against load, worker and seed
	plotThroughput = "throughput.png" // throughput against concurrency, with C/L
	plotBacklog    = "backlog.png"    // queue depth over time at each load
	plotMemory     = "memory.png"     // RSS against messages in flight
	plotFinite     = "finite.png"     // the finite endpoint's bursts over time
)

var (
	colWorker = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	colSeed   = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colIdeal  = color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
	colTarget = color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}
	dashed    = []vg.Length{vg.Points(5), vg.Points(3)}
	dotted    = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
)

// drawPlots writes the PNGs of res into dir; a plot without data is
// skipped.
func drawPlots(res *results, dir string, out io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, d := range []struct {
		file string
		draw func(*results, string) (bool, error)
	}{
		{plotLatency, drawLatency},
		{plotThroughput, drawThroughput},
		{plotBacklog, drawBacklog},
		{plotMemory, drawMemory},
		{plotFinite, func(r *results, path string) (bool, error) { return drawFinite(r.Finite, path) }},
	} {
		path := filepath.Join(dir, d.file)
		ok, err := d.draw(res, path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if ok {
			fmt.Fprintf(out, "plot written to %s\n", path)
		}
	}
	return nil
}

// latencySeries is one percentile of one consumer against load; censored
// points (lower bounds) are drawn hollow.
func latencySeries(points []loadPoint, field string, get func(pct) float64, col color.Color, dash []vg.Length, shape draw.GlyphDrawer) (*plotter.Line, *plotter.Scatter, error) {
	var xys plotter.XYs
	var hollow []bool
	for _, p := range points {
		v := get(p.AddedToSummaryMS)
		if p.AddedToSummaryMS.N == 0 || math.IsNaN(v) {
			continue
		}
		xys = append(xys, plotter.XY{X: p.Load, Y: max(v, 1)}) // log axis: 1 ms floor
		hollow = append(hollow, p.AddedToSummaryMS.lowerBound(field))
	}
	if len(xys) == 0 {
		return nil, nil, nil
	}
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, nil, err
	}
	l.Color, l.Width, l.Dashes = col, vg.Points(1.5), dash
	s.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: shape} // the legend's
	s.GlyphStyleFunc = func(i int) draw.GlyphStyle {
		g := draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: shape}
		if hollow[i] {
			g.Shape = draw.RingGlyph{}
		}
		return g
	}
	return l, s, nil
}

func drawLatency(res *results, path string) (bool, error) {
	worker, seed := loadsOf(res.Load, consumerWorker), loadsOf(res.Load, consumerSeed)
	if len(worker)+len(seed) == 0 {
		return false, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Added latency: upload → summary written, minus L (C=%d, L=%s s)", res.Setup.Concurrency, num(res.Setup.L, 0))
	p.X.Label.Text = "open-loop arrival rate, × C/L"
	p.Y.Label.Text = "added latency (ms, log scale)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	insetLegend(p)
	for _, s := range []struct {
		name   string
		points []loadPoint
		field  string
		get    func(pct) float64
		col    color.Color
		dash   []vg.Length
		shape  draw.GlyphDrawer
	}{
		{"worker p50", worker, "p50", func(q pct) float64 { return q.P50 }, colWorker, nil, draw.CircleGlyph{}},
		{"worker p99", worker, "p99", func(q pct) float64 { return q.P99 }, colWorker, dashed, draw.TriangleGlyph{}},
		{"seed p50", seed, "p50", func(q pct) float64 { return q.P50 }, colSeed, nil, draw.CircleGlyph{}},
		{"seed p99", seed, "p99", func(q pct) float64 { return q.P99 }, colSeed, dashed, draw.TriangleGlyph{}},
	} {
		l, sc, err := latencySeries(s.points, s.field, s.get, s.col, s.dash, s.shape)
		if err != nil {
			return false, err
		}
		if l == nil {
			continue
		}
		p.Add(l, sc)
		p.Legend.Add(s.name, l, sc)
	}
	targets, err := plotter.NewScatter(plotter.XYs{{X: 0.9, Y: 100}, {X: 0.9, Y: 250}})
	if err != nil {
		return false, err
	}
	targets.GlyphStyle = draw.GlyphStyle{Color: colTarget, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
	p.Add(targets)
	p.Legend.Add("targets at 0.9: p50 100 ms, p99 250 ms", targets)
	if slices.ContainsFunc(res.Load, func(lp loadPoint) bool { return len(lp.AddedToSummaryMS.LowerBound) > 0 }) {
		ring, err := plotter.NewScatter(plotter.XYs{{X: math.NaN(), Y: math.NaN()}})
		if err == nil {
			ring.GlyphStyle = draw.GlyphStyle{Color: colIdeal, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}
			p.Legend.Add("ring: lower bound (unfinished at the cut)", ring)
		}
	}
	p.X.Min, p.X.Max = 0.45, 1.05
	// Room above the highest point for the legend (a decade on the log axis).
	top := 250.0
	for _, lp := range res.Load {
		if lp.AddedToSummaryMS.N > 0 {
			top = max(top, lp.AddedToSummaryMS.P99)
		}
	}
	p.Y.Max = top * 12
	bottom := 50.0 // below the 100 ms target
	for _, lp := range res.Load {
		if lp.AddedToSummaryMS.N > 0 {
			bottom = min(bottom, lp.AddedToSummaryMS.P50/2)
		}
	}
	p.Y.Min = max(bottom, 1)
	return true, p.Save(22*vg.Centimeter, 14*vg.Centimeter, path)
}

func drawThroughput(res *results, path string) (bool, error) {
	if len(res.Scale) == 0 {
		return false, nil
	}
	p := plot.New()
	L := res.Setup.L
	p.Title.Text = fmt.Sprintf("Throughput against concurrency (L = %s s, consumer kept saturated)", num(L, 0))
	p.X.Label.Text = "concurrency C"
	p.Y.Label.Text = "summaries per second"
	p.Add(plotter.NewGrid())
	insetLegend(p)
	maxC := 0
	for _, s := range res.Scale {
		maxC = max(maxC, s.Concurrency)
	}
	ideal := plotter.NewFunction(func(c float64) float64 { return c / L })
	ideal.XMin, ideal.XMax = 0, float64(maxC)*1.05
	ideal.Color, ideal.Dashes, ideal.Width = colIdeal, dashed, vg.Points(1)
	p.Add(ideal)
	p.Legend.Add(fmt.Sprintf("ideal C/L (L = %s s)", num(L, 0)), ideal)
	for _, k := range []struct {
		consumer string
		label    string
		col      color.Color
	}{
		{consumerWorker, "worker", colWorker},
		{consumerSeed, "seed (one message per receive, /status every 3 s)", colSeed},
	} {
		var xys plotter.XYs
		for _, s := range res.Scale {
			if s.Consumer == k.consumer && s.L > 0 {
				xys = append(xys, plotter.XY{X: float64(s.Concurrency), Y: s.ThroughputPerS})
			}
		}
		if len(xys) == 0 {
			continue
		}
		slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return false, err
		}
		l.Color, l.Width = k.col, vg.Points(1.5)
		sc.GlyphStyle = draw.GlyphStyle{Color: k.col, Radius: vg.Points(3.5), Shape: draw.CircleGlyph{}}
		p.Add(l, sc)
		p.Legend.Add(k.label, l, sc)
	}
	for _, s := range res.Scale {
		if s.Consumer == consumerWorker && s.L == 0 {
			ceil := plotter.NewFunction(func(float64) float64 { return s.ThroughputPerS })
			ceil.XMin, ceil.XMax = 0, float64(maxC)*1.05
			ceil.Color, ceil.Dashes, ceil.Width = colTarget, dotted, vg.Points(1.5)
			p.Add(ceil)
			p.Legend.Add(fmt.Sprintf("worker at L = 0, C = %d: %.0f/s, no RunPod wait: about what moto allows on this machine", s.Concurrency, s.ThroughputPerS), ceil)
		}
	}
	top := float64(maxC) / L
	for _, s := range res.Scale {
		top = max(top, s.ThroughputPerS)
	}
	p.X.Min, p.Y.Min = 0, 0
	p.X.Max = float64(maxC) * 1.05
	p.Y.Max = top * 1.25 // room for the legend
	return true, p.Save(22*vg.Centimeter, 14*vg.Centimeter, path)
}

// drawBacklog draws the queue depth over time at each load, one panel per
// consumer.
func drawBacklog(res *results, path string) (bool, error) {
	var panels []*plot.Plot
	for _, k := range []string{consumerWorker, consumerSeed} {
		points := loadsOf(res.Load, k)
		if len(points) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s: queue depth (uploaded, not yet received)", k)
		p.X.Label.Text = "seconds since the first upload"
		p.Y.Label.Text = "messages"
		p.Add(plotter.NewGrid())
		insetLegend(p)
		for i, lp := range points {
			var xys plotter.XYs
			for _, s := range lp.Backlog.Series {
				xys = append(xys, plotter.XY{X: s[0], Y: s[1]})
			}
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return false, err
			}
			l.Color, l.Width = rampColor(k, i, len(points)), vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%.2f × C/L (%.1f/s)", lp.Load, lp.Rate), l)
		}
		top := 1.0
		for _, lp := range points {
			for _, s := range lp.Backlog.Series {
				top = max(top, s[1])
			}
		}
		p.Y.Min, p.Y.Max = 0, top*1.5 // room for the legend
		panels = append(panels, p)
	}
	return writeColumn(panels, 10*vg.Centimeter, path)
}

// writeColumn draws panels one above the other, each h high, into the PNG
// file path; nothing is written for no panel.
func writeColumn(panels []*plot.Plot, h vg.Length, path string) (bool, error) {
	if len(panels) == 0 {
		return false, nil
	}
	const w = 22 * vg.Centimeter
	img := vgimg.New(w, h*vg.Length(len(panels)))
	dc := draw.New(img)
	rows := make([][]*plot.Plot, len(panels))
	for i, p := range panels {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(panels), Cols: 1, PadY: vg.Centimeter, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(8)}
	canvases := plot.Align(rows, tiles, dc)
	for i, p := range panels {
		p.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return false, err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return false, err
	}
	return true, f.Close()
}

// insetLegend puts the legend in the top left corner, inside the axes.
func insetLegend(p *plot.Plot) {
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Millimeter*3, -vg.Millimeter*3
}

// rampColor shades the consumer's color from light (lowest load) to full.
func rampColor(consumer string, i, n int) color.Color {
	base := colWorker
	if consumer == consumerSeed {
		base = colSeed
	}
	f := 0.35 + 0.65*float64(i+1)/float64(n)
	mix := func(c uint8) uint8 { return uint8(255 - f*(255-float64(c))) }
	return color.RGBA{R: mix(base.R), G: mix(base.G), B: mix(base.B), A: 0xff}
}

func drawMemory(res *results, path string) (bool, error) {
	m := res.Memory
	if m == nil || len(m.Series) == 0 {
		return false, nil
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Worker RSS against messages in flight (up to %d jobs, L = %s s)", m.Jobs, num(m.L, 0))
	p.X.Label.Text = "messages in flight (summarizer_inflight_messages)"
	p.Y.Label.Text = "RSS (MB)"
	p.Add(plotter.NewGrid())
	insetLegend(p)
	// Filling until the most were in flight, then draining (the Go heap is
	// returned to the system slowly, so RSS stays up).
	var filling, draining plotter.XYs
	peak := false
	for _, s := range m.Series {
		if s[1] < 0 || s[2] <= 0 {
			continue
		}
		if peak {
			draining = append(draining, plotter.XY{X: s[1], Y: s[2]})
			continue
		}
		filling = append(filling, plotter.XY{X: s[1], Y: s[2]})
		peak = s[1] >= m.MaxInflight
	}
	if len(filling) == 0 {
		return false, nil
	}
	for _, part := range []struct {
		xys   plotter.XYs
		label string
		col   color.Color
	}{
		{filling, "filling, one sample per second", colWorker},
		{draining, "draining", colIdeal},
	} {
		if len(part.xys) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(part.xys)
		if err != nil {
			return false, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: part.col, Radius: vg.Points(2), Shape: draw.CircleGlyph{}}
		p.Add(sc)
		p.Legend.Add(part.label, sc)
	}
	limit := plotter.NewFunction(func(float64) float64 { return 300 })
	limit.Color, limit.Dashes = colTarget, dashed
	p.Add(limit)
	p.Legend.Add("target 300 MB", limit)
	p.X.Min, p.Y.Min = 0, 0
	p.Y.Max = max(400, m.PeakRSSMB*1.3) // room for the legend above the target
	return true, p.Save(18*vg.Centimeter, 12*vg.Centimeter, path)
}

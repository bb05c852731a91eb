package deploy

import (
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"math"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var dashboardSVG = flag.String("dashboard-svg", "",
	"TestPrometheusScrapesWorkers also draws the dashboard from its Prometheus's data into this SVG file (e.g. grafana/summarizer.svg)")

// series is one line of a range query.
type series struct {
	metric map[string]string
	t, v   []float64
}

// queryRange runs a range query with a step of one second.
func (p *prometheus) queryRange(t *testing.T, expr string, start, end time.Time) []series {
	t.Helper()
	var data struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Values [][2]any          `json:"values"`
		} `json:"result"`
	}
	p.get(t, "/api/v1/query_range", url.Values{"query": {expr}, "step": {"1"},
		"start": {strconv.FormatInt(start.Unix(), 10)}, "end": {strconv.FormatInt(end.Unix(), 10)}}, &data)
	var out []series
	for _, r := range data.Result {
		s := series{metric: r.Metric}
		for _, v := range r.Values {
			ts, _ := v[0].(float64)
			str, _ := v[1].(string)
			f, err := strconv.ParseFloat(str, 64)
			if err != nil {
				continue
			}
			s.t, s.v = append(s.t, ts), append(s.v, f)
		}
		out = append(out, s)
	}
	return out
}

var legendLabel = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// drawDashboard draws every panel of the dashboard where its gridPos puts
// it, from range queries over [start, end]: a plain picture of what Grafana
// would show, for the README, not a Grafana rendering.
func drawDashboard(t *testing.T, p *prometheus, start, end time.Time) []byte {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Title  string `json:"title"`
		Panels []struct {
			Type        string `json:"type"`
			Title       string `json:"title"`
			GridPos     struct{ X, Y, W, H int }
			FieldConfig struct {
				Defaults struct {
					Unit string `json:"unit"`
				} `json:"defaults"`
			} `json:"fieldConfig"`
			Targets []struct {
				Expr   string `json:"expr"`
				Legend string `json:"legendFormat"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	const colW, rowH, top = 50.0, 28.0, 34.0
	colors := []string{"#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#f2495c", "#b877d9", "#8ab8ff", "#ffb357"}
	vars := testVars(promJob)
	vars["__rate_interval"] = "15s" // the picture shows the test's few minutes, not 5-minute averages
	vars["__range"] = fmt.Sprintf("%ds", int(end.Sub(start).Seconds())+1)
	maxY := 0
	for _, pn := range raw.Panels {
		maxY = max(maxY, pn.GridPos.Y+pn.GridPos.H)
	}
	var svg strings.Builder
	width, height := 24*colW, top+float64(maxY)*rowH+4
	fmt.Fprintf(&svg, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="11">`+"\n", width, height)
	fmt.Fprintf(&svg, `<rect width="100%%" height="100%%" fill="#111217"/>`+"\n")
	fmt.Fprintf(&svg, `<text x="8" y="22" fill="#ccccdc" font-size="16">%s: drawn from Prometheus's data in the integration test, %s (%s)</text>`+"\n",
		html.EscapeString(raw.Title), start.UTC().Format("2006-01-02 15:04:05Z"), end.Sub(start).Round(time.Second))
	for _, pn := range raw.Panels {
		g := pn.GridPos
		x0, y0 := float64(g.X)*colW+3, top+float64(g.Y)*rowH+3
		w, h := float64(g.W)*colW-6, float64(g.H)*rowH-6
		fmt.Fprintf(&svg, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#181b1f" stroke="#2c3235"/>`+"\n", x0, y0, w, h)
		fmt.Fprintf(&svg, `<text x="%.1f" y="%.1f" fill="#ccccdc" font-size="12" font-weight="bold">%s</text>`+"\n", x0+6, y0+15, html.EscapeString(pn.Title))
		var lines []struct {
			name string
			s    series
		}
		for _, tg := range pn.Targets {
			expr, err := expand(tg.Expr, vars)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range p.queryRange(t, expr, start, end) {
				name := legendLabel.ReplaceAllStringFunc(tg.Legend, func(m string) string {
					return s.metric[legendLabel.FindStringSubmatch(m)[1]]
				})
				lines = append(lines, struct {
					name string
					s    series
				}{name, s})
			}
		}
		if pn.Type == "stat" {
			var parts []string
			for _, l := range lines {
				if n := len(l.s.v); n > 0 {
					parts = append(parts, formatValue(l.s.v[n-1], pn.FieldConfig.Defaults.Unit))
				}
			}
			fmt.Fprintf(&svg, `<text x="%.1f" y="%.1f" fill="#73bf69" font-size="24" text-anchor="middle">%s</text>`+"\n",
				x0+w/2, y0+h/2+16, html.EscapeString(strings.Join(parts, " / ")))
			continue
		}
		// Plot area, legend below it.
		px, py, pw, ph := x0+44, y0+24, w-54, h-24-16-14*float64((min(len(lines), 6)+2)/3)
		lo, hi := 0.0, math.Inf(-1)
		for _, l := range lines {
			for _, v := range l.s.v {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
		if math.IsInf(hi, -1) || hi == lo {
			hi = lo + 1
		}
		fmt.Fprintf(&svg, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#2c3235"/>`+"\n", px, py+ph, px+pw, py+ph)
		fmt.Fprintf(&svg, `<text x="%.1f" y="%.1f" fill="#8e8e8e" text-anchor="end">%s</text>`+"\n", px-4, py+8, formatValue(hi, pn.FieldConfig.Defaults.Unit))
		fmt.Fprintf(&svg, `<text x="%.1f" y="%.1f" fill="#8e8e8e" text-anchor="end">%s</text>`+"\n", px-4, py+ph, formatValue(lo, pn.FieldConfig.Defaults.Unit))
		t0, t1 := float64(start.Unix()), float64(end.Unix())
		for i, l := range lines {
			color := colors[i%len(colors)]
			var path strings.Builder
			pen := "M"
			for j, v := range l.s.v {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					pen = "M"
					continue
				}
				fmt.Fprintf(&path, "%s%.1f,%.1f ", pen, px+(l.s.t[j]-t0)/(t1-t0)*pw, py+ph-(v-lo)/(hi-lo)*ph)
				pen = "L"
			}
			if path.Len() > 0 {
				fmt.Fprintf(&svg, `<path d="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", path.String(), color)
			}
			if i < 6 {
				lx, ly := x0+8+float64(i%3)*(w-16)/3, py+ph+16+14*float64(i/3)
				fmt.Fprintf(&svg, `<rect x="%.1f" y="%.1f" width="10" height="3" fill="%s"/><text x="%.1f" y="%.1f" fill="#ccccdc">%s</text>`+"\n",
					lx, ly-4, color, lx+14, ly, html.EscapeString(truncate(l.name, int((w-16)/3/6.5)-2)))
			}
		}
		if len(lines) == 0 {
			fmt.Fprintf(&svg, `<text x="%.1f" y="%.1f" fill="#f2495c" text-anchor="middle">No data</text>`+"\n", x0+w/2, y0+h/2)
		}
	}
	svg.WriteString("</svg>\n")
	return []byte(svg.String())
}

func formatValue(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case unit == "s" && v >= 60:
		return time.Duration(v * float64(time.Second)).Round(time.Second).String()
	case unit == "s":
		return strconv.FormatFloat(v, 'g', 3, 64) + "s"
	case unit == "ops" || strings.HasPrefix(unit, "suffix:"):
		return strconv.FormatFloat(v, 'g', 3, 64) + "/s"
	case unit == "reqps":
		return strconv.FormatFloat(v, 'g', 3, 64) + " req/s"
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func truncate(s string, n int) string {
	if n < 4 || len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const dashboardPath = "grafana/summarizer.json"

// dashboard is the part of a Grafana dashboard JSON model the tests read.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	ID            any     `json:"id"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string         `json:"name"`
			Expr       string         `json:"expr"`
			Datasource map[string]any `json:"datasource"`
		} `json:"list"`
	} `json:"annotations"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource map[string]any `json:"datasource"`
	GridPos    struct{ X, Y, W, H int }
	Targets    []struct {
		Expr   string `json:"expr"`
		RefID  string `json:"refId"`
		Legend string `json:"legendFormat"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // of a row
}

// query is one PromQL query of the dashboard: a panel's target or an
// annotation.
type query struct {
	where string // e.g. `panel "Backlog" B`
	expr  string
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// allPanels flattens rows.
func (d dashboard) allPanels() []panel {
	var out []panel
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// queries are every PromQL expression of the dashboard.
func (d dashboard) queries() []query {
	var out []query
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			out = append(out, query{where: fmt.Sprintf("panel %q %s", p.Title, tg.RefID), expr: tg.Expr})
		}
	}
	for _, a := range d.Annotations.List {
		if a.Expr != "" {
			out = append(out, query{where: fmt.Sprintf("annotation %q", a.Name), expr: a.Expr})
		}
	}
	return out
}

var dashboardVar = regexp.MustCompile(`\$\{?(\w+)\}?`)

// grafanaBuiltins are the variables Grafana itself sets.
var grafanaBuiltins = []string{"__rate_interval", "__interval", "__range", "__range_s", "__interval_ms"}

// expand replaces the dashboard's variables the way Grafana would for one
// choice of values.
func expand(expr string, values map[string]string) (string, error) {
	var missing []string
	out := dashboardVar.ReplaceAllStringFunc(expr, func(m string) string {
		name := dashboardVar.FindStringSubmatch(m)[1]
		v, ok := values[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("no value for $%s", strings.Join(missing, ", $"))
	}
	return out, nil
}

// promMetric finds metric names in PromQL: summarizer_... not part of a
// recording rule's name (level:metric:operation).
var promMetric = regexp.MustCompile(`(?:^|[^:\w])(summarizer_\w+)`)

// baseMetric strips the suffixes of a histogram's series.
func baseMetric(name string) string {
	for _, s := range []string{"_bucket", "_sum", "_count"} {
		if n, ok := strings.CutSuffix(name, s); ok && strings.HasSuffix(n, "_seconds") {
			return n
		}
	}
	return name
}

// The dashboard is a well-formed Grafana dashboard (importable: no fixed
// id, a datasource variable instead of a fixed datasource), every variable a
// query uses is defined, panels do not overlap, and it shows what the
// operators asked for: throughput by outcome, backlog and oldest age, in
// flight and held, RunPod delay and execution, polls and SQS requests per
// message, DLQ depth, end-to-end latency percentiles.
func TestDashboard(t *testing.T) {
	t.Parallel()
	d := readDashboard(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 30 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want a uid, a title and schemaVersion >= 30", d.UID, d.Title, d.SchemaVersion)
	}
	if d.ID != nil {
		t.Errorf("id = %v, want null: an import creates its own", d.ID)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" {
		t.Errorf("no datasource variable: panels must not name a fixed data source")
	}
	ids := map[int]bool{}
	type cell struct{ x, y int }
	taken := map[cell]string{}
	metrics := map[string]bool{}
	for _, p := range d.allPanels() {
		if p.Type == "row" {
			continue
		}
		if ids[p.ID] || p.ID == 0 {
			t.Errorf("panel %q: id %d is 0 or used twice", p.Title, p.ID)
		}
		ids[p.ID] = true
		if p.Title == "" {
			t.Errorf("panel %d has no title", p.ID)
		}
		if p.Datasource["uid"] != "${datasource}" {
			t.Errorf("panel %q: datasource %v, want uid ${datasource}", p.Title, p.Datasource)
		}
		g := p.GridPos
		if g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v outside the 24 columns", p.Title, g)
		}
		overlaps := map[string]bool{}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[cell{x, y}]; ok && !overlaps[other] {
					t.Errorf("panel %q overlaps %q at %d,%d", p.Title, other, x, y)
					overlaps[other] = true
				}
				taken[cell{x, y}] = p.Title
			}
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("panel %q: refId %q empty or used twice", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
		}
	}
	for _, q := range d.queries() {
		if strings.TrimSpace(q.expr) == "" {
			t.Errorf("%s: empty query", q.where)
		}
		for _, m := range dashboardVar.FindAllStringSubmatch(q.expr, -1) {
			if _, ok := vars[m[1]]; !ok && !slices.Contains(grafanaBuiltins, m[1]) {
				t.Errorf("%s: $%s is not a variable of the dashboard", q.where, m[1])
			}
		}
		for _, m := range promMetric.FindAllStringSubmatch(q.expr, -1) {
			metrics[baseMetric(m[1])] = true
		}
	}
	for _, want := range []string{
		"summarizer_messages_total",                 // throughput by outcome
		"summarizer_queue_messages",                 // backlog
		"summarizer_oldest_message_age_seconds",     // oldest age
		"summarizer_inflight_messages",              // in flight
		"summarizer_held_messages",                  // held
		"summarizer_runpod_job_seconds",             // RunPod delay and execution
		"summarizer_runpod_polls_total",             // polls per message
		"summarizer_sqs_requests_total",             // SQS requests per message
		"summarizer_dlq_messages",                   // DLQ depth
		"summarizer_end_to_end_seconds",             // end-to-end percentiles
		"summarizer_runpod_window_jobs",             // the admission window
		"summarizer_runpod_endpoint_jobs",           // RunPod's queue
		"summarizer_runpod_endpoint_workers",        // its workers
		"summarizer_runpod_endpoint_stalled",        // a queue that does not drain
		"summarizer_runpod_execution_seconds_total", // GPU time per summary
	} {
		if !metrics[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}

// testVars are the values the tests give the dashboard's variables: every
// job and replica, and a rate window that covers a whole test.
func testVars(job string) map[string]string {
	return map[string]string{
		"datasource": "", "job": job, "instance": ".*",
		"__rate_interval": "5m", "__interval": "15s", "__range": "5m", "__range_s": "300", "__interval_ms": "15000",
	}
}

// Every query of the dashboard is valid PromQL: promtool checks them as the
// expressions of recording rules. (The integration test in
// observability_test.go runs them against a real Prometheus.)
func TestDashboardQueriesParse(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	qs := readDashboard(t).queries()
	for i, q := range qs {
		expr, err := expand(q.expr, testVars(".*"))
		if err != nil {
			t.Fatalf("%s: %v", q.where, err)
		}
		js, _ := json.Marshal(expr)
		fmt.Fprintf(&b, "      - record: dashboard:query_%d\n        expr: %s\n", i, js)
	}
	path := t.TempDir() + "/dashboard-rules.yml"
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", path).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules on the dashboard's %d queries: %v\n%s", len(qs), err, out)
	}
}

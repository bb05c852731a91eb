package deploy

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const (
	promDir            = "prometheus"
	rulesPath          = "prometheus/rules.yml"
	rulesTestPath      = "prometheus/rules_test.yml"
	prometheusRulePath = "prometheus/prometheusrule.yaml"
	podMonitorPath     = "prometheus/podmonitor.yaml"
	runbookPath        = "prometheus/README.md"
)

var update = flag.Bool("update", false, "rewrite generated files (prometheus/prometheusrule.yaml) instead of comparing them")

// needTool is the path of a program from Debian's prometheus package
// (promtool, prometheus). Without it the test skips, except under CI=true
// where `make test` must have installed it (make promtool).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is required under CI=true: make promtool installs it (apt-get install prometheus)", name)
	}
	t.Skipf("%s not installed: make promtool installs it (apt-get install prometheus)", name)
	return ""
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.Unmarshal(b, &rf); err != nil {
		t.Fatalf("%s: %v", rulesPath, err)
	}
	return rf
}

// alerts are the alerting rules of rules.yml, in order.
func alerts(t *testing.T) []rule {
	t.Helper()
	var out []rule
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r)
			}
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s has no alerts", rulesPath)
	}
	return out
}

// The rule file is valid for Prometheus: promtool check rules.
func TestPromtoolCheckRules(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	out, err := exec.Command(promtool, "check", "rules", rulesPath).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules %s: %v\n%s", rulesPath, err, out)
	}
}

// The alerts fire on the series that should fire them and stay silent on
// healthy ones: promtool test rules.
func TestPromtoolTestRules(t *testing.T) {
	t.Parallel()
	promtool := needTool(t, "promtool")
	cmd := exec.Command(promtool, "test", "rules", filepath.Base(rulesTestPath))
	cmd.Dir = promDir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules %s: %v\n%s", rulesTestPath, err, out)
	}
}

// Every alert says how bad it is and what to do, in its annotations and in
// the runbook, and has promtool tests both ways: one where it fires, and one
// (a healthy series) where it stays silent.
func TestAlertsHaveRunbookAndTests(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(runbookPath)
	if err != nil {
		t.Fatal(err)
	}
	var unit struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name       string `yaml:"name"`
			AlertTests []struct {
				Alert     string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	b, err := os.ReadFile(rulesTestPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &unit); err != nil {
		t.Fatalf("%s: %v", rulesTestPath, err)
	}
	if !slices.Equal(unit.RuleFiles, []string{filepath.Base(rulesPath)}) {
		t.Errorf("%s rule_files = %v, want [%s]", rulesTestPath, unit.RuleFiles, filepath.Base(rulesPath))
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range unit.Tests {
		fired := map[string]bool{}
		seen := map[string]bool{}
		for _, at := range tc.AlertTests {
			seen[at.Alert] = true
			if len(at.ExpAlerts) > 0 {
				fired[at.Alert] = true
			}
		}
		for a := range seen {
			if fired[a] {
				fires[a] = true
			} else {
				silent[a] = true // a series on which the alert never fires
			}
		}
	}
	names := map[string]bool{}
	for _, a := range alerts(t) {
		t.Run(a.Alert, func(t *testing.T) {
			if names[a.Alert] {
				t.Errorf("alert %s is defined twice", a.Alert)
			}
			names[a.Alert] = true
			if !strings.HasPrefix(a.Alert, "Summarizer") {
				t.Errorf("alert %s: names start with Summarizer", a.Alert)
			}
			if s := a.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("severity %q, want critical (pages) or warning (ticket)", s)
			}
			for _, k := range []string{"summary", "description", "runbook"} {
				if strings.TrimSpace(a.Annotations[k]) == "" {
					t.Errorf("annotation %s is missing", k)
				}
			}
			if !bytes.Contains(readme, []byte("### "+a.Alert+"\n")) {
				t.Errorf("%s has no section ### %s", runbookPath, a.Alert)
			}
			if !fires[a.Alert] {
				t.Errorf("%s: no test where %s fires", rulesTestPath, a.Alert)
			}
			if !silent[a.Alert] {
				t.Errorf("%s: no healthy series on which %s stays silent", rulesTestPath, a.Alert)
			}
		})
	}
	for _, tc := range unit.Tests {
		for _, at := range tc.AlertTests {
			if !names[at.Alert] {
				t.Errorf("%s: test %q checks %s, which rules.yml does not define", rulesTestPath, tc.Name, at.Alert)
			}
		}
	}
	// The runbook documents no alert that does not exist.
	for _, m := range regexp.MustCompile(`(?m)^### (Summarizer\w+)$`).FindAllSubmatch(readme, -1) {
		if !names[string(m[1])] {
			t.Errorf("%s documents %s, which rules.yml does not define", runbookPath, m[1])
		}
	}
}

// prometheusRule renders prometheusrule.yaml from rules.yml: a fixed header,
// then rules.yml's groups (its comments too) as the PrometheusRule's spec.
func prometheusRule(rules []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`# GENERATED from rules.yml by: go test ./deploy -run TestPrometheusRule -update
# Edit rules.yml, never this file; deploy/prometheus_test.go fails when they differ.
#
# The rules of rules.yml for the Prometheus Operator:
#   kubectl -n summarizer apply -f deploy/prometheus/prometheusrule.yaml
# The operator's Prometheus loads it when its ruleSelector and
# ruleNamespaceSelector match (kube-prometheus-stack: add the label
# release: <its release name>). Plain Prometheus: use rules.yml itself.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: summarizer
  labels:
    app.kubernetes.io/name: summarizer
    app.kubernetes.io/part-of: summarizer
spec:
`)
	// rules.yml's own header speaks of rules.yml: it starts after it.
	body := rules
	if i := bytes.Index(body, []byte("\ngroups:")); i >= 0 {
		body = body[i+1:]
	}
	for _, line := range strings.SplitAfter(string(body), "\n") {
		if strings.TrimSpace(line) != "" {
			b.WriteString("  ")
		}
		b.WriteString(line)
	}
	return b.Bytes()
}

// prometheusrule.yaml is rules.yml as a PrometheusRule: generated from it,
// and the same groups when both are parsed.
func TestPrometheusRule(t *testing.T) {
	t.Parallel()
	rules, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	want := prometheusRule(rules)
	if *update {
		if err := os.WriteFile(prometheusRulePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(prometheusRulePath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not generated from %s: run go test ./deploy -run TestPrometheusRule -update", prometheusRulePath, rulesPath)
	}
	var plain map[string]any
	if err := yaml.Unmarshal(rules, &plain); err != nil {
		t.Fatal(err)
	}
	docs, err := readYAML(prometheusRulePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Fatalf("%s: %d documents, want 1", prometheusRulePath, len(docs))
	}
	pr := docs[0].obj
	if str(pr, "apiVersion") != "monitoring.coreos.com/v1" || str(pr, "kind") != "PrometheusRule" || str(pr, "metadata", "name") == "" {
		t.Errorf("%s: %s %s %s, want a named monitoring.coreos.com/v1 PrometheusRule", prometheusRulePath,
			str(pr, "apiVersion"), str(pr, "kind"), str(pr, "metadata", "name"))
	}
	if !reflect.DeepEqual(get(pr, "spec"), any(plain)) {
		t.Errorf("%s: spec differs from %s", prometheusRulePath, rulesPath)
	}
}

// The PodMonitor scrapes the Deployment's pods on its metrics port.
func TestPodMonitor(t *testing.T) {
	t.Parallel()
	docs, err := readYAML(podMonitorPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || str(docs[0].obj, "kind") != "PodMonitor" || str(docs[0].obj, "apiVersion") != "monitoring.coreos.com/v1" {
		t.Fatalf("%s: want one monitoring.coreos.com/v1 PodMonitor", podMonitorPath)
	}
	pm := docs[0].obj
	m := load(t)
	podLabels := dict(m.worker, "spec", "template", "metadata", "labels")
	for k, v := range dict(pm, "spec", "selector", "matchLabels") {
		if podLabels[k] != v {
			t.Errorf("PodMonitor selects %s=%v, the pods have %s=%v", k, v, k, podLabels[k])
		}
	}
	var ports []string
	for _, p := range list(m.containers()[0], "ports") {
		ports = append(ports, str(p, "name"))
	}
	eps := list(pm, "spec", "podMetricsEndpoints")
	if len(eps) != 1 {
		t.Fatalf("PodMonitor has %d podMetricsEndpoints, want 1", len(eps))
	}
	if port := str(eps[0], "port"); !slices.Contains(ports, port) {
		t.Errorf("PodMonitor scrapes port %q, the container's ports are %v", port, ports)
	}
	if path := str(eps[0], "path"); path != "/metrics" {
		t.Errorf("PodMonitor path %q, want /metrics", path)
	}
}

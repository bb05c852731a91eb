package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"gopkg.in/yaml.v3"

	"github.com/summarizer/summarizer/deploy/localstack"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// promJob is the scrape job of the test's Prometheus.
const promJob = "summarizer"

// testFor is the for: duration of every alert in the copy of rules.yml the
// test's Prometheus loads. The shipped file keeps its production values
// (minutes); the test cannot wait that long.
const testFor = "5s"

// A real Prometheus (Debian's package) scrapes two real workers running
// against moto and the RunPod emulator, with rules.yml loaded:
//   - replica "wrong-key" has a RunPod key the emulator refuses: it holds its
//     message (cause config) and reports itself not ready, and
//     SummarizerNotReady fires for it (and SummarizerMessagesHeld);
//   - replica "good" summarizes the transcripts, and dead-letters two poison
//     messages sent once Prometheus has seen an empty DLQ:
//     SummarizerDeadLetterQueueNotEmpty fires;
//   - every rule evaluates without error, every metric the rules and the
//     dashboard name is one the workers expose, and every query of every
//     dashboard panel returns data through Prometheus's HTTP API.
func TestPrometheusScrapesWorkers(t *testing.T) {
	m := localstack.Need(t, moto)
	promBin := needTool(t, "prometheus")
	bin := needBinary(t)
	began := time.Now()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	// The AWS side: a bucket notifying a queue that has a DLQ.
	cfg := m.AWSConfig()
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
	sqsc := sqs.NewFromConfig(cfg)
	const bucket = "transcripts-obs"
	dlq, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("obs-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqURL := aws.ToString(dlq.QueueUrl)
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("obs"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"10"}`, queueAttributes(ctx, t, sqsc, dlqURL)["QueueArn"]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	queueURL := aws.ToString(q.QueueUrl)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(queueAttributes(ctx, t, sqsc, queueURL)["QueueArn"]), Events: []s3types.Event{"s3:ObjectCreated:*"},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
	put := func(key string, body []byte) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}

	const apiKey = "rp-obs-5d2a"
	em, err := emulator.New(emulator.Config{APIKey: apiKey, Latency: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rp := httptest.NewServer(em)
	defer rp.Close()
	env := func(key, concurrency string) []string {
		return append(m.Env(),
			"QUEUE_URL="+queueURL,
			"RUNPOD_ENDPOINT_URL="+rp.URL+"/v2/obs",
			"RUNPOD_API_KEY="+key,
			"METRICS_ADDR=127.0.0.1:0",
			"CONCURRENCY="+concurrency,
			"PREFETCH=0",
			"SHUTDOWN_TIMEOUT=5s",
		)
	}
	metricsAddr := func(w *worker) string {
		t.Helper()
		waitFor(t, w, 30*time.Second, "metrics listener", func() bool {
			return strings.Contains(w.logs.String(), `"metrics listening"`)
		})
		addr, _ := w.logLine(t, "metrics listening")["addr"].(string)
		return addr
	}
	transcript, err := os.ReadFile("../testdata/transcripts/standup-2026-11-23.txt")
	if err != nil {
		t.Fatal(err)
	}

	// The replica with the wrong key gets the first message, alone: RunPod
	// answers 401, the message is held and /readyz fails. With CONCURRENCY
	// 1 and PREFETCH 0 the held message takes its only slot: it receives
	// nothing more (with more slots it would take, and hold, more of the
	// test's work).
	bad := startWorker(t, bin, env("rp-obs-wrong", "1"))
	badAddr := metricsAddr(bad)
	put("held/first.txt", transcript)
	waitFor(t, bad, 60*time.Second, "the wrong-key replica not ready", func() bool {
		_, code := httpGet(t, "http://"+badAddr+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	good := startWorker(t, bin, env(apiKey, "4"))
	goodAddr := metricsAddr(good)

	prom := startPrometheus(t, promBin, []string{goodAddr, badAddr})
	promStarted := time.Now()
	t.Logf("Prometheus %s scrapes good=%s wrong-key=%s; rules.yml loaded with every for: set to %s", prom.url, goodAddr, badAddr, testFor)

	// Prometheus has seen the DLQ empty before any poison is sent.
	var before []sample
	waitFor(t, good, 60*time.Second, "a first scrape of both replicas", func() bool {
		before = prom.query(t, `summarizer_dlq_messages`)
		return len(before) == 2
	})
	for _, s := range before {
		if s.value != 0 {
			t.Fatalf("DLQ gauge %v before any poison message, want 0", s)
		}
	}

	// Work for the good replica: transcripts in three formats, and two
	// poison messages (not an S3 event; an event for an object that does
	// not exist).
	var keys []string
	for i := range 2 {
		for _, f := range []string{"standup-2026-11-23.txt", "customer-call-acme.srt", "incident-review.vtt"} {
			b, err := os.ReadFile(filepath.Join("../testdata/transcripts", f))
			if err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("batch-%d/%s", i, f)
			put(key, b)
			keys = append(keys, key)
		}
	}
	for _, body := range []string{"this is not an S3 event", s3EventFor(bucket, "missing/never-uploaded.txt")} {
		if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(body)}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, good, 60*time.Second, "every summary written and both poison messages dead-lettered", func() bool {
		for _, k := range keys {
			sk := "summaries/" + k + ".summary.txt"
			if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(sk)}); err != nil {
				return false
			}
		}
		return queueCount(ctx, t, sqsc, dlqURL) == 2
	})
	t.Logf("%d summaries written, 2 messages dead-lettered after %s", len(keys), time.Since(began).Round(time.Second))

	// The alerts. The DLQ gauge is refreshed at most every 30 s.
	want := []alertWant{
		{"SummarizerNotReady", map[string]string{"instance": badAddr}},
		{"SummarizerMessagesHeld", map[string]string{"cause": "config"}},
		{"SummarizerDeadLetterQueueNotEmpty", nil},
	}
	var firing []promAlert
	waitFor(t, good, 90*time.Second, "the alerts "+fmt.Sprint(want), func() bool {
		firing = prom.alerts(t, "firing")
		for _, w := range want {
			if !slices.ContainsFunc(firing, w.matches) {
				return false
			}
		}
		return true
	})
	for _, a := range firing {
		t.Logf("firing after %s: %s %v value=%s", time.Since(began).Round(time.Second), a.Labels["alertname"], a.Labels, a.Value)
	}
	for _, a := range firing {
		if a.Labels["alertname"] == "SummarizerNotReady" && a.Labels["instance"] != badAddr {
			t.Errorf("SummarizerNotReady fires for %s, the replica with the right key", a.Labels["instance"])
		}
	}
	// The wrong-key replica held its one message and finished no work (it
	// may have skipped the s3:TestEvent moto sends for the notification).
	for expr, want := range map[string]float64{
		`summarizer_held_messages{cause="config",instance="` + badAddr + `"}`:           1,
		`sum(summarizer_messages_total{instance="` + badAddr + `",outcome!="skipped"})`: 0,
		`summarizer_ready{instance="` + goodAddr + `"}`:                                 1,
	} {
		if got := prom.query(t, expr); len(got) != 1 || got[0].value != want {
			t.Errorf("%s = %v, want %v", expr, got, want)
		}
	}

	t.Run("every rule evaluates", func(t *testing.T) {
		names := map[string]bool{}
		for _, g := range readRules(t).Groups {
			for _, r := range g.Rules {
				names[r.Record+r.Alert] = true
			}
		}
		for _, r := range prom.rules(t) {
			delete(names, r.Name)
			if r.Health != "ok" || r.LastError != "" {
				t.Errorf("rule %s: health %q, error %q", r.Name, r.Health, r.LastError)
			}
		}
		for n := range names {
			t.Errorf("rule %s of rules.yml is not loaded", n)
		}
	})

	t.Run("every metric named exists", func(t *testing.T) {
		exposed := map[string]bool{}
		for _, s := range prom.query(t, `count by (__name__) ({__name__=~"summarizer_.+", job="`+promJob+`"})`) {
			exposed[baseMetric(s.metric["__name__"])] = true
		}
		named := map[string][]string{}
		for _, g := range readRules(t).Groups {
			for _, r := range g.Rules {
				for _, mm := range promMetric.FindAllStringSubmatch(r.Expr, -1) {
					named[baseMetric(mm[1])] = append(named[baseMetric(mm[1])], "rule "+r.Record+r.Alert)
				}
			}
		}
		for _, dq := range readDashboard(t).queries() {
			for _, mm := range promMetric.FindAllStringSubmatch(dq.expr, -1) {
				named[baseMetric(mm[1])] = append(named[baseMetric(mm[1])], dq.where)
			}
		}
		for name, where := range named {
			if !exposed[name] {
				t.Errorf("%s is not exposed by the workers; used by %s", name, strings.Join(where, ", "))
			}
		}
	})

	t.Run("every dashboard query returns data", func(t *testing.T) {
		for _, dq := range readDashboard(t).queries() {
			expr, err := expand(dq.expr, testVars(promJob))
			if err != nil {
				t.Errorf("%s: %v", dq.where, err)
				continue
			}
			res := prom.query(t, expr)
			numbers := 0
			for _, s := range res {
				if !math.IsNaN(s.value) {
					numbers++
				}
			}
			if numbers == 0 {
				t.Errorf("%s: no data (%d series, all NaN) for %s", dq.where, len(res), expr)
			}
		}
	})

	// Which alerts fired during the test, and those that had no reason to.
	fired := map[string]bool{}
	for _, s := range prom.query(t, `count by (alertname) (max_over_time(ALERTS{alertstate="firing"}[10m]))`) {
		fired[s.metric["alertname"]] = true
	}
	t.Logf("alerts fired during the test: %v", sortedKeys(fired))
	for _, a := range []string{"SummarizerLeasesLost", "SummarizerRunPodJobsFailing", "SummarizerRunPodThrottled", "SummarizerBacklogGrowing", "SummarizerOldestMessageTooOld"} {
		if fired[a] {
			t.Errorf("%s fired, with no lost lease, failed job, 429, growing backlog or old message in this test", a)
		}
	}
	if *dashboardSVG != "" {
		if err := os.WriteFile(*dashboardSVG, drawDashboard(t, prom, promStarted, time.Now()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("whole test %s", time.Since(began).Round(time.Second))
}

type alertWant struct {
	name   string
	labels map[string]string
}

func (w alertWant) matches(a promAlert) bool {
	if a.Labels["alertname"] != w.name {
		return false
	}
	for k, v := range w.labels {
		if a.Labels[k] != v {
			return false
		}
	}
	return true
}

func (w alertWant) String() string { return w.name }

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// s3EventFor is an S3 ObjectCreated notification for bucket/key.
func s3EventFor(bucket, key string) string {
	b, _ := json.Marshal(map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": localstack.Region,
		"eventTime": time.Now().UTC().Format(time.RFC3339), "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"bucket":          map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
			"object":          map[string]any{"key": key, "size": 100, "eTag": "0123456789abcdef0123456789abcdef"},
		},
	}}})
	return string(b)
}

// prometheus is a Prometheus server the test started.
type prometheus struct {
	url string
}

// startPrometheus runs Prometheus on a free loopback port with a temporary
// data directory, scraping targets every second and evaluating a copy of
// rules.yml (every for: set to testFor) every second. It is killed when the
// test ends.
func startPrometheus(t *testing.T, bin string, targets []string) *prometheus {
	t.Helper()
	dir := t.TempDir()
	rules, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	rules = regexp.MustCompile(`(?m)^(\s+for:\s*)\S+\s*$`).ReplaceAll(rules, []byte("${1}"+testFor))
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), rules, 0o644); err != nil {
		t.Fatal(err)
	}
	config, err := yaml.Marshal(map[string]any{
		"global":         map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
		"rule_files":     []string{filepath.Join(dir, "rules.yml")},
		"scrape_configs": []any{map[string]any{"job_name": promJob, "static_configs": []any{map[string]any{"targets": targets}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	configPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(configPath, config, 0o644); err != nil {
		t.Fatal(err)
	}
	// A free port can be taken between Listen's Close and Prometheus's
	// bind: try a few.
	for attempt := 1; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		logs := &lockedBuffer{}
		cmd := exec.Command(bin,
			"--config.file="+configPath,
			"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data-%d", attempt)),
			"--web.listen-address="+addr,
			"--log.level=warn",
		)
		cmd.Stdout, cmd.Stderr = logs, logs
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", bin, err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
			if t.Failed() {
				t.Logf("prometheus logs:\n%s", logs.String())
			}
		})
		p := &prometheus{url: "http://" + addr}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if resp, err := http.Get(p.url + "/-/ready"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return p
				}
			}
			select {
			case <-exited:
			case <-time.After(100 * time.Millisecond):
				if time.Now().After(deadline) {
					t.Fatalf("prometheus on %s not ready after 30s:\n%s", addr, logs.String())
				}
				continue
			}
			break
		}
		if attempt == 3 {
			t.Fatalf("prometheus exited before it was ready:\n%s", logs.String())
		}
	}
}

// get calls Prometheus's HTTP API and decodes the data of a success.
func (p *prometheus) get(t *testing.T, path string, params url.Values, data any) {
	t.Helper()
	resp, err := http.Get(p.url + path + "?" + params.Encode())
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if body.Status != "success" {
		t.Fatalf("GET %s?%s: %s %s", path, params.Encode(), body.Status, body.Error)
	}
	if err := json.Unmarshal(body.Data, data); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

type sample struct {
	metric map[string]string
	value  float64
}

// query runs an instant query now; a scalar comes back as one sample.
func (p *prometheus) query(t *testing.T, expr string) []sample {
	t.Helper()
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	p.get(t, "/api/v1/query", url.Values{"query": {expr}}, &data)
	parse := func(v [2]any) float64 {
		s, _ := v[1].(string)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", expr, v, err)
		}
		return f
	}
	switch data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &vec); err != nil {
			t.Fatal(err)
		}
		out := make([]sample, 0, len(vec))
		for _, v := range vec {
			out = append(out, sample{metric: v.Metric, value: parse(v.Value)})
		}
		return out
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(data.Result, &v); err != nil {
			t.Fatal(err)
		}
		return []sample{{value: parse(v)}}
	default:
		t.Fatalf("query %s: result type %s", expr, data.ResultType)
		return nil
	}
}

type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
	Value  string            `json:"value"`
}

// alerts are the alerts in a state (pending, firing).
func (p *prometheus) alerts(t *testing.T, state string) []promAlert {
	t.Helper()
	var data struct {
		Alerts []promAlert `json:"alerts"`
	}
	p.get(t, "/api/v1/alerts", nil, &data)
	var out []promAlert
	for _, a := range data.Alerts {
		if a.State == state {
			out = append(out, a)
		}
	}
	return out
}

type promRule struct {
	Name      string `json:"name"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

func (p *prometheus) rules(t *testing.T) []promRule {
	t.Helper()
	var data struct {
		Groups []struct {
			Rules []promRule `json:"rules"`
		} `json:"groups"`
	}
	p.get(t, "/api/v1/rules", nil, &data)
	var out []promRule
	for _, g := range data.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

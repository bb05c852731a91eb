package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// RunPod throttling for longer than the client's own retries: the message
// is held (lease extended) and submissions slow down; it is never released,
// so with MAX_RECEIVES=1 a release would have dead-lettered it.
func TestThrottlingHoldsMessages(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Fault: func(op string, n int) emulator.Fault {
		if op == emulator.OpRun && n <= 12 {
			return emulator.Fault429
		}
		return emulator.FaultNone
	}})
	st.put("throttled-1.txt", []byte(sampleTranscript))
	st.put("throttled-2.txt", []byte(sampleTranscript))
	_, logs := st.worker(st.env(rp, "MAX_RECEIVES=1", "VISIBILITY_TIMEOUT=4s"))
	for _, key := range []string{"summaries/throttled-1.txt.summary.txt", "summaries/throttled-2.txt.summary.txt"} {
		waitFor(t, 120*time.Second, key, func() bool { return st.exists(bucket, key) })
	}
	if n := st.count(st.dlqURL); n != 0 {
		t.Errorf("throttling dead-lettered %d messages: %v", n, st.dead())
	}
	if got := em.Stats().Requests[emulator.OpRun]; got <= 12 {
		t.Errorf("%d /run requests: the 429s were not exercised", got)
	}
	if !strings.Contains(logs.String(), `"msg":"held: not the message's fault`) || !strings.Contains(logs.String(), `"cause":"throttled"`) {
		t.Error("no log line says the worker held a throttled message")
	}
	if strings.Contains(logs.String(), `"msg":"transient failure: message retried"`) {
		t.Error("a throttled message was released for retry")
	}
}

var metricsAddr = regexp.MustCompile(`"msg":"metrics listening","addr":"([^"]+)"`)

// /metrics shows every metric of the contract, with values where work
// happened; /healthz and /readyz answer.
func TestMetricsEndpoint(t *testing.T) {
	st := newStack(t)
	_, rp := newEmulator(t, emulator.Config{Latency: 3 * time.Second})
	st.put("metrics/a.txt", []byte(sampleTranscript))
	st.put("metrics/b.txt", []byte(sampleTranscript))
	_, logs := st.worker(st.env(rp, "VISIBILITY_TIMEOUT=2s"))
	waitFor(t, 60*time.Second, "summaries", func() bool { return len(st.summaryKeys()) == 2 })
	var addr string
	waitFor(t, 10*time.Second, "metrics address", func() bool {
		m := metricsAddr.FindStringSubmatch(logs.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz %d", code)
	}
	if code, body := get("/readyz"); code != 200 {
		t.Errorf("/readyz %d: %s", code, body)
	}
	waitFor(t, 10*time.Second, "deletes flushed", func() bool { return st.count(st.queueURL) == 0 })
	_, text := get("/metrics")
	value := func(series string) float64 {
		for _, line := range strings.Split(text, "\n") {
			if strings.HasPrefix(line, series+" ") {
				v, _ := strconv.ParseFloat(strings.TrimPrefix(line, series+" "), 64)
				return v
			}
		}
		t.Errorf("series %s missing from /metrics", series)
		return -1
	}
	positive := []string{
		`summarizer_messages_total{outcome="done"}`,
		`summarizer_messages_total{outcome="skipped"}`, // moto's TestEvent
		`summarizer_stage_seconds_count{stage="fetch"}`,
		`summarizer_stage_seconds_count{stage="summarize"}`,
		`summarizer_stage_seconds_count{stage="store"}`,
		`summarizer_stage_seconds_count{stage="total"}`,
		`summarizer_end_to_end_seconds_count`,
		`summarizer_runpod_job_seconds_count{phase="execution"}`,
		`summarizer_runpod_jobs_total{status="COMPLETED"}`,
		`summarizer_runpod_polls_total`,
		`summarizer_sqs_requests_total{op="ReceiveMessage"}`,
		`summarizer_sqs_requests_total{op="DeleteMessageBatch"}`,
		`summarizer_sqs_requests_total{op="ChangeMessageVisibilityBatch"}`,
		`summarizer_visibility_extensions_total`,
		`summarizer_runpod_requests_total{code="200",op="run"}`,
		`summarizer_runpod_requests_total{code="200",op="status"}`,
		`summarizer_ready`,
	}
	for _, s := range positive {
		if v := value(s); v <= 0 {
			t.Errorf("%s = %v, want > 0", s, v)
		}
	}
	for _, s := range []string{`summarizer_inflight_messages`, `summarizer_empty_receives_total`, `summarizer_backlog_seconds`,
		`summarizer_oldest_message_age_seconds`, `summarizer_queue_messages{state="visible"}`, `summarizer_messages_total{outcome="dead_lettered"}`,
		`summarizer_messages_total{outcome="retried"}`, `summarizer_messages_total{outcome="superseded"}`,
		`summarizer_held_messages{cause="config"}`, `summarizer_held_messages{cause="throttled"}`, `summarizer_held_messages{cause="outage"}`,
		`summarizer_leases_lost_total`, `summarizer_dlq_messages`, `summarizer_runpod_requests_total{code="429",op="status"}`} {
		value(s) // present
	}
	if strings.Contains(text, apiKey) {
		t.Error("the API key appears in /metrics")
	}
}

// URL mode: RunPod gets a presigned GET URL instead of the text, downloads
// the transcript itself (the emulator does, like a custom worker), and the
// summary lands as usual.
func TestURLMode(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{})
	st.put("url-mode/standup.txt", []byte(sampleTranscript))
	st.worker(st.env(rp, "RUNPOD_INPUT_FORMAT=url"))
	waitFor(t, 60*time.Second, "summary", func() bool { return st.exists(bucket, "summaries/url-mode/standup.txt.summary.txt") })
	in := em.Stats().Inputs
	if len(in) != 1 || in[0].Format != emulator.FormatURL {
		t.Fatalf("RunPod inputs %+v, want one url job", in)
	}
	if !strings.Contains(in[0].Text, "billing system") {
		t.Errorf("the job did not read the transcript through the URL: %.80q", in[0].Text)
	}
	body, _, _ := st.summary("summaries/url-mode/standup.txt.summary.txt")
	if strings.TrimSpace(body) == "" {
		t.Error("empty summary")
	}
}

// SUMMARIZER=openai end to end, against an httptest peer speaking the
// chat-completions wire format.
func TestOpenAIBackend(t *testing.T) {
	st := newStack(t)
	var calls atomic.Int32
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role, Content string
			} `json:"messages"`
		}
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer sk-test" || json.NewDecoder(r.Body).Decode(&req) != nil || req.Model != "flan-test" {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		calls.Add(1)
		words := len(strings.Fields(req.Messages[len(req.Messages)-1].Content))
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","model":"flan-test","choices":[{"index":0,"message":{"role":"assistant","content":"A meeting of %d words about the billing launch.</s>"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":9}}`, words)
	}))
	t.Cleanup(peer.Close)
	st.put("openai/standup.txt", []byte(sampleTranscript))
	env := st.env("", "SUMMARIZER=openai", "OPENAI_BASE_URL="+peer.URL+"/v1", "OPENAI_MODEL=flan-test", "OPENAI_API_KEY=sk-test", "OUTPUT_FORMAT=json")
	st.worker(env)
	var body string
	waitFor(t, 60*time.Second, "summary", func() bool {
		var ok bool
		body, _, ok = st.summary("summaries/openai/standup.txt.summary.json")
		return ok
	})
	if !strings.Contains(body, `"summary": "A meeting of`) || strings.Contains(body, "</s>") || !strings.Contains(body, `"model": "flan-test"`) {
		t.Errorf("summary %s", body)
	}
	if calls.Load() != 1 {
		t.Errorf("%d chat completions for one short transcript", calls.Load())
	}
}

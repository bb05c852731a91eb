package emulator_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/summarizer/summarizer/worker/extractive"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

const transcript = `Alice: Good morning, everyone.
Bob: Morning.
Alice: Today we need to decide on the database migration plan for the billing service.
Carol: Yeah.
Bob: The billing service migration needs a maintenance window, because the database schema changes.
Carol: I can schedule the maintenance window for Saturday night.
Bob: Okay, sure.
Alice: Great, so the billing database migration happens Saturday night in the maintenance window.
Carol: Did anyone see the game last night?
Bob: No.
Alice: Let's wrap up. Thanks, everyone.`

const prompt = "Summarize the following meeting transcript in a few sentences.\n\n" + transcript + "\n\nSummary:"

// pollTimeout is generous: tests must not flake on a loaded 2-core machine.
const pollTimeout = 20 * time.Second

type status struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"`
	Output        json.RawMessage `json:"output"`
	Error         string          `json:"error"`
	DelayTime     int64           `json:"delayTime"`
	ExecutionTime int64           `json:"executionTime"`
}

type harness struct {
	t   *testing.T
	srv *emulator.Server
	ts  *httptest.Server
	key string
}

func newHarness(t *testing.T, cfg emulator.Config) *harness {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = zaptest.NewLogger(t)
	}
	srv, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &harness{t: t, srv: srv, ts: ts, key: cfg.APIKey}
}

// do sends a request and returns the status code, headers and body.
func (h *harness) do(method, path string, body any) (int, http.Header, []byte) {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if h.key != "" {
		req.Header.Set("Authorization", "Bearer "+h.key)
	}
	resp, err := h.ts.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, out
}

// decode unmarshals b into v, failing the test on error.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return v
}

func textInput(text string, maxTokens int) map[string]any {
	return map[string]any{"input": map[string]any{"text": text, "max_new_tokens": maxTokens}}
}

// run submits body to prefix+/run and returns the job id.
func (h *harness) run(prefix string, body any) string {
	h.t.Helper()
	code, _, out := h.do(http.MethodPost, prefix+"/run", body)
	if code != http.StatusOK {
		h.t.Fatalf("/run: %d %s", code, out)
	}
	r := decode[status](h.t, out)
	if r.ID == "" || r.Status != emulator.StatusInQueue {
		h.t.Fatalf("/run answered %s", out)
	}
	return r.ID
}

func (h *harness) status(prefix, id string) (int, status) {
	h.t.Helper()
	code, _, out := h.do(http.MethodGet, prefix+"/status/"+id, nil)
	if code != http.StatusOK {
		return code, status{}
	}
	return code, decode[status](h.t, out)
}

// await polls until the job leaves IN_QUEUE and IN_PROGRESS and returns every
// status seen, the last one final.
func (h *harness) await(prefix, id string) []status {
	h.t.Helper()
	var seen []status
	deadline := time.Now().Add(pollTimeout)
	for time.Now().Before(deadline) {
		code, st := h.status(prefix, id)
		if code != http.StatusOK {
			h.t.Fatalf("status %s: HTTP %d", id, code)
		}
		seen = append(seen, st)
		if st.Status != emulator.StatusInQueue && st.Status != emulator.StatusInProgress {
			return seen
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.t.Fatalf("job %s not finished after %v: %+v", id, pollTimeout, seen[len(seen)-1])
	return nil
}

func summaryOf(t *testing.T, st status) string {
	t.Helper()
	return decode[struct {
		Summary string `json:"summary"`
	}](t, st.Output).Summary
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{QueueDelay: 30 * time.Millisecond, Latency: 60 * time.Millisecond})
	id := h.run("", textInput(prompt, 256))
	seen := h.await("", id)
	rank := map[string]int{emulator.StatusInQueue: 0, emulator.StatusInProgress: 1, emulator.StatusCompleted: 2}
	for i := 1; i < len(seen); i++ {
		if rank[seen[i].Status] < rank[seen[i-1].Status] {
			t.Fatalf("status went back: %+v", seen)
		}
	}
	last := seen[len(seen)-1]
	if last.Status != emulator.StatusCompleted || last.ID != id {
		t.Fatalf("final status %+v", last)
	}
	if last.DelayTime != 30 || last.ExecutionTime != 60 {
		t.Errorf("delayTime %d executionTime %d, want 30 and 60", last.DelayTime, last.ExecutionTime)
	}
	if last.Error != "" {
		t.Errorf("error %q on a completed job", last.Error)
	}
	sum := summaryOf(t, last)
	if !strings.Contains(sum, "billing") {
		t.Errorf("summary %q misses the topic", sum)
	}

	st := h.srv.Stats()
	if st.Jobs[emulator.StatusCompleted] != 1 || st.Submitted != 1 || st.InFlight != 0 || st.MaxInFlight != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestStatusStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    emulator.Config
		want   string
		output bool
	}{
		{"queued", emulator.Config{QueueDelay: time.Hour}, emulator.StatusInQueue, false},
		{"running", emulator.Config{Latency: time.Hour}, emulator.StatusInProgress, false},
		{"done at once", emulator.Config{}, emulator.StatusCompleted, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.cfg)
			id := h.run("", textInput(transcript, 0))
			code, st := h.status("", id)
			if code != http.StatusOK || st.Status != tt.want || (len(st.Output) > 0) != tt.output {
				t.Fatalf("got %d %+v, want %s (output %v)", code, st, tt.want, tt.output)
			}
		})
	}
}

func TestRunsync(t *testing.T) {
	t.Parallel()
	t.Run("completes", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{QueueDelay: 10 * time.Millisecond, Latency: 40 * time.Millisecond})
		code, _, out := h.do(http.MethodPost, "/runsync", textInput(prompt, 100))
		st := decode[status](t, out)
		if code != http.StatusOK || st.Status != emulator.StatusCompleted || st.ExecutionTime != 40 {
			t.Fatalf("runsync: %d %s", code, out)
		}
		if sum := summaryOf(t, st); sum == "" || strings.Contains(sum, "Summar") {
			t.Errorf("summary %q", sum)
		}
		if n := h.srv.Stats().Requests[emulator.OpRunsync]; n != 1 {
			t.Errorf("runsync requests %d", n)
		}
	})
	t.Run("gives up on a stuck job", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{
			RunsyncWait: 50 * time.Millisecond,
			Fault:       func(string, int) emulator.Fault { return emulator.FaultStuck },
		})
		code, _, out := h.do(http.MethodPost, "/runsync", textInput(transcript, 0))
		if st := decode[status](t, out); code != http.StatusOK || st.Status != emulator.StatusInProgress || st.ID == "" {
			t.Fatalf("runsync: %d %s", code, out)
		}
	})
	t.Run("returns when cancelled", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Latency: time.Hour})
		done := make(chan status, 1)
		go func() { // not the test goroutine: no t.Fatal here
			var st status
			defer func() { done <- st }()
			body, _ := json.Marshal(textInput(transcript, 0))
			resp, err := h.ts.Client().Post(h.ts.URL+"/runsync", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Errorf("runsync: %v", err)
				return
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				t.Errorf("runsync: %v", err)
			}
		}()
		var id string
		for deadline := time.Now().Add(pollTimeout); id == "" && time.Now().Before(deadline); {
			if in := h.srv.Stats().Inputs; len(in) == 1 {
				id = in[0].JobID
			}
			time.Sleep(time.Millisecond)
		}
		if code, _, out := h.do(http.MethodPost, "/cancel/"+id, nil); code != http.StatusOK {
			t.Fatalf("cancel: %d %s", code, out)
		}
		select {
		case st := <-done:
			if st.Status != emulator.StatusCancelled {
				t.Fatalf("runsync answered %+v", st)
			}
		case <-time.After(pollTimeout):
			t.Fatal("runsync did not return after cancel")
		}
	})
}

func TestInputFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		body      any
		format    string
		text      string
		maxTokens int
	}{
		{
			name:   "text",
			body:   textInput(prompt, 40),
			format: emulator.FormatText, text: prompt, maxTokens: 40,
		},
		{
			name: "vllm",
			body: map[string]any{"input": map[string]any{
				"prompt": prompt, "sampling_params": map[string]any{"max_tokens": 40, "temperature": 0},
			}},
			format: emulator.FormatVLLM, text: prompt, maxTokens: 40,
		},
		{
			name: "chat",
			body: map[string]any{"input": map[string]any{
				"messages": []map[string]any{
					{"role": "system", "content": "You are a helpful assistant that summarizes."},
					{"role": "user", "content": prompt},
				},
				"max_tokens": 40,
			}},
			format: emulator.FormatChat, text: prompt, maxTokens: 40,
		},
		{
			name: "chat content parts, default budget",
			body: map[string]any{"input": map[string]any{
				"messages": []map[string]any{
					{"role": "user", "content": []map[string]any{{"type": "text", "text": prompt}}},
				},
			}},
			format: emulator.FormatChat, text: prompt, maxTokens: emulator.MaxTokensDefault,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, emulator.Config{})
			code, _, out := h.do(http.MethodPost, "/runsync", tt.body)
			st := decode[status](t, out)
			if code != http.StatusOK || st.Status != emulator.StatusCompleted {
				t.Fatalf("runsync: %d %s", code, out)
			}
			sum := summaryOf(t, st)
			if sum == "" || strings.Contains(strings.ToLower(sum), "summar") {
				t.Errorf("summary %q is empty or keeps the instruction", sum)
			}
			if words := len(strings.Fields(sum)); words > tt.maxTokens*3/4 {
				t.Errorf("summary has %d words, budget %d tokens", words, tt.maxTokens)
			}
			// At most a third of the transcript's words (rounded up), as
			// the extractive package's Budget says.
			inWords := len(strings.Fields(transcript))
			if words := len(strings.Fields(sum)); words > max((inWords+2)/3, extractive.MinWords) {
				t.Errorf("summary has %d words, more than a third of the transcript's %d", words, inWords)
			}
			in := h.srv.Stats().Inputs
			if len(in) != 1 {
				t.Fatalf("inputs %+v", in)
			}
			got := in[0]
			if got.JobID != st.ID || got.Format != tt.format || got.Text != tt.text || got.MaxTokens != tt.maxTokens ||
				got.Bytes != len(tt.text) || got.Tokens != (len(tt.text)+2)/3 || got.Words != len(strings.Fields(tt.text)) {
				t.Errorf("input %+v", got)
			}
		})
	}
}

func TestOutputShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		shape   string
		summary func(t *testing.T, raw json.RawMessage) string
	}{
		{"", func(t *testing.T, raw json.RawMessage) string {
			return decode[struct{ Summary string }](t, raw).Summary
		}},
		{emulator.OutputShapeSummary, func(t *testing.T, raw json.RawMessage) string {
			return decode[map[string]string](t, raw)["summary"]
		}},
		{emulator.OutputShapeString, func(t *testing.T, raw json.RawMessage) string {
			return decode[string](t, raw)
		}},
		{emulator.OutputShapeVLLM, func(t *testing.T, raw json.RawMessage) string {
			v := decode[[]struct {
				Choices []struct{ Tokens []string }
				Usage   struct{ Input, Output int }
			}](t, raw)
			if len(v) != 1 || len(v[0].Choices) != 1 || len(v[0].Choices[0].Tokens) != 1 ||
				v[0].Usage.Input != (len(prompt)+2)/3 || v[0].Usage.Output <= 0 {
				t.Fatalf("vllm output %s", raw)
			}
			return v[0].Choices[0].Tokens[0]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.shape, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, emulator.Config{OutputShape: tt.shape})
			id := h.run("", textInput(prompt, 100))
			seen := h.await("", id)
			if sum := tt.summary(t, seen[len(seen)-1].Output); !strings.Contains(sum, "maintenance window") {
				t.Errorf("summary %q", sum)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	// only injects f on the first call of op.
	only := func(op string, f emulator.Fault) func(string, int) emulator.Fault {
		return func(o string, n int) emulator.Fault {
			if o == op && n == 1 {
				return f
			}
			return emulator.FaultNone
		}
	}
	t.Run("429 on run", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Fault: only(emulator.OpRun, emulator.Fault429)})
		code, hdr, out := h.do(http.MethodPost, "/run", textInput(transcript, 0))
		if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" || decode[map[string]string](t, out)["error"] == "" {
			t.Fatalf("got %d %v %s", code, hdr, out)
		}
		if st := h.srv.Stats(); st.Submitted != 0 || st.Requests[emulator.OpRun] != 1 {
			t.Fatalf("stats after 429: %+v", st)
		}
		h.run("", textInput(transcript, 0)) // the second call succeeds
	})
	t.Run("500 on status", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Fault: only(emulator.OpStatus, emulator.Fault500)})
		id := h.run("", textInput(transcript, 0))
		if code, _ := h.status("", id); code != http.StatusInternalServerError {
			t.Fatalf("status: %d", code)
		}
		if code, st := h.status("", id); code != http.StatusOK || st.Status != emulator.StatusCompleted {
			t.Fatalf("second status: %d %+v", code, st)
		}
	})
	t.Run("429 on health", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Fault: only(emulator.OpHealth, emulator.Fault429)})
		if code, hdr, _ := h.do(http.MethodGet, "/health", nil); code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" {
			t.Fatalf("health: %d", code)
		}
	})
	for _, tt := range []struct {
		fault  emulator.Fault
		status string
	}{
		{emulator.FaultFailed, emulator.StatusFailed},
		{emulator.FaultTimedOut, emulator.StatusTimedOut},
	} {
		t.Run(tt.fault.String(), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, emulator.Config{Latency: 10 * time.Millisecond, Fault: only(emulator.OpRun, tt.fault)})
			id := h.run("", textInput(transcript, 0))
			seen := h.await("", id)
			last := seen[len(seen)-1]
			if last.Status != tt.status || last.Error == "" || len(last.Output) != 0 {
				t.Fatalf("final %+v", last)
			}
			if n := h.srv.Stats().Jobs[tt.status]; n != 1 {
				t.Errorf("Jobs[%s] = %d", tt.status, n)
			}
		})
	}
	t.Run("stuck", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Fault: only(emulator.OpRun, emulator.FaultStuck)})
		id := h.run("", textInput(transcript, 0))
		for range 3 {
			if _, st := h.status("", id); st.Status != emulator.StatusInProgress {
				t.Fatalf("stuck job is %+v", st)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if st := h.srv.Stats(); st.InFlight != 1 || len(st.Jobs) != 0 {
			t.Errorf("stats %+v", st)
		}
		if code, _, out := h.do(http.MethodPost, "/cancel/"+id, nil); code != http.StatusOK ||
			decode[status](t, out).Status != emulator.StatusCancelled {
			t.Fatalf("cancel: %d %s", code, out)
		}
		if st := h.srv.Stats(); st.InFlight != 0 || st.Jobs[emulator.StatusCancelled] != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("expire", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Fault: only(emulator.OpRun, emulator.FaultExpire)})
		id := h.run("", textInput(transcript, 0))
		if code, _ := h.status("", id); code != http.StatusNotFound {
			t.Fatalf("status of an expired job: %d", code)
		}
		if n := h.srv.Stats().Jobs[emulator.StatusCompleted]; n != 1 {
			t.Errorf("expired job not counted: %d", n)
		}
	})
	t.Run("job fault on status is ignored", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Fault: only(emulator.OpStatus, emulator.FaultFailed)})
		id := h.run("", textInput(transcript, 0))
		if code, st := h.status("", id); code != http.StatusOK || st.Status != emulator.StatusCompleted {
			t.Fatalf("status %d %+v", code, st)
		}
	})
	t.Run("execution timeout policy", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, emulator.Config{Latency: time.Hour})
		id := h.run("", map[string]any{
			"input":  map[string]any{"text": transcript},
			"policy": map[string]any{"executionTimeout": 20, "ttl": 60000},
		})
		seen := h.await("", id)
		if last := seen[len(seen)-1]; last.Status != emulator.StatusTimedOut || last.ExecutionTime != 20 {
			t.Fatalf("final %+v", last)
		}
	})
}

func TestRates(t *testing.T) {
	t.Parallel()
	codes := func(seed int64) []int {
		h := newHarness(t, emulator.Config{Seed: seed, Rates: emulator.Rates{HTTP429: 0.3, HTTP500: 0.2}})
		var out []int
		for range 60 {
			code, _, _ := h.do(http.MethodGet, "/health", nil)
			out = append(out, code)
		}
		return out
	}
	a, b := codes(7), codes(7)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	count := map[int]int{}
	for _, c := range a {
		count[c]++
	}
	if count[200] == 0 || count[429] == 0 || count[500] == 0 || count[200]+count[429]+count[500] != 60 {
		t.Errorf("codes %v", count)
	}

	h := newHarness(t, emulator.Config{Seed: 1, Rates: emulator.Rates{Failed: 0.5, TimedOut: 0.5}})
	for range 20 {
		h.run("", textInput("x", 0))
	}
	st := h.srv.Stats()
	if st.Jobs[emulator.StatusFailed] == 0 || st.Jobs[emulator.StatusTimedOut] == 0 ||
		st.Jobs[emulator.StatusFailed]+st.Jobs[emulator.StatusTimedOut] != 20 {
		t.Errorf("jobs %v", st.Jobs)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{APIKey: "s3cret"})
	tests := []struct {
		name   string
		header string
		want   int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong key", "Bearer nope", http.StatusUnauthorized},
		{"not bearer", "Basic s3cret", http.StatusUnauthorized},
		{"right key", "Bearer s3cret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, path := range []string{"/health", "/v2/ep/health"} {
				req, _ := http.NewRequest(http.MethodGet, h.ts.URL+path, nil)
				if tt.header != "" {
					req.Header.Set("Authorization", tt.header)
				}
				resp, err := h.ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Errorf("%s: %d, want %d", path, resp.StatusCode, tt.want)
				}
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{})
	big := `{"input":{"text":"` + strings.Repeat("a", emulator.MaxBodyBytes) + `"}}`
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		want   int
	}{
		{"too large", http.MethodPost, "/run", big, http.StatusRequestEntityTooLarge},
		{"too large, chunked", http.MethodPost, "/runsync", io.MultiReader(strings.NewReader(big)), http.StatusRequestEntityTooLarge},
		{"bad json", http.MethodPost, "/run", `{"input":`, http.StatusBadRequest},
		{"not an object", http.MethodPost, "/run", `[1,2]`, http.StatusBadRequest},
		{"missing input", http.MethodPost, "/run", `{"policy":{}}`, http.StatusBadRequest},
		{"null input", http.MethodPost, "/run", `{"input":null}`, http.StatusBadRequest},
		{"input not an object", http.MethodPost, "/run", `{"input":"text"}`, http.StatusBadRequest},
		{"input without text", http.MethodPost, "/run", `{"input":{"foo":1}}`, http.StatusBadRequest},
		{"text not a string", http.MethodPost, "/runsync", `{"input":{"text":5}}`, http.StatusBadRequest},
		{"empty body", http.MethodPost, "/run", ``, http.StatusBadRequest},
		{"unknown job", http.MethodGet, "/status/nope", nil, http.StatusNotFound},
		{"unknown job cancel", http.MethodPost, "/cancel/nope", nil, http.StatusNotFound},
		{"unknown route", http.MethodGet, "/v2/ep/stream/x", nil, http.StatusNotFound},
		{"no id", http.MethodGet, "/status/", nil, http.StatusNotFound},
		{"wrong method", http.MethodGet, "/run", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var code int
			var out []byte
			if r, ok := tt.body.(io.Reader); ok {
				// Unknown length: the server must stop reading at the limit.
				req, _ := http.NewRequest(tt.method, h.ts.URL+tt.path, r)
				resp, err := h.ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				out, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			} else {
				code, _, out = h.do(tt.method, tt.path, tt.body)
			}
			if code != tt.want {
				t.Fatalf("got %d %s, want %d", code, out, tt.want)
			}
			if e := decode[map[string]any](t, out)["error"]; e == nil || e == "" {
				t.Errorf("no error message in %s", out)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{QueueDelay: time.Hour})
	id := h.run("", textInput(transcript, 0))
	code, _, out := h.do(http.MethodPost, "/cancel/"+id, nil)
	if st := decode[status](t, out); code != http.StatusOK || st.ID != id || st.Status != emulator.StatusCancelled {
		t.Fatalf("cancel: %d %s", code, out)
	}
	if _, st := h.status("", id); st.Status != emulator.StatusCancelled || len(st.Output) != 0 {
		t.Fatalf("status after cancel: %+v", st)
	}
	// Cancelling again changes nothing.
	if code, _, out := h.do(http.MethodPost, "/cancel/"+id, nil); code != http.StatusOK || decode[status](t, out).Status != emulator.StatusCancelled {
		t.Fatalf("second cancel: %d %s", code, out)
	}

	done := newHarness(t, emulator.Config{})
	id = done.run("", textInput(transcript, 0))
	code, _, out = done.do(http.MethodPost, "/cancel/"+id, nil)
	if st := decode[status](t, out); code != http.StatusOK || st.Status != emulator.StatusCompleted {
		t.Fatalf("cancel of a finished job: %d %s", code, out)
	}
	if _, st := done.status("", id); st.Status != emulator.StatusCompleted {
		t.Fatalf("finished job changed: %+v", st)
	}
	if st := h.srv.Stats(); st.Jobs[emulator.StatusCancelled] != 1 || st.InFlight != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestPrefixRouting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{})
	for _, prefix := range []string{"", "/v2/abc123", "/v2/other-endpoint"} {
		id := h.run(prefix, textInput(transcript, 0))
		// A job is visible under every prefix: one emulator, one endpoint.
		for _, p := range []string{prefix, "", "/v2/x"} {
			if code, st := h.status(p, id); code != http.StatusOK || st.Status != emulator.StatusCompleted {
				t.Errorf("%s/status/%s: %d %+v", p, id, code, st)
			}
		}
		if code, _, out := h.do(http.MethodGet, prefix+"/health", nil); code != http.StatusOK {
			t.Errorf("%s/health: %d %s", prefix, code, out)
		}
		if code, _, _ := h.do(http.MethodPost, prefix+"/cancel/"+id, nil); code != http.StatusOK {
			t.Errorf("%s/cancel: %d", prefix, code)
		}
		if code, _, out := h.do(http.MethodPost, prefix+"/runsync", textInput(transcript, 0)); code != http.StatusOK {
			t.Errorf("%s/runsync: %d %s", prefix, code, out)
		}
	}
	if code, _, _ := h.do(http.MethodGet, "/v2/abc123/status/", nil); code != http.StatusNotFound {
		t.Errorf("empty id: %d", code)
	}
}

func TestRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{Retention: 30 * time.Millisecond})
	id := h.run("", textInput(transcript, 0))
	deadline := time.Now().Add(pollTimeout)
	for {
		code, _ := h.status("", id)
		if code == http.StatusNotFound {
			break
		}
		if code != http.StatusOK || time.Now().After(deadline) {
			t.Fatalf("status %d, want 404 after retention", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _, _ := h.do(http.MethodPost, "/cancel/"+id, nil); code != http.StatusNotFound {
		t.Errorf("cancel of an expired job: %d", code)
	}
	if st := h.srv.Stats(); st.Jobs[emulator.StatusCompleted] != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	faults := []emulator.Fault{emulator.FaultNone, emulator.FaultNone, emulator.FaultFailed,
		emulator.FaultTimedOut, emulator.FaultStuck, emulator.FaultStuck, emulator.FaultStuck}
	h := newHarness(t, emulator.Config{Fault: func(op string, n int) emulator.Fault {
		if op == emulator.OpRun && n <= len(faults) {
			return faults[n-1]
		}
		return emulator.FaultNone
	}})
	for range faults {
		h.run("", textInput(transcript, 0))
	}
	type health struct {
		Jobs struct {
			Completed, Failed, InProgress, InQueue, Retried int
		}
		Workers struct {
			Idle, Running, Initializing, Ready, Throttled, Unhealthy int
		}
	}
	code, _, out := h.do(http.MethodGet, "/health", nil)
	got := decode[health](t, out)
	if code != http.StatusOK || got.Jobs.Completed != 2 || got.Jobs.Failed != 2 || got.Jobs.InProgress != 3 ||
		got.Jobs.InQueue != 0 || got.Workers.Running != 3 {
		t.Fatalf("health %d %s", code, out)
	}

	q := newHarness(t, emulator.Config{QueueDelay: time.Hour})
	q.run("", textInput(transcript, 0))
	q.run("", textInput(transcript, 0))
	_, _, out = q.do(http.MethodGet, "/health", nil)
	if got := decode[health](t, out); got.Jobs.InQueue != 2 || got.Workers.Idle != emulator.UnlimitedIdle {
		t.Fatalf("health %s", out)
	}
	if n := q.srv.Stats().Requests[emulator.OpHealth]; n != 1 {
		t.Errorf("health requests %d", n)
	}
}

func TestStatsAndReset(t *testing.T) {
	t.Parallel()
	h := newHarness(t, emulator.Config{Fault: func(op string, n int) emulator.Fault {
		if op == emulator.OpRun && n == 2 {
			return emulator.FaultFailed
		}
		return emulator.FaultNone
	}})
	a := h.run("", textInput("first text here", 10))
	b := h.run("", textInput("second", 0))
	h.status("", a)
	h.status("", b)
	h.status("", "missing")
	h.do(http.MethodGet, "/health", nil)
	h.do(http.MethodPost, "/runsync", textInput("third", 0))

	st := h.srv.Stats()
	wantReq := map[string]int{emulator.OpRun: 2, emulator.OpStatus: 3, emulator.OpHealth: 1, emulator.OpRunsync: 1}
	if fmt.Sprint(st.Requests) != fmt.Sprint(wantReq) {
		t.Errorf("requests %v, want %v", st.Requests, wantReq)
	}
	wantJobs := map[string]int{emulator.StatusCompleted: 2, emulator.StatusFailed: 1}
	if fmt.Sprint(st.Jobs) != fmt.Sprint(wantJobs) {
		t.Errorf("jobs %v, want %v", st.Jobs, wantJobs)
	}
	if st.Submitted != 3 || st.InFlight != 0 || len(st.Inputs) != 3 || st.Inputs[0].JobID != a ||
		st.Inputs[0].Text != "first text here" || st.Inputs[0].Words != 3 || st.Inputs[0].Tokens != 5 {
		t.Errorf("stats %+v", st)
	}
	// The snapshot is a copy.
	st.Requests[emulator.OpRun] = 100
	st.Inputs[0].Text = "changed"
	if again := h.srv.Stats(); again.Requests[emulator.OpRun] != 2 || again.Inputs[0].Text != "first text here" {
		t.Errorf("Stats shares memory with the server")
	}

	h.srv.Reset()
	if st := h.srv.Stats(); st.Submitted != 0 || len(st.Requests) != 0 || len(st.Jobs) != 0 || len(st.Inputs) != 0 {
		t.Errorf("after Reset: %+v", st)
	}
	if code, _ := h.status("", a); code != http.StatusNotFound {
		t.Errorf("job survived Reset: %d", code)
	}
}

func TestManyConcurrentJobs(t *testing.T) {
	t.Parallel()
	const jobs = 1000
	h := newHarness(t, emulator.Config{Logger: zap.NewNop(), QueueDelay: 20 * time.Millisecond, Latency: 50 * time.Millisecond})
	tr := &http.Transport{MaxConnsPerHost: 64, MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: pollTimeout}

	post := func(i int) (string, error) {
		body, _ := json.Marshal(textInput(fmt.Sprintf("%s\nDave: item %d.", transcript, i), 64))
		resp, err := client.Post(h.ts.URL+"/v2/bench/run", "application/json", bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		var r status
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("run: %d %v", resp.StatusCode, err)
		}
		return r.ID, nil
	}
	wait := func(id string) error {
		deadline := time.Now().Add(pollTimeout)
		for time.Now().Before(deadline) {
			resp, err := client.Get(h.ts.URL + "/v2/bench/status/" + id)
			if err != nil {
				return err
			}
			var r status
			err = json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			if err != nil {
				return err
			}
			switch r.Status {
			case emulator.StatusCompleted:
				if len(r.Output) == 0 {
					return fmt.Errorf("job %s: no output", id)
				}
				return nil
			case emulator.StatusInQueue, emulator.StatusInProgress:
				time.Sleep(20 * time.Millisecond)
			default:
				return fmt.Errorf("job %s ended %s", id, r.Status)
			}
		}
		return fmt.Errorf("job %s not done in time", id)
	}

	ids := make([]string, jobs)
	errs := make([]error, jobs)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() { ids[i], errs[i] = post(i) })
	}
	wg.Wait()
	for i := range jobs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	sem := make(chan struct{}, 64)
	for i := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = wait(ids[i])
		})
	}
	wg.Wait()
	for i := range jobs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	st := h.srv.Stats()
	if st.Submitted != jobs || st.Jobs[emulator.StatusCompleted] != jobs || st.InFlight != 0 ||
		st.MaxInFlight < 1 || st.MaxInFlight > jobs || len(st.Inputs) != jobs {
		t.Errorf("stats: submitted %d completed %d inflight %d max %d inputs %d",
			st.Submitted, st.Jobs[emulator.StatusCompleted], st.InFlight, st.MaxInFlight, len(st.Inputs))
	}
	seen := make(map[string]bool, jobs)
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   emulator.Config
		wants []string // substrings of the error; none: valid
	}{
		{name: "zero", cfg: emulator.Config{}},
		{name: "full", cfg: emulator.Config{Latency: time.Second, OutputShape: emulator.OutputShapeVLLM,
			Rates: emulator.Rates{HTTP429: 0.5, HTTP500: 0.5, Failed: 0.2, TimedOut: 0.3, Stuck: 0.5}}},
		{name: "negative", cfg: emulator.Config{Latency: -1, QueueDelay: -1, Retention: -1, RunsyncWait: -1},
			wants: []string{"Latency", "QueueDelay", "Retention", "RunsyncWait"}},
		{name: "shape", cfg: emulator.Config{OutputShape: "xml"}, wants: []string{"OutputShape"}},
		{name: "rates", cfg: emulator.Config{Rates: emulator.Rates{HTTP429: 1.5, HTTP500: -0.1, Failed: 0.6, TimedOut: 0.6}},
			wants: []string{"HTTP429", "HTTP500", "Failed+TimedOut+Stuck"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.wants) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				if _, err := emulator.New(tt.cfg); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate accepted a bad config")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if _, err := emulator.New(tt.cfg); err == nil {
				t.Error("New accepted a bad config")
			}
		})
	}
}

func TestParseFault(t *testing.T) {
	t.Parallel()
	for f := emulator.FaultNone; f <= emulator.FaultExpire; f++ {
		got, err := emulator.ParseFault(strings.ToUpper(f.String()))
		if err != nil || got != f {
			t.Errorf("ParseFault(%q) = %v, %v", f.String(), got, err)
		}
	}
	if f, err := emulator.ParseFault(""); err != nil || f != emulator.FaultNone {
		t.Errorf("empty: %v %v", f, err)
	}
	if _, err := emulator.ParseFault("boom"); err == nil {
		t.Error("ParseFault accepted boom")
	}
}

package runpod

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

// summarize submits prompt and waits for that one job: what a caller of the
// client does (the worker adds the journal and resubmission).
func summarizeJob(ctx context.Context, c *Client, prompt string) (Result, []string, error) {
	id, err := c.Submit(ctx, prompt)
	if err != nil {
		return Result{}, nil, err
	}
	res, err := c.Wait(ctx, id)
	return res, []string{id}, err
}

func TestSummarizeInputFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		format    string
		output    string
		wantInput map[string]any
		wantText  string
	}{
		{
			name:      "text default",
			format:    "",
			output:    `{"summary":"<pad> The meeting decided X. </s>"}`,
			wantInput: map[string]any{"text": "PROMPT <b>&", "max_new_tokens": float64(64)},
			wantText:  "The meeting decided X.",
		},
		{
			name:   "vllm",
			format: InputFormatVLLM,
			output: `[{"choices":[{"tokens":["The meet","ing decided"," X."]}],"usage":{"input":12,"output":3}}]`,
			wantInput: map[string]any{
				"prompt":          "PROMPT <b>&",
				"sampling_params": map[string]any{"max_tokens": float64(64), "temperature": float64(0)},
			},
			wantText: "The meeting decided X.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := (&fakeRunPod{
				status: func(id string, n int) reply {
					if n == 1 {
						return ok(statusBody(id, StatusInQueue, ""))
					}
					return ok(statusBody(id, StatusCompleted, tt.output))
				},
			}).start(t)
			cfg := testConfig(t, f.url())
			cfg.InputFormat = tt.format
			cfg.MaxNewTokens = 64
			cfg.JobTimeout = 90 * time.Second
			var polls atomic.Int32
			cfg.OnPoll = func() { polls.Add(1) }
			var jobs jobLog
			cfg.OnJob = jobs.add
			c := newTestClient(t, cfg)

			res, _, err := summarizeJob(t.Context(), c, "PROMPT <b>&")
			if err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			want := Result{Text: tt.wantText, DelayTime: 1234 * time.Millisecond, ExecutionTime: 567500 * time.Microsecond, Polls: 2}
			if !reflect.DeepEqual(res, want) {
				t.Errorf("result = %+v, want %+v", res, want)
			}
			reqs, _, _ := f.snapshot()
			if len(reqs) != 3 || reqs[0].method != http.MethodPost || reqs[0].path != "/v2/endpoint-x/run" ||
				reqs[1].path != "/v2/endpoint-x/status/job-1" {
				t.Fatalf("requests = %+v", reqs)
			}
			for _, r := range reqs {
				if r.auth != "Bearer "+testKey || r.contentType != "application/json" {
					t.Errorf("%s %s: Authorization %q, Content-Type %q", r.method, r.path, r.auth, r.contentType)
				}
			}
			if !strings.Contains(string(reqs[0].body), "<b>&") {
				t.Errorf("body %s: prompt is HTML-escaped", reqs[0].body)
			}
			body := httpapitest.DecodeJSON(t, reqs[0].body)
			wantBody := map[string]any{
				"input":  tt.wantInput,
				"policy": map[string]any{"executionTimeout": float64(90000), "ttl": float64(120000)},
			}
			if !reflect.DeepEqual(body, wantBody) {
				t.Errorf("run body = %v, want %v", body, wantBody)
			}
			if polls.Load() != 2 {
				t.Errorf("OnPoll called %d times, want 2", polls.Load())
			}
			if got := jobs.get(); !slices.Equal(got, []string{StatusCompleted}) {
				t.Errorf("OnJob = %v", got)
			}
		})
	}
}

func TestHTTPErrorsOnRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		replies    []reply // successive /run answers; the last one repeats
		mod        func(*Config)
		wantClass  string
		wantRuns   int
		wantCode   int
		minElapsed time.Duration
	}{
		{
			name:       "429 then success honouring Retry-After seconds",
			replies:    []reply{{code: 429, body: `{"error":"slow down"}`, header: map[string]string{"Retry-After": "1"}}, ok(`{"id":"job-2","status":"IN_QUEUE"}`)},
			mod:        func(c *Config) { c.RetryMax = 5 * time.Second },
			wantClass:  "ok",
			wantRuns:   2,
			minElapsed: 900 * time.Millisecond,
		},
		{
			name:      "500 and 502 then success",
			replies:   []reply{code(500), code(502), ok(`{"id":"job-3","status":"IN_QUEUE"}`)},
			wantClass: "ok",
			wantRuns:  3,
		},
		{name: "500 forever", replies: []reply{code(500)}, wantClass: "temporary", wantRuns: 3, wantCode: 500},
		{name: "503 forever one attempt", replies: []reply{code(503)}, mod: func(c *Config) { c.MaxAttempts = 1 }, wantClass: "temporary", wantRuns: 1, wantCode: 503},
		{name: "599 other 5xx", replies: []reply{code(599)}, wantClass: "temporary", wantRuns: 3, wantCode: 599},
		{name: "429 forever", replies: []reply{code(429)}, wantClass: "temporary", wantRuns: 3, wantCode: 429},
		{name: "401", replies: []reply{code(401)}, wantClass: "config", wantRuns: 1, wantCode: 401},
		{name: "403", replies: []reply{code(403)}, wantClass: "config", wantRuns: 1, wantCode: 403},
		{name: "404 endpoint missing", replies: []reply{code(404)}, wantClass: "config", wantRuns: 1, wantCode: 404},
		{name: "400", replies: []reply{code(400)}, wantClass: "permanent", wantRuns: 1, wantCode: 400},
		{name: "413", replies: []reply{code(413)}, wantClass: "permanent", wantRuns: 1, wantCode: 413},
		{name: "422", replies: []reply{code(422)}, wantClass: "permanent", wantRuns: 1, wantCode: 422},
		{name: "418 other 4xx", replies: []reply{code(418)}, wantClass: "temporary", wantRuns: 1, wantCode: 418},
		{name: "no job id", replies: []reply{ok(`{"status":"IN_QUEUE"}`)}, wantClass: "temporary", wantRuns: 1},
		{name: "garbled answer to POST not retried", replies: []reply{ok(`<html>`)}, wantClass: "temporary", wantRuns: 1, wantCode: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := (&fakeRunPod{run: func(n int) reply { return tt.replies[min(n, len(tt.replies))-1] }}).start(t)
			cfg := testConfig(t, f.url())
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			c := newTestClient(t, cfg)
			start := time.Now()
			res, ids, err := summarizeJob(t.Context(), c, "prompt")
			elapsed := time.Since(start)
			if got := errClass(err); got != tt.wantClass {
				t.Fatalf("class = %s, want %s (err: %v)", got, tt.wantClass, err)
			}
			_, runs, _ := f.snapshot()
			if runs != tt.wantRuns {
				t.Errorf("/run called %d times, want %d", runs, tt.wantRuns)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("took %v, want at least %v", elapsed, tt.minElapsed)
			}
			if err == nil {
				if res.Text != "ok" || len(ids) != 1 {
					t.Errorf("result = %+v", res)
				}
				return
			}
			e := asError(t, err)
			if e.StatusCode != tt.wantCode || e.Op != "run" {
				t.Errorf("error %+v: StatusCode %d Op %q, want %d run", e, e.StatusCode, e.Op, tt.wantCode)
			}
			if tt.wantCode >= 400 && !strings.Contains(err.Error(), fmt.Sprintf("fake_%d", tt.wantCode)) {
				t.Errorf("error %q does not name the answer's error code", err)
			}
			if len(ids) != 0 {
				t.Errorf("JobIDs = %v, want none", ids)
			}
		})
	}
}

func TestNetworkErrorIsRetriedThenTemporary(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	c := newTestClient(t, testConfig(t, srv.URL+"/v2/x"))
	_, _, err := summarizeJob(t.Context(), c, "prompt")
	if errClass(err) != "temporary" {
		t.Fatalf("err = %v, want temporary", err)
	}
	if e := asError(t, err); e.StatusCode != 0 {
		t.Errorf("StatusCode = %d, want 0", e.StatusCode)
	}
	if calls.Load() < 3 {
		t.Errorf("%d attempts, want at least MaxAttempts=3", calls.Load())
	}
}

func TestJobOutcomes(t *testing.T) {
	t.Parallel()
	// RunPod's API fails until well after a JobTimeout of 400 ms.
	brownoutEnd := time.Now().Add(time.Second)
	completed := func(id string) reply { return ok(statusBody(id, StatusCompleted, `{"text":"done"}`)) }
	tests := []struct {
		name        string
		status      func(id string, n int) reply
		jobTimeout  time.Duration
		wantClass   string
		wantText    string
		wantOnJob   []string
		wantCancels []string
		wantStatus  string // Error.JobStatus
		wantInErr   string
		wantIs      error
	}{
		{
			name: "queue, progress, completed",
			status: func(id string, n int) reply {
				return [...]reply{ok(statusBody(id, StatusInQueue, "")), ok(statusBody(id, StatusInProgress, "")), completed(id)}[min(n, 3)-1]
			},
			wantClass: "ok", wantText: "done", wantOnJob: []string{"COMPLETED"},
		},
		{
			name: "failed is returned, not resubmitted",
			status: func(id string, n int) reply {
				return ok(`{"id":"` + id + `","status":"FAILED","error":"{\"error_type\":\"<class 'torch.OutOfMemoryError'>\",\"error_message\":\"CUDA out of memory\"}"}`)
			},
			wantClass: "temporary", wantOnJob: []string{"FAILED"}, wantStatus: "FAILED", wantInErr: "FAILED: torch.OutOfMemoryError",
		},
		{
			name:      "cancelled by someone else",
			status:    func(id string, n int) reply { return ok(statusBody(id, StatusCancelled, "")) },
			wantClass: "temporary", wantOnJob: []string{"CANCELLED"}, wantStatus: "CANCELLED",
		},
		{
			name:      "timed out",
			status:    func(id string, n int) reply { return ok(statusBody(id, StatusTimedOut, "")) },
			wantClass: "temporary", wantOnJob: []string{"TIMED_OUT"}, wantStatus: "TIMED_OUT",
		},
		{
			name:      "expired",
			status:    func(id string, n int) reply { return code(404) },
			wantClass: "expired", wantOnJob: []string{"EXPIRED"}, wantStatus: "EXPIRED",
		},
		{
			name:      "empty output",
			status:    func(id string, n int) reply { return ok(statusBody(id, StatusCompleted, `""`)) },
			wantClass: "temporary", wantOnJob: []string{"COMPLETED"}, wantStatus: "COMPLETED", wantIs: ErrNoOutput,
		},
		{
			name:      "only special tokens",
			status:    func(id string, n int) reply { return ok(statusBody(id, StatusCompleted, `{"output":"<pad></s>"}`)) },
			wantClass: "temporary", wantOnJob: []string{"COMPLETED"}, wantStatus: "COMPLETED", wantIs: ErrNoOutput,
		},
		{
			name: "status 500 twice: the job is polled again",
			status: func(id string, n int) reply {
				if n <= 2 {
					return code(500)
				}
				return completed(id)
			},
			wantClass: "ok", wantText: "done", wantOnJob: []string{"COMPLETED"},
		},
		{
			name: "status 503 many times: polling goes on with backoff",
			status: func(id string, n int) reply {
				if n <= 7 {
					return code(503)
				}
				return completed(id)
			},
			wantClass: "ok", wantText: "done", wantOnJob: []string{"COMPLETED"},
		},
		{
			name: "status 503 past JobTimeout: the last look waits for an answer, then abandons and cancels",
			status: func(id string, n int) reply {
				if time.Now().Before(brownoutEnd) {
					return code(503)
				}
				return ok(statusBody(id, StatusInProgress, ""))
			},
			jobTimeout: 400 * time.Millisecond,
			wantClass:  "temporary", wantOnJob: []string{"ABANDONED"}, wantCancels: []string{"job-1"},
			wantStatus: "ABANDONED", wantIs: ErrJobTimeout,
		},
		{
			name:      "status 401 ends the wait without cancelling",
			status:    func(id string, n int) reply { return code(401) },
			wantClass: "config", wantOnJob: nil, wantCancels: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := (&fakeRunPod{status: tt.status}).start(t)
			cfg := testConfig(t, f.url())
			if tt.jobTimeout > 0 {
				cfg.JobTimeout = tt.jobTimeout
			}
			var jobs jobLog
			cfg.OnJob = jobs.add
			c := newTestClient(t, cfg)
			res, _, err := summarizeJob(t.Context(), c, "prompt")
			if got := errClass(err); got != tt.wantClass {
				t.Fatalf("class = %s, want %s (err: %v)", got, tt.wantClass, err)
			}
			if res.Text != tt.wantText {
				t.Errorf("result = %+v, want text %q", res, tt.wantText)
			}
			if got := jobs.get(); !slices.Equal(got, tt.wantOnJob) {
				t.Errorf("OnJob = %v, want %v", got, tt.wantOnJob)
			}
			if _, runs, cancels := f.snapshot(); !slices.Equal(cancels, tt.wantCancels) || runs != 1 {
				t.Errorf("cancels = %v, runs %d; want %v and 1 (no resubmission in the client)", cancels, runs, tt.wantCancels)
			}
			if err == nil {
				return
			}
			e := asError(t, err)
			if e.JobStatus != tt.wantStatus || e.JobID != "job-1" {
				t.Errorf("error %v: JobStatus %q JobID %q", err, e.JobStatus, e.JobID)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) || !strings.Contains(err.Error(), e.JobID) {
				t.Errorf("error %q lacks %q or the job id", err, tt.wantInErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
		})
	}
}

// A cancelled context stops the wait at once and leaves the job running: a
// shutdown or a lost lease must not throw away a job another replica resumes.
func TestContextCancelledDuringPollingLeavesJobRunning(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := (&fakeRunPod{
		status:     func(id string, n int) reply { return ok(statusBody(id, StatusInProgress, "")) },
		statusHook: func(id string, n int) { cancel() },
	}).start(t)
	cfg := testConfig(t, f.url())
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)

	_, ids, err := summarizeJob(ctx, c, "prompt")
	if !errors.Is(err, context.Canceled) || errClass(err) != "temporary" {
		t.Fatalf("err = %v, want temporary wrapping context.Canceled", err)
	}
	if e := asError(t, err); e.JobStatus != "" || e.JobID != "job-1" {
		t.Errorf("error %+v", e)
	}
	if !slices.Equal(ids, []string{"job-1"}) {
		t.Errorf("JobIDs = %v", ids)
	}
	if _, runs, cancels := f.snapshot(); runs != 1 || len(cancels) != 0 {
		t.Errorf("runs %d cancels %v, want 1 and none", runs, cancels)
	}
	if got := jobs.get(); len(got) != 0 {
		t.Errorf("OnJob = %v, want nothing", got)
	}
}

// The last look at JobTimeout reports a job that ended like any poll does,
// RunPod's error code included (its free text never), and does not cancel it.
func TestLastPollAtJobTimeoutReportsEndedJob(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{status: func(id string, n int) reply {
		return ok(`{"id":"` + id + `","status":"FAILED","error":"CUDA_OOM"}`)
	}}).start(t)
	cfg := testConfig(t, f.url())
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)
	res, err := c.WaitFrom(t.Context(), "old-job", time.Now().Add(-time.Minute))
	if errClass(err) != "temporary" || res.Polls != 1 {
		t.Fatalf("WaitFrom = %+v, %v; want a temporary error after 1 poll", res, err)
	}
	if e := asError(t, err); e.JobStatus != StatusFailed || e.Code != "CUDA_OOM" || !strings.Contains(err.Error(), "FAILED: CUDA_OOM") {
		t.Errorf("error %v: JobStatus %q, Code %q, want FAILED with RunPod's error code", err, e.JobStatus, e.Code)
	}
	if _, _, cancels := f.snapshot(); len(cancels) != 0 || f.pollCount() != 1 {
		t.Errorf("cancels %v, %d polls; want none and 1", cancels, f.pollCount())
	}
	if got := jobs.get(); !slices.Equal(got, []string{StatusFailed}) {
		t.Errorf("OnJob = %v, want [FAILED]", got)
	}
}

func TestPollIntervalsGrow(t *testing.T) {
	t.Parallel()
	var start atomic.Int64
	f := (&fakeRunPod{
		run: func(n int) reply {
			start.Store(time.Now().UnixNano())
			return ok(`{"id":"job-1","status":"IN_QUEUE"}`)
		},
		status: func(id string, n int) reply {
			if time.Since(time.Unix(0, start.Load())) < 2*time.Second {
				return ok(statusBody(id, StatusInProgress, ""))
			}
			return ok(statusBody(id, StatusCompleted, `"late"`))
		},
	}).start(t)
	cfg := testConfig(t, f.url())
	cfg.PollInitial = 10 * time.Millisecond
	cfg.PollMax = 10 * time.Second
	c := newTestClient(t, cfg)
	if _, _, err := summarizeJob(t.Context(), c, "prompt"); err != nil {
		t.Fatal(err)
	}
	// A fixed 10 ms interval needs ~200 polls for 2 s; ×1.5 growth needs ~12. Load can
	// only lower the count, so only the upper bound matters.
	if n := f.pollCount(); n < 2 || n > 30 {
		t.Errorf("%d polls for a 2 s job, want 2..30 (growing intervals)", n)
	}
}

func TestNextIntervalAndJitter(t *testing.T) {
	t.Parallel()
	d, limit := 100*time.Millisecond, time.Second
	want := []time.Duration{150, 225, 337, 506, 759, 1000, 1000}
	for i, w := range want {
		d = nextInterval(d, limit)
		if w *= time.Millisecond; d < w || d > w+time.Millisecond {
			t.Errorf("step %d: %v, want ~%v", i, d, w)
		}
	}
	for range 1000 {
		if j := jitter(time.Second); j < 900*time.Millisecond || j > 1100*time.Millisecond {
			t.Fatalf("jitter(1s) = %v, want within ±10%%", j)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := &Client{cfg: Config{RetryInitial: 100 * time.Millisecond, RetryMax: time.Second}}
	httpapitest.CheckBackoff(t, c.backoff)
	// Unlike the openai client's, a Retry-After of 0 gets the jittered backoff.
	for range 50 {
		if d := c.backoff(1, 0); d < 0 || d >= 100*time.Millisecond {
			t.Fatalf("Retry-After 0 gave %v, want full jitter below RetryInitial", d)
		}
	}
}

func TestWaitResumesAndReportsExpiry(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{status: func(id string, n int) reply {
		if id == "old-job" {
			return code(404)
		}
		return ok(statusBody(id, StatusCompleted, `["first","second"]`))
	}}).start(t)
	cfg := testConfig(t, f.url())
	var jobs jobLog
	cfg.OnJob = jobs.add
	c := newTestClient(t, cfg)

	id, err := c.Submit(t.Context(), "prompt")
	if err != nil || id != "job-1" {
		t.Fatalf("Submit = %q, %v", id, err)
	}
	res, err := c.Wait(t.Context(), id)
	if err != nil || res.Text != "first\nsecond" {
		t.Fatalf("Wait = %+v, %v", res, err)
	}
	_, err = c.Wait(t.Context(), "old-job")
	if !IsExpired(err) || errClass(err) != "expired" || outcome.Of(err).Kind != outcome.Retried {
		t.Fatalf("Wait(old-job) err = %v, want expired and retried", err)
	}
	if _, err := c.Wait(t.Context(), ""); errClass(err) != "permanent" {
		t.Errorf("Wait(\"\") err = %v, want permanent", err)
	}
	if got := jobs.get(); !slices.Equal(got, []string{StatusCompleted, StatusExpired}) {
		t.Errorf("OnJob = %v", got)
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{cancel: func(id string) reply {
		if id == "gone" {
			return code(404)
		}
		return ok(`{"id":"` + id + `","status":"CANCELLED"}`)
	}}).start(t)
	c := newTestClient(t, testConfig(t, f.url()))
	if err := c.Cancel(t.Context(), "job-9"); err != nil {
		t.Errorf("Cancel: %v", err)
	}
	if err := c.Cancel(t.Context(), "gone"); !IsExpired(err) {
		t.Errorf("Cancel(gone) = %v, want expired", err)
	}
	if err := c.Cancel(t.Context(), ""); errClass(err) != "permanent" {
		t.Errorf("Cancel(\"\") = %v, want permanent", err)
	}
}

func TestPromptsRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{}).start(t)
	c := newTestClient(t, testConfig(t, f.url()))
	for name, prompt := range map[string]string{
		"too large": strings.Repeat("a", MaxPayloadBytes),
		"empty":     " \n",
	} {
		if _, err := c.Submit(t.Context(), prompt); errClass(err) != "permanent" {
			t.Errorf("%s: Submit err = %v, want permanent", name, err)
		}
	}
	if reqs, _, _ := f.snapshot(); len(reqs) != 0 {
		t.Errorf("%d requests sent, want none", len(reqs))
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	f := (&fakeRunPod{run: func(n int) reply {
		return reply{code: 429, body: "{}", header: map[string]string{"Retry-After": "30"}}
	}}).start(t)
	cfg := testConfig(t, f.url())
	cfg.RetryMax = time.Minute
	c := newTestClient(t, cfg)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Submit(ctx, "prompt")
	if !errors.Is(err, context.DeadlineExceeded) || asError(t, err).StatusCode != 429 {
		t.Fatalf("err = %v, want deadline exceeded after a 429", err)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("took %v: slept past the context", elapsed)
	}
}

package openai

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

func TestCompleteRequestAndResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		mod          func(*Config)
		wantMessages []any
		wantMax      float64
		wantTemp     float64
		wantAuth     string
	}{
		{
			name:         "defaults",
			wantMessages: []any{map[string]any{"role": "user", "content": "PROMPT <b>&\n\"quoted\""}},
			wantMax:      MaxTokensDefault, wantAuth: "Bearer " + testKey,
		},
		{
			name: "system prompt, budget and temperature",
			mod: func(c *Config) {
				c.SystemPrompt = "You summarize meeting transcripts."
				c.MaxTokens = 64
				c.Temperature = 0.2
			},
			wantMessages: []any{
				map[string]any{"role": "system", "content": "You summarize meeting transcripts."},
				map[string]any{"role": "user", "content": "PROMPT <b>&\n\"quoted\""},
			},
			wantMax: 64, wantTemp: 0.2, wantAuth: "Bearer " + testKey,
		},
		{
			name:         "no key sends no Authorization (Ollama)",
			mod:          func(c *Config) { c.APIKey = "" },
			wantMessages: []any{map[string]any{"role": "user", "content": "PROMPT <b>&\n\"quoted\""}},
			wantMax:      MaxTokensDefault,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := (&fakeAPI{replies: []reply{ok(completion(`"<pad> The team agreed to ship on Friday.<|eot_id|></s>"`, "stop"))}}).start(t)
			cfg := testConfig(t, f.url())
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			c := newTestClient(t, cfg)
			res, err := c.Complete(t.Context(), "PROMPT <b>&\n\"quoted\"")
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			want := Result{Text: "The team agreed to ship on Friday.", Model: "served-model", PromptTokens: 57,
				CompletionTokens: 12, FinishReason: "stop", ID: "chatcmpl-123"}
			if res != want {
				t.Errorf("result = %+v, want %+v", res, want)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.path != "/v1/chat/completions" || r.auth != tt.wantAuth || r.contentType != "application/json" {
				t.Errorf("request %s %s Authorization %q Content-Type %q", r.method, r.path, r.auth, r.contentType)
			}
			if !strings.Contains(string(r.body), "<b>&") {
				t.Errorf("body %s: prompt is HTML-escaped", r.body)
			}
			wantBody := map[string]any{
				"model": "test-model", "messages": tt.wantMessages, "max_tokens": tt.wantMax, "temperature": tt.wantTemp,
			}
			if body := httpapitest.DecodeJSON(t, r.body); !reflect.DeepEqual(body, wantBody) {
				t.Errorf("body = %v, want %v", body, wantBody)
			}
		})
	}
}

func TestCompleteOutcomes(t *testing.T) {
	t.Parallel()
	success := ok(completion(`"fine"`, "stop"))
	tests := []struct {
		name       string
		replies    []reply // successive answers; the last repeats
		mod        func(*Config)
		wantClass  string
		wantCalls  int
		wantStatus int
		wantCode   string
		wantText   string
		wantFinish string
		wantIs     error
		wantInErr  string
		minElapsed time.Duration
	}{
		{name: "429 with Retry-After then success", wantClass: "ok", wantCalls: 2, minElapsed: 900 * time.Millisecond,
			replies: []reply{{code: 429, body: `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`,
				header: map[string]string{"Retry-After": "1"}}, success},
			mod: func(c *Config) { c.RetryMax = 5 * time.Second }},
		{name: "429 with retry-after-ms then success", wantClass: "ok", wantCalls: 2, minElapsed: 250 * time.Millisecond,
			replies: []reply{{code: 429, body: `{}`, header: map[string]string{"Retry-After-Ms": "300"}}, success},
			mod:     func(c *Config) { c.RetryMax = 5 * time.Second }},
		{name: "429 with x-ratelimit-reset-requests then success", wantClass: "ok", wantCalls: 2, minElapsed: 250 * time.Millisecond,
			replies: []reply{{code: 429, body: `{}`, header: map[string]string{
				"X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "300ms",
				"X-Ratelimit-Remaining-Tokens": "9000", "X-Ratelimit-Reset-Tokens": "6m0s"}}, success},
			mod: func(c *Config) { c.RetryMax = 5 * time.Second }},
		{name: "500 and 502 then success", replies: []reply{apiErr(500, "boom", "server_error", ""), {code: 502, body: "<html>bad gateway</html>"}, success},
			wantClass: "ok", wantCalls: 3},
		{name: "503 forever", replies: []reply{{code: 503, body: "overloaded"}}, wantClass: "temporary", wantCalls: 3, wantStatus: 503, wantInErr: "HTTP 503 Service Unavailable"},
		{name: "429 forever", replies: []reply{apiErr(429, "slow down", "requests", "rate_limit_exceeded")}, wantClass: "temporary", wantCalls: 3, wantStatus: 429, wantCode: "rate_limit_exceeded"},
		{name: "one attempt", replies: []reply{{code: 500, body: "x"}}, mod: func(c *Config) { c.MaxAttempts = 1 }, wantClass: "temporary", wantCalls: 1, wantStatus: 500},
		{name: "401", replies: []reply{apiErr(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key")}, wantClass: "config", wantCalls: 1, wantStatus: 401, wantCode: "invalid_api_key"},
		{name: "403", replies: []reply{apiErr(403, "Country not supported", "request_forbidden", "unsupported_country_region_territory")}, wantClass: "config", wantCalls: 1, wantStatus: 403, wantCode: "unsupported_country_region_territory"},
		{name: "404 model", replies: []reply{apiErr(404, "The model `x` does not exist", "invalid_request_error", "model_not_found")}, wantClass: "config", wantCalls: 1, wantStatus: 404, wantCode: "model_not_found"},
		{name: "404 Ollama string error", replies: []reply{{code: 404, body: `{"error":"model \"llama9\" not found, try pulling it first"}`}}, wantClass: "config", wantCalls: 1, wantStatus: 404, wantInErr: "HTTP 404 Not Found"},
		{name: "400 context_length_exceeded", replies: []reply{apiErr(400, "This model's maximum context length is 8192 tokens.", "invalid_request_error", "context_length_exceeded")},
			wantClass: "permanent", wantCalls: 1, wantStatus: 400, wantCode: "context_length_exceeded", wantInErr: "context_length_exceeded (invalid_request_error)"},
		{name: "400 plain", replies: []reply{apiErr(400, "bad messages", "invalid_request_error", "")}, wantClass: "permanent", wantCalls: 1, wantStatus: 400},
		{name: "413", replies: []reply{{code: 413, body: "too large"}}, wantClass: "permanent", wantCalls: 1, wantStatus: 413},
		{name: "422", replies: []reply{{code: 422, body: `{"detail":"bad"}`}}, wantClass: "permanent", wantCalls: 1, wantStatus: 422},
		{name: "400 unsupported_parameter is configuration", replies: []reply{apiErr(400, "Unsupported parameter: 'max_tokens'", "invalid_request_error", "unsupported_parameter")},
			wantClass: "config", wantCalls: 1, wantStatus: 400, wantCode: "unsupported_parameter"},
		{name: "429 insufficient_quota is configuration, not retried", replies: []reply{apiErr(429, "You exceeded your current quota", "insufficient_quota", "insufficient_quota")},
			wantClass: "config", wantCalls: 1, wantStatus: 429, wantCode: "insufficient_quota"},
		{name: "418 other 4xx", replies: []reply{{code: 418, body: "teapot"}}, wantClass: "temporary", wantCalls: 1, wantStatus: 418},
		{name: "garbled 200 retried", replies: []reply{ok(`<html>proxy</html>`), success}, wantClass: "ok", wantCalls: 2},
		{name: "error in 200: context_length_exceeded", replies: []reply{apiErr(200, "too long", "invalid_request_error", "context_length_exceeded")},
			wantClass: "permanent", wantCalls: 1, wantStatus: 200, wantCode: "context_length_exceeded"},
		{name: "error in 200: rate limit type retried", replies: []reply{apiErr(200, "slow", "rate_limit_error", ""), success}, wantClass: "ok", wantCalls: 2},
		{name: "error in 200: authentication type", replies: []reply{apiErr(200, "no", "authentication_error", "")}, wantClass: "config", wantCalls: 1, wantStatus: 200},
		{name: "error in 200: vLLM top-level with HTTP code", replies: []reply{ok(`{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens","type":"BadRequestError","param":null,"code":400}`)},
			wantClass: "permanent", wantCalls: 1, wantStatus: 200, wantCode: "400", wantInErr: "400 (BadRequestError)"},
		{name: "error in 200: vLLM nested 500 retried", replies: []reply{ok(`{"error":{"message":"engine dead","type":"InternalServerError","param":null,"code":500}}`)},
			wantClass: "temporary", wantCalls: 3, wantStatus: 200, wantCode: "500"},
		{name: "error in 200: unknown string retried", replies: []reply{ok(`{"error":"upstream hiccup"}`), success}, wantClass: "ok", wantCalls: 2},
		{name: "empty choices", replies: []reply{ok(`{"id":"x","object":"chat.completion","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":0}}`)},
			wantClass: "temporary", wantCalls: 1, wantStatus: 200, wantIs: ErrNoOutput},
		{name: "null content", replies: []reply{ok(completion(`null`, "stop"))}, wantClass: "temporary", wantCalls: 1, wantStatus: 200, wantIs: ErrNoOutput},
		{name: "only special tokens", replies: []reply{ok(completion(`" <|im_end|></s> "`, "stop"))}, wantClass: "temporary", wantCalls: 1, wantIs: ErrNoOutput},
		{name: "refusal", replies: []reply{ok(`{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}`)},
			wantClass: "permanent", wantCalls: 1, wantCode: "refusal", wantIs: ErrNoOutput, wantInErr: "the model refused"},
		{name: "content filter stop", replies: []reply{ok(completion(`""`, "content_filter"))}, wantClass: "permanent", wantCalls: 1, wantCode: "content_filter"},
		{name: "finish length is fine", replies: []reply{ok(completion(`"The team agreed to"`, "length"))}, wantClass: "ok", wantCalls: 1, wantText: "The team agreed to", wantFinish: "length"},
		{name: "content parts", replies: []reply{ok(completion(`[{"type":"text","text":"Part one, "},{"type":"text","text":"part two."}]`, "stop"))},
			wantClass: "ok", wantCalls: 1, wantText: "Part one, part two.", wantFinish: "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := (&fakeAPI{replies: tt.replies}).start(t)
			cfg := testConfig(t, f.url())
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			c := newTestClient(t, cfg)
			start := time.Now()
			res, err := c.Complete(t.Context(), "prompt")
			elapsed := time.Since(start)
			if got := errClass(err); got != tt.wantClass {
				t.Fatalf("class = %s, want %s (err: %v)", got, tt.wantClass, err)
			}
			if n := len(f.requests()); n != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("took %v, want at least %v (server-requested delay)", elapsed, tt.minElapsed)
			}
			if err == nil {
				wantText, wantFinish := tt.wantText, tt.wantFinish
				if wantText == "" {
					wantText, wantFinish = "fine", "stop"
				}
				if res.Text != wantText || res.FinishReason != wantFinish {
					t.Errorf("result = %+v, want text %q finish %q", res, wantText, wantFinish)
				}
				return
			}
			e := asError(t, err)
			if tt.wantStatus != 0 && e.StatusCode != tt.wantStatus {
				t.Errorf("StatusCode = %d, want %d (%v)", e.StatusCode, tt.wantStatus, err)
			}
			if e.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q (%v)", e.Code, tt.wantCode, err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q lacks %q", err, tt.wantInErr)
			}
			if e.StatusCode != 0 && !strings.Contains(err.Error(), "[request req_") {
				t.Errorf("error %q lacks the request id", err)
			}
			if res != (Result{}) {
				t.Errorf("result %+v with an error", res)
			}
		})
	}
}

func TestNetworkErrorIsRetriedThenTemporary(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			_ = conn.Close()
		}
	}))
	t.Cleanup(srv.Close)
	_, err := newTestClient(t, testConfig(t, srv.URL+"/v1")).Complete(t.Context(), "prompt")
	if errClass(err) != "temporary" || asError(t, err).StatusCode != 0 {
		t.Fatalf("err = %v, want temporary without status", err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d attempts, want MaxAttempts=3", calls.Load())
	}
}

// countingTransport counts HTTP attempts, including those that never reach the server.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func TestAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	f := (&fakeAPI{replies: []reply{{hang: true}, ok(completion(`"after the timeout"`, "stop"))}}).start(t)
	cfg := testConfig(t, f.url())
	cfg.Timeout = 500 * time.Millisecond
	cfg.MaxAttempts = 5
	start := time.Now()
	res, err := newTestClient(t, cfg).Complete(t.Context(), "prompt")
	if err != nil || res.Text != "after the timeout" || len(f.requests()) < 2 || time.Since(start) < 400*time.Millisecond {
		t.Fatalf("Complete = %+v, %v after %d requests in %v; want success after a timed-out attempt", res, err, len(f.requests()), time.Since(start))
	}

	f = (&fakeAPI{replies: []reply{{hang: true}}}).start(t)
	cfg = testConfig(t, f.url())
	cfg.Timeout = 100 * time.Millisecond
	cfg.MaxAttempts = 2
	attempts := &countingTransport{}
	cfg.HTTPClient = &http.Client{Transport: attempts}
	_, err = newTestClient(t, cfg).Complete(t.Context(), "prompt")
	if !errors.Is(err, ErrRequestTimeout) || errClass(err) != "temporary" || attempts.n.Load() != 2 {
		t.Errorf("err = %v after %d attempts, want ErrRequestTimeout after 2", err, attempts.n.Load())
	}
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	t.Run("request in flight", func(t *testing.T) {
		t.Parallel()
		f := (&fakeAPI{replies: []reply{{hang: true}}}).start(t)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := newTestClient(t, testConfig(t, f.url())).Complete(ctx, "prompt")
		if !errors.Is(err, context.DeadlineExceeded) || errClass(err) != "temporary" || errors.Is(err, ErrRequestTimeout) {
			t.Fatalf("err = %v, want temporary wrapping the caller's deadline", err)
		}
		if n := len(f.requests()); n > 1 || time.Since(start) > 5*time.Second {
			t.Errorf("%d requests in %v, want at most 1, promptly", n, time.Since(start))
		}
	})
	t.Run("during backoff", func(t *testing.T) {
		t.Parallel()
		f := (&fakeAPI{replies: []reply{{code: 429, body: "{}", header: map[string]string{"Retry-After": "30"}}}}).start(t)
		cfg := testConfig(t, f.url())
		cfg.RetryMax = time.Minute
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := newTestClient(t, cfg).Complete(ctx, "prompt")
		if !errors.Is(err, context.Canceled) || asError(t, err).StatusCode != 429 || errClass(err) != "temporary" {
			t.Fatalf("err = %v, want cancelled after a 429", err)
		}
		if elapsed := time.Since(start); elapsed > 10*time.Second {
			t.Errorf("took %v: slept past the context", elapsed)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		t.Parallel()
		f := (&fakeAPI{}).start(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := newTestClient(t, testConfig(t, f.url())).Complete(ctx, "prompt")
		if !errors.Is(err, context.Canceled) || errClass(err) != "temporary" {
			t.Fatalf("err = %v", err)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%d requests sent", n)
		}
	})
}

func TestEmptyPromptRejectedBeforeSending(t *testing.T) {
	t.Parallel()
	f := (&fakeAPI{}).start(t)
	c := newTestClient(t, testConfig(t, f.url()))
	for _, p := range []string{"", " \n\t"} {
		if _, err := c.Complete(t.Context(), p); errClass(err) != "permanent" {
			t.Errorf("Complete(%q) err = %v, want permanent", p, err)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestOversizedAnswer(t *testing.T) {
	t.Parallel()
	huge := `{"id":"x","choices":[{"message":{"content":"` + strings.Repeat("a", maxResponseBytes) + `"}}]}`
	f := (&fakeAPI{replies: []reply{ok(huge)}}).start(t)
	_, err := newTestClient(t, testConfig(t, f.url())).Complete(t.Context(), "prompt")
	if errClass(err) != "temporary" || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("err = %v, want temporary 'exceeds'", err)
	}
	if len(err.Error()) > 1000 {
		t.Errorf("error is %d bytes long", len(err.Error()))
	}
}

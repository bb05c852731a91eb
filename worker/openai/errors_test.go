package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi"
	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		e      apiError
		want   httpapi.Rule
	}{
		{400, apiError{}, permanent},
		{400, apiError{code: "context_length_exceeded"}, permanent},
		{400, apiError{code: "unsupported_parameter"}, config},
		{400, apiError{code: "unsupported_value"}, config},
		{401, apiError{}, config},
		{403, apiError{}, config},
		{404, apiError{}, config},
		{408, apiError{}, retried},
		{409, apiError{}, transient},
		{413, apiError{}, permanent},
		{422, apiError{}, permanent},
		{429, apiError{}, retried},
		{429, apiError{code: "insufficient_quota", typ: "insufficient_quota"}, config},
		{500, apiError{}, retried},
		{500, apiError{code: "context_length_exceeded"}, permanent},
		{529, apiError{}, retried},
		{200, apiError{code: "context_length_exceeded"}, permanent},
		{200, apiError{code: "400", typ: "BadRequestError"}, permanent},
		{200, apiError{code: "401"}, config},
		{200, apiError{code: "503"}, retried},
		{200, apiError{typ: "invalid_request_error"}, permanent},
		{200, apiError{typ: "authentication_error"}, config},
		{200, apiError{typ: "NotFoundError"}, config},
		{200, apiError{typ: "rate_limit_error"}, retried},
		{200, apiError{typ: "server_error"}, retried},
		{200, apiError{message: "prompt exceeds the model's context window"}, permanent},
		{200, apiError{message: "something odd"}, retried},
		{200, apiError{code: "7", message: "odd numeric code"}, retried},
	}
	for _, tt := range tests {
		if got := classify(tt.status, tt.e); got != tt.want {
			t.Errorf("classify(%d, %+v) = %+v, want %+v", tt.status, tt.e, got, tt.want)
		}
	}
}

// Class maps every kind of error into the outcome vocabulary, through any
// wrapping.
func TestErrorClass(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  *Error
		want outcome.Class
	}{
		{&Error{StatusCode: 400, kind: httpapi.Permanent}, outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonBackendRejected}},
		{&Error{StatusCode: 200, Code: "context_length_exceeded", kind: httpapi.Permanent}, outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonBackendRejected}},
		{&Error{StatusCode: 429, Code: "insufficient_quota", kind: httpapi.Config}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}},
		{&Error{StatusCode: 429}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}},
		{&Error{StatusCode: 502}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}},
		{&Error{Err: errors.New("connection refused")}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}},
		{&Error{Err: context.Canceled}, outcome.Class{Kind: outcome.Released}},
		{&Error{StatusCode: 200, Err: ErrNoOutput}, outcome.Class{Kind: outcome.Retried}},
		{&Error{StatusCode: 409}, outcome.Class{Kind: outcome.Retried}},
	} {
		if got := outcome.Of(fmt.Errorf("chunk 2: %w", tt.err)); got != tt.want {
			t.Errorf("%v: class %+v, want %+v", tt.err, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	e := &Error{StatusCode: 400, Code: "context_length_exceeded", Type: "invalid_request_error", RequestID: "req_1", Err: context.Canceled}
	msg := e.Error()
	for _, want := range []string{"openai chat completion", "HTTP 400 Bad Request", "context_length_exceeded (invalid_request_error)", "[request req_1]", "context canceled"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if !errors.Is(e, context.Canceled) {
		t.Error("Unwrap does not reach Err")
	}
	if got := (&Error{Type: "server_error"}).Error(); got != "openai chat completion: (server_error)" {
		t.Errorf("type-only message = %q", got)
	}
}

func TestRedactErrKeepsSentinels(t *testing.T) {
	t.Parallel()
	for _, sentinel := range []error{ErrNoOutput, ErrRequestTimeout, context.Canceled} {
		err := redactErr(errors.Join(sentinel, errors.New("key "+testKey)), testKey)
		if !errors.Is(err, sentinel) || strings.Contains(err.Error(), testKey) {
			t.Errorf("redactErr = %v, want %v without the key", err, sentinel)
		}
	}
}

func TestServerDelay(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		header map[string]string
		want   time.Duration
	}{
		{"none", 429, nil, -1},
		{"retry-after seconds", 503, map[string]string{"Retry-After": "7"}, 7 * time.Second},
		{"retry-after date", 429, map[string]string{"Retry-After": "Thu, 02 Jan 2025 03:04:35 GMT"}, 30 * time.Second},
		{"retry-after-ms wins", 429, map[string]string{"Retry-After-Ms": "1500.5", "Retry-After": "7"}, 1500500 * time.Microsecond},
		{"bad retry-after-ms falls back", 429, map[string]string{"Retry-After-Ms": "soon", "Retry-After": "2"}, 2 * time.Second},
		{"reset of the exhausted limit", 429, map[string]string{
			"X-Ratelimit-Remaining-Requests": "10", "X-Ratelimit-Reset-Requests": "1s",
			"X-Ratelimit-Remaining-Tokens": "0", "X-Ratelimit-Reset-Tokens": "6m0s"}, 6 * time.Minute},
		{"longest of both exhausted", 429, map[string]string{
			"X-Ratelimit-Remaining-Requests": "0", "X-Ratelimit-Reset-Requests": "1m30.5s",
			"X-Ratelimit-Remaining-Tokens": "0", "X-Ratelimit-Reset-Tokens": "17ms"}, 90500 * time.Millisecond},
		{"requests reset without remaining", 429, map[string]string{"X-Ratelimit-Reset-Requests": "2.5"}, 2500 * time.Millisecond},
		{"reset ignored off 429", 500, map[string]string{"X-Ratelimit-Reset-Requests": "1s"}, -1},
		{"huge reset clamped", 429, map[string]string{"X-Ratelimit-Reset-Requests": "1e30"}, httpapi.MaxServerDelay},
		{"garbage reset", 429, map[string]string{"X-Ratelimit-Reset-Requests": "NaN"}, -1},
	}
	for _, tt := range tests {
		h := http.Header{}
		for k, v := range tt.header {
			h.Set(k, v)
		}
		if got := serverDelay(h, tt.status, now); got != tt.want {
			t.Errorf("%s: serverDelay = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzServerDelay(f *testing.F) {
	for _, s := range []string{"", "0", "1", "1.5", "6m0s", "17ms", "-1", "NaN", "Inf", "1e308", "Thu, 02 Jan 2025 03:04:35 GMT"} {
		f.Add(s, s)
	}
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, ms, reset string) {
		h := http.Header{}
		h.Set("Retry-After-Ms", ms)
		h.Set("X-Ratelimit-Reset-Requests", reset)
		for _, hh := range []http.Header{h, {"X-Ratelimit-Reset-Requests": {reset}}, {"Retry-After": {reset}}} {
			if d := serverDelay(hh, 429, now); d < -1 || d > httpapi.MaxServerDelay {
				t.Fatalf("serverDelay(%v) = %v", hh, d)
			}
		}
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := &Client{cfg: Config{RetryInitial: 100 * time.Millisecond, RetryMax: time.Second}}
	httpapitest.CheckBackoff(t, c.backoff)
	if d := c.backoff(1, 0); d != 0 {
		t.Errorf("server delay 0 gave %v", d)
	}
}

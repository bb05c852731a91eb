package openai

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// ErrNoOutput is wrapped by the error of a 200 answer without usable text: no choices,
// or content empty after special tokens are removed.
var ErrNoOutput = errors.New("no usable output")

// ErrRequestTimeout is wrapped by the error of an HTTP attempt that exceeded
// Config.Timeout (the caller's context was still live).
var ErrRequestTimeout = errors.New("openai: request timeout exceeded")

// The rows of the tables, short.
var (
	permanent = httpapi.RulePermanent
	config    = httpapi.RuleConfig
	transient = httpapi.RuleTransient
	retried   = httpapi.RuleRetried
)

// statusRules maps HTTP status codes to kinds. A code missing here falls back to:
// other 5xx → transient and retried; other 4xx → transient, not retried
// (httpapi.StatusRule).
var statusRules = map[int]httpapi.Rule{
	http.StatusBadRequest:            permanent, // 400: input rejected
	http.StatusUnauthorized:          config,    // 401: bad key
	http.StatusForbidden:             config,    // 403: key lacks access, region blocked
	http.StatusNotFound:              config,    // 404: wrong BaseURL or unknown model
	http.StatusRequestTimeout:        retried,   // 408
	http.StatusRequestEntityTooLarge: permanent, // 413: prompt too large for a proxy
	http.StatusUnprocessableEntity:   permanent, // 422: input rejected
	http.StatusTooManyRequests:       retried,   // 429: rate limited
	http.StatusInternalServerError:   retried,   // 500
	http.StatusBadGateway:            retried,   // 502
	http.StatusServiceUnavailable:    retried,   // 503
	http.StatusGatewayTimeout:        retried,   // 504
}

// codeRules maps the API's error codes (error.code). A known code overrides the HTTP
// status: a 429 "insufficient_quota" is a billing problem, not throttling, and a 400
// "unsupported_parameter" is a model that rejects max_tokens or temperature, not a bad
// transcript.
var codeRules = map[string]httpapi.Rule{
	"context_length_exceeded":  permanent,
	"string_above_max_length":  permanent,
	"content_filter":           permanent,
	"content_policy_violation": permanent,
	"invalid_prompt":           permanent,
	"invalid_api_key":          config,
	"model_not_found":          config,
	"insufficient_quota":       config,
	"unsupported_parameter":    config,
	"unsupported_value":        config,
	"rate_limit_exceeded":      retried,
	"server_error":             retried,
}

// typeRules maps the API's error types (error.type). They are consulted only for an
// error object in a 200 answer, where no HTTP status says more; the names are
// OpenAI's, Anthropic-style proxies' and vLLM's (Python exception names).
var typeRules = map[string]httpapi.Rule{
	"invalid_request_error":   permanent,
	"BadRequestError":         permanent,
	"authentication_error":    config,
	"AuthenticationError":     config,
	"permission_error":        config,
	"PermissionDeniedError":   config,
	"not_found_error":         config,
	"NotFoundError":           config,
	"insufficient_quota":      config,
	"rate_limit_error":        retried,
	"RateLimitError":          retried,
	"requests":                retried,
	"tokens":                  retried,
	"server_error":            retried,
	"api_error":               retried,
	"overloaded_error":        retried,
	"InternalServerError":     retried,
	"ServiceUnavailableError": retried,
}

// classify returns the rule for a failed answer: HTTP status status (200 for an error
// object in a 200 answer) carrying API error e (zero if the body had none).
func classify(status int, e apiError) httpapi.Rule {
	if r, ok := codeRules[e.code]; ok {
		return r
	}
	if status < 200 || status > 299 {
		return httpapi.StatusRule(statusRules, status)
	}
	// An error in a 200 body: vLLM puts the HTTP status it meant in "code".
	if n, err := strconv.Atoi(e.code); err == nil && n >= 400 && n <= 599 {
		return httpapi.StatusRule(statusRules, n)
	}
	if r, ok := typeRules[e.typ]; ok {
		return r
	}
	if msg := strings.ToLower(e.message); strings.Contains(msg, "context length") || strings.Contains(msg, "context window") {
		return permanent
	}
	return retried
}

// Error is the error type of every failure Complete returns. Its Class says what it
// means for the work item (outcome.Of reads it through any wrapping).
type Error struct {
	// StatusCode is the HTTP status of the answer: 200 for an error object or an
	// unusable completion in a 200 answer, 0 if there was no answer (network error,
	// timeout, context done, request not sent).
	StatusCode int
	// Code is the API's error.code ("context_length_exceeded", "rate_limit_exceeded";
	// a numeric code as digits), Type its error.type ("invalid_request_error"), if any
	// and if a single token (httpapi.Code). The API's error message is never kept: it
	// may quote the prompt (a validator's "input_value=..."), and so may a refusal.
	Code, Type string
	// RequestID is the answer's x-request-id header, for the provider's support, if
	// it is a single token (httpapi.Code).
	RequestID string
	// Err is the underlying cause: a network error, a context error,
	// ErrRequestTimeout, ErrNoOutput, a decoding error.
	Err error

	kind  httpapi.Kind // the verdict of the tables, or of the client
	retry bool
}

// Error describes the failure with status, code and type: our own words and the API's
// codes, never its free text nor the API key.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("openai chat completion")
	if e.StatusCode != 0 {
		b.WriteString(": ")
		b.WriteString(httpapi.StatusLine(e.StatusCode))
	}
	if e.Code != "" || e.Type != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
		if e.Type != "" {
			if e.Code != "" {
				b.WriteString(" ")
			}
			b.WriteString("(" + e.Type + ")")
		}
	}
	if e.RequestID != "" {
		b.WriteString(" [request ")
		b.WriteString(e.RequestID)
		b.WriteString("]")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Class is the error's outcome class (httpapi.Class of its kind): the input rejected
// (400, 413, 422, or codes like context_length_exceeded and content_filter, also
// inside a 200 answer; an empty or whitespace prompt; a refusal) is dead-lettered; our
// key, model or account refused (401, 403, 404, or codes invalid_api_key,
// model_not_found, insufficient_quota, unsupported_parameter, unsupported_value)
// holds the work; throttling, 5xx and network errors after the client's own retries
// hold it as an outage or throttling; a caller that stopped waiting releases it;
// timeouts, garbled or empty answers are the message's transient failure.
func (e *Error) Class() outcome.Class { return httpapi.Class(e.kind, e.StatusCode, e.Err) }

// redactErr returns err, or, if its message quotes secret, an error with the secret
// replaced that still matches the sentinels it matched.
func redactErr(err error, secret string) error {
	return httpapi.RedactErr(err, secret, ErrNoOutput, ErrRequestTimeout, context.Canceled, context.DeadlineExceeded)
}

// parseResetDuration parses an x-ratelimit-reset-* header: a Go-style duration as
// OpenAI sends it ("1s", "6m0s", "17ms") or a number of seconds.
func parseResetDuration(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || math.IsNaN(secs) {
			return 0, false
		}
		if secs >= httpapi.MaxServerDelay.Seconds() {
			return httpapi.MaxServerDelay, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, false
	}
	return min(d, httpapi.MaxServerDelay), true
}

// serverDelay is the wait a failed answer asks for, or -1 if none: retry-after-ms,
// else Retry-After, else (on 429) the x-ratelimit-reset-* header of each limit whose
// x-ratelimit-remaining-* is 0 (requests if none says so), the longest.
func serverDelay(h http.Header, status int, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 && !math.IsNaN(ms) {
			return min(time.Duration(min(ms, float64(httpapi.MaxServerDelay/time.Millisecond))*float64(time.Millisecond)), httpapi.MaxServerDelay)
		}
	}
	if d, ok := httpapi.ParseRetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	if status != http.StatusTooManyRequests {
		return -1
	}
	delay, exhausted := time.Duration(-1), false
	for _, limit := range []string{"requests", "tokens"} {
		if strings.TrimSpace(h.Get("X-Ratelimit-Remaining-"+limit)) != "0" {
			continue
		}
		exhausted = true
		if d, ok := parseResetDuration(h.Get("X-Ratelimit-Reset-" + limit)); ok {
			delay = max(delay, d)
		}
	}
	if !exhausted {
		if d, ok := parseResetDuration(h.Get("X-Ratelimit-Reset-Requests")); ok {
			delay = d
		}
	}
	return delay
}

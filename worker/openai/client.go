package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// Client talks to one OpenAI-compatible chat-completions API. It is safe for concurrent
// use; a single Client should serve the whole process.
type Client struct {
	cfg Config // with defaults; holds the API key: never print it
	url string // BaseURL + "/chat/completions"
	log *zap.Logger
}

// New applies the defaults to cfg, validates it and returns a Client.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("openai: invalid config: %w", err)
	}
	return &Client{
		cfg: cfg,
		url: strings.TrimRight(cfg.BaseURL, "/") + "/chat/completions",
		log: cfg.Logger,
	}, nil
}

// String describes the client without the API key.
func (c Client) String() string {
	return fmt.Sprintf("openai.Client{url:%q model:%q}", httpapi.RedactURL(c.url), c.cfg.Model)
}

// Format makes every fmt verb print String, so the API key held by the client never
// reaches fmt output.
func (c Client) Format(f fmt.State, verb rune) { httpapi.FormatString(f, verb, c.String()) }

// Result is the outcome of a successful Complete.
type Result struct {
	// Text is the first choice's content, special tokens (<pad>, </s>, <|eot_id|>,
	// <|im_end|>, ...) removed and whitespace trimmed; never empty.
	Text string
	// Model is the model that answered, as the server names it.
	Model string
	// PromptTokens and CompletionTokens are the server's usage counts (0 if absent).
	PromptTokens, CompletionTokens int
	// FinishReason is the choice's finish_reason: "stop", or "length" when MaxTokens cut
	// the text short (logged at info level; the text is still returned).
	FinishReason string
	// ID is the completion's id.
	ID string
}

// Complete sends prompt as the user message (after Config.SystemPrompt, if any) to
// POST {BaseURL}/chat/completions and returns the completion.
//
// Each HTTP attempt is bounded by Config.Timeout. 429, 408, 5xx, network errors,
// timeouts, garbled answers and retryable errors inside a 200 answer are retried up to
// Config.MaxAttempts times with full-jitter exponential backoff, or the delay the server
// asks for (retry-after-ms, Retry-After, x-ratelimit-reset-*), capped at RetryMax. It
// never sleeps past ctx: when ctx ends the error wraps ctx's error. Every error is an
// *Error; see its Class.
func (c *Client) Complete(ctx context.Context, prompt string) (Result, error) {
	if strings.TrimSpace(prompt) == "" {
		return Result{}, &Error{Err: errors.New("empty prompt"), kind: httpapi.Permanent}
	}
	body, err := c.requestBody(prompt)
	if err != nil {
		return Result{}, &Error{Err: err, kind: httpapi.Permanent}
	}
	start := time.Now()
	for attempt := 1; ; attempt++ {
		res, e, retryAfter := c.once(ctx, body)
		if e == nil {
			log := c.log.With(zap.String("completion_id", res.ID), zap.String("model", res.Model))
			log.Debug("openai completion",
				zap.Int("prompt_tokens", res.PromptTokens), zap.Int("completion_tokens", res.CompletionTokens),
				zap.String("finish_reason", res.FinishReason), zap.Int("attempts", attempt),
				zap.Duration("duration", time.Since(start)))
			if res.FinishReason == "length" {
				log.Info("openai completion cut short by max_tokens",
					zap.Int("max_tokens", c.cfg.MaxTokens), zap.Int("completion_tokens", res.CompletionTokens))
			}
			return res, nil
		}
		if !e.retry || attempt >= c.cfg.MaxAttempts || ctx.Err() != nil {
			if ctx.Err() != nil && !errors.Is(e, ctx.Err()) {
				addCtxErr(ctx, e)
			}
			return Result{}, e
		}
		wait := c.backoff(attempt, retryAfter)
		c.log.Debug("retrying openai request",
			zap.Int("attempt", attempt), zap.Int("status_code", e.StatusCode),
			zap.Duration("wait", wait), zap.Error(e))
		if !httpapi.Sleep(ctx, wait) {
			addCtxErr(ctx, e)
			return Result{}, e
		}
	}
}

// requestBody encodes the chat request for prompt, without HTML escaping.
func (c *Client) requestBody(prompt string) ([]byte, error) {
	msgs := make([]chatMessage, 0, 2)
	if c.cfg.SystemPrompt != "" {
		msgs = append(msgs, chatMessage{Role: "system", Content: c.cfg.SystemPrompt})
	}
	msgs = append(msgs, chatMessage{Role: "user", Content: prompt})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(chatRequest{Model: c.cfg.Model, Messages: msgs, MaxTokens: c.cfg.MaxTokens, Temperature: c.cfg.Temperature})
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// addCtxErr makes e wrap ctx's error, keeping the last attempt's error.
func addCtxErr(ctx context.Context, e *Error) {
	e.retry = false
	e.Err = httpapi.CtxDoneErr(ctx, e.Err)
}

// once performs one attempt. It returns the result, or the error (whose retry field
// says whether it may be retried) and the delay the server asked for (negative if none).
func (c *Client) once(ctx context.Context, body []byte) (Result, *Error, time.Duration) {
	secret := c.cfg.APIKey
	fail := func(code int, r httpapi.Rule, err error) *Error {
		return &Error{StatusCode: code, Err: redactErr(err, secret), kind: r.Kind, retry: r.Retry}
	}
	actx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, ErrRequestTimeout)
	defer cancel()
	// timedOut wraps err with ErrRequestTimeout if this attempt's own deadline ended it.
	timedOut := func(err error) error {
		switch {
		case ctx.Err() != nil || !errors.Is(context.Cause(actx), ErrRequestTimeout):
			return err
		case errors.Is(err, ErrRequestTimeout): // net/http reports the cause itself
			return fmt.Errorf("%w (Timeout %v)", err, c.cfg.Timeout)
		default:
			return fmt.Errorf("%w after %v: %w", ErrRequestTimeout, c.cfg.Timeout, err)
		}
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return Result{}, fail(0, config, fmt.Errorf("build request: %w", err)), -1
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return Result{}, fail(0, retriedIf(ctx.Err() == nil), timedOut(err)), -1
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	requestID := httpapi.Code(resp.Header.Get("X-Request-Id"), secret)
	if err != nil {
		e := fail(resp.StatusCode, retriedIf(ctx.Err() == nil), fmt.Errorf("read answer: %w", timedOut(err)))
		e.RequestID = requestID
		return Result{}, e, -1
	}
	if len(data) > maxResponseBytes {
		e := fail(resp.StatusCode, transient, fmt.Errorf("answer exceeds %d bytes", maxResponseBytes))
		e.RequestID = requestID
		return Result{}, e, -1
	}
	delay := serverDelay(resp.Header, resp.StatusCode, time.Now())
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		ae := parseAPIError(data)
		r := classify(resp.StatusCode, ae)
		return Result{}, &Error{
			StatusCode: resp.StatusCode, Code: httpapi.Code(ae.code, secret), Type: httpapi.Code(ae.typ, secret),
			RequestID: requestID, kind: r.Kind, retry: r.Retry,
		}, delay
	}
	res, e := parseResponse(data, secret)
	if e != nil {
		e.StatusCode = resp.StatusCode
		e.RequestID = requestID
		return Result{}, e, delay
	}
	if res.Model == "" {
		res.Model = c.cfg.Model
	}
	return res, nil, -1
}

// retriedIf is the rule of a transient failure, retried if retry.
func retriedIf(retry bool) httpapi.Rule {
	if retry {
		return retried
	}
	return transient
}

// backoff is the wait before retry number attempt (1-based): the server's delay capped
// at RetryMax if it sent one (0 included: retry at once), else a uniform random
// duration below min(RetryMax, RetryInitial·2^(attempt-1)) (full jitter).
func (c *Client) backoff(attempt int, serverDelay time.Duration) time.Duration {
	if serverDelay >= 0 {
		return min(serverDelay, c.cfg.RetryMax)
	}
	return httpapi.Backoff(attempt, c.cfg.RetryInitial, c.cfg.RetryMax)
}

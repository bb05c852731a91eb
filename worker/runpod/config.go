package runpod

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// Input formats understood by Config.InputFormat.
const (
	// InputFormatText sends {"input":{"text":PROMPT,"max_new_tokens":N}}.
	InputFormatText = "text"
	// InputFormatVLLM sends {"input":{"prompt":PROMPT,"sampling_params":{"max_tokens":N,"temperature":0}}},
	// the shape of runpod-workers/worker-vllm.
	InputFormatVLLM = "vllm"
	// InputFormatTemplate renders Config.InputTemplate, a JSON document for the whole
	// "input" object written as a Go text/template (RUNPOD_INPUT_FORMAT=path: the caller
	// reads the file). See Config.InputTemplate for the syntax.
	InputFormatTemplate = "template"
)

// Defaults applied by New (and assumed by Validate) for zero Config fields.
const (
	InputFormatDefault   = InputFormatText
	SummaryTokensDefault = 256
	JobTimeoutDefault    = 15 * time.Minute
	JobTTLDefault        = 2 * time.Hour
	HealthEveryDefault   = time.Second
	StallAfterDefault    = time.Minute
	PollInitialDefault   = 250 * time.Millisecond
	PollMaxDefault       = 10 * time.Second
	PollRateDefault      = 50.0
	MaxAttemptsDefault   = httpapi.MaxAttemptsDefault
	RetryInitialDefault  = httpapi.RetryInitialDefault
	RetryMaxDefault      = httpapi.RetryMaxDefault
	HTTPTimeoutDefault   = 30 * time.Second
)

// Fixed limits of the RunPod API and of this client.
const (
	// MaxPayloadBytes is RunPod's limit for a /run request body; larger prompts are
	// rejected before any request is sent, with an error that dead-letters the work.
	MaxPayloadBytes = 10 << 20
	// CancelTimeout bounds the POST /cancel sent for an abandoned job. It runs on a
	// context detached from the cancelled one.
	CancelTimeout = 5 * time.Second
	// maxResponseBytes bounds every response body read by the client.
	maxResponseBytes = 16 << 20
)

// Config configures a Client. Zero values take the ...Default constants; only
// EndpointURL is required (and APIKey for api.runpod.ai).
type Config struct {
	// EndpointURL is the endpoint's base URL, e.g. https://api.runpod.ai/v2/ENDPOINT_ID
	// (RUNPOD_ENDPOINT_URL). Absolute http or https URL, no query or fragment; a
	// trailing slash is tolerated.
	EndpointURL string

	// APIKey is sent as "Authorization: Bearer KEY" on every request (RUNPOD_API_KEY).
	// It never appears in logs, errors or fmt output of Config or Client. Empty sends no
	// Authorization header (local emulator); it is required for api.runpod.ai.
	APIKey string

	// InputFormat selects the "input" object of /run (RUNPOD_INPUT_FORMAT):
	// InputFormatText (default), InputFormatVLLM or InputFormatTemplate. Empty with a
	// non-empty InputTemplate means InputFormatTemplate.
	InputFormat string

	// InputTemplate is the contents of the JSON template file named by
	// RUNPOD_INPUT_FORMAT=path, used with InputFormatTemplate (and only then). It is a
	// JSON document for the whole "input" object, executed per prompt as a Go
	// text/template with the fields of TemplateData:
	//
	//	{{json .Prompt}}   the prompt as a quoted, escaped JSON string (quotes included)
	//	{{.MaxTokens}}     MaxNewTokens, a JSON number
	//
	// plus text/template's builtins; "json" writes any value as JSON. Example:
	//
	//	{"prompt": {{json .Prompt}}, "max_new_tokens": {{.MaxTokens}}, "temperature": 0}
	//
	// A bare {{.Prompt}} is not escaped. New parses the template and renders it once
	// with a prompt holding quotes, backslashes, newlines, a control character and
	// non-ASCII text; it fails unless the result is one JSON object with that prompt,
	// unchanged, in one of its strings. A template that later fails to render a prompt
	// gives an error that holds the work (config) and sends nothing.
	InputTemplate string

	// MaxNewTokens is the output budget sent with each prompt (SUMMARY_TOKENS).
	// Default SummaryTokensDefault.
	MaxNewTokens int

	// JobTimeout is the execution budget of one job (JOB_TIMEOUT), sent as
	// policy.executionTimeout in milliseconds: RunPod ends a job that runs longer
	// TIMED_OUT. Time in RunPod's queue does not count: a job is never given up for
	// waiting there. A job seen running longer than JobTimeout (from its start, as
	// RunPod's delayTime places it, or as first seen running) without RunPod ending it
	// is given up, cancelled and reported as ABANDONED. Default JobTimeoutDefault.
	JobTimeout time.Duration

	// JobTTL is the life of one job in RunPod's queue and execution together, from its
	// submission (JOB_TTL), sent as policy.ttl in milliseconds: RunPod forgets a job
	// that has not finished by then. A job still unstarted when it passes waited out
	// its ttl (Error.WaitedOut): it never ran, and a new one may be submitted without
	// counting against the message. It must be at least JobTimeout. Default
	// JobTTLDefault.
	JobTTL time.Duration

	// QueueDelay is the wait in RunPod's queue this client aims for when it takes new
	// work (RUNPOD_QUEUE_DELAY): with QueueDelay > 0 the client keeps an admission
	// window (Window), the jobs it may have at RunPod at once, learned from the
	// endpoint's /health and its jobs' execution times, so that a job it submits can
	// start within about QueueDelay. 0 (the default) keeps no window: every job is
	// submitted at once.
	QueueDelay time.Duration

	// WindowCeiling caps the admission window, whatever the endpoint could take
	// (MODEL_CONCURRENCY: the model calls of the process). 0 is no cap.
	WindowCeiling int

	// HealthEvery is how often the admission window asks GET /health while this client
	// has work at RunPod or is asked for room. Default HealthEveryDefault.
	HealthEvery time.Duration

	// StallAfter is how long the endpoint may hold queued jobs with no worker running,
	// idle or starting and none finishing before it counts as stalled (an outage: its
	// waiting messages are held in place). Workers reported unhealthy or throttled
	// while none can run make it stalled at once. Default StallAfterDefault.
	StallAfter time.Duration

	// PollInitial is the wait between /run and the first /status. Default
	// PollInitialDefault.
	PollInitial time.Duration

	// PollMax caps the poll interval, which grows ×1.5 per poll with ±10% jitter.
	// Default PollMaxDefault.
	PollMax time.Duration

	// PollRate caps the /status requests of the Client, per second, whatever the
	// number of jobs (RUNPOD_POLL_RATE). RunPod allows 2,000 per 10 s per endpoint,
	// shared by every replica: keep PollRate × replicas under 200. Past the cap,
	// polls wait, the job expected to end first going first; a 429 on /status
	// halves the rate, which then climbs back (AIMD). Every /status request takes a
	// token, the next try of a failed poll and the last look at JobTimeout included
	// (/status is never retried within the client, see MaxAttempts). Default
	// PollRateDefault.
	PollRate float64

	// MaxAttempts is the number of HTTP attempts per /run or /cancel call for 429, 408,
	// 5xx and network errors (1 disables retries). A /status request is always one
	// attempt: Wait polls a failed one again, under PollRate. Default
	// MaxAttemptsDefault.
	MaxAttempts int

	// RetryInitial is the backoff cap of the first retry; it doubles per attempt up to
	// RetryMax and the actual wait is uniformly random below it (full jitter). The
	// tries of the last look at a job at JobTimeout are spaced the same way.
	// Default RetryInitialDefault.
	RetryInitial time.Duration

	// RetryMax caps both the backoff and an honoured Retry-After. Default
	// RetryMaxDefault.
	RetryMax time.Duration

	// HTTPClient sends the requests. Default: a client with HTTPTimeoutDefault timeout
	// that keeps enough idle connections for every job of the process
	// (httpapi.NewClient).
	HTTPClient *http.Client

	// Logger receives debug lines (retries, polls, resubmits) carrying job_id. nil is
	// zap.NewNop().
	Logger *zap.Logger

	// OnPoll, if set, is called once per /status HTTP request (metrics). It must be
	// safe for concurrent use and must not block.
	OnPoll func()

	// OnResponse, if set, is called once per HTTP attempt with its operation ("run",
	// "status", "cancel") and the HTTP status code, 0 when there was no answer
	// (metrics: throttling shows as 429s). It must be safe for concurrent use.
	OnResponse func(op string, code int)

	// OnJob, if set, is called once per job reaching a final state: COMPLETED, FAILED,
	// CANCELLED, TIMED_OUT, EXPIRED (404 on /status) or ABANDONED (we gave up on it and
	// cancelled it). It must be safe for concurrent use and must not block.
	OnJob func(status string)
}

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	if c.InputFormat == "" {
		c.InputFormat = InputFormatDefault
		if c.InputTemplate != "" {
			c.InputFormat = InputFormatTemplate
		}
	}
	if c.MaxNewTokens == 0 {
		c.MaxNewTokens = SummaryTokensDefault
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = JobTimeoutDefault
	}
	if c.JobTTL == 0 {
		c.JobTTL = max(JobTTLDefault, c.JobTimeout)
	}
	if c.HealthEvery == 0 {
		c.HealthEvery = HealthEveryDefault
	}
	if c.StallAfter == 0 {
		c.StallAfter = StallAfterDefault
	}
	if c.PollInitial == 0 {
		c.PollInitial = PollInitialDefault
	}
	if c.PollMax == 0 {
		c.PollMax = max(PollMaxDefault, c.PollInitial)
	}
	if c.PollRate == 0 {
		c.PollRate = PollRateDefault
	}
	c.MaxAttempts, c.RetryInitial, c.RetryMax = httpapi.RetryDefaults(c.MaxAttempts, c.RetryInitial, c.RetryMax)
	if c.HTTPClient == nil {
		c.HTTPClient = httpapi.NewClient(HTTPTimeoutDefault)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// Validate reports every problem of c (zero fields count as their defaults), joined
// with errors.Join. Messages never contain the API key.
func (c Config) Validate() error {
	_, errs := httpapi.CheckEndpoint("runpod", "EndpointURL", c.EndpointURL, c.APIKey, func(host string) bool {
		return host == "api.runpod.ai" || strings.HasSuffix(host, ".runpod.ai")
	})
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch format := c.withDefaults().InputFormat; {
	case format == InputFormatTemplate && c.InputTemplate == "":
		bad("runpod: InputTemplate is required with InputFormat %q", InputFormatTemplate)
	case format == InputFormatTemplate:
		if _, err := newTemplateInput(c.InputTemplate, c.APIKey); err != nil {
			bad("runpod: %w", err)
		}
	case inputBuilders[format] == nil:
		bad("runpod: InputFormat %q is not one of %s, %s", c.InputFormat, strings.Join(inputFormatNames(), ", "), InputFormatTemplate)
	case c.InputTemplate != "":
		bad("runpod: InputTemplate is set but InputFormat is %q, not %q", format, InputFormatTemplate)
	}
	if c.MaxNewTokens < 0 {
		bad("runpod: MaxNewTokens %d must not be negative", c.MaxNewTokens)
	}
	if !(c.PollRate >= 0) || math.IsInf(c.PollRate, 0) {
		bad("runpod: PollRate %v must be a positive number of polls per second", c.PollRate)
	}
	errs = append(errs, httpapi.CheckSettings("runpod", c.MaxAttempts, c.RetryInitial, c.RetryMax,
		httpapi.Setting{Name: "JobTimeout", Value: c.JobTimeout},
		httpapi.Setting{Name: "JobTTL", Value: c.JobTTL},
		httpapi.Setting{Name: "HealthEvery", Value: c.HealthEvery},
		httpapi.Setting{Name: "StallAfter", Value: c.StallAfter},
		httpapi.Setting{Name: "PollInitial", Value: c.PollInitial},
		httpapi.Setting{Name: "PollMax", Value: c.PollMax})...)
	if c.JobTimeout > 0 && c.JobTimeout < time.Millisecond {
		bad("runpod: JobTimeout %v is below RunPod's 1 ms resolution", c.JobTimeout)
	}
	if d := c.withDefaults(); c.JobTTL > 0 && c.JobTimeout >= 0 && d.JobTTL < d.JobTimeout {
		bad("runpod: JobTTL %v is shorter than JobTimeout %v: RunPod would end a job's execution at its ttl", d.JobTTL, d.JobTimeout)
	}
	if c.QueueDelay < 0 {
		bad("runpod: QueueDelay %v must not be negative", c.QueueDelay)
	}
	if c.WindowCeiling < 0 {
		bad("runpod: WindowCeiling %d must not be negative", c.WindowCeiling)
	}
	if d := c.withDefaults(); c.PollInitial >= 0 && c.PollMax >= 0 && d.PollInitial > d.PollMax {
		bad("runpod: PollInitial %v exceeds PollMax %v", d.PollInitial, d.PollMax)
	}
	return errors.Join(errs...)
}

// String describes c without the API key (shown as httpapi.Redacted if set).
func (c Config) String() string {
	return fmt.Sprintf("runpod.Config{EndpointURL:%q APIKey:%q InputFormat:%q InputTemplate:(%d bytes) MaxNewTokens:%d JobTimeout:%v JobTTL:%v QueueDelay:%v PollInitial:%v PollMax:%v MaxAttempts:%d RetryInitial:%v RetryMax:%v}",
		httpapi.RedactURL(c.EndpointURL), httpapi.MaskKey(c.APIKey), c.InputFormat, len(c.InputTemplate), c.MaxNewTokens, c.JobTimeout, c.JobTTL, c.QueueDelay, c.PollInitial, c.PollMax,
		c.MaxAttempts, c.RetryInitial, c.RetryMax)
}

// GoString is String, so that %#v does not print the API key either.
func (c Config) GoString() string { return c.String() }

// Format makes every fmt verb (%v, %+v, %#v, %s, %q, ...) print String.
func (c Config) Format(f fmt.State, verb rune) { httpapi.FormatString(f, verb, c.String()) }

// LogValue implements slog.LogValuer without the API key.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalLogObject implements zapcore.ObjectMarshaler without the API key, so that
// zap.Any("config", cfg) is safe.
func (c Config) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("endpoint_url", httpapi.RedactURL(c.EndpointURL))
	enc.AddBool("api_key_set", c.APIKey != "")
	enc.AddString("input_format", c.InputFormat)
	enc.AddInt("input_template_bytes", len(c.InputTemplate))
	enc.AddInt("max_new_tokens", c.MaxNewTokens)
	enc.AddDuration("job_timeout", c.JobTimeout)
	enc.AddDuration("job_ttl", c.JobTTL)
	enc.AddDuration("queue_delay", c.QueueDelay)
	enc.AddDuration("poll_initial", c.PollInitial)
	enc.AddDuration("poll_max", c.PollMax)
	enc.AddInt("max_attempts", c.MaxAttempts)
	return nil
}

// MarshalJSON encodes c without the API key (and without the func and client fields).
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		EndpointURL  string `json:"endpoint_url"`
		APIKeySet    bool   `json:"api_key_set"`
		InputFormat  string `json:"input_format"`
		TemplateSize int    `json:"input_template_bytes"`
		MaxNewTokens int    `json:"max_new_tokens"`
		JobTimeout   string `json:"job_timeout"`
		JobTTL       string `json:"job_ttl"`
		QueueDelay   string `json:"queue_delay"`
		PollInitial  string `json:"poll_initial"`
		PollMax      string `json:"poll_max"`
		MaxAttempts  int    `json:"max_attempts"`
	}{
		httpapi.RedactURL(c.EndpointURL), c.APIKey != "", c.InputFormat, len(c.InputTemplate), c.MaxNewTokens,
		c.JobTimeout.String(), c.JobTTL.String(), c.QueueDelay.String(), c.PollInitial.String(), c.PollMax.String(), c.MaxAttempts,
	})
}

package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// Defaults applied by New (and assumed by Validate) for zero Config fields. Temperature
// has no default constant: its zero value, 0 (greedy decoding), is the default.
const (
	MaxTokensDefault    = 256
	TimeoutDefault      = 5 * time.Minute
	MaxAttemptsDefault  = httpapi.MaxAttemptsDefault
	RetryInitialDefault = httpapi.RetryInitialDefault
	RetryMaxDefault     = httpapi.RetryMaxDefault
)

// maxResponseBytes bounds every response body read by the client.
const maxResponseBytes = 10 << 20

// Config configures a Client. Zero values take the ...Default constants; BaseURL and
// Model are required (and APIKey for api.openai.com and api.runpod.ai).
type Config struct {
	// BaseURL is the API root that "/chat/completions" is appended to
	// (OPENAI_BASE_URL), e.g. https://api.openai.com/v1, http://localhost:8000/v1
	// (vLLM), http://localhost:11434/v1 (Ollama) or
	// https://api.runpod.ai/v2/ENDPOINT_ID/openai/v1. Absolute http or https URL, no
	// query or fragment; a trailing slash is tolerated.
	BaseURL string

	// APIKey is sent as "Authorization: Bearer KEY" (OPENAI_API_KEY). It never appears
	// in logs, errors or fmt output of Config or Client. Empty sends no Authorization
	// header (Ollama, a local vLLM); it is required for api.openai.com and api.runpod.ai.
	APIKey string

	// Model is the "model" of every request (OPENAI_MODEL), e.g. gpt-4o-mini or the
	// name vLLM serves.
	Model string

	// MaxTokens is the output budget sent as max_tokens (SUMMARY_TOKENS). Default
	// MaxTokensDefault.
	MaxTokens int

	// Temperature is sent with every request; the default 0 makes summaries
	// reproducible. Must be finite and not negative.
	Temperature float64

	// SystemPrompt, if not empty, is sent as a system message before the prompt.
	SystemPrompt string

	// Timeout bounds one HTTP attempt, response body included. A timed-out attempt is
	// retried like a network error. Default TimeoutDefault (LLM calls are slow).
	Timeout time.Duration

	// MaxAttempts is the number of HTTP attempts per Complete for 429, 408, 5xx, network
	// errors, timeouts and garbled answers (1 disables retries). Default
	// MaxAttemptsDefault.
	MaxAttempts int

	// RetryInitial is the backoff cap of the first retry; it doubles per attempt up to
	// RetryMax and the actual wait is uniformly random below it (full jitter). A delay
	// the server asks for (retry-after-ms, Retry-After, or on 429 the
	// x-ratelimit-reset-* headers) replaces it. Default RetryInitialDefault.
	RetryInitial time.Duration

	// RetryMax caps both the backoff and a server-requested delay. Default
	// RetryMaxDefault.
	RetryMax time.Duration

	// HTTPClient sends the requests. Default: a plain http.Client (Timeout applies per
	// attempt through the request context).
	HTTPClient *http.Client

	// Logger receives debug lines (completions, retries) and an info line per
	// completion cut short by MaxTokens. nil is zap.NewNop().
	Logger *zap.Logger
}

// withDefaults returns c with every zero field replaced by its default.
func (c Config) withDefaults() Config {
	if c.MaxTokens == 0 {
		c.MaxTokens = MaxTokensDefault
	}
	if c.Timeout == 0 {
		c.Timeout = TimeoutDefault
	}
	c.MaxAttempts, c.RetryInitial, c.RetryMax = httpapi.RetryDefaults(c.MaxAttempts, c.RetryInitial, c.RetryMax)
	if c.HTTPClient == nil {
		c.HTTPClient = httpapi.NewClient(0)
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c
}

// hostsNeedingKey are API hosts that always require an API key.
var hostsNeedingKey = []string{"api.openai.com", "api.runpod.ai"}

// Validate reports every problem of c (zero fields count as their defaults), joined
// with errors.Join. Messages never contain the API key.
func (c Config) Validate() error {
	u, errs := httpapi.CheckEndpoint("openai", "BaseURL", c.BaseURL, c.APIKey, func(host string) bool {
		return slices.Contains(hostsNeedingKey, host)
	})
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if u != nil && strings.HasSuffix(strings.TrimRight(u.Path, "/"), "/chat/completions") {
		bad("openai: BaseURL %q must not end in /chat/completions, which is appended", u.Redacted())
	}
	if strings.TrimSpace(c.Model) == "" {
		bad("openai: Model is required")
	}
	if c.MaxTokens < 0 {
		bad("openai: MaxTokens %d must not be negative", c.MaxTokens)
	}
	if c.Temperature < 0 || math.IsNaN(c.Temperature) || math.IsInf(c.Temperature, 0) {
		bad("openai: Temperature %v must be a finite number, not negative", c.Temperature)
	}
	errs = append(errs, httpapi.CheckSettings("openai", c.MaxAttempts, c.RetryInitial, c.RetryMax,
		httpapi.Setting{Name: "Timeout", Value: c.Timeout})...)
	return errors.Join(errs...)
}

// String describes c without the API key (shown as httpapi.Redacted if set).
func (c Config) String() string {
	return fmt.Sprintf("openai.Config{BaseURL:%q APIKey:%q Model:%q MaxTokens:%d Temperature:%v SystemPrompt:(%d bytes) Timeout:%v MaxAttempts:%d RetryInitial:%v RetryMax:%v}",
		httpapi.RedactURL(c.BaseURL), httpapi.MaskKey(c.APIKey), c.Model, c.MaxTokens, c.Temperature, len(c.SystemPrompt), c.Timeout,
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
	enc.AddString("base_url", httpapi.RedactURL(c.BaseURL))
	enc.AddBool("api_key_set", c.APIKey != "")
	enc.AddString("model", c.Model)
	enc.AddInt("max_tokens", c.MaxTokens)
	enc.AddFloat64("temperature", c.Temperature)
	enc.AddInt("system_prompt_bytes", len(c.SystemPrompt))
	enc.AddDuration("timeout", c.Timeout)
	enc.AddInt("max_attempts", c.MaxAttempts)
	return nil
}

// MarshalJSON encodes c without the API key (and without the client and logger).
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		BaseURL      string  `json:"base_url"`
		APIKeySet    bool    `json:"api_key_set"`
		Model        string  `json:"model"`
		MaxTokens    int     `json:"max_tokens"`
		Temperature  float64 `json:"temperature"`
		SystemPrompt string  `json:"system_prompt"`
		Timeout      string  `json:"timeout"`
		MaxAttempts  int     `json:"max_attempts"`
	}{
		httpapi.RedactURL(c.BaseURL), c.APIKey != "", c.Model, c.MaxTokens, finite(c.Temperature), c.SystemPrompt,
		c.Timeout.String(), c.MaxAttempts,
	})
}

// finite maps NaN and ±Inf (which encoding/json refuses) to 0.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

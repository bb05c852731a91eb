package openai

import (
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{name: "openai", cfg: Config{BaseURL: "https://api.openai.com/v1", APIKey: "k", Model: "gpt-4o-mini"}},
		{name: "ollama without key, trailing slash", cfg: Config{BaseURL: "http://localhost:11434/v1/", Model: "llama3.2"}},
		{name: "runpod openai route", cfg: Config{BaseURL: "https://api.runpod.ai/v2/abc/openai/v1", APIKey: "k", Model: "m"}},
		{name: "zero", cfg: Config{}, want: []string{"BaseURL is required", "Model is required"}},
		{name: "openai without key", cfg: Config{BaseURL: "https://api.openai.com/v1", Model: "m"}, want: []string{"APIKey is required for api.openai.com"}},
		{name: "runpod without key", cfg: Config{BaseURL: "https://api.runpod.ai/v2/abc/openai/v1", Model: "m"}, want: []string{"APIKey is required for api.runpod.ai"}},
		{name: "full endpoint given", cfg: Config{BaseURL: "http://vllm:8000/v1/chat/completions", Model: "m"}, want: []string{"must not end in /chat/completions"}},
		{name: "relative", cfg: Config{BaseURL: "/v1", Model: "m"}, want: []string{"absolute http or https", "no host"}},
		{name: "query", cfg: Config{BaseURL: "http://h/v1?api-version=1", Model: "m"}, want: []string{"query or fragment"}},
		{name: "unparsable", cfg: Config{BaseURL: "http://[::1", Model: "m"}, want: []string{"not a URL"}},
		{name: "NaN temperature", cfg: Config{BaseURL: "http://h/v1", Model: "m", Temperature: math.NaN()}, want: []string{"Temperature NaN"}},
		{
			name: "every problem at once",
			cfg: Config{BaseURL: "ftp://h/v1", APIKey: "has space", Model: " ", MaxTokens: -1, Temperature: -0.5,
				Timeout: -time.Second, MaxAttempts: -1, RetryInitial: -1, RetryMax: -1},
			want: []string{"absolute http or https", "APIKey contains whitespace", "Model is required", "MaxTokens -1",
				"Temperature -0.5", "Timeout -1s", "MaxAttempts -1", "RetryInitial -1ns", "RetryMax -1ns"},
		},
		{name: "retry initial above max", cfg: Config{BaseURL: "http://h/v1", Model: "m", RetryInitial: time.Minute, RetryMax: time.Second}, want: []string{"RetryInitial 1m0s exceeds RetryMax 1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			httpapitest.CheckValidate(t, tt.want, tt.cfg.Validate, func() error { _, err := New(tt.cfg); return err })
		})
	}
}

func TestNewAppliesDefaults(t *testing.T) {
	t.Parallel()
	c, err := New(Config{BaseURL: "https://api.openai.com/v1/", APIKey: "k", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.cfg
	if c.url != "https://api.openai.com/v1/chat/completions" || got.MaxTokens != MaxTokensDefault ||
		got.Temperature != 0 || got.Timeout != TimeoutDefault || got.MaxAttempts != MaxAttemptsDefault ||
		got.RetryInitial != RetryInitialDefault || got.RetryMax != RetryMaxDefault ||
		got.Logger == nil || got.HTTPClient == nil {
		t.Errorf("defaults not applied: %+v (url %q)", got, c.url)
	}
	custom := &http.Client{}
	if c, _ := New(Config{BaseURL: "http://x/v1", Model: "m", HTTPClient: custom}); c.cfg.HTTPClient != custom {
		t.Error("HTTPClient not kept")
	}
}

package runpod

import (
	"net/http"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/internal/httpapi/httpapitest"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	const url = "https://api.runpod.ai/v2/abc123"
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; none means valid
	}{
		{name: "minimal", cfg: Config{EndpointURL: url, APIKey: "k"}},
		{name: "trailing slash and vllm", cfg: Config{EndpointURL: url + "/", APIKey: "k", InputFormat: InputFormatVLLM}},
		{name: "local emulator without key", cfg: Config{EndpointURL: "http://localhost:8080/v2/local"}},
		{name: "zero", cfg: Config{}, want: []string{"EndpointURL is required"}},
		{name: "runpod without key", cfg: Config{EndpointURL: url}, want: []string{"APIKey is required for api.runpod.ai"}},
		{name: "relative URL", cfg: Config{EndpointURL: "/v2/abc"}, want: []string{"absolute http or https", "no host"}},
		{name: "query", cfg: Config{EndpointURL: url + "?x=1", APIKey: "k"}, want: []string{"query or fragment"}},
		{name: "unparsable URL", cfg: Config{EndpointURL: "http://[::1", APIKey: "k"}, want: []string{"not a URL"}},
		{
			name: "every problem at once",
			cfg: Config{
				EndpointURL: "ftp://host/x", APIKey: "has space", InputFormat: "xml", MaxNewTokens: -1,
				JobTimeout: -time.Second, PollInitial: -1, MaxAttempts: -2, RetryMax: -1,
			},
			want: []string{
				"absolute http or https", "APIKey contains whitespace", `InputFormat "xml" is not one of text, vllm`,
				"MaxNewTokens -1", "JobTimeout -1s", "PollInitial -1ns", "MaxAttempts -2", "RetryMax -1ns",
			},
		},
		{name: "poll initial above max", cfg: Config{EndpointURL: url, APIKey: "k", PollInitial: time.Minute, PollMax: time.Second}, want: []string{"PollInitial 1m0s exceeds PollMax 1s"}},
		{name: "retry initial above max", cfg: Config{EndpointURL: url, APIKey: "k", RetryInitial: time.Minute, RetryMax: time.Second}, want: []string{"RetryInitial 1m0s exceeds RetryMax 1s"}},
		{name: "poll initial above default max is fine", cfg: Config{EndpointURL: url, APIKey: "k", PollInitial: time.Minute}},
		{name: "sub-millisecond job timeout", cfg: Config{EndpointURL: url, APIKey: "k", JobTimeout: time.Microsecond}, want: []string{"1 ms resolution"}},
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
	c, err := New(Config{EndpointURL: "https://api.runpod.ai/v2/abc/", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	got := c.cfg
	if c.base != "https://api.runpod.ai/v2/abc" || got.InputFormat != InputFormatText ||
		got.MaxNewTokens != SummaryTokensDefault || got.JobTimeout != JobTimeoutDefault ||
		got.PollInitial != PollInitialDefault || got.PollMax != PollMaxDefault ||
		got.MaxAttempts != MaxAttemptsDefault ||
		got.RetryInitial != RetryInitialDefault || got.RetryMax != RetryMaxDefault ||
		got.Logger == nil || got.HTTPClient == nil || got.HTTPClient.Timeout != HTTPTimeoutDefault {
		t.Errorf("defaults not applied: %+v (base %q)", got, c.base)
	}
	custom := &http.Client{}
	if c, _ := New(Config{EndpointURL: "http://x", HTTPClient: custom}); c.cfg.HTTPClient != custom {
		t.Errorf("HTTPClient not kept")
	}
}

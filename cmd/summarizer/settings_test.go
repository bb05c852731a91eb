package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/cmd/internal/settings"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// Bad settings: one line on stderr naming every problem, exit code 2, and
// no AWS call (there is no AWS here to call: an attempt would hang or fail
// differently).
func TestBadSettingsAreOneLineExit2(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  func(string) string
		want []string
	}{
		{"missing queue and endpoint", []string{"run"}, envOf(), []string{"QUEUE_URL", "required"}},
		{"several bad values", []string{"run"}, envOf("QUEUE_URL=http://q", "CONCURRENCY=abc", "VISIBILITY_TIMEOUT=soon", "OUTPUT_FORMAT=xml", "MAX_OBJECT_BYTES=-1"),
			[]string{"CONCURRENCY", "VISIBILITY_TIMEOUT", "OUTPUT_FORMAT", "MAX_OBJECT_BYTES"}},
		{"flag overrides env", []string{"run", "--concurrency", "zero"}, envOf("QUEUE_URL=http://q", "CONCURRENCY=4"), []string{`CONCURRENCY="zero"`}},
		{"runpod without endpoint", []string{"run"}, envOf("QUEUE_URL=http://q"), []string{"RUNPOD_ENDPOINT_URL is required"}},
		{"bad endpoint URL", []string{"run"}, envOf("QUEUE_URL=http://q", "RUNPOD_ENDPOINT_URL=api.runpod.ai"), []string{"RUNPOD_ENDPOINT_URL", "absolute"}},
		{"unknown flag", []string{"run", "--nope"}, envOf(), []string{"nope"}},
		{"unknown command", []string{"frobnicate"}, envOf(), []string{"unknown command"}},
		{"summarize without path", []string{"summarize"}, envOf(), []string{"usage"}},
		{"api key is not a flag", []string{"run", "--runpod-api-key", "x"}, envOf(), []string{"runpod-api-key"}},
		{"bad OTEL values", []string{"run"}, envOf("QUEUE_URL=http://q", "RUNPOD_ENDPOINT_URL=http://rp", "OTEL_EXPORTER_OTLP_ENDPOINT=collector:4317",
			"OTEL_EXPORTER_OTLP_PROTOCOL=thrift", "OTEL_TRACES_EXPORTER=jaeger", "OTEL_TRACES_SAMPLER=sometimes", "OTEL_TRACES_SAMPLER_ARG=2",
			"OTEL_RESOURCE_ATTRIBUTES=team", "OTEL_SDK_DISABLED=maybe"),
			[]string{`OTEL_EXPORTER_OTLP_ENDPOINT="collector:4317"`, "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER=",
				"OTEL_TRACES_SAMPLER_ARG", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_SDK_DISABLED"}},
		{"SIBLINGS unknown", []string{"run"}, envOf("QUEUE_URL=http://q", "SIBLINGS=first"), []string{"SIBLINGS", "richest", "all"}},
		{"MAX_CHUNKS zero", []string{"run"}, envOf("QUEUE_URL=http://q", "MAX_CHUNKS=0"), []string{"MAX_CHUNKS", "auto"}},
		{"MAX_CHUNKS over what a journal holds", []string{"run"}, envOf("QUEUE_URL=http://q", "MAX_CHUNKS=100000"), []string{"MAX_CHUNKS", "2048"}},
		{"OTEL settings are not flags", []string{"run", "--otel-exporter-otlp-endpoint", "http://c:4318"}, envOf(), []string{"otel-exporter-otlp-endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			err := run(ctx, tt.args, tt.env, &stdout, &stderr)
			var ue *settings.UsageError
			if !errors.As(err, &ue) || exitCode(err) != 2 {
				t.Fatalf("err = %v, want a usage error (exit 2)", err)
			}
			out := strings.TrimRight(stderr.String(), "\n")
			if strings.Count(out, "\n") != 0 && tt.name != "unknown command" {
				t.Errorf("stderr is not one line:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stderr %q does not mention %q", out, w)
				}
			}
		})
	}
}

func TestSecretNeverEchoed(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	const key = "rp_secret_do_not_print"
	err := run(t.Context(), []string{"run"}, envOf("RUNPOD_API_KEY="+key, "CONCURRENCY=x"), &stdout, &stderr)
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(stderr.String()+stdout.String()+err.Error(), key) {
		t.Error("API key printed")
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"run", "--help"}, envOf(), &stdout, &stderr)
	if exitCode(err) != 2 {
		t.Errorf("--help exit %d", exitCode(err))
	}
	for _, name := range []string{"QUEUE_URL", "DLQ_URL", "CONCURRENCY", "VISIBILITY_TIMEOUT", "SHUTDOWN_TIMEOUT", "MAX_RECEIVES",
		"ALLOWED_BUCKETS", "INPUT_PREFIX", "INPUT_SUFFIXES", "SIBLINGS", "MAX_CHUNKS", "OUTPUT_BUCKET", "OUTPUT_PREFIX", "OUTPUT_FORMAT", "MAX_OBJECT_BYTES",
		"SUMMARIZER", "RUNPOD_ENDPOINT_URL", "RUNPOD_API_KEY", "RUNPOD_INPUT_FORMAT", "JOB_TIMEOUT", "CHUNK_TOKENS", "SUMMARY_TOKENS",
		"S3_FORCE_PATH_STYLE", "METRICS_ADDR", "LOG_LEVEL", "LOG_FORMAT", "--queue-url", "(environment only)",
		"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("--help does not list %s", name)
		}
	}
}

// MAX_CHUNKS is auto by default (mapreduce's 0: a day of speech), and a
// number set stays that cap.
func TestMaxChunksSetting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		env  []string
		want int
	}{
		{nil, 0},
		{[]string{"MAX_CHUNKS=auto"}, 0},
		{[]string{"MAX_CHUNKS=10"}, 10},
	} {
		var s config
		var stderr bytes.Buffer
		if _, err := settings.Parse("summarizer run", runOptions(&s), nil, envOf(append(tt.env, "QUEUE_URL=http://q")...), &stderr); err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if got := s.mapreduceMaxChunks(); got != tt.want {
			t.Errorf("%v: mapreduce MaxChunks %d, want %d", tt.env, got, tt.want)
		}
	}
}

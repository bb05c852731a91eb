package tracing_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/cmd/internal/tracing"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for _, s := range kv {
		k, v, _ := strings.Cut(s, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

// Traces are off, with a no-op provider, unless an endpoint is set or the
// otlp exporter asked for; OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none
// win over an endpoint.
func TestTracesOnlyWhenConfigured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env []string
		on  bool
	}{
		{nil, false},
		{[]string{"OTEL_SERVICE_NAME=x", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"}, false},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1"}, true},
		{[]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:1/v1/traces"}, true},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"}, true},
		{[]string{"OTEL_TRACES_EXPORTER=otlp"}, true},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1", "OTEL_TRACES_EXPORTER=none"}, false},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:1", "OTEL_SDK_DISABLED=true"}, false},
	}
	for _, tt := range tests {
		var s tracing.Settings
		if _, err := settings.Parse("test", tracing.Options(&s, "test"), nil, envOf(tt.env...), &bytes.Buffer{}); err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		tp, stop, err := tracing.New(context.Background(), &s, zap.NewNop())
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		_, sdk := tp.(*sdktrace.TracerProvider)
		if sdk != tt.on {
			t.Errorf("%v: traces on = %v, want %v", tt.env, sdk, tt.on)
		}
		stop()
	}
}

// A base endpoint gets /v1/traces appended (after its own path); a
// per-signal endpoint is used as it is.
func TestOTLPHTTPEndpointPaths(t *testing.T) {
	t.Parallel()
	tests := []struct{ env, want string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT=%s", "/v1/traces"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT=%s/otlp/", "/otlp/v1/traces"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=%s/custom/traces", "/custom/traces"},
	}
	for _, tt := range tests {
		paths := make(chan string, 10)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			paths <- r.URL.Path
			w.Header().Set("Content-Type", "application/x-protobuf")
		}))
		var s tracing.Settings
		if _, err := settings.Parse("test", tracing.Options(&s, "test"), nil, envOf(fmt.Sprintf(tt.env, srv.URL)), &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		tp, stop, err := tracing.New(context.Background(), &s, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		_, span := tp.Tracer("test").Start(context.Background(), "x")
		span.End()
		stop() // flushes
		srv.Close()
		close(paths)
		var got []string
		for p := range paths {
			got = append(got, p)
		}
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: exported to %v, want %s", tt.env, got, tt.want)
		}
	}
}

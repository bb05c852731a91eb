package main

import (
	"bytes"
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/zap"
)

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
		var s settings
		if _, err := parseOptions("run", traceOptions(&s.Trace), nil, envOf(tt.env...), &bytes.Buffer{}); err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		tp, stop, err := newTracerProvider(context.Background(), &s.Trace, zap.NewNop())
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

package tracing

import (
	"bytes"
	"context"
	"strings"
	"testing"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/summarizer/summarizer/cmd/internal/settings"
)

// service.name is OTEL_SERVICE_NAME, else the one in
// OTEL_RESOURCE_ATTRIBUTES, else the caller's default; the other attributes
// are kept, percent-decoded.
func TestServiceName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env        map[string]string
		want, team string
	}{
		{map[string]string{}, "fallback", ""},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=attr, team=a%20b"}, "attr", "a b"},
		{map[string]string{"OTEL_RESOURCE_ATTRIBUTES": "service.name=attr", "OTEL_SERVICE_NAME": "env"}, "env", ""},
	}
	for _, tt := range tests {
		var s Settings
		var help bytes.Buffer
		if _, err := settings.Parse("test", Options(&s, "fallback"), nil, func(k string) string { return tt.env[k] }, &help); err != nil {
			t.Fatal(err)
		}
		res, err := traceResource(context.Background(), &s)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := res.Set().Value(semconv.ServiceNameKey)
		team, _ := res.Set().Value("team")
		if got.AsString() != tt.want || team.AsString() != tt.team {
			t.Errorf("%v: service.name %q, team %q; want %q, %q", tt.env, got.AsString(), team.AsString(), tt.want, tt.team)
		}
	}
}

// --help names the caller's default service name.
func TestOptionsNameTheDefaultService(t *testing.T) {
	t.Parallel()
	var s Settings
	var help bytes.Buffer
	settings.Help(&help, "test", Options(&s, "my-service"))
	if !strings.Contains(help.String(), "else my-service)") || s.DefaultService != "my-service" {
		t.Errorf("help:\n%s", help.String())
	}
}

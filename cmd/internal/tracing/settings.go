package tracing

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/summarizer/summarizer/cmd/internal/settings"
)

// Settings are the OpenTelemetry SDK's standard variables that this package
// reads itself. The OTLP exporter reads the rest of its own variables
// (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE,
// _CLIENT_KEY, _CLIENT_CERTIFICATE and their _TRACES_ forms), as does the
// batch span processor (OTEL_BSP_*).
type Settings struct {
	Disabled       bool
	Exporter       string // "", "otlp" or "none"
	Endpoint       string // base URL: /v1/traces is appended for HTTP
	TracesEndpoint string // used as it is
	Protocol       string
	TracesProtocol string
	ServiceName    string
	Resource       []attribute.KeyValue
	Sampler        string
	SamplerArg     float64
	// DefaultService is the service.name when neither OTEL_SERVICE_NAME nor
	// OTEL_RESOURCE_ATTRIBUTES names one; Options sets it.
	DefaultService string
}

// Options are the OTEL_* settings, stored into t: environment only, like
// every OpenTelemetry SDK reads them. service becomes t.DefaultService, and
// --help names it.
func Options(t *Settings, service string) []settings.Option {
	t.DefaultService = service
	return []settings.Option{
		{Env: "OTEL_SDK_DISABLED", Default: "false", EnvOnly: true, Usage: "true: no traces, whatever else is set", Parse: settings.Bool(&t.Disabled)},
		{Env: "OTEL_TRACES_EXPORTER", EnvOnly: true, Usage: "otlp (the default once an endpoint is set) or none", Parse: tracesExporter(&t.Exporter)},
		{Env: "OTEL_EXPORTER_OTLP_ENDPOINT", EnvOnly: true, Usage: "OTLP collector, e.g. http://collector:4318 (grpc: :4317); no endpoint, no traces", Parse: settings.HTTPURL(&t.Endpoint, false)},
		{Env: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", EnvOnly: true, Usage: "the full URL for traces (HTTP: path included), instead of the above", Parse: settings.HTTPURL(&t.TracesEndpoint, false)},
		{Env: "OTEL_EXPORTER_OTLP_PROTOCOL", Default: "http/protobuf", EnvOnly: true, Usage: "http/protobuf, http/json or grpc", Parse: otlpProtocol(&t.Protocol)},
		{Env: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", EnvOnly: true, Usage: "the protocol for traces, instead of the above", Parse: otlpProtocol(&t.TracesProtocol)},
		{Env: "OTEL_SERVICE_NAME", EnvOnly: true, Usage: "service.name of the spans (default: service.name of OTEL_RESOURCE_ATTRIBUTES, else " + service + ")", Parse: settings.String(&t.ServiceName)},
		{Env: "OTEL_RESOURCE_ATTRIBUTES", EnvOnly: true, Usage: "key=value,... added to the spans' resource (values percent-encoded)", Parse: resourceAttributes(&t.Resource)},
		{Env: "OTEL_TRACES_SAMPLER", Default: "parentbased_always_on", EnvOnly: true, Usage: "always_on, always_off, traceidratio or their parentbased_ forms", Parse: settings.OneOf(&t.Sampler,
			"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio")},
		{Env: "OTEL_TRACES_SAMPLER_ARG", Default: "1", EnvOnly: true, Usage: "the share of traces kept by the traceidratio samplers", Parse: settings.Probability(&t.SamplerArg)},
	}
}

func tracesExporter(dst *string) func(string) error {
	return func(v string) error {
		switch v {
		case "", "otlp", "none":
			*dst = v
			return nil
		}
		return errors.New("want otlp or none")
	}
}

func otlpProtocol(dst *string) func(string) error {
	return func(v string) error {
		switch v {
		case "", "http/protobuf", "http/json", "grpc":
			*dst = v
			return nil
		}
		return errors.New("want http/protobuf, http/json or grpc")
	}
}

// resourceAttributes parses OTEL_RESOURCE_ATTRIBUTES: key=value pairs
// separated by commas, values percent-encoded.
func resourceAttributes(dst *[]attribute.KeyValue) func(string) error {
	return func(v string) error {
		*dst = nil
		if v == "" {
			return nil
		}
		for _, p := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(p, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return fmt.Errorf("%q: want key=value pairs separated by commas", p)
			}
			dec, err := url.PathUnescape(strings.TrimSpace(val))
			if err != nil {
				return fmt.Errorf("%q: bad percent-encoding", p)
			}
			*dst = append(*dst, attribute.String(k, dec))
		}
		return nil
	}
}

package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/cmd/internal/settings"
)

// traceSettings are the OpenTelemetry SDK's standard variables that `run`
// reads itself. The OTLP exporter reads the rest of its own variables
// (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, _CERTIFICATE,
// _CLIENT_KEY, _CLIENT_CERTIFICATE and their _TRACES_ forms), as does the
// batch span processor (OTEL_BSP_*).
type traceSettings struct {
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
}

// Defaults of tracing.
const (
	serviceNameDefault = "summarizer"
	// traceFlushTimeout bounds the flush of the spans still buffered at exit.
	traceFlushTimeout = 5 * time.Second
)

// traceOptions are the OTEL_* settings of `run`: environment only, like
// every OpenTelemetry SDK reads them.
func traceOptions(t *traceSettings) []settings.Option {
	return []settings.Option{
		{Env: "OTEL_SDK_DISABLED", Default: "false", EnvOnly: true, Usage: "true: no traces, whatever else is set", Parse: settings.Bool(&t.Disabled)},
		{Env: "OTEL_TRACES_EXPORTER", EnvOnly: true, Usage: "otlp (the default once an endpoint is set) or none", Parse: tracesExporter(&t.Exporter)},
		{Env: "OTEL_EXPORTER_OTLP_ENDPOINT", EnvOnly: true, Usage: "OTLP collector, e.g. http://collector:4318 (grpc: :4317); no endpoint, no traces", Parse: settings.HTTPURL(&t.Endpoint, false)},
		{Env: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", EnvOnly: true, Usage: "the full URL for traces (HTTP: path included), instead of the above", Parse: settings.HTTPURL(&t.TracesEndpoint, false)},
		{Env: "OTEL_EXPORTER_OTLP_PROTOCOL", Default: "http/protobuf", EnvOnly: true, Usage: "http/protobuf, http/json or grpc", Parse: otlpProtocol(&t.Protocol)},
		{Env: "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", EnvOnly: true, Usage: "the protocol for traces, instead of the above", Parse: otlpProtocol(&t.TracesProtocol)},
		{Env: "OTEL_SERVICE_NAME", EnvOnly: true, Usage: "service.name of the spans (default: service.name of OTEL_RESOURCE_ATTRIBUTES, else summarizer)", Parse: settings.String(&t.ServiceName)},
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

// tracerProviderKey marks a context that carries the TracerProvider `run`
// uses instead of the one the settings describe (tests: an in-memory
// recorder).
type tracerProviderKey struct{}

// withTracerProvider returns ctx carrying tp for `run`.
func withTracerProvider(ctx context.Context, tp trace.TracerProvider) context.Context {
	return context.WithValue(ctx, tracerProviderKey{}, tp)
}

// newTracerProvider builds the TracerProvider the settings describe: a
// no-op one (no cost at all) when tracing is disabled, the exporter is
// "none", or no endpoint is set and no exporter asked for; otherwise an SDK
// provider that batches spans to an OTLP exporter. The returned function
// flushes the spans still buffered, waiting at most traceFlushTimeout, and
// stops the provider.
func newTracerProvider(ctx context.Context, t *traceSettings, log *zap.Logger) (trace.TracerProvider, func(), error) {
	if tp, ok := ctx.Value(tracerProviderKey{}).(trace.TracerProvider); ok {
		return tp, func() {}, nil
	}
	endpoint, perSignal := t.TracesEndpoint, true
	if endpoint == "" {
		endpoint, perSignal = t.Endpoint, false
	}
	switch {
	case t.Disabled:
		log.Debug("traces off: OTEL_SDK_DISABLED=true")
		return noop.NewTracerProvider(), func() {}, nil
	case t.Exporter == "none":
		log.Debug("traces off: OTEL_TRACES_EXPORTER=none")
		return noop.NewTracerProvider(), func() {}, nil
	case t.Exporter == "" && endpoint == "":
		log.Debug("traces off: no OTEL_EXPORTER_OTLP_ENDPOINT")
		return noop.NewTracerProvider(), func() {}, nil
	}
	protocol := cmp.Or(t.TracesProtocol, t.Protocol, "http/protobuf")
	exp, target, err := newOTLPExporter(ctx, protocol, endpoint, perSignal)
	if err != nil {
		return nil, nil, settings.Bad("summarizer run", fmt.Errorf("traces: %w", err))
	}
	res, err := traceResource(ctx, t)
	if err != nil {
		return nil, nil, settings.Bad("summarizer run", fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(&loggedExporter{SpanExporter: exp, log: log}),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(traceSampler(t.Sampler, t.SamplerArg)),
	)
	log.Info("traces on", zap.String("endpoint", target), zap.String("protocol", protocol), zap.String("sampler", t.Sampler))
	stop := func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), traceFlushTimeout)
		defer cancel()
		if err := tp.Shutdown(fctx); err != nil {
			log.Warn("traces: flush at exit failed; the last spans are lost", zap.Error(err))
		}
	}
	return tp, stop, nil
}

// newOTLPExporter makes the OTLP exporter of protocol. endpoint, if not
// empty, is where it sends spans: for HTTP a per-signal endpoint is used
// as it is and a base endpoint gets /v1/traces appended; gRPC uses the
// host and port, in plain text for http://. Without an endpoint the
// exporter uses its own default (localhost:4318, grpc: localhost:4317).
// target is where spans go, for the log, without credentials.
func newOTLPExporter(ctx context.Context, protocol, endpoint string, perSignal bool) (exp sdktrace.SpanExporter, target string, err error) {
	switch protocol {
	case "grpc":
		var opts []otlptracegrpc.Option
		target = "localhost:4317"
		if endpoint != "" {
			opts = append(opts, otlptracegrpc.WithEndpointURL(endpoint))
			target = redactURL(endpoint)
		}
		exp, err = otlptracegrpc.New(ctx, opts...)
	default:
		var opts []otlptracehttp.Option
		target = "http://localhost:4318/v1/traces"
		if endpoint != "" {
			u, _ := url.Parse(endpoint) // checked by httpURL
			if !perSignal {
				u.Path = path.Join("/", u.Path, "v1/traces")
			}
			opts = append(opts, otlptracehttp.WithEndpointURL(u.String()))
			target = redactURL(u.String())
		}
		if protocol == "http/json" {
			opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
		}
		exp, err = otlptracehttp.New(ctx, opts...)
	}
	return exp, target, err
}

// redactURL drops the user information of a URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	u.User = nil
	return u.String()
}

// traceResource describes this process: service.name (OTEL_SERVICE_NAME,
// else service.name of OTEL_RESOURCE_ATTRIBUTES, else "summarizer"), the
// other OTEL_RESOURCE_ATTRIBUTES, the host and the SDK.
func traceResource(ctx context.Context, t *traceSettings) (*resource.Resource, error) {
	name := t.ServiceName
	for _, kv := range t.Resource {
		if kv.Key == semconv.ServiceNameKey && name == "" {
			name = kv.Value.AsString()
		}
	}
	attrs := append(append([]attribute.KeyValue{}, t.Resource...), semconv.ServiceName(cmp.Or(name, serviceNameDefault)))
	return resource.New(ctx, resource.WithHost(), resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
}

// traceSampler is the sampler OTEL_TRACES_SAMPLER names (validated).
func traceSampler(name string, ratio float64) sdktrace.Sampler {
	switch name {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))
	}
	return sdktrace.ParentBased(sdktrace.AlwaysSample())
}

// loggedExporter reports failed exports in the worker's log, at most one
// line per traceLogEvery, rather than through the SDK's global error
// handler: spans that cannot be sent are dropped, the work goes on.
type loggedExporter struct {
	sdktrace.SpanExporter
	log *zap.Logger

	mu       sync.Mutex
	last     time.Time
	failures int
	dropped  int
}

// traceLogEvery is the shortest interval between two export failure lines.
const traceLogEvery = 30 * time.Second

// ExportSpans exports spans; a failure is logged and swallowed.
func (e *loggedExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err == nil {
		return nil
	}
	e.mu.Lock()
	e.failures++
	e.dropped += len(spans)
	failures, dropped := e.failures, e.dropped
	show := time.Since(e.last) >= traceLogEvery
	if show {
		e.last, e.failures, e.dropped = time.Now(), 0, 0
	}
	e.mu.Unlock()
	if show {
		e.log.Warn("traces: export failed, spans dropped", zap.Error(err),
			zap.Int("failures", failures), zap.Int("spans_dropped", dropped))
	}
	return nil
}

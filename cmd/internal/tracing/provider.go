package tracing

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"path"
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
)

// flushTimeout bounds the flush of the spans still buffered at exit.
const flushTimeout = 5 * time.Second

// New builds the TracerProvider the settings describe: a no-op one (no cost
// at all) when tracing is disabled, the exporter is "none", or no endpoint is
// set and no exporter asked for; otherwise an SDK provider that batches spans
// to an OTLP exporter. The returned function flushes the spans still
// buffered, waiting at most flushTimeout, and stops the provider. An error
// is always a bad setting, named at the start of its text. A nil log is
// zap.NewNop().
func New(ctx context.Context, t *Settings, log *zap.Logger) (trace.TracerProvider, func(), error) {
	if log == nil {
		log = zap.NewNop()
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
		return nil, nil, fmt.Errorf("traces: %w", err)
	}
	res, err := traceResource(ctx, t)
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(&loggedExporter{SpanExporter: exp, log: log}),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(traceSampler(t.Sampler, t.SamplerArg)),
	)
	log.Info("traces on", zap.String("endpoint", target), zap.String("protocol", protocol), zap.String("sampler", t.Sampler))
	stop := func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
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
			u, _ := url.Parse(endpoint) // checked by settings.HTTPURL
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
// else service.name of OTEL_RESOURCE_ATTRIBUTES, else DefaultService), the
// other OTEL_RESOURCE_ATTRIBUTES, the host and the SDK.
func traceResource(ctx context.Context, t *Settings) (*resource.Resource, error) {
	name := t.ServiceName
	for _, kv := range t.Resource {
		if kv.Key == semconv.ServiceNameKey && name == "" {
			name = kv.Value.AsString()
		}
	}
	attrs := append(append([]attribute.KeyValue{}, t.Resource...), semconv.ServiceName(cmp.Or(name, t.DefaultService)))
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

// loggedExporter reports failed exports in the command's log, at most one
// line per logEvery, rather than through the SDK's global error
// handler: spans that cannot be sent are dropped, the work goes on.
type loggedExporter struct {
	sdktrace.SpanExporter
	log *zap.Logger

	mu       sync.Mutex
	last     time.Time
	failures int
	dropped  int
}

// logEvery is the shortest interval between two export failure lines.
const logEvery = 30 * time.Second

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
	show := time.Since(e.last) >= logEvery
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

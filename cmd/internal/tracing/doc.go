// Package tracing owns a command's OpenTelemetry setup: it reads the SDK's
// standard OTEL_* variables (environment only, as every OpenTelemetry SDK
// reads them) and builds the TracerProvider they describe, an OTLP exporter
// over HTTP or gRPC behind a batch span processor, with its resource and
// sampler.
//
// Traces cost nothing unless asked for: with tracing disabled, the exporter
// "none", or no endpoint and no exporter named, the provider is a no-op.
// Spans that cannot be exported are dropped and logged at most once per
// 30 s; tracing never fails or slows the work. At exit the buffered spans are
// flushed, for at most 5 s.
//
// It never creates spans itself and never sets the global provider: the
// caller hands the provider to what it traces.
package tracing

// Package span is the worker's tracing: the span attributes it sets, and
// starting, failing and ending spans as children of the span in the
// context (the queue's delivery span), with that span's provider. It costs
// nothing when the context carries no span. No attribute holds a prompt,
// transcript text, an API key or a presigned URL.
package span

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/queue/outcome"
)

// tracerName is the instrumentation scope of the worker's spans.
const tracerName = "github.com/summarizer/summarizer/worker"

// Span attributes of the worker (aws.s3.bucket and aws.s3.key are the
// semantic conventions').
const (
	Bucket    = attribute.Key("aws.s3.bucket")
	Key       = attribute.Key("aws.s3.key")
	ETag      = attribute.Key("summarizer.object.etag")
	Size      = attribute.Key("summarizer.object.size")
	HeadOnly  = attribute.Key("summarizer.fetch.head_only")
	Status    = attribute.Key("summarizer.record.status")
	Why       = attribute.Key("summarizer.why")
	Output    = attribute.Key("summarizer.output")
	Chunks    = attribute.Key("summarizer.chunks")
	Model     = attribute.Key("summarizer.model")
	Jobs      = attribute.Key("summarizer.jobs")
	Calls     = attribute.Key("summarizer.calls")
	Level     = attribute.Key("summarizer.reduce.level")
	JobID     = attribute.Key("runpod.job.id")
	JobIDs    = attribute.Key("runpod.job.ids")
	JobStatus = attribute.Key("runpod.job.status")
	JobSource = attribute.Key("runpod.job.source")
	Delay     = attribute.Key("runpod.job.delay_time_ms")
	Execution = attribute.Key("runpod.job.execution_time_ms")
	Polls     = attribute.Key("runpod.job.polls")
	Resubmits = attribute.Key("runpod.job.resubmits")
	PromptKey = attribute.Key("summarizer.prompt_key")
	HoldCause = attribute.Key("summarizer.hold.cause")
	Reason    = attribute.Key("summarizer.reason")
	Siblings  = attribute.Key("summarizer.siblings")
	Looks     = attribute.Key("summarizer.siblings.looks")
	Waited    = attribute.Key("summarizer.siblings.waited_ms")
	Richer    = attribute.Key("summarizer.siblings.richer")
)

// Start starts a child of the span in ctx, with that span's provider.
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer(tracerName).Start(ctx, name, trace.WithAttributes(attrs...))
}

// Fail marks s failed with err and its outcome class: the reason of a
// permanent failure, the cause of a hold.
func Fail(s trace.Span, err error) {
	if err == nil || !s.IsRecording() {
		return
	}
	switch c := outcome.Of(err); c.Kind {
	case outcome.DeadLettered:
		s.SetAttributes(Reason.String(string(c.Reason)))
	case outcome.Held:
		s.SetAttributes(HoldCause.String(string(c.Cause)))
	}
	s.RecordError(err)
	s.SetStatus(codes.Error, err.Error())
}

// End ends s, failed with err if err is not nil.
func End(s trace.Span, err error) {
	Fail(s, err)
	s.End()
}

// Log returns log with the trace and span ids of ctx's span, when that
// span is sampled: the log line and the span join on trace_id.
func Log(ctx context.Context, log *zap.Logger) *zap.Logger {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsSampled() {
		return log
	}
	return log.WithLazy(zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String()))
}

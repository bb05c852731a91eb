package worker

import (
	"context"

	"github.com/summarizer/summarizer/queue/outcome"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// tracerName is the instrumentation scope of the worker's spans.
const tracerName = "github.com/summarizer/summarizer/worker"

// Span attributes of the worker (aws.s3.bucket and aws.s3.key are the
// semantic conventions').
const (
	attrBucket    = attribute.Key("aws.s3.bucket")
	attrKey       = attribute.Key("aws.s3.key")
	attrETag      = attribute.Key("summarizer.object.etag")
	attrSize      = attribute.Key("summarizer.object.size")
	attrHeadOnly  = attribute.Key("summarizer.fetch.head_only")
	attrStatus    = attribute.Key("summarizer.record.status")
	attrWhy       = attribute.Key("summarizer.why")
	attrOutput    = attribute.Key("summarizer.output")
	attrChunks    = attribute.Key("summarizer.chunks")
	attrModel     = attribute.Key("summarizer.model")
	attrJobs      = attribute.Key("summarizer.jobs")
	attrCalls     = attribute.Key("summarizer.calls")
	attrLevel     = attribute.Key("summarizer.reduce.level")
	attrJobID     = attribute.Key("runpod.job.id")
	attrJobIDs    = attribute.Key("runpod.job.ids")
	attrJobStatus = attribute.Key("runpod.job.status")
	attrJobSource = attribute.Key("runpod.job.source")
	attrDelay     = attribute.Key("runpod.job.delay_time_ms")
	attrExecution = attribute.Key("runpod.job.execution_time_ms")
	attrPolls     = attribute.Key("runpod.job.polls")
	attrResubmits = attribute.Key("runpod.job.resubmits")
	attrPromptKey = attribute.Key("summarizer.prompt_key")
	attrHoldCause = attribute.Key("summarizer.hold.cause")
	attrReason    = attribute.Key("summarizer.reason")
)

// startSpan starts a child of the span in ctx, with that span's provider:
// the worker traces what its caller traces (the queue's delivery span), and
// nothing, at no cost, when ctx carries no span.
func startSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return trace.SpanFromContext(ctx).TracerProvider().Tracer(tracerName).Start(ctx, name, trace.WithAttributes(attrs...))
}

// failSpan marks span failed with err and its class: the reason of a
// permanent failure, the cause of a hold.
func failSpan(span trace.Span, err error) {
	if err == nil || !span.IsRecording() {
		return
	}
	switch c := outcome.Of(err); c.Kind {
	case outcome.DeadLettered:
		span.SetAttributes(attrReason.String(string(c.Reason)))
	case outcome.Held:
		span.SetAttributes(attrHoldCause.String(string(c.Cause)))
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// endSpan ends span, failed with err if err is not nil.
func endSpan(span trace.Span, err error) {
	failSpan(span, err)
	span.End()
}

// logFor returns log with the trace and span ids of ctx's span, when that
// span is sampled: the log line and the span join on trace_id.
func logFor(ctx context.Context, log *zap.Logger) *zap.Logger {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsSampled() {
		return log
	}
	return log.WithLazy(zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String()))
}

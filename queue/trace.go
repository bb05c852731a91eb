package queue

import (
	"context"
	"errors"
	"path"
	"time"

	"github.com/summarizer/summarizer/queue/outcome"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// tracerName is the instrumentation scope of the consumer's spans.
const tracerName = "github.com/summarizer/summarizer/queue"

// Attributes of a delivery's span beyond the messaging conventions.
const (
	attrReceiveCount = attribute.Key("summarizer.receive_count")
	attrOutcome      = attribute.Key("summarizer.outcome")
	attrReason       = attribute.Key("summarizer.reason")
	attrWhy          = attribute.Key("summarizer.why")
	attrHolds        = attribute.Key("summarizer.holds")
	attrHoldCause    = attribute.Key("summarizer.hold.cause")
	attrRetryIn      = attribute.Key("summarizer.hold.retry_in_ms")
)

// startSpan starts the span of one delivery of m, the root of its trace:
// it begins at the receive and ends once the outcome is stored. The
// handler's context carries it, so the handler's own spans are its
// children.
func (c *Consumer) startSpan(ctx context.Context, m *Message) context.Context {
	ctx, span := c.tracer.Start(ctx, "process "+c.queueName,
		trace.WithNewRoot(),
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithTimestamp(m.receivedAt),
		trace.WithAttributes(
			semconv.MessagingSystemAWSSQS,
			semconv.MessagingOperationTypeProcess,
			semconv.MessagingOperationName("process"),
			semconv.MessagingDestinationName(c.queueName),
			semconv.MessagingMessageID(m.ID),
			attrReceiveCount.Int(m.ReceiveCount),
		))
	m.span = span
	return ctx
}

// queueName is the last part of a queue URL: https://sqs…/123/name → name.
func queueName(url string) string { return path.Base(url) }

// traceOutcome records how the delivery ended on its span: the outcome, and
// the status: Ok for the outcomes that finish the message (done, skipped,
// superseded), Error with why for the others.
func traceOutcome(span trace.Span, o outcome.Kind, why error) {
	span.SetAttributes(attrOutcome.String(o.String()))
	switch o {
	case outcome.Done, outcome.Skipped, outcome.Superseded:
		if why != nil {
			span.SetAttributes(attrWhy.String(why.Error()))
		}
		span.SetStatus(codes.Ok, "")
		return
	}
	if why == nil {
		span.SetStatus(codes.Error, o.String())
		return
	}
	var opts []trace.EventOption
	var pe *panicError
	if errors.As(why, &pe) {
		opts = append(opts, trace.WithAttributes(semconv.ExceptionStacktrace(string(pe.stack))))
	}
	span.RecordError(why, opts...)
	span.SetStatus(codes.Error, why.Error())
}

// traceHold adds a hold to the delivery's span, as an event.
func traceHold(span trace.Span, cause outcome.Cause, err error, holds int, retryIn time.Duration) {
	span.AddEvent("held", trace.WithAttributes(
		attrHoldCause.String(string(cause)),
		attrHolds.Int(holds),
		attrRetryIn.Int64(retryIn.Milliseconds()),
		semconv.ExceptionMessage(err.Error()),
	))
}

// traceFields are the log fields that join a log line to its span: the
// trace and span ids of a sampled span, none otherwise.
func traceFields(span trace.Span) []zap.Field {
	sc := span.SpanContext()
	if !sc.IsSampled() {
		return nil
	}
	return []zap.Field{zap.String("trace_id", sc.TraceID().String()), zap.String("span_id", sc.SpanID().String())}
}

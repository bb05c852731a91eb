package queue_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/queue/outcome"
)

// newRecorder returns a tracer provider whose ended spans the recorder keeps.
func newRecorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func attrOf(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func str(s sdktrace.ReadOnlySpan, key string) string {
	v, _ := attrOf(s, key)
	return v.Emit()
}

func hasEvent(s sdktrace.ReadOnlySpan, name string) bool {
	for _, e := range s.Events() {
		if e.Name == name {
			return true
		}
	}
	return false
}

// Each delivery is one root span, named after the queue, with the
// messaging attributes, its outcome and a status that says whether the
// message is finished; the handler's spans are its children; holds are
// events; the per-message log lines carry the span's trace id.
func TestTraceOneSpanPerDelivery(t *testing.T) {
	f := newFixture(t)
	tp, rec := newRecorder(t)
	core, logs := observer.New(zapcore.DebugLevel)
	var calls sync.Map // body -> *atomic.Int32
	var finished atomic.Int32
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		v, _ := calls.LoadOrStore(m.Body, new(atomic.Int32))
		n := v.(*atomic.Int32).Add(1)
		_, child := trace.SpanFromContext(ctx).TracerProvider().Tracer("test").Start(ctx, "work "+m.Body)
		defer child.End()
		switch m.Body {
		case "done":
			finished.Add(1)
			return nil
		case "skip":
			finished.Add(1)
			return outcome.Skip("test event")
		case "permanent":
			finished.Add(1)
			return outcome.Permanent(outcome.ReasonBadMessage, errors.New("cannot parse"))
		case "superseded":
			finished.Add(1)
			return outcome.Supersede("object overwritten")
		case "flaky": // fails once, then works
			if n == 1 {
				return errors.New("throttled")
			}
			finished.Add(1)
			return nil
		case "held": // held once, then works, in the same delivery
			if n == 1 {
				return outcome.Hold(outcome.CauseOutage, errors.New("503 from backend"))
			}
			finished.Add(1)
			return nil
		case "panic":
			if m.ReceiveCount >= 2 {
				finished.Add(1)
			}
			panic("boom")
		}
		t.Errorf("unexpected body %q", m.Body)
		return nil
	})
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{
		Concurrency: 4, VisibilityTimeout: 5 * time.Second, WaitTime: time.Second, MaxReceives: 2,
		Backoff: func(int) time.Duration { return 0 }, DeleteFlush: 100 * time.Millisecond,
		Logger: zap.New(core), TracerProvider: tp,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, "done", "skip", "permanent", "superseded", "flaky", "held", "panic")
	if err := runUntil(t, c, func() bool { return finished.Load() == 7 }); err != nil {
		t.Fatal(err)
	}

	spans := rec.Ended()
	roots := map[trace.TraceID]sdktrace.ReadOnlySpan{}
	var rootsOf []string        // body, outcome per delivery
	byID := map[string]string{} // message id -> body
	for _, s := range spans {
		if s.Parent().IsValid() {
			continue
		}
		roots[s.SpanContext().TraceID()] = s
	}
	for _, s := range spans {
		if !s.Parent().IsValid() {
			continue
		}
		root, ok := roots[s.SpanContext().TraceID()]
		if !ok || s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("span %q is not a child of its delivery's span", s.Name())
			continue
		}
		body := s.Name()[len("work "):]
		byID[str(root, "messaging.message.id")] = body
	}
	for _, r := range roots {
		if r.Name() != "process work" || r.SpanKind() != trace.SpanKindConsumer {
			t.Errorf("root span %q kind %v, want \"process work\", consumer", r.Name(), r.SpanKind())
		}
		for key, want := range map[string]string{"messaging.system": "aws_sqs", "messaging.destination.name": "work", "messaging.operation.type": "process"} {
			if got := str(r, key); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		body := byID[str(r, "messaging.message.id")]
		got := str(r, "summarizer.outcome")
		rootsOf = append(rootsOf, body+":"+got)
		wantOK := got == "done" || got == "skipped" || got == "superseded"
		if got := r.Status().Code; (got == codes.Ok) != wantOK || (got == codes.Error) == wantOK {
			t.Errorf("%s (%s): status %v", body, str(r, "summarizer.outcome"), r.Status())
		}
		switch body {
		case "permanent":
			if got := str(r, "summarizer.reason"); got != "bad_message" {
				t.Errorf("permanent: reason %q", got)
			}
		case "held":
			if !hasEvent(r, "held") || str(r, "summarizer.holds") != "1" {
				t.Errorf("held: events %v, holds %q", r.Events(), str(r, "summarizer.holds"))
			}
		case "panic":
			if str(r, "summarizer.receive_count") == "2" && str(r, "summarizer.reason") != string(outcome.ReasonRetriesExhausted) {
				t.Errorf("panic, second receive: reason %q", str(r, "summarizer.reason"))
			}
			if !hasEvent(r, "exception") {
				t.Errorf("panic: no exception event: %v", r.Events())
			}
		case "skip":
			if got := str(r, "summarizer.why"); got != "test event" {
				t.Errorf("skip: why %q", got)
			}
		}
	}
	want := map[string]bool{"done:done": true, "skip:skipped": true, "permanent:dead_lettered": true, "superseded:superseded": true,
		"flaky:retried": true, "flaky:done": true, "held:done": true, "panic:retried": true, "panic:dead_lettered": true}
	if len(rootsOf) != len(want) {
		t.Errorf("%d deliveries traced, want %d: %v", len(rootsOf), len(want), rootsOf)
	}
	for _, d := range rootsOf {
		if !want[d] {
			t.Errorf("unexpected delivery %s (all: %v)", d, rootsOf)
		}
	}

	// Log lines of a message carry its delivery's trace id.
	for _, e := range logs.FilterMessage("skipped").All() {
		ctx := e.ContextMap()
		var root sdktrace.ReadOnlySpan
		for _, r := range roots {
			if str(r, "messaging.message.id") == ctx["message_id"] {
				root = r
			}
		}
		if root == nil || ctx["trace_id"] != root.SpanContext().TraceID().String() || ctx["span_id"] != root.SpanContext().SpanID().String() {
			t.Errorf("log line %q: trace_id %v span_id %v, want the delivery's span", e.Message, ctx["trace_id"], ctx["span_id"])
		}
	}
	if logs.FilterMessage("skipped").Len() != 1 {
		t.Errorf("%d skipped log lines, want 1", logs.FilterMessage("skipped").Len())
	}
}

package queue_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.opentelemetry.io/otel/codes"
	"go.uber.org/goleak"
	"go.uber.org/zap/zaptest"

	"github.com/summarizer/summarizer/deploy/localstack"
	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/queue/outcome"
)

var moto *localstack.Moto

func TestMain(m *testing.M) {
	code := localstack.RunTests(m, &moto)
	if code == 0 {
		if err := goleak.Find(goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

type fixture struct {
	sqs      *sqs.Client
	queueURL string
	dlqURL   string
}

// newFixture resets moto and creates a queue whose RedrivePolicy names a DLQ
// (maxReceiveCount high, so that the consumer's own MaxReceives decides).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	m := localstack.Need(t, moto)
	ctx := t.Context()
	client := sqs.NewFromConfig(m.AWSConfig())
	dlq, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("work"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"50"}`, attrs.Attributes["QueueArn"]),
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{sqs: client, queueURL: *q.QueueUrl, dlqURL: *dlq.QueueUrl}
}

func (f *fixture) send(t *testing.T, bodies ...string) {
	t.Helper()
	for i := 0; i < len(bodies); i += 10 {
		var entries []types.SendMessageBatchRequestEntry
		for j, b := range bodies[i:min(i+10, len(bodies))] {
			entries = append(entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(b),
				MessageAttributes: map[string]types.MessageAttributeValue{"origin": {DataType: aws.String("String"), StringValue: aws.String("test")}}})
		}
		if _, err := f.sqs.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: &f.queueURL, Entries: entries}); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) counts(t *testing.T, url string) (visible, inflight int) {
	t.Helper()
	out, err := f.sqs.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	n, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return v, n
}

// drain receives everything visible on url.
func (f *fixture) drain(t *testing.T, url string) []types.Message {
	t.Helper()
	var all []types.Message
	for {
		out, err := f.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return all
		}
		all = append(all, out.Messages...)
	}
}

// runUntil runs c until cond holds (polled), then stops it and returns Run's error.
func runUntil(t *testing.T, c *queue.Consumer, cond func() bool) error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			cancel()
			<-errc
			t.Fatal("condition not reached within 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	return <-errc
}

func TestOutcomes(t *testing.T) {
	f := newFixture(t)
	var calls sync.Map // body -> *atomic.Int32
	count := func(b string) int32 {
		v, _ := calls.LoadOrStore(b, new(atomic.Int32))
		return v.(*atomic.Int32).Load()
	}
	var finished atomic.Int32
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		v, _ := calls.LoadOrStore(m.Body, new(atomic.Int32))
		n := v.(*atomic.Int32).Add(1)
		switch m.Body {
		case "done-1", "done-2", "done-3":
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
		Backoff: func(int) time.Duration { return 0 }, DeleteFlush: 100 * time.Millisecond, Logger: zaptest.NewLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, "done-1", "skip", "permanent", "flaky", "panic", "done-2", "done-3", "superseded")
	if err := runUntil(t, c, func() bool { return finished.Load() == 8 }); err != nil {
		t.Fatal(err)
	}
	if v, n := f.counts(t, f.queueURL); v+n != 0 {
		t.Errorf("source queue not empty: %d visible, %d in flight", v, n)
	}
	if got := count("flaky"); got != 2 {
		t.Errorf("flaky handled %d times, want 2", got)
	}
	if got := count("panic"); got != 2 {
		t.Errorf("panic handled %d times, want 2 (MaxReceives)", got)
	}
	dead := f.drain(t, f.dlqURL)
	reasons := map[string]string{}
	for _, m := range dead {
		a := m.MessageAttributes
		reasons[*m.Body] = *a[queue.AttrReason].StringValue
		for _, name := range []string{queue.AttrError, queue.AttrSourceQueue, queue.AttrReceiveCount, queue.AttrFailedAt, "origin"} {
			if a[name].StringValue == nil {
				t.Errorf("%s: attribute %s missing", *m.Body, name)
			}
		}
		if _, err := time.Parse(time.RFC3339, *a[queue.AttrFailedAt].StringValue); err != nil {
			t.Errorf("failed_at: %v", err)
		}
		if got := *a[queue.AttrSourceQueue].StringValue; got != f.queueURL {
			t.Errorf("source_queue = %q", got)
		}
	}
	want := map[string]string{"permanent": "bad_message", "panic": string(outcome.ReasonRetriesExhausted)}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Errorf("DLQ reasons = %v, want %v", reasons, want)
	}
}

// A handler slower than three visibility timeouts keeps its message: the
// heartbeat extends the lease, so nobody receives it a second time.
func TestSlowHandlerIsNotRedelivered(t *testing.T) {
	f := newFixture(t)
	var receives, done atomic.Int32
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		receives.Add(1)
		select {
		case <-time.After(7 * time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
		done.Add(1)
		return nil
	})
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 2, VisibilityTimeout: 2 * time.Second, WaitTime: time.Second,
		DeleteFlush: 100 * time.Millisecond, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	// A second consumer on the same queue: it must see nothing while the lease holds.
	c2, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 2, VisibilityTimeout: 2 * time.Second, WaitTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- c2.Run(ctx2) }()
	f.send(t, "slow")
	if err := runUntil(t, c, func() bool { return done.Load() == 1 }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	cancel2()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if got := receives.Load(); got != 1 {
		t.Errorf("slow message received %d times, want 1", got)
	}
	if v, n := f.counts(t, f.queueURL); v+n != 0 {
		t.Errorf("queue not empty: %d visible, %d in flight", v, n)
	}
}

// On shutdown, work that outlives ShutdownTimeout is cancelled and its
// message released at once: a new receive gets it without waiting for the
// visibility timeout.
func TestShutdownReleasesUnfinishedWork(t *testing.T) {
	f := newFixture(t)
	var started atomic.Int32
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		started.Add(1)
		<-ctx.Done()
		if !errors.Is(context.Cause(ctx), queue.ErrShutdown) {
			t.Errorf("cause = %v, want ErrShutdown", context.Cause(ctx))
		}
		return ctx.Err()
	})
	tp, rec := newRecorder(t)
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 4, VisibilityTimeout: 600 * time.Second, WaitTime: time.Second,
		ShutdownTimeout: 500 * time.Millisecond, Logger: zaptest.NewLogger(t), TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, "a", "b", "c")
	if err := runUntil(t, c, func() bool { return started.Load() == 3 }); err != nil {
		t.Fatal(err)
	}
	if c.Ready() == nil {
		t.Error("Ready after shutdown")
	}
	if v, _ := f.counts(t, f.queueURL); v != 3 {
		t.Errorf("%d messages visible after shutdown, want 3 released", v)
	}
	for _, s := range rec.Ended() {
		if o := str(s, "summarizer.outcome"); o != "released" || s.Status().Code != codes.Error {
			t.Errorf("span %q: outcome %q, status %v; want released, error", s.Name(), o, s.Status())
		}
	}
	if n := len(rec.Ended()); n != 3 {
		t.Errorf("%d spans, want one per delivery (3)", n)
	}
}

// The pool never runs more handlers than Concurrency, and never holds a
// message that no handler works on: with every slot blocked, SQS shows
// exactly Concurrency messages in flight.
func TestConcurrencyBound(t *testing.T) {
	f := newFixture(t)
	const n, conc = 25, 3
	var cur, peak, done atomic.Int32
	gate := make(chan struct{})
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		c := cur.Add(1)
		for {
			p := peak.Load()
			if c <= p || peak.CompareAndSwap(p, c) {
				break
			}
		}
		<-gate
		cur.Add(-1)
		done.Add(1)
		return nil
	})
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: conc, WaitTime: time.Second, DeleteFlush: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = strconv.Itoa(i)
	}
	f.send(t, bodies...)
	checked := false
	if err := runUntil(t, c, func() bool {
		if !checked && cur.Load() == conc {
			time.Sleep(1500 * time.Millisecond) // a receive that should not happen has time to happen
			if visible, inflight := f.counts(t, f.queueURL); inflight != conc || visible != n-conc {
				t.Errorf("all slots busy: %d in flight, %d visible; want %d and %d", inflight, visible, conc, n-conc)
			}
			checked = true
			close(gate)
		}
		return done.Load() == n
	}); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p != conc {
		t.Errorf("peak concurrency %d, want %d", p, conc)
	}
	if v, n := f.counts(t, f.queueURL); v+n != 0 {
		t.Errorf("queue not empty: %d visible, %d in flight", v, n)
	}
}

// A held message keeps its lease and its receive count: the handler runs
// again on the same delivery, a second consumer never sees the message,
// and nothing is dead-lettered, although MaxReceives is 1 and the hold
// outlasts several visibility timeouts.
func TestHoldKeepsTheMessage(t *testing.T) {
	f := newFixture(t)
	var calls atomic.Int32
	var c *queue.Consumer
	var readyDuringFault atomic.Value
	var counts sync.Map
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		n := calls.Add(1)
		counts.Store(n, m.ReceiveCount)
		switch n {
		case 1:
			return outcome.Hold(outcome.CauseConfig, errors.New("401 from backend"))
		case 2:
			readyDuringFault.Store(fmt.Sprint(c.Ready()))
			return outcome.Hold(outcome.CauseOutage, errors.New("503 from backend"))
		case 3, 4:
			return outcome.Hold(outcome.CauseThrottled, errors.New("429 from backend"))
		}
		return nil
	})
	// 4s: the ~15s of holds outlast several timeouts, and an extension
	// has almost 2s to succeed. moto serves the second consumer's polls by
	// spinning while any message is in flight, which slows every other
	// request of a loaded machine: with 2s the extension had under 1s and
	// the lease was sometimes lost.
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 1, VisibilityTimeout: 4 * time.Second, WaitTime: time.Second, MaxReceives: 1,
		Backoff: func(int) time.Duration { return 0 }, DeleteFlush: 100 * time.Millisecond, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	var stolen atomic.Int32
	c2, err := queue.New(f.sqs, f.queueURL, queue.HandlerFunc(func(context.Context, *queue.Message) error {
		stolen.Add(1)
		return nil
	}), queue.Config{Concurrency: 1, VisibilityTimeout: 2 * time.Second, WaitTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, "x")
	ctx2, cancel2 := context.WithCancel(t.Context())
	errc2 := make(chan error, 1)
	started := false
	if err := runUntil(t, c, func() bool {
		if calls.Load() >= 1 && !started {
			started = true
			go func() { errc2 <- c2.Run(ctx2) }()
		}
		v, n := f.counts(t, f.queueURL)
		return calls.Load() == 5 && v+n == 0
	}); err != nil {
		t.Fatal(err)
	}
	cancel2()
	if started {
		if err := <-errc2; err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := readyDuringFault.Load().(string); got == "<nil>" {
		t.Error("Ready() was nil right after a configuration fault")
	}
	if err := c.Ready(); err != nil && !strings.Contains(err.Error(), "not running") {
		t.Errorf("Ready() after the fault cleared: %v", err)
	}
	counts.Range(func(k, v any) bool {
		if v.(int) != 1 {
			t.Errorf("call %v saw receive count %v, want 1: a hold must not spend a receive", k, v)
		}
		return true
	})
	if n := stolen.Load(); n != 0 {
		t.Errorf("a second consumer received the held message %d times", n)
	}
	if dead := f.drain(t, f.dlqURL); len(dead) != 0 {
		t.Errorf("holds dead-lettered %d messages (MaxReceives 1)", len(dead))
	}
}

// slowExtensions delays every visibility extension past the lease: the
// stand-in for a frozen process or an SQS brownout.
type slowExtensions struct {
	*sqs.Client
	delay time.Duration
}

func (s slowExtensions) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Client.ChangeMessageVisibilityBatch(ctx, in, opts...)
}

// A lease that cannot be extended in time is lost: the handler's context
// is cancelled with ErrLeaseLost, LeaseErr says so, and the consumer
// neither deletes nor dead-letters the message, whatever the handler
// returned; the message is delivered again (here to the same consumer).
func TestLeaseLostStopsTheWork(t *testing.T) {
	f := newFixture(t)
	var cause atomic.Value
	var leaseErr atomic.Value
	var first atomic.Bool
	var redelivered atomic.Int32
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		if first.CompareAndSwap(false, true) {
			<-ctx.Done()
			cause.Store(context.Cause(ctx))
			leaseErr.Store(fmt.Sprint(m.LeaseErr()))
			return outcome.Permanent(outcome.ReasonBadMessage, errors.New("must not reach the DLQ"))
		}
		redelivered.Store(int32(m.ReceiveCount))
		return nil
	})
	reg := prometheus.NewRegistry()
	m := queue.NewMetrics(reg)
	tp, rec := newRecorder(t)
	c, err := queue.New(slowExtensions{f.sqs, 10 * time.Second}, f.queueURL, h, queue.Config{Concurrency: 1, VisibilityTimeout: 2 * time.Second,
		WaitTime: time.Second, MaxReceives: 1, DeleteFlush: 100 * time.Millisecond, Logger: zaptest.NewLogger(t), Metrics: m, TracerProvider: tp})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, "x")
	if err := runUntil(t, c, func() bool {
		v, n := f.counts(t, f.queueURL)
		return cause.Load() != nil && redelivered.Load() > 0 && v+n == 0
	}); err != nil {
		t.Fatal(err)
	}
	if got := redelivered.Load(); got != 2 {
		t.Errorf("redelivery had receive count %d, want 2", got)
	}
	if got, _ := cause.Load().(error); !errors.Is(got, queue.ErrLeaseLost) {
		t.Errorf("cause %v, want ErrLeaseLost", got)
	}
	if got, _ := leaseErr.Load().(string); got != queue.ErrLeaseLost.Error() {
		t.Errorf("LeaseErr() = %s, want %v", got, queue.ErrLeaseLost)
	}
	if got := testutil.ToFloat64(m.LeasesLost); got != 1 {
		t.Errorf("leases lost = %v, want 1", got)
	}
	if dead := f.drain(t, f.dlqURL); len(dead) != 0 {
		t.Errorf("a consumer that lost the lease dead-lettered %d messages", len(dead))
	}
	var outcomes []string
	for _, s := range rec.Ended() {
		o := str(s, "summarizer.outcome")
		outcomes = append(outcomes, o)
		if o == "lease_lost" && (!hasEvent(s, "lease lost") || s.Status().Code != codes.Error) {
			t.Errorf("lease lost: events %v, status %v", s.Events(), s.Status())
		}
	}
	if fmt.Sprint(outcomes) != "[lease_lost done]" {
		t.Errorf("span outcomes %v, want [lease_lost done]", outcomes)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	bad := queue.Config{Concurrency: -1, VisibilityTimeout: 1500 * time.Millisecond, WaitTime: 30 * time.Second, MaxReceives: -2}
	err := bad.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"concurrency", "visibility", "wait time", "max receives"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if err := (queue.Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
}

// Work that would outlast the visibility ceiling is cancelled with
// ErrVisibilityCeiling and its message released, not left to lapse while
// the work goes on.
func TestVisibilityCeilingCancelsAndReleases(t *testing.T) {
	f := newFixture(t)
	var calls atomic.Int32
	var cause atomic.Value
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		if calls.Add(1) > 1 {
			return nil // the redelivery finishes at once
		}
		<-ctx.Done()
		cause.Store(context.Cause(ctx))
		return ctx.Err()
	})
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 1, VisibilityTimeout: 2 * time.Second, VisibilityCeiling: 3 * time.Second,
		WaitTime: time.Second, DeleteFlush: 100 * time.Millisecond, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	f.send(t, "long")
	if err := runUntil(t, c, func() bool {
		v, n := f.counts(t, f.queueURL)
		return calls.Load() == 2 && v+n == 0
	}); err != nil {
		t.Fatal(err)
	}
	if got, _ := cause.Load().(error); !errors.Is(got, queue.ErrVisibilityCeiling) {
		t.Errorf("cause %v, want ErrVisibilityCeiling", got)
	}
}

package queue_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/queue/outcome"
)

// admission is a queue.Admission whose limit a test sets.
type admission struct {
	mu      sync.Mutex
	limit   int
	changed chan struct{}
}

func newAdmission(limit int) *admission {
	return &admission{limit: limit, changed: make(chan struct{})}
}

func (a *admission) Limit() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit
}

func (a *admission) Changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

func (a *admission) set(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.limit = n
	close(a.changed)
	a.changed = make(chan struct{})
}

// The consumer holds no more messages than its Admission allows: the rest
// stay visible in the queue, no receive spent, until the limit grows; a
// finished message makes room at once.
func TestAdmissionLimitsMessagesHeld(t *testing.T) {
	f := newFixture(t)
	bodies := make([]string, 12)
	for i := range bodies {
		bodies[i] = "m"
	}
	f.send(t, bodies...)
	adm := newAdmission(3)
	release := make(chan struct{})
	var inHandler, most, handled atomic.Int32
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		n := inHandler.Add(1)
		for {
			if old := most.Load(); n <= old || most.CompareAndSwap(old, n) {
				break
			}
		}
		defer inHandler.Add(-1)
		defer handled.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 10, VisibilityTimeout: 30 * time.Second, WaitTime: time.Second,
		ShutdownTimeout: 5 * time.Second, Admission: adm})
	if err != nil {
		t.Fatal(err)
	}
	var visibleAtLimit3 int
	var opened sync.Once
	err = runUntil(t, c, func() bool {
		switch {
		case inHandler.Load() == 3 && visibleAtLimit3 == 0:
			time.Sleep(1500 * time.Millisecond) // a receive loop that ignored the limit would take more by now
			visibleAtLimit3, _ = f.counts(t, f.queueURL)
			adm.set(5)
		case visibleAtLimit3 > 0 && inHandler.Load() == 5:
			opened.Do(func() { close(release) })
		}
		return handled.Load() == 12
	})
	if err != nil {
		t.Fatal(err)
	}
	if visibleAtLimit3 != 9 {
		t.Errorf("%d messages visible while the limit was 3, want 9", visibleAtLimit3)
	}
	if m := most.Load(); m != 5 {
		t.Errorf("at most %d messages in handlers, want the limit of 5", m)
	}
}

// A handler that reports a hold in place is counted as held (once, however
// many of its parts report it) and makes the consumer not ready for an
// outage while it keeps working; its return decides its outcome.
func TestHoldInPlace(t *testing.T) {
	f := newFixture(t)
	f.send(t, "waits")
	m := queue.NewMetrics(nil)
	var ended atomic.Bool
	held := make(chan struct{})
	resume := make(chan struct{})
	h := queue.HandlerFunc(func(ctx context.Context, msg *queue.Message) error {
		// Two parts of the message (a transcript's map jobs) wait on the
		// same stalled endpoint: one held message.
		end := outcome.HoldInPlace(ctx, outcome.CauseOutage, errors.New("endpoint stalled"))
		end2 := outcome.HoldInPlace(ctx, outcome.CauseOutage, errors.New("endpoint stalled"))
		close(held)
		<-resume
		end()
		end2()
		ended.Store(true)
		return nil
	})
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 2, VisibilityTimeout: 30 * time.Second, WaitTime: time.Second, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	var gauge float64
	var ready error
	err = runUntil(t, c, func() bool {
		select {
		case <-held:
			if gauge == 0 {
				gauge = testutil.ToFloat64(m.Held.WithLabelValues("outage"))
				ready = c.Ready()
				close(resume)
			}
		default:
		}
		return ended.Load() && testutil.ToFloat64(m.Messages.WithLabelValues("done")) == 1
	})
	if err != nil {
		t.Fatal(err)
	}
	if gauge != 1 || ready == nil || !strings.Contains(ready.Error(), "endpoint stalled") {
		t.Errorf("while held in place: held{outage} %v, ready %v; want 1 and not ready", gauge, ready)
	}
	if g := testutil.ToFloat64(m.Held.WithLabelValues("outage")); g != 0 {
		t.Errorf("held{outage} %v after the hold ended, want 0", g)
	}
}

// A finished message's delete waits for a fuller batch only while
// Admission keeps the consumer below Concurrency and messages are at work:
// a consumer with nothing at work deletes within DeleteFlush, so SQS's
// in-flight count, which KEDA may scale on, does not linger.
func TestDeletesWaitOnlyWhileBusy(t *testing.T) {
	f := newFixture(t)
	release := make(chan struct{})
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		if m.Body == "block" {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return nil
	})
	c, err := queue.New(f.sqs, f.queueURL, h, queue.Config{Concurrency: 10, VisibilityTimeout: 30 * time.Second, WaitTime: time.Second,
		ShutdownTimeout: 5 * time.Second, Admission: newAdmission(4), AdmissionGather: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const (
		idle = iota
		stocking
		stocked
		released
	)
	phase := idle
	var stockedSince time.Time
	var inflightWhileStocked int
	f.send(t, "quick")
	err = runUntil(t, c, func() bool {
		visible, inflight := f.counts(t, f.queueURL)
		switch phase {
		case idle: // one quick message, nothing else held: deleted within DeleteFlush, not AdmissionGather
			if visible == 0 && inflight == 0 {
				f.send(t, "block", "block", "block", "quick")
				phase = stocking
			}
		case stocking:
			if visible == 0 && inflight == 4 {
				phase, stockedSince = stocked, time.Now()
			}
		case stocked: // three at work: the quick one's delete waits
			if time.Since(stockedSince) > 3*time.Second {
				inflightWhileStocked = inflight
				close(release)
				phase = released
			}
		case released:
			return visible == 0 && inflight == 0
		}
		return false
	})
	if err != nil {
		t.Fatal(err)
	}
	if inflightWhileStocked != 4 {
		t.Errorf("%d messages in flight while stocked, want 4: the finished one's delete should wait for a fuller batch while others work", inflightWhileStocked)
	}
}

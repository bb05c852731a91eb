package queue

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
)

// lease is the visibility a message in flight holds.
type lease struct {
	m *Message
	// expires is when the lease surely still holds: counted from the moment
	// the receive or the last successful extension was sent, less a margin.
	expires time.Time
	cancel  context.CancelCauseFunc // cancels the message's handler
	// lost: the consumer no longer owns the message (see ErrLeaseLost).
	lost bool
	// finishing: the outcome is stored and the delete pending; the lease is
	// still extended, but never released.
	finishing bool
	// extending: an extension call for it is under way.
	extending bool
}

// owned reports whether the consumer still owns the message at now: its
// lease is not lost and has not run out.
func (ls *lease) owned(now time.Time) bool { return !ls.lost && now.Before(ls.expires) }

// leases tracks every message in flight; one heartbeat extends those whose
// visibility is about to run out, in batches.
type leases struct {
	q         *leaseQueue
	mu        sync.Mutex
	byReceipt map[string]*lease
	calls     sync.WaitGroup // extension calls under way
}

// leaseMargin is how much earlier than SQS the consumer considers a lease
// over: the clock of the receive or extension is read before the request
// is sent, and this covers the rest (clock steps, SQS's own processing).
func leaseMargin(vt time.Duration) time.Duration { return min(vt/10, 2*time.Second) }

func (l *leases) add(m *Message, sentAt time.Time, cancel context.CancelCauseFunc) {
	vt := l.q.cfg.VisibilityTimeout
	ls := &lease{m: m, expires: sentAt.Add(vt - leaseMargin(vt)), cancel: cancel}
	m.lease = l
	l.mu.Lock()
	l.byReceipt[m.receipt] = ls
	l.mu.Unlock()
}

// end is the one place where a delivery stops being the consumer's,
// whatever ended it: its delete done, dropped or given up, a retry backoff
// or a release handed to SQS, the lease lost. From here on the lease is
// neither extended, nor released, nor checked. end reports whether the
// consumer still owned the message up to now (false too if it was no
// longer tracked); a lease that ran out before its outcome was stored,
// unseen by the heartbeat, is counted lost here, once.
func (l *leases) end(m *Message) (owned bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls, ok := l.byReceipt[m.receipt]
	if !ok {
		return false
	}
	delete(l.byReceipt, m.receipt)
	if ls.owned(time.Now()) {
		return true
	}
	if !ls.finishing {
		l.lose(ls, "the lease ran out before the outcome was stored")
	}
	return false
}

// finishing marks a message whose delete is pending. It reports false if
// the lease is already lost: then nothing may be stored for the message.
func (l *leases) finishing(m *Message) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls, ok := l.byReceipt[m.receipt]
	if !ok || !ls.owned(time.Now()) {
		return false
	}
	ls.finishing = true
	return true
}

func (l *leases) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byReceipt)
}

// check returns ErrLeaseLost if m's lease is lost or has run out, nil while
// it holds (or once m is no longer tracked).
func (l *leases) check(m *Message) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ls, ok := l.byReceipt[m.receipt]
	if !ok {
		return nil
	}
	if !ls.owned(time.Now()) {
		return ErrLeaseLost
	}
	return nil
}

// loseNow marks m's lease lost, if it is still tracked.
func (l *leases) loseNow(m *Message, why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls, ok := l.byReceipt[m.receipt]; ok {
		l.lose(ls, why)
	}
}

// lose marks a lease lost and cancels its handler. The caller holds l.mu.
func (l *leases) lose(ls *lease, why string) {
	if ls.lost {
		return
	}
	ls.lost = true
	l.q.m.LeasesLost.Inc()
	l.q.log.Warn("lease lost: the message's work stops and nothing is written for it",
		append([]zap.Field{zap.String("message_id", ls.m.ID), zap.String("why", why), zap.Duration("in_flight", time.Since(ls.m.receivedAt))},
			traceFields(ls.m.span)...)...)
	ls.m.span.AddEvent("lease lost", trace.WithAttributes(attrWhy.String(why)))
	if ls.cancel != nil {
		ls.cancel(ErrLeaseLost)
	}
}

// heartbeat wakes six times per visibility timeout. A lease that ran out is
// lost; one with less than half a timeout left is extended, so a lease is
// renewed about once per half timeout and an extension has at least a
// third of a timeout to succeed. Extension calls run concurrently, each
// with a deadline before the earliest lease it extends runs out: one slow
// SQS call cannot hold up the others, nor let its own leases lapse unseen.
func (l *leases) heartbeat(ctx context.Context) {
	vt := l.q.cfg.VisibilityTimeout
	tick := time.NewTicker(max(vt/6, 100*time.Millisecond))
	defer tick.Stop()
	defer l.calls.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		var due []*lease
		l.mu.Lock()
		for _, ls := range l.byReceipt {
			switch {
			case ls.lost || ls.extending:
				continue
			case !now.Before(ls.expires):
				l.lose(ls, "the lease ran out before it could be extended")
				continue
			case ls.expires.Sub(now) >= vt/2:
				continue
			case !ls.finishing && now.Add(vt).Sub(ls.m.receivedAt) > l.q.cfg.VisibilityCeiling:
				// SQS refuses visibility beyond 12 h from the receive. Rather
				// than let the lease lapse while the work goes on (and pay for
				// it twice), stop the work: the handler is cancelled and the
				// message released while the lease still holds.
				if ls.cancel != nil {
					l.q.log.Error("visibility ceiling reached: cancelling the message's work and releasing it",
						zap.String("message_id", ls.m.ID), zap.Duration("in_flight", now.Sub(ls.m.receivedAt)), zap.Duration("ceiling", l.q.cfg.VisibilityCeiling))
					ls.cancel(ErrVisibilityCeiling)
					ls.cancel = nil
				}
				continue
			}
			ls.extending = true
			due = append(due, ls)
		}
		l.mu.Unlock()
		for batch := range slices.Chunk(due, maxBatch) {
			l.calls.Go(func() { l.extend(ctx, batch, vt) })
		}
	}
}

// extend asks SQS for vt more visibility on each lease of batch.
func (l *leases) extend(ctx context.Context, batch []*lease, vt time.Duration) {
	sent := time.Now()
	deadline := batch[0].expires
	msgs := make([]*Message, len(batch))
	for i, ls := range batch {
		if ls.expires.Before(deadline) {
			deadline = ls.expires
		}
		msgs[i] = ls.m
	}
	cctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	out, err := l.q.changeVisibilityBatch(cctx, msgs, vt)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ls := range batch {
		ls.extending = false
	}
	if err != nil {
		if ctx.Err() == nil {
			l.q.log.Warn("lease extension failed; tried again at the next beat while the leases hold",
				zap.Error(err), zap.Int("messages", len(batch)), zap.Duration("time_left", time.Until(deadline)))
		}
		return
	}
	failed := batchFailures(out.Failed, len(batch))
	for i, ls := range batch {
		f, ok := failed[i]
		if !ok {
			continue
		}
		if receiptGone(aws.ToString(f.Code)) {
			if cur, tracked := l.byReceipt[ls.m.receipt]; !tracked || cur != ls || ls.finishing {
				continue // deleted meanwhile (its outcome was stored): nothing lost
			}
			l.lose(ls, "SQS says the receipt is gone: "+aws.ToString(f.Code))
			continue
		}
		l.q.log.Warn("lease extension entry failed", zap.String("message_id", ls.m.ID),
			zap.String("code", aws.ToString(f.Code)), zap.String("error", aws.ToString(f.Message)))
	}
	if time.Now().After(deadline) {
		// The answer came after the leases may have run out: someone else
		// may hold the messages now. The next beat declares them lost.
		return
	}
	for i, ls := range batch {
		if _, ok := failed[i]; !ok && !ls.lost {
			ls.expires = sent.Add(vt - leaseMargin(vt))
			l.q.m.VisibilityExtension.Inc()
		}
	}
}

// releaseAll makes every message still leased, lost or pending delete
// aside, visible at once, so that another replica takes it without waiting
// for the lease to run out.
func (l *leases) releaseAll(ctx context.Context) {
	l.mu.Lock()
	var unfinished []*Message
	for _, ls := range l.byReceipt {
		if !ls.finishing { // a pending delete ends its own lease
			unfinished = append(unfinished, ls.m)
		}
	}
	l.mu.Unlock()
	var msgs []*Message
	for _, m := range unfinished {
		if l.end(m) {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == 0 {
		return
	}
	failed := l.q.changeVisibility(ctx, msgs, 0)
	l.q.log.Info("released messages in flight", zap.Int("released", len(msgs)-len(failed)), zap.Int("failed", len(failed)))
}

// oldestAge is the age of the oldest message held, by its SentTimestamp.
func (l *leases) oldestAge() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var oldest time.Duration
	now := time.Now()
	for _, ls := range l.byReceipt {
		if ls.m.SentAt.IsZero() || ls.finishing {
			continue
		}
		oldest = max(oldest, now.Sub(ls.m.SentAt))
	}
	return oldest
}

package queue

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// lease is the visibility a message in flight holds.
type lease struct {
	m       *Message
	expires time.Time
	cancel  context.CancelCauseFunc // cancels the message's handler
}

// leases tracks every message in flight; one heartbeat extends those whose
// visibility is about to run out, in batches.
type leases struct {
	c         *Consumer
	mu        sync.Mutex
	byReceipt map[string]*lease
}

func (l *leases) add(m *Message, cancel context.CancelCauseFunc) {
	l.mu.Lock()
	l.byReceipt[m.receipt] = &lease{m: m, expires: m.receivedAt.Add(l.c.cfg.VisibilityTimeout), cancel: cancel}
	l.mu.Unlock()
}

func (l *leases) remove(m *Message) {
	l.mu.Lock()
	delete(l.byReceipt, m.receipt)
	l.mu.Unlock()
}

func (l *leases) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byReceipt)
}

// heartbeat wakes six times per visibility timeout and extends every lease
// with less than half a timeout left, so a lease is renewed about once per
// half timeout and never closer than a third of a timeout to its end.
func (l *leases) heartbeat(ctx context.Context) {
	vt := l.c.cfg.VisibilityTimeout
	tick := time.NewTicker(max(vt/6, 100*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := time.Now()
		var due []*Message
		l.mu.Lock()
		for _, ls := range l.byReceipt {
			if ls.expires.Sub(now) >= vt/2 {
				continue
			}
			if now.Add(vt).Sub(ls.m.receivedAt) > l.c.cfg.VisibilityCeiling {
				// SQS refuses visibility beyond 12 h from the receive. Rather
				// than let the lease lapse while the work goes on (and pay for
				// it twice), stop the work: the handler is cancelled and the
				// message released while the lease still holds.
				if ls.cancel != nil {
					l.c.log.Error("visibility ceiling reached: cancelling the message's work and releasing it",
						zap.String("message_id", ls.m.ID), zap.Duration("in_flight", now.Sub(ls.m.receivedAt)), zap.Duration("ceiling", l.c.cfg.VisibilityCeiling))
					ls.cancel(ErrVisibilityCeiling)
					ls.cancel = nil
				}
				continue
			}
			due = append(due, ls.m)
		}
		l.mu.Unlock()
		if len(due) == 0 {
			continue
		}
		failed := l.c.changeVisibility(ctx, due, vt)
		failedSet := make(map[*Message]bool, len(failed))
		for _, m := range failed {
			failedSet[m] = true
		}
		l.mu.Lock()
		for _, m := range due {
			if ls, ok := l.byReceipt[m.receipt]; ok && !failedSet[m] {
				ls.expires = now.Add(vt)
				l.c.m.VisibilityExtension.Inc()
			}
		}
		l.mu.Unlock()
	}
}

// releaseAll makes every message still leased visible at once, so that
// another replica takes it without waiting for the lease to run out.
func (l *leases) releaseAll(ctx context.Context) {
	l.mu.Lock()
	msgs := make([]*Message, 0, len(l.byReceipt))
	for _, ls := range l.byReceipt {
		msgs = append(msgs, ls.m)
	}
	l.byReceipt = map[string]*lease{}
	l.mu.Unlock()
	if len(msgs) == 0 {
		return
	}
	failed := l.c.changeVisibility(ctx, msgs, 0)
	l.c.log.Info("released messages in flight", zap.Int("released", len(msgs)-len(failed)), zap.Int("failed", len(failed)))
}

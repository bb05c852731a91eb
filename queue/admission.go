package queue

import (
	"context"
	"time"
)

// Admission paces receiving by what the handlers' shared downstream can
// start soon (for the summarizer: the jobs a RunPod endpoint can start
// within its target queue delay). What the consumer does not receive stays
// visible in the queue: no lease, no heartbeat, no receive spent.
//
// It is the consumer's only view of the downstream: the queue knows
// nothing of what Limit counts or how it is learned.
type Admission interface {
	// Limit is how many messages the consumer may hold at once now,
	// received and not yet finished, held ones included. The consumer
	// holds at most min(Config.Concurrency, Limit()); 0 receives nothing
	// until Limit grows.
	Limit() int
	// Changed returns a channel that is closed when Limit may have grown.
	Changed() <-chan struct{}
}

// admissionRecheck bounds how long the receive loop trusts a Limit it was
// refused by without asking again, in case a change went unsignalled.
const admissionRecheck = time.Second

// admits reports whether the consumer, holding held messages, may hold
// one more.
func (c *Consumer) admits(held int) bool {
	return c.cfg.Admission == nil || held < c.cfg.Admission.Limit()
}

// awaitAdmission waits until Limit may have grown or a message finished,
// or for ctx.
func (c *Consumer) awaitAdmission(ctx context.Context) bool {
	t := time.NewTimer(admissionRecheck)
	defer t.Stop()
	select {
	case <-c.cfg.Admission.Changed():
		return true
	case <-c.freed:
		return true
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// deletePatience is how long a finished message may wait for a fuller
// delete batch: Config.DeleteFlush, or up to Config.AdmissionGather while
// Admission keeps the consumer below Concurrency and messages are at work
// (more finish soon, and the downstream's own queue keeps it busy). A
// consumer with nothing at work deletes within DeleteFlush, so the queue's
// in-flight count (which KEDA may scale on) drops to what is really at work.
func (c *Consumer) deletePatience() time.Duration {
	if c.cfg.Admission == nil || c.cfg.AdmissionGather <= 0 || c.working.Load() == 0 ||
		c.cfg.Admission.Limit() >= c.cfg.Concurrency {
		return c.cfg.DeleteFlush
	}
	return max(c.cfg.DeleteFlush, c.cfg.AdmissionGather)
}

// gather waits, for at most Config.AdmissionGather, while Admission keeps
// the consumer below Concurrency and leaves room for fewer than half its
// limit (a full receive of 10 at most, gatherBatch at least) and the
// consumer holds more than half its limit (it is stocked: their work goes
// on meanwhile; a consumer filling up, after a start or a recovery,
// receives at once), so that the receive brings several. It reports false
// when ctx ended. The caller holds one slot.
func (c *Consumer) gather(ctx context.Context) bool {
	if c.cfg.Admission == nil || c.cfg.AdmissionGather <= 0 {
		return true
	}
	deadline := time.NewTimer(c.cfg.AdmissionGather)
	defer deadline.Stop()
	for {
		held, limit := len(c.slots), c.cfg.Admission.Limit()
		want := min(maxBatch, max(gatherBatch, limit/2))
		if limit >= c.cfg.Concurrency || limit-held >= want-1 || held <= max(1, limit/2) {
			return true // not kept below Concurrency, room enough, or filling up
		}
		select {
		case <-c.cfg.Admission.Changed():
		case <-c.freed:
		case <-deadline.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
}

package queue

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.uber.org/zap"
)

// deleteAttempts is how often one message's delete is tried before giving up
// (the message then comes back and is found done again).
const deleteAttempts = 5

type pendingDelete struct {
	m        *Message
	since    time.Time
	attempts int
	done     func(deleted bool) // nil, or told how the delete ended
}

// deleter batches deletes: a batch goes out at 10 entries or when its oldest
// entry has waited patience (Config.DeleteFlush if nil).
type deleter struct {
	q        *leaseQueue
	patience func() time.Duration
	mu       sync.Mutex
	pending  []pendingDelete
	closed   bool
	kick     chan struct{}
}

// add queues the delete of m, whose outcome is stored: its lease is kept,
// and extended, until the delete is done, and never released. add reports
// false, and queues nothing, if the lease is already lost: then nothing may
// be deleted. done, if not nil, is told once whether the delete succeeded.
func (d *deleter) add(m *Message, done func(deleted bool)) bool {
	if !d.q.leases.finishing(m) {
		d.q.leases.end(m)
		return false
	}
	p := pendingDelete{m: m, since: time.Now(), done: done}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		d.q.log.Warn("delete after shutdown dropped; the message will be redelivered", zap.String("message_id", m.ID))
		d.end(p, false)
		return true
	}
	d.pending = append(d.pending, p)
	full := len(d.pending) >= maxBatch
	d.mu.Unlock()
	if full {
		d.signal()
	}
	return true
}

// end is where every pending delete ends, deleted or not: its lease ends
// with it.
func (d *deleter) end(p pendingDelete, deleted bool) {
	d.q.leases.end(p.m)
	if p.done != nil {
		p.done(deleted)
	}
}

func (d *deleter) signal() {
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// close flushes everything pending and stops run.
func (d *deleter) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.signal()
}

func (d *deleter) run(ctx context.Context) {
	tick := time.NewTicker(max(d.q.cfg.DeleteFlush/4, 10*time.Millisecond))
	defer tick.Stop()
	rounds := 0 // of retries while closing
	for {
		select {
		case <-d.kick:
		case <-tick.C:
		case <-ctx.Done():
		}
		d.mu.Lock()
		closing := d.closed || ctx.Err() != nil
		var batch []pendingDelete
		wait := d.q.cfg.DeleteFlush
		if d.patience != nil {
			wait = d.patience()
		}
		for len(d.pending) >= maxBatch || (len(d.pending) > 0 && (closing || time.Since(d.pending[0].since) >= wait)) {
			n := min(maxBatch, len(d.pending))
			batch = append(batch, d.pending[:n]...)
			d.pending = d.pending[n:]
		}
		d.mu.Unlock()
		retry := d.flush(context.WithoutCancel(ctx), batch)
		d.mu.Lock()
		d.pending = append(d.pending, retry...)
		empty := len(d.pending) == 0
		d.mu.Unlock()
		if closing && empty {
			return
		}
		if closing && len(retry) > 0 {
			rounds++
			time.Sleep(deleteRetry.after(rounds))
		}
	}
}

// flush deletes batch and returns the entries worth another try.
func (d *deleter) flush(ctx context.Context, batch []pendingDelete) (retry []pendingDelete) {
	owned := batch[:0:0]
	for _, p := range batch {
		if err := d.q.leases.check(p.m); err != nil {
			// Deleting now could delete a message another consumer holds:
			// leave it, it comes back and is found done.
			d.q.log.Warn("delete dropped: the lease ran out first; the message comes back and is found done", zap.String("message_id", p.m.ID))
			d.end(p, false)
			continue
		}
		owned = append(owned, p)
	}
	batch = owned
	for chunk := range slices.Chunk(batch, maxBatch) {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, p := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(p.m.receipt)}
		}
		d.q.m.request("DeleteMessageBatch")
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		out, err := d.q.api.DeleteMessageBatch(cctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(d.q.url), Entries: entries})
		cancel()
		if err != nil {
			d.q.log.Warn("delete batch failed", zap.Error(err), zap.Int("messages", len(chunk)))
			retry = append(retry, d.again(chunk...)...)
			continue
		}
		failed := batchFailures(out.Failed, len(chunk))
		for i, p := range chunk {
			f, ok := failed[i]
			switch {
			case !ok:
				d.end(p, true)
			case receiptGone(aws.ToString(f.Code)):
				d.q.log.Warn("delete: receipt no longer valid; the message may be redelivered and found done",
					zap.String("message_id", p.m.ID), zap.String("code", aws.ToString(f.Code)))
				d.end(p, false)
			default:
				d.q.log.Warn("delete entry failed", zap.String("message_id", p.m.ID),
					zap.String("code", aws.ToString(f.Code)), zap.String("error", aws.ToString(f.Message)))
				retry = append(retry, d.again(p)...)
			}
		}
	}
	return retry
}

func (d *deleter) again(ps ...pendingDelete) []pendingDelete {
	var out []pendingDelete
	for _, p := range ps {
		p.attempts++
		if p.attempts >= deleteAttempts {
			d.q.log.Error("delete given up; the message will be redelivered", zap.String("message_id", p.m.ID))
			d.end(p, false)
			continue
		}
		p.since = time.Now()
		out = append(out, p)
	}
	return out
}

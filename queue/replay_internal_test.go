package queue

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// gatedVisibility answers ChangeMessageVisibilityBatch only once
// visibilityParallel calls are waiting together, so batches sent one after
// another never get an answer in time.
type gatedVisibility struct {
	leaseAPI // nil: only ChangeMessageVisibilityBatch is called

	mu       sync.Mutex
	waiting  int
	open     chan struct{}
	receipts map[string]int32
}

func (g *gatedVisibility) ChangeMessageVisibilityBatch(ctx context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	g.mu.Lock()
	g.waiting++
	if g.waiting == visibilityParallel {
		close(g.open)
	}
	g.mu.Unlock()
	select {
	case <-g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, e := range in.Entries {
		g.receipts[aws.ToString(e.ReceiptHandle)] = e.VisibilityTimeout
	}
	return &sqs.ChangeMessageVisibilityBatchOutput{}, nil
}

func (g *gatedVisibility) renewed() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.receipts)
}

func manyMessages(n int) []*Message {
	msgs := make([]*Message, n)
	for i := range msgs {
		msgs[i] = newMessage(types.Message{MessageId: aws.String("m" + strconv.Itoa(i)), ReceiptHandle: aws.String("r" + strconv.Itoa(i))}, time.Now())
	}
	return msgs
}

// A visibility change of many messages (a replay's dry run handing back a
// deep DLQ, a shutdown releasing a wide pool) sends its batches in
// parallel, not one round trip after another.
func TestChangeVisibilitySendsBatchesInParallel(t *testing.T) {
	g := &gatedVisibility{open: make(chan struct{}), receipts: map[string]int32{}}
	q := newLeaseQueue(g, "queue-url", Config{}.withDefaults())
	msgs := manyMessages(20 * maxBatch) // 20 batches: more than two rounds
	if failed := q.changeVisibility(context.Background(), msgs, 30*time.Second); len(failed) != 0 {
		t.Fatalf("%d of %d messages failed: batches were not sent %d at a time", len(failed), len(msgs), visibilityParallel)
	}
	for r, v := range g.receipts {
		if v != 30 {
			t.Fatalf("%s: visibility %d, want 30", r, v)
		}
	}
}

// The heartbeat renews every lease of a deep DLQ that a replay holds, its
// batches at once: a serial pass would not reach them all before the
// hold runs out.
func TestHeartbeatRenewsBatchesInParallel(t *testing.T) {
	g := &gatedVisibility{open: make(chan struct{}), receipts: map[string]int32{}}
	q := newLeaseQueue(g, "dlq-url", Config{VisibilityTimeout: 30 * time.Second}.withDefaults())
	msgs := manyMessages(20 * maxBatch)
	for _, m := range msgs {
		q.leases.add(m, time.Now().Add(-20*time.Second), nil) // under half the hold left: due
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.leases.heartbeat(ctx) }()
	deadline := time.Now().Add(60 * time.Second)
	for g.renewed() < len(msgs) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	<-done
	if got := g.renewed(); got != len(msgs) {
		t.Fatalf("%d of %d leases renewed", got, len(msgs))
	}
	if n := q.leases.len(); n != len(msgs) {
		t.Errorf("%d leases held after the renewal, want %d", n, len(msgs))
	}
}

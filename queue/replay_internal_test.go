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
// visibilityParallel calls are waiting together, so a setVisibility that
// sends its batches one after another never gets an answer in time.
type gatedVisibility struct {
	replayAPI // nil: only ChangeMessageVisibilityBatch is called

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

// A replay's hold is renewed in parallel batches: a dry run over a deep DLQ
// renews every message it holds, not only those a serial pass reaches
// before the hold runs out.
func TestSetVisibilityRenewsBatchesInParallel(t *testing.T) {
	g := &gatedVisibility{open: make(chan struct{}), receipts: map[string]int32{}}
	msgs := make([]types.Message, 20*maxBatch) // 20 batches: more than two rounds
	for i := range msgs {
		msgs[i].ReceiptHandle = aws.String("r" + strconv.Itoa(i))
	}
	setVisibility(context.Background(), g, "queue-url", msgs, 30*time.Second, 5*time.Second)
	if len(g.receipts) != len(msgs) {
		t.Fatalf("%d of %d messages renewed: batches were not sent %d at a time", len(g.receipts), len(msgs), visibilityParallel)
	}
	for r, v := range g.receipts {
		if v != 30 {
			t.Fatalf("%s: visibility %d, want 30", r, v)
		}
	}
}

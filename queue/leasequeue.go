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

// leaseAPI is the part of the SQS client the lease mechanics use.
type leaseAPI interface {
	ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ leaseAPI = (*sqs.Client)(nil)

// leaseQueue is the lease mechanics on one queue: the batched visibility
// change, the leases and the heartbeat that renews them, the batched
// delete that ends them, and the depth read. The Consumer runs one on its
// source queue, Replay one on the dead-letter queue.
type leaseQueue struct {
	api     leaseAPI
	url     string
	cfg     Config // with defaults
	log     *zap.Logger
	m       *Metrics
	leases  *leases
	deletes *deleter
}

func newLeaseQueue(api leaseAPI, url string, cfg Config) *leaseQueue {
	q := &leaseQueue{api: api, url: url, cfg: cfg, log: cfg.Logger.With(zap.String("queue", url)), m: cfg.Metrics}
	q.leases = &leases{q: q, byReceipt: map[string]*lease{}}
	q.deletes = &deleter{q: q, kick: make(chan struct{}, 1)}
	return q
}

// start runs the heartbeat and the deleter. stop then releases every
// lease still held (deletes pending aside), flushes the pending deletes,
// and returns once both have ended.
func (q *leaseQueue) start(ctx context.Context) (stop func()) {
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	heartbeatCtx, stopHeartbeat := context.WithCancel(bg)
	var background sync.WaitGroup
	background.Go(func() { q.deletes.run(bg) })
	background.Go(func() { q.leases.heartbeat(heartbeatCtx) })
	return func() {
		stopHeartbeat()
		q.leases.releaseAll(bg)
		q.deletes.close()
		stopBackground()
		background.Wait()
	}
}

// visibilityParallel is how many visibility batches changeVisibility sends
// at once: a replay's dry run holds the whole DLQ, and its release (one
// request per 10 messages) must not take one round trip per batch.
const visibilityParallel = 8

// changeVisibility sets the visibility of msgs, in batches of maxBatch sent
// visibilityParallel at a time, and returns those whose change failed for
// a reason other than an invalid receipt.
func (q *leaseQueue) changeVisibility(ctx context.Context, msgs []*Message, d time.Duration) (failed []*Message) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, visibilityParallel)
	for chunk := range slices.Chunk(msgs, maxBatch) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f := q.changeVisibilityChunk(ctx, chunk, d)
			mu.Lock()
			failed = append(failed, f...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return failed
}

func (q *leaseQueue) changeVisibilityChunk(ctx context.Context, chunk []*Message, d time.Duration) (failed []*Message) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := q.changeVisibilityBatch(cctx, chunk, d)
	if err != nil {
		q.log.Warn("change visibility failed", zap.Error(err), zap.Int("messages", len(chunk)))
		return chunk
	}
	fails := batchFailures(out.Failed, len(chunk))
	for i, m := range chunk {
		f, ok := fails[i]
		if !ok {
			continue
		}
		if receiptGone(aws.ToString(f.Code)) {
			q.log.Info("receipt no longer valid", zap.String("message_id", m.ID), zap.String("code", aws.ToString(f.Code)))
			continue
		}
		q.log.Warn("change visibility entry failed", zap.String("message_id", m.ID),
			zap.String("code", aws.ToString(f.Code)), zap.String("error", aws.ToString(f.Message)))
		failed = append(failed, m)
	}
	return failed
}

// changeVisibilityBatch asks SQS to set the visibility of msgs (one batch:
// at most maxBatch) to d, counting the request. Each entry's Id is its
// message's index in msgs (see batchFailures). The caller sets the
// deadline in ctx and handles the failures.
func (q *leaseQueue) changeVisibilityBatch(ctx context.Context, msgs []*Message, d time.Duration) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{
			Id:                aws.String(strconv.Itoa(i)),
			ReceiptHandle:     aws.String(m.receipt),
			VisibilityTimeout: int32(d / time.Second),
		}
	}
	q.m.request("ChangeMessageVisibilityBatch")
	return q.api.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{
		QueueUrl: aws.String(q.url),
		Entries:  entries,
	})
}

// batchFailures maps the failed entries of a batch request of n entries,
// sent with each entry's index as its Id, to those indexes. An Id that is
// not such an index is ignored.
func batchFailures(failed []types.BatchResultErrorEntry, n int) map[int]types.BatchResultErrorEntry {
	byIndex := make(map[int]types.BatchResultErrorEntry, len(failed))
	for _, f := range failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < n {
			byIndex[i] = f
		}
	}
	return byIndex
}

// receiptGone reports whether an SQS error code says the receipt is no
// longer usable: the message was deleted, or its lease already expired.
func receiptGone(code string) bool {
	switch code {
	case "ReceiptHandleIsInvalid", "MessageNotInflight", "InvalidParameterValue",
		"AWS.SimpleQueueService.MessageNotInflight", "AWS.SimpleQueueService.ReceiptHandleIsInvalid":
		return true
	}
	return false
}

// queueDepth is a queue's approximate message counts.
type queueDepth struct {
	visible, inFlight, delayed int
}

// depth reads the approximate message counts of the queue at url (q's own
// or its dead-letter queue) in one GetQueueAttributes request, counted. A
// missing count reads as 0.
func (q *leaseQueue) depth(ctx context.Context, url string) (queueDepth, error) {
	q.m.request("GetQueueAttributes")
	out, err := q.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return queueDepth{}, err
	}
	n := func(a types.QueueAttributeName) int {
		v, _ := strconv.Atoi(out.Attributes[string(a)])
		return v
	}
	return queueDepth{
		visible:  n(types.QueueAttributeNameApproximateNumberOfMessages),
		inFlight: n(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		delayed:  n(types.QueueAttributeNameApproximateNumberOfMessagesDelayed),
	}, nil
}

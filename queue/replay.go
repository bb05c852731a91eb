package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// replayAPI is the part of the SQS client Replay uses.
type replayAPI interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
	ChangeMessageVisibilityBatch(context.Context, *sqs.ChangeMessageVisibilityBatchInput, ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

var _ replayAPI = (*sqs.Client)(nil)

// Defaults of ReplayConfig.
const (
	ReplayHoldDefault = 30 * time.Second
	ReplayWaitDefault = 2 * time.Minute
)

// ReplayConfig says what Replay moves.
type ReplayConfig struct {
	From, To string // dead-letter queue and source queue URLs (required)
	// Max is the most messages moved (or listed); 0 means all.
	Max int
	// Reasons, if not empty, are the only summarizer.reason values moved;
	// other messages stay in the DLQ.
	Reasons []string
	// DryRun lists messages without moving any.
	DryRun bool
	// Rate is the most messages moved per second; 0 means no limit.
	Rate float64
	// Hold is the visibility messages get while a replay looks at them
	// (default ReplayHoldDefault, 30s). The replay extends it for as long as
	// it holds a message: a message it leaves behind (filtered out, dry run,
	// failed send) is made visible again when the replay ends, or at most
	// Hold after the replay was killed.
	Hold time.Duration
	// Wait is how long a replay that finds the DLQ empty but some of its
	// messages in flight (held by a killed replay, or by another consumer)
	// waits for them to come back (default ReplayWaitDefault, 2m). A replay
	// that gives up waiting says so in ReplayStats.InFlight.
	Wait time.Duration
	// Progress, if not nil, is told what the replay is waiting for.
	Progress func(msg string)
}

// ReplayItem is one dead-lettered message as Replay saw it.
type ReplayItem struct {
	ID       string
	Body     string
	Reason   string
	Error    string
	FailedAt string
	// Moved is true once the message was sent to the source queue and
	// deleted from the DLQ.
	Moved bool
	// Skipped says why a message was not moved ("dry run", "reason
	// filtered", or the send error).
	Skipped string
}

// ReplayStats counts what Replay did.
type ReplayStats struct {
	Seen, Moved, Left int
	// InFlight is how many DLQ messages were still in flight, held by
	// someone else, when the replay gave up waiting for them: they were not
	// replayed.
	InFlight int
}

// Replay moves messages from a dead-letter queue back to their source queue:
// each is sent with its body and its attributes other than summarizer.*, and
// deleted from the DLQ only after the send succeeded. Interrupted at any
// point it loses nothing: a message sent but not yet deleted is at worst
// present in both queues. report, if not nil, is called for every message.
func Replay(ctx context.Context, client replayAPI, cfg ReplayConfig, report func(ReplayItem)) (ReplayStats, error) {
	var st ReplayStats
	if cfg.From == "" || cfg.To == "" {
		return st, errors.New("replay: both the DLQ and the target queue are required")
	}
	if cfg.From == cfg.To {
		return st, errors.New("replay: the DLQ and the target queue are the same")
	}
	if cfg.Hold == 0 {
		cfg.Hold = ReplayHoldDefault
	}
	if cfg.Wait == 0 {
		cfg.Wait = ReplayWaitDefault
	}
	if report == nil {
		report = func(ReplayItem) {}
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	h := &replayHold{client: client, url: cfg.From, hold: cfg.Hold}
	stopHold := h.keep(ctx)
	defer func() {
		stopHold()
		releaseBatch(context.WithoutCancel(ctx), client, cfg.From, h.all())
	}()
	var tick *time.Ticker
	if cfg.Rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / cfg.Rate))
		defer tick.Stop()
	}
	var waitingSince time.Time
	for cfg.Max == 0 || st.Seen < cfg.Max {
		want := int32(maxBatch)
		if cfg.Max > 0 {
			want = int32(min(maxBatch, cfg.Max-st.Seen))
		}
		if cfg.Rate > 0 {
			// A slow rate sends a batch over a while: no longer than half the hold.
			want = min(want, int32(max(1, cfg.Rate*cfg.Hold.Seconds()/2)))
		}
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(cfg.From),
			MaxNumberOfMessages:   want,
			WaitTimeSeconds:       1,
			VisibilityTimeout:     int32(cfg.Hold / time.Second),
			MessageAttributeNames: []string{"All"},
		})
		if err != nil {
			return st, fmt.Errorf("replay: receive from %s: %w", cfg.From, err)
		}
		if len(out.Messages) == 0 {
			// Empty, as far as this receive saw. Messages whose hold just ran
			// out may be visible by now; messages held by someone else (a
			// killed replay's) come back within their hold.
			visible, inFlight, err := dlqCounts(ctx, client, cfg.From)
			if err != nil {
				return st, err
			}
			others := inFlight - h.len()
			switch {
			case visible > 0:
				continue
			case others <= 0:
				return st, nil
			case waitingSince.IsZero():
				waitingSince = time.Now()
				progress(fmt.Sprintf("%d message(s) of the DLQ are in flight, held by another consumer (a replay that was killed?): waiting up to %s for them to come back", others, cfg.Wait))
			case time.Since(waitingSince) > cfg.Wait:
				st.InFlight = others
				progress(fmt.Sprintf("gave up waiting after %s: %d message(s) still in flight in the DLQ, not replayed", cfg.Wait, others))
				return st, nil
			}
			continue
		}
		waitingSince = time.Time{}
		var move []types.Message
		for _, m := range out.Messages {
			st.Seen++
			item := replayItem(m)
			switch {
			case cfg.DryRun:
				item.Skipped = "dry run"
			case len(cfg.Reasons) > 0 && !slices.Contains(cfg.Reasons, item.Reason):
				item.Skipped = "reason filtered"
			default:
				move = append(move, m)
				continue
			}
			h.add(m)
			st.Left++
			report(item)
		}
		if tick != nil {
			for range move {
				select {
				case <-tick.C:
				case <-ctx.Done():
					for _, m := range move {
						h.add(m)
					}
					return st, ctx.Err()
				}
			}
		}
		sent, failed := sendBatch(ctx, client, cfg.To, move)
		for _, f := range failed {
			item := replayItem(f.m)
			item.Skipped = "send failed: " + f.err
			report(item)
			h.add(f.m)
			st.Left++
		}
		deleteFailed := deleteBatch(context.WithoutCancel(ctx), client, cfg.From, sent)
		for _, m := range sent {
			item := replayItem(m)
			item.Moved = true
			if deleteFailed[aws.ToString(m.MessageId)] {
				item.Skipped = "sent, but the DLQ delete failed: it will be replayed again"
			}
			report(item)
			st.Moved++
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
	}
	return st, nil
}

// dlqCounts is the DLQ's count of visible messages, and of messages in
// flight or delayed.
func dlqCounts(ctx context.Context, client replayAPI, url string) (visible, inFlight int, err error) {
	out, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		}})
	if err != nil {
		return 0, 0, fmt.Errorf("replay: read the message counts of %s: %w", url, err)
	}
	n := func(a types.QueueAttributeName) int {
		v, _ := strconv.Atoi(out.Attributes[string(a)])
		return v
	}
	return n(types.QueueAttributeNameApproximateNumberOfMessages),
		n(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible) + n(types.QueueAttributeNameApproximateNumberOfMessagesDelayed), nil
}

// replayHold is the set of DLQ messages a replay holds (left behind until it
// ends); it extends their visibility while the replay runs, so that a
// short hold is enough: a killed replay's messages come back quickly.
type replayHold struct {
	client replayAPI
	url    string
	hold   time.Duration
	mu     sync.Mutex
	msgs   []types.Message
}

func (h *replayHold) add(m types.Message) {
	h.mu.Lock()
	h.msgs = append(h.msgs, m)
	h.mu.Unlock()
}

func (h *replayHold) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.msgs)
}

func (h *replayHold) all() []types.Message {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}

// keep extends the hold of every message held, every third of the hold,
// until the returned stop is called.
func (h *replayHold) keep(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(max(h.hold/3, 100*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			setVisibility(ctx, h.client, h.url, h.all(), h.hold, h.hold/3)
		}
	}()
	return func() { cancel(); <-done }
}

func replayItem(m types.Message) ReplayItem {
	attr := func(name string) string {
		if v, ok := m.MessageAttributes[name]; ok {
			return aws.ToString(v.StringValue)
		}
		return ""
	}
	return ReplayItem{
		ID: aws.ToString(m.MessageId), Body: aws.ToString(m.Body),
		Reason: attr(AttrReason), Error: attr(AttrError), FailedAt: attr(AttrFailedAt),
	}
}

type failedSend struct {
	m   types.Message
	err string
}

// sendBatch sends msgs to url with their original attributes (not
// summarizer.*) and returns those sent and those that failed.
func sendBatch(ctx context.Context, client replayAPI, url string, msgs []types.Message) (sent []types.Message, failed []failedSend) {
	if len(msgs) == 0 {
		return nil, nil
	}
	entries := make([]types.SendMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		attrs := map[string]types.MessageAttributeValue{}
		for _, name := range OriginalAttributeNames(m.MessageAttributes) {
			attrs[name] = m.MessageAttributes[name]
		}
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: m.Body, MessageAttributes: attrs}
		if isFIFO(url) {
			entries[i].MessageGroupId = aws.String("replay")
			entries[i].MessageDeduplicationId = m.MessageId
		}
	}
	out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		for _, m := range msgs {
			failed = append(failed, failedSend{m: m, err: err.Error()})
		}
		return nil, failed
	}
	for _, s := range out.Successful {
		if i, err := strconv.Atoi(aws.ToString(s.Id)); err == nil && i >= 0 && i < len(msgs) {
			sent = append(sent, msgs[i])
		}
	}
	for _, f := range out.Failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(msgs) {
			failed = append(failed, failedSend{m: msgs[i], err: aws.ToString(f.Code) + ": " + aws.ToString(f.Message)})
		}
	}
	return sent, failed
}

// deleteBatch deletes msgs from url and returns the ids whose delete failed.
func deleteBatch(ctx context.Context, client replayAPI, url string, msgs []types.Message) map[string]bool {
	failed := map[string]bool{}
	if len(msgs) == 0 {
		return failed
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	out, err := client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
	if err != nil {
		for _, m := range msgs {
			failed[aws.ToString(m.MessageId)] = true
		}
		return failed
	}
	for i := range batchFailures(out.Failed, len(msgs)) {
		failed[aws.ToString(msgs[i].MessageId)] = true
	}
	return failed
}

// releaseBatch makes held messages visible again.
func releaseBatch(ctx context.Context, client replayAPI, url string, msgs []types.Message) {
	setVisibility(ctx, client, url, msgs, 0, 30*time.Second)
}

// visibilityParallel is how many visibility batches setVisibility sends at
// once: a dry run holds the whole DLQ, and its renewals (one request per 10
// messages) must all go out within a third of the hold.
const visibilityParallel = 8

// setVisibility sets the visibility of msgs to d, in batches of maxBatch
// sent visibilityParallel at a time, each call given at most timeout.
// Failures are ignored: a message whose change failed keeps the visibility
// it had.
func setVisibility(ctx context.Context, client replayAPI, url string, msgs []types.Message, d, timeout time.Duration) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, visibilityParallel)
	for chunk := range slices.Chunk(msgs, maxBatch) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
			for i, m := range chunk {
				entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)),
					ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: int32(d / time.Second)}
			}
			cctx, cancel := context.WithTimeout(ctx, timeout)
			_, _ = client.ChangeMessageVisibilityBatch(cctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
			cancel()
		})
	}
	wg.Wait()
}

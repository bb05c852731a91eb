package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
}

var _ replayAPI = (*sqs.Client)(nil)

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
	// (default 5m): a message the replay leaves behind (filtered out, dry
	// run, failed send) is made visible again when the replay ends, or after
	// Hold if the replay is killed.
	Hold time.Duration
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
		cfg.Hold = 5 * time.Minute
	}
	if report == nil {
		report = func(ReplayItem) {}
	}
	var held []types.Message // left in the DLQ: released when the replay ends
	defer func() {
		releaseBatch(context.WithoutCancel(ctx), client, cfg.From, held)
	}()
	var tick *time.Ticker
	if cfg.Rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / cfg.Rate))
		defer tick.Stop()
	}
	for cfg.Max == 0 || st.Seen < cfg.Max {
		want := int32(maxBatch)
		if cfg.Max > 0 {
			want = int32(min(maxBatch, cfg.Max-st.Seen))
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
			return st, nil
		}
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
			held = append(held, m)
			st.Left++
			report(item)
		}
		if tick != nil {
			for range move {
				select {
				case <-tick.C:
				case <-ctx.Done():
					held = append(held, move...)
					return st, ctx.Err()
				}
			}
		}
		sent, failed := sendBatch(ctx, client, cfg.To, move)
		for _, f := range failed {
			item := replayItem(f.m)
			item.Skipped = "send failed: " + f.err
			report(item)
			held = append(held, f.m)
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
	for _, f := range out.Failed {
		if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i >= 0 && i < len(msgs) {
			failed[aws.ToString(msgs[i].MessageId)] = true
		}
	}
	return failed
}

// releaseBatch makes held messages visible again.
func releaseBatch(ctx context.Context, client replayAPI, url string, msgs []types.Message) {
	for chunk := range chunks(msgs, maxBatch) {
		entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(chunk))
		for i, m := range chunk {
			entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, _ = client.ChangeMessageVisibilityBatch(cctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(url), Entries: entries})
		cancel()
	}
}

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
	leaseAPI
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
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

// replayDeleteFlush is the longest a moved message waits for its DLQ
// delete: short, so that a killed replay leaves few messages in both queues.
const replayDeleteFlush = 50 * time.Millisecond

// Replay moves messages from a dead-letter queue back to their source queue:
// each is sent with its body and its attributes other than summarizer.*, and
// deleted from the DLQ only after the send succeeded. Interrupted at any
// point it loses nothing: a message sent but not yet deleted is at worst
// present in both queues. report, if not nil, is called for every message
// (never twice at once).
//
// The DLQ's messages are leased like the Consumer's: the replay holds each
// with visibility Hold, renews it while it runs, deletes the moved ones in
// batches, and hands back the others (visibility 0) when it ends.
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
	var reportMu sync.Mutex // report is called from the deleter too
	tell := func(it ReplayItem) {
		if report != nil {
			reportMu.Lock()
			defer reportMu.Unlock()
			report(it)
		}
	}
	progress := cfg.Progress
	if progress == nil {
		progress = func(string) {}
	}
	dlq := newLeaseQueue(client, cfg.From, Config{VisibilityTimeout: cfg.Hold, DeleteFlush: replayDeleteFlush}.withDefaults())
	stop := dlq.start(ctx)
	defer stop() // hands back what is still held; flushes the deletes
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
		sentAt := time.Now()
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
			d, err := dlq.depth(ctx, cfg.From)
			if err != nil {
				return st, fmt.Errorf("replay: read the message counts of %s: %w", cfg.From, err)
			}
			others := d.inFlight + d.delayed - dlq.leases.len()
			switch {
			case d.visible > 0:
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
		var move []*Message
		for _, sm := range out.Messages {
			m := newMessage(sm, sentAt)
			dlq.leases.add(m, sentAt, nil) // held until moved or handed back
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
			st.Left++
			tell(item)
		}
		if tick != nil {
			for range move {
				select {
				case <-tick.C:
				case <-ctx.Done():
					return st, ctx.Err()
				}
			}
		}
		sent, failed := sendBatch(ctx, client, cfg.To, move)
		for _, f := range failed {
			item := replayItem(f.m)
			item.Skipped = "send failed: " + f.err
			tell(item)
			st.Left++
		}
		for _, m := range sent {
			st.Moved++
			item := replayItem(m)
			item.Moved = true
			deleted := func(ok bool) {
				if !ok {
					item.Skipped = "sent, but the DLQ delete failed: it will be replayed again"
				}
				tell(item)
			}
			if !dlq.deletes.add(m, deleted) {
				item.Skipped = "sent, but its hold on the DLQ ran out before the delete: it will be replayed again"
				tell(item)
			}
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
	}
	return st, nil
}

func replayItem(m *Message) ReplayItem {
	attr := func(name string) string {
		if v, ok := m.Attributes[name]; ok {
			return aws.ToString(v.StringValue)
		}
		return ""
	}
	return ReplayItem{
		ID: m.ID, Body: m.Body,
		Reason: attr(AttrReason), Error: attr(AttrError), FailedAt: attr(AttrFailedAt),
	}
}

type failedSend struct {
	m   *Message
	err string
}

// sendBatch sends msgs to url with their original attributes (not
// summarizer.*) and returns those sent and those that failed.
func sendBatch(ctx context.Context, client replayAPI, url string, msgs []*Message) (sent []*Message, failed []failedSend) {
	if len(msgs) == 0 {
		return nil, nil
	}
	entries := make([]types.SendMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		attrs := map[string]types.MessageAttributeValue{}
		for _, name := range OriginalAttributeNames(m.Attributes) {
			attrs[name] = m.Attributes[name]
		}
		entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(m.Body), MessageAttributes: attrs}
		if isFIFO(url) {
			entries[i].MessageGroupId = aws.String("replay")
			entries[i].MessageDeduplicationId = aws.String(m.ID)
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
	for i, f := range batchFailures(out.Failed, len(msgs)) {
		failed = append(failed, failedSend{m: msgs[i], err: aws.ToString(f.Code) + ": " + aws.ToString(f.Message)})
	}
	return sent, failed
}

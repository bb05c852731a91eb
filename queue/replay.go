package queue

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/summarizer/summarizer/queue/outcome"
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
	// To is the source queue the messages go back to (required). From is
	// its dead-letter queue, the one To's RedrivePolicy names (empty: that
	// one); Replay refuses any other (ErrReplayRefused).
	From, To string
	// Max is the most messages moved (or listed); 0 means all.
	Max int
	// Reasons, if not empty, are the only summarizer.reason values moved;
	// other messages stay in the DLQ. Each must be one of outcome.Reasons.
	Reasons []string
	// Force also moves the messages whose summarizer.source_queue names
	// another queue than To (a DLQ shared by several queues); without it
	// they stay in the DLQ.
	Force bool
	// DryRun lists messages without moving any, and leaves every one
	// visible again when the replay ends.
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
	// SourceQueue is the queue the message was dead-lettered from, if it
	// says (summarizer.source_queue).
	SourceQueue string
	// Moved is true once the message was sent to the source queue and
	// deleted from the DLQ.
	Moved bool
	// Skipped says why a message was not moved ("dry run", "reason
	// filtered", "from another queue: URL", or the send error).
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
//
// Replay refuses (an error wrapping ErrReplayRefused), before it moves
// anything, an invalid configuration (see ReplayConfig.Validate) and a From
// that is not To's dead-letter queue.
func Replay(ctx context.Context, client replayAPI, cfg ReplayConfig, report func(ReplayItem)) (ReplayStats, error) {
	var st ReplayStats
	if err := cfg.Validate(); err != nil {
		return st, fmt.Errorf("%w: %w", ErrReplayRefused, err)
	}
	from, err := ReplaySource(ctx, client, cfg.To, cfg.From)
	if err != nil {
		return st, err
	}
	if sameQueue(from, cfg.To) {
		return st, fmt.Errorf("%w: %s is its own dead-letter queue", ErrReplayRefused, cfg.To)
	}
	cfg.From = from
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
			case len(cfg.Reasons) > 0 && !slices.Contains(cfg.Reasons, item.Reason):
				item.Skipped = "reason filtered"
			case item.SourceQueue != "" && !sameQueue(item.SourceQueue, cfg.To) && !cfg.Force:
				item.Skipped = "from another queue: " + item.SourceQueue
			case cfg.DryRun:
				item.Skipped = "dry run"
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
	it := ReplayItem{
		ID: m.ID, Body: m.Body,
		Reason: attr(AttrReason), Error: attr(AttrError), FailedAt: attr(AttrFailedAt), SourceQueue: attr(AttrSourceQueue),
	}
	if it.SourceQueue == "-" { // stringAttr's stand-in for an empty value
		it.SourceQueue = ""
	}
	return it
}

// ErrReplayRefused is wrapped by the error of a replay that refused to
// start: nothing was moved.
var ErrReplayRefused = errors.New("replay refused")

// Validate reports every problem of the configuration that needs no SQS
// call to see: an unknown reason (the known ones are outcome.Reasons),
// negative numbers.
func (c ReplayConfig) Validate() error {
	var errs []error
	known := make([]string, len(outcome.Reasons))
	for i, r := range outcome.Reasons {
		known[i] = string(r)
	}
	for _, r := range c.Reasons {
		if !slices.Contains(known, r) {
			errs = append(errs, fmt.Errorf("unknown reason %q (known: %s)", r, strings.Join(known, ", ")))
		}
	}
	if c.Max < 0 {
		errs = append(errs, fmt.Errorf("max %d: must not be negative", c.Max))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate %g: must not be negative", c.Rate))
	}
	if c.Hold < 0 || c.Hold > MaxVisibility {
		errs = append(errs, fmt.Errorf("hold %s: must be between 0 and 12h", c.Hold))
	}
	if c.Wait < 0 {
		errs = append(errs, fmt.Errorf("wait %s: must not be negative", c.Wait))
	}
	return errors.Join(errs...)
}

// ReplaySource returns the dead-letter queue a replay to the queue at to
// moves from: the one to's RedrivePolicy names (one GetQueueAttributes
// call). from, if not empty, must be that queue: any other is refused
// (ErrReplayRefused), so that a replay never moves one queue's dead
// letters into another.
func ReplaySource(ctx context.Context, client leaseAPI, to, from string) (string, error) {
	if to == "" {
		return "", fmt.Errorf("%w: no queue to replay to", ErrReplayRefused)
	}
	policy, err := redrivePolicy(ctx, client, nil, to)
	if err != nil {
		return "", fmt.Errorf("replay: %w", err)
	}
	dlq, err := DLQFromRedrivePolicy(to, policy)
	switch {
	case err != nil && from == "":
		return "", fmt.Errorf("replay: no dead-letter queue for %s: %w", to, err)
	case err != nil:
		return "", fmt.Errorf("%w: %s is not the dead-letter queue of %s: %w", ErrReplayRefused, from, to, err)
	case from != "" && !sameQueue(from, dlq):
		return "", fmt.Errorf("%w: %s is not the dead-letter queue of %s (its RedrivePolicy names %s)", ErrReplayRefused, from, to, dlq)
	}
	return dlq, nil
}

// sameQueue reports whether two queue URLs name the same queue: equal but
// for the case of the scheme and host, and a trailing slash.
func sameQueue(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil {
		return a == b
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host) &&
		strings.TrimSuffix(ua.Path, "/") == strings.TrimSuffix(ub.Path, "/")
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

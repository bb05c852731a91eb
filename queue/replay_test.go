package queue_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/queue/outcome"
)

// deadLetter puts n messages on the fixture's DLQ as the consumer would,
// alternating reasons not_found and retries_exhausted.
func (f *fixture) deadLetter(t *testing.T, n int) {
	t.Helper()
	f.deadLetterFrom(t, f.queueURL, "body-", n)
}

// deadLetterFrom puts n messages on the fixture's DLQ as a consumer of
// source would, with bodies prefix0, prefix1...
func (f *fixture) deadLetterFrom(t *testing.T, source, prefix string, n int) {
	t.Helper()
	for i := range n {
		reason := "not_found"
		if i%2 == 1 {
			reason = string(outcome.ReasonRetriesExhausted)
		}
		orig := map[string]types.MessageAttributeValue{"origin": {DataType: aws.String("String"), StringValue: aws.String("upload-" + strconv.Itoa(i))}}
		attrs := queue.DeadLetterAttributes(orig, reason, errors.New("it failed"), source, 5, time.Now())
		if _, err := f.sqs.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: &f.dlqURL, MessageBody: aws.String(prefix + strconv.Itoa(i)), MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
}

func bodies(ms []types.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, *m.Body)
	}
	sort.Strings(out)
	return out
}

func TestReplayDryRunMovesNothing(t *testing.T) {
	f := newFixture(t)
	f.deadLetter(t, 12)
	var items []queue.ReplayItem
	st, err := queue.Replay(t.Context(), f.sqs, queue.ReplayConfig{From: f.dlqURL, To: f.queueURL, DryRun: true}, func(it queue.ReplayItem) { items = append(items, it) })
	if err != nil {
		t.Fatal(err)
	}
	if st.Seen != 12 || st.Moved != 0 || len(items) != 12 {
		t.Errorf("dry run: %+v, %d items", st, len(items))
	}
	for _, it := range items {
		if it.Reason == "" || it.Error != "it failed" || it.FailedAt == "" || it.Moved {
			t.Errorf("item %+v lacks its failure details", it)
		}
	}
	// Released at the end: every message is visible again at once.
	if v, n := f.counts(t, f.dlqURL); v != 12 || n != 0 {
		t.Errorf("DLQ after dry run: %d visible, %d in flight; want 12, 0", v, n)
	}
	if v, n := f.counts(t, f.queueURL); v+n != 0 {
		t.Errorf("dry run moved %d messages", v+n)
	}
}

func TestReplayFilterAndAttributes(t *testing.T) {
	f := newFixture(t)
	f.deadLetter(t, 6)
	st, err := queue.Replay(t.Context(), f.sqs, queue.ReplayConfig{From: f.dlqURL, To: f.queueURL, Reasons: []string{"not_found"}, Rate: 50}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Moved != 3 || st.Left != 3 {
		t.Errorf("stats %+v, want 3 moved and 3 left", st)
	}
	moved := f.drain(t, f.queueURL)
	if got := bodies(moved); len(got) != 3 || got[0] != "body-0" || got[2] != "body-4" {
		t.Errorf("moved %v, want the not_found ones", got)
	}
	for _, m := range moved {
		if m.MessageAttributes["origin"].StringValue == nil {
			t.Errorf("%s lost its original attribute", *m.Body)
		}
		for name := range m.MessageAttributes {
			if len(name) > 11 && name[:11] == "summarizer." {
				t.Errorf("%s kept %s", *m.Body, name)
			}
		}
	}
	if v, _ := f.counts(t, f.dlqURL); v != 3 {
		t.Errorf("%d left visible in the DLQ, want 3", v)
	}
	// --max: one more, then the rest.
	st, err = queue.Replay(t.Context(), f.sqs, queue.ReplayConfig{From: f.dlqURL, To: f.queueURL, Max: 1}, nil)
	if err != nil || st.Moved != 1 {
		t.Errorf("max 1: %+v, %v", st, err)
	}
}

// crashAfterSend is an SQS client whose DLQ deletes fail, as if the replay
// was killed between sending a message and deleting it.
type crashAfterSend struct{ *sqs.Client }

func (crashAfterSend) DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return nil, errors.New("killed")
}

// Interrupted between send and delete, then rerun: the DLQ ends empty and
// every message is in the source queue at least once.
func TestReplayInterruptedThenRerun(t *testing.T) {
	f := newFixture(t)
	f.deadLetter(t, 7)
	if _, err := queue.Replay(t.Context(), crashAfterSend{f.sqs}, queue.ReplayConfig{From: f.dlqURL, To: f.queueURL, Hold: 2 * time.Second, Max: 4}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // the interrupted run's hold expires
	if _, err := queue.Replay(t.Context(), f.sqs, queue.ReplayConfig{From: f.dlqURL, To: f.queueURL}, nil); err != nil {
		t.Fatal(err)
	}
	if v, n := f.counts(t, f.dlqURL); v+n != 0 {
		t.Errorf("DLQ not empty after rerun: %d", v+n)
	}
	seen := map[string]int{}
	for _, b := range bodies(f.drain(t, f.queueURL)) {
		seen[b]++
	}
	for i := range 7 {
		if seen["body-"+strconv.Itoa(i)] < 1 {
			t.Errorf("body-%d lost", i)
		}
	}
}

// A replay refuses, before it moves or even holds anything, a From that is
// not the DLQ named by To's RedrivePolicy (here another queue, and a queue
// that has no RedrivePolicy at all), and an unknown reason.
func TestReplayRefuses(t *testing.T) {
	f := newFixture(t)
	f.deadLetter(t, 3)
	other, err := f.sqs.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("other-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.sqs.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: other.QueueUrl, MessageBody: aws.String("not ours")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  queue.ReplayConfig
		want string
	}{
		{"another queue as From", queue.ReplayConfig{From: *other.QueueUrl, To: f.queueURL}, "is not the dead-letter queue of " + f.queueURL + " (its RedrivePolicy names " + f.dlqURL},
		{"To without a RedrivePolicy", queue.ReplayConfig{From: f.dlqURL, To: *other.QueueUrl}, "no RedrivePolicy"},
		{"unknown reason", queue.ReplayConfig{To: f.queueURL, Reasons: []string{"not_found", "bogus"}},
			`unknown reason "bogus" (known: bad_message, bucket_not_allowed, not_found, access_denied, too_large, bad_format, backend_rejected, retries_exhausted)`},
	}
	for _, tt := range tests {
		st, err := queue.Replay(t.Context(), f.sqs, tt.cfg, func(it queue.ReplayItem) { t.Errorf("%s: reported %+v", tt.name, it) })
		if !errors.Is(err, queue.ErrReplayRefused) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a refusal saying %q", tt.name, err, tt.want)
		}
		if st != (queue.ReplayStats{}) {
			t.Errorf("%s: stats %+v, want none", tt.name, st)
		}
	}
	if v, n := f.counts(t, f.dlqURL); v != 3 || n != 0 {
		t.Errorf("DLQ: %d visible, %d in flight; want 3, 0", v, n)
	}
	if v, n := f.counts(t, *other.QueueUrl); v != 1 || n != 0 {
		t.Errorf("other queue: %d visible, %d in flight; want 1, 0", v, n)
	}
	if v, n := f.counts(t, f.queueURL); v+n != 0 {
		t.Errorf("refused replays moved %d messages", v+n)
	}
}

// A DLQ shared by several queues: messages dead-lettered from another
// queue stay, unless Force. An empty From is To's DLQ.
func TestReplayLeavesOtherQueuesMessages(t *testing.T) {
	f := newFixture(t)
	f.deadLetter(t, 3)
	otherURL := f.queueURL[:strings.LastIndex(f.queueURL, "/")+1] + "other-work"
	f.deadLetterFrom(t, otherURL, "other-", 2)
	var left []queue.ReplayItem
	st, err := queue.Replay(t.Context(), f.sqs, queue.ReplayConfig{To: f.queueURL}, func(it queue.ReplayItem) {
		if !it.Moved {
			left = append(left, it)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Moved != 3 || st.Left != 2 || len(left) != 2 {
		t.Fatalf("stats %+v, %d left reported; want 3 moved, 2 left", st, len(left))
	}
	for _, it := range left {
		if it.SourceQueue != otherURL || it.Skipped != "from another queue: "+otherURL {
			t.Errorf("left %q: source %q, skipped %q", it.Body, it.SourceQueue, it.Skipped)
		}
	}
	if got := bodies(f.drain(t, f.queueURL)); len(got) != 3 || got[0] != "body-0" {
		t.Errorf("moved %v, want body-0..2", got)
	}
	if v, n := f.counts(t, f.dlqURL); v != 2 || n != 0 {
		t.Errorf("DLQ: %d visible, %d in flight; want the other queue's 2, visible", v, n)
	}
	st, err = queue.Replay(t.Context(), f.sqs, queue.ReplayConfig{From: f.dlqURL, To: f.queueURL, Force: true}, nil)
	if err != nil || st.Moved != 2 {
		t.Errorf("forced: %+v, %v; want 2 moved", st, err)
	}
	if v, n := f.counts(t, f.dlqURL); v+n != 0 {
		t.Errorf("DLQ holds %d after the forced replay", v+n)
	}
}

// A dry run stopped midway still leaves every message visible at once:
// the ones it listed and the ones it had received but not yet listed.
func TestReplayDryRunInterruptedReleasesAll(t *testing.T) {
	f := newFixture(t)
	f.deadLetter(t, 25)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	listed := 0
	st, err := queue.Replay(ctx, f.sqs, queue.ReplayConfig{To: f.queueURL, DryRun: true, Hold: 300 * time.Second}, func(it queue.ReplayItem) {
		if it.Moved || it.Reason == "" || it.Skipped != "dry run" {
			t.Errorf("dry run item %+v", it)
		}
		if listed++; listed == 12 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || st.Moved != 0 || st.Seen < 12 {
		t.Errorf("interrupted dry run: %+v, %v", st, err)
	}
	if v, n := f.counts(t, f.dlqURL); v != 25 || n != 0 {
		t.Errorf("DLQ after an interrupted dry run: %d visible, %d in flight; want 25, 0", v, n)
	}
}

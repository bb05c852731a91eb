package queue_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
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
	for i := range n {
		reason := "not_found"
		if i%2 == 1 {
			reason = string(outcome.ReasonRetriesExhausted)
		}
		orig := map[string]types.MessageAttributeValue{"origin": {DataType: aws.String("String"), StringValue: aws.String("upload-" + strconv.Itoa(i))}}
		attrs := queue.DeadLetterAttributes(orig, reason, errors.New("it failed"), f.queueURL, 5, time.Now())
		if _, err := f.sqs.SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: &f.dlqURL, MessageBody: aws.String("body-" + strconv.Itoa(i)), MessageAttributes: attrs}); err != nil {
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

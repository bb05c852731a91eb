package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/queue"
)

// deadLetter puts one message per reason on the stack's DLQ, as a worker
// on source would have.
func (st *stack) deadLetter(source, prefix string, reasons ...string) {
	st.t.Helper()
	for i, reason := range reasons {
		attrs := queue.DeadLetterAttributes(nil, reason, fmt.Errorf("failure %d", i), source, 5, time.Now())
		body := s3Event(bucket, prefix+strconv.Itoa(i)+".txt")
		if _, err := st.sqs.SendMessage(st.t.Context(), &sqs.SendMessageInput{QueueUrl: &st.dlqURL, MessageBody: &body, MessageAttributes: attrs}); err != nil {
			st.t.Fatal(err)
		}
	}
}

// visibleAndHidden reads a queue's counts.
func (st *stack) visibleAndHidden(url string) (visible, hidden int) {
	visible, _ = strconv.Atoi(st.attr(url, "ApproximateNumberOfMessages"))
	hidden, _ = strconv.Atoi(st.attr(url, "ApproximateNumberOfMessagesNotVisible"))
	return visible, hidden
}

// replay runs `summarizer replay args...` through the command's run
// function, on moto unless env says otherwise, and returns its exit code.
func (st *stack) replay(env map[string]string, args ...string) (code int, stdout, stderr string) {
	st.t.Helper()
	all := map[string]string{"QUEUE_URL": st.queueURL, "LOG_LEVEL": "warn"}
	for _, kv := range moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		all[k] = v
	}
	for k, v := range env {
		all[k] = v
	}
	var out, errs syncBuffer
	ctx, cancel := context.WithTimeout(st.t.Context(), 2*time.Minute)
	defer cancel()
	err := run(ctx, append([]string{"replay"}, args...), func(k string) string { return all[k] }, &out, &errs)
	var ue *settings.UsageError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &ue):
		code = 2
	default:
		code = 1
		fmt.Fprintln(&errs, "summarizer:", err)
	}
	return code, out.String(), errs.String()
}

// `summarizer replay` refuses with exit code 2, and moves nothing, a --from
// that is not the DLQ of --to, and an unknown --reason (before any AWS
// call: the endpoint here answers nothing).
func TestReplayRefusals(t *testing.T) {
	st := newStack(t)
	st.deadLetter(st.queueURL, "mine-", "not_found", "bad_format")
	other := must(st.sqs.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String("elsewhere-dlq")}))
	st.send("unrelated") // on the source queue, beside moto's s3:TestEvent
	queueBefore := st.count(st.queueURL)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"foreign --from", nil, []string{"--from", *other.QueueUrl}, "is not the dead-letter queue of " + st.queueURL},
		{"foreign DLQ_URL", map[string]string{"DLQ_URL": *other.QueueUrl}, nil, "is not the dead-letter queue of " + st.queueURL},
		{"--to without a RedrivePolicy", nil, []string{"--from", st.dlqURL, "--to", *other.QueueUrl}, "no RedrivePolicy"},
		{"unknown --reason", map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, []string{"--reason", "not_found,nope"},
			`unknown reason "nope" (known: bad_message, bucket_not_allowed, not_found, access_denied, too_large, bad_format, backend_rejected, retries_exhausted)`},
	}
	for _, tt := range tests {
		code, stdout, stderr := st.replay(tt.env, tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line saying %q", tt.name, code, stderr, tt.want)
		}
		if strings.Contains(stdout, "moved") || strings.Contains(stdout, "left") {
			t.Errorf("%s: went ahead: %q", tt.name, stdout)
		}
	}
	if v, h := st.visibleAndHidden(st.dlqURL); v != 2 || h != 0 {
		t.Errorf("DLQ after the refusals: %d visible, %d hidden; want 2, 0", v, h)
	}
	if n := st.count(st.queueURL); n != queueBefore {
		t.Errorf("source queue holds %d messages, %d before: refused replays moved some", n, queueBefore)
	}
}

// A DLQ shared with another queue: `replay` moves this queue's dead
// letters and leaves the other's, which --force then moves too. A dry run
// first lists every message with its failure reason and leaves them all
// visible.
func TestReplaySharedDLQ(t *testing.T) {
	st := newStack(t)
	st.deadLetter(st.queueURL, "mine-", "not_found", "bad_format", "retries_exhausted")
	otherQueue := st.queueURL[:strings.LastIndex(st.queueURL, "/")+1] + "other-work"
	st.deadLetter(otherQueue, "theirs-", "too_large", "bad_message")
	queueBefore := st.count(st.queueURL)

	code, stdout, stderr := st.replay(nil, "--dry-run")
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"reason=not_found", "reason=bad_format", "reason=retries_exhausted", "reason=too_large", "reason=bad_message",
		"error=failure 0", "(from another queue: " + otherQueue + ")", "seen 5, moved 0, left in the DLQ 5"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
	if v, h := st.visibleAndHidden(st.dlqURL); v != 5 || h != 0 {
		t.Errorf("DLQ after the dry run: %d visible, %d hidden; want 5, 0", v, h)
	}

	code, stdout, stderr = st.replay(nil)
	if code != 0 || !strings.Contains(stdout, "seen 5, moved 3, left in the DLQ 2") {
		t.Fatalf("replay: exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	moved, left := 0, 0
	for _, line := range strings.Split(stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "moved\t") && strings.Contains(line, "/mine-"):
			moved++
		case strings.HasPrefix(line, "left\t") && strings.Contains(line, "/theirs-"):
			left++
		case strings.HasPrefix(line, "moved\t"), strings.HasPrefix(line, "left\t"):
			t.Errorf("wrong fate: %s", line)
		}
	}
	if moved != 3 || left != 2 {
		t.Errorf("%d of ours moved, %d of theirs left; want 3 and 2:\n%s", moved, left, stdout)
	}
	if v, h := st.visibleAndHidden(st.dlqURL); v != 2 || h != 0 {
		t.Errorf("DLQ after the replay: %d visible, %d hidden; want the other queue's 2, visible", v, h)
	}
	if n := st.count(st.queueURL); n != queueBefore+3 {
		t.Errorf("source queue holds %d, want %d", n, queueBefore+3)
	}

	code, stdout, stderr = st.replay(nil, "--force")
	if code != 0 || !strings.Contains(stdout, "seen 2, moved 2, left in the DLQ 0") {
		t.Fatalf("replay --force: exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	if n := st.count(st.dlqURL); n != 0 {
		t.Errorf("DLQ holds %d after --force", n)
	}
}

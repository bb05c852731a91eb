package queue

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestDLQFromRedrivePolicy(t *testing.T) {
	t.Parallel()
	const q = "https://sqs.eu-west-1.amazonaws.com/123456789012/work"
	tests := []struct {
		policy, want, err string
	}{
		{`{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:work-dlq","maxReceiveCount":"5"}`, "https://sqs.eu-west-1.amazonaws.com/123456789012/work-dlq", ""},
		{"", "", "no RedrivePolicy"},
		{"{", "", "parse"},
		{`{"deadLetterTargetArn":"arn:aws:sns:eu-west-1:1:x"}`, "", "not an SQS queue ARN"},
		{`{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:a/../b"}`, "", "not an SQS queue ARN"},
	}
	for _, tt := range tests {
		got, err := DLQFromRedrivePolicy(q, tt.policy)
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("DLQFromRedrivePolicy(%q) = %q, %v; want %q, %q", tt.policy, got, err, tt.want, tt.err)
		}
	}
}

func TestDeadLetterAttributesKeepWithinLimit(t *testing.T) {
	t.Parallel()
	orig := map[string]types.MessageAttributeValue{}
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "summarizer.reason"} {
		orig[n] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(n)}
	}
	long := errors.New(strings.Repeat("é", 2000))
	got := DeadLetterAttributes(orig, "not_found", long, "q", 3, time.Unix(0, 0))
	if len(got) != maxAttributes {
		t.Errorf("%d attributes, want %d", len(got), maxAttributes)
	}
	if *got[AttrReason].StringValue != "not_found" || *got[AttrReceiveCount].StringValue != "3" || *got[AttrFailedAt].StringValue != "1970-01-01T00:00:00Z" {
		t.Errorf("summarizer attributes wrong: %v", got)
	}
	if e := *got[AttrError].StringValue; len(e) > maxErrorLen+4 {
		t.Errorf("error attribute %d bytes, not truncated", len(e))
	}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		if _, ok := got[n]; !ok {
			t.Errorf("original attribute %s dropped", n)
		}
	}
}

// FuzzDLQFromRedrivePolicy: a RedrivePolicy is outside input (any IAM
// principal allowed to SetQueueAttributes writes it). Whatever it holds,
// the parser never panics, and a URL it returns is the queue's own URL
// with only the last path element replaced by a plain queue name.
func FuzzDLQFromRedrivePolicy(f *testing.F) {
	for _, seed := range []struct{ url, policy string }{
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:work-dlq","maxReceiveCount":"5"}`},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work.fifo", `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:work-dlq.fifo","maxReceiveCount":5}`},
		{"http://127.0.0.1:4566/000000000000/q", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:q_dlq"}`},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", ""},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", "{"},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:../../evil"}`},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:a/b?c#d"}`},
		{"no-slash", `{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:dlq"}`},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", `{"deadLetterTargetArn":"arn:aws:sns:eu-west-1:1:x"}`},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", `{"deadLetterTargetArn":7}`},
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/work", `null`},
	} {
		f.Add(seed.url, seed.policy)
	}
	f.Fuzz(func(t *testing.T, queueURL, policy string) {
		got, err := DLQFromRedrivePolicy(queueURL, policy)
		if err != nil {
			if got != "" {
				t.Errorf("error %v with a URL %q", err, got)
			}
			return
		}
		i := strings.LastIndex(queueURL, "/")
		if i < 0 || !strings.HasPrefix(got, queueURL[:i+1]) {
			t.Fatalf("DLQ %q is not beside the queue %q", got, queueURL)
		}
		if name := got[i+1:]; !validQueueName(name) {
			t.Errorf("DLQ %q: %q is not a queue name", got, name)
		}
	})
}

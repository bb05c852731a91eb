package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Message attributes set on every dead-lettered message.
const (
	AttrError        = "summarizer.error"
	AttrReason       = "summarizer.reason"
	AttrSourceQueue  = "summarizer.source_queue"
	AttrReceiveCount = "summarizer.receive_count"
	AttrFailedAt     = "summarizer.failed_at"

	attrPrefix = "summarizer."
	// maxAttributes is SQS's limit of message attributes per message.
	maxAttributes = 10
	maxErrorLen   = 1024
)

// DeadLetterAttributes returns the attributes of a dead-lettered message:
// the original ones (other than summarizer.*, as many as fit SQS's limit of
// 10, in name order) plus the five summarizer.* attributes.
func DeadLetterAttributes(orig map[string]types.MessageAttributeValue, reason string, cause error, sourceQueue string, receiveCount int, at time.Time) map[string]types.MessageAttributeValue {
	msg := reason
	if cause != nil {
		msg = cause.Error()
	}
	attrs := map[string]types.MessageAttributeValue{
		AttrError:        stringAttr(truncate(msg, maxErrorLen)),
		AttrReason:       stringAttr(reason),
		AttrSourceQueue:  stringAttr(sourceQueue),
		AttrReceiveCount: {DataType: aws.String("Number"), StringValue: aws.String(strconv.Itoa(receiveCount))},
		AttrFailedAt:     stringAttr(at.UTC().Format(time.RFC3339)),
	}
	for _, name := range OriginalAttributeNames(orig) {
		if len(attrs) >= maxAttributes {
			break
		}
		attrs[name] = orig[name]
	}
	return attrs
}

// OriginalAttributeNames lists the names of attrs that are not summarizer.*,
// sorted.
func OriginalAttributeNames(attrs map[string]types.MessageAttributeValue) []string {
	var names []string
	for name := range attrs {
		if !strings.HasPrefix(name, attrPrefix) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func stringAttr(s string) types.MessageAttributeValue {
	if s == "" {
		s = "-" // SQS refuses empty attribute values
	}
	return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s)}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// redrivePolicy reads the RedrivePolicy attribute of the queue at url (one
// GetQueueAttributes request, counted in m if not nil); "" if it has none.
func redrivePolicy(ctx context.Context, api leaseAPI, m *Metrics, url string) (string, error) {
	if m != nil {
		m.request("GetQueueAttributes")
	}
	out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy},
	})
	if err != nil {
		return "", fmt.Errorf("read the RedrivePolicy of %s: %w", url, err)
	}
	return out.Attributes[string(types.QueueAttributeNameRedrivePolicy)], nil
}

// DLQFromRedrivePolicy returns the URL of the dead-letter queue named by a
// queue's RedrivePolicy attribute. The DLQ is in the same account and region
// as the queue, so its URL is the queue's URL with the last path element
// replaced by the DLQ's name.
func DLQFromRedrivePolicy(queueURL, policy string) (string, error) {
	if policy == "" {
		return "", errors.New("the queue has no RedrivePolicy")
	}
	var rp struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if err := json.Unmarshal([]byte(policy), &rp); err != nil {
		return "", fmt.Errorf("parse RedrivePolicy: %w", err)
	}
	parts := strings.Split(rp.DeadLetterTargetArn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || !validQueueName(parts[5]) {
		return "", fmt.Errorf("RedrivePolicy deadLetterTargetArn %q is not an SQS queue ARN", rp.DeadLetterTargetArn)
	}
	i := strings.LastIndex(queueURL, "/")
	if i < 0 {
		return "", fmt.Errorf("queue URL %q has no path", queueURL)
	}
	return queueURL[:i+1] + parts[5], nil
}

func isFIFO(url string) bool { return strings.HasSuffix(url, ".fifo") }

// validQueueName reports whether name is an SQS queue name: 1 to 80
// letters, digits, hyphens and underscores, a FIFO queue's ending in .fifo.
// Anything else (a slash, "..") would make DLQFromRedrivePolicy point
// somewhere that is not a queue beside the source.
func validQueueName(name string) bool {
	if len(name) == 0 || len(name) > 80 {
		return false
	}
	base := strings.TrimSuffix(name, ".fifo")
	if base == "" {
		return false
	}
	for _, r := range base {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

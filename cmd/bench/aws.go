package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

const bucket = "bench-transcripts"

// createQueues creates name and name-dlq (RedrivePolicy, maxReceiveCount 10)
// and returns the source queue's URL.
func createQueues(ctx context.Context, sqsc *sqs.Client, name string) (string, error) {
	dlq, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		return "", fmt.Errorf("create DLQ: %w", err)
	}
	a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", err
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"VisibilityTimeout": "60",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"10"}`, a.Attributes["QueueArn"]),
	}})
	if err != nil {
		return "", fmt.Errorf("create queue: %w", err)
	}
	return aws.ToString(q.QueueUrl), nil
}

// transcript is the synthetic text of message id: about 2 KB of dialogue,
// one chunk at the default CHUNK_TOKENS, starting with the id so that the
// bench can follow the message into the RunPod /run body.
func transcript(id int) string {
	lines := []string{
		"Priya: Morning, everyone. Let's keep this short, we have the release review at eleven.",
		"Marco: Yesterday I finished the retry logic for the payment webhook; it backs off exponentially and gives up after five attempts.",
		"Priya: Did you test it against the sandbox with failures injected?",
		"Marco: Two thousand deliveries with random failures, every one delivered or in the dead-letter table. Nothing was lost.",
		"Lena: I am still on the invoice export. The PDF renderer chokes on long customer names, I have a fix in review.",
		"Priya: Can we get that merged before the release branch is cut this afternoon?",
		"Lena: Yes, if Tom reviews it this morning. It is a small change with a regression test.",
		"Tom: I will take it right after this call. On my side the dashboard queries are now under a second at the 95th percentile.",
		"Priya: Good. What about the alert that fired twice last night?",
		"Tom: A disk filled up on the reporting replica; I added a retention job and an alert at seventy percent.",
		"Marco: The sandbox rate limit is lower than production, so the load test took most of the afternoon.",
		"Priya: Let's ask the provider for a higher sandbox limit. Anything else before the review? No? Thanks, all.",
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Meeting m-%06d.\n", id)
	for i := range 24 {
		b.WriteString(lines[(id+i*5)%len(lines)])
		b.WriteByte('\n')
	}
	return b.String()
}

func objectKey(id int) string { return fmt.Sprintf("uploads/m-%06d.txt", id) }

// setupBucket creates the bucket with an S3 → SQS notification of every
// ObjectCreated under uploads/ to queueURL, as a deployment has it: an
// upload is an arrival, and moto enqueues its event inside the PutObject.
// The s3:TestEvent the configuration sends is removed before anyone looks.
func setupBucket(ctx context.Context, s3c *s3.Client, sqsc *sqs.Client, queueURL string) error {
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket: %w", err)
	}
	a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return err
	}
	_, err = s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(a.Attributes["QueueArn"]),
			Events:   []s3types.Event{"s3:ObjectCreated:*"},
			Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
				{Name: s3types.FilterRuleNamePrefix, Value: aws.String("uploads/")},
			}}},
		}}},
	})
	if err != nil {
		return fmt.Errorf("bucket notification: %w", err)
	}
	for range 5 {
		out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			return err
		}
		for _, m := range out.Messages {
			if _, err := sqsc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				return err
			}
			if strings.Contains(aws.ToString(m.Body), "s3:TestEvent") {
				return nil
			}
		}
	}
	return nil // no test event: nothing to remove
}

// upload puts the transcript of message id into the bucket: one arrival. It
// returns when the PutObject was started and when moto acknowledged it (the
// event is in the queue by then).
func upload(ctx context.Context, s3c *s3.Client, id int) (start, acked time.Time, err error) {
	body := transcript(id)
	start = time.Now()
	_, err = s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(objectKey(id)),
		Body: strings.NewReader(body), ContentLength: aws.Int64(int64(len(body))), ContentType: aws.String("text/plain; charset=utf-8")})
	if err != nil {
		return start, time.Time{}, fmt.Errorf("upload %s: %w", objectKey(id), err)
	}
	return start, time.Now(), nil
}

// waitQueueEmpty waits until the queue holds no message, visible or not
// (every delete flushed).
func waitQueueEmpty(ctx context.Context, sqsc *sqs.Client, queueURL string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err == nil && a.Attributes["ApproximateNumberOfMessages"] == "0" && a.Attributes["ApproximateNumberOfMessagesNotVisible"] == "0" {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// motoProbe is moto's raw rate for a few calls, measured directly (no proxy).
type motoProbe struct {
	SendMessageBatch1 float64 `json:"send_message_batch_per_s_1_client"`
	ReceiveMessage1   float64 `json:"receive_message_per_s_1_client"`
	DeepDepth         int     `json:"deep_queue_depth"`
	ReceiveDeep1      float64 `json:"receive_message_10_per_s_deep_queue"`
	ReceiveMessage8   float64 `json:"receive_message_per_s_8_clients"`
	HeadObject1       float64 `json:"head_object_per_s_1_client"`
	HeadObject8       float64 `json:"head_object_per_s_8_clients"`
	Window            string  `json:"window_per_probe"`
}

func rateOf(ctx context.Context, d time.Duration, clients int, call func() error) float64 {
	var n int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if call() == nil {
					mu.Lock()
					n++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

func probeMoto(ctx context.Context, s3c *s3.Client, sqsc *sqs.Client, d time.Duration) (motoProbe, error) {
	p := motoProbe{Window: d.String()}
	full, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("probe-send")})
	if err != nil {
		return p, err
	}
	empty, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("probe-empty")})
	if err != nil {
		return p, err
	}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("probe")}); err != nil {
		return p, err
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("probe"), Key: aws.String("k.txt"), Body: strings.NewReader("x")}); err != nil {
		return p, err
	}
	body := strings.Repeat("x", 600) // about the size of an S3 event
	entries := make([]sqstypes.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(body)}
	}
	p.SendMessageBatch1 = rateOf(ctx, d, 1, func() error {
		_, err := sqsc.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: full.QueueUrl, Entries: entries})
		return err
	})
	recv := func() error {
		_, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: empty.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0})
		return err
	}
	p.ReceiveMessage1 = rateOf(ctx, d, 1, recv)
	a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: full.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil {
		return p, err
	}
	p.DeepDepth, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
	p.ReceiveDeep1 = rateOf(ctx, d, 1, func() error {
		_, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: full.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60})
		return err
	})
	p.ReceiveMessage8 = rateOf(ctx, d, 8, recv)
	head := func() error {
		_, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("probe"), Key: aws.String("k.txt")})
		return err
	}
	p.HeadObject1 = rateOf(ctx, d, 1, head)
	p.HeadObject8 = rateOf(ctx, d, 8, head)
	return p, nil
}

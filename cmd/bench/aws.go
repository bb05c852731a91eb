package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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

type object struct {
	etag string
	size int
}

// upload puts the transcripts of ids [0, n) into the bucket (which has no
// notification: the bench sends the events itself).
func upload(ctx context.Context, s3c *s3.Client, n int) (map[int]object, error) {
	out := make(map[int]object, n)
	var mu sync.Mutex
	var firstErr error
	ids := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for id := range ids {
				body := transcript(id)
				r, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(objectKey(id)),
					Body: bytes.NewReader([]byte(body)), ContentType: aws.String("text/plain; charset=utf-8")})
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("upload %s: %w", objectKey(id), err)
				}
				if err == nil {
					out[id] = object{etag: strings.Trim(aws.ToString(r.ETag), `"`), size: len(body)}
				}
				mu.Unlock()
			}
		})
	}
	for id := range n {
		ids <- id
	}
	close(ids)
	wg.Wait()
	return out, firstErr
}

// eventBody is the S3 ObjectCreated notification S3 would have sent.
func eventBody(id int, obj object, now time.Time) string {
	rec := map[string]any{
		"eventVersion": "2.1",
		"eventSource":  "aws:s3",
		"awsRegion":    "us-east-1",
		"eventTime":    now.UTC().Format("2006-01-02T15:04:05.000Z"),
		"eventName":    "ObjectCreated:Put",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"configurationId": "bench",
			"bucket":          map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
			"object": map[string]any{
				"key": objectKey(id), "size": obj.size, "eTag": obj.etag,
				"sequencer": fmt.Sprintf("%016X", now.UnixNano()),
			},
		},
	}
	b, _ := json.Marshal(map[string]any{"Records": []any{rec}})
	return string(b)
}

// sendAll sends the events of ids with SendMessageBatch (10 per call, 4
// callers) and returns, per id, when the call that enqueued it started.
func sendAll(ctx context.Context, sqsc *sqs.Client, queueURL string, ids []int, objs map[int]object) (map[int]time.Time, error) {
	sent := make(map[int]time.Time, len(ids))
	var mu sync.Mutex
	var firstErr error
	batches := make(chan []int)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for batch := range batches {
				for attempt := 0; len(batch) > 0 && attempt < 5; attempt++ {
					now := time.Now()
					entries := make([]sqstypes.SendMessageBatchRequestEntry, len(batch))
					for i, id := range batch {
						entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(eventBody(id, objs[id], now))}
					}
					out, err := sqsc.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: entries})
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
						continue
					}
					var retry []int
					for _, f := range out.Failed {
						if i, err := strconv.Atoi(aws.ToString(f.Id)); err == nil && i < len(batch) {
							retry = append(retry, batch[i])
						}
					}
					mu.Lock()
					for _, id := range batch {
						sent[id] = now
					}
					for _, id := range retry {
						delete(sent, id)
					}
					mu.Unlock()
					batch = retry
				}
			}
		})
	}
	for i := 0; i < len(ids); i += 10 {
		batches <- ids[i:min(i+10, len(ids))]
	}
	close(batches)
	wg.Wait()
	if len(sent) < len(ids) {
		return sent, fmt.Errorf("sent %d of %d messages: %v", len(sent), len(ids), firstErr)
	}
	return sent, nil
}

// sendBounded sends the events of ids in batches of 10, keeping at most
// limit messages sent and not yet summarized: the worker always finds work
// waiting, while moto, whose receive costs grow with the number of messages
// in the queue, never holds a deep backlog.
func sendBounded(ctx context.Context, sqsc *sqs.Client, queueURL string, ids []int, objs map[int]object, limit int, done func() int) (map[int]time.Time, error) {
	sent := make(map[int]time.Time, len(ids))
	for i := 0; i < len(ids); {
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		if len(sent)-done() > limit-10 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		batch := ids[i:min(i+10, len(ids))]
		got, err := sendAll(ctx, sqsc, queueURL, batch, objs)
		for id, t := range got {
			sent[id] = t
		}
		if err != nil {
			return sent, err
		}
		i += len(batch)
	}
	return sent, nil
}

// sendPaced sends one SendMessage per id at rate per second (open loop: a
// slow send does not delay the next one).
func sendPaced(ctx context.Context, sqsc *sqs.Client, queueURL string, ids []int, objs map[int]object, rate float64) map[int]time.Time {
	sent := make(map[int]time.Time, len(ids))
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	for i, id := range ids {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(at); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				wg.Wait()
				return sent
			}
		}
		wg.Go(func() {
			now := time.Now()
			if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(eventBody(id, objs[id], now))}); err == nil {
				mu.Lock()
				sent[id] = now
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return sent
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
	entries := make([]sqstypes.SendMessageBatchRequestEntry, 10)
	for i := range entries {
		entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(eventBody(i, object{etag: "x", size: 1}, time.Now()))}
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

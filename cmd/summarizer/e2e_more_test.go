package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

const apiKey = "rp_test_key_7f3a9c"

// s3Event is an S3 notification body as S3 sends it (key URL-encoded).
func s3Event(bucketName, key string) string {
	ev := map[string]any{"Records": []any{map[string]any{
		"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
		"eventTime": time.Now().UTC().Format(time.RFC3339), "eventName": "ObjectCreated:Put",
		"s3": map[string]any{
			"s3SchemaVersion": "1.0",
			"bucket":          map[string]any{"name": bucketName, "arn": "arn:aws:s3:::" + bucketName},
			"object":          map[string]any{"key": strings.ReplaceAll(key, " ", "+"), "size": 100, "eTag": "", "sequencer": "0055AED6DCD90281E5"},
		},
	}}}
	b, _ := json.Marshal(ev)
	return string(b)
}

func eventBridgeEvent(bucketName, key string) string {
	ev := map[string]any{
		"version": "0", "id": "17793124-05d4-b198-2fde-7ededc63b103", "detail-type": "Object Created",
		"source": "aws.s3", "account": "123456789012", "time": time.Now().UTC().Format(time.RFC3339), "region": "us-east-1",
		"resources": []string{"arn:aws:s3:::" + bucketName},
		"detail": map[string]any{
			"version": "0", "bucket": map[string]any{"name": bucketName},
			"object":     map[string]any{"key": key, "size": 100, "etag": "", "sequencer": "00617F08299329D189"},
			"request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012", "reason": "PutObject",
		},
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

func (st *stack) makeBucket(name string) {
	st.t.Helper()
	if _, err := st.s3.CreateBucket(st.t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		st.t.Fatal(err)
	}
}

func (st *stack) putIn(bucketName, key string, body []byte) {
	st.t.Helper()
	if _, err := st.s3.PutObject(st.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucketName), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		st.t.Fatal(err)
	}
}

func (st *stack) exists(bucketName, key string) bool {
	_, err := st.s3.HeadObject(st.t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucketName), Key: aws.String(key)})
	return err == nil
}

// The TestEvent is skipped; an SNS-wrapped event (delivered by real SNS) and
// an EventBridge event are summarized.
func TestEnvelopes(t *testing.T) {
	st := newStack(t)
	_, rp := newEmulator(t, emulator.Config{})
	st.makeBucket("other") // no notifications: events about it come only from the test
	st.putIn("other", "via sns/topic notes.txt", []byte(sampleTranscript))
	st.putIn("other", "via-eventbridge/notes.txt", []byte(sampleTranscript))

	topic := must(sns.NewFromConfig(moto.AWSConfig()).CreateTopic(t.Context(), &sns.CreateTopicInput{Name: aws.String("uploads")}))
	snsClient := sns.NewFromConfig(moto.AWSConfig())
	must(snsClient.Subscribe(t.Context(), &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(st.queueArn)}))
	must(snsClient.Publish(t.Context(), &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String(s3Event("other", "via sns/topic notes.txt"))}))
	st.send(eventBridgeEvent("other", "via-eventbridge/notes.txt"))
	st.send(`{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-24T00:00:00.000Z","Bucket":"transcripts","RequestId":"X","HostId":"Y"}`)

	_, logs := st.worker(st.env(rp))
	for _, key := range []string{"summaries/via sns/topic notes.txt.summary.txt", "summaries/via-eventbridge/notes.txt.summary.txt"} {
		waitFor(t, 60*time.Second, key, func() bool { return st.exists("other", key) })
	}
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if n := st.count(st.dlqURL); n != 0 {
		t.Errorf("DLQ has %d messages: %v", n, st.dead())
	}
	// moto's own TestEvent on PutBucketNotificationConfiguration plus ours.
	if n := strings.Count(logs.String(), "s3:TestEvent"); n < 2 {
		t.Errorf("%d TestEvents logged as skipped, want at least 2", n)
	}
}

// Poison messages go to the DLQ with their reason; good messages around them
// are done.
func TestPoisonMessagesAreDeadLettered(t *testing.T) {
	st := newStack(t)
	_, rp := newEmulator(t, emulator.Config{})
	st.put("good-1.txt", []byte(sampleTranscript))
	st.put("too-large.txt", bytes.Repeat([]byte("Alice: this meeting goes on and on. "), 100))
	st.put("binary.txt", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"))
	st.put("not-utf8.txt", []byte("caf\xe9 au lait, na\xefve"))
	st.put("good-2.txt", []byte(sampleTranscript))
	st.send("this is not json {")
	st.send(`{"Records":[]}`)
	st.send(s3Event("forbidden-bucket", "a.txt"))
	st.send(s3Event(bucket, "missing/never uploaded.txt"))
	st.send(s3Event(bucket, "bad%zzescape.txt"))

	st.worker(st.env(rp, "ALLOWED_BUCKETS=transcripts", "MAX_OBJECT_BYTES=2KiB"))
	for _, key := range []string{"summaries/good-1.txt.summary.txt", "summaries/good-2.txt.summary.txt"} {
		waitFor(t, 60*time.Second, key, func() bool { return st.exists(bucket, key) })
	}
	want := map[string]string{
		"this is not json": "bad_message",
		`{"Records":[]}`:   "bad_message",
		"forbidden-bucket": "bucket_not_allowed",
		"never+uploaded":   "not_found",
		"too-large.txt":    "too_large",
		"binary.txt":       "bad_format",
		"not-utf8.txt":     "bad_format",
		"bad%zzescape":     "bad_message",
	}
	got := map[string]string{}
	waitFor(t, 60*time.Second, "every poison message in the DLQ", func() bool {
		for body, reason := range st.dead() {
			for marker := range want {
				if strings.Contains(body, marker) {
					got[marker] = reason
				}
			}
		}
		return len(got) == len(want)
	})
	for marker, reason := range want {
		if got[marker] != reason {
			t.Errorf("message with %q: reason %q, want %q", marker, got[marker], reason)
		}
	}
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
}

// RunPod answering 429, 500, FAILED, TIMED_OUT and 404-on-status: every
// sampleTranscript is summarized in the end and nothing is dead-lettered.
func TestRunPodFaults(t *testing.T) {
	st := newStack(t)
	faults := map[string]map[int]emulator.Fault{
		"run":    {1: emulator.Fault429, 2: emulator.FaultFailed, 4: emulator.FaultTimedOut, 5: emulator.FaultExpire, 6: emulator.Fault500},
		"status": {1: emulator.Fault500, 3: emulator.Fault429},
	}
	em, rp := newEmulator(t, emulator.Config{Latency: 100 * time.Millisecond, Fault: func(op string, n int) emulator.Fault {
		return faults[op][n]
	}})
	const n = 5
	for i := range n {
		st.put(fmt.Sprintf("fault-%d.txt", i), []byte(sampleTranscript))
	}
	_, logs := st.worker(st.env(rp))
	for i := range n {
		key := fmt.Sprintf("summaries/fault-%d.txt.summary.txt", i)
		waitFor(t, 90*time.Second, key, func() bool { return st.exists(bucket, key) })
	}
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ has %d messages: %v", c, st.dead())
	}
	s := em.Stats()
	if s.Jobs["FAILED"] == 0 || s.Jobs["TIMED_OUT"] == 0 {
		t.Errorf("faults not exercised: %+v", s.Jobs)
	}
	if strings.Contains(logs.String(), apiKey) {
		t.Error("the RunPod API key appears in the logs")
	}
}

// A RunPod job longer than three visibility timeouts: the message is not
// redelivered meanwhile (a second replica watches the same queue), so RunPod
// gets exactly one job per sampleTranscript.
func TestSlowJobsKeepTheirLease(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 7 * time.Second})
	st.put("slow-1.txt", []byte(sampleTranscript))
	st.put("slow-2.txt", []byte(sampleTranscript))
	env := st.env(rp, "VISIBILITY_TIMEOUT=2s")
	st.worker(env)
	st.worker(env)
	for _, key := range []string{"summaries/slow-1.txt.summary.txt", "summaries/slow-2.txt.summary.txt"} {
		waitFor(t, 60*time.Second, key, func() bool { return st.exists(bucket, key) })
	}
	if s := em.Stats(); s.Submitted != 2 {
		t.Errorf("RunPod jobs submitted %d, want 2: a message was redelivered while its job ran", s.Submitted)
	}
}

// Two replicas on one queue: every sampleTranscript summarized, none twice.
func TestTwoReplicasNoDuplicates(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 300 * time.Millisecond})
	const n = 16
	for i := range n {
		st.put(fmt.Sprintf("replica/%02d.txt", i), []byte(sampleTranscript))
	}
	env := st.env(rp, "CONCURRENCY=3")
	st.worker(env)
	st.worker(env)
	waitFor(t, 90*time.Second, "all summaries", func() bool { return len(st.summaryKeys()) == n })
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if s := em.Stats(); s.Submitted != n {
		t.Errorf("RunPod jobs submitted %d for %d transcripts", s.Submitted, n)
	}
}

// SIGTERM with jobs in flight: the process exits 0 soon after
// SHUTDOWN_TIMEOUT, releases its messages at once and leaves its RunPod jobs
// running (journaled); a second worker resumes them: no job is cancelled,
// none is submitted twice.
func TestSIGTERMLeavesJobsForTheNextReplica(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 8 * time.Second})
	const n = 3
	for i := range n {
		st.put(fmt.Sprintf("term-%d.txt", i), []byte(sampleTranscript))
	}
	env := st.env(rp, "SHUTDOWN_TIMEOUT=1s", "VISIBILITY_TIMEOUT=120s")
	cmd := exec.Command(binary, "run")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitFor(t, 60*time.Second, "jobs in flight", func() bool { return em.Stats().Submitted == n })
	time.Sleep(500 * time.Millisecond) // the job ids reach the journal
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("worker exited with %v, want 0\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("worker still running 20s after SIGTERM (SHUTDOWN_TIMEOUT 1s)\n%s", logs.String())
	}
	if c := em.Stats().Requests["cancel"]; c != 0 {
		t.Errorf("%d RunPod jobs cancelled at shutdown, want 0", c)
	}
	// Released: visible at once although the visibility timeout is 120s.
	// (Events of the worker's own job journals may be queued too: they are
	// skipped by the recursion guard, and not counted here.)
	out, err := st.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &st.queueURL, MaxNumberOfMessages: 10, VisibilityTimeout: 0})
	if err != nil {
		t.Fatal(err)
	}
	released := 0
	for _, m := range out.Messages {
		if strings.Contains(*m.Body, "term-") && !strings.Contains(*m.Body, ".jobs") {
			released++
		}
		// Visible again for the second worker: the peek only looked.
		if _, err := st.sqs.ChangeMessageVisibility(t.Context(), &sqs.ChangeMessageVisibilityInput{QueueUrl: &st.queueURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	if released != n {
		t.Errorf("%d transcript messages visible after shutdown, want %d", released, n)
	}
	if strings.Contains(logs.String(), apiKey) {
		t.Error("the RunPod API key appears in the logs")
	}
	st.worker(env)
	waitFor(t, 60*time.Second, "summaries by the second worker", func() bool { return len(st.summaryKeys()) == n })
	if s := em.Stats(); s.Submitted != n || s.Requests["cancel"] != 0 {
		t.Errorf("%d jobs submitted and %d cancelled for %d transcripts, want %d and 0: the second worker must resume the first one's jobs",
			s.Submitted, s.Requests["cancel"], n, n)
	}
}

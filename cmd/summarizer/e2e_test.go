package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/summarizer/summarizer/cmd/internal/burst"
	"github.com/summarizer/summarizer/deploy/localstack"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

var (
	moto   *localstack.Moto
	binary string // the summarizer binary, built once for process-level tests
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "summarizer-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "summarizer")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build summarizer: %v\n%s", err, out)
		os.Exit(1)
	}
	code := localstack.RunTests(m, &moto)
	os.RemoveAll(dir)
	os.Exit(code)
}

const bucket = "transcripts"

// stack is one test's S3 bucket with notifications to a queue with a DLQ.
type stack struct {
	t        testing.TB
	s3       *s3.Client
	sqs      *sqs.Client
	queueURL string
	dlqURL   string
	queueArn string
}

func newStack(t testing.TB) *stack {
	t.Helper()
	m := localstack.Need(t, moto)
	ctx := t.Context()
	cfg := m.AWSConfig()
	st := &stack{t: t, s3: s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true
	}), sqs: sqs.NewFromConfig(cfg)}
	dlq := must(st.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("summaries-dlq")}))
	st.dlqURL = *dlq.QueueUrl
	dlqArn := st.attr(st.dlqURL, "QueueArn")
	q := must(st.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("summaries"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"10"}`, dlqArn),
	}}))
	st.queueURL = *q.QueueUrl
	st.queueArn = st.attr(st.queueURL, "QueueArn")
	must(st.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}))
	must(st.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(st.queueArn), Events: []s3types.Event{"s3:ObjectCreated:*"},
		}}},
	}))
	return st
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func (st *stack) attr(url, name string) string {
	out, err := st.sqs.GetQueueAttributes(st.t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeName(name)}})
	if err != nil {
		st.t.Fatal(err)
	}
	return out.Attributes[name]
}

func (st *stack) put(key string, body []byte) {
	st.t.Helper()
	if _, err := st.s3.PutObject(st.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		st.t.Fatal(err)
	}
}

func (st *stack) send(body string) {
	st.t.Helper()
	if _, err := st.sqs.SendMessage(st.t.Context(), &sqs.SendMessageInput{QueueUrl: &st.queueURL, MessageBody: &body}); err != nil {
		st.t.Fatal(err)
	}
}

// summary returns the body and metadata of a summary, or ok=false.
func (st *stack) summary(key string) (body string, meta map[string]string, ok bool) {
	out, err := st.s3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", nil, false
	}
	defer out.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(out.Body)
	return b.String(), out.Metadata, true
}

// journals lists the job journals left under summaries/.
func (st *stack) journals() []string {
	out, err := st.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("summaries/")})
	if err != nil {
		st.t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		if strings.HasSuffix(*o.Key, ".jobs") {
			keys = append(keys, *o.Key)
		}
	}
	return keys
}

func (st *stack) summaryKeys() []string {
	out, err := st.s3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("summaries/")})
	if err != nil {
		st.t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		if strings.HasSuffix(*o.Key, ".summary.txt") || strings.HasSuffix(*o.Key, ".summary.json") {
			keys = append(keys, *o.Key)
		}
	}
	sort.Strings(keys)
	return keys
}

// counts is visible+in-flight messages of a queue.
func (st *stack) count(url string) int {
	v, _ := strconv.Atoi(st.attr(url, "ApproximateNumberOfMessages"))
	n, _ := strconv.Atoi(st.attr(url, "ApproximateNumberOfMessagesNotVisible"))
	return v + n
}

// dead returns the DLQ's messages as body → reason.
func (st *stack) dead() map[string]string {
	got := map[string]string{}
	for {
		out, err := st.sqs.ReceiveMessage(st.t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &st.dlqURL, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 60})
		if err != nil {
			st.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			got[*m.Body] = *m.MessageAttributes["summarizer.reason"].StringValue
		}
	}
}

// env is the environment of a worker on this stack.
func (st *stack) env(runpodURL string, extra ...string) map[string]string {
	env := map[string]string{
		"QUEUE_URL":           st.queueURL,
		"RUNPOD_ENDPOINT_URL": runpodURL,
		"RUNPOD_API_KEY":      "rp_test_key_7f3a9c",
		"METRICS_ADDR":        "127.0.0.1:0",
		"VISIBILITY_TIMEOUT":  "10s",
		"SHUTDOWN_TIMEOUT":    "5s",
		"CONCURRENCY":         "8",
		"RETRY_BACKOFF":       "1s",
		"LOG_LEVEL":           "debug",
	}
	for _, kv := range moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env
}

// worker runs `summarizer run` in this process until the test ends; it
// returns a stop function that drains it and returns run's error.
func (st *stack) worker(env map[string]string) (stop func() error, logs *syncBuffer) {
	st.t.Helper()
	return st.workerIn(context.Background(), env)
}

// workerIn is worker with run's context derived from parent (which may
// carry a tracer provider, see withTracerProvider).
func (st *stack) workerIn(parent context.Context, env map[string]string) (stop func() error, logs *syncBuffer) {
	st.t.Helper()
	ctx, cancel := context.WithCancel(parent)
	logs = &syncBuffer{}
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, []string{"run"}, func(k string) string { return env[k] }, logs, logs)
	}()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-errc })
		return err
	}
	st.t.Cleanup(func() {
		if err := stop(); err != nil {
			st.t.Errorf("worker: %v", err)
		}
		if st.t.Failed() {
			st.t.Logf("worker logs:\n%s", logs.String())
		}
	})
	return stop, logs
}

// waitFor polls cond until it holds or fails the test after timeout.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncBuffer collects a process's output while a test reads it.
type syncBuffer = burst.LockedBuffer

func newEmulator(t testing.TB, cfg emulator.Config) (*emulator.Server, string) {
	t.Helper()
	em, err := emulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	return em, srv.URL + "/v2/test-endpoint"
}

const sampleTranscript = `Alice: Good morning everyone, let's review the launch plan for the new billing system.
Bob: The migration scripts are ready and were tested on a copy of production last week.
Alice: Great. What about the rollback plan if the migration fails halfway?
Bob: We keep the old tables for seven days and can switch back with one configuration flag.
Carol: Support needs a short guide for customers who see duplicate invoices during the switch.
Alice: Carol, please write that guide by Thursday. We launch on Monday at nine.`

// Transcripts with awkward keys become summaries at the right keys with the
// right metadata; the queue and the DLQ end empty.
func TestEndToEndAwkwardKeys(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 200 * time.Millisecond})
	keys := map[string]string{
		"meeting.txt":                       "summaries/meeting.txt.summary.txt",
		"with space/team notes.txt":         "summaries/with space/team notes.txt.summary.txt",
		"plus+sign 1+1=2.txt":               "summaries/plus+sign 1+1=2.txt.summary.txt",
		"unicode/café-会议-ü.txt":             "summaries/unicode/café-会议-ü.txt.summary.txt",
		"deep/nested/prefix/2026/a b+c.srt": "summaries/deep/nested/prefix/2026/a b+c.srt.summary.txt",
		"percent%20literal.vtt":             "summaries/percent%20literal.vtt.summary.txt",
	}
	for k := range keys {
		st.put(k, []byte(sampleTranscript))
	}
	st.worker(st.env(rp))
	for in, out := range keys {
		var body string
		var meta map[string]string
		waitFor(t, 60*time.Second, "summary of "+in, func() bool {
			var ok bool
			body, meta, ok = st.summary(out)
			return ok
		})
		if !strings.Contains(body, "launch") && !strings.Contains(body, "migration") {
			t.Errorf("%s: summary does not look like one of the sampleTranscript: %q", out, body)
		}
		key, err := url.PathUnescape(meta["source-key"])
		if meta["source-bucket"] != bucket || err != nil || key != in || meta["source-etag"] == "" {
			t.Errorf("%s: metadata %v, want source-key %q", out, meta, in)
		}
	}
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if got := st.summaryKeys(); len(got) != len(keys) {
		t.Errorf("summaries %q, want %d (no summary of a summary)", got, len(keys))
	}
	if j := st.journals(); len(j) != 0 {
		t.Errorf("job journals left behind after success: %q", j)
	}
	if n := st.count(st.dlqURL); n != 0 {
		t.Errorf("DLQ has %d messages: %v", n, st.dead())
	}
	if s := em.Stats(); s.Submitted != len(keys) {
		t.Errorf("RunPod jobs submitted %d, want %d", s.Submitted, len(keys))
	}
}

package worker

import (
	"bytes"
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/deploy/localstack"
	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/backend"
)

var moto *localstack.Moto

func TestMain(m *testing.M) { os.Exit(localstack.RunTests(m, &moto)) }

// countingBackend is a Summarizer that counts its calls.
type countingBackend struct{ calls atomic.Int32 }

func (c *countingBackend) Summarize(ctx context.Context, doc backend.Document) (backend.Summary, error) {
	c.calls.Add(1)
	return backend.Summary{Text: "summary of " + strings.Fields(doc.Text)[0], Model: "counting", Chunks: 1, JobIDs: []string{"job-1"}}, nil
}

func newS3Worker(t *testing.T, cfg Config) (*Worker, *s3.Client, *countingBackend) {
	t.Helper()
	m := localstack.Need(t, moto)
	client := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("inbox")}); err != nil {
		t.Fatal(err)
	}
	b := &countingBackend{}
	w, err := New(client, b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w, client, b
}

func put(t *testing.T, c *s3.Client, key, body string) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("inbox"), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func createdEvent(key string) []byte {
	return []byte(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"inbox"},"object":{"key":"` + key + `","size":5}}}]}`)
}

// A redelivered message whose summary exists for the same etag costs no
// backend call; a new version of the object is summarized again.
func TestRedeliveryIsIdempotent(t *testing.T) {
	w, client, b := newS3Worker(t, Config{OutputFormat: "json"})
	put(t, client, "talk.txt", "first version of the talk")
	for i := range 3 {
		res, err := w.Process(t.Context(), createdEvent("talk.txt"), Delivery{Attempt: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := StatusDone
		if i > 0 {
			want = StatusAlreadyDone
		}
		if got := res.Records[0].Status; got != want {
			t.Errorf("delivery %d: %s, want %s", i+1, got, want)
		}
	}
	if n := b.calls.Load(); n != 1 {
		t.Errorf("backend called %d times for 3 deliveries, want 1", n)
	}
	put(t, client, "talk.txt", "second version of the talk")
	if _, err := w.Process(t.Context(), createdEvent("talk.txt"), Delivery{Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	if n := b.calls.Load(); n != 2 {
		t.Errorf("backend called %d times after a new version, want 2", n)
	}
	out, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("inbox"), Key: aws.String("summaries/talk.txt.summary.json")})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Body.Close()
	var body bytes.Buffer
	if _, err := body.ReadFrom(out.Body); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"summary": "summary of second"`, `"bucket": "inbox"`, `"key": "talk.txt"`, `"etag"`, `"size": 26`, `"model": "counting"`, `"chunks": 1`, `"runpod_job_ids": [`, `"created_at"`} {
		if !strings.Contains(body.String(), field) {
			t.Errorf("JSON summary lacks %s:\n%s", field, body.String())
		}
	}
	if ct := aws.ToString(out.ContentType); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
}

// Several records in one message: one missing object makes the message a
// permanent failure, the good record is still summarized.
func TestMultiRecordMessage(t *testing.T) {
	w, client, _ := newS3Worker(t, Config{})
	put(t, client, "ok.txt", "present and fine")
	body := []byte(`{"Records":[
		{"eventVersion":"2.1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"inbox"},"object":{"key":"ok.txt"}}},
		{"eventVersion":"2.1","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"inbox"},"object":{"key":"gone.txt"}}}]}`)
	res, err := w.Process(t.Context(), body, Delivery{Attempt: 1})
	if r, ok := outcome.IsPermanent(err); !ok || r != outcome.ReasonNotFound {
		t.Fatalf("err = %v, want not_found", err)
	}
	if res.Records[0].Status != StatusDone || res.Records[1].Status != StatusFailed {
		t.Errorf("statuses %s, %s", res.Records[0].Status, res.Records[1].Status)
	}
}

// With SIBLINGS=all, Whisper's standup.txt, .srt, .vtt and .json of one
// recording are four inputs with four summaries (never one object written
// four times), each found done on redelivery without a backend call. With
// OUTPUT_BUCKET, the same key in two buckets gives two summaries too.
func TestOneInputOneSummary(t *testing.T) {
	w, client, b := newS3Worker(t, Config{Siblings: SiblingsAll})
	files := map[string]string{
		"standup.txt":  "Alice said the launch moves to Monday.",
		"standup.srt":  "1\n00:00:01,000 --> 00:00:02,000\nAlice said the launch moves to Monday.\n",
		"standup.vtt":  "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAlice said the launch moves to Monday.\n",
		"standup.json": `{"text":"Alice said the launch moves to Monday.","segments":[]}`,
	}
	for key, body := range files {
		put(t, client, key, body)
	}
	for range 2 { // the second round is a redelivery of every message
		for key := range files {
			if _, err := w.Process(t.Context(), createdEvent(key), Delivery{Attempt: 1}); err != nil {
				t.Fatalf("%s: %v", key, err)
			}
		}
	}
	if n := b.calls.Load(); n != int32(len(files)) {
		t.Errorf("%d backend calls for %d inputs delivered twice, want one each", n, len(files))
	}
	for key := range files {
		out, err := client.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("inbox"), Key: aws.String("summaries/" + key + ".summary.txt")})
		if err != nil {
			t.Errorf("summary of %s: %v", key, err)
			continue
		}
		if got := out.Metadata[MetaSourceKey]; got != key {
			t.Errorf("summary of %s has source-key %q", key, got)
		}
	}

	shared, client2, _ := newS3Worker(t, Config{OutputBucket: "inbox", Siblings: SiblingsAll})
	if _, err := client2.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("team-b")}); err != nil {
		t.Fatal(err)
	}
	put(t, client2, "notes.txt", "Team A notes on the launch.")
	if _, err := client2.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("team-b"), Key: aws.String("notes.txt"), Body: strings.NewReader("Team B notes on hiring.")}); err != nil {
		t.Fatal(err)
	}
	for _, bkt := range []string{"inbox", "team-b"} {
		ev := strings.Replace(string(createdEvent("notes.txt")), `"name":"inbox"`, `"name":"`+bkt+`"`, 1)
		if _, err := shared.Process(t.Context(), []byte(ev), Delivery{Attempt: 1}); err != nil {
			t.Fatalf("%s: %v", bkt, err)
		}
	}
	for _, want := range []string{"summaries/inbox/notes.txt.summary.txt", "summaries/team-b/notes.txt.summary.txt"} {
		if _, err := client2.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("inbox"), Key: aws.String(want)}); err != nil {
			t.Errorf("%s: %v", want, err)
		}
	}
}

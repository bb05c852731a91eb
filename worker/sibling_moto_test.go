package worker

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/summarizer/summarizer/deploy/localstack"
)

// whisperFiles is what Whisper's --output_format all writes for one
// recording, in the order it writes them: txt first, json last.
var whisperFiles = []struct{ key, body string }{
	{"standup.txt", "Alice said the launch moves to Monday."},
	{"standup.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAlice said the launch moves to Monday.\n"},
	{"standup.srt", "1\n00:00:01,000 --> 00:00:02,000\nAlice said the launch moves to Monday.\n"},
	{"standup.tsv", "start\tend\ttext\n1000\t2000\tAlice said the launch moves to Monday.\n"},
	{"standup.json", `{"text":"Alice said the launch moves to Monday.","segments":[{"start":1.0,"end":2.0,"text":"Alice said the launch moves to Monday."}]}`},
}

// tsvToo makes .tsv work, so that all five of Whisper's files are.
var tsvToo = []string{".txt", ".srt", ".vtt", ".tsv", ".json"}

const richerWhy = "s3://inbox/standup.json is a richer transcript of the same recording (SIBLINGS=richest)"

// listingS3 is the worker's S3 with hooks on ListObjectsV2: deny answers
// AccessDenied; otherwise the listing is moto's, its objects made "just
// modified" (so that a slow machine cannot make a settle wait vanish),
// and after returns, once, runs after (an upload that lands while the
// worker settles).
type listingS3 struct {
	s3API
	deny  bool
	lists atomic.Int32
	mu    sync.Mutex
	after func()
}

func (l *listingS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	l.lists.Add(1)
	if l.deny {
		return nil, &smithy.OperationError{ServiceID: "S3", OperationName: "ListObjectsV2", Err: &awshttp.ResponseError{
			ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403}}, Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"}},
		}}
	}
	out, err := l.s3API.ListObjectsV2(ctx, in, opts...)
	if err == nil {
		for i := range out.Contents {
			out.Contents[i].LastModified = aws.Time(time.Now())
		}
	}
	l.mu.Lock()
	after := l.after
	l.after = nil
	l.mu.Unlock()
	if after != nil {
		after()
	}
	return out, err
}

// newSiblingWorker is newS3Worker with the listing hooks.
func newSiblingWorker(t *testing.T, cfg Config) (*Worker, *s3.Client, *countingBackend, *listingS3) {
	t.Helper()
	m := localstack.Need(t, moto)
	client := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("inbox")}); err != nil {
		t.Fatal(err)
	}
	l := &listingS3{s3API: client}
	b := &countingBackend{}
	w, err := New(l, b, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w, client, b, l
}

// summaries lists the summary keys under summaries/.
func summaries(t *testing.T, c *s3.Client) []string {
	t.Helper()
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("inbox"), Prefix: aws.String("summaries/")})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		if IsSummaryKey(aws.ToString(o.Key)) && !strings.HasSuffix(aws.ToString(o.Key), ".jobs") {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// Whisper's five files of one recording cost one summary, made from
// standup.json, and the four others are skipped with the reason, whether
// their events are handled at once (five goroutines, as several replicas
// would) or one at a time in any order, the worst being txt first.
func TestWhisperFilesOneSummary(t *testing.T) {
	orders := map[string][]int{
		"at once":                nil,
		"apart, txt first":       {0, 1, 2, 3, 4},
		"apart, json first":      {4, 3, 2, 1, 0},
		"apart, json in between": {1, 0, 4, 3, 2},
		"at once, twice":         nil,
	}
	for name, order := range orders {
		t.Run(name, func(t *testing.T) {
			w, client, b, l := newSiblingWorker(t, Config{InputSuffixes: tsvToo})
			for _, f := range whisperFiles {
				put(t, client, f.key, f.body)
			}
			results := make([]Result, len(whisperFiles))
			process := func(i int) {
				res, err := w.Process(t.Context(), createdEvent(whisperFiles[i].key), Delivery{Attempt: 1})
				if err != nil {
					t.Errorf("%s: %v", whisperFiles[i].key, err)
				}
				results[i] = res
			}
			rounds := 1
			if strings.Contains(name, "twice") {
				rounds = 2
			}
			for range rounds {
				if order == nil {
					var wg sync.WaitGroup
					for i := range whisperFiles {
						wg.Go(func() { process(i) })
					}
					wg.Wait()
				} else {
					for _, i := range order {
						process(i)
					}
				}
			}
			if n := b.calls.Load(); n != 1 {
				t.Errorf("%d backend calls, want 1", n)
			}
			if got := summaries(t, client); len(got) != 1 || got[0] != "summaries/standup.json.summary.txt" {
				t.Errorf("summaries %q, want the one of standup.json", got)
			}
			for i, res := range results {
				key := whisperFiles[i].key
				if key == "standup.json" {
					if res.Skipped || (res.Records[0].Status != StatusDone && res.Records[0].Status != StatusAlreadyDone) {
						t.Errorf("standup.json: %+v, want summarized", res)
					}
					continue
				}
				if !res.Skipped || res.Why != richerWhy || res.Records[0].Status != StatusSkipped {
					t.Errorf("%s: skipped %v, why %q, want skipped: %q", key, res.Skipped, res.Why, richerWhy)
				}
			}
			if n, want := l.lists.Load(), int32(rounds*len(whisperFiles)); n != want {
				t.Errorf("%d listings for %d records, want one each", n, want)
			}
		})
	}
}

// The race: the files come a second or so apart, and the richest so far
// (standup.vtt) is looked at before standup.json exists. Its look sees
// young siblings and no richer one, waits for them to settle, lists again
// and finds the json, which is then the one summary. A lone file never
// waits.
func TestSiblingSettles(t *testing.T) {
	w, client, b, l := newSiblingWorker(t, Config{SiblingSettle: time.Second})
	for _, f := range whisperFiles[:4] { // not the json yet
		put(t, client, f.key, f.body)
	}
	res, err := w.Process(t.Context(), createdEvent("standup.txt"), Delivery{Attempt: 1})
	if err != nil || res.Why != "s3://inbox/standup.vtt is a richer transcript of the same recording (SIBLINGS=richest)" {
		t.Fatalf("standup.txt: %+v, %v; want skipped for the vtt", res, err)
	}
	l.mu.Lock()
	l.after = func() { put(t, client, whisperFiles[4].key, whisperFiles[4].body) } // during the vtt's look
	l.mu.Unlock()
	for _, key := range []string{"standup.vtt", "standup.srt", "standup.json"} {
		res, err := w.Process(t.Context(), createdEvent(key), Delivery{Attempt: 1})
		if err != nil {
			t.Fatal(err)
		}
		if want := key != "standup.json"; res.Skipped != want || (want && res.Why != richerWhy) {
			t.Errorf("%s: skipped %v (%q), want %v", key, res.Skipped, res.Why, want)
		}
	}
	if got := summaries(t, client); b.calls.Load() != 1 || len(got) != 1 || got[0] != "summaries/standup.json.summary.txt" {
		t.Errorf("%d backend calls, summaries %q; want one, of standup.json", b.calls.Load(), got)
	}
	if n := l.lists.Load(); n != 5 {
		t.Errorf("%d listings, want 5: one per record and one more after the vtt's wait", n)
	}

	put(t, client, "solo.txt", "Bob will send the notes.")
	if res, err := w.Process(t.Context(), createdEvent("solo.txt"), Delivery{Attempt: 1}); err != nil || res.Records[0].Status != StatusDone {
		t.Fatalf("solo.txt: %+v, %v", res, err)
	}
	if n := l.lists.Load(); n != 6 {
		t.Errorf("a lone file listed %d times, want once", n-5)
	}
}

// A richer sibling that arrives after a poorer one was summarized is
// summarized too (the poorer summary stays); a poorer one that arrives
// after the richer is skipped.
func TestLateSiblings(t *testing.T) {
	w, client, b, _ := newSiblingWorker(t, Config{})
	put(t, client, "standup.txt", whisperFiles[0].body)
	if res, err := w.Process(t.Context(), createdEvent("standup.txt"), Delivery{Attempt: 1}); err != nil || res.Skipped {
		t.Fatalf("lone standup.txt: %+v, %v", res, err)
	}
	put(t, client, "standup.json", whisperFiles[4].body)
	if res, err := w.Process(t.Context(), createdEvent("standup.json"), Delivery{Attempt: 1}); err != nil || res.Skipped {
		t.Fatalf("late standup.json: %+v, %v", res, err)
	}
	put(t, client, "standup.srt", whisperFiles[2].body)
	if res, err := w.Process(t.Context(), createdEvent("standup.srt"), Delivery{Attempt: 1}); err != nil || !res.Skipped || res.Why != richerWhy {
		t.Fatalf("late standup.srt: %+v, %v", res, err)
	}
	if got := summaries(t, client); b.calls.Load() != 2 || len(got) != 2 {
		t.Errorf("%d backend calls, summaries %q; want the txt's and the json's", b.calls.Load(), got)
	}
}

// Without s3:ListBucket every file is summarized, as with SIBLINGS=all,
// and the denial is logged once; SIBLINGS=all lists nothing.
func TestSiblingsFallBack(t *testing.T) {
	for _, tt := range []struct {
		name     string
		siblings string
		deny     bool
	}{{"listing denied", "", true}, {"SIBLINGS=all", SiblingsAll, false}} {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := observer.New(zap.WarnLevel)
			w, client, b, l := newSiblingWorker(t, Config{Siblings: tt.siblings, Logger: zap.New(core)})
			l.deny = tt.deny
			for _, f := range whisperFiles {
				put(t, client, f.key, f.body)
			}
			for _, f := range whisperFiles {
				if _, err := w.Process(t.Context(), createdEvent(f.key), Delivery{Attempt: 1}); err != nil {
					t.Fatalf("%s: %v", f.key, err)
				}
			}
			// .tsv is not in the default INPUT_SUFFIXES: four are work.
			if got := summaries(t, client); b.calls.Load() != 4 || len(got) != 4 {
				t.Errorf("%d backend calls, summaries %q; want one per file that is work", b.calls.Load(), got)
			}
			wantLogs, wantLists := 0, int32(0)
			if tt.deny {
				wantLogs, wantLists = 1, 4
			}
			if n := logs.FilterMessageSnippet("s3:ListBucket").Len(); n != wantLogs {
				t.Errorf("%d log lines about the listing, want %d", n, wantLogs)
			}
			if n := l.lists.Load(); n != wantLists {
				t.Errorf("%d listings, want %d", n, wantLists)
			}
		})
	}
}

func TestSiblingsSetting(t *testing.T) {
	t.Parallel()
	if _, err := New(fakeS3{}, &countingBackend{}, Config{Siblings: "some"}); err == nil || !strings.Contains(err.Error(), "richest") {
		t.Errorf("SIBLINGS=some: %v", err)
	}
	for _, v := range []string{"", SiblingsRichest, SiblingsAll} {
		w, err := New(fakeS3{}, &countingBackend{}, Config{Siblings: v})
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if (w.siblings != nil) != (v != SiblingsAll) {
			t.Errorf("%q: sibling rule on %v", v, w.siblings != nil)
		}
	}
}

package sibling

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/summarizer/summarizer/queue/outcome"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, stem, ext string
		ok             bool
	}{
		{"standup.json", "standup", ".json", true},
		{"calls/2026/standup.VTT", "calls/2026/standup", ".vtt", true},
		{"standup.srt.gz", "standup", ".srt", true},
		{"standup.TXT.GZ", "standup", ".txt", true},
		{"a.b/standup.tsv", "a.b/standup", ".tsv", true},
		{"notes.text", "notes", ".text", true},
		{"notes.md", "notes", ".md", true},
		{"standup.old.txt", "standup.old", ".txt", true},
		{"with space/café 会议.txt", "with space/café 会议", ".txt", true},
		{"standup.pdf", "", "", false},
		{"standup.gz", "", "", false},
		{"standup", "", "", false},
		{".json", "", "", false},
		{"dir.json/standup", "", "", false},
		{"standup.json.summary.txt", "standup.json.summary", ".txt", true},
		{"", "", "", false},
	}
	for _, tt := range tests {
		n, ok := Parse(tt.key)
		if ok != tt.ok || n.Stem != tt.stem || n.Ext != tt.ext || (ok && n.Key != tt.key) {
			t.Errorf("Parse(%q) = %+v, %v; want stem %q ext %q, %v", tt.key, n, ok, tt.stem, tt.ext, tt.ok)
		}
	}
}

// Speakers over timings over plain text, .gz as its inner extension, and
// ties ordered by key, so that any set has one richest.
func TestRicher(t *testing.T) {
	t.Parallel()
	order := []string{"s.JSON.gz", "s.json", "s.json.gz", "s.vtt", "s.srt.gz", "s.tsv", "s.md", "s.text", "s.txt", "s.txt.gz"}
	for i, a := range order {
		na, _ := Parse(a)
		for j, b := range order {
			nb, _ := Parse(b)
			if got, want := na.Richer(nb), i < j; got != want {
				t.Errorf("%s richer than %s: %v, want %v", a, b, got, want)
			}
		}
	}
	reversed := slices.Clone(order)
	slices.Reverse(reversed)
	for _, perm := range [][]string{order, reversed} {
		best, _ := Parse(perm[0])
		for _, k := range perm[1:] {
			if n, _ := Parse(k); n.Richer(best) {
				best = n
			}
		}
		if best.Key != order[0] {
			t.Errorf("richest of %v: %s", perm, best.Key)
		}
	}
}

// fakeLister answers each listing with the next of its scripted answers
// (the last one repeats), keys modified now unless given an offset
// ("key@-10s": modified 10 s ago).
type fakeLister struct {
	base     time.Time // "now" of the answers: when the first listing came
	mu       sync.Mutex
	answers  [][]string
	err      error
	prefixes []string
}

func (f *fakeLister) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.prefixes = append(f.prefixes, aws.ToString(in.Prefix))
	if f.err != nil {
		return nil, f.err
	}
	keys := f.answers[min(len(f.prefixes), len(f.answers))-1]
	if f.base.IsZero() {
		f.base = time.Now()
	}
	out := &s3.ListObjectsV2Output{}
	for _, k := range keys {
		at := f.base
		if key, age, ok := strings.Cut(k, "@"); ok {
			d, _ := time.ParseDuration(age)
			k, at = key, at.Add(d)
		}
		out.Contents = append(out.Contents, s3types.Object{Key: aws.String(k), LastModified: aws.Time(at)})
	}
	return out, nil
}

type apiErr string

func (e apiErr) Error() string                 { return string(e) }
func (e apiErr) ErrorCode() string             { return string(e) }
func (e apiErr) ErrorMessage() string          { return string(e) }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

func TestFinder(t *testing.T) {
	t.Parallel()
	whisper := []string{"standup.txt", "standup.srt", "standup.vtt", "standup.tsv", "standup.json"}
	noTSV := func(_, key string) bool { return !strings.HasSuffix(key, ".tsv") }
	tests := []struct {
		name    string
		key     string
		answers [][]string
		isWork  func(bucket, key string) bool
		richer  string
		looks   int
		waited  bool
	}{
		{"poorer, richer there", "standup.txt", [][]string{whisper}, noTSV, "standup.json", 1, false},
		{"richest", "standup.json", [][]string{whisper}, noTSV, "", 1, false},
		{"vtt without json", "standup.srt", [][]string{{"standup.srt@-1m", "standup.vtt@-1m"}}, nil, "standup.vtt", 1, false},
		{"single file", "talk.txt", [][]string{{"talk.txt"}}, nil, "", 1, false},
		{"no transcript extension", "talk.log", nil, nil, "", 0, false},
		{"other recordings under the prefix", "standup.txt", [][]string{{"standup.txt", "standup.old.json", "standup.json.summary.txt", "standup.pdf"}}, nil, "", 1, false},
		{"a sibling that is no work", "standup.txt", [][]string{{"standup.txt", "standup.tsv@-1m"}}, noTSV, "", 1, false},
		{"gz sibling", "standup.txt", [][]string{{"standup.txt", "standup.json.gz"}}, nil, "standup.json.gz", 1, false},
		{"tie, key order", "standup.txt.gz", [][]string{{"standup.txt", "standup.txt.gz"}}, nil, "standup.txt", 1, false},
		{"settled siblings, no wait", "standup.txt", [][]string{{"standup.txt@-1m", "standup.srt@-1m"}}, nil, "standup.srt", 1, false},
		{"old siblings, none richer: no wait", "standup.srt", [][]string{{"standup.txt@-1m", "standup.srt@-1m"}}, nil, "", 1, false},
		{"young siblings: settle, then the json", "standup.vtt", [][]string{{"standup.txt", "standup.vtt"}, whisper}, nil, "standup.json", 2, true},
		{"young siblings that settle without a richer one", "standup.srt", [][]string{{"standup.txt", "standup.srt"}}, nil, "", 2, true},
		{"json never waits", "standup.json", [][]string{{"standup.txt", "standup.json"}}, nil, "", 1, false},
		// Keys modified "in an hour" (a clock behind S3's) never settle:
		// each look waits Settle at most, and the looks are bounded.
		{"siblings that never settle: a few looks at most", "standup.srt", [][]string{{"standup.txt@1h", "standup.srt@1h"}}, nil, "", maxLooks, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := &fakeLister{answers: tt.answers}
			f := &Finder{S3: l, IsWork: tt.isWork, Settle: 30 * time.Millisecond}
			res, err := f.Richer(t.Context(), "b", tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if res.Richer != tt.richer || res.Looks != tt.looks || (res.Waited > 0) != tt.waited {
				t.Errorf("Richer = %+v, want richer %q after %d looks, waited %v", res, tt.richer, tt.looks, tt.waited)
			}
			for _, p := range l.prefixes {
				if n, _ := Parse(tt.key); p != n.Stem+"." {
					t.Errorf("listed prefix %q", p)
				}
			}
		})
	}
}

// A denied listing finds nothing (one summary per file), logged once per
// bucket; a missing bucket finds nothing; another failure is the
// record's, classified; a stop ends the wait.
func TestFinderListingFails(t *testing.T) {
	t.Parallel()
	core, logs := observer.New(zap.WarnLevel)
	f := &Finder{S3: &fakeLister{err: apiErr("AccessDenied")}, Logger: zap.New(core)}
	for range 3 {
		for _, b := range []string{"one", "two"} {
			res, err := f.Richer(t.Context(), b, "standup.txt")
			if err != nil || res.Richer != "" {
				t.Fatalf("denied listing: %+v, %v", res, err)
			}
		}
	}
	if n := logs.Len(); n != 2 {
		t.Errorf("%d log lines for 6 denied listings of 2 buckets, want 2", n)
	}

	f = &Finder{S3: &fakeLister{err: apiErr("NoSuchBucket")}}
	if res, err := f.Richer(t.Context(), "gone", "standup.txt"); err != nil || res.Richer != "" {
		t.Errorf("missing bucket: %+v, %v", res, err)
	}

	f = &Finder{S3: &fakeLister{err: apiErr("InternalError")}}
	_, err := f.Richer(t.Context(), "b", "standup.txt")
	if c := outcome.Of(err); c.Kind != outcome.Held || c.Cause != outcome.CauseOutage {
		t.Errorf("S3 error: %v (%+v), want held for an outage", err, c)
	}

	ctx, cancel := context.WithCancelCause(t.Context())
	stop := errors.New("shutdown")
	cancel(stop)
	f = &Finder{S3: &fakeLister{answers: [][]string{{"standup.txt", "standup.srt"}}}, Settle: time.Hour}
	if _, err := f.Richer(ctx, "b", "standup.srt"); !errors.Is(err, stop) {
		t.Errorf("stopped during the settle wait: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, k := range []string{"standup.json", "a/b.SRT.gz", "x.txt", ".json", "a.gz", "a..txt", "é.md"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		n, ok := Parse(key)
		if !ok {
			return
		}
		if n.Key != key || n.Stem == "" || n.Rank() == 0 || !strings.HasPrefix(key, n.Stem+".") {
			t.Fatalf("Parse(%q) = %+v", key, n)
		}
		rest := strings.ToLower(key[len(n.Stem):])
		if rest != n.Ext && rest != n.Ext+".gz" {
			t.Fatalf("Parse(%q): %q is not the extension %q", key, rest, n.Ext)
		}
		if n.Richer(n) {
			t.Fatal("a name richer than itself")
		}
	})
}

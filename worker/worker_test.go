package worker

import (
	"net/url"
	"strings"
	"testing"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/event"
)

func TestSummaryKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, format, want string }{
		{"name.txt", "text", "name.txt.summary.txt"},
		{"path/to/name.srt", "text", "path/to/name.srt.summary.txt"},
		{"path/name.vtt", "json", "path/name.vtt.summary.json"},
		{"noext", "text", "noext.summary.txt"},
		{"dir.v2/noext", "text", "dir.v2/noext.summary.txt"},
		{"a b+c/café 会议.txt", "text", "a b+c/café 会议.txt.summary.txt"},
		{".hidden", "text", ".hidden.summary.txt"},
		{"rec.srt.gz", "text", "rec.srt.gz.summary.txt"},
	}
	for _, tt := range tests {
		if got := SummaryKey(tt.in, tt.format); got != tt.want {
			t.Errorf("SummaryKey(%q, %q) = %q, want %q", tt.in, tt.format, got, tt.want)
		}
	}
}

func TestSkipRules(t *testing.T) {
	t.Parallel()
	w, err := New(fakeS3{}, backend.Extractive{}, Config{InputPrefix: "in/"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(fakeS3{}, backend.Extractive{}, Config{OutputBucket: "out"})
	if err != nil {
		t.Fatal(err)
	}
	created := func(bucket, key string) event.Record {
		return event.Record{Bucket: bucket, Key: key, EventName: "ObjectCreated:Put"}
	}
	tests := []struct {
		w        *Worker
		rec      event.Record
		skipWhy  string // substring, "" = is work
		describe string
	}{
		{w, created("b", "in/a.txt"), "", "plain work"},
		{w, created("b", "in/A.TXT"), "", "suffix case-insensitive"},
		{w, created("b", "in/a.pdf"), "suffix", "wrong suffix"},
		{w, created("b", "other/a.txt"), "input prefix", "outside prefix"},
		{w, created("b", "summaries/in/a.summary.txt"), "recursion", "own output"},
		{w, created("b", "in/x.summary.json"), "recursion", "a summary anywhere"},
		{w, created("b", "summaries/in/a.txt"), "recursion", "under output prefix of the same bucket"},
		{other, created("b", "summaries/a.txt"), "", "output prefix in another bucket is work"},
		{w, event.Record{Bucket: "b", Key: "in/a.txt", EventName: "ObjectRemoved:Delete"}, "not an object creation", "removal"},
	}
	for _, tt := range tests {
		got := tt.w.skip(tt.rec)
		if (tt.skipWhy == "") != (got == "") || !strings.Contains(got, tt.skipWhy) {
			t.Errorf("%s: skip = %q, want %q", tt.describe, got, tt.skipWhy)
		}
	}
}

func TestReadTextClassifies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, key, want string
		reason        outcome.Reason
	}{
		{"hello\r\nworld", "a.txt", "hello\nworld", ""},
		{"\xef\xbb\xbfBOM text", "a.txt", "BOM text", ""},
		{"café 会议 🎉", "a.txt", "café 会议 🎉", ""},
		{"a\x00b", "a.txt", "", outcome.ReasonBadFormat},
		{"caf\xe9", "a.txt", "", outcome.ReasonBadFormat},
		{"  \n\t ", "a.txt", "", outcome.ReasonBadFormat},
		{"", "a.txt", "", outcome.ReasonBadFormat},
		{"1\n00:00:01,000 --> 00:00:02,000\nAlice: hi there\n", "a.srt", "Alice: hi there", ""},
	}
	for _, tt := range tests {
		got, _, err := ReadText(strings.NewReader(tt.in), tt.key, "", 1<<20)
		r, _ := outcome.IsPermanent(err)
		if strings.TrimSpace(got) != tt.want || r != tt.reason || (err == nil) != (tt.reason == "") {
			t.Errorf("ReadText(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.reason)
		}
	}
}

func TestReadTextLimit(t *testing.T) {
	t.Parallel()
	_, _, err := ReadText(strings.NewReader(strings.Repeat("a", 11)), "a.txt", "", 10)
	if r, ok := outcome.IsPermanent(err); !ok || r != outcome.ReasonTooLarge {
		t.Errorf("11 bytes with limit 10: %v, want too_large", err)
	}
	text, n, err := ReadText(strings.NewReader(strings.Repeat("a", 10)), "a.txt", "", 10)
	if err != nil || n != 10 || len(text) != 10 {
		t.Errorf("10 bytes with limit 10: %q, %d, %v", text, n, err)
	}
}

func TestMetadataEscapeRoundTrips(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"plain/key.txt", "a b+c.txt", "café/会议 🎉.txt", "100%real.txt", "tab\there.txt"} {
		esc := MetadataEscape(k)
		for i := 0; i < len(esc); i++ {
			if esc[i] < 0x20 || esc[i] >= 0x7f {
				t.Errorf("MetadataEscape(%q) = %q has a non-ASCII byte", k, esc)
			}
		}
		if back, err := url.PathUnescape(esc); err != nil || back != k {
			t.Errorf("PathUnescape(MetadataEscape(%q)) = %q, %v", k, back, err)
		}
	}
	if got := MetadataEscape("plain/a b+c.txt"); got != "plain/a b+c.txt" {
		t.Errorf("an ASCII key changed: %q", got)
	}
}

package event_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/summarizer/summarizer/worker/event"
)

// addFixtures seeds f with every testdata/*.json body.
func addFixtures(f *testing.F) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzParse(f *testing.F) {
	addFixtures(f)
	for _, tt := range errorBodies {
		if len(tt.body) < 4096 {
			f.Add([]byte(tt.body))
		}
	}
	f.Add([]byte(s3Body("2.1", "ObjectCreated:Put", "a+b%2Fc%C3%A9.txt", "x.txt")))
	f.Add([]byte(snsBody(s3Body("2.2", "ObjectCreated:Copy", "%F0%9F%8E%99.vtt"))))
	f.Add([]byte(snsBody(`{"Service":"Amazon S3","Event":"s3:TestEvent"}`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := event.Parse(body)
		if err != nil {
			if len(err.Error()) > 300 {
				t.Errorf("error text is %d bytes", len(err.Error()))
			}
			return
		}
		switch env.Source {
		case event.SourceS3, event.SourceSNS, event.SourceEventBridge:
		default:
			t.Errorf("unknown Source %q", env.Source)
		}
		if env.TestEvent && len(env.Records) > 0 {
			t.Errorf("test event with %d records", len(env.Records))
		}
		if !env.TestEvent && len(env.Records) == 0 {
			t.Error("no records and not a test event")
		}
		for i, r := range env.Records {
			if r.Bucket == "" || r.Key == "" || r.RawKey == "" {
				t.Errorf("record %d: empty bucket or key: %+v", i, r)
			}
			if !utf8.ValidString(r.Key) {
				t.Errorf("record %d: key %q is not valid UTF-8", i, r.Key)
			}
			if r.Size < 0 {
				t.Errorf("record %d: negative size %d", i, r.Size)
			}
		}
	})
}

func FuzzDecodeKey(f *testing.F) {
	for _, s := range []string{
		"", "a/b/c.txt", "red+flower.jpg", "caf%C3%A9+notes%2Fday+1%2B2.txt", "%zz", "%", "a%4",
		"%C3%28", "transcripts/2024-05-01/team standup.txt", "日本語/🎙️.vtt", "100% done", "~user/._-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := event.DecodeKey(s); err == nil && !utf8.ValidString(got) {
			t.Errorf("DecodeKey(%q) = %q, not valid UTF-8", s, got)
		}

		// Keys made of unreserved characters and '/' survive QueryEscape
		// then DecodeKey, as do all valid UTF-8 keys.
		plain := strings.Map(func(r rune) rune {
			if r == '/' || r == '-' || r == '.' || r == '_' || r == '~' ||
				'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
				return r
			}
			return -1
		}, s)
		for _, key := range []string{plain, s} {
			if !utf8.ValidString(key) {
				continue
			}
			got, err := event.DecodeKey(url.QueryEscape(key))
			if err != nil || got != key {
				t.Errorf("DecodeKey(QueryEscape(%q)) = %q, %v", key, got, err)
			}
		}
	})
}

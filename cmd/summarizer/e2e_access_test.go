package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// s3Front stands between the worker and moto, as a bucket policy, a KMS
// grant and an account boundary would: moto enforces none of them. It
// answers AccessDenied to the requests deny picks, and to requests for a
// bucket whose owner (owners) is not the x-amz-expected-bucket-owner they
// carry; it counts every request and those that carry an expected owner.
type s3Front struct {
	url       string
	mu        sync.Mutex
	deny      func(method, bucket, key string) bool
	owners    map[string]string // bucket → its account, when not moto's
	requests  atomic.Int32
	withOwner atomic.Int32
}

func newS3Front(t *testing.T) *s3Front {
	t.Helper()
	target, err := url.Parse(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := &s3Front{owners: map[string]string{}}
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.requests.Add(1)
		owner := r.Header.Get("X-Amz-Expected-Bucket-Owner")
		if owner == "" {
			owner = r.URL.Query().Get("x-amz-expected-bucket-owner")
		}
		if owner != "" {
			f.withOwner.Add(1)
		}
		bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		f.mu.Lock()
		deny := f.deny != nil && f.deny(r.Method, bucket, key)
		if o, ok := f.owners[bucket]; ok && owner != "" && owner != o {
			deny = true
		}
		f.mu.Unlock()
		if deny {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			if r.Method != http.MethodHead {
				fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *s3Front) set(deny func(method, bucket, key string) bool) {
	f.mu.Lock()
	f.deny = deny
	f.mu.Unlock()
}

var readyzRe = regexp.MustCompile(`"msg":"metrics listening"[^\n]*?"addr":"([^"]+)"`)

func readyz(t *testing.T, logs *syncBuffer) int {
	t.Helper()
	m := readyzRe.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatal("no metrics address in the logs")
	}
	resp, err := http.Get("http://" + m[1] + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A hold needs evidence. Two objects the worker may not read (a bucket
// policy on their prefix) ahead of ten readable ones, CONCURRENCY=4: the
// two are dead-lettered access_denied, the ten summarized, /readyz green.
// Then every object is denied (IAM broken): new uploads are held, never
// dead-lettered, /readyz fails; when access comes back they are
// summarized by themselves. Every S3 request carries the expected bucket
// owner (the account in QUEUE_URL).
func TestAccessDeniedNeedsEvidence(t *testing.T) {
	st := newStack(t)
	front := newS3Front(t)
	front.set(func(method, bucket, key string) bool { return strings.HasPrefix(key, "locked/") })
	_, rp := newEmulator(t, emulator.Config{Latency: 300 * time.Millisecond})
	st.put("locked/a.txt", []byte(sampleTranscript))
	st.put("locked/b.txt", []byte(sampleTranscript))
	time.Sleep(200 * time.Millisecond) // the locked ones are first in the queue
	for i := range 10 {
		st.put(fmt.Sprintf("open/%d.txt", i), []byte(sampleTranscript))
	}
	_, logs := st.worker(st.env(rp, "AWS_ENDPOINT_URL_S3="+front.url, "CONCURRENCY=4", "PREFETCH=0"))
	waitFor(t, 120*time.Second, "ten summaries and two dead letters", func() bool {
		return len(st.summaryKeys()) == 10 && st.count(st.dlqURL) == 2
	})
	for body, reason := range st.dead() {
		if reason != "access_denied" || !strings.Contains(body, "locked") {
			t.Errorf("dead letter %q for %.80s", reason, body)
		}
	}
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if code := readyz(t, logs); code != 200 {
		t.Errorf("/readyz %d after the dead letters, want 200", code)
	}

	front.set(func(string, string, string) bool { return true }) // IAM broken
	st.put("later/x.txt", []byte(sampleTranscript))
	st.put("later/y.txt", []byte(sampleTranscript))
	waitFor(t, 60*time.Second, "/readyz failing while held", func() bool { return readyz(t, logs) == 503 })
	time.Sleep(5 * time.Second)
	if n := st.count(st.dlqURL); n != 2 {
		t.Errorf("%d messages in the DLQ while every object was denied, want the 2 from before (held)", n)
	}
	front.set(nil)
	waitFor(t, 120*time.Second, "the held uploads summarized", func() bool { return len(st.summaryKeys()) == 12 })
	waitFor(t, 30*time.Second, "/readyz green again", func() bool { return readyz(t, logs) == 200 })
	if got, all := front.withOwner.Load(), front.requests.Load(); got != all {
		t.Errorf("%d of %d S3 requests carry ExpectedBucketOwner, want all", got, all)
	}
	t.Logf("S3 requests %d, all with the expected owner", front.requests.Load())
}

// A forged event for a bucket of another account: ExpectedBucketOwner makes
// S3 refuse it, and no object of that bucket is read or written.
func TestForeignBucketIsNeverRead(t *testing.T) {
	st := newStack(t)
	front := newS3Front(t)
	st.makeBucket("other-team")
	st.putIn("other-team", "secret.txt", []byte(sampleTranscript))
	front.mu.Lock()
	front.owners["other-team"] = "999999999999"
	front.mu.Unlock()
	_, rp := newEmulator(t, emulator.Config{})
	st.send(s3Event("other-team", "secret.txt"))
	st.put("mine.txt", []byte(sampleTranscript))
	st.worker(st.env(rp, "AWS_ENDPOINT_URL_S3="+front.url, "ALLOWED_BUCKETS="+bucket+",other-team"))
	waitFor(t, 60*time.Second, "own summary", func() bool { return len(st.summaryKeys()) == 1 })
	time.Sleep(2 * time.Second)
	if st.exists("other-team", "summaries/secret.txt.summary.txt") {
		t.Error("a summary was written into another account's bucket")
	}
}

// A fresh replica with one slot whose only message is an object it may not
// read has read nothing of the bucket: the evidence comes from a listing
// probe (another object of the bucket is readable), so the message is
// dead-lettered access_denied instead of held with no end.
func TestAccessDeniedFreshReplicaProbes(t *testing.T) {
	st := newStack(t)
	front := newS3Front(t)
	front.set(func(method, bucket, key string) bool { return strings.HasPrefix(key, "locked/") })
	_, rp := newEmulator(t, emulator.Config{})
	st.put("readme.bin", []byte("not a transcript: its event is skipped, nothing reads it"))
	st.put("locked/a.txt", []byte(sampleTranscript))
	st.worker(st.env(rp, "AWS_ENDPOINT_URL_S3="+front.url, "CONCURRENCY=1", "PREFETCH=0"))
	waitFor(t, 60*time.Second, "the dead letter", func() bool { return st.count(st.dlqURL) == 1 })
	for _, reason := range st.dead() {
		if reason != "access_denied" {
			t.Errorf("reason %q, want access_denied", reason)
		}
	}
}

var pprofAddrRe = regexp.MustCompile(`"msg":"pprof listening"[^\n]*?"addr":"([^"]+)"`)

// PPROF=true serves Go's profiles on PPROF_ADDR (loopback by default), and
// never on METRICS_ADDR, which a cluster can reach.
func TestPprofOnItsOwnListener(t *testing.T) {
	st := newStack(t)
	_, rp := newEmulator(t, emulator.Config{})
	_, logs := st.worker(st.env(rp, "PPROF=true", "PPROF_ADDR=127.0.0.1:0"))
	var metrics, pprof string
	waitFor(t, 30*time.Second, "both listeners", func() bool {
		if m := readyzRe.FindStringSubmatch(logs.String()); m != nil {
			metrics = m[1]
		}
		if m := pprofAddrRe.FindStringSubmatch(logs.String()); m != nil {
			pprof = m[1]
		}
		return metrics != "" && pprof != ""
	})
	status := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := status("http://" + metrics + "/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ on METRICS_ADDR answers %d, want 404", code)
	}
	if code := status("http://" + pprof + "/debug/pprof/"); code != http.StatusOK {
		t.Errorf("/debug/pprof/ on PPROF_ADDR answers %d, want 200", code)
	}
	if !strings.HasPrefix(pprof, "127.0.0.1:") {
		t.Errorf("pprof listens on %s", pprof)
	}
}

package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/worker/chunk"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
	"github.com/summarizer/summarizer/worker/transcript/transcripttest"
)

// A 30,000-word transcript with CHUNK_TOKENS=500: every request RunPod
// receives fits the budget (measured on what the emulator received), every
// part of the transcript reached a chunk, and the summary is the end of one
// reduce chain.
func TestLongTranscriptMapReduce(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 20 * time.Millisecond})
	var b strings.Builder
	speakers := []string{"Alice", "Bob", "Carol", "Dmitri"}
	for i := 0; len(strings.Fields(b.String())) < 30000; i++ {
		fmt.Fprintf(&b, "%s: Topic marker%d covers the budget for region %d and the hiring plan for quarter %d. We agreed to follow up next week.\n",
			speakers[i%4], i, i%17, i%4+1)
	}
	text := b.String()
	st.put("long/all-hands.txt", []byte(text))
	st.worker(st.env(rp, "CHUNK_TOKENS=500", "SUMMARY_TOKENS=120", "OUTPUT_FORMAT=json", "CHUNK_CONCURRENCY=16"))
	var body string
	waitFor(t, 120*time.Second, "summary of the long transcript", func() bool {
		var ok bool
		body, _, ok = st.summary("summaries/long/all-hands.txt.summary.json")
		return ok
	})
	var out struct {
		Summary string   `json:"summary"`
		Chunks  int      `json:"chunks"`
		JobIDs  []string `json:"runpod_job_ids"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	stats := em.Stats()
	if out.Chunks < 40 {
		t.Errorf("%d chunks for 30,000 words at 500 tokens", out.Chunks)
	}
	dup := map[string]int{}
	for _, id := range out.JobIDs {
		dup[id]++
	}
	for id, n := range dup {
		if n > 1 {
			t.Errorf("job %s listed %d times", id, n)
		}
	}
	if len(out.JobIDs) != stats.Submitted || stats.Submitted <= out.Chunks {
		t.Errorf("%d job ids in the summary, %d jobs submitted, %d chunks: want map + reduce jobs, all listed", len(out.JobIDs), stats.Submitted, out.Chunks)
	}
	var maps, reduces int
	var all strings.Builder
	for _, in := range stats.Inputs {
		if n := chunk.EstimateTokens(in.Text); n > 500 {
			t.Errorf("job %s: input of %d tokens over CHUNK_TOKENS=500", in.JobID, n)
		}
		if strings.Contains(in.Text, "Combine them into one brief summary") {
			reduces++
			continue
		}
		maps++
		all.WriteString(in.Text)
	}
	if maps != out.Chunks || reduces == 0 {
		t.Errorf("%d map and %d reduce jobs for %d chunks", maps, reduces, out.Chunks)
	}
	seen := all.String()
	for i := 0; strings.Contains(text, fmt.Sprintf("marker%d ", i)); i++ {
		if !strings.Contains(seen, fmt.Sprintf("marker%d ", i)) {
			t.Fatalf("marker%d of the transcript reached no chunk", i)
		}
	}
	last := stats.Inputs[len(stats.Inputs)-1]
	if !strings.Contains(last.Text, "Combine them") || out.JobIDs[len(out.JobIDs)-1] != last.JobID {
		t.Errorf("the last job is not the final reduce: %s", last.JobID)
	}
}

// Real transcript formats, plain and gzipped, end to end through S3: what
// reaches the model is the clean text (no timestamps, speakers kept).
func TestTranscriptFormatsEndToEnd(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{})
	dir := "../../worker/transcript/testdata"
	fixtures := map[string]string{ // fixture → golden
		"product-sync.srt":             "product-sync.golden.txt",
		"design-review.vtt":            "design-review.golden.txt",
		"support-call.transcribe.json": "support-call.golden.txt",
		"planning.whisperx.json":       "planning.golden.txt",
	}
	uploads := map[string]string{} // key → golden text
	for fx, golden := range fixtures {
		data, err := os.ReadFile(filepath.Join(dir, fx))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, golden))
		if err != nil {
			t.Fatal(err)
		}
		st.put("formats/"+fx, data)
		uploads["formats/"+fx] = strings.TrimSpace(string(want))
	}
	// Gzipped: one by its .gz name, one by Content-Encoding.
	srt, _ := os.ReadFile(filepath.Join(dir, "product-sync.srt"))
	st.put("formats/gz/product-sync.srt.gz", gz(srt))
	uploads["formats/gz/product-sync.srt.gz"] = uploads["formats/product-sync.srt"]
	vtt, _ := os.ReadFile(filepath.Join(dir, "design-review.vtt"))
	if _, err := st.s3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("formats/gz/design-review.vtt"),
		Body: bytes.NewReader(gz(vtt)), ContentEncoding: aws.String("gzip")}); err != nil {
		t.Fatal(err)
	}
	uploads["formats/gz/design-review.vtt"] = uploads["formats/design-review.vtt"]

	st.worker(st.env(rp))
	for key := range uploads {
		out := "summaries/" + key + ".summary.txt"
		waitFor(t, 60*time.Second, out, func() bool { return st.exists(bucket, out) })
	}
	if n := st.count(st.dlqURL); n != 0 {
		t.Fatalf("DLQ has %d messages: %v", n, st.dead())
	}
	inputs := em.Stats().Inputs
	for key, want := range uploads {
		found := false
		for _, in := range inputs {
			if strings.Contains(in.Text, want) {
				found = true
			}
			if strings.Contains(in.Text, "-->") || strings.Contains(in.Text, "WEBVTT") || strings.Contains(in.Text, `"jobName"`) {
				t.Errorf("markup reached the model: %.120q", in.Text)
			}
		}
		if !found {
			t.Errorf("%s: its decoded text (golden file) reached no RunPod job", key)
		}
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// MAX_CHUNKS auto: a 4-hour meeting (35,500 spoken words) at
// CHUNK_TOKENS=500 needs over 200 map jobs (the cap was 200 chunks before)
// and is summarized; a 2-day transcript is dead-lettered too_large
// without a single RunPod job.
func TestFourHourMeetingAtSmallContext(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 20 * time.Millisecond})
	st.put("long/4h-meeting.txt", []byte(transcripttest.Diarized(35_500)))
	st.put("long/two-days.txt", []byte(transcripttest.Diarized(2*216_000)))
	st.worker(st.env(rp, "CHUNK_TOKENS=500", "SUMMARY_TOKENS=120", "OUTPUT_FORMAT=json", "CHUNK_CONCURRENCY=16"))
	var body string
	waitFor(t, 180*time.Second, "summary of the 4-hour meeting", func() bool {
		var ok bool
		body, _, ok = st.summary("summaries/long/4h-meeting.txt.summary.json")
		return ok
	})
	waitFor(t, 60*time.Second, "the 2-day transcript dead-lettered", func() bool { return st.count(st.dlqURL) == 1 })
	var out struct {
		Chunks int      `json:"chunks"`
		JobIDs []string `json:"runpod_job_ids"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if out.Chunks <= 200 {
		t.Errorf("%d chunks: the meeting should need more than the 200 of the old cap", out.Chunks)
	}
	for dead, reason := range st.dead() {
		if reason != "too_large" || !strings.Contains(dead, "two-days.txt") {
			t.Errorf("dead letter %q for %.100s, want too_large for the 2-day transcript", reason, dead)
		}
	}
	if s := em.Stats(); s.Submitted != len(out.JobIDs) {
		t.Errorf("%d RunPod jobs, the meeting's summary lists %d: the 2-day transcript must cost none", s.Submitted, len(out.JobIDs))
	}
	t.Logf("4-hour meeting: %d chunks, %d jobs", out.Chunks, len(out.JobIDs))
}

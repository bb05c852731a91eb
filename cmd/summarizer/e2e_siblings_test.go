package main

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// Whisper's --output_format all: the five files of one recording.
var whisper = map[string]string{
	"team/standup.txt":  sampleTranscript,
	"team/standup.vtt":  "WEBVTT\n\n00:00:01.000 --> 00:00:09.000\n" + sampleTranscript + "\n",
	"team/standup.srt":  "1\n00:00:01,000 --> 00:00:09,000\n" + sampleTranscript + "\n",
	"team/standup.tsv":  "start\tend\ttext\n1000\t9000\t" + strings.ReplaceAll(sampleTranscript, "\n", " ") + "\n",
	"team/standup.json": fmt.Sprintf(`{"text":%q,"segments":[{"start":1.0,"end":9.0,"text":%q}]}`, sampleTranscript, sampleTranscript),
}

// The five files of one recording uploaded at once, their events received
// together by one worker's goroutines: SIBLINGS=richest (the default)
// makes one summary, of standup.json, one RunPod job, and four skipped
// messages, counted and logged with the reason; SIBLINGS=all one summary
// per file.
func TestWhisperRecordingEndToEnd(t *testing.T) {
	for _, tt := range []struct {
		siblings  string
		summaries []string
	}{
		{"richest", []string{"summaries/team/standup.json.summary.txt"}},
		{"all", []string{"summaries/team/standup.json.summary.txt", "summaries/team/standup.srt.summary.txt",
			"summaries/team/standup.tsv.summary.txt", "summaries/team/standup.txt.summary.txt", "summaries/team/standup.vtt.summary.txt"}},
	} {
		t.Run(tt.siblings, func(t *testing.T) {
			st := newStack(t)
			em, rp := newEmulator(t, emulator.Config{Latency: 200 * time.Millisecond})
			for k, v := range whisper {
				st.put(k, []byte(v))
			}
			_, logs := st.worker(st.env(rp, "SIBLINGS="+tt.siblings, "INPUT_SUFFIXES=.txt,.srt,.vtt,.tsv,.json"))
			waitFor(t, 60*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
			if got := st.summaryKeys(); !slices.Equal(got, tt.summaries) {
				t.Errorf("summaries %q, want %q", got, tt.summaries)
			}
			if s := em.Stats(); s.Submitted != len(tt.summaries) {
				t.Errorf("%d RunPod jobs, want %d", s.Submitted, len(tt.summaries))
			}
			if n := st.count(st.dlqURL); n != 0 {
				t.Errorf("DLQ has %d messages: %v", n, st.dead())
			}
			// Skipped messages: the siblings, with the reason, and the events
			// of what the worker writes (summaries, job journals) and moto's
			// s3:TestEvent, with theirs; every one counted.
			var siblings, all int
			for line := range strings.SplitSeq(logs.String(), "\n") {
				if strings.Contains(line, `"msg":"skipped"`) {
					all++
					if strings.Contains(line, `"why":"s3://transcripts/team/standup.json is a richer transcript of the same recording (SIBLINGS=richest)"`) {
						siblings++
					}
				}
			}
			if want := len(whisper) - len(tt.summaries); siblings != want {
				t.Errorf("%d messages skipped for a richer sibling, want %d", siblings, want)
			}
			if got := metric(t, logs, `summarizer_messages_total{outcome="skipped"}`); got != float64(all) {
				t.Errorf("skipped messages counted %v, logged %d", got, all)
			}
		})
	}
}

// metric is the value of one sample (name and labels as printed) on the
// /metrics of the worker whose logs these are, or -1.
func metric(t *testing.T, logs *syncBuffer, sample string) float64 {
	t.Helper()
	m := readyzRe.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatal("no metrics address in the logs")
	}
	resp, err := http.Get("http://" + m[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
				return v
			}
		}
	}
	return -1
}

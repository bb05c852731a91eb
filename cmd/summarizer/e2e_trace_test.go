package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// withTracerProvider returns ctx carrying tp, which `run` uses instead of
// the one the OTEL_* settings describe.
func withTracerProvider(ctx context.Context, tp trace.TracerProvider) context.Context {
	return context.WithValue(ctx, tracerProviderKey{}, tp)
}

// spanTree is the recorded spans, checked to be well formed: unique span
// ids, one root per trace, every other span's parent recorded in the same
// trace.
type spanTree struct {
	byID     map[trace.SpanID]sdktrace.ReadOnlySpan
	children map[trace.SpanID][]sdktrace.ReadOnlySpan
	roots    []sdktrace.ReadOnlySpan
}

func newSpanTree(t *testing.T, spans []sdktrace.ReadOnlySpan) *spanTree {
	t.Helper()
	tr := &spanTree{byID: map[trace.SpanID]sdktrace.ReadOnlySpan{}, children: map[trace.SpanID][]sdktrace.ReadOnlySpan{}}
	rootOf := map[trace.TraceID]int{}
	for _, s := range spans {
		id := s.SpanContext().SpanID()
		if _, dup := tr.byID[id]; dup {
			t.Errorf("span id %s recorded twice", id)
		}
		tr.byID[id] = s
		if !s.Parent().IsValid() {
			tr.roots = append(tr.roots, s)
			rootOf[s.SpanContext().TraceID()]++
		}
	}
	for _, s := range spans {
		if !s.Parent().IsValid() {
			continue
		}
		p, ok := tr.byID[s.Parent().SpanID()]
		switch {
		case !ok:
			t.Errorf("orphan span %q: its parent %s was never recorded", s.Name(), s.Parent().SpanID())
		case p.SpanContext().TraceID() != s.SpanContext().TraceID() || s.Parent().TraceID() != s.SpanContext().TraceID():
			t.Errorf("span %q is in trace %s, its parent %q in %s", s.Name(), s.SpanContext().TraceID(), p.Name(), p.SpanContext().TraceID())
		default:
			tr.children[p.SpanContext().SpanID()] = append(tr.children[p.SpanContext().SpanID()], s)
		}
		if rootOf[s.SpanContext().TraceID()] == 0 {
			t.Errorf("span %q belongs to trace %s, which has no root", s.Name(), s.SpanContext().TraceID())
		}
	}
	for id, n := range rootOf {
		if n != 1 {
			t.Errorf("trace %s has %d roots", id, n)
		}
	}
	return tr
}

// under returns the spans named name below s, at any depth, in start order.
func (tr *spanTree) under(s sdktrace.ReadOnlySpan, name string) []sdktrace.ReadOnlySpan {
	var out []sdktrace.ReadOnlySpan
	for _, c := range tr.children[s.SpanContext().SpanID()] {
		if c.Name() == name {
			out = append(out, c)
		}
		out = append(out, tr.under(c, name)...)
	}
	slices.SortFunc(out, func(a, b sdktrace.ReadOnlySpan) int { return a.StartTime().Compare(b.StartTime()) })
	return out
}

// child returns the one child of s named name, failing the test otherwise.
func (tr *spanTree) child(t *testing.T, s sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found []sdktrace.ReadOnlySpan
	for _, c := range tr.children[s.SpanContext().SpanID()] {
		if c.Name() == name {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		t.Fatalf("span %q has %d children named %q, want 1", s.Name(), len(found), name)
	}
	return found[0]
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// logLine is the part of a JSON log line the trace tests read.
type logLine struct {
	Msg       string `json:"msg"`
	Key       string `json:"key"`
	MessageID string `json:"message_id"`
	TraceID   string `json:"trace_id"`
	SpanID    string `json:"span_id"`
}

func parseLogLines(t *testing.T, logs string) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range strings.Split(logs, "\n") {
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, ll)
	}
	return out
}

// The real worker against moto and the RunPod emulator, with an in-memory
// span recorder: one trace per message, rooted in the delivery's span with
// its outcome; under it, per record, fetch, summarize with a runpod.job
// span per model call (several for a multi-chunk transcript), and store;
// the log lines of a message carry its trace id.
func TestTracesEndToEnd(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 50 * time.Millisecond})
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	var long strings.Builder
	for i := 0; long.Len() < 9000; i++ {
		fmt.Fprintf(&long, "Speaker%d: Item %d of the review covers the budget for region %d and who follows up next week.\n", i%3, i, i%7)
	}
	uploads := map[string]string{
		"a.txt":           sampleTranscript,
		"b/c.txt":         sampleTranscript,
		"d e.srt":         "1\n00:00:01,000 --> 00:00:04,000\n" + sampleTranscript + "\n",
		"long/review.txt": long.String(),
	}
	for k, body := range uploads {
		st.put(k, []byte(body))
	}
	st.put("notes.pdf", []byte("not a transcript")) // skipped: not an input suffix
	st.send("this is not an S3 event")              // dead-lettered: bad_message

	stop, logs := st.workerIn(withTracerProvider(context.Background(), tp),
		st.env(rp, "CHUNK_TOKENS=300", "SUMMARY_TOKENS=60", "CHUNK_CONCURRENCY=4"))
	for k := range uploads {
		out := "summaries/" + k + ".summary.txt"
		waitFor(t, 90*time.Second, "summary of "+k, func() bool { _, _, ok := st.summary(out); return ok })
	}
	waitFor(t, 60*time.Second, "every notification handled", func() bool { return st.count(st.queueURL) == 0 && st.count(st.dlqURL) == 1 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	tr := newSpanTree(t, rec.Ended())
	// One root per delivery, each the consumer span of one message.
	byMessage := map[string]sdktrace.ReadOnlySpan{}
	for _, r := range tr.roots {
		id := spanAttr(r, "messaging.message.id")
		if r.Name() != "process summaries" || r.SpanKind() != trace.SpanKindConsumer || id == "" {
			t.Errorf("root span %q (kind %v, message %q), want \"process summaries\", consumer, with the message id", r.Name(), r.SpanKind(), id)
		}
		if _, dup := byMessage[id]; dup {
			t.Errorf("message %s has two root spans", id)
		}
		byMessage[id] = r
		if spanAttr(r, "summarizer.outcome") == "" {
			t.Errorf("root of message %s has no outcome", id)
		}
	}

	// Each upload: done, one record with fetch, summarize (model calls) and store.
	traceOf := map[string]sdktrace.ReadOnlySpan{} // key -> record span
	jobsSeen := map[string]bool{}
	for _, r := range tr.roots {
		records := tr.under(r, "record")
		if len(records) != 1 {
			continue
		}
		record := records[0]
		key := spanAttr(record, "aws.s3.key")
		if _, ok := uploads[key]; !ok {
			continue
		}
		if traceOf[key] != nil {
			t.Errorf("%s: traced twice", key)
		}
		traceOf[key] = record
		if o := spanAttr(r, "summarizer.outcome"); o != "done" || r.Status().Code != codes.Ok {
			t.Errorf("%s: outcome %q status %v, want done, ok", key, o, r.Status())
		}
		if st := spanAttr(record, "summarizer.record.status"); st != "done" || spanAttr(record, "aws.s3.bucket") != bucket {
			t.Errorf("%s: record status %q bucket %q", key, st, spanAttr(record, "aws.s3.bucket"))
		}
		fetch := tr.child(t, record, "fetch")
		if spanAttr(fetch, "summarizer.object.etag") == "" || spanAttr(fetch, "summarizer.object.size") != fmt.Sprint(len(uploads[key])) {
			t.Errorf("%s: fetch etag %q size %q, want the object's (%d bytes)", key, spanAttr(fetch, "summarizer.object.etag"),
				spanAttr(fetch, "summarizer.object.size"), len(uploads[key]))
		}
		sum := tr.child(t, record, "summarize")
		jobs := tr.under(sum, "runpod.job")
		if len(jobs) == 0 || spanAttr(sum, "summarizer.jobs") != fmt.Sprint(len(jobs)) {
			t.Errorf("%s: %d runpod.job spans under summarize, which reports %s jobs", key, len(jobs), spanAttr(sum, "summarizer.jobs"))
		}
		for _, j := range jobs {
			id := spanAttr(j, "runpod.job.id")
			if id == "" || jobsSeen[id] {
				t.Errorf("%s: job span with id %q (empty or seen before)", key, id)
			}
			jobsSeen[id] = true
			for attr, want := range map[string]string{"runpod.job.status": "COMPLETED", "runpod.job.source": "submitted", "runpod.job.resubmits": "0"} {
				if got := spanAttr(j, attr); got != want {
					t.Errorf("%s job %s: %s = %q, want %q", key, id, attr, got, want)
				}
			}
			if p := spanAttr(j, "runpod.job.polls"); p == "" || p == "0" || spanAttr(j, "runpod.job.execution_time_ms") == "" || spanAttr(j, "runpod.job.delay_time_ms") == "" {
				t.Errorf("%s job %s: polls %q, delay %q, execution %q", key, id, spanAttr(j, "runpod.job.polls"),
					spanAttr(j, "runpod.job.delay_time_ms"), spanAttr(j, "runpod.job.execution_time_ms"))
			}
		}
		store := tr.child(t, record, "store")
		if !strings.HasPrefix(spanAttr(store, "summarizer.output"), "s3://"+bucket+"/summaries/") {
			t.Errorf("%s: store output %q", key, spanAttr(store, "summarizer.output"))
		}
		if key == "long/review.txt" {
			m := tr.child(t, sum, "map")
			if len(tr.under(m, "runpod.job")) < 2 || len(tr.under(sum, "reduce")) == 0 {
				t.Errorf("long transcript: %d map jobs (map says %s chunks), %d reduce spans; want several chunks and a merge",
					len(tr.under(m, "runpod.job")), spanAttr(m, "summarizer.chunks"), len(tr.under(sum, "reduce")))
			}
		}
	}
	for k := range uploads {
		if traceOf[k] == nil {
			t.Errorf("%s: no trace", k)
		}
	}
	if s := em.Stats(); s.Submitted != len(jobsSeen) {
		t.Errorf("RunPod received %d jobs, the traces show %d", s.Submitted, len(jobsSeen))
	}

	// The other outcomes: the poison message and the skipped upload.
	var outcomes []string
	for _, r := range tr.roots {
		switch o := spanAttr(r, "summarizer.outcome"); o {
		case "dead_lettered":
			outcomes = append(outcomes, o)
			if spanAttr(r, "summarizer.reason") != "bad_message" || r.Status().Code != codes.Error || len(tr.under(r, "record")) != 0 {
				t.Errorf("poison message: reason %q, status %v", spanAttr(r, "summarizer.reason"), r.Status())
			}
		case "skipped":
			recs := tr.under(r, "record")
			if len(recs) == 1 && spanAttr(recs[0], "aws.s3.key") == "notes.pdf" {
				outcomes = append(outcomes, o)
				if spanAttr(recs[0], "summarizer.record.status") != "skipped" || spanAttr(recs[0], "summarizer.why") == "" {
					t.Errorf("notes.pdf: record %v", recs[0].Attributes())
				}
			}
		}
	}
	slices.Sort(outcomes)
	if fmt.Sprint(outcomes) != "[dead_lettered skipped]" {
		t.Errorf("outcomes of the poison message and notes.pdf: %v", outcomes)
	}

	// Log lines join their spans on trace_id.
	lines := parseLogLines(t, logs.String())
	for k, record := range traceOf {
		found := false
		for _, l := range lines {
			if l.Msg == "summary stored" && l.Key == k {
				found = true
				if l.TraceID != record.SpanContext().TraceID().String() || l.SpanID != record.SpanContext().SpanID().String() {
					t.Errorf("%s: %q logged with trace %s span %s, want the record's %s %s", k, l.Msg, l.TraceID, l.SpanID,
						record.SpanContext().TraceID(), record.SpanContext().SpanID())
				}
			}
		}
		if !found {
			t.Errorf("%s: no \"summary stored\" log line", k)
		}
	}
	done := 0
	for _, l := range lines {
		if l.Msg != "done" {
			continue
		}
		done++
		if r := byMessage[l.MessageID]; r == nil || l.TraceID != r.SpanContext().TraceID().String() {
			t.Errorf("\"done\" of message %s logged with trace %q", l.MessageID, l.TraceID)
		}
	}
	if done < len(uploads) {
		t.Errorf("%d \"done\" log lines, want at least %d", done, len(uploads))
	}

	// No secret in any span.
	for _, s := range rec.Ended() {
		all := fmt.Sprint(s.Attributes(), s.Events(), s.Status())
		if strings.Contains(all, "rp_test_key_7f3a9c") {
			t.Errorf("span %q holds the RunPod API key", s.Name())
		}
	}
}

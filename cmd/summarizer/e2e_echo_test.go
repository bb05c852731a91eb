package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// echoRunPod is a RunPod endpoint that quotes its input, and the Authorization
// header, in every error it sends: a transcript whose text holds "case-reject" is
// refused at /run with a pydantic validation error (input_value='...'), one with
// "case-failed" ends FAILED with runpod-python's error document (message and
// traceback quoting the input), any other COMPLETES with {"error": input} as its
// output.
type echoRunPod struct {
	mu   sync.Mutex
	jobs map[string]string // job id → the echo of its /run
	runs int
}

func (e *echoRunPod) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	answer := func(code int, doc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, doc)
	}
	quote := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch path := r.URL.Path; {
	case strings.HasSuffix(path, "/run"):
		var req struct {
			Input struct {
				Text string `json:"text"`
			} `json:"input"`
		}
		_ = json.Unmarshal(body, &req)
		echo := req.Input.Text + " " + r.Header.Get("Authorization")
		if strings.Contains(echo, "case-reject") {
			answer(http.StatusBadRequest, `{"detail":`+quote("1 validation error for Input\ntext\n  Value error, not a transcript [type=value_error, input_value='"+echo+"', input_type=str]")+`}`)
			return
		}
		e.runs++
		id := fmt.Sprintf("echo-%d", e.runs)
		e.jobs[id] = echo
		answer(http.StatusOK, `{"id":"`+id+`","status":"IN_QUEUE"}`)
	case strings.Contains(path, "/status/"):
		id := path[strings.LastIndex(path, "/")+1:]
		echo, ok := e.jobs[id]
		switch {
		case !ok:
			answer(http.StatusNotFound, `{"error":`+quote("no job "+id)+`}`)
		case strings.Contains(echo, "case-failed"):
			doc, _ := json.Marshal(map[string]string{"error_type": "<class 'ValueError'>", "error_message": "cannot summarize: " + echo,
				"error_traceback": "Traceback (most recent call last):\n  File \"handler.py\", line 9, in handler\n    summarize(" + echo + ")\nValueError"})
			answer(http.StatusOK, `{"id":"`+id+`","status":"FAILED","error":`+quote(string(doc))+`}`)
		default:
			answer(http.StatusOK, `{"id":"`+id+`","status":"COMPLETED","output":{"error":`+quote("model failed on "+echo)+`}}`)
		}
	case strings.Contains(path, "/cancel/"):
		answer(http.StatusOK, `{"status":"CANCELLED"}`)
	default:
		answer(http.StatusNotFound, `{"error":"no route"}`)
	}
}

// A RunPod endpoint that quotes the transcript, and the API key, in every error it
// sends (a pydantic input_value at /run, a FAILED job's message and traceback, an
// error output): the messages are dead-lettered, the one refused as
// backend_rejected and the others as retries_exhausted, and neither the DLQ's
// attributes nor a line of the worker's logs (the real binary, at debug level)
// holds a run of 5 words of a transcript, or the key.
func TestEchoedTranscriptNeverLeavesThroughErrors(t *testing.T) {
	st := newStack(t)
	backend := &echoRunPod{jobs: map[string]string{}}
	srv := httptest.NewServer(backend)
	t.Cleanup(srv.Close)
	env := st.env(srv.URL+"/v2/echo", "MAX_RECEIVES=1", "RETRY_BACKOFF=1s", "LOG_LEVEL=debug")
	key := env["RUNPOD_API_KEY"]
	transcripts := map[string]string{
		"echo/rejected.txt": "case-reject\n" + transcriptOf(1),
		"echo/failed.txt":   "case-failed\n" + transcriptOf(2),
		"echo/garbled.txt":  "case-output\n" + transcriptOf(3),
	}
	want := map[string]string{"echo/rejected.txt": "backend_rejected", "echo/failed.txt": "retries_exhausted", "echo/garbled.txt": "retries_exhausted"}
	w := startBinaryWorker(t, env)
	for k, v := range transcripts {
		st.put(k, []byte(v))
	}
	dead := map[string]map[string]string{} // key → the DLQ message's attributes
	waitFor(t, 2*time.Minute, "every transcript dead-lettered", func() bool {
		out, err := st.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &st.dlqURL, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 300})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			attrs := map[string]string{}
			for name, v := range m.MessageAttributes {
				if v.StringValue != nil {
					attrs[name] = *v.StringValue
				}
			}
			for k := range transcripts {
				// The event's key is URL-encoded: its base name is not.
				if strings.Contains(*m.Body, path.Base(k)) {
					dead[k] = attrs
				}
			}
		}
		return len(dead) == len(transcripts)
	})
	w.stop(t)
	logs := w.stderr.String()
	for k, text := range transcripts {
		attrs := dead[k]
		t.Logf("%s: dead-lettered %s: %q", k, attrs["summarizer.reason"], attrs["summarizer.error"])
		if attrs["summarizer.reason"] != want[k] {
			t.Errorf("%s: reason %q, want %q", k, attrs["summarizer.reason"], want[k])
		}
		for name, v := range attrs {
			checkNoTranscriptRun(t, k+": DLQ attribute "+name, v, text, key)
		}
		checkNoTranscriptRun(t, k+": worker logs", logs, text, key)
	}
	if !strings.Contains(logs, "dead") {
		t.Errorf("the worker logged no dead letter: the logs checked are not the ones that matter")
	}
}

// transcriptWords are the words of transcriptOf.
var transcriptWords = strings.Fields(`morning everyone review launch plan billing system migration scripts
	ready tested copy production rollback tables seven days switch configuration flag support guide customers
	duplicate invoices Thursday Monday nine halfway fails keep old write`)

// transcriptOf is a transcript of four speakers' lines of words drawn by seed, with
// quotes and backslashes after some: what an echo must not carry, however escaped.
func transcriptOf(seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 0xec40))
	var b strings.Builder
	for _, who := range []string{"Alice", "Bob", "Carol", "Dana"} {
		b.WriteString(who + ":")
		for range 12 + rng.IntN(20) {
			b.WriteString(" " + transcriptWords[rng.IntN(len(transcriptWords))])
			if rng.IntN(4) == 0 {
				b.WriteByte(`"'\`[rng.IntN(3)])
			}
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// escape is a backslash escape (\n, \t, \", \u003e, \\n, ...) in JSON or Go text: it
// parts words as the character it stands for would.
var escape = regexp.MustCompile(`\\+(u[0-9a-fA-F]{4}|[nrt"'/])`)

// checkNoTranscriptRun fails the test if text (a DLQ attribute, log output) holds key,
// or 5 consecutive words of transcript, compared as runs of letters after escapes are
// undone, so that no quoting of an echo can hide it. what names the text.
func checkNoTranscriptRun(t *testing.T, what, text, transcript, key string) {
	t.Helper()
	if strings.Contains(text, key) {
		t.Errorf("%s leaks the RunPod API key", what)
	}
	letters := func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	}
	have := " " + strings.Join(letters(escape.ReplaceAllString(text, " ")), " ") + " "
	words := letters(transcript)
	for i := 0; i+5 <= len(words); i++ {
		if run := strings.Join(words[i:i+5], " "); strings.Contains(have, " "+run+" ") {
			t.Errorf("%s quotes %q of the transcript", what, run)
			return
		}
	}
}

// Package httpapitest holds test helpers shared by the tests of the model API clients
// (worker/runpod, worker/openai): checks that the API key leaks into no error, log line
// or rendering of a config, checks of Validate and of the retry timing, and small
// helpers for table tests. Only tests import it.
package httpapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/summarizer/summarizer/queue/outcome"
)

// LockedBuffer is a concurrency-safe zap sink.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Sync implements zapcore.WriteSyncer.
func (b *LockedBuffer) Sync() error { return nil }

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// JSONLogger is a zap logger writing every level, as production JSON lines, to w.
func JSONLogger(w zapcore.WriteSyncer) *zap.Logger {
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), w, zapcore.DebugLevel))
}

// DecodeJSON decodes a request body b into a map or fails the test.
func DecodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body %q is not JSON: %v", b, err)
	}
	return m
}

// CheckRedacted renders cfg and client every way they may reach output: the fmt verbs
// %v, %+v, %#v, %s and %q of each of values, cfg's JSON encoding, a zap JSON line with
// cfg (zap.Any) and client (zap.Stringer and zap.Any), and a slog JSON line with cfg.
// It fails the test for each rendering holding one of secrets, and returns them all;
// the first is that of values[0].
func CheckRedacted(t testing.TB, secrets []string, cfg any, client fmt.Stringer, values ...any) []string {
	t.Helper()
	var out []string
	for _, v := range values {
		out = append(out, fmt.Sprintf("%v|%+v|%#v|%s|%q", v, v, v, v, v))
	}
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(js))
	var logs LockedBuffer
	JSONLogger(&logs).Info("config", zap.Any("config", cfg), zap.Stringer("client", client), zap.Any("client_any", client))
	out = append(out, logs.String())
	var slogBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&slogBuf, nil)).Info("config", "config", cfg)
	out = append(out, slogBuf.String())
	for _, s := range out {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("output leaks a secret: %s", s)
			}
		}
	}
	return out
}

// KeyServer starts a server, closed when the test ends, that reads each request to its
// end (so that it notices a client hanging up and ends the request's context) and
// answers it with h. sawKey reports whether a request carried "Authorization: Bearer
// KEY".
func KeyServer(t testing.TB, key string, h http.HandlerFunc) (srv *httptest.Server, sawKey func() bool) {
	var mu sync.Mutex
	saw := false
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		saw = saw || r.Header.Get("Authorization") == "Bearer "+key
		mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return saw
	}
}

// HangUp answers nothing and closes the connection: a network error for the client.
func HangUp(w http.ResponseWriter, _ *http.Request) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		_ = conn.Close()
	}
}

// CheckErrNoKey fails the test if err is nil, or if its message or any fmt rendering of
// it (%v, %+v, %#v, %s, %q) holds key.
func CheckErrNoKey(t testing.TB, err error, key string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	for _, s := range []string{err.Error(), fmt.Sprintf("%v %+v %#v %s %q", err, err, err, err, err)} {
		if strings.Contains(s, key) {
			t.Errorf("error leaks the key: %s", s)
		}
	}
}

// CheckLogsAtEnd checks logs when the test (and all its subtests) ended: they must not
// hold key, and must hold want, so that the check is known to have seen log lines.
func CheckLogsAtEnd(t testing.TB, logs fmt.Stringer, key, want string) {
	t.Cleanup(func() {
		if out := logs.String(); strings.Contains(out, key) {
			t.Errorf("log output leaks the key:\n%s", out)
		} else if !strings.Contains(out, want) {
			t.Errorf("log output has no %q lines:\n%s", want, out)
		}
	})
}

// CheckValidate is the body of a Validate table test: validate is a config's Validate,
// newClient calls New with the same config. With no want both must succeed; else both
// must fail, the error holding every string of want and not the API key "has space"
// that the tables use for a bad key.
func CheckValidate(t testing.TB, want []string, validate, newClient func() error) {
	t.Helper()
	err := validate()
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if err := newClient(); err != nil {
			t.Fatalf("New: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("Validate() = nil, want %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "has space") {
		t.Errorf("error %q quotes the API key", err)
	}
	if err := newClient(); err == nil {
		t.Error("New accepted an invalid config")
	}
}

// NewClient returns newClient(cfg), or fails the test.
func NewClient[C, T any](t testing.TB, newClient func(C) (T, error), cfg C) T {
	t.Helper()
	c, err := newClient(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// As returns err as an E (a client's *Error), or fails the test.
func As[E error](t testing.TB, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a %T", err, err, e)
	}
	return e
}

// ErrClass names what err means for its work item, by its outcome.Class, for table
// tests: "ok" for nil, "not *Error" if err is no E, "permanent" (dead-lettered),
// "config" (held until an operator acts), else "temporary" (held as throttled or an
// outage, released, or retried).
func ErrClass[E outcome.Classed](err error) string {
	if err == nil {
		return "ok"
	}
	var e E
	if !errors.As(err, &e) {
		return "not *Error"
	}
	switch c := e.Class(); {
	case c.Kind == outcome.DeadLettered:
		return "permanent"
	case c.Kind == outcome.Held && c.Cause == outcome.CauseConfig:
		return "config"
	default:
		return "temporary"
	}
}

// CheckBackoff checks a client's backoff(attempt, serverDelay) for a client configured
// with RetryInitial 100ms and RetryMax 1s: with no server delay (-1) the wait is full
// jitter below min(1s, 100ms·2^(attempt-1)) for attempts 1 to 70, and a server delay of
// 500ms is honoured while one of 1h is capped at RetryMax.
func CheckBackoff(t testing.TB, backoff func(attempt int, serverDelay time.Duration) time.Duration) {
	t.Helper()
	for attempt := 1; attempt <= 70; attempt++ {
		ceiling := min(time.Second, 100*time.Millisecond<<min(attempt-1, 20))
		for range 50 {
			if d := backoff(attempt, -1); d < 0 || d >= ceiling {
				t.Fatalf("attempt %d: backoff %v outside [0, %v)", attempt, d, ceiling)
			}
		}
	}
	if d := backoff(1, 500*time.Millisecond); d != 500*time.Millisecond {
		t.Errorf("server delay 500ms gave %v", d)
	}
	if d := backoff(1, time.Hour); d != time.Second {
		t.Errorf("server delay 1h gave %v, want capped at RetryMax", d)
	}
}

// RunWords is the length of the shortest run of a prompt's words that CheckNoPromptRun
// looks for: a shorter run can be a coincidence, a longer one is a quote.
const RunWords = 5

// echoWords are the words of EchoPrompt: words of a transcript that no error message
// of the clients uses, so that a run of them in an error can only be an echo.
var echoWords = []string{
	"Alice", "Bob", "Carol", "Dana", "migration", "rollback", "billing", "invoices",
	"Thursday", "Monday", "launch", "guide", "customers", "production", "scripts",
	"tables", "seven", "days", "switch", "flag", "morning", "everyone", "review", "plan",
	"support", "duplicate", "halfway", "tested", "copy", "week", "great", "please",
}

// EchoPrompt is a transcript-like prompt of 8 to 47 words drawn from a fixed
// vocabulary by seed, with runes of sep (quotes, backslashes, newlines, non-ASCII
// text, ...) after some of them: what an echo must not carry into an error, however
// the backend escapes it.
func EchoPrompt(seed uint64, sep string) string {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	seps := []rune(sep)
	var b strings.Builder
	for i := range 8 + rng.IntN(40) {
		if i > 0 {
			b.WriteByte(" \n"[rng.IntN(2)])
		}
		b.WriteString(echoWords[rng.IntN(len(echoWords))])
		if len(seps) > 0 && rng.IntN(3) == 0 {
			b.WriteRune(seps[rng.IntN(len(seps))])
		}
	}
	return b.String()
}

// echoWord matches a word of EchoPrompt's vocabulary, wherever it stands: inside an
// escape ("\\nAlice") too.
var echoWord = regexp.MustCompile(func() string {
	words := slices.Clone(echoWords)
	slices.SortFunc(words, func(a, b string) int { return len(b) - len(a) }) // longest first
	return strings.Join(words, "|")
}())

// twoLetters is a gap between two words of a quote that holds a word of its own: not
// only separators and escapes (\n, \t, \u003e, \\, ...).
var twoLetters = regexp.MustCompile(`[A-Za-z]{2}`)

// CheckNoPromptRun fails the test if text (an error message, log output) holds key, or
// RunWords consecutive words of prompt, an EchoPrompt: the words of its vocabulary in
// text are read in order, each run of them that only separators and escapes part is one
// quote, so that no escaping, quoting or re-quoting of the echo can hide it. what names
// the text.
func CheckNoPromptRun(t testing.TB, what, text, prompt, key string) {
	t.Helper()
	if key != "" && strings.Contains(text, key) {
		t.Errorf("%s leaks the API key: %s", what, text)
	}
	var quotes []string // runs of the vocabulary's words in text, each padded with spaces
	var cur []string
	last := 0
	for _, m := range echoWord.FindAllStringIndex(text, -1) {
		if len(cur) > 0 && twoLetters.MatchString(text[last:m[0]]) {
			quotes = append(quotes, " "+strings.Join(cur, " ")+" ")
			cur = cur[:0]
		}
		cur = append(cur, text[m[0]:m[1]])
		last = m[1]
	}
	quotes = append(quotes, " "+strings.Join(cur, " ")+" ")
	words := echoWord.FindAllString(prompt, -1)
	for i := 0; i+RunWords <= len(words); i++ {
		run := " " + strings.Join(words[i:i+RunWords], " ") + " "
		for _, q := range quotes {
			if strings.Contains(q, run) {
				t.Errorf("%s quotes %q of the prompt: %s", what, strings.TrimSpace(run), text)
				return
			}
		}
	}
}

// JSONString is s as a JSON string, quotes included: how an echo quotes its input.
func JSONString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// FuzzEcho runs echo(t, path, prompt) for each input of f: path one of paths echo
// paths of the client's test, prompt an EchoPrompt. Each path is seeded twice: with a
// plain prompt, and with quotes, a backslash, non-ASCII text and JSON punctuation in
// it.
func FuzzEcho(f *testing.F, paths int, echo func(t *testing.T, path int, prompt string)) {
	for i := range paths {
		f.Add(uint8(i), uint64(i), "")
		f.Add(uint8(i), uint64(100+i), `"'\é,<{}>`+"\t")
	}
	f.Fuzz(func(t *testing.T, path uint8, seed uint64, sep string) {
		echo(t, int(path)%paths, EchoPrompt(seed, sep))
	})
}

// CheckEchoed is CheckNoPromptRun of err's message, of every fmt rendering of err, and
// of the client's logs; name names the echo path. A nil err fails the test.
func CheckEchoed(t testing.TB, name string, err error, logs fmt.Stringer, prompt, key string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", name)
	}
	CheckNoPromptRun(t, name+": error", err.Error(), prompt, key)
	CheckNoPromptRun(t, name+": error (fmt)", fmt.Sprintf("%v %+v %#v %q", err, err, err, err), prompt, key)
	CheckNoPromptRun(t, name+": logs", logs.String(), prompt, key)
}

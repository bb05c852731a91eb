package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// emuTap runs the RunPod emulator in process (exact Stats) behind a handler
// that records, per message, when its job was submitted and when a /status
// first answered COMPLETED, and counts /status polls per job.
type emuTap struct {
	em  *emulator.Server
	srv *httptest.Server

	mu          sync.Mutex
	runAt       map[int]time.Time // message → first /run
	jobMsg      map[string]int    // job id → message
	polls       map[string]int    // job id → /status requests
	completedAt map[int]time.Time // message → first COMPLETED seen
}

func startEmulator(latency time.Duration) (*emuTap, error) {
	em, err := emulator.New(emulator.Config{Latency: latency, Seed: 1})
	if err != nil {
		return nil, err
	}
	t := &emuTap{
		em:          em,
		runAt:       map[int]time.Time{},
		jobMsg:      map[string]int{},
		polls:       map[string]int{},
		completedAt: map[int]time.Time{},
	}
	t.srv = httptest.NewServer(t)
	t.srv.Config.ErrorLog = nil
	return t, nil
}

// EndpointURL is what the worker gets as RUNPOD_ENDPOINT_URL.
func (t *emuTap) EndpointURL() string { return t.srv.URL + "/v2/bench" }

func (t *emuTap) Close() { t.srv.Close() }

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (t *emuTap) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasSuffix(path, "/run") && r.Method == http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, emulator.MaxBodyBytes+1))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		id := msgID(string(body))
		tw := &teeWriter{ResponseWriter: w}
		t.em.ServeHTTP(tw, r)
		now := time.Now()
		var resp struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(tw.buf.Bytes(), &resp)
		t.mu.Lock()
		if id >= 0 {
			if _, ok := t.runAt[id]; !ok {
				t.runAt[id] = now
			}
		}
		if resp.ID != "" {
			t.jobMsg[resp.ID] = id
		}
		t.mu.Unlock()
	case strings.Contains(path, "/status/"):
		job := path[strings.LastIndex(path, "/")+1:]
		tw := &teeWriter{ResponseWriter: w}
		t.em.ServeHTTP(tw, r)
		now := time.Now()
		done := bytes.Contains(tw.buf.Bytes(), []byte(`"COMPLETED"`))
		t.mu.Lock()
		t.polls[job]++
		if id, ok := t.jobMsg[job]; ok && done && id >= 0 {
			if _, seen := t.completedAt[id]; !seen {
				t.completedAt[id] = now
			}
		}
		t.mu.Unlock()
	default:
		t.em.ServeHTTP(w, r)
	}
}

// jobPolls is the /status count of one job and the message it served.
type jobPolls struct{ msg, polls int }

// snapshot copies what the tap recorded.
func (t *emuTap) snapshot() (runAt, completedAt map[int]time.Time, jobs []jobPolls) {
	t.mu.Lock()
	defer t.mu.Unlock()
	runAt = make(map[int]time.Time, len(t.runAt))
	for k, v := range t.runAt {
		runAt[k] = v
	}
	completedAt = make(map[int]time.Time, len(t.completedAt))
	for k, v := range t.completedAt {
		completedAt[k] = v
	}
	for job, msg := range t.jobMsg {
		jobs = append(jobs, jobPolls{msg: msg, polls: t.polls[job]})
	}
	return runAt, completedAt, jobs
}

package main

import (
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// msgIDPattern finds the bench's message number in keys, bodies and prompts:
// every object is uploads/m-NNNNNN.txt and its text starts with "m-NNNNNN".
var msgIDPattern = regexp.MustCompile(`m-([0-9]{6})`)

func msgID(s string) int {
	sub := msgIDPattern.FindStringSubmatch(s)
	if sub == nil {
		return -1
	}
	n, _ := strconv.Atoi(sub[1])
	return n
}

// tapEvent is one request the consumer sent to moto.
type tapEvent struct {
	at   time.Time     // when the request was sent
	dur  time.Duration // until moto's response headers
	kind string        // "sqs ReceiveMessage", "s3 GET object", ...
	ids  []int         // the messages it concerns: returned by a receive, or the key's
}

// countingProxy is a reverse proxy in front of moto that the worker uses as
// AWS_ENDPOINT_URL. It records every request by operation (SQS: the
// X-Amz-Target; S3: method and path pattern) and timestamps, per message, the
// first delivery (read from ReceiveMessage responses) and the moment moto
// acknowledged the PutObject of the summary.
type countingProxy struct {
	URL  string
	base http.RoundTripper
	srv  *http.Server

	mu          sync.Mutex
	events      []tapEvent
	received    map[int]time.Time
	redelivered int
	written     map[int]time.Time
	receives    []time.Time // start of every ReceiveMessage
}

// progress is how many messages had their summary written so far.
func (p *countingProxy) progress() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.written)
}

func startProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{
		URL: "http://" + ln.Addr().String(),
		base: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        2048,
			MaxIdleConnsPerHost: 2048,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		received: map[int]time.Time{},
		written:  map[int]time.Time{},
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = p
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p.srv = &http.Server{Handler: rp, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *countingProxy) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
	_ = p.srv.Close()
}

// classify names the operation of a request and the message it concerns
// (-1 for none).
func classify(r *http.Request) (kind string, id int) {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return "sqs " + strings.TrimPrefix(t, "AmazonSQS."), -1
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return "sqs (query protocol)", -1
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	_, key, found := strings.Cut(path, "/")
	if !found || key == "" {
		return "s3 " + r.Method + " bucket", -1
	}
	class := "object"
	switch {
	case strings.HasSuffix(key, ".jobs.json"):
		class = "journal"
	case strings.HasSuffix(key, ".summary.txt") || strings.HasSuffix(key, ".summary.json"):
		class = "summary"
	}
	return "s3 " + r.Method + " " + class, msgID(key)
}

// RoundTrip forwards one request to moto and records it.
func (p *countingProxy) RoundTrip(r *http.Request) (*http.Response, error) {
	kind, id := classify(r)
	start := time.Now()
	if kind == "sqs ReceiveMessage" {
		p.mu.Lock()
		p.receives = append(p.receives, start) // now: a long poll may outlast the window
		p.mu.Unlock()
	}
	resp, err := p.base.RoundTrip(r)
	now := time.Now()
	var ids []int
	if err == nil && resp.StatusCode == http.StatusOK && kind == "sqs ReceiveMessage" {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr == nil {
			seen := map[int]bool{}
			for _, m := range msgIDPattern.FindAllSubmatch(body, -1) {
				n, _ := strconv.Atoi(string(m[1]))
				if !seen[n] {
					seen[n] = true
					ids = append(ids, n)
				}
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		kind += " (error)"
	} else if resp.StatusCode >= 300 && resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusNotModified {
		kind += " (HTTP " + strconv.Itoa(resp.StatusCode) + ")"
	}
	ev := tapEvent{at: start, dur: now.Sub(start), kind: kind, ids: ids}
	if id >= 0 {
		ev.ids = []int{id}
	}
	p.events = append(p.events, ev)
	if id >= 0 && kind == "s3 PUT summary" {
		if _, ok := p.written[id]; !ok {
			p.written[id] = now
		}
	}
	for _, n := range ids {
		if _, ok := p.received[n]; ok {
			p.redelivered++
			continue
		}
		p.received[n] = now
	}
	return resp, err
}

// countBetween counts the events of each kind answered in [from, to): a
// long poll started before from counts if it ended after.
func (p *countingProxy) countBetween(from, to time.Time) map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for _, e := range p.events {
		if end := e.at.Add(e.dur); !end.Before(from) && end.Before(to) {
			out[e.kind]++
		}
	}
	return out
}

// requestsFor counts, per kind, the requests answered in [from, to) that
// went to the finished messages: a request that concerns messages (a
// receive that returned some, an S3 request on a message's key) counts for
// the share of them that finished; one that concerns none (an empty
// receive, a batch delete, a queue attribute) counts in full. Work on
// messages still unfinished at the cut is thus left out of "per message".
func (p *countingProxy) requestsFor(from, to time.Time, finished func(id int) bool) map[string]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]float64{}
	for _, e := range p.events {
		if end := e.at.Add(e.dur); end.Before(from) || !end.Before(to) {
			continue
		}
		if len(e.ids) == 0 {
			out[e.kind]++
			continue
		}
		k := 0
		for _, id := range e.ids {
			if finished(id) {
				k++
			}
		}
		if k > 0 {
			out[e.kind] += float64(k) / float64(len(e.ids))
		}
	}
	return out
}

// durations returns the round trips (ms) of the requests of kind answered in
// [from, to).
func (p *countingProxy) durations(kind string, from, to time.Time) []float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []float64
	for _, e := range p.events {
		if end := e.at.Add(e.dur); e.kind == kind && !end.Before(from) && end.Before(to) {
			out = append(out, ms(e.dur))
		}
	}
	return out
}

// times returns copies of the per-message timestamps.
func (p *countingProxy) times() (received, written map[int]time.Time, redelivered int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cp := func(m map[int]time.Time) map[int]time.Time {
		out := make(map[int]time.Time, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return cp(p.received), cp(p.written), p.redelivered
}

// perMessage splits request counts into SQS operations and S3 kinds (their
// "sqs " and "s3 " prefixes trimmed), each divided by perMsg, with the sums.
func perMessage[N int | float64](counts map[string]N, perMsg float64) (sqsBy, s3By map[string]float64, sqsTotal, s3Total float64) {
	sqsBy, s3By = map[string]float64{}, map[string]float64{}
	for k, v := range counts {
		x := float64(v) / perMsg
		switch {
		case strings.HasPrefix(k, "sqs "):
			sqsBy[strings.TrimPrefix(k, "sqs ")] = x
			sqsTotal += x
		case strings.HasPrefix(k, "s3 "):
			s3By[strings.TrimPrefix(k, "s3 ")] = x
			s3Total += x
		}
	}
	return sqsBy, s3By, sqsTotal, s3Total
}

func (p *countingProxy) receiveStarts(from, to time.Time) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Time
	for _, t := range p.receives {
		if !t.Before(from) && t.Before(to) {
			out = append(out, t)
		}
	}
	return out
}

// Package sqstest lets tests see SQS's side of a long poll. It is for
// tests only; it never talks to AWS by itself.
package sqstest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
)

// PollWatch is an http.RoundTripper for SQS clients (the SDK's JSON
// protocol) that treats a long poll the way SQS does: a ReceiveMessage
// whose caller gives up (its request's context is done) is not cancelled.
// The caller gets its context's error at once, while the request goes on,
// and the messages it receives are delivered to nobody: hidden for their
// visibility timeout, a receive spent. A plain HTTP client would instead
// close the connection, and a local stack might stop serving the poll
// where SQS does not.
//
// It counts the polls and what they brought, so that a test can wait
// until SQS has answered every poll and then read the queue's counts. Use
// it as the Transport of an http.Client (the SDK's HTTPClient) or of a
// reverse proxy in front of the stack.
type PollWatch struct {
	// Next sends every request; nil is http.DefaultTransport.
	Next http.RoundTripper

	mu    sync.Mutex
	polls Polls
}

// Polls counts the ReceiveMessage requests a PollWatch saw.
type Polls struct {
	Started int // polls sent
	Serving int // polls SQS has not answered yet
	// Abandoned is how many polls' callers went before the answer.
	Abandoned int
	// ToCaller and ToNobody count the messages received by polls whose
	// caller waited for the answer, and by those whose caller had gone.
	ToCaller, ToNobody int
}

// Polls returns the counts so far.
func (w *PollWatch) Polls() Polls {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polls
}

// RoundTrip sends req; a ReceiveMessage outlives its caller (see PollWatch).
func (w *PollWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	next := w.Next
	if next == nil {
		next = http.DefaultTransport
	}
	if req.Header.Get("X-Amz-Target") != "AmazonSQS.ReceiveMessage" {
		return next.RoundTrip(req)
	}
	// The poll goes on without its caller: its body must not be read from
	// the caller's request after the caller has gone.
	caller := req.Context()
	out := req.Clone(context.WithoutCancel(caller))
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	w.mu.Lock()
	w.polls.Started++
	w.polls.Serving++
	w.mu.Unlock()

	type answer struct {
		resp *http.Response
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := next.RoundTrip(out)
		var got struct{ Messages []json.RawMessage }
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body, err = io.NopCloser(bytes.NewReader(body)), rerr
			_ = json.Unmarshal(body, &got)
		}
		w.mu.Lock()
		w.polls.Serving--
		if caller.Err() != nil {
			w.polls.ToNobody += len(got.Messages)
		} else {
			w.polls.ToCaller += len(got.Messages)
		}
		w.mu.Unlock()
		answered <- answer{resp, err}
	}()
	select {
	case a := <-answered:
		return a.resp, a.err
	case <-caller.Done():
		w.mu.Lock()
		w.polls.Abandoned++
		w.mu.Unlock()
		return nil, caller.Err()
	}
}

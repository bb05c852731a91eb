package queue_test

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.uber.org/zap/zaptest"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/queue/sqstest"
)

// waitUntil polls cond until it holds, or fails the test after a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 60s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Shutdown does not abandon its long poll. SQS keeps serving a receive
// whose caller has gone, and the messages that arrive meanwhile would be
// delivered to nobody: hidden for the visibility timeout and charged a
// receive. The consumer lets its last poll finish, starts no other, and
// hands back what it brings at once, to no handler.
func TestShutdownFinishesItsLongPoll(t *testing.T) {
	f := newFixture(t)
	// SQS's side of the polls: a poll whose caller went is served anyway.
	watch := &sqstest.PollWatch{}
	client := sqs.NewFromConfig(moto.AWSConfig(), func(o *sqs.Options) { o.HTTPClient = &http.Client{Transport: watch} })
	var handled atomic.Int32
	h := queue.HandlerFunc(func(context.Context, *queue.Message) error {
		handled.Add(1)
		return nil
	})
	c, err := queue.New(client, f.queueURL, h, queue.Config{Concurrency: 10, VisibilityTimeout: 300 * time.Second,
		WaitTime: 20 * time.Second, ShutdownTimeout: 25 * time.Second, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	waitUntil(t, "idle long poll", func() bool { return watch.Polls().Serving > 0 })

	cancel() // SIGTERM, while SQS serves the poll
	before := watch.Polls()
	const n = 7
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = "after-shutdown-" + strconv.Itoa(i)
	}
	f.send(t, bodies...) // well within the poll's 20 s
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Run did not return within 60s of the shutdown")
	}
	waitUntil(t, "answer to every poll", func() bool { return watch.Polls().Serving == 0 })

	p := watch.Polls()
	visible, hidden := f.counts(t, f.queueURL)
	t.Logf("%d messages sent during the last poll: it received %d for the consumer, %d for nobody (%d polls abandoned); then %d visible, %d hidden",
		n, p.ToCaller-before.ToCaller, p.ToNobody, p.Abandoned, visible, hidden)
	if p.ToCaller-before.ToCaller+p.ToNobody == 0 {
		t.Fatal("the last poll received nothing: the messages came after its window, the test proves nothing")
	}
	if visible != n || hidden != 0 {
		t.Errorf("after shutdown: %d messages visible, %d hidden; want %d and 0", visible, hidden, n)
	}
	if p.Abandoned != 0 || p.ToNobody != 0 {
		t.Errorf("%d polls abandoned with %d messages delivered to nobody, want 0", p.Abandoned, p.ToNobody)
	}
	if p.Started != before.Started {
		t.Errorf("%d receives started after the shutdown, want 0", p.Started-before.Started)
	}
	if got := handled.Load(); got != 0 {
		t.Errorf("%d messages handed to the handler after the shutdown, want 0", got)
	}
}

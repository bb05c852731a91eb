package main

import (
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/summarizer/summarizer/queue/sqstest"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// startWorker runs the summarizer binary's `run` with env; the process is
// killed when the test ends, if it is still running.
func startWorker(t *testing.T, env map[string]string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary, "run")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("worker logs:\n%s", logs.String())
		}
	})
	return cmd, logs
}

// SIGTERM while the worker idles in its long poll, then messages arrive
// before that poll would end: once the process has exited they are all
// visible, none hidden for VISIBILITY_TIMEOUT. SQS's side of the polls is a
// proxy that, like SQS, serves a poll whose caller hung up.
func TestShutdownFinishesItsLongPollE2E(t *testing.T) {
	st := newStack(t)
	_, rp := newEmulator(t, emulator.Config{})
	watch := &sqstest.PollWatch{}
	target, err := url.Parse(moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(&httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: watch,
		ErrorLog:  log.New(io.Discard, "", 0), // a caller that hung up is expected
	})
	t.Cleanup(proxy.Close)
	// Default long poll (20 s); the visibility timeout outlasts the test.
	cmd, _ := startWorker(t, st.env(rp, "AWS_ENDPOINT_URL_SQS="+proxy.URL, "VISIBILITY_TIMEOUT=300s", "SHUTDOWN_TIMEOUT=25s"))
	// Idle: the queue is empty (moto's s3:TestEvent was skipped) and a poll is under way.
	waitFor(t, 60*time.Second, "the worker idle in its long poll", func() bool {
		return st.count(st.queueURL) == 0 && watch.Polls().Serving > 0
	})

	before := watch.Polls()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var entries []sqstypes.SendMessageBatchRequestEntry
	for i := range n {
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("after-sigterm-" + strconv.Itoa(i))})
	}
	if _, err := st.sqs.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: &st.queueURL, Entries: entries}); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("worker exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("worker still running 60s after SIGTERM (SHUTDOWN_TIMEOUT 25s)")
	}
	waitFor(t, 60*time.Second, "an answer to every poll", func() bool { return watch.Polls().Serving == 0 })

	p := watch.Polls()
	visible, _ := strconv.Atoi(st.attr(st.queueURL, "ApproximateNumberOfMessages"))
	hidden, _ := strconv.Atoi(st.attr(st.queueURL, "ApproximateNumberOfMessagesNotVisible"))
	t.Logf("%d messages sent after SIGTERM: the last poll received %d for the worker, %d for nobody (%d polls abandoned); after exit %d visible, %d hidden",
		n, p.ToCaller-before.ToCaller, p.ToNobody, p.Abandoned, visible, hidden)
	if p.ToCaller-before.ToCaller+p.ToNobody == 0 {
		t.Fatal("the last poll received nothing: the messages came after its window, the test proves nothing")
	}
	if visible != n || hidden != 0 {
		t.Errorf("after exit: %d messages visible, %d hidden; want %d and 0", visible, hidden, n)
	}
	if p.Started != before.Started {
		t.Errorf("%d receives started after SIGTERM, want 0", p.Started-before.Started)
	}
}

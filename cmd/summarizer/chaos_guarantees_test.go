//go:build chaos

// The promises "each GPU job is paid once" and "nothing lands in the DLQ
// that is not the message's own fault", tested the way an operator meets
// them: replicas as real processes, rolling restarts, a frozen replica,
// duplicate notifications, RunPod outages and key rotations switched on and
// off while work is in flight, overwrites during a job.
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"gopkg.in/yaml.v3"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// setMaxReceiveCount changes the queue's RedrivePolicy: SQS itself moves a
// message to the DLQ once it was received more than n times.
func (st *stack) setMaxReceiveCount(n int) {
	st.t.Helper()
	dlqArn := st.attr(st.dlqURL, "QueueArn")
	_, err := st.sqs.SetQueueAttributes(st.t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: &st.queueURL, Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"%d"}`, dlqArn, n),
	}})
	if err != nil {
		st.t.Fatal(err)
	}
}

func (st *stack) enableVersioning() {
	st.t.Helper()
	_, err := st.s3.PutBucketVersioning(st.t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}})
	if err != nil {
		st.t.Fatal(err)
	}
}

// versions lists every version of every object ever written under prefix.
func (st *stack) versions(prefix string) map[string]int {
	st.t.Helper()
	got := map[string]int{}
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	for {
		out, err := st.s3.ListObjectVersions(st.t.Context(), in)
		if err != nil {
			st.t.Fatal(err)
		}
		for _, v := range out.Versions {
			got[aws.ToString(v.Key)]++
		}
		if !aws.ToBool(out.IsTruncated) {
			return got
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// faultSwitch is a RunPod fault switched on and off while work is in flight.
type faultSwitch struct{ f atomic.Int32 }

func (s *faultSwitch) set(f emulator.Fault) { s.f.Store(int32(f)) }
func (s *faultSwitch) fault(string, int) emulator.Fault {
	return emulator.Fault(s.f.Load())
}

// replica is one `summarizer run` process of a rolling deployment.
func startReplica(t *testing.T, name string, env map[string]string) *chaosProc {
	t.Helper()
	return chaosStart(t, name, env, "run")
}

// 7. Rolling scale-in: two replicas, one SIGTERMed and replaced every 4–7 s
// while 10 s jobs run (SHUTDOWN_TIMEOUT 2s, shorter than a job). Each
// replaced replica leaves its jobs running and journaled; the next one
// resumes them. Every transcript is summarized once, RunPod gets at most
// two submissions more than transcripts, none is cancelled, the DLQ stays
// empty.
func TestChaosRollingScaleIn(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 10 * time.Second})
	const n = 40
	env := st.env(rp, "SHUTDOWN_TIMEOUT=2s", "VISIBILITY_TIMEOUT=10s", "CONCURRENCY=8", "LOG_LEVEL=info")
	replicas := []*chaosProc{startReplica(t, "replica 1", env), startReplica(t, "replica 2", env)}
	objs := map[string][]byte{}
	for i := range n {
		objs[fmt.Sprintf("rolling/%02d.txt", i)] = chaosTranscript(i)
	}
	chaosPutAll(t, st, objs)
	rng := rand.New(rand.NewPCG(chaosSeed(t), 0x7011))
	began := time.Now()
	terms := 0
	for len(st.summaryKeys()) < n {
		if time.Since(began) > 4*time.Minute {
			t.Fatalf("%d of %d summaries after 4 minutes of rolling restarts", len(st.summaryKeys()), n)
		}
		time.Sleep(time.Duration(4000+rng.IntN(3000)) * time.Millisecond)
		if len(st.summaryKeys()) >= n {
			break
		}
		old := replicas[0]
		terms++
		next := startReplica(t, fmt.Sprintf("replica %d", terms+2), env)
		if err := old.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := old.wait(t, 30*time.Second); err != nil {
			t.Errorf("%s exited with %v after SIGTERM, want 0", old.name, err)
		}
		replicas = append(replicas[1:], next)
	}
	waitFor(t, 60*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	s := em.Stats()
	t.Logf("%d transcripts, %d SIGTERMs in %s: %d RunPod submissions (%.2f per transcript), %d cancels, DLQ %d",
		n, terms, time.Since(began).Round(time.Second), s.Submitted, float64(s.Submitted)/n, s.Requests[emulator.OpCancel], st.count(st.dlqURL))
	if terms < 2 {
		t.Errorf("only %d SIGTERMs: the rolling restart was not exercised", terms)
	}
	if s.Submitted > n+2 {
		t.Errorf("%d RunPod submissions for %d transcripts, want at most %d", s.Submitted, n, n+2)
	}
	if c := s.Requests[emulator.OpCancel]; c != 0 {
		t.Errorf("%d RunPod jobs cancelled, want 0", c)
	}
	if got := len(st.summaryKeys()); got != n {
		t.Errorf("%d summaries, want %d", got, n)
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ holds %d: %v", c, st.dead())
	}
	waitFor(t, 30*time.Second, "no journal left", func() bool { return len(st.journals()) == 0 })
}

// 8. Every notification delivered twice (S3 delivers at least once), both
// copies in the queue at once, two replicas: the copies of one upload share
// one set of RunPod jobs.
func TestChaosDuplicateNotifications(t *testing.T) {
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 3 * time.Second})
	const n = 20
	objs := map[string][]byte{}
	for i := range n {
		objs[fmt.Sprintf("dup/%02d.txt", i)] = chaosTranscript(i)
	}
	chaosPutAll(t, st, objs)
	// Take the notifications S3 sent and put each back twice, verbatim.
	var events []string
	waitFor(t, 30*time.Second, "the notifications", func() bool {
		out, err := st.sqs.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: &st.queueURL, MaxNumberOfMessages: 10, VisibilityTimeout: 300})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			if strings.Contains(*m.Body, "ObjectCreated") {
				events = append(events, *m.Body)
			}
			if _, err := st.sqs.DeleteMessage(t.Context(), &sqs.DeleteMessageInput{QueueUrl: &st.queueURL, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
		return len(events) == n
	})
	for _, e := range events {
		st.send(e)
		st.send(e)
	}
	env := st.env(rp, "CONCURRENCY=16", "LOG_LEVEL=info")
	chaosWorker(t, st, "duplicates replica 1", env)
	chaosWorker(t, st, "duplicates replica 2", env)
	waitFor(t, 90*time.Second, "all summaries", func() bool { return len(st.summaryKeys()) == n })
	waitFor(t, 60*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	s := em.Stats()
	t.Logf("%d uploads, each notification twice (%d messages), 2 replicas: %d RunPod submissions (%.2f per upload)", n, 2*n, s.Submitted, float64(s.Submitted)/n)
	if s.Submitted != n {
		t.Errorf("%d RunPod submissions for %d uploads delivered twice, want %d", s.Submitted, n, n)
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ holds %d: %v", c, st.dead())
	}
}

// 9. A replica frozen (SIGSTOP) past its leases while its jobs run, beside a
// healthy replica that takes the messages over; then thawed (SIGCONT). The
// healthy replica resumes the journaled jobs; the thawed one finds its
// leases lost and writes nothing. With bucket versioning on, each summary
// has exactly one version: it was written once.
func TestChaosFrozenReplica(t *testing.T) {
	st := newStack(t)
	st.enableVersioning()
	em, rp := newEmulator(t, emulator.Config{Latency: 12 * time.Second})
	const n = 8
	env := st.env(rp, "VISIBILITY_TIMEOUT=4s", "CONCURRENCY=16", "LOG_LEVEL=info")
	frozen := startReplica(t, "frozen replica", env)
	objs := map[string][]byte{}
	for i := range n {
		objs[fmt.Sprintf("frozen/%d.txt", i)] = chaosTranscript(i)
	}
	chaosPutAll(t, st, objs)
	waitFor(t, 60*time.Second, "every job submitted by the first replica", func() bool { return em.Stats().Submitted == n })
	time.Sleep(time.Second) // the ids reach the journals
	if err := frozen.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	healthy := startReplica(t, "healthy replica", env)
	time.Sleep(16*time.Second - time.Since(stoppedAt))
	if err := frozen.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 90*time.Second, "all summaries", func() bool { return len(st.summaryKeys()) == n })
	waitFor(t, 60*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	time.Sleep(3 * time.Second) // time for a thawed replica to write what it must not
	for _, p := range []*chaosProc{frozen, healthy} {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		if err := p.wait(t, 30*time.Second); err != nil {
			t.Errorf("%s: exit %v", p.name, err)
		}
	}
	s := em.Stats()
	written := 0
	for key, v := range st.versions("summaries/frozen/") {
		if !strings.HasSuffix(key, ".summary.txt") {
			continue
		}
		written += v
		if v != 1 {
			t.Errorf("%s written %d times, want once", key, v)
		}
	}
	lost := strings.Count(frozen.stderr.String(), `"msg":"lease lost`)
	t.Logf("%d transcripts, a replica frozen 16 s with VISIBILITY_TIMEOUT=4s: %d RunPod submissions, %d cancels, %d summary versions written, %d lease-lost log lines in the thawed replica",
		n, s.Submitted, s.Requests[emulator.OpCancel], written, lost)
	if s.Submitted != n {
		t.Errorf("%d RunPod submissions for %d transcripts, want %d", s.Submitted, n, n)
	}
	if lost == 0 {
		t.Error("the thawed replica logged no lost lease: the freeze did not outlast its leases")
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ holds %d: %v", c, st.dead())
	}
}

// 10. RunPod down for everyone (503 on every request), switched on while
// jobs run and off again well after MAX_RECEIVES × RETRY_BACKOFF, with the
// queue's own maxReceiveCount at 2; then RunPod's key revoked (401) and
// restored the same way. The messages are held, not retried: nothing is
// dead-lettered, by the worker or by SQS's redrive, /readyz fails while the
// key is refused, and everything is summarized once the fault is gone.
func TestChaosRunPodOutageAndKeyRotation(t *testing.T) {
	st := newStack(t)
	st.setMaxReceiveCount(2)
	var sw faultSwitch
	em, rp := newEmulator(t, emulator.Config{Latency: 2 * time.Second, Fault: sw.fault})
	env := st.env(rp, "MAX_RECEIVES=2", "RETRY_BACKOFF=1s", "VISIBILITY_TIMEOUT=4s", "CONCURRENCY=8", "LOG_LEVEL=info")
	p := startReplica(t, "outage replica", env)
	addr := chaosMetricsAddr(t, p.stderr.String)

	phases := []struct {
		name  string
		fault emulator.Fault
		cause string
	}{{"outage (503)", emulator.Fault503, "outage"}, {"revoked key (401)", emulator.Fault401, "config"}}
	total := 0
	for i, ph := range phases {
		objs := map[string][]byte{}
		for j := range 3 {
			objs[fmt.Sprintf("outage/%d-%d.txt", i, j)] = chaosTranscript(10*i + j)
		}
		chaosPutAll(t, st, objs)
		total += len(objs)
		waitFor(t, 30*time.Second, "jobs in flight", func() bool { return em.Stats().Submitted >= total })
		sw.set(ph.fault)
		for j := range 3 { // uploads during the fault
			objs[fmt.Sprintf("outage/%d-late-%d.txt", i, j)] = chaosTranscript(10*i + 5 + j)
			st.put(fmt.Sprintf("outage/%d-late-%d.txt", i, j), chaosTranscript(10*i+5+j))
		}
		total += 3
		var held float64
		var readyz int
		waitFor(t, 30*time.Second, "messages held: "+ph.cause, func() bool {
			_, metrics, _ := chaosGet(addr, "/metrics")
			held = chaosMetric(metrics, `summarizer_held_messages{cause="`+ph.cause+`"}`)
			readyz, _, _ = chaosGet(addr, "/readyz")
			return held > 0 && (ph.cause != "config" || readyz == 503)
		})
		time.Sleep(20 * time.Second) // ≫ MAX_RECEIVES × RETRY_BACKOFF
		if c := st.count(st.dlqURL); c != 0 {
			t.Errorf("%s: DLQ holds %d during the fault: %v", ph.name, c, st.dead())
		}
		sw.set(emulator.FaultNone)
		t.Logf("%s: %v messages held (cause %s), /readyz %d; fault lasted 20 s+ with MAX_RECEIVES=2, maxReceiveCount=2", ph.name, held, ph.cause, readyz)
		waitFor(t, 90*time.Second, ph.name+": all summaries after the fault", func() bool { return len(st.summaryKeys()) == total })
		if code, body, _ := chaosGet(addr, "/readyz"); code != 200 {
			t.Errorf("%s: /readyz %d %q after the fault cleared", ph.name, code, body)
		}
	}
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ holds %d: %v", c, st.dead())
	}
	s := em.Stats()
	t.Logf("%d transcripts through an outage and a key rotation: %d RunPod submissions, %d cancels", total, s.Submitted, s.Requests[emulator.OpCancel])
	if s.Submitted != total {
		t.Errorf("%d submissions for %d transcripts, want one each", s.Submitted, total)
	}
}

// 11. A transcript overwritten while its (slow) job runs: the newer version
// is summarized, the older event ends superseded, and the final summary is
// the new version's, its metadata ETag included; written once. And a version
// overwritten before its event is even read is superseded at once.
func TestChaosOverwriteDuringSlowJob(t *testing.T) {
	st := newStack(t)
	st.enableVersioning()
	em, rp := newEmulator(t, emulator.Config{Latency: time.Second, LatencyFor: func(prompt string) time.Duration {
		if strings.Contains(prompt, "SLOW VERSION") {
			return 8 * time.Second
		}
		return time.Second
	}})
	env := st.env(rp, "LOG_LEVEL=info")
	stopFirst, logs := chaosWorker(t, st, "overwrite worker", env)
	put := func(key, text string) string {
		out, err := st.s3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(text)})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Trim(aws.ToString(out.ETag), `"`)
	}
	put("overwrite/talk.txt", sampleTranscript+"\nEve: This is the SLOW VERSION of the talk about the billing launch.")
	waitFor(t, 30*time.Second, "the first version's job", func() bool { return em.Stats().Submitted == 1 })
	v2 := put("overwrite/talk.txt", sampleTranscript+"\nEve: This is the second version, about the billing launch date.")
	const key = "summaries/overwrite/talk.txt.summary.txt"
	waitFor(t, 60*time.Second, "the first event to end", func() bool { return strings.Contains(logs.String(), `"msg":"superseded"`) })
	body, meta, ok := st.summary(key)
	if !ok || meta["source-etag"] != v2 || strings.Contains(body, "SLOW VERSION") {
		t.Errorf("summary after the overwrite: ok=%v etag %q (want %q) body %q", ok, meta["source-etag"], v2, body)
	}
	if v := st.versions(key)[key]; v != 1 {
		t.Errorf("summary written %d times, want once (the older version never overwrites the newer)", v)
	}
	// Two versions uploaded before any worker reads the first: its event is
	// superseded without a job.
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if err := stopFirst(); err != nil {
		t.Fatal(err)
	}
	before := em.Stats().Submitted
	put("overwrite/quick.txt", sampleTranscript+"\nEve: first take.")
	q2 := put("overwrite/quick.txt", sampleTranscript+"\nEve: second take.")
	chaosWorker(t, st, "overwrite worker 2", env)
	const qkey = "summaries/overwrite/quick.txt.summary.txt"
	waitFor(t, 60*time.Second, "the quick summary", func() bool {
		_, meta, ok := st.summary(qkey)
		return ok && meta["source-etag"] == q2
	})
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if got := em.Stats().Submitted - before; got != 1 {
		t.Errorf("%d jobs for two versions uploaded back to back, want 1 (the first is superseded before any job)", got)
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ holds %d: %v", c, st.dead())
	}
	t.Logf("overwrite during a slow job: final summary etag %s (the new version's), %d superseded events logged", v2, strings.Count(logs.String(), `"msg":"superseded"`))
}

// 12. Of everything the worker ever wrote (bucket versioning keeps every
// object), nothing but summaries matches the notification suffixes of the
// shipped template: the worker's own writes never feed its queue.
func TestChaosWorkerWritesNeverMatchNotifications(t *testing.T) {
	st := newStack(t)
	st.enableVersioning()
	suffixes := templateSuffixes(t)
	var sw faultSwitch
	em, rp := newEmulator(t, emulator.Config{Latency: 2 * time.Second, Fault: sw.fault})
	env := st.env(rp, "SHUTDOWN_TIMEOUT=1s", "LOG_LEVEL=info", "MAX_RECEIVES=2", "RETRY_BACKOFF=1s")
	// Journals, claims, summaries, a shutdown mid-job, a failed job.
	p := startReplica(t, "writer 1", env)
	objs := map[string][]byte{}
	for i := range 6 {
		objs[fmt.Sprintf("writes/%d.txt", i)] = chaosTranscript(i)
	}
	chaosPutAll(t, st, objs)
	waitFor(t, 30*time.Second, "jobs in flight", func() bool { return em.Stats().Submitted >= 6 })
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.wait(t, 30*time.Second)
	chaosWorker(t, st, "writer 2", env)
	waitFor(t, 60*time.Second, "summaries", func() bool { return len(st.summaryKeys()) == 6 })
	written := st.versions("summaries/")
	if len(written) == 0 {
		t.Fatal("the worker wrote nothing under summaries/")
	}
	kinds := map[string]int{}
	for key, n := range written {
		isSummary := strings.HasSuffix(key, ".summary.txt") || strings.HasSuffix(key, ".summary.json")
		if isSummary {
			kinds["summary"] += n
		} else {
			kinds[filepath.Ext(key)] += n
		}
		for _, sfx := range suffixes {
			if strings.HasSuffix(strings.ToLower(key), sfx) && !isSummary {
				t.Errorf("the worker wrote %s (%d versions): it matches the template's notification suffix %q", key, n, sfx)
			}
		}
	}
	t.Logf("object versions the worker wrote, by kind: %v; the template notifies %v", kinds, suffixes)
	if kinds[".jobs"] == 0 {
		t.Error("no journal was ever written: the check proves nothing")
	}
}

// templateSuffixes reads the notification suffix filters of the shipped
// CloudFormation template.
func templateSuffixes(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/cloudformation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Read the rules as text (the template's flow style is stable), after
	// checking the file is YAML at all.
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\{Name:\s*suffix,\s*Value:\s*['"]?([^'"\s}]+)`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out = append(out, strings.ToLower(m[1]))
	}
	if len(out) == 0 {
		t.Fatal("no suffix rule found in deploy/cloudformation.yaml")
	}
	return out
}

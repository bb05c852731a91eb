//go:build chaos

// The chaos suite: the worker and the replay command under SIGKILL, a moto
// crash, a faulty RunPod and a poisoned queue, against real moto and the real
// binary. Run it with `make chaos` (go test -race -count=1 -tags chaos -run
// Chaos ./cmd/summarizer/); it is sized to finish in a few minutes on a
// 2-core machine. CHAOS_SEED=N replays a run's random choices; CHAOS_KILL_N
// and CHAOS_KILLS resize TestChaosKill9; CHAOS_LOG_DIR=DIR keeps the output
// of every subprocess there.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// chaosCaptured is everything the suite captured: the logs of every worker
// (in-process and subprocess), replay output, scraped /metrics, help texts
// and error strings. TestChaosSecretNeverLeaks, the last test, searches it
// for the RunPod API key.
var chaosCaptured syncBuffer

func chaosKeep(what, text string) {
	fmt.Fprintf(&chaosCaptured, "=== %s\n%s\n", what, text)
}

var chaosMetricsAddrRe = regexp.MustCompile(`"msg":"metrics listening"[^\n]*?"addr":"([^"]+)"`)

// chaosSeed is CHAOS_SEED, or a new seed; it is logged so a failing run can
// be replayed.
func chaosSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (replay with CHAOS_SEED=%d)", seed, seed)
	return seed
}

func chaosEnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// chaosTranscript is sampleTranscript made unique by i.
func chaosTranscript(i int) []byte {
	return fmt.Appendf(nil, "%s\nDana: Action item %d is assigned to the platform team and due on day %d.\n", sampleTranscript, i, i%28+1)
}

// chaosPutAll uploads objects with a few parallel PUTs.
func chaosPutAll(t *testing.T, st *stack, objs map[string][]byte) {
	t.Helper()
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for key, body := range objs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			_, err := st.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("put %s: %w", key, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		chaosKeep("upload error", err.Error())
		t.Fatal(err)
	}
}

// chaosWorker runs an in-process worker whose logs end up in chaosCaptured.
func chaosWorker(t *testing.T, st *stack, what string, env map[string]string) (stop func() error, logs *syncBuffer) {
	t.Helper()
	var l *syncBuffer
	// Registered before st.worker's own cleanup, so it runs after it: the
	// logs are complete (drain included).
	t.Cleanup(func() {
		if l != nil {
			chaosKeep(what, l.String())
		}
	})
	stop, l = st.worker(env)
	return stop, l
}

// chaosProc is a subprocess of the summarizer binary.
type chaosProc struct {
	name           string
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
	started        time.Time
}

// chaosStart starts `summarizer args...` with exactly env; it is SIGKILLed
// (if still running) and its output kept when the test ends.
func chaosStart(t *testing.T, name string, env map[string]string, args ...string) *chaosProc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// If the test binary dies, its workers die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &chaosProc{name: name, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.started = time.Now()
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		chaosKeep(name+" stdout", p.stdout.String())
		chaosKeep(name+" stderr", p.stderr.String())
		if p.err != nil {
			chaosKeep(name+" exit", p.err.Error())
		}
		if dir := os.Getenv("CHAOS_LOG_DIR"); dir != "" {
			file := strings.NewReplacer("/", "_", " ", "_", "(", "", ")", "").Replace(t.Name() + "_" + name)
			_ = os.WriteFile(filepath.Join(dir, file+".log"), []byte(p.stdout.String()+p.stderr.String()), 0o644)
		}
		if t.Failed() {
			t.Logf("%s stderr (tail):\n%s", name, chaosTail(p.stderr.String(), 40))
		}
	})
	return p
}

func (p *chaosProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill SIGKILLs the process and waits for it.
func (p *chaosProc) kill() {
	if !p.exited() {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-p.done
}

// wait waits for the process to exit by itself and returns its error.
func (p *chaosProc) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		t.Fatalf("%s still running after %s\n%s", p.name, timeout, chaosTail(p.stderr.String(), 40))
		return nil
	}
}

func chaosTail(s string, lines int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// chaosMetricsAddr is the address a worker's log says it serves metrics on.
func chaosMetricsAddr(t *testing.T, logs func() string) string {
	t.Helper()
	var addr string
	waitFor(t, 30*time.Second, "metrics address in the logs", func() bool {
		if m := chaosMetricsAddrRe.FindStringSubmatch(logs()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	return addr
}

func chaosGet(addr, path string) (int, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// chaosMetric is the value of one sample of a Prometheus text exposition
// (name with its labels exactly as printed), or -1.
func chaosMetric(text, sample string) float64 {
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// chaosDrain receives every message of a queue (hiding each for 5 minutes):
// what the queue holds, duplicates included.
func chaosDrain(t *testing.T, st *stack, queueURL string) []sqstypes.Message {
	t.Helper()
	var all []sqstypes.Message
	for empty := 0; empty < 2; {
		out, err := st.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &queueURL, MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 300})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			empty++
			continue
		}
		all = append(all, out.Messages...)
	}
	return all
}

// chaosLogLine is one JSON log line of the worker.
type chaosLogLine struct {
	Msg          string `json:"msg"`
	MessageID    string `json:"message_id"`
	ReceiveCount int    `json:"receive_count"`
	Error        string `json:"error"`
	Reason       string `json:"reason"`
}

func chaosParseLogs(logs string) []chaosLogLine {
	var out []chaosLogLine
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var l chaosLogLine
		if json.Unmarshal(sc.Bytes(), &l) == nil {
			out = append(out, l)
		}
	}
	return out
}

// Outcome log lines of the queue consumer (queue/consumer.go).
var chaosOutcomes = map[string]string{
	"done":                               "done",
	"skipped":                            "skipped",
	"dead-lettered":                      "dead_lettered",
	"transient failure: message retried": "retried",
	"superseded":                         "superseded",
	"handler panicked":                   "retried",
	"released at shutdown":               "released",
	"released at the visibility ceiling": "released",
}

// 1. SIGKILL the worker (a subprocess) several times at random moments
// while RunPod jobs are in flight, then let a clean worker finish: every
// transcript has exactly one summary, nothing is dead-lettered, no journal
// is left, and RunPod is paid at most once more per kill and in-flight call.
func TestChaosKill9(t *testing.T) {
	began := time.Now()
	st := newStack(t)
	n := chaosEnvInt("CHAOS_KILL_N", 200)
	kills := chaosEnvInt("CHAOS_KILLS", 5)
	const concurrency = 16
	seed := chaosSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	em, rp := newEmulator(t, emulator.Config{Latency: 1500 * time.Millisecond, Seed: int64(seed)})

	objs := map[string][]byte{}
	want := map[string]bool{}
	for i := range n {
		objs[fmt.Sprintf("kill9/%03d.txt", i)] = chaosTranscript(i)
		want[fmt.Sprintf("summaries/kill9/%03d.txt.summary.txt", i)] = true
	}
	chaosPutAll(t, st, objs)
	t.Logf("uploaded %d transcripts in %s", n, time.Since(began).Round(time.Millisecond))

	env := st.env(rp, "VISIBILITY_TIMEOUT=4s", fmt.Sprintf("CONCURRENCY=%d", concurrency), "SHUTDOWN_TIMEOUT=5s")
	var logs []*chaosProc
	inFlightKills := 0
	for k := range kills {
		p := chaosStart(t, fmt.Sprintf("kill9 worker %d", k), env, "run")
		logs = append(logs, p)
		before := em.Stats().Submitted
		// Kill only once this process has jobs of its own at RunPod.
		waitFor(t, 60*time.Second, fmt.Sprintf("worker %d to submit jobs", k), func() bool {
			return p.exited() || strings.Contains(p.stderr.String(), "runpod job submitted") || em.Stats().Submitted > before
		})
		if p.exited() {
			t.Fatalf("worker %d exited by itself: %v\n%s", k, p.err, chaosTail(p.stderr.String(), 30))
		}
		time.Sleep(time.Duration(300+rng.IntN(3000)) * time.Millisecond)
		s := em.Stats()
		p.kill()
		if s.InFlight > 0 {
			inFlightKills++
		}
		t.Logf("kill %d: SIGKILL after %s up; RunPod jobs in flight %d, submitted so far %d, summaries %d",
			k+1, time.Since(p.started).Round(time.Millisecond), s.InFlight, s.Submitted, len(st.summaryKeys()))
	}
	if inFlightKills == 0 {
		t.Errorf("no kill landed while RunPod jobs were in flight")
	}
	killedAt := time.Now()
	final := chaosStart(t, "kill9 final worker", env, "run")
	logs = append(logs, final)
	waitFor(t, 240*time.Second, "a summary of every transcript", func() bool {
		if final.exited() {
			t.Fatalf("final worker exited: %v", final.err)
		}
		return len(st.summaryKeys()) >= n
	})
	waitFor(t, 60*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	_ = final.cmd.Process.Signal(syscall.SIGTERM)
	if err := final.wait(t, 30*time.Second); err != nil {
		t.Errorf("final worker exit after SIGTERM: %v, want 0", err)
	}
	t.Logf("final clean run took %s", time.Since(killedAt).Round(time.Millisecond))

	got := st.summaryKeys()
	missing, extra := 0, 0
	seen := map[string]bool{}
	for _, k := range got {
		seen[k] = true
		if !want[k] {
			extra++
			t.Errorf("unexpected summary %s", k)
		}
	}
	for k := range want {
		if !seen[k] {
			missing++
			t.Errorf("no summary %s", k)
		}
	}
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ has %d messages: %v", c, st.dead())
	}
	for _, j := range st.journals() {
		// Tell the known way of leaving one: a worker killed after it stored
		// the summary and before it deleted the journal; the redelivery finds
		// the summary done and returns without deleting the journal.
		body, _, _ := st.summary(j)
		var doc struct {
			SourceETag string `json:"source_etag"`
		}
		_ = json.Unmarshal([]byte(body), &doc)
		_, meta, ok := st.summary(strings.TrimSuffix(j, ".jobs.json"))
		if ok && doc.SourceETag != "" && meta["source-etag"] == doc.SourceETag {
			t.Errorf("job journal left behind: %s (its summary exists for the same etag %s: a worker died between storing the summary and "+
				"deleting the journal, and the redelivery that found the summary done did not delete it)", j, doc.SourceETag)
		} else {
			t.Errorf("job journal left behind: %s (summary found %v, journal etag %q, summary etag %q)", j, ok, doc.SourceETag, meta["source-etag"])
		}
	}
	var all strings.Builder
	for _, p := range logs {
		all.WriteString(p.stderr.String())
	}
	resumed := strings.Count(all.String(), "waiting for a journaled job")
	alreadyDone := strings.Count(all.String(), "summary exists for this etag")
	s := em.Stats()
	// A SIGKILL loses at most one job per model call in flight: the one whose
	// /run was accepted but whose id was not yet journaled (between /run and
	// the journal PUT). One chunk per transcript and CONCURRENCY messages in
	// flight make that at most CONCURRENCY jobs per kill.
	bound := n + kills*concurrency
	t.Logf("N=%d kills=%d (%d with RunPod jobs in flight): RunPod jobs submitted %d (%.3f per transcript, %d extra; bound %d = N + kills×CONCURRENCY), COMPLETED %d, "+
		"journaled jobs resumed %d, redeliveries found already done %d, summaries %d (missing %d, extra %d), whole test %s",
		n, kills, inFlightKills, s.Submitted, float64(s.Submitted)/float64(n), s.Submitted-n, bound, s.Jobs[emulator.StatusCompleted],
		resumed, alreadyDone, len(got), missing, extra, time.Since(began).Round(time.Millisecond))
	if s.Submitted < n {
		t.Errorf("%d RunPod jobs for %d transcripts", s.Submitted, n)
	}
	if s.Submitted > bound {
		t.Errorf("RunPod jobs submitted %d > bound %d: redelivered messages resubmitted instead of resuming their journaled jobs", s.Submitted, bound)
	}
}

// chaosRecreate rebuilds the stack's bucket, queues and notifications after
// moto lost its state; moto gives the same names the same URLs again.
func (st *stack) chaosRecreate(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	dlq, err := st.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("summaries-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	if *dlq.QueueUrl != st.dlqURL {
		t.Fatalf("DLQ URL %s after the restart, was %s", *dlq.QueueUrl, st.dlqURL)
	}
	dlqArn := st.attr(st.dlqURL, "QueueArn")
	q, err := st.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("summaries"), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"10"}`, dlqArn),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if *q.QueueUrl != st.queueURL {
		t.Fatalf("queue URL %s after the restart, was %s", *q.QueueUrl, st.queueURL)
	}
	if _, err := st.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(st.attr(st.queueURL, "QueueArn")), Events: []s3types.Event{"s3:ObjectCreated:*"},
		}}},
	}); err != nil {
		t.Fatal(err)
	}
}

// 2. moto crashes and comes back empty in the middle of a run: the same
// worker process logs its receive errors, backs off, and once the queue is
// back summarizes new uploads without a restart.
func TestChaosMotoRestart(t *testing.T) {
	began := time.Now()
	st := newStack(t)
	em, rp := newEmulator(t, emulator.Config{Latency: 2 * time.Second})
	p := chaosStart(t, "moto-restart worker", st.env(rp, "VISIBILITY_TIMEOUT=6s", "CONCURRENCY=8"), "run")
	addr := chaosMetricsAddr(t, p.stderr.String)

	// Phase A: a normal run.
	const nA, nB, nC = 6, 6, 8
	const outage = 6 * time.Second
	objs := map[string][]byte{}
	for i := range nA {
		objs[fmt.Sprintf("before/%d.txt", i)] = chaosTranscript(i)
	}
	chaosPutAll(t, st, objs)
	waitFor(t, 90*time.Second, "phase A summaries", func() bool { return len(st.summaryKeys()) == nA })
	waitFor(t, 30*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })

	// Phase B: jobs in flight when moto dies. moto forgets them with
	// everything else: their fate is only logged.
	objs = map[string][]byte{}
	for i := range nB {
		objs[fmt.Sprintf("during/%d.txt", i)] = chaosTranscript(100 + i)
	}
	before := em.Stats().Submitted
	chaosPutAll(t, st, objs)
	waitFor(t, 60*time.Second, "phase B jobs in flight", func() bool { return em.Stats().Submitted >= before+nB/2 })

	// Watch /readyz through the outage.
	var mu sync.Mutex
	readyz := map[int]int{}
	var unreadyBody string
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(100 * time.Millisecond):
			}
			code, body, err := chaosGet(addr, "/readyz")
			if err != nil {
				code = -1
			}
			mu.Lock()
			readyz[code]++
			if code == http.StatusServiceUnavailable && unreadyBody == "" {
				unreadyBody = body
			}
			mu.Unlock()
		}
	}()

	down := time.Now()
	if err := moto.Restart(t.Context()); err != nil {
		t.Fatal(err)
	}
	restartTook := time.Since(down)
	// moto is back but empty: receives fail (no such queue) until the stack
	// is recreated, long enough for the worker to report itself unready.
	time.Sleep(outage)
	st.chaosRecreate(t)
	recreated := time.Now()

	// Phase C: new uploads after the restart, same worker process.
	objs = map[string][]byte{}
	for i := range nC {
		objs[fmt.Sprintf("after/%d.txt", i)] = chaosTranscript(200 + i)
	}
	chaosPutAll(t, st, objs)
	var recoveredAfter time.Duration
	waitFor(t, 150*time.Second, "phase C summaries by the same worker", func() bool {
		if p.exited() {
			t.Fatalf("the worker exited during the outage: %v", p.err)
		}
		n := 0
		for _, k := range st.summaryKeys() {
			if strings.HasPrefix(k, "summaries/after/") {
				n++
			}
		}
		if n > 0 && recoveredAfter == 0 {
			recoveredAfter = time.Since(recreated)
		}
		return n == nC
	})
	allDone := time.Since(recreated)
	waitFor(t, 60*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	code, body, err := chaosGet(addr, "/readyz")
	if err != nil || code != 200 {
		t.Errorf("/readyz after recovery: %d %q %v", code, body, err)
	}
	_, metrics, _ := chaosGet(addr, "/metrics")
	chaosKeep("moto-restart /metrics", metrics)
	close(stopWatch)
	<-watched

	if p.exited() {
		t.Fatalf("the worker exited: %v", p.err)
	}
	logs := p.stderr.String()
	if !strings.Contains(logs, `"msg":"receive failed"`) {
		t.Error("no receive error logged during the outage")
	}
	if !strings.Contains(logs, `"msg":"receive recovered"`) {
		t.Error(`no "receive recovered" logged after the outage`)
	}
	mu.Lock()
	if readyz[http.StatusServiceUnavailable] == 0 {
		t.Errorf("/readyz never said unready during a %s outage: %v", outage, readyz)
	}
	mu.Unlock()
	dead := st.dead()
	for b, reason := range dead {
		if strings.Contains(b, "after/") {
			t.Errorf("a phase C message was dead-lettered (%s): %.200s", reason, b)
		}
	}
	fateB := map[string]int{} // what the worker logged about phase B messages
	for _, l := range chaosParseLogs(logs) {
		if _, ok := chaosOutcomes[l.Msg]; ok && strings.Contains(l.Error, "during/") {
			fateB[l.Msg+" ("+l.Reason+")"]++
		}
	}
	phaseB := 0
	for _, k := range st.summaryKeys() {
		if strings.HasPrefix(k, "summaries/during/") {
			phaseB++
		}
	}
	mu.Lock()
	t.Logf("moto restart took %s (same URL %s), stack recreated %s later; first phase C summary %s and all %d %s after the stack was recreated; "+
		"/readyz during the outage: %v (first unready answer %q); receive errors logged %d; "+
		"phase B (in flight at the crash, lost with moto's state): %d summaries, %d dead letters in the new DLQ %v, outcomes logged %v; whole test %s",
		restartTook.Round(time.Millisecond), moto.URL, outage, recoveredAfter.Round(time.Millisecond), nC, allDone.Round(time.Millisecond),
		readyz, strings.TrimSpace(unreadyBody), strings.Count(logs, `"msg":"receive failed"`), phaseB, len(dead), dead, fateB, time.Since(began).Round(time.Millisecond))
	mu.Unlock()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 30*time.Second); err != nil {
		t.Errorf("worker exit after SIGTERM: %v, want 0", err)
	}
}

// 3. RunPod answering 429 (20% of requests), 500 (10%), FAILED (5% of jobs)
// and stuck jobs (5%, abandoned at JOB_TIMEOUT): every transcript is
// summarized, nothing dead-lettered, and no message is redelivered while its
// job is healthy: each message's deliveries are 1..k with every one but the
// last ending in a logged retry, and RunPod completed exactly one job per
// transcript.
func TestChaosRunPodFaults(t *testing.T) {
	began := time.Now()
	st := newStack(t)
	const n = 60
	em, rp := newEmulator(t, emulator.Config{Latency: 500 * time.Millisecond, Seed: 20261124,
		Rates: emulator.Rates{HTTP429: 0.20, HTTP500: 0.10, Failed: 0.05, Stuck: 0.05},
		// The rates are drawn in request order, which concurrency varies: a
		// run may draw no FAILED job at all (~4% for 64 jobs). One of each
		// rare job fault is therefore placed for sure; the rates do the rest.
		Fault: func(op string, n int) emulator.Fault {
			switch {
			case op == emulator.OpRun && n == 3:
				return emulator.FaultFailed
			case op == emulator.OpRun && n == 5:
				return emulator.FaultStuck
			}
			return emulator.FaultNone
		}})
	objs := map[string][]byte{}
	for i := range n {
		objs[fmt.Sprintf("faults/%02d.txt", i)] = chaosTranscript(i)
	}
	chaosPutAll(t, st, objs)
	_, logs := chaosWorker(t, st, "runpod-faults worker", st.env(rp, "VISIBILITY_TIMEOUT=6s", "CONCURRENCY=16", "JOB_TIMEOUT=8s"))
	waitFor(t, 240*time.Second, "every summary", func() bool { return len(st.summaryKeys()) == n })
	waitFor(t, 60*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ has %d messages: %v", c, st.dead())
	}
	if j := st.journals(); len(j) != 0 {
		t.Errorf("job journals left: %q", j)
	}
	took := time.Since(began)

	// Deliveries per message, from the consumer's outcome logs.
	type delivery struct {
		count   int
		outcome string
	}
	byID := map[string][]delivery{}
	retryWhy := map[string]int{}
	lines := chaosParseLogs(logs.String())
	receiptGone := 0
	for _, l := range lines {
		if strings.HasPrefix(l.Msg, "lease lost") {
			receiptGone++
		}
		o, ok := chaosOutcomes[l.Msg]
		if !ok || l.MessageID == "" {
			continue
		}
		byID[l.MessageID] = append(byID[l.MessageID], delivery{l.ReceiveCount, o})
		if o == "retried" {
			why := l.Error
			switch {
			case strings.Contains(why, "CANCELLED"), strings.Contains(why, "timeout"), strings.Contains(why, "deadline"):
				why = "job timeout / abandoned"
			case strings.Contains(why, "FAILED"):
				why = "FAILED after resubmits"
			case strings.Contains(why, "429"), strings.Contains(why, "500"):
				why = "HTTP 429/500 after client retries"
			}
			retryWhy[why]++
		}
	}
	deliveries, retried, done, other := 0, 0, 0, 0
	for id, ds := range byID {
		sort.Slice(ds, func(i, j int) bool { return ds[i].count < ds[j].count })
		if len(ds) == 1 && ds[0].outcome == "skipped" {
			other++ // the notification of a summary or a journal (recursion guard)
			continue
		}
		for i, d := range ds {
			deliveries++
			if d.count != i+1 {
				t.Errorf("message %s: deliveries %v: receive counts are not 1..k (a delivery without an outcome, or two at once)", id, ds)
				break
			}
			last := i == len(ds)-1
			switch {
			case !last && d.outcome != "retried":
				t.Errorf("message %s: delivery %d ended %s yet it was delivered again: redelivered while healthy (%v)", id, d.count, d.outcome, ds)
			case last && d.outcome != "done" && d.outcome != "skipped":
				t.Errorf("message %s: last delivery ended %s", id, d.outcome)
			}
			if d.outcome == "retried" {
				retried++
			}
			if d.outcome == "done" {
				done++
			}
		}
	}
	if done != n || deliveries != n+retried {
		t.Errorf("%d transcript messages done (want %d) in %d deliveries (want N + %d retries)", done, n, deliveries, retried)
	}
	if receiptGone != 0 {
		t.Errorf("%d leases found gone (a message's visibility ran out while it was worked on)", receiptGone)
	}
	s := em.Stats()
	finished := 0
	for _, c := range s.Jobs {
		finished += c
	}
	t.Logf("N=%d in %s: RunPod requests %v, jobs submitted %d (%.2f per transcript), final statuses %v, still in flight %d (stuck, never cancelled); "+
		"transcript messages delivered %d times (N + %d retries: %v; 0 redelivered while healthy), leases lost %d, other messages (recursion guard) %d",
		n, took.Round(time.Millisecond), s.Requests, s.Submitted, float64(s.Submitted)/n, s.Jobs, s.InFlight,
		deliveries, retried, retryWhy, receiptGone, other)
	if got := s.Jobs[emulator.StatusCompleted]; got != n {
		t.Errorf("RunPod COMPLETED %d jobs for %d transcripts: a healthy job was run twice (message redelivered while its job ran?)", got, n)
	}
	if finished+s.InFlight != s.Submitted {
		t.Errorf("submitted %d != finished %d + in flight %d", s.Submitted, finished, s.InFlight)
	}
	if s.Jobs[emulator.StatusFailed] == 0 || s.Jobs[emulator.StatusCancelled] == 0 || s.Requests[emulator.OpCancel] == 0 {
		t.Errorf("faults not exercised: jobs %v, requests %v", s.Jobs, s.Requests)
	}
}

// chaosS3Event is an S3 notification body for key with eventName and an
// object size given as raw JSON.
func chaosS3Event(key, eventName, rawSize string) string {
	return fmt.Sprintf(`{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2026-11-24T00:00:00.000Z",`+
		`"eventName":%q,"s3":{"s3SchemaVersion":"1.0","bucket":{"name":%q,"arn":"arn:aws:s3:::%s"},`+
		`"object":{"key":%q,"size":%s,"eTag":"","sequencer":"0055AED6DCD90281E5"}}}]}`, eventName, bucket, bucket, key, rawSize)
}

// 4. Poison messages mixed with good ones: each poison message is in the
// DLQ once with its reason, skipped messages are not, every good transcript
// is summarized.
func TestChaosPoisonCorpus(t *testing.T) {
	began := time.Now()
	st := newStack(t)
	_, rp := newEmulator(t, emulator.Config{Latency: 50 * time.Millisecond})
	const maxBytes = 64 << 10

	type poison struct {
		name, body, marker, reason string // body: sent as is; marker: identifies the DLQ body
	}
	full := s3Event(bucket, "poison/truncated.txt")
	var huge bytes.Buffer
	huge.WriteString(`{"Records":{"note":"not a list"},"padding":[`)
	for huge.Len() < 250_000 {
		huge.WriteString(`"0123456789abcdef0123456789abcdef",`)
	}
	huge.WriteString(`"end"]}`)
	sent := []poison{
		{name: "truncated JSON", body: full[:len(full)/2], reason: "bad_message"},
		{name: "size is an object", body: chaosS3Event("poison/size-object.txt", "ObjectCreated:Put", `{"bytes":100}`), reason: "bad_message"},
		{name: "Records is a string", body: `{"Records":"s3://transcripts/poison/records-string.txt"}`, reason: "bad_message"},
		{name: "huge body", body: huge.String(), reason: "bad_message"},
		{name: "empty Records", body: `{"Records": []}`, reason: "bad_message"},
		{name: "negative size", body: chaosS3Event("poison/negative.txt", "ObjectCreated:Put", `-1`), reason: "bad_message"},
		{name: "invalid escape %zz", body: chaosS3Event("poison/bad%zzescape.txt", "ObjectCreated:Put", "10"), reason: "bad_message"},
		{name: "bare % before .txt", body: chaosS3Event("poison/100%.txt", "ObjectCreated:Put", "10"), reason: "bad_message"},
		{name: "truncated escape at the end", body: chaosS3Event("poison/trailing.txt%2", "ObjectCreated:Put", "10"), reason: "bad_message"},
		{name: "JSON array", body: `[{"Records":[]}]`, reason: "bad_message"},
		{name: "not JSON at all", body: "<xml>not json</xml>", reason: "bad_message"},
	}
	// Skipped: not work, never dead-lettered.
	skipped := []poison{
		{name: "unknown eventName", body: chaosS3Event("poison/restored.txt", "ObjectRestore:Completed", "10")},
		{name: "ObjectRemoved", body: chaosS3Event("poison/removed.txt", "ObjectRemoved:Delete", "0")},
		{name: "s3:TestEvent", body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-24T00:00:00.000Z","Bucket":"transcripts","RequestId":"X","HostId":"Y"}`},
		{name: "wrong suffix", body: s3Event(bucket, "poison/slides.png")},
		{name: "a summary (recursion guard)", body: s3Event(bucket, "summaries/good/0.summary.txt")},
	}
	// Uploaded, so moto sends the notification.
	latin1 := []byte("Alice: caf\xe9 au lait, na\xefve r\xe9sum\xe9 of the meeting.")
	binaryData := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 0xff, 0x10, 0x80}, 500)...)
	uploads := []struct {
		key    string
		body   []byte
		reason string // "" for good ones
	}{
		{"poison/empty.txt", nil, "bad_format"},
		{"poison/too-large.txt", bytes.Repeat([]byte("a"), maxBytes+1), "too_large"},
		{"poison/binary.txt", binaryData, "bad_format"},
		{"poison/latin1.txt", latin1, "bad_format"},
		{"poison/deleted.txt", []byte(sampleTranscript), "not_found"},
		{"good/exactly-64KiB.txt", chaosText(maxBytes), ""},
		{"good/50% off.txt", chaosTranscript(50), ""},
		{"good/a+b=c.txt", chaosTranscript(51), ""},
	}
	for i := range 8 {
		uploads = append(uploads, struct {
			key    string
			body   []byte
			reason string
		}{fmt.Sprintf("good/%d.txt", i), chaosTranscript(i), ""})
	}
	for _, u := range uploads {
		st.put(u.key, u.body)
	}
	if _, err := st.s3.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("poison/deleted.txt")}); err != nil {
		t.Fatal(err)
	}
	for _, p := range sent {
		st.send(p.body)
	}
	for _, p := range skipped {
		st.send(p.body)
	}
	stop, logs := chaosWorker(t, st, "poison worker", st.env(rp, fmt.Sprintf("MAX_OBJECT_BYTES=%d", maxBytes), "CONCURRENCY=8"))
	addr := chaosMetricsAddr(t, logs.String)

	good := 0
	for _, u := range uploads {
		if u.reason != "" {
			continue
		}
		good++
		out := "summaries/" + u.key + ".summary.txt"
		waitFor(t, 120*time.Second, out, func() bool { return st.exists(bucket, out) })
	}
	wantDead := len(sent)
	for _, u := range uploads {
		if u.reason != "" {
			wantDead++
		}
	}
	waitFor(t, 120*time.Second, "queue empty", func() bool { return st.count(st.queueURL) == 0 })
	waitFor(t, 30*time.Second, "every poison message in the DLQ", func() bool { return st.count(st.dlqURL) >= wantDead })
	_, metrics, _ := chaosGet(addr, "/metrics")
	chaosKeep("poison /metrics", metrics)
	if err := stop(); err != nil {
		t.Errorf("worker: %v", err)
	}

	dead := chaosDrain(t, st, st.dlqURL)
	reasonOf := map[string][]string{} // body → reasons (one per copy)
	for _, m := range dead {
		r := "(none)"
		if a, ok := m.MessageAttributes[queue.AttrReason]; ok {
			r = aws.ToString(a.StringValue)
		}
		reasonOf[aws.ToString(m.Body)] = append(reasonOf[aws.ToString(m.Body)], r)
		for _, name := range []string{queue.AttrError, queue.AttrSourceQueue, queue.AttrReceiveCount, queue.AttrFailedAt} {
			if _, ok := m.MessageAttributes[name]; !ok {
				t.Errorf("dead letter without %s: %.80q", name, aws.ToString(m.Body))
			}
		}
	}
	for _, p := range sent {
		if got := reasonOf[p.body]; len(got) != 1 || got[0] != p.reason {
			t.Errorf("%s: DLQ copies with reasons %v, want one with %s", p.name, got, p.reason)
		}
	}
	for _, p := range skipped {
		if got := reasonOf[p.body]; len(got) != 0 {
			t.Errorf("%s: dead-lettered (%v), want skipped", p.name, got)
		}
	}
	for _, u := range uploads {
		var got []string
		for b, rs := range reasonOf { // moto encodes keys like quote_plus
			if strings.Contains(b, `"`+u.key+`"`) || strings.Contains(b, `"`+url.QueryEscape(u.key)+`"`) {
				got = append(got, rs...)
			}
		}
		switch {
		case u.reason == "" && len(got) > 0:
			t.Errorf("good %s dead-lettered: %v", u.key, got)
		case u.reason != "" && (len(got) != 1 || got[0] != u.reason):
			t.Errorf("%s: DLQ copies with reasons %v, want one with %s", u.key, got, u.reason)
		}
	}
	if len(dead) != wantDead {
		t.Errorf("DLQ holds %d messages, want %d", len(dead), wantDead)
	}
	deadLettered := chaosMetric(metrics, `summarizer_messages_total{outcome="dead_lettered"}`)
	doneM := chaosMetric(metrics, `summarizer_messages_total{outcome="done"}`)
	skippedM := chaosMetric(metrics, `summarizer_messages_total{outcome="skipped"}`)
	if int(deadLettered) != wantDead || int(doneM) != good || int(skippedM) < len(skipped) {
		t.Errorf("metrics: dead_lettered %v (want %d), done %v (want %d), skipped %v (want ≥ %d)", deadLettered, wantDead, doneM, good, skippedM, len(skipped))
	}
	if n := strings.Count(logs.String(), `"msg":"skipped"`); n < len(skipped) {
		t.Errorf("%d skips logged, want at least %d", n, len(skipped))
	}
	hist := map[string]int{}
	for _, rs := range reasonOf {
		for _, r := range rs {
			hist[r]++
		}
	}
	t.Logf("%d poison messages dead-lettered by reason %v; %d sent skippable (skipped metric %v: also moto's TestEvent and the notifications of summaries and journals, recursion guard); %d good summarized (64 KiB object included, 64 KiB+1 too_large); whole test %s",
		len(dead), hist, len(skipped), skippedM, good, time.Since(began).Round(time.Millisecond))
}

// chaosText is a plausible transcript of exactly n bytes.
func chaosText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "Speaker %d: We reviewed item %d of the roadmap and agreed on the next step.\n", i%5, i)
	}
	return b.Bytes()[:n]
}

// 5. `summarizer replay` SIGKILLed midway, then run again: the DLQ ends
// empty and every dead letter is in the source queue at least once, with
// its original attributes and without the summarizer.* ones.
func TestChaosReplayKilled(t *testing.T) {
	began := time.Now()
	st := newStack(t)
	const n = 300
	reasons := []string{"bad_message", "not_found", "too_large", "bad_format", "retries_exhausted"}
	bodies := map[string]string{} // body → original attribute value
	for i := 0; i < n; i += 10 {
		var entries []sqstypes.SendMessageBatchRequestEntry
		for j := i; j < i+10 && j < n; j++ {
			body := s3Event(bucket, fmt.Sprintf("replay/%03d.txt", j))
			origin := fmt.Sprintf("upload-%03d", j)
			bodies[body] = origin
			attrs := queue.DeadLetterAttributes(map[string]sqstypes.MessageAttributeValue{
				"origin": {DataType: aws.String("String"), StringValue: aws.String(origin)},
			}, reasons[j%len(reasons)], fmt.Errorf("chaos: failure %d", j), st.queueURL, 5, time.Now())
			entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(body), MessageAttributes: attrs})
		}
		out, err := st.sqs.SendMessageBatch(t.Context(), &sqs.SendMessageBatchInput{QueueUrl: &st.dlqURL, Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("fill the DLQ: %v %v", err, out)
		}
	}
	if c := st.count(st.dlqURL); c != n {
		t.Fatalf("DLQ holds %d, want %d", c, n)
	}

	env := map[string]string{"QUEUE_URL": st.queueURL, "DLQ_URL": st.dlqURL}
	for _, kv := range moto.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	moved := func(p *chaosProc) int { return strings.Count(p.stdout.String(), "\nmoved\t") }
	// Two SIGKILLs, each rerun at once (the default 30 s hold, no waiting
	// for it): one in a rate-limited run (it dies holding a received batch),
	// one in a full-speed run (it dies anywhere between receive, send and
	// delete); then a run to completion, which must wait for the killed runs'
	// messages to come back and move them too.
	kills := []struct {
		rate  string
		after int
	}{{"100", 100}, {"", 60}}
	movedBefore := 0
	rng := rand.New(rand.NewPCG(chaosSeed(t), 0x5eed))
	var lastKill time.Time
	for i, k := range kills {
		env["REPLAY_RATE"] = k.rate
		if k.rate == "" {
			delete(env, "REPLAY_RATE")
		}
		p := chaosStart(t, fmt.Sprintf("replay (killed %d)", i+1), env, "replay")
		deadline := time.Now().Add(60 * time.Second)
		for !p.exited() && moved(p) < k.after && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond) // land anywhere in receive → send → delete
		if p.exited() {
			t.Fatalf("replay %d ended before it was killed: %v\n%s", i+1, p.err, chaosTail(p.stdout.String(), 10))
		}
		p.kill()
		lastKill = time.Now()
		movedBefore += moved(p)
		held, _ := strconv.Atoi(st.attr(st.dlqURL, "ApproximateNumberOfMessagesNotVisible"))
		t.Logf("replay %d (rate %q): SIGKILL after %d moved lines (%s); the DLQ then held %d messages, %d of them invisible (held by the killed replay); source queue %d",
			i+1, k.rate, moved(p), time.Since(p.started).Round(time.Millisecond), st.count(st.dlqURL), held, st.count(st.queueURL))
	}

	delete(env, "REPLAY_RATE")
	last := chaosStart(t, "replay (to completion)", env, "replay")
	if err := last.wait(t, 150*time.Second); err != nil {
		t.Fatalf("last replay: %v\n%s", err, chaosTail(last.stdout.String(), 10))
	}
	sinceKill := time.Since(lastKill)
	movedAfter := moved(last)
	if c := st.count(st.dlqURL); c != 0 {
		t.Errorf("DLQ still holds %d messages (visible and in flight) after the last replay", c)
	}
	if !strings.Contains(last.stdout.String(), "in flight, held by another consumer") {
		t.Error("the last replay did not say it waited for the killed replays' messages")
	}
	if sinceKill > 90*time.Second {
		t.Errorf("the last replay finished %s after the last kill, want about a minute at most (30 s hold)", sinceKill.Round(time.Second))
	}

	got := chaosDrain(t, st, st.queueURL)
	copies := map[string]int{}
	for _, m := range got {
		body := aws.ToString(m.Body)
		if strings.Contains(body, `"s3:TestEvent"`) {
			continue // moto's, for the bucket's notification configuration
		}
		copies[body]++
		origin, ok := bodies[body]
		if !ok {
			t.Errorf("unknown message in the source queue: %.100q", body)
			continue
		}
		if a := m.MessageAttributes["origin"]; aws.ToString(a.StringValue) != origin {
			t.Errorf("%s: origin attribute %q, want %q", origin, aws.ToString(a.StringValue), origin)
		}
		for name := range m.MessageAttributes {
			if strings.HasPrefix(name, "summarizer.") {
				t.Errorf("%s: replayed with attribute %s", origin, name)
			}
		}
	}
	dups := 0
	for body, origin := range bodies {
		switch c := copies[body]; {
		case c == 0:
			t.Errorf("%s: lost (in neither queue)", origin)
		case c > 1:
			dups += c - 1
		}
	}
	// A replay deletes a batch right after sending it: a kill can leave at
	// most one batch (10) in both queues.
	if dups > 10*len(kills) {
		t.Errorf("%d duplicates in the source queue, want at most one batch (10) per kill", dups)
	}
	// The verdict is what the queues hold (above): a killed replay's printed
	// lines are no count of what it moved, since SIGKILL can land between
	// a batch's send and delete and its "moved" lines.
	t.Logf("%d dead letters: killed runs printed %d moved lines, the last run %d and ended %s after the last kill; source queue holds %d replayed messages, %d distinct, %d duplicates; whole test %s",
		n, movedBefore, movedAfter, sinceKill.Round(time.Second), dups+len(copies), len(copies), dups, time.Since(began).Round(time.Millisecond))
	if len(copies) != n {
		t.Errorf("source queue holds %d distinct dead letters, want all %d", len(copies), n)
	}
}

// 6. The RunPod API key never leaks: not in any log, output, metrics page or
// error the suite captured, and not in a worker's command line (ps); it is
// only in the process environment.
func TestChaosSecretNeverLeaks(t *testing.T) {
	st := newStack(t)
	_, rp := newEmulator(t, emulator.Config{APIKey: apiKey, Latency: 200 * time.Millisecond})
	p := chaosStart(t, "secret worker", st.env(rp, "CONCURRENCY=4"), "run")
	const n = 3
	for i := range n {
		st.put(fmt.Sprintf("secret/%d.txt", i), chaosTranscript(i))
	}
	// The emulator refuses requests without the key: summaries prove it was sent.
	waitFor(t, 60*time.Second, "summaries (the emulator demands the key)", func() bool { return len(st.summaryKeys()) == n })
	addr := chaosMetricsAddr(t, p.stderr.String)
	for _, path := range []string{"/metrics", "/readyz", "/healthz"} {
		code, body, err := chaosGet(addr, path)
		if err != nil || code != 200 {
			t.Errorf("%s: %d %v", path, code, err)
		}
		chaosKeep("secret worker "+path, body)
	}

	pid := p.cmd.Process.Pid
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(cmdline, []byte(apiKey)) {
		t.Errorf("the API key is in the worker's command line: %q", cmdline)
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err == nil && !bytes.Contains(environ, []byte("RUNPOD_API_KEY="+apiKey)) {
		t.Error("the worker's environment lacks RUNPOD_API_KEY: the checks above prove nothing")
	}
	psOut := "(ps not installed)"
	if ps, err := exec.LookPath("ps"); err == nil {
		out, err := exec.Command(ps, "-eo", "pid,args", "ww").CombinedOutput()
		if err != nil {
			out, _ = exec.Command(ps, "-ef").CombinedOutput()
		}
		psOut = string(out)
		if !strings.Contains(psOut, strconv.Itoa(pid)) {
			t.Errorf("ps does not list the worker (pid %d)", pid)
		}
		if strings.Contains(psOut, apiKey) {
			t.Error("the API key shows in ps")
		}
	}

	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.wait(t, 30*time.Second); err != nil {
		t.Errorf("%s: exit %v", p.name, err)
	}

	// A wrong key: RunPod answers 401, the worker logs configuration faults,
	// and neither key is echoed.
	const wrongKey = "rp_wrong_key_2b8e41d0"
	env := st.env(rp, "CONCURRENCY=2")
	env["RUNPOD_API_KEY"] = wrongKey
	bad := chaosStart(t, "secret worker (wrong key)", env, "run")
	st.put("secret/unauthorized.txt", chaosTranscript(99))
	waitFor(t, 60*time.Second, "a configuration fault logged", func() bool {
		return strings.Contains(bad.stderr.String(), `"cause":"config"`)
	})
	badAddr := chaosMetricsAddr(t, bad.stderr.String)
	code, readyz, _ := chaosGet(badAddr, "/readyz")
	chaosKeep("wrong-key worker /readyz", readyz)
	if code != http.StatusServiceUnavailable {
		t.Errorf("/readyz of the worker with a wrong key: %d %q, want 503", code, readyz)
	}
	_ = bad.cmd.Process.Signal(syscall.SIGTERM)
	if err := bad.wait(t, 30*time.Second); err != nil {
		t.Errorf("%s: exit %v", bad.name, err)
	}
	for _, w := range []*chaosProc{p, bad} {
		for _, text := range []string{w.stdout.String(), w.stderr.String()} {
			for _, key := range []string{apiKey, wrongKey} {
				if strings.Contains(text, key) {
					t.Errorf("%s printed an API key", w.name)
				}
			}
		}
	}
	// Help texts and a bad setting's error line.
	for _, args := range [][]string{{"run", "--help"}, {"replay", "--help"}, {"run", "--concurrency=-1"}} {
		h := chaosStart(t, "summarizer "+strings.Join(args, " "), st.env(rp), args...)
		err := h.wait(t, 30*time.Second)
		chaosKeep("summarizer "+strings.Join(args, " "), h.stdout.String()+h.stderr.String())
		if err != nil {
			chaosKeep("summarizer "+strings.Join(args, " ")+" exit", err.Error())
		}
	}

	captured := chaosCaptured.String() + "\n" + psOut + "\n" + string(cmdline)
	if i := strings.Index(captured, apiKey); i >= 0 {
		t.Errorf("the RunPod API key appears in what the suite captured: …%s…", strings.ReplaceAll(captured[max(0, i-200):i], apiKey, "<KEY>"))
	}
	if strings.Contains(captured, wrongKey) {
		t.Error("the wrong API key appears in what the suite captured")
	}
	t.Logf("searched %d bytes captured by the suite (%d sections: worker and replay logs, /metrics, /readyz, help, errors), ps output (%d bytes) and /proc/%d/cmdline: no API key",
		len(captured), strings.Count(chaosCaptured.String(), "\n=== ")+1, len(psOut), pid)
}

// Package burst runs a burst of transcripts through replicas of the
// summarizer against a RunPod emulator with a finite endpoint (a few GPU
// workers, cold starts, an autoscaler) on a local S3 and SQS (moto), and
// measures what the promises are about: jobs submitted per transcript,
// jobs cancelled or timed out while they ran, jobs expired in RunPod's
// queue, GPU and billed worker time against the work, the drain time, the
// waits in RunPod's queue, the messages in flight in SQS, dead letters,
// SQS requests per message and the replicas' peak memory.
//
// The tests of cmd/summarizer and the finite-endpoint run of cmd/bench
// share it, so a test and the benchmark measure one scenario one way.
//
// It never talks to real AWS or RunPod; it starts processes only of the
// binary it is given, and stops them before Run returns.
package burst

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// Config is one burst.
type Config struct {
	// Name names the bucket and queues (unique per Run on one moto).
	Name string
	// Binary is the summarizer binary the replicas run.
	Binary string
	// AWS reaches the local stack; AWSEnv is the environment a replica
	// needs for it (AWS_ENDPOINT_URL, credentials, region, path style).
	AWS    aws.Config
	AWSEnv []string
	// Transcripts are uploaded at once, each one RunPod job long.
	Transcripts int
	// Replicas of `summarizer run`, each with Env on top of the stack's.
	Replicas int
	Env      map[string]string
	// Endpoint is the emulator's configuration (MaxWorkers > 0: finite).
	Endpoint emulator.Config
	// Faults switch the endpoint at times after the uploads (e.g. workers
	// unhealthy for the first two minutes).
	Faults []Fault
	// Consumer, if set, replaces the replicas: it consumes queueURL against
	// endpointURL until ctx ends (the seed design of cmd/bench).
	Consumer func(ctx context.Context, queueURL, endpointURL string, s3c *s3.Client, sqsc *sqs.Client, bucket string)
	// Timeout bounds the whole burst (default 5 minutes).
	Timeout time.Duration
	// Sample is the interval of the time series (default 250 ms).
	Sample time.Duration
}

// Fault switches the endpoint At after the uploads.
type Fault struct {
	At        time.Duration
	Unhealthy bool
}

// Point is one sample of the time series.
type Point struct {
	T           time.Duration // since the uploads
	InQueue     int           // jobs in RunPod's queue
	InProgress  int           // jobs running
	Workers     int           // workers initializing, idle or running
	Running     int           // workers running a job
	Window      int           // admission windows of the replicas, summed
	Outstanding int           // jobs the replicas have at RunPod, summed
	SQSVisible  int           // messages visible in SQS
	SQSInFlight int           // messages received and not yet deleted
	Summaries   int
}

// Result is what a burst measured.
type Result struct {
	Transcripts, Summaries int
	DeadLetters            int
	// Jobs submitted, and their fates at the emulator.
	Jobs                             int
	CancelledRunning, CancelledQueue int
	TimedOutRunning, ExpiredQueue    int
	// GPU time: the jobs' execution, the billed worker time, and the work
	// (transcripts × job latency).
	ExecutionSeconds, WorkerSeconds, WorkSeconds float64
	PeakWorkers                                  int
	// Drained is from the uploads to the last summary written.
	Drained time.Duration
	// QueueDelayP50/P95 are the waits of the jobs that started.
	QueueDelayP50, QueueDelayP95   time.Duration
	MaxSQSInFlight, MaxRunPodQueue int
	// SQSRequestsPerMessage is the replicas' SQS requests (their
	// summarizer_sqs_requests_total) per transcript; SQSRequests the
	// requests by operation.
	SQSRequestsPerMessage float64
	SQSRequests           map[string]float64
	// PeakRSS is the largest VmHWM of a replica, in bytes.
	PeakRSS int64
	// Recovered is from the last fault switched off to the last summary
	// (0 without faults).
	Recovered time.Duration
	Series    []Point
	// Logs are the replicas' stderr, for a failing test.
	Logs string
}

// Run runs the burst and stops everything it started.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.Sample == 0 {
		cfg.Sample = 250 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	em, err := emulator.New(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(em)
	defer srv.Close()
	endpointURL := srv.URL + "/v2/burst"

	s3c := s3.NewFromConfig(cfg.AWS, func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
	sqsc := sqs.NewFromConfig(cfg.AWS)
	bucket := "burst-" + strings.ToLower(cfg.Name)
	queueURL, dlqURL, err := setup(ctx, s3c, sqsc, bucket, cfg.Name)
	if err != nil {
		return nil, err
	}

	var reps []*replica
	var consumerDone chan struct{}
	cctx, stopConsumer := context.WithCancel(ctx)
	defer stopConsumer()
	if cfg.Consumer != nil {
		consumerDone = make(chan struct{})
		go func() {
			defer close(consumerDone)
			cfg.Consumer(cctx, queueURL, endpointURL, s3c, sqsc, bucket)
		}()
	} else {
		for i := range cfg.Replicas {
			r, err := startReplica(cfg, i, queueURL, endpointURL)
			if err != nil {
				stopAll(reps)
				return nil, err
			}
			reps = append(reps, r)
		}
		defer stopAll(reps)
		for _, r := range reps {
			if err := r.waitMetrics(ctx); err != nil {
				return &Result{Logs: logsOf(reps)}, err
			}
		}
	}

	res := &Result{Transcripts: cfg.Transcripts, WorkSeconds: float64(cfg.Transcripts) * cfg.Endpoint.Latency.Seconds()}
	if err := upload(ctx, s3c, bucket, cfg.Transcripts); err != nil {
		return res, err
	}
	start := time.Now()
	faults := slices.Clone(cfg.Faults)
	var lastFaultOff time.Duration
	tick := time.NewTicker(cfg.Sample)
	defer tick.Stop()
	for {
		t := time.Since(start)
		for len(faults) > 0 && faults[0].At <= t {
			if err := em.SetUnhealthy(faults[0].Unhealthy); err != nil {
				return res, err
			}
			if !faults[0].Unhealthy {
				lastFaultOff = t
			}
			faults = faults[1:]
		}
		p := sample(ctx, em, sqsc, s3c, bucket, queueURL, reps, t)
		res.Series = append(res.Series, p)
		res.MaxSQSInFlight = max(res.MaxSQSInFlight, p.SQSInFlight)
		res.MaxRunPodQueue = max(res.MaxRunPodQueue, p.InQueue)
		dead := count(ctx, sqsc, dlqURL)
		if p.Summaries+dead >= cfg.Transcripts && len(faults) == 0 {
			res.Summaries, res.DeadLetters = p.Summaries, dead
			res.Drained = t
			if lastFaultOff > 0 {
				res.Recovered = t - lastFaultOff
			}
			break
		}
		select {
		case <-ctx.Done():
			res.Summaries, res.DeadLetters = p.Summaries, dead
			res.Logs = logsOf(reps)
			return res, fmt.Errorf("burst %s: %d of %d summaries, %d dead letters after %s: %w", cfg.Name, p.Summaries, cfg.Transcripts, dead, t.Round(time.Second), ctx.Err())
		case <-tick.C:
		}
	}
	res.SQSRequests = map[string]float64{}
	for _, r := range reps {
		m := r.metrics(ctx)
		res.SQSRequestsPerMessage += m["summarizer_sqs_requests_total"]
		for k, v := range m {
			if op, ok := strings.CutPrefix(k, `summarizer_sqs_requests_total{op="`); ok {
				res.SQSRequests[strings.TrimSuffix(op, `"}`)] += v
			}
		}
		res.PeakRSS = max(res.PeakRSS, r.peakRSS())
	}
	if cfg.Transcripts > 0 {
		res.SQSRequestsPerMessage /= float64(cfg.Transcripts)
	}
	stopConsumer()
	if consumerDone != nil {
		<-consumerDone
	}
	stopAll(reps)
	res.Logs = logsOf(reps)
	s := em.Stats()
	res.Jobs = s.Submitted
	res.CancelledRunning, res.CancelledQueue = s.CancelledRunning, s.CancelledQueued
	res.TimedOutRunning, res.ExpiredQueue = s.TimedOutRunning, s.ExpiredQueued
	res.ExecutionSeconds, res.WorkerSeconds, res.PeakWorkers = s.ExecutionSeconds, s.WorkerSeconds, s.PeakWorkers
	res.QueueDelayP50, res.QueueDelayP95 = percentile(s.QueueDelays, 0.5), percentile(s.QueueDelays, 0.95)
	return res, nil
}

// String is the result in one line, for logs.
func (r *Result) String() string {
	return fmt.Sprintf("%d transcripts: %d summaries, %d dead letters; %d jobs (%d cancelled running, %d cancelled queued, %d timed out running, %d expired queued); "+
		"GPU %.1fs, billed %.1fs for %.1fs of work; drained in %s; queue delay p50 %s p95 %s; peak %d workers; at most %d messages in flight in SQS, %d jobs in RunPod's queue; %.2f SQS requests per message %v; peak RSS %.1f MB",
		r.Transcripts, r.Summaries, r.DeadLetters, r.Jobs, r.CancelledRunning, r.CancelledQueue, r.TimedOutRunning, r.ExpiredQueue,
		r.ExecutionSeconds, r.WorkerSeconds, r.WorkSeconds, r.Drained.Round(100*time.Millisecond), r.QueueDelayP50.Round(100*time.Millisecond),
		r.QueueDelayP95.Round(100*time.Millisecond), r.PeakWorkers, r.MaxSQSInFlight, r.MaxRunPodQueue, r.SQSRequestsPerMessage, r.SQSRequests, float64(r.PeakRSS)/1e6)
}

// setup creates the bucket, whose ObjectCreated events under uploads/ go
// to a queue with a DLQ (maxReceiveCount 10), and drops S3's test event.
func setup(ctx context.Context, s3c *s3.Client, sqsc *sqs.Client, bucket, name string) (queueURL, dlqURL string, err error) {
	dlq, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		return "", "", fmt.Errorf("create DLQ: %w", err)
	}
	arn := func(url string) (string, error) {
		a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return "", err
		}
		return a.Attributes["QueueArn"], nil
	}
	dlqArn, err := arn(*dlq.QueueUrl)
	if err != nil {
		return "", "", err
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"RedrivePolicy": fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":"10"}`, dlqArn),
	}})
	if err != nil {
		return "", "", fmt.Errorf("create queue: %w", err)
	}
	qArn, err := arn(*q.QueueUrl)
	if err != nil {
		return "", "", err
	}
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return "", "", fmt.Errorf("create bucket: %w", err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(qArn), Events: []s3types.Event{"s3:ObjectCreated:*"},
			Filter: &s3types.NotificationConfigurationFilter{Key: &s3types.S3KeyFilter{FilterRules: []s3types.FilterRule{
				{Name: s3types.FilterRuleNamePrefix, Value: aws.String("uploads/")},
			}}},
		}}},
	}); err != nil {
		return "", "", fmt.Errorf("bucket notification: %w", err)
	}
	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		return "", "", err
	}
	for _, m := range out.Messages {
		if _, err := sqsc.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
			return "", "", err
		}
	}
	return *q.QueueUrl, *dlq.QueueUrl, nil
}

// Transcript is the text of transcript i: about 1.5 KB of dialogue, one
// RunPod job at the default CHUNK_TOKENS.
func Transcript(i int) string {
	lines := []string{
		"Priya: Morning, everyone. Let's keep this short, we have the release review at eleven.",
		"Marco: Yesterday I finished the retry logic for the payment webhook; it backs off and gives up after five attempts.",
		"Lena: I am still on the invoice export. The PDF renderer chokes on long customer names, a fix is in review.",
		"Tom: The dashboard queries are now under a second at the 95th percentile.",
		"Priya: Good. What about the alert that fired twice last night?",
		"Tom: A disk filled up on the reporting replica; I added a retention job and an alert at seventy percent.",
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Meeting %d.\n", i)
	for j := range 16 {
		b.WriteString(lines[(i+j*5)%len(lines)])
		b.WriteByte('\n')
	}
	return b.String()
}

// upload puts every transcript at once, a few at a time.
func upload(ctx context.Context, s3c *s3.Client, bucket string, n int) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			body := Transcript(i)
			_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("uploads/t-%04d.txt", i)),
				Body: strings.NewReader(body), ContentLength: aws.Int64(int64(len(body)))})
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return errors.Join(slices.Collect(func(yield func(error) bool) {
		for e := range errs {
			if !yield(e) {
				return
			}
		}
	})...)
}

// sample reads the endpoint, the queue, the summaries and the replicas.
func sample(ctx context.Context, em *emulator.Server, sqsc *sqs.Client, s3c *s3.Client, bucket, queueURL string, reps []*replica, t time.Duration) Point {
	snap := em.Snapshot()
	p := Point{T: t, InQueue: snap.InQueue, InProgress: snap.InProgress,
		Workers: snap.Workers.Initializing + snap.Workers.Idle + snap.Workers.Running, Running: snap.Workers.Running}
	if a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}}); err == nil {
		p.SQSVisible, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
		p.SQSInFlight, _ = strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
	}
	var token *string
	for {
		out, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("summaries/"), ContinuationToken: token})
		if err != nil {
			break
		}
		for _, o := range out.Contents {
			if strings.HasSuffix(aws.ToString(o.Key), ".summary.txt") {
				p.Summaries++
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		token = out.NextContinuationToken
	}
	for _, r := range reps {
		m := r.metrics(ctx)
		p.Window += int(m["summarizer_runpod_window_jobs"])
		p.Outstanding += int(m["summarizer_runpod_outstanding_jobs"])
	}
	return p
}

func count(ctx context.Context, sqsc *sqs.Client, url string) int {
	a, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0
	}
	v, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessages"])
	n, _ := strconv.Atoi(a.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return v + n
}

func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(ds))
	return s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)]
}

// replica is one `summarizer run` process.
type replica struct {
	cmd    *exec.Cmd
	stderr *LockedBuffer
	done   chan struct{}
	addr   string
}

var metricsAddr = regexp.MustCompile(`"metrics listening".*"addr":"([^"]+)"`)

func startReplica(cfg Config, i int, queueURL, endpointURL string) (*replica, error) {
	env := map[string]string{
		"QUEUE_URL":           queueURL,
		"RUNPOD_ENDPOINT_URL": endpointURL,
		"METRICS_ADDR":        "127.0.0.1:0",
		"LOG_LEVEL":           "info",
	}
	for _, kv := range cfg.AWSEnv {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for k, v := range cfg.Env {
		env[k] = v
	}
	cmd := exec.Command(cfg.Binary, "run")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	r := &replica{cmd: cmd, stderr: &LockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.stderr, r.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("replica %d: %w", i, err)
	}
	go func() { _ = cmd.Wait(); close(r.done) }()
	return r, nil
}

// waitMetrics waits for the replica's metrics address in its logs.
func (r *replica) waitMetrics(ctx context.Context) error {
	for {
		if m := metricsAddr.FindStringSubmatch(r.stderr.String()); m != nil {
			r.addr = m[1]
			return nil
		}
		select {
		case <-r.done:
			return fmt.Errorf("replica exited at start:\n%s", r.stderr.String())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// metrics reads the replica's /metrics, unlabelled or summed over labels.
func (r *replica) metrics(ctx context.Context) map[string]float64 {
	out := map[string]float64{}
	if r.addr == "" {
		return out
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(rctx, http.MethodGet, "http://"+r.addr+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		labelled := ""
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
			if j := strings.LastIndexByte(line, '}'); j >= 0 {
				labelled, rest = line[:j+1], strings.TrimSpace(line[j+1:])
			}
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err == nil {
			out[name] += v
			if labelled != "" {
				out[labelled] += v
			}
		}
	}
	return out
}

// peakRSS is the process's VmHWM, in bytes (0 once it exited).
func (r *replica) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// stopAll sends SIGTERM to every replica and waits (SIGKILL after 30 s).
func stopAll(reps []*replica) {
	for _, r := range reps {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, r := range reps {
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.done
		}
	}
}

func logsOf(reps []*replica) string {
	var b strings.Builder
	for i, r := range reps {
		fmt.Fprintf(&b, "--- replica %d\n%s", i, r.stderr.String())
	}
	return b.String()
}

// LockedBuffer is a bytes.Buffer safe for a process's output and a test's
// reads at once.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

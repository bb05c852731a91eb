package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// pct is a distribution summary.
type pct struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func percentiles(xs []float64) pct {
	if len(xs) == 0 {
		return pct{P50: math.NaN(), P95: math.NaN(), P99: math.NaN(), Max: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(q float64) float64 { // nearest rank
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return pct{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: s[len(s)-1]}
}

type latencyResult struct {
	Mode             string  `json:"mode"`
	Messages         int     `json:"messages"`
	E2ES             pct     `json:"send_to_summary_s"`
	ExcessMS         pct     `json:"excess_over_l_ms"`
	SendToReceiveMS  pct     `json:"send_to_receive_ms"`
	ReceiveToRunMS   pct     `json:"receive_to_runpod_run_ms"`
	PollOvershootMS  pct     `json:"completed_seen_minus_run_minus_l_ms"`
	CompletedToPutMS pct     `json:"completed_to_summary_put_ms"`
	SQSPerMsg        float64 `json:"sqs_requests_per_message"`
}

type runResult struct {
	Name             string             `json:"name"`
	L                string             `json:"latency_l"`
	Concurrency      int                `json:"concurrency"`
	ModelConcurrency int                `json:"model_concurrency"`
	N                int                `json:"n"`
	Send             string             `json:"send_mode"`
	UploadS          float64            `json:"upload_s"`
	SendS            float64            `json:"send_s"`
	Completed        int                `json:"summaries_written"`
	Outcomes         map[string]float64 `json:"outcomes"`
	DrainS           float64            `json:"drain_s"`
	ReceiveRampS     float64            `json:"last_first_delivery_after_s"`

	ThroughputSteady  float64 `json:"throughput_steady_per_s"`
	ThroughputOverall float64 `json:"throughput_overall_per_s"`
	Ideal             float64 `json:"ideal_per_s"`
	RatioSteady       float64 `json:"ratio_steady"`
	RatioOverall      float64 `json:"ratio_overall"`

	Latency  latencyResult `json:"latency"`
	ServiceS pct           `json:"drain_first_s3_request_to_summary_s"`

	SQSPerMsg       map[string]float64 `json:"sqs_requests_per_message_by_op"`
	SQSPerMsgTotal  float64            `json:"sqs_requests_per_message"`
	SQSSteadyPerMsg float64            `json:"sqs_requests_per_message_steady"`
	S3PerMsg        map[string]float64 `json:"s3_requests_per_message_by_kind"`
	S3PerMsgTotal   float64            `json:"s3_requests_per_message"`

	JobsPerMsg        float64 `json:"runpod_jobs_per_message"`
	PollsPerJobMean   float64 `json:"runpod_polls_per_job_mean"`
	PollsPerJobMax    int     `json:"runpod_polls_per_job_max"`
	PollsMetricPerJob float64 `json:"runpod_polls_per_job_worker_metrics"`

	CPUPer1000           float64 `json:"worker_cpu_s_per_1000"`
	PeakRSSMB            float64 `json:"worker_peak_rss_mb"`
	EndRSSMB             float64 `json:"worker_rss_end_mb"`
	MaxInflight          int     `json:"max_inflight_worker"`
	EmulatorMaxInFlight  int     `json:"max_inflight_runpod"`
	VisibilityExtensions float64 `json:"visibility_extensions"`
	Redelivered          int     `json:"redeliveries"`

	SteadyWindowS float64 `json:"steady_window_s"`
	MotoReqPerS   float64 `json:"moto_requests_per_s_steady"`
	MotoCPUPct    float64 `json:"moto_cpu_pct_steady"`
	RecvMS        float64 `json:"moto_receive_round_trip_ms_steady"`
	MsgsPerRecv   float64 `json:"messages_per_receive_steady"`
	S3MS          float64 `json:"moto_s3_round_trip_ms_steady"`
	WorkerCPUPct  float64 `json:"worker_cpu_pct_steady"`
	BenchCPUPct   float64 `json:"bench_cpu_pct_steady"`

	LoadBefore string   `json:"loadavg_before"`
	LoadAfter  string   `json:"loadavg_after"`
	Notes      []string `json:"notes,omitempty"`
}

type idleResult struct {
	Window            string             `json:"window"`
	Receives          float64            `json:"receive_message_calls"`
	ReceivesPerHour   float64            `json:"receive_message_per_hour"`
	IntervalS         float64            `json:"mean_interval_between_receives_s"`
	IntervalPerHour   float64            `json:"receive_message_per_hour_from_intervals"`
	EmptyReceives     float64            `json:"empty_receives"`
	SQSByOp           map[string]float64 `json:"sqs_requests_by_op"`
	S3Requests        int                `json:"s3_requests"`
	CPUSecondsPerHour float64            `json:"worker_cpu_s_per_hour"`
	RSSMB             float64            `json:"worker_rss_mb"`
	LoadBefore        string             `json:"loadavg_before"`
	LoadAt            string             `json:"loadavg_end"`
}

// sample is the CPU time of the processes at one instant.
type sample struct {
	t                   time.Time
	worker, moto, bench float64
}

func cpuPctBetween(samples []sample, from, to time.Time, get func(sample) float64) float64 {
	if len(samples) < 2 {
		return math.NaN()
	}
	nearest := func(t time.Time) sample {
		best := samples[0]
		for _, s := range samples {
			if absDur(s.t.Sub(t)) < absDur(best.t.Sub(t)) {
				best = s
			}
		}
		return best
	}
	a, b := nearest(from), nearest(to)
	if !b.t.After(a.t) {
		return math.NaN()
	}
	return 100 * (get(b) - get(a)) / b.t.Sub(a.t).Seconds()
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// worker is the `summarizer run` process.
type worker struct {
	cmd         *exec.Cmd
	metricsAddr string
	done        chan struct{}
}

func (b *bench) startWorker(ctx context.Context, queueURL, proxyURL, endpoint string, concurrency int) (*worker, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), b.moto.Env()...)
	env = append(env,
		"AWS_ENDPOINT_URL="+proxyURL, // after moto.Env(): the last value wins
		"QUEUE_URL="+queueURL,
		"RUNPOD_ENDPOINT_URL="+endpoint,
		"CONCURRENCY="+strconv.Itoa(concurrency),
		"MODEL_CONCURRENCY="+strconv.Itoa(concurrency),
		"VISIBILITY_TIMEOUT=60s",
		"SHUTDOWN_TIMEOUT=5s",
		"METRICS_ADDR="+addr,
		"LOG_LEVEL=warn",
		"LOG_FORMAT=json",
	)
	cmd := exec.Command(b.bin, "run")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = b.logs, b.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, metricsAddr: addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(w.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-w.done:
			return nil, fmt.Errorf("worker exited at start: %s (see the log)", cmd.ProcessState)
		default:
		}
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return w, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			w.stop()
			return nil, errors.New("worker not ready after 30s (see the log)")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

func (w *worker) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func ids(from, to int) []int {
	out := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadRun is one of runs a, b, c.
func (b *bench) loadRun(ctx context.Context, sp spec) (*runResult, error) {
	rr := &runResult{Name: sp.Name, L: sp.Latency.String(), Concurrency: sp.Concurrency, ModelConcurrency: sp.Concurrency,
		N: sp.N, LoadBefore: loadAvg()}
	L := sp.Latency
	if L > 0 {
		rr.Ideal = float64(sp.Concurrency) / L.Seconds()
	}
	probeK, probeRate := 0, 0.0
	if sp.Probe {
		probeK = max(50, sp.N/5)
		probeRate = b.pacedRate
		if L > 0 {
			probeRate = min(probeRate, rr.Ideal/2)
		}
	}
	queueURL, err := createQueues(ctx, b.sqs, "bench-"+sp.Name)
	if err != nil {
		return nil, err
	}
	if _, err := b.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return nil, fmt.Errorf("create bucket: %w", err)
	}
	t := time.Now()
	objs, err := upload(ctx, b.s3, sp.N+probeK)
	if err != nil {
		return nil, err
	}
	rr.UploadS = time.Since(t).Seconds()

	em, err := startEmulator(L)
	if err != nil {
		return nil, err
	}
	defer em.Close()
	px, err := startProxy(b.moto.URL)
	if err != nil {
		return nil, err
	}
	defer px.Close()
	// Drain: N events, sent according to sp.Send.
	rr.Send = sp.Send
	var sent map[int]time.Time
	var sendErr error
	var preloadS float64
	if sp.Send == sendPreload {
		t := time.Now()
		sent, sendErr = sendAll(ctx, b.sqs, queueURL, ids(0, sp.N), objs)
		if sendErr != nil {
			return nil, sendErr
		}
		preloadS = time.Since(t).Seconds()
	}
	t0 := time.Now()
	w, err := b.startWorker(ctx, queueURL, px.URL, em.EndpointURL(), sp.Concurrency)
	if err != nil {
		return nil, err
	}
	defer w.stop()
	pid := w.pid()
	motoPIDs := childrenMatching("moto")
	self := os.Getpid()
	var samples []sample
	takeSample := func() {
		samples = append(samples, sample{t: time.Now(), worker: cpuOf([]int{pid}), moto: cpuOf(motoPIDs), bench: cpuOf([]int{self})})
	}
	m0, cpu0 := metrics{}, 0.0 // preload: count from the worker's start
	if sp.Send != sendPreload {
		if m0, err = scrape(ctx, w.metricsAddr); err != nil {
			return nil, err
		}
		cpu0, _ = cpuSeconds(pid)
		t0 = time.Now()
	}
	takeSample()
	sendDone := make(chan struct{})
	go func() {
		defer close(sendDone)
		switch sp.Send {
		case sendAllAtOnce:
			sent, sendErr = sendAll(ctx, b.sqs, queueURL, ids(0, sp.N), objs)
		case sendBoundedBacklog:
			limit := sp.Concurrency + max(20, sp.Concurrency/2)
			sent, sendErr = sendBounded(ctx, b.sqs, queueURL, ids(0, sp.N), objs, limit, func() int { return px.writtenCount(0, sp.N) })
		}
	}()
	deadline := 120*time.Second + 3*time.Duration(float64(sp.N)/float64(sp.Concurrency)*float64(L)) + 2*L + time.Duration(sp.N)*100*time.Millisecond
	maxInflight := 0
	onTick := func() {
		takeSample()
		if m, err := scrape(ctx, w.metricsAddr); err == nil {
			maxInflight = max(maxInflight, int(m.sum("summarizer_inflight_messages", "")))
		}
	}
	if err := waitWritten(ctx, px, 0, sp.N, deadline, onTick); err != nil {
		rr.Notes = append(rr.Notes, fmt.Sprintf("drain: %v after %s: %d of %d summaries", err, deadline, px.writtenCount(0, sp.N), sp.N))
	}
	<-sendDone
	if sendErr != nil {
		rr.Notes = append(rr.Notes, "send: "+sendErr.Error())
	}
	var firstSend, lastSend time.Time
	for _, s := range sent {
		if firstSend.IsZero() || s.Before(firstSend) {
			firstSend = s
		}
		if s.After(lastSend) {
			lastSend = s
		}
	}
	if sp.Send == sendPreload {
		// The messages were all waiting: time counts from the worker's start.
		for id := range sent {
			sent[id] = t0
		}
		firstSend = t0
		rr.SendS = preloadS
	} else {
		rr.SendS = lastSend.Sub(firstSend).Seconds()
	}
	if !waitQueueEmpty(ctx, b.sqs, queueURL, 20*time.Second) {
		rr.Notes = append(rr.Notes, "drain: queue not empty 20s after the last summary")
	}
	t1 := time.Now()
	takeSample()
	m1, err := scrape(ctx, w.metricsAddr)
	if err != nil {
		return nil, err
	}
	cpu1, _ := cpuSeconds(pid)

	firstTouch, received, written, _ := px.times()
	runAt, completedAt, jobs := em.snapshot()
	var wt []time.Time
	var service []float64
	for id := range sp.N {
		if at, ok := written[id]; ok {
			wt = append(wt, at)
			if ft, ok := firstTouch[id]; ok {
				service = append(service, at.Sub(ft).Seconds())
			}
		}
	}
	slices.SortFunc(wt, func(a, b time.Time) int { return a.Compare(b) })
	var lastRecv time.Time
	for id := range sp.N {
		if at, ok := received[id]; ok && at.After(lastRecv) {
			lastRecv = at
		}
	}
	if !lastRecv.IsZero() {
		rr.ReceiveRampS = lastRecv.Sub(firstSend).Seconds()
	}
	rr.Completed = len(wt)
	rr.ServiceS = percentiles(service)
	if len(wt) > 0 {
		rr.DrainS = wt[len(wt)-1].Sub(firstSend).Seconds()
		rr.ThroughputOverall = float64(len(wt)) / rr.DrainS
	}
	// Steady state: between the 10th and the 90th percentile of completions.
	if len(wt) >= 20 {
		i10, i90 := len(wt)/10, len(wt)*9/10
		from, to := wt[i10], wt[i90]
		win := to.Sub(from).Seconds()
		rr.SteadyWindowS = win
		rr.ThroughputSteady = float64(i90-i10) / win
		counts := px.countBetween(from, to)
		var sqsN, all int
		for k, v := range counts {
			all += v
			if strings.HasPrefix(k, "sqs ") {
				sqsN += v
			}
		}
		rr.SQSSteadyPerMsg = float64(sqsN) / float64(i90-i10)
		rr.MotoReqPerS = float64(all) / win
		rr.RecvMS, rr.MsgsPerRecv, rr.S3MS = px.roundTrips(from, to)
		rr.MotoCPUPct = cpuPctBetween(samples, from, to, func(s sample) float64 { return s.moto })
		rr.WorkerCPUPct = cpuPctBetween(samples, from, to, func(s sample) float64 { return s.worker })
		rr.BenchCPUPct = cpuPctBetween(samples, from, to, func(s sample) float64 { return s.bench })
	}
	if rr.Ideal > 0 {
		rr.RatioSteady = rr.ThroughputSteady / rr.Ideal
		rr.RatioOverall = rr.ThroughputOverall / rr.Ideal
	}
	n := float64(max(rr.Completed, 1))
	sqsOps := delta(m0.byLabel("summarizer_sqs_requests_total", "op"), m1.byLabel("summarizer_sqs_requests_total", "op"))
	rr.SQSPerMsg = map[string]float64{}
	for op, v := range sqsOps {
		rr.SQSPerMsg[op] = v / n
		rr.SQSPerMsgTotal += v / n
	}
	rr.S3PerMsg = map[string]float64{}
	for k, v := range px.countBetween(t0, t1) {
		if strings.HasPrefix(k, "s3 ") {
			rr.S3PerMsg[strings.TrimPrefix(k, "s3 ")] = float64(v) / n
			rr.S3PerMsgTotal += float64(v) / n
		}
	}
	rr.Outcomes = delta(m0.byLabel("summarizer_messages_total", "outcome"), m1.byLabel("summarizer_messages_total", "outcome"))
	rr.VisibilityExtensions = m1.sum("summarizer_visibility_extensions_total", "") - m0.sum("summarizer_visibility_extensions_total", "")
	rr.CPUPer1000 = (cpu1 - cpu0) / n * 1000
	rr.MaxInflight = maxInflight
	var drainJobs, drainPolls int
	for _, j := range jobs {
		if j.msg >= 0 && j.msg < sp.N {
			drainJobs++
			drainPolls += j.polls
			rr.PollsPerJobMax = max(rr.PollsPerJobMax, j.polls)
		}
	}
	rr.JobsPerMsg = float64(drainJobs) / n
	if drainJobs > 0 {
		rr.PollsPerJobMean = float64(drainPolls) / float64(drainJobs)
	}
	if jobsM := m1.sum("summarizer_runpod_jobs_total", "") - m0.sum("summarizer_runpod_jobs_total", ""); jobsM > 0 {
		rr.PollsMetricPerJob = (m1.sum("summarizer_runpod_polls_total", "") - m0.sum("summarizer_runpod_polls_total", "")) / jobsM
	}

	latIDs := ids(0, sp.N)
	latSent := sent
	rr.Latency.Mode = fmt.Sprintf("drain, %s", sp.Send)
	if sp.Send == sendPreload {
		rr.Latency.Mode = fmt.Sprintf("drain, %d preloaded; from worker start", sp.N)
	}
	rr.Latency.SQSPerMsg = rr.SQSPerMsgTotal
	if sp.Probe {
		// Latency: a paced phase at --paced-rate (at most half the ideal rate),
		// low enough that neither the worker nor moto queues: send→summary is
		// the pipeline's own latency, not time behind a backlog.
		p0, err := scrape(ctx, w.metricsAddr)
		if err != nil {
			return nil, err
		}
		latIDs = ids(sp.N, sp.N+probeK)
		latSent = sendPaced(ctx, b.sqs, queueURL, latIDs, objs, probeRate)
		if err := waitWritten(ctx, px, sp.N, sp.N+probeK, 60*time.Second+2*L, onTick); err != nil {
			rr.Notes = append(rr.Notes, fmt.Sprintf("latency phase: %v: %d of %d summaries", err, px.writtenCount(sp.N, sp.N+probeK), probeK))
		}
		waitQueueEmpty(ctx, b.sqs, queueURL, 20*time.Second)
		p1, err := scrape(ctx, w.metricsAddr)
		if err != nil {
			return nil, err
		}
		rr.Latency.Mode = fmt.Sprintf("paced %.0f/s, %d msgs", probeRate, probeK)
		var sqsN float64
		for _, v := range delta(p0.byLabel("summarizer_sqs_requests_total", "op"), p1.byLabel("summarizer_sqs_requests_total", "op")) {
			sqsN += v
		}
		rr.Latency.SQSPerMsg = sqsN / float64(max(px.writtenCount(sp.N, sp.N+probeK), 1))
		_, received, written, _ = px.times()
		runAt, completedAt, _ = em.snapshot()
	}
	var e2e, excess, s2r, r2run, over, c2p []float64
	for _, id := range latIDs {
		s, ok1 := latSent[id]
		wr, ok2 := written[id]
		if !ok1 || !ok2 {
			continue
		}
		e2e = append(e2e, wr.Sub(s).Seconds())
		excess = append(excess, ms(wr.Sub(s)-L))
		rc, okR := received[id]
		if okR {
			s2r = append(s2r, ms(rc.Sub(s)))
		}
		ra, okRun := runAt[id]
		if okR && okRun {
			r2run = append(r2run, ms(ra.Sub(rc)))
		}
		ca, okC := completedAt[id]
		if okRun && okC {
			over = append(over, ms(ca.Sub(ra)-L))
			c2p = append(c2p, ms(wr.Sub(ca)))
		}
	}
	rr.Latency.Messages = len(e2e)
	rr.Latency.E2ES = percentiles(e2e)
	rr.Latency.ExcessMS = percentiles(excess)
	rr.Latency.SendToReceiveMS = percentiles(s2r)
	rr.Latency.ReceiveToRunMS = percentiles(r2run)
	rr.Latency.PollOvershootMS = percentiles(over)
	rr.Latency.CompletedToPutMS = percentiles(c2p)

	if sp.Send == sendPreload && rr.MaxInflight < sp.N && sp.Concurrency >= sp.N {
		rr.Notes = append(rr.Notes, fmt.Sprintf("only %d of %d in flight at once: the worker received the last message %.0f s after its start, "+
			"longer than a job (L + poll overshoot); moto's ReceiveMessage cost grows with the messages in the queue", rr.MaxInflight, sp.N, rr.ReceiveRampS))
	}
	// End of the run, before stopping the worker.
	if hwm, rss, err := memKB(pid); err == nil {
		rr.PeakRSSMB, rr.EndRSSMB = float64(hwm)/1024, float64(rss)/1024
	}
	st := em.em.Stats()
	rr.EmulatorMaxInFlight = st.MaxInFlight
	_, _, _, rr.Redelivered = px.times()
	if st.Requests[emulator.OpRun] != st.Submitted {
		rr.Notes = append(rr.Notes, fmt.Sprintf("emulator: %d /run requests for %d jobs", st.Requests[emulator.OpRun], st.Submitted))
	}
	rr.LoadAfter = loadAvg()
	return rr, nil
}

// waitWritten waits until every summary of ids [from, to) is written.
func waitWritten(ctx context.Context, px *countingProxy, from, to int, timeout time.Duration, onTick func()) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for px.writtenCount(from, to) < to-from {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		onTick()
		if time.Now().After(deadline) {
			return errTimeout
		}
	}
	return nil
}

// idleRun measures what a worker costs with an empty queue.
func (b *bench) idleRun(ctx context.Context, window time.Duration) (*idleResult, error) {
	ir := &idleResult{Window: window.String(), LoadBefore: loadAvg()}
	queueURL, err := createQueues(ctx, b.sqs, "bench-idle")
	if err != nil {
		return nil, err
	}
	em, err := startEmulator(time.Second)
	if err != nil {
		return nil, err
	}
	defer em.Close()
	px, err := startProxy(b.moto.URL)
	if err != nil {
		return nil, err
	}
	defer px.Close()
	w, err := b.startWorker(ctx, queueURL, px.URL, em.EndpointURL(), 16)
	if err != nil {
		return nil, err
	}
	defer w.stop()
	time.Sleep(time.Second)
	m0, err := scrape(ctx, w.metricsAddr)
	if err != nil {
		return nil, err
	}
	cpu0, _ := cpuSeconds(w.pid())
	tA := time.Now()
	select {
	case <-time.After(window):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tB := time.Now()
	m1, err := scrape(ctx, w.metricsAddr)
	if err != nil {
		return nil, err
	}
	cpu1, _ := cpuSeconds(w.pid())
	secs := tB.Sub(tA).Seconds()
	ir.SQSByOp = delta(m0.byLabel("summarizer_sqs_requests_total", "op"), m1.byLabel("summarizer_sqs_requests_total", "op"))
	ir.Receives = ir.SQSByOp["ReceiveMessage"]
	ir.ReceivesPerHour = ir.Receives * 3600 / secs
	ir.EmptyReceives = m1.sum("summarizer_empty_receives_total", "") - m0.sum("summarizer_empty_receives_total", "")
	// Intervals between receive starts, since the worker's start: exact even
	// when the window holds only one or two 20 s long polls.
	if starts := px.receiveStarts(time.Time{}, tB); len(starts) >= 2 {
		ir.IntervalS = starts[len(starts)-1].Sub(starts[0]).Seconds() / float64(len(starts)-1)
		ir.IntervalPerHour = 3600 / ir.IntervalS
	}
	for k, v := range px.countBetween(tA, tB) {
		if strings.HasPrefix(k, "s3 ") {
			ir.S3Requests += v
		}
	}
	ir.CPUSecondsPerHour = (cpu1 - cpu0) * 3600 / secs
	if _, rss, err := memKB(w.pid()); err == nil {
		ir.RSSMB = float64(rss) / 1024
	}
	ir.LoadAt = loadAvg()
	return ir, nil
}

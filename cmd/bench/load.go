package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// loadSpec is one open-loop point: arrivals at load × C/L for a window.
type loadSpec struct {
	consumer string
	load     float64 // × C/L
	c        int
	latency  time.Duration
	window   time.Duration // arrivals are sent during it
	warm     time.Duration // arrivals before the window, at the same rate, not counted in the latencies
	drainCap time.Duration // after the last arrival, wait at most this for the summaries
	seedPoll time.Duration
}

func (sp loadSpec) rate() float64 { return sp.load * float64(sp.c) / sp.latency.Seconds() }

// loadPoint is the result of one open-loop point.
type loadPoint struct {
	Consumer    string  `json:"consumer"`
	Load        float64 `json:"load_x_c_over_l"`
	Rate        float64 `json:"arrivals_per_s"`
	Concurrency int     `json:"concurrency"`
	L           float64 `json:"latency_l_s"`
	WindowS     float64 `json:"arrival_window_s"`
	WarmS       float64 `json:"warm_up_s"`
	Sent        int     `json:"uploads_acknowledged"`
	SendFailed  int     `json:"uploads_failed"`
	Written     int     `json:"summaries_written"`
	// WrittenAfterLastSend are the summaries that landed after the last
	// upload; TailS is from the last upload to the last summary (NaN when
	// some were still missing at the cut, CutS after the last upload).
	WrittenAfterLastSend int     `json:"summaries_after_last_upload"`
	TailS                float64 `json:"last_upload_to_last_summary_s"`
	Unfinished           int     `json:"unfinished_at_cut"`
	CutS                 float64 `json:"cut_after_last_upload_s"`
	// ThroughputPerS counts summaries written from L+1 s after the first
	// upload until the last upload.
	ThroughputPerS float64 `json:"throughput_during_arrivals_per_s"`

	// Added latency: from the upload acknowledged (the event is in the
	// queue) to the summary PUT acknowledged, or to the first /status answer
	// COMPLETED, minus L. Messages unfinished at the cut count with their
	// age at the cut as a lower bound.
	AddedToSummaryMS   pct `json:"added_latency_to_summary_ms"`
	AddedToCompletedMS pct `json:"added_latency_to_completed_seen_ms"`
	// Where the time goes, finished messages only.
	UploadToReceiveMS  pct `json:"upload_to_first_receive_ms"`
	ReceiveToRunMS     pct `json:"receive_to_runpod_run_ms"`
	PollOvershootMS    pct `json:"completed_seen_minus_run_minus_l_ms"`
	CompletedToWriteMS pct `json:"completed_seen_to_summary_ms"`
	// Harness health: PutObject round trip and the pacer's lateness.
	UploadRoundTripMS pct `json:"upload_round_trip_ms"`
	PacerLagMS        pct `json:"pacer_lag_ms"`

	Backlog   backlog `json:"backlog"`
	Sustained bool    `json:"sustained"`

	SQSPerMsg    float64            `json:"sqs_requests_per_message"`
	SQSByOp      map[string]float64 `json:"sqs_requests_per_message_by_op"`
	S3PerMsg     float64            `json:"s3_requests_per_message"`
	S3ByKind     map[string]float64 `json:"s3_requests_per_message_by_kind"`
	RunPodPerMsg float64            `json:"runpod_requests_per_message"`
	RunPodByOp   map[string]float64 `json:"runpod_requests_per_message_by_op"`
	JobsPerMsg   float64            `json:"runpod_jobs_per_message"`
	PollsPerJob  float64            `json:"runpod_polls_per_job_mean"`
	PollsMax     int                `json:"runpod_polls_per_job_max"`

	WorkerCPUPer1000 float64            `json:"worker_cpu_s_per_1000_messages"`
	WorkerCPUPct     float64            `json:"worker_cpu_pct"`
	MotoCPUPct       float64            `json:"moto_cpu_pct"`
	BenchCPUPct      float64            `json:"bench_cpu_pct"`
	MotoReqPerS      float64            `json:"consumer_requests_to_moto_per_s"`
	PeakRSSMB        float64            `json:"worker_peak_rss_mb"`
	MaxInflight      float64            `json:"max_inflight"`
	Outcomes         map[string]float64 `json:"worker_outcomes,omitempty"`
	Redelivered      int                `json:"redeliveries"`
	ConsumerErrors   int                `json:"consumer_errors"`
	LoadBefore       string             `json:"loadavg_before"`
	LoadAfter        string             `json:"loadavg_after"`
	Notes            []string           `json:"notes,omitempty"`
}

// backlog describes the queue over an open-loop point. Depth is messages
// uploaded and not yet received (what SQS's ApproximateNumberOfMessages
// shows, exact here); outstanding is uploaded and not yet summarized.
type backlog struct {
	DepthMax        int     `json:"depth_max"`
	DepthMean       float64 `json:"depth_mean"`
	DepthLastQuart  float64 `json:"depth_mean_last_quarter"`
	DepthAtLastSend int     `json:"depth_at_last_upload"`
	// DepthSlope is the least-squares growth of the depth over the second
	// half of the arrivals, messages per second: about zero when the
	// consumer keeps up, arrivals − throughput when it does not.
	DepthSlope            float64      `json:"depth_growth_per_s"`
	OutstandingAtLastSend int          `json:"outstanding_at_last_upload"`
	OutstandingMax        int          `json:"outstanding_max"`
	Series                [][3]float64 `json:"series"` // [seconds since the first upload, depth, outstanding] every 0.5 s
}

// sustained is the verdict on a point: every summary written before the
// cut, the depth not growing (under 2% of the arrival rate per second) and
// small at the end (the last quarter's mean under half a second of
// arrivals, at least 2).
func sustained(lp *loadPoint) bool {
	return lp.Unfinished == 0 && lp.SendFailed == 0 &&
		lp.Backlog.DepthSlope <= 0.02*lp.Rate &&
		lp.Backlog.DepthLastQuart <= max(2, 0.5*lp.Rate)
}

func (b *bench) loadPoint(ctx context.Context, sp loadSpec) (*loadPoint, error) {
	rate := sp.rate()
	n := int(math.Round(rate * sp.window.Seconds()))
	// A worker is long-lived: its first jobs after a start poll on a plain
	// schedule until it has seen how long jobs take. The first warm seconds
	// of arrivals (same rate, one stream) are not counted in the latencies.
	nWarm := int(math.Round(rate * sp.warm.Seconds()))
	L := sp.latency
	lp := &loadPoint{Consumer: sp.consumer, Load: sp.load, Rate: rate, Concurrency: sp.c, L: L.Seconds(),
		WindowS: sp.window.Seconds(), WarmS: sp.warm.Seconds(), LoadBefore: loadAvg()}
	r, err := b.newRig(ctx, fmt.Sprintf("load-%s-%03.0f", sp.consumer, sp.load*100), L, true)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.start(ctx, consumerConfig{kind: sp.consumer, concurrency: sp.c, seedPoll: sp.seedPoll}); err != nil {
		return nil, err
	}
	r.sampleEvery(ctx, 500*time.Millisecond)
	m0, cpu0 := r.c.metrics(ctx), r.c.cpu()
	t0 := time.Now().Add(50 * time.Millisecond)
	as := openLoop(ctx, b.s3, nWarm+n, rate, t0)
	acked, failed, lastAck, firstErr := arrivalStats(as)
	lp.Sent, lp.SendFailed = len(acked), failed
	if failed > 0 {
		lp.Notes = append(lp.Notes, fmt.Sprintf("%d uploads failed: %v", failed, firstErr))
	}
	if len(acked) == 0 {
		return nil, fmt.Errorf("no upload succeeded: %v", firstErr)
	}
	cut := lastAck.Add(sp.drainCap)
	allWritten := func() bool { return r.px.progress() >= len(acked) }
	waitFor(ctx, allWritten, cut)
	tCut := time.Now()
	if allWritten() {
		// Count the deletes too: wait until the queue holds nothing.
		waitQueueEmpty(ctx, b.sqs, r.queueURL, 5*time.Second)
	}
	t1 := time.Now()
	r.stopSampling()
	samples := r.snapshot()
	m1, cpu1 := r.c.metrics(ctx), r.c.cpu()
	if r.c.w != nil {
		if hwm, _, err := memKB(r.c.w.pid()); err == nil {
			lp.PeakRSSMB = float64(hwm) / 1024
		}
	}
	if r.c.s != nil {
		lp.ConsumerErrors, err = r.c.s.failures()
		if err != nil {
			lp.Notes = append(lp.Notes, fmt.Sprintf("seed: %d failed attempts, first: %v", lp.ConsumerErrors, err))
		}
	}

	received, written, redelivered := r.px.times()
	runAt, completedAt, jobs := r.em.snapshot()
	lp.Redelivered = redelivered
	lp.CutS = tCut.Sub(lastAck).Seconds()

	// Latencies.
	var toSummary, toSummaryCen, toDone, toDoneCen, u2r, r2run, over, c2w, rtt, lag []float64
	var lastWritten time.Time
	for _, a := range as {
		if a.err != nil || a.id < nWarm {
			continue
		}
		rtt = append(rtt, ms(a.acked.Sub(a.start)))
		lag = append(lag, ms(a.start.Sub(a.scheduled)))
		wr, okW := written[a.id]
		ca, okC := completedAt[a.id]
		if okW && !wr.After(tCut) {
			toSummary = append(toSummary, ms(wr.Sub(a.acked)-L))
			lastWritten = later(lastWritten, wr)
			if wr.After(lastAck) {
				lp.WrittenAfterLastSend++
			}
		} else {
			toSummaryCen = append(toSummaryCen, ms(tCut.Sub(a.acked)-L))
		}
		if okC && !ca.After(tCut) {
			toDone = append(toDone, ms(ca.Sub(a.acked)-L))
		} else if !okW {
			toDoneCen = append(toDoneCen, ms(tCut.Sub(a.acked)-L))
		}
		rc, okR := received[a.id]
		if okR {
			u2r = append(u2r, ms(rc.Sub(a.acked)))
		}
		ra, okRun := runAt[a.id]
		if okR && okRun {
			r2run = append(r2run, ms(ra.Sub(rc)))
		}
		if okRun && okC {
			over = append(over, ms(ca.Sub(ra)-L))
		}
		if okC && okW {
			c2w = append(c2w, ms(wr.Sub(ca)))
		}
	}
	lp.Written = len(toSummary)
	lp.Unfinished = len(toSummaryCen)
	lp.TailS = math.NaN()
	if lp.Unfinished == 0 {
		lp.TailS = lastWritten.Sub(lastAck).Seconds()
	}
	lp.AddedToSummaryMS = censoredPercentiles(toSummary, toSummaryCen)
	lp.AddedToCompletedMS = censoredPercentiles(toDone, toDoneCen)
	lp.UploadToReceiveMS = percentiles(u2r)
	lp.ReceiveToRunMS = percentiles(r2run)
	lp.PollOvershootMS = percentiles(over)
	lp.CompletedToWriteMS = percentiles(c2w)
	lp.UploadRoundTripMS = percentiles(rtt)
	lp.PacerLagMS = percentiles(lag)
	if len(toDone) == 0 && len(toSummary) > 0 {
		lp.Notes = append(lp.Notes, "no /status answered COMPLETED: the consumer did not poll (latency to COMPLETED unknown)")
	}

	// Throughput while arrivals lasted, after the first jobs could finish.
	from := t0.Add(L + time.Second)
	if lastAck.Sub(from) >= time.Second {
		k := 0
		for _, w := range written {
			if !w.Before(from) && !w.After(lastAck) {
				k++
			}
		}
		lp.ThroughputPerS = float64(k) / lastAck.Sub(from).Seconds()
	} else {
		lp.ThroughputPerS = math.NaN()
	}

	lp.Backlog = backlogOf(t0, lastAck, tCut, acked, received, written)
	lp.Sustained = sustained(lp)

	// Requests per message summarized, from the first upload until the
	// queue emptied (or the cut), of the messages summarized.
	finished := func(id int) bool {
		w, ok := written[id]
		return ok && !w.After(tCut)
	}
	// Every summary written counts here, warm-up included: so do its requests.
	allFinished := 0
	for id := range written {
		if finished(id) {
			allFinished++
		}
	}
	perMsg := float64(max(allFinished, 1))
	lp.SQSByOp, lp.S3ByKind, lp.SQSPerMsg, lp.S3PerMsg = perMessage(r.px.requestsFor(t0, t1, finished), perMsg)
	var all int
	for _, v := range r.px.countBetween(t0, t1) {
		all += v
	}
	lp.MotoReqPerS = float64(all) / t1.Sub(t0).Seconds()
	lp.RunPodByOp = map[string]float64{}
	runs, polls, most := pollStats(jobs, finished)
	lp.PollsPerJob, lp.PollsMax = pollsPerJob(runs, polls), most
	if runs > 0 {
		lp.RunPodByOp[emulator.OpRun] = float64(runs) / perMsg
		lp.RunPodByOp[emulator.OpStatus] = float64(polls) / perMsg
		lp.JobsPerMsg = float64(runs) / perMsg
	}
	st := r.em.em.Stats()
	for op, v := range st.Requests {
		if op != emulator.OpRun && op != emulator.OpStatus && v > 0 {
			lp.RunPodByOp[op] = float64(v) / perMsg
		}
	}
	for _, v := range lp.RunPodByOp {
		lp.RunPodPerMsg += v
	}
	if st.Requests[emulator.OpRun] != st.Submitted {
		lp.Notes = append(lp.Notes, fmt.Sprintf("emulator: %d /run requests for %d jobs", st.Requests[emulator.OpRun], st.Submitted))
	}

	lp.WorkerCPUPer1000 = (cpu1 - cpu0) / perMsg * 1000
	lp.WorkerCPUPct = cpuPctBetween(samples, t0, lastAck, func(s sample) float64 { return s.worker })
	lp.MotoCPUPct = cpuPctBetween(samples, t0, lastAck, func(s sample) float64 { return s.moto })
	lp.BenchCPUPct = cpuPctBetween(samples, t0, lastAck, func(s sample) float64 { return s.bench })
	for _, s := range samples {
		if !math.IsNaN(s.inflight) {
			lp.MaxInflight = max(lp.MaxInflight, s.inflight)
		}
	}
	if r.c.w != nil {
		lp.Outcomes = delta(m0.byLabel("summarizer_messages_total", "outcome"), m1.byLabel("summarizer_messages_total", "outcome"))
	}
	if lp.PacerLagMS.P99 > 20 {
		lp.Notes = append(lp.Notes, fmt.Sprintf("the pacer ran late (p99 %.0f ms): this machine was short of CPU", lp.PacerLagMS.P99))
	}
	lp.LoadAfter = loadAvg()
	return lp, nil
}

// backlogOf computes the queue depth and the outstanding messages from the
// exact timestamps: upload acknowledged, first received, summary written.
func backlogOf(t0, lastAck, tCut time.Time, acked, received, written map[int]time.Time) backlog {
	var up, rc, wr []time.Time
	for id, t := range acked {
		up = append(up, t)
		if r, ok := received[id]; ok {
			rc = append(rc, r)
		}
		if w, ok := written[id]; ok {
			wr = append(wr, w)
		}
	}
	var bl backlog
	// Fine grid over the arrivals for the statistics.
	grid := ticks(t0, lastAck, 100*time.Millisecond)
	if len(grid) == 0 {
		return bl
	}
	u, r, w := countAt(up, grid), countAt(rc, grid), countAt(wr, grid)
	depth := make([]float64, len(grid))
	for i := range grid {
		d := u[i] - r[i]
		depth[i] = float64(d)
		bl.DepthMax = max(bl.DepthMax, d)
		bl.OutstandingMax = max(bl.OutstandingMax, u[i]-w[i])
	}
	bl.DepthMean = mean(depth)
	bl.DepthLastQuart = mean(depth[len(depth)*3/4:])
	half := len(grid) / 2
	xs := make([]float64, 0, len(grid)-half)
	for _, t := range grid[half:] {
		xs = append(xs, t.Sub(t0).Seconds())
	}
	bl.DepthSlope = slope(xs, depth[half:])
	end := []time.Time{lastAck}
	bl.DepthAtLastSend = countAt(up, end)[0] - countAt(rc, end)[0]
	bl.OutstandingAtLastSend = countAt(up, end)[0] - countAt(wr, end)[0]
	// A coarser series to the cut, for the record and the plot.
	step := 500 * time.Millisecond
	sec := ticks(t0, tCut, step)
	su, sr, sw := countAt(up, sec), countAt(rc, sec), countAt(wr, sec)
	for i := range sec {
		bl.Series = append(bl.Series, [3]float64{float64(i) * step.Seconds(), float64(su[i] - sr[i]), float64(su[i] - sw[i])})
	}
	return bl
}

// pollStats counts the RunPod jobs of the messages keep accepts (nil: of
// every message), their /status polls and the most polls of one job.
func pollStats(jobs []jobPolls, keep func(msg int) bool) (runs, polls, most int) {
	for _, j := range jobs {
		if j.msg < 0 || keep != nil && !keep(j.msg) {
			continue
		}
		runs++
		polls += j.polls
		most = max(most, j.polls)
	}
	return runs, polls, most
}

// pollsPerJob is the mean number of /status polls per job, NaN without jobs.
func pollsPerJob(runs, polls int) float64 {
	if runs == 0 {
		return math.NaN()
	}
	return float64(polls) / float64(runs)
}

// waitFor polls cond every 50 ms until it holds, deadline passes or ctx is
// done.
func waitFor(ctx context.Context, cond func() bool, deadline time.Time) bool {
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadsOf orders the points of one consumer by load.
func loadsOf(points []loadPoint, consumer string) []loadPoint {
	var out []loadPoint
	for _, p := range points {
		if p.Consumer == consumer {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b loadPoint) int { return cmp.Compare(a.Load, b.Load) })
	return out
}

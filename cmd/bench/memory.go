package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// memorySpec is the memory run: one replica holding jobs messages at once.
// The transcripts are all uploaded (their events queued) before the worker
// starts: with the patched moto a deep queue is cheap to receive from, and
// the worker takes them in faster than uploads at the pace of moto's
// PutObject would come, so L need not outlast minutes of uploads.
//
// The worker's VISIBILITY_TIMEOUT is long (15 minutes by default) so that
// no lease needs extending during the run: moto's ChangeMessageVisibility
// looks each receipt up by scanning every message in the queue, and with
// 5,000 in flight on two shared cores a trial run with the 60 s default
// fell behind its extensions: leases lapsed and 2,764 messages were
// delivered twice, which measures moto, not the worker's memory.
type memorySpec struct {
	jobs       int
	latency    time.Duration // longer than the worker takes to receive them all
	visibility time.Duration // the worker's VISIBILITY_TIMEOUT
	deadline   time.Duration // after L, at most this for the summaries
}

// memoryResult is what one replica costs with many jobs in flight.
type memoryResult struct {
	Jobs        int     `json:"jobs"`
	Concurrency int     `json:"concurrency"`
	L           float64 `json:"latency_l_s"`
	VisibilityS float64 `json:"visibility_timeout_s"`
	UploadS     float64 `json:"upload_s"`
	// IntakeS is from the worker's start to the first delivery of the last
	// message; DurationS to the last summary.
	IntakeS   float64 `json:"intake_s"`
	Written   int     `json:"summaries_written"`
	DurationS float64 `json:"worker_start_to_last_summary_s"`
	// MaxInflight is the worker's summarizer_inflight_messages at its
	// highest (sampled each second); RunPodMaxInflight the emulator's exact
	// count of jobs IN_QUEUE or IN_PROGRESS at once.
	MaxInflight       float64 `json:"max_inflight_worker"`
	RunPodMaxInflight int     `json:"max_inflight_runpod"`
	AllInFlight       bool    `json:"all_in_flight_at_once"`
	// PeakRSSMB is the worker's VmHWM at the end; RSSAtMaxMB its VmRSS at
	// the sample with the most messages in flight.
	PeakRSSMB     float64 `json:"worker_peak_rss_mb"`
	RSSAtMaxMB    float64 `json:"worker_rss_at_max_inflight_mb"`
	HeapInuseMB   float64 `json:"worker_go_heap_inuse_max_mb"`
	GoroutinesMax float64 `json:"worker_goroutines_max"`
	// CPU of the worker from its start to the last summary, per message.
	CPUSeconds  float64 `json:"worker_cpu_s"`
	CPUMsPerMsg float64 `json:"worker_cpu_ms_per_message"`

	SQSPerMsg            float64            `json:"sqs_requests_per_message"`
	SQSByOp              map[string]float64 `json:"sqs_requests_per_message_by_op"`
	S3PerMsg             float64            `json:"s3_requests_per_message"`
	S3ByKind             map[string]float64 `json:"s3_requests_per_message_by_kind"`
	ReceiveRoundTripMS   pct                `json:"receive_round_trip_ms"`
	PollsPerJob          float64            `json:"runpod_polls_per_job_mean"`
	PollsMax             int                `json:"runpod_polls_per_job_max"`
	VisibilityExtensions float64            `json:"visibility_extensions"`
	Outcomes             map[string]float64 `json:"worker_outcomes"`
	Redelivered          int                `json:"redeliveries"`
	MotoCPUPct           float64            `json:"moto_cpu_pct"`
	// Series is [second, in flight, RSS MB] each second.
	Series     [][3]float64 `json:"series_per_s"`
	LoadBefore string       `json:"loadavg_before"`
	LoadAfter  string       `json:"loadavg_after"`
	Notes      []string     `json:"notes,omitempty"`
}

func (b *bench) memoryRun(ctx context.Context, sp memorySpec) (*memoryResult, error) {
	mr := &memoryResult{Jobs: sp.jobs, Concurrency: sp.jobs, L: sp.latency.Seconds(), VisibilityS: sp.visibility.Seconds(), LoadBefore: loadAvg()}
	r, err := b.newRig(ctx, "memory", sp.latency, true)
	if err != nil {
		return nil, err
	}
	defer r.close()
	tu := time.Now()
	as := feeder{s3c: b.s3, n: sp.jobs, par: 16, limit: sp.jobs, ahead: func(int) int { return 0 }}.run(ctx)
	acked, failed, _, firstErr := arrivalStats(as)
	if failed > 0 {
		mr.Notes = append(mr.Notes, fmt.Sprintf("%d uploads failed: %v", failed, firstErr))
	}
	mr.UploadS = time.Since(tu).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := r.start(ctx, consumerConfig{kind: consumerWorker, concurrency: sp.jobs, visibility: sp.visibility}); err != nil {
		return nil, err
	}
	t0 := time.Now()
	cpu0 := r.c.cpu()
	m0 := r.c.metrics(ctx)
	r.sampleEvery(ctx, time.Second)
	done := func() bool { return r.px.progress() >= len(acked) }
	if !waitFor(ctx, done, t0.Add(sp.latency+sp.deadline)) {
		mr.Notes = append(mr.Notes, fmt.Sprintf("only %d of %d summaries %s after the worker's start", r.px.progress(), len(acked), sp.latency+sp.deadline))
	}
	received, ws, redelivered := r.px.times()
	var lastWritten, lastReceived time.Time
	for _, t := range ws {
		lastWritten = later(lastWritten, t)
	}
	for _, t := range received {
		lastReceived = later(lastReceived, t)
	}
	mr.Written, mr.Redelivered = len(ws), redelivered
	mr.DurationS = lastWritten.Sub(t0).Seconds()
	mr.IntakeS = lastReceived.Sub(t0).Seconds()
	waitQueueEmpty(ctx, b.sqs, r.queueURL, 10*time.Second)
	t1 := time.Now()
	cpu1 := r.c.cpu()
	m1 := r.c.metrics(ctx)
	r.stopSampling()
	samples := r.snapshot()
	if hwm, _, err := memKB(r.c.w.pid()); err == nil {
		mr.PeakRSSMB = float64(hwm) / 1024
	}
	for _, s := range samples {
		if !math.IsNaN(s.inflight) && s.inflight > mr.MaxInflight {
			mr.MaxInflight = s.inflight
			mr.RSSAtMaxMB = float64(s.rssKB) / 1024
		}
		mr.HeapInuseMB = max(mr.HeapInuseMB, s.heapInuse/(1<<20))
		mr.GoroutinesMax = max(mr.GoroutinesMax, s.goroutines)
		mr.Series = append(mr.Series, [3]float64{math.Round(s.t.Sub(t0).Seconds()), s.inflight, math.Round(float64(s.rssKB)/1024*10) / 10})
	}
	st := r.em.em.Stats()
	mr.RunPodMaxInflight = st.MaxInFlight
	mr.AllInFlight = mr.RunPodMaxInflight >= sp.jobs && mr.MaxInflight >= float64(sp.jobs)
	if !mr.AllInFlight {
		mr.Notes = append(mr.Notes, fmt.Sprintf("at most %.0f messages (%d RunPod jobs) were in flight at once, not %d: the worker took %.0f s to receive them all, L = %s",
			mr.MaxInflight, mr.RunPodMaxInflight, sp.jobs, mr.IntakeS, sp.latency))
	}
	mr.CPUSeconds = cpu1 - cpu0
	perMsg := float64(max(mr.Written, 1))
	mr.CPUMsPerMsg = mr.CPUSeconds / perMsg * 1000
	mr.SQSByOp, mr.S3ByKind, mr.SQSPerMsg, mr.S3PerMsg = perMessage(r.px.countBetween(t0, t1), perMsg)
	mr.ReceiveRoundTripMS = percentiles(r.px.durations("sqs ReceiveMessage", t0, t1))
	_, _, jobs := r.em.snapshot()
	runs, polls, most := pollStats(jobs, nil)
	mr.PollsPerJob, mr.PollsMax = pollsPerJob(runs, polls), most
	mr.VisibilityExtensions = m1.sum("summarizer_visibility_extensions_total", "") - m0.sum("summarizer_visibility_extensions_total", "")
	mr.Outcomes = delta(m0.byLabel("summarizer_messages_total", "outcome"), m1.byLabel("summarizer_messages_total", "outcome"))
	mr.MotoCPUPct = cpuPctBetween(samples, t0, t1, func(s sample) float64 { return s.moto })
	mr.LoadAfter = loadAvg()
	return mr, nil
}

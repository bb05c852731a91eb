package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// memorySpec is the memory run: one replica holding jobs messages at once.
type memorySpec struct {
	jobs     int
	latency  time.Duration // long enough that every job is submitted before the first ends
	rate     float64       // upload cap per second
	depth    int           // most messages waiting in the queue (moto slows with depth)
	deadline time.Duration // after the last upload, at most this for the summaries
}

// memoryResult is what one replica costs with many jobs in flight.
type memoryResult struct {
	Jobs        int     `json:"jobs"`
	Concurrency int     `json:"concurrency"`
	L           float64 `json:"latency_l_s"`
	RateCap     float64 `json:"upload_rate_cap_per_s"`
	ArrivalsS   float64 `json:"first_to_last_upload_s"`
	Written     int     `json:"summaries_written"`
	DurationS   float64 `json:"first_upload_to_last_summary_s"`
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
	PollsPerJob          float64            `json:"runpod_polls_per_job_mean"`
	PollsMax             int                `json:"runpod_polls_per_job_max"`
	VisibilityExtensions float64            `json:"visibility_extensions"`
	MotoCPUPct           float64            `json:"moto_cpu_pct"`
	// Series is [second, in flight, RSS MB] each second.
	Series     [][3]float64 `json:"series_per_s"`
	LoadBefore string       `json:"loadavg_before"`
	LoadAfter  string       `json:"loadavg_after"`
	Notes      []string     `json:"notes,omitempty"`
}

func (b *bench) memoryRun(ctx context.Context, sp memorySpec) (*memoryResult, error) {
	mr := &memoryResult{Jobs: sp.jobs, Concurrency: sp.jobs, L: sp.latency.Seconds(), RateCap: sp.rate, LoadBefore: loadAvg()}
	r, err := b.newRig(ctx, "memory", sp.latency, true)
	if err != nil {
		return nil, err
	}
	defer r.close()
	if err := r.start(ctx, consumerConfig{kind: consumerWorker, concurrency: sp.jobs}); err != nil {
		return nil, err
	}
	cpu0 := r.c.cpu()
	m0 := r.c.metrics(ctx)
	r.sampleEvery(ctx, time.Second)
	t0 := time.Now()
	f := feeder{s3c: b.s3, n: sp.jobs, rate: sp.rate, par: 16, limit: sp.depth, ahead: func(started int) int {
		rc, _ := r.px.progress()
		return started - rc
	}}
	as := f.run(ctx)
	acked, failed, firstAck, lastAck, firstErr := arrivalStats(as)
	if failed > 0 {
		mr.Notes = append(mr.Notes, fmt.Sprintf("%d uploads failed: %v", failed, firstErr))
	}
	mr.ArrivalsS = lastAck.Sub(firstAck).Seconds()
	deadline := lastAck.Add(sp.latency + sp.deadline)
	done := func() bool {
		_, w := r.px.progress()
		return w >= len(acked)
	}
	if !waitFor(ctx, done, deadline) {
		_, w := r.px.progress()
		mr.Notes = append(mr.Notes, fmt.Sprintf("only %d of %d summaries %s after the last upload", w, len(acked), sp.latency+sp.deadline))
	}
	var lastWritten time.Time
	_, _, ws, _ := r.px.times()
	for _, t := range ws {
		lastWritten = later(lastWritten, t)
	}
	mr.Written = len(ws)
	mr.DurationS = lastWritten.Sub(firstAck).Seconds()
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
		mr.Notes = append(mr.Notes, fmt.Sprintf("at most %.0f messages (%d RunPod jobs) were in flight at once, not %d: uploads took %.0f s against L = %s",
			mr.MaxInflight, mr.RunPodMaxInflight, sp.jobs, mr.ArrivalsS, sp.latency))
	}
	mr.CPUSeconds = cpu1 - cpu0
	perMsg := float64(max(mr.Written, 1))
	mr.CPUMsPerMsg = mr.CPUSeconds / perMsg * 1000
	mr.SQSByOp = map[string]float64{}
	for k, v := range r.px.countBetween(t0, t1) {
		switch {
		case strings.HasPrefix(k, "sqs "):
			mr.SQSByOp[strings.TrimPrefix(k, "sqs ")] = float64(v) / perMsg
			mr.SQSPerMsg += float64(v) / perMsg
		case strings.HasPrefix(k, "s3 "):
			mr.S3PerMsg += float64(v) / perMsg
		}
	}
	_, _, jobs := r.em.snapshot()
	_, mr.PollsPerJob, mr.PollsMax = pollStats(jobs, perMsg)
	mr.VisibilityExtensions = m1.sum("summarizer_visibility_extensions_total", "") - m0.sum("summarizer_visibility_extensions_total", "")
	mr.MotoCPUPct = cpuPctBetween(samples, t0, t1, func(s sample) float64 { return s.moto })
	mr.LoadAfter = loadAvg()
	return mr, nil
}

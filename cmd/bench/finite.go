package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/summarizer/summarizer/cmd/internal/burst"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// The finite-endpoint run: bursts onto a RunPod endpoint with a few GPU
// workers (the emulator's finite mode), replicas of the worker as
// processes, times scaled down from production by one ratio (JOB_TIMEOUT
// 15 min, 10 replicas × 32, 3 workers, 10 s jobs become 20 s, 3 × 32, 4
// workers, 2 s). The seed design runs the first burst too.

// finiteSpec is one burst of the finite run.
type finiteSpec struct {
	name, title string
	consumer    string
	transcripts int
	replicas    int
	env         map[string]string
	endpoint    emulator.Config
	faults      []burst.Fault
}

// finiteResult is what one burst measured (times in seconds).
type finiteResult struct {
	Name             string             `json:"name"`
	Title            string             `json:"title"`
	Consumer         string             `json:"consumer"`
	Transcripts      int                `json:"transcripts"`
	Replicas         int                `json:"replicas"`
	GPUs             int                `json:"max_workers"`
	LatencyS         float64            `json:"job_latency_s"`
	ColdStartS       float64            `json:"cold_start_s"`
	Env              map[string]string  `json:"env"`
	Jobs             int                `json:"jobs"`
	CancelledRunning int                `json:"cancelled_running"`
	CancelledQueued  int                `json:"cancelled_queued"`
	TimedOutRunning  int                `json:"timed_out_running"`
	ExpiredQueued    int                `json:"expired_queued"`
	GPUS             float64            `json:"gpu_s"`
	BilledS          float64            `json:"billed_worker_s"`
	WorkS            float64            `json:"work_s"`
	DrainedS         float64            `json:"drained_s"`
	ScaleUpS         float64            `json:"scale_up_s"`
	IdealS           float64            `json:"ideal_s"`
	QueueP50S        float64            `json:"queue_delay_p50_s"`
	QueueP95S        float64            `json:"queue_delay_p95_s"`
	MaxSQSInFlight   int                `json:"max_sqs_in_flight"`
	MaxRunPodQueue   int                `json:"max_runpod_queue"`
	PeakWorkers      int                `json:"peak_workers"`
	Summaries        int                `json:"summaries"`
	DeadLetters      int                `json:"dead_letters"`
	SQSPerMsg        float64            `json:"sqs_requests_per_message"`
	SQSByOp          map[string]float64 `json:"sqs_requests"`
	PeakRSSMB        float64            `json:"peak_rss_mb"`
	RecoveredS       float64            `json:"recovered_s"`
	Series           []finitePoint      `json:"series"`
}

// finitePoint is one sample: seconds since the uploads, RunPod's queue and
// running jobs, its workers, the replicas' admission windows summed, and
// the messages in flight in SQS.
type finitePoint struct {
	T           float64 `json:"t"`
	InQueue     int     `json:"in_queue"`
	InProgress  int     `json:"in_progress"`
	Workers     int     `json:"workers"`
	Window      int     `json:"window"`
	SQSInFlight int     `json:"sqs_in_flight"`
	SQSVisible  int     `json:"sqs_visible"`
}

// finiteSpecs are the bursts.
func finiteSpecs(quick bool) []finiteSpec {
	const latency = 2 * time.Second
	scale := func(n int) int {
		if quick {
			return n / 3
		}
		return n
	}
	crash := 120 * time.Second
	if quick {
		crash = 30 * time.Second
	}
	warm := emulator.Config{Latency: latency, MaxWorkers: 4, MinWorkers: 4, Seed: 1}
	base := map[string]string{"CONCURRENCY": "32", "JOB_TIMEOUT": "20s", "VISIBILITY_TIMEOUT": "60s"}
	with := func(extra ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	return []finiteSpec{
		{name: "burst", title: "3 replicas × 32, 4 warm GPUs, 2 s jobs, JOB_TIMEOUT 20s", consumer: consumerWorker,
			transcripts: scale(150), replicas: 3, env: with(), endpoint: warm},
		{name: "burst-10s", title: "the same, RUNPOD_QUEUE_DELAY 10s", consumer: consumerWorker,
			transcripts: scale(150), replicas: 3, env: with("RUNPOD_QUEUE_DELAY", "10s"), endpoint: warm},
		{name: "burst-seed", title: "the seed design (96 Lambdas) on the same burst", consumer: consumerSeed,
			transcripts: scale(150), replicas: 3, endpoint: warm},
		{name: "cold", title: "2 replicas × 32, 0 → 4 workers, 5 s cold starts, queue-delay scaler", consumer: consumerWorker,
			transcripts: scale(100), replicas: 2, env: with(),
			endpoint: emulator.Config{Latency: latency, MaxWorkers: 4, ColdStart: 5 * time.Second, Scaler: emulator.ScalerQueueDelay, Seed: 1}},
		{name: "crash", title: fmt.Sprintf("workers crash-loop %s, MAX_RECEIVES 2, RETRY_BACKOFF 10s", crash), consumer: consumerWorker,
			transcripts: 12, replicas: 2, env: with("MAX_RECEIVES", "2", "RETRY_BACKOFF", "10s"),
			endpoint: emulator.Config{Latency: latency, MaxWorkers: 4, ColdStart: 5 * time.Second, Seed: 1},
			faults:   []burst.Fault{{At: 0, Unhealthy: true}, {At: crash, Unhealthy: false}}},
	}
}

// finiteRun runs one burst.
func (b *bench) finiteRun(ctx context.Context, sp finiteSpec, i int) (*finiteResult, error) {
	if err := b.moto.Reset(); err != nil {
		return nil, err
	}
	cfg := burst.Config{
		Name: fmt.Sprintf("finite-%d-%s", i, sp.name), Binary: b.bin, AWS: b.moto.AWSConfig(), AWSEnv: b.moto.Env(),
		Transcripts: sp.transcripts, Replicas: sp.replicas, Env: sp.env, Endpoint: sp.endpoint, Faults: sp.faults,
		Timeout: 10 * time.Minute, Sample: 500 * time.Millisecond,
	}
	if sp.consumer == consumerSeed {
		awsCfg := b.moto.AWSConfig()
		n := 32 * sp.replicas
		cfg.Consumer = func(ctx context.Context, queueURL, endpointURL string, _ *s3.Client, _ *sqs.Client, _ string) {
			s := startSeed(awsCfg, queueURL, endpointURL, n, seedPollDefault)
			<-ctx.Done()
			s.stop()
		}
	}
	r, err := burst.Run(ctx, cfg)
	if r != nil {
		fmt.Fprintln(b.logs, r.Logs)
	}
	if err != nil {
		return nil, err
	}
	res := &finiteResult{
		Name: sp.name, Title: sp.title, Consumer: sp.consumer, Transcripts: sp.transcripts, Replicas: sp.replicas,
		GPUs: sp.endpoint.MaxWorkers, LatencyS: sp.endpoint.Latency.Seconds(), ColdStartS: sp.endpoint.ColdStart.Seconds(), Env: sp.env,
		Jobs: r.Jobs, CancelledRunning: r.CancelledRunning, CancelledQueued: r.CancelledQueue, TimedOutRunning: r.TimedOutRunning,
		ExpiredQueued: r.ExpiredQueue, GPUS: r.ExecutionSeconds, BilledS: r.WorkerSeconds, WorkS: r.WorkSeconds,
		DrainedS: r.Drained.Seconds(), QueueP50S: r.QueueDelayP50.Seconds(), QueueP95S: r.QueueDelayP95.Seconds(),
		MaxSQSInFlight: r.MaxSQSInFlight, MaxRunPodQueue: r.MaxRunPodQueue, PeakWorkers: r.PeakWorkers,
		Summaries: r.Summaries, DeadLetters: r.DeadLetters, SQSPerMsg: r.SQSRequestsPerMessage, SQSByOp: r.SQSRequests,
		PeakRSSMB: float64(r.PeakRSS) / 1e6, RecoveredS: r.Recovered.Seconds(),
	}
	for _, p := range r.Series {
		res.Series = append(res.Series, finitePoint{T: p.T.Seconds(), InQueue: p.InQueue, InProgress: p.InProgress, Workers: p.Workers,
			Window: p.Window, SQSInFlight: p.SQSInFlight, SQSVisible: p.SQSVisible})
		if res.ScaleUpS == 0 && p.Workers >= res.GPUs {
			res.ScaleUpS = p.T.Seconds()
		}
	}
	work := res.WorkS / float64(max(res.GPUs, 1))
	res.IdealS = work
	if sp.endpoint.MinWorkers < sp.endpoint.MaxWorkers {
		res.IdealS = res.ScaleUpS + res.ColdStartS + work
	}
	if len(sp.faults) > 0 {
		res.IdealS = sp.faults[len(sp.faults)-1].At.Seconds() + res.ColdStartS + work
	}
	return res, nil
}

// finiteTargets are the numbers for the finite run.
func finiteTargets(rs []finiteResult) []target {
	var ts []target
	for _, r := range rs {
		if r.Consumer != consumerWorker {
			continue
		}
		n := float64(r.Transcripts)
		wasted := r.CancelledRunning + r.TimedOutRunning + r.ExpiredQueued
		ts = append(ts,
			target{Name: r.Name + ": jobs per transcript", Measured: float64(r.Jobs) / n, Limit: 1.02, Unit: "×", Met: float64(r.Jobs) <= 1.02*n && wasted == 0,
				Note: fmt.Sprintf("%d jobs; %d cancelled running, %d timed out running, %d expired queued", r.Jobs, r.CancelledRunning, r.TimedOutRunning, r.ExpiredQueued)},
			target{Name: r.Name + ": GPU time per work", Measured: r.GPUS / r.WorkS, Limit: map[bool]float64{true: 1.05, false: 1.02}[r.Name == "crash"], Unit: "×",
				Met: r.GPUS <= map[bool]float64{true: 1.05, false: 1.02}[r.Name == "crash"]*r.WorkS, Note: fmt.Sprintf("billed worker time %.0f s", r.BilledS)},
			target{Name: r.Name + ": dead letters", Measured: float64(r.DeadLetters), Limit: 0, Unit: "", Met: r.DeadLetters == 0},
		)
		if r.Name != "crash" {
			// The bound is for bursts; 12 messages held through a
			// 2-minute outage need their leases extended, whatever it costs
			// per message.
			ts = append(ts, target{Name: r.Name + ": SQS requests per message", Measured: r.SQSPerMsg, Limit: 0.5, Unit: "req/msg", Met: r.SQSPerMsg <= 0.5, Note: opsNote(perTranscript(r.SQSByOp, n))})
		}
		switch r.Name {
		case "burst":
			limit := 1.15*r.IdealS + 5
			ts = append(ts, target{Name: r.Name + ": drained", Measured: r.DrainedS, Limit: limit, Unit: "s", Met: r.DrainedS <= limit,
				Note: fmt.Sprintf("1.15 × work ÷ GPUs (%.0f s) + 5 s", r.IdealS)})
		case "burst-10s":
			ts = append(ts,
				target{Name: r.Name + ": p95 wait in RunPod's queue", Measured: r.QueueP95S, Limit: 15, Unit: "s", Met: r.QueueP95S <= 15},
				target{Name: r.Name + ": messages in flight in SQS at once", Measured: float64(r.MaxSQSInFlight), Limit: 60, Unit: "", Met: r.MaxSQSInFlight <= 60})
		case "cold":
			limit := 1.25*r.IdealS + 5
			ts = append(ts,
				target{Name: r.Name + ": workers reached", Measured: float64(r.PeakWorkers), Limit: float64(r.GPUs), Unit: "", Met: r.PeakWorkers >= r.GPUs},
				target{Name: r.Name + ": drained", Measured: r.DrainedS, Limit: limit, Unit: "s", Met: r.DrainedS <= limit,
					Note: fmt.Sprintf("1.25 × (scale-up %.0f s + cold start %.0f s + work ÷ 4 %.0f s) + 5 s", r.ScaleUpS, r.ColdStartS, r.WorkS/4)})
		case "crash":
			ts = append(ts, target{Name: r.Name + ": summarized after recovery", Measured: r.RecoveredS, Limit: 30, Unit: "s", Met: r.RecoveredS <= 30})
		}
	}
	return ts
}

// perTranscript divides the request counts by by n.
func perTranscript(by map[string]float64, n float64) map[string]float64 {
	out := make(map[string]float64, len(by))
	for op, v := range by {
		out[op] = v / n
	}
	return out
}

// printFinite prints the finite run's table.
func printFinite(out io.Writer, rs []finiteResult, md bool) {
	if len(rs) == 0 {
		return
	}
	head := []string{"burst", "consumer", "transcripts", "jobs", "cancelled running / queued", "timed out running", "expired queued",
		"GPU s / work s", "billed worker s", "drained s (ideal)", "queue wait p50 / p95 s", "max SQS in flight", "max RunPod queue", "peak workers",
		"dead letters", "SQS req/msg", "peak RSS MB"}
	rows := [][]string{}
	for _, r := range rs {
		rows = append(rows, []string{r.Name + ": " + r.Title, r.Consumer, fmt.Sprint(r.Transcripts), fmt.Sprint(r.Jobs),
			fmt.Sprintf("%d / %d", r.CancelledRunning, r.CancelledQueued), fmt.Sprint(r.TimedOutRunning), fmt.Sprint(r.ExpiredQueued),
			fmt.Sprintf("%.0f / %.0f", r.GPUS, r.WorkS), fmt.Sprintf("%.0f", r.BilledS), fmt.Sprintf("%.1f (%.0f)", r.DrainedS, r.IdealS),
			fmt.Sprintf("%.1f / %.1f", r.QueueP50S, r.QueueP95S), fmt.Sprint(r.MaxSQSInFlight), fmt.Sprint(r.MaxRunPodQueue), fmt.Sprint(r.PeakWorkers),
			fmt.Sprint(r.DeadLetters), num(r.SQSPerMsg, 2), num(r.PeakRSSMB, 0)})
	}
	if md {
		fmt.Fprintf(out, "\n| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
		for _, row := range rows {
			fmt.Fprintf(out, "| %s |\n", strings.Join(row, " | "))
		}
		return
	}
	fmt.Fprintln(out, "\nFinite endpoint (RunPod emulator with few workers):")
	for _, row := range rows {
		fmt.Fprintf(out, "  %s\n", strings.Join(row, "  "))
	}
}

// drawFinite plots each burst over time: RunPod's queue, its workers, the
// replicas' admission windows and the messages in flight in SQS.
func drawFinite(rs []finiteResult, path string) (bool, error) {
	if len(rs) == 0 {
		return false, nil
	}
	var panels []*plot.Plot
	for _, r := range rs {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (%s): %s", r.Name, r.Consumer, r.Title)
		p.X.Label.Text = "seconds since the uploads"
		p.Y.Label.Text = "jobs, workers, messages"
		p.Add(plotter.NewGrid())
		insetLegend(p)
		top := 1.0
		for _, s := range []struct {
			name string
			col  color.Color
			get  func(finitePoint) int
		}{
			{"jobs in RunPod's queue", color.RGBA{R: 200, A: 255}, func(x finitePoint) int { return x.InQueue }},
			{"jobs running", color.RGBA{G: 140, A: 255}, func(x finitePoint) int { return x.InProgress }},
			{"workers", color.RGBA{B: 200, A: 255}, func(x finitePoint) int { return x.Workers }},
			{"admission windows (sum)", color.RGBA{R: 230, G: 140, A: 255}, func(x finitePoint) int { return x.Window }},
			{"messages in flight in SQS", color.Gray{Y: 90}, func(x finitePoint) int { return x.SQSInFlight }},
		} {
			if s.name == "admission windows (sum)" && r.Consumer != consumerWorker {
				continue
			}
			var xys plotter.XYs
			for _, pt := range r.Series {
				xys = append(xys, plotter.XY{X: pt.T, Y: float64(s.get(pt))})
				top = max(top, float64(s.get(pt)))
			}
			if len(xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return false, err
			}
			l.Color, l.Width = s.col, vg.Points(1.3)
			p.Add(l)
			p.Legend.Add(s.name, l)
		}
		p.Y.Min, p.Y.Max = 0, top*1.6
		panels = append(panels, p)
	}
	return writeColumn(panels, 8*vg.Centimeter, path)
}

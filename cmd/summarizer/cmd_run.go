package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/cmd/internal/httpserver"
	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/cmd/internal/tracing"
	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker"
	"github.com/summarizer/summarizer/worker/backend"
)

// tracerProviderKey marks a context that carries the TracerProvider `run`
// uses instead of the one the OTEL_* settings describe: the tests' in-memory
// span recorder.
type tracerProviderKey struct{}

// cmdRun is `summarizer run`: the queue worker.
func cmdRun(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	var s config
	rest, err := settings.Parse("summarizer run", runOptions(&s), args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &settings.UsageError{Msg: fmt.Sprintf("summarizer run: unexpected argument %q", rest[0])}
	}
	log := newLogger(&s, stderr)
	defer func() { _ = log.Sync() }()
	tp, _ := ctx.Value(tracerProviderKey{}).(trace.TracerProvider)
	stopTracing := func() {}
	if tp == nil {
		if tp, stopTracing, err = tracing.New(ctx, &s.Trace, log); err != nil {
			return settings.Bad("summarizer run", err)
		}
	}
	defer stopTracing() // after the drain: every span has ended

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The backend is built first: its settings errors come before any AWS
	// setup. URL mode's presigner needs the S3 client, bound just below.
	var presign backend.Presigner
	sum, win, err := newBackend(&s, log, backend.NewMetrics(reg), backend.PresignerFunc(
		func(ctx context.Context, bucket, key string, expires time.Duration) (string, error) {
			return presign.PresignGet(ctx, bucket, key, expires)
		}))
	if err != nil {
		return err
	}
	defer win.Close()
	awsCfg, err := awsConfig(ctx, getenv)
	if err != nil {
		return err
	}
	s3c := newS3(awsCfg, &s, getenv)
	presign = backend.S3Presigner(s3c, s.expectedOwner())
	wcfg := s.workerConfig()
	wcfg.Logger, wcfg.Metrics = log, worker.NewMetrics(reg)
	w, err := worker.New(s3c, sum, wcfg)
	if err != nil {
		return settings.Bad("summarizer run", err)
	}
	qcfg := s.queueConfig()
	qcfg.Logger, qcfg.Metrics, qcfg.TracerProvider = log, queue.NewMetrics(reg), tp
	if win != nil {
		// Receive only what RunPod can start within RUNPOD_QUEUE_DELAY.
		qcfg.Admission = windowAdmission{w: win, prefetch: s.prefetch()}
		// RunPod's queue holds about RUNPOD_QUEUE_DELAY of work: waiting
		// half of it to receive and delete in fuller batches idles no GPU
		// (the consumer waits only while its messages are at work).
		qcfg.AdmissionGather = min(s.QueueDelay/2, 15*time.Second)
	}
	c, err := queue.New(newSQS(awsCfg, getenv), s.QueueURL, handler(w), qcfg)
	if err != nil {
		return settings.Bad("summarizer run", err)
	}
	reg.MustRegister(c.Collectors()...)

	if s.MetricsAddr != "" {
		addr, stop, err := httpserver.Start(ctx, s.MetricsAddr, httpserver.Metrics(reg, c.Ready), 30*time.Second, log)
		if err != nil {
			return err
		}
		defer stop()
		log.Info("metrics listening", zap.String("addr", addr))
	}
	if s.PProf && s.PProfAddr != "" {
		// Profiles show memory and stacks: on their own listener, loopback by
		// default, never on METRICS_ADDR. A CPU profile takes 30 s.
		addr, stop, err := httpserver.Start(ctx, s.PProfAddr, httpserver.Pprof(), 2*time.Minute, log)
		if err != nil {
			return err
		}
		defer stop()
		log.Info("pprof listening", zap.String("addr", addr))
	}
	err = c.Run(ctx)
	w.Close() // journal deletes still under way
	return err
}

// handler hands each message to the worker; the worker's errors are
// already classified in the outcome vocabulary the queue stores. A delivery
// is final when the queue says so (queue.Message.Final).
func handler(w *worker.Worker) queue.Handler {
	return queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		res, err := w.Process(ctx, []byte(m.Body), worker.Delivery{
			Attempt: m.ReceiveCount,
			Final:   m.Final(),
			Owned:   m.LeaseErr,
		})
		switch {
		case err != nil:
			return err
		case res.Superseded:
			return outcome.Supersede(res.Why)
		case res.Skipped:
			return outcome.Skip(res.Why)
		}
		return nil
	})
}

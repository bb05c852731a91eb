package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/cmd/internal/httpserver"
	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// cmdEmulator is `summarizer runpod-emulator`: a local RunPod Serverless
// endpoint backed by the built-in extractive summarizer.
func cmdEmulator(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	var (
		s    config
		addr string
		cfg  emulator.Config
		seed string
	)
	opts := []settings.Option{
		{Env: "EMULATOR_ADDR", Flag: "addr", Default: "127.0.0.1:8000", Usage: "listen address", Parse: settings.ListenAddr(&addr)},
		{Env: "EMULATOR_LATENCY", Flag: "latency", Default: "1s", Usage: "time a job stays IN_PROGRESS", Parse: settings.Duration(&cfg.Latency, 0)},
		{Env: "EMULATOR_QUEUE_DELAY", Flag: "queue-delay", Default: "0s", Usage: "time a job stays IN_QUEUE (with --max-workers, at least)", Parse: settings.Duration(&cfg.QueueDelay, 0)},
		{Env: "EMULATOR_OUTPUT_SHAPE", Flag: "output-shape", Default: "summary", Usage: "summary, string, vllm (worker-vllm up to v2.23) or vllm-text (from v2.24)",
			Parse: settings.OneOf(&cfg.OutputShape, emulator.OutputShapeSummary, emulator.OutputShapeString, emulator.OutputShapeVLLM, emulator.OutputShapeVLLMText)},
		{Env: "EMULATOR_MAX_WORKERS", Flag: "max-workers", Default: "0", Usage: "workers at most (RunPod: 3); 0 is unlimited: every job starts after --queue-delay and the settings below do nothing", Parse: settings.NonNegativeInt(&cfg.MaxWorkers)},
		{Env: "EMULATOR_MIN_WORKERS", Flag: "min-workers", Default: "0", Usage: "always-on workers, warm from the start", Parse: settings.NonNegativeInt(&cfg.MinWorkers)},
		{Env: "EMULATOR_WORKER_CONCURRENCY", Flag: "worker-concurrency", Default: "1", Usage: "jobs one worker runs at once (worker-vllm: MAX_CONCURRENCY)", Parse: settings.PositiveInt(&cfg.WorkerConcurrency)},
		{Env: "EMULATOR_COLD_START", Flag: "cold-start", Default: "30s", Usage: "time a new worker initializes before it takes a job", Parse: settings.Duration(&cfg.ColdStart, 0)},
		{Env: "EMULATOR_FLASHBOOT", Flag: "flashboot", Default: "1s", Usage: "time a worker revived by FlashBoot initializes; 0s is FlashBoot off", Parse: settings.Duration(&cfg.FlashBoot, 0)},
		{Env: "EMULATOR_FLASHBOOT_WINDOW", Flag: "flashboot-window", Default: "5m", Usage: "how long after it stopped a worker can be revived by FlashBoot", Parse: settings.Duration(&cfg.FlashBootWindow, time.Second)},
		{Env: "EMULATOR_IDLE_TIMEOUT", Flag: "idle-timeout", Default: "5s", Usage: "time a worker stays with no job before it stops", Parse: settings.Duration(&cfg.IdleTimeout, time.Second)},
		{Env: "EMULATOR_SCALER", Flag: "scaler", Default: emulator.ScalerQueueDelay, Usage: "queue_delay or request_count", Parse: settings.OneOf(&cfg.Scaler, emulator.ScalerQueueDelay, emulator.ScalerRequestCount)},
		{Env: "EMULATOR_SCALER_VALUE", Flag: "scaler-value", Default: "0", Usage: "queue_delay: seconds a job waits before another worker starts; request_count: jobs per worker; 0 is 4 or 1", Parse: settings.NonNegativeInt(&cfg.ScalerValue)},
		{Env: "EMULATOR_SCALE_INTERVAL", Flag: "scale-interval", Default: "1s", Usage: "how often the scaler looks (RunPod does not say)", Parse: settings.Duration(&cfg.ScaleInterval, time.Millisecond)},
		{Env: "EMULATOR_TTL_EXPIRY", Flag: "ttl-expiry", Default: emulator.TTLExpiryDelete, Usage: "what a job past its policy.ttl becomes: delete (/status 404) or timed_out", Parse: settings.OneOf(&cfg.TTLExpiry, emulator.TTLExpiryDelete, emulator.TTLExpiryTimedOut)},
		{Env: "EMULATOR_RETENTION", Flag: "retention", Default: "30m", Usage: "how long finished jobs can be read", Parse: settings.Duration(&cfg.Retention, time.Second)},
		{Env: "EMULATOR_FAIL_429", Flag: "fail-429", Default: "0", Usage: "share of requests answered 429", Parse: settings.Probability(&cfg.Rates.HTTP429)},
		{Env: "EMULATOR_FAIL_500", Flag: "fail-500", Default: "0", Usage: "share of requests answered 500", Parse: settings.Probability(&cfg.Rates.HTTP500)},
		{Env: "EMULATOR_FAIL_FAILED", Flag: "fail-failed", Default: "0", Usage: "share of jobs that end FAILED", Parse: settings.Probability(&cfg.Rates.Failed)},
		{Env: "EMULATOR_FAIL_TIMED_OUT", Flag: "fail-timed-out", Default: "0", Usage: "share of jobs that end TIMED_OUT", Parse: settings.Probability(&cfg.Rates.TimedOut)},
		{Env: "EMULATOR_FAIL_STUCK", Flag: "fail-stuck", Default: "0", Usage: "share of jobs that never finish (with --max-workers, until their executionTimeout)", Parse: settings.Probability(&cfg.Rates.Stuck)},
		{Env: "EMULATOR_LIMIT_RUN", Flag: "limit-run", Default: "0", Usage: "/run requests allowed per 10 s (RunPod: 1000); 0 is no limit", Parse: settings.NonNegativeInt(&cfg.Limits.Run)},
		{Env: "EMULATOR_LIMIT_STATUS", Flag: "limit-status", Default: "0", Usage: "/status requests allowed per 10 s (RunPod: 2000); 0 is no limit", Parse: settings.NonNegativeInt(&cfg.Limits.Status)},
		{Env: "EMULATOR_LIMIT_CANCEL", Flag: "limit-cancel", Default: "0", Usage: "/cancel requests allowed per 10 s (RunPod: 100); 0 is no limit", Parse: settings.NonNegativeInt(&cfg.Limits.Cancel)},
		{Env: "EMULATOR_SEED", Flag: "seed", Default: "1", Usage: "seed of the fault injection", Parse: settings.String(&seed)},
		{Env: "RUNPOD_API_KEY", Usage: "when set, required as Authorization: Bearer", Secret: true, Parse: settings.String(&cfg.APIKey)},
		{Env: "LOG_LEVEL", Default: "info", Usage: "debug, info, warn or error", Parse: settings.OneOf(&s.LogLevel, "debug", "info", "warn", "error")},
		{Env: "LOG_FORMAT", Default: "json", Usage: "json or console", Parse: settings.OneOf(&s.LogFormat, "json", "console")},
	}
	rest, err := settings.Parse("summarizer runpod-emulator", opts, args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &settings.UsageError{Msg: fmt.Sprintf("summarizer runpod-emulator: unexpected argument %q", rest[0])}
	}
	if cfg.Seed, err = strconv.ParseInt(seed, 10, 64); err != nil {
		return &settings.UsageError{Msg: fmt.Sprintf("summarizer runpod-emulator: bad settings: EMULATOR_SEED=%q: want a whole number", seed)}
	}
	if addr == "" {
		return &settings.UsageError{Msg: "summarizer runpod-emulator: bad settings: EMULATOR_ADDR: required"}
	}
	log := newLogger(&s, stderr)
	defer func() { _ = log.Sync() }()
	cfg.Logger = log
	em, err := emulator.New(cfg)
	if err != nil {
		return settings.Bad("summarizer runpod-emulator", err)
	}
	bound, stop, err := httpserver.Start(ctx, addr, em, 5*time.Minute, log)
	if err != nil {
		return err
	}
	log.Info("runpod-emulator listening", zap.String("addr", bound),
		zap.String("endpoint_url", "http://"+bound+"/v2/local"), zap.Duration("latency", cfg.Latency),
		zap.Int("max_workers", cfg.MaxWorkers), zap.String("faults_url", "http://"+bound+emulator.AdminPath))
	<-ctx.Done()
	stop()
	return nil
}

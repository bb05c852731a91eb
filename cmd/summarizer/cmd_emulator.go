package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/runpod/emulator"
)

// cmdEmulator is `summarizer runpod-emulator`: a local RunPod Serverless
// endpoint backed by the built-in extractive summarizer.
func cmdEmulator(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	var (
		s    settings
		addr string
		cfg  emulator.Config
		seed string
	)
	opts := []option{
		{env: "EMULATOR_ADDR", flag: "addr", def: "127.0.0.1:8000", usage: "listen address", parse: listenAddr(&addr)},
		{env: "EMULATOR_LATENCY", flag: "latency", def: "1s", usage: "time a job stays IN_PROGRESS", parse: duration(&cfg.Latency, 0)},
		{env: "EMULATOR_QUEUE_DELAY", flag: "queue-delay", def: "0s", usage: "time a job stays IN_QUEUE", parse: duration(&cfg.QueueDelay, 0)},
		{env: "EMULATOR_OUTPUT_SHAPE", flag: "output-shape", def: "summary", usage: "summary, string or vllm", parse: oneOf(&cfg.OutputShape, "summary", "string", "vllm")},
		{env: "EMULATOR_RETENTION", flag: "retention", def: "30m", usage: "how long finished jobs can be read", parse: duration(&cfg.Retention, time.Second)},
		{env: "EMULATOR_FAIL_429", flag: "fail-429", def: "0", usage: "share of requests answered 429", parse: rate(&cfg.Rates.HTTP429)},
		{env: "EMULATOR_FAIL_500", flag: "fail-500", def: "0", usage: "share of requests answered 500", parse: rate(&cfg.Rates.HTTP500)},
		{env: "EMULATOR_FAIL_FAILED", flag: "fail-failed", def: "0", usage: "share of jobs that end FAILED", parse: rate(&cfg.Rates.Failed)},
		{env: "EMULATOR_FAIL_TIMED_OUT", flag: "fail-timed-out", def: "0", usage: "share of jobs that end TIMED_OUT", parse: rate(&cfg.Rates.TimedOut)},
		{env: "EMULATOR_FAIL_STUCK", flag: "fail-stuck", def: "0", usage: "share of jobs that never finish", parse: rate(&cfg.Rates.Stuck)},
		{env: "EMULATOR_LIMIT_RUN", flag: "limit-run", def: "0", usage: "/run requests allowed per 10 s (RunPod: 1000); 0 is no limit", parse: nonNegativeInt(&cfg.Limits.Run)},
		{env: "EMULATOR_LIMIT_STATUS", flag: "limit-status", def: "0", usage: "/status requests allowed per 10 s (RunPod: 2000); 0 is no limit", parse: nonNegativeInt(&cfg.Limits.Status)},
		{env: "EMULATOR_LIMIT_CANCEL", flag: "limit-cancel", def: "0", usage: "/cancel requests allowed per 10 s (RunPod: 100); 0 is no limit", parse: nonNegativeInt(&cfg.Limits.Cancel)},
		{env: "EMULATOR_SEED", flag: "seed", def: "1", usage: "seed of the fault injection", parse: str(&seed)},
		{env: "RUNPOD_API_KEY", usage: "when set, required as Authorization: Bearer", secret: true, parse: str(&cfg.APIKey)},
		{env: "LOG_LEVEL", def: "info", usage: "debug, info, warn or error", parse: oneOf(&s.LogLevel, "debug", "info", "warn", "error")},
		{env: "LOG_FORMAT", def: "json", usage: "json or console", parse: oneOf(&s.LogFormat, "json", "console")},
	}
	rest, err := parseOptions("runpod-emulator", opts, args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &usageError{fmt.Sprintf("summarizer runpod-emulator: unexpected argument %q", rest[0])}
	}
	if cfg.Seed, err = strconv.ParseInt(seed, 10, 64); err != nil {
		return &usageError{fmt.Sprintf("summarizer runpod-emulator: bad settings: EMULATOR_SEED=%q: want a whole number", seed)}
	}
	if addr == "" {
		return &usageError{"summarizer runpod-emulator: bad settings: EMULATOR_ADDR: required"}
	}
	log := newLogger(&s, stderr)
	defer func() { _ = log.Sync() }()
	cfg.Logger = log
	em, err := emulator.New(cfg)
	if err != nil {
		return &usageError{"summarizer runpod-emulator: bad settings: " + oneLine(err)}
	}
	bound, stop, err := serveHTTP(ctx, addr, em, 5*time.Minute, log)
	if err != nil {
		return err
	}
	log.Info("runpod-emulator listening", zap.String("addr", bound),
		zap.String("endpoint_url", "http://"+bound+"/v2/local"), zap.Duration("latency", cfg.Latency))
	<-ctx.Done()
	stop()
	return nil
}

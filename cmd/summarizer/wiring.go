package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/mapreduce"
	"github.com/summarizer/summarizer/worker/openai"
	"github.com/summarizer/summarizer/worker/runpod"
)

func newLogger(s *config, w io.Writer) *zap.Logger {
	level, _ := zapcore.ParseLevel(s.LogLevel)
	encCfg := zap.NewProductionEncoderConfig()
	encCfg.EncodeTime = zapcore.ISO8601TimeEncoder
	enc := zapcore.NewJSONEncoder(encCfg)
	if s.LogFormat == "console" {
		encCfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
		enc = zapcore.NewConsoleEncoder(encCfg)
	}
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), level))
}

// awsConfig loads the SDK configuration the standard way, reading variables
// through getenv where they matter to tests: region, static credentials and
// the endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS/_S3).
func awsConfig(ctx context.Context, getenv func(string) string) (aws.Config, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if r := firstOf(getenv, "AWS_REGION", "AWS_DEFAULT_REGION"); r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	if id := getenv("AWS_ACCESS_KEY_ID"); id != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(id, getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN"))))
	}
	if e := getenv("AWS_ENDPOINT_URL"); e != "" {
		opts = append(opts, awsconfig.WithBaseEndpoint(e))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, &settings.UsageError{Msg: "summarizer: bad settings: AWS_REGION: required (no region in the environment or the AWS config files)"}
	}
	// The SDK keeps 10 idle connections per host: with tens of messages in
	// flight, most S3 and SQS calls would open a new one.
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 512, 256
	})
	return cfg, nil
}

func firstOf(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

func newS3(cfg aws.Config, s *config, getenv func(string) string) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = s.S3ForcePathStyle
		// S3-compatible stores (MinIO, moto, Ceph) often send no checksums;
		// the SDK would log that on every GET.
		o.DisableLogOutputChecksumValidationSkipped = true
		if e := getenv("AWS_ENDPOINT_URL_S3"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
}

func newSQS(cfg aws.Config, getenv func(string) string) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		if e := getenv("AWS_ENDPOINT_URL_SQS"); e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
}

// maxJobTTL is the longest JOB_TTL: a message waits for its job under one
// SQS lease, which lasts at most 12 h from its receive.
const maxJobTTL = 11 * time.Hour

// newBackend builds the summarizer backend the settings name, and the
// RunPod client's admission window (nil for other backends, or with
// RUNPOD_QUEUE_DELAY=0); the caller closes the window when done. Bad
// settings are usage errors, found before any network call.
func newBackend(s *config, log *zap.Logger, m *backend.Metrics, presign backend.Presigner) (backend.Summarizer, *runpod.Window, error) {
	bad := func(format string, a ...any) error {
		return &settings.UsageError{Msg: "summarizer: bad settings: " + fmt.Sprintf(format, a...)}
	}
	if s.ChunkTokens < 2*s.SummaryTokens+64 {
		return nil, nil, bad("CHUNK_TOKENS=%d must be at least 2×SUMMARY_TOKENS+64 (%d) so that two partial summaries fit one merge call", s.ChunkTokens, 2*s.SummaryTokens+64)
	}
	if s.Summarizer == "runpod" {
		switch {
		case s.JobTTL < s.JobTimeout:
			return nil, nil, bad("JOB_TTL=%s must be at least JOB_TIMEOUT=%s: RunPod would end a job's execution at its ttl", s.JobTTL, s.JobTimeout)
		case s.JobTTL > maxJobTTL:
			return nil, nil, bad("JOB_TTL=%s must be at most %s: a message waits for its job under one SQS lease, at most 12h", s.JobTTL, maxJobTTL)
		}
	}
	var model backend.Model
	var win *runpod.Window
	switch s.Summarizer {
	case "extractive":
		return backend.Extractive{MaxWords: s.SummaryTokens * 3 / 4}, nil, nil
	case "openai":
		if s.OpenAIBaseURL == "" || s.OpenAIModel == "" {
			return nil, nil, bad("OPENAI_BASE_URL and OPENAI_MODEL are required with SUMMARIZER=openai")
		}
		c, err := openai.New(openai.Config{BaseURL: s.OpenAIBaseURL, APIKey: s.OpenAIAPIKey, Model: s.OpenAIModel, MaxTokens: s.SummaryTokens, Logger: log})
		if err != nil {
			return nil, nil, settings.Bad("summarizer", err)
		}
		model = backend.OpenAIModel{Client: c, Model: s.OpenAIModel}
	case "runpod":
		if s.RunPodEndpointURL == "" {
			return nil, nil, bad("RUNPOD_ENDPOINT_URL is required with SUMMARIZER=runpod")
		}
		cfg := runpod.Config{
			EndpointURL:   s.RunPodEndpointURL,
			APIKey:        s.RunPodAPIKey,
			InputFormat:   s.RunPodInputFormat,
			MaxNewTokens:  s.SummaryTokens,
			JobTimeout:    s.JobTimeout,
			JobTTL:        s.JobTTL,
			QueueDelay:    s.QueueDelay,
			WindowCeiling: s.ModelConcurrency,
			PollRate:      s.PollRate,
			Logger:        log,
		}
		urlMode := s.RunPodInputFormat == "url"
		switch s.RunPodInputFormat {
		case "text", "vllm":
		case "url":
			cfg.InputFormat = runpod.InputFormatText
		default:
			tmpl, err := os.ReadFile(s.RunPodInputFormat)
			if err != nil {
				return nil, nil, bad("RUNPOD_INPUT_FORMAT=%q: not text, vllm or url, and not a readable template file: %v", s.RunPodInputFormat, err)
			}
			cfg.InputFormat, cfg.InputTemplate = runpod.InputFormatTemplate, string(tmpl)
		}
		rm, err := backend.NewRunPodModel(cfg, s.RunPodModel, m)
		if err != nil {
			return nil, nil, settings.Bad("summarizer", err)
		}
		if urlMode {
			if presign == nil {
				rm.Window.Close()
				return nil, nil, bad("RUNPOD_INPUT_FORMAT=url needs S3 objects (it cannot summarize a local file)")
			}
			// The URL is read when the job runs: up to its ttl after /run.
			return backend.URLMode{Model: rm, Presign: presign, Expires: s.JobTTL + 5*time.Minute}, rm.Window, nil
		}
		model, win = rm, rm.Window
	default:
		return nil, nil, bad("unknown SUMMARIZER %q", s.Summarizer)
	}
	prompts, err := loadPrompts(s)
	if err != nil {
		win.Close()
		return nil, nil, settings.Bad("summarizer", err)
	}
	p, err := mapreduce.New(model, mapreduce.Config{
		ChunkTokens: s.ChunkTokens,
		PerDocument: s.ChunkConcurrency,
		MaxChunks:   s.mapreduceMaxChunks(),
		InFlight:    s.ModelConcurrency,
		Prompts:     prompts,
		Logger:      log,
	})
	if err != nil {
		win.Close()
		return nil, nil, settings.Bad("summarizer", err)
	}
	return p, win, nil
}

// windowAdmission paces a consumer's receives by a RunPod admission
// window: it may hold the window's jobs in messages, plus a few received
// ahead (PREFETCH, at most a quarter of the window) whose objects are read
// while RunPod works. A closed window (a stalled endpoint) takes nothing.
type windowAdmission struct {
	w        *runpod.Window
	prefetch int
}

func (a windowAdmission) Limit() int {
	n := a.w.Limit()
	if n <= 0 {
		return 0
	}
	return n + min(a.prefetch, max(1, n/4))
}

func (a windowAdmission) Changed() <-chan struct{} { return a.w.Changed() }

func loadPrompts(s *config) (mapreduce.Prompts, error) {
	read := func(name, path string) (string, error) {
		if path == "" {
			return "", nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return string(b), nil
	}
	m, err := read("PROMPT_MAP_FILE", s.PromptMapFile)
	if err != nil {
		return mapreduce.Prompts{}, err
	}
	r, err := read("PROMPT_REDUCE_FILE", s.PromptReduceFile)
	if err != nil {
		return mapreduce.Prompts{}, err
	}
	return mapreduce.ParsePrompts(m, r)
}

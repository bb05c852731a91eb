package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/cmd/internal/tracing"
	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/worker"
	"github.com/summarizer/summarizer/worker/mapreduce"
)

// config is every setting of DESIGN.md, parsed.
type config struct {
	QueueURL          string
	DLQURL            string
	Concurrency       int
	Prefetch          int // -1: auto
	VisibilityTimeout time.Duration
	ShutdownTimeout   time.Duration
	MaxReceives       int
	RetryBackoff      time.Duration
	AllowedBuckets    []string
	InputPrefix       string
	InputSuffixes     []string
	Siblings          string
	OutputBucket      string
	OutputPrefix      string
	OutputFormat      string
	MaxObjectBytes    int64
	MaxInflightBytes  int64  // -1: auto
	MaxChunks         int    // -1: auto
	ExpectedOwner     string // "": the account in QUEUE_URL; "none": not sent
	PProfAddr         string
	Summarizer        string
	PromptMapFile     string
	PromptReduceFile  string
	ChunkConcurrency  int
	ModelConcurrency  int
	OpenAIBaseURL     string
	OpenAIAPIKey      string
	OpenAIModel       string
	RunPodEndpointURL string
	RunPodAPIKey      string
	RunPodInputFormat string
	RunPodModel       string
	JobTimeout        time.Duration
	JobTTL            time.Duration
	QueueDelay        time.Duration
	PollRate          float64
	PProf             bool
	BatchWait         time.Duration
	ChunkTokens       int
	SummaryTokens     int
	S3ForcePathStyle  bool
	MetricsAddr       string
	LogLevel          string
	LogFormat         string
	Trace             tracing.Settings
}

// backendOptions are the settings of the summarizer backends and logs,
// shared by run and summarize.
func backendOptions(s *config) []settings.Option {
	return []settings.Option{
		{Env: "SUMMARIZER", Default: "runpod", Usage: "backend: runpod, openai (any OpenAI-compatible chat API) or extractive (built in, no network)", Parse: settings.OneOf(&s.Summarizer, "runpod", "openai", "extractive")},
		{Env: "RUNPOD_ENDPOINT_URL", Usage: "e.g. https://api.runpod.ai/v2/ENDPOINT_ID", Parse: settings.HTTPURL(&s.RunPodEndpointURL, false)},
		{Env: "RUNPOD_API_KEY", Usage: "sent as Authorization: Bearer; never logged", Secret: true, Parse: settings.String(&s.RunPodAPIKey)},
		{Env: "RUNPOD_INPUT_FORMAT", Default: "text", Usage: "text, vllm, url (a presigned GET URL instead of the text, no chunking) or the path of a JSON template file", Parse: settings.String(&s.RunPodInputFormat)},
		{Env: "OPENAI_BASE_URL", Usage: "e.g. https://api.openai.com/v1 or https://api.runpod.ai/v2/ENDPOINT_ID/openai/v1", Parse: settings.HTTPURL(&s.OpenAIBaseURL, false)},
		{Env: "OPENAI_API_KEY", Usage: "sent as Authorization: Bearer; never logged", Secret: true, Parse: settings.String(&s.OpenAIAPIKey)},
		{Env: "OPENAI_MODEL", Usage: "model name for SUMMARIZER=openai", Parse: settings.String(&s.OpenAIModel)},
		{Env: "PROMPT_MAP_FILE", Usage: "Go template of the chunk prompt, with {{.Text}}", Parse: settings.String(&s.PromptMapFile)},
		{Env: "PROMPT_REDUCE_FILE", Usage: "Go template of the merge prompt, with {{.Text}}", Parse: settings.String(&s.PromptReduceFile)},
		{Env: "MAX_CHUNKS", Default: "auto", Usage: fmt.Sprintf("map jobs one transcript may need; longer ones are dead-lettered (too_large) before any job; auto is about a day of speech at any CHUNK_TOKENS (%d estimated tokens); at most %d", mapreduce.DayOfSpeechTokens, mapreduce.MaxChunksLimit), Parse: maxChunks(&s.MaxChunks)},
		{Env: "CHUNK_CONCURRENCY", Default: "4", Usage: "model calls of one transcript at once", Parse: settings.PositiveInt(&s.ChunkConcurrency)},
		{Env: "MODEL_CONCURRENCY", Default: "32", Usage: "model calls in flight in the whole process", Parse: settings.PositiveInt(&s.ModelConcurrency)},
		{Env: "RUNPOD_MODEL", Default: "google/flan-t5-xl", Usage: "model name reported in JSON summaries", Parse: settings.String(&s.RunPodModel)},
		{Env: "JOB_TIMEOUT", Default: "15m", Usage: "one RunPod job's execution, sent as policy.executionTimeout; time waiting in RunPod's queue does not count (RunPod: 5s to 7 days)", Parse: settings.Duration(&s.JobTimeout, time.Second)},
		{Env: "JOB_TTL", Default: "2h", Usage: "sent as policy.ttl: one RunPod job's queue and execution together; a job that waited it out is submitted again without spending a receive; at least JOB_TIMEOUT, at most 11h (SQS holds a lease 12h)", Parse: settings.Duration(&s.JobTTL, time.Second)},
		{Env: "RUNPOD_QUEUE_DELAY", Default: "30s", Usage: "the wait in RunPod's queue a replica aims for when it takes new work: it receives and submits only while its jobs can start within it, learned from RunPod's /health and job times; above the endpoint's scale-up threshold, far below JOB_TTL; 0 takes work up to CONCURRENCY at once", Parse: settings.Duration(&s.QueueDelay, 0)},
		{Env: "RUNPOD_POLL_RATE", Default: "50", Usage: "most RunPod /status requests per second of this replica (RunPod allows 200/s per endpoint, shared by every replica); a 429 halves it for a while", Parse: settings.PositiveFloat(&s.PollRate)},
		{Env: "CHUNK_TOKENS", Default: "1500", Usage: "model input budget per call", Parse: settings.PositiveInt(&s.ChunkTokens)},
		{Env: "SUMMARY_TOKENS", Default: "256", Usage: "model output budget per call", Parse: settings.PositiveInt(&s.SummaryTokens)},
		{Env: "LOG_LEVEL", Default: "info", Usage: "debug, info, warn or error", Parse: settings.OneOf(&s.LogLevel, "debug", "info", "warn", "error")},
		{Env: "LOG_FORMAT", Default: "json", Usage: "json or console", Parse: settings.OneOf(&s.LogFormat, "json", "console")},
	}
}

// awsOptions are the settings of the AWS clients beyond the SDK's own
// variables (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS,
// AWS_ENDPOINT_URL_S3, credentials), which are read as the SDK reads them.
func awsOptions(s *config) []settings.Option {
	return []settings.Option{
		{Env: "S3_FORCE_PATH_STYLE", Default: "false", Usage: "path-style S3 addressing (MinIO, moto, Ceph)", Parse: settings.Bool(&s.S3ForcePathStyle)},
	}
}

func outputOptions(s *config) []settings.Option {
	return []settings.Option{
		{Env: "ALLOWED_BUCKETS", Usage: "comma list; events for other buckets are dead-lettered", Parse: settings.List(&s.AllowedBuckets)},
		{Env: "INPUT_PREFIX", Usage: "only keys under it are work", Parse: settings.String(&s.InputPrefix)},
		{Env: "INPUT_SUFFIXES", Default: ".txt,.srt,.vtt,.json", Usage: "only keys ending in one of them are work", Parse: settings.List(&s.InputSuffixes)},
		{Env: "SIBLINGS", Default: "richest", Usage: "richest: transcripts of one recording (same bucket, same key up to a transcript extension: Whisper's standup.txt, .vtt, .srt, .json) cost one summary, made from the richest (.json > .vtt > .srt > .tsv > .txt), the others skipped; all: one summary per file", Parse: settings.OneOf(&s.Siblings, worker.SiblingsRichest, worker.SiblingsAll)},
		{Env: "OUTPUT_BUCKET", Usage: "where summaries go (default: the input bucket)", Parse: settings.String(&s.OutputBucket)},
		{Env: "OUTPUT_PREFIX", Default: "summaries/", Usage: "prefix of every summary key", Parse: settings.String(&s.OutputPrefix)},
		{Env: "OUTPUT_FORMAT", Default: "text", Usage: "text or json", Parse: settings.OneOf(&s.OutputFormat, "text", "json")},
		{Env: "MAX_OBJECT_BYTES", Default: "20MiB", Usage: "larger objects are dead-lettered (too_large)", Parse: settings.ByteSize(&s.MaxObjectBytes)},
		{Env: "EXPECTED_BUCKET_OWNER", Usage: "account ID sent as ExpectedBucketOwner on every S3 call (default: the account in QUEUE_URL); none disables", Parse: accountOrNone(&s.ExpectedOwner)},
	}
}

func runOptions(s *config) []settings.Option {
	opts := []settings.Option{
		{Env: "QUEUE_URL", Usage: "source SQS queue (required)", Parse: settings.Required(&s.QueueURL)},
		{Env: "DLQ_URL", Usage: "dead-letter queue (default: from the queue's RedrivePolicy)", Parse: settings.String(&s.DLQURL)},
		{Env: "CONCURRENCY", Default: "16", Usage: "messages summarized at once (their RunPod jobs in flight)", Parse: settings.PositiveInt(&s.Concurrency)},
		{Env: "PREFETCH", Default: "auto", Usage: "messages received ahead of CONCURRENCY: their objects are read while RunPod works, so S3 and SQS time hides behind model time; auto is CONCURRENCY/4, at least 2", Parse: settings.AutoInt(&s.Prefetch)},
		{Env: "VISIBILITY_TIMEOUT", Default: "60s", Usage: "asked for at receive and each extension (whole seconds)", Parse: settings.Duration(&s.VisibilityTimeout, 2*time.Second)},
		{Env: "SHUTDOWN_TIMEOUT", Default: "25s", Usage: "drain time after SIGTERM", Parse: settings.Duration(&s.ShutdownTimeout, 0)},
		{Env: "MAX_RECEIVES", Default: "5", Usage: "attempts before a transient failure is permanent", Parse: settings.PositiveInt(&s.MaxReceives)},
		{Env: "RETRY_BACKOFF", Default: "1m", Usage: "visibility after a message's first transient failure, doubling per receive up to 15m (+0-25% jitter); the default spreads 5 attempts over 15 minutes", Parse: settings.Duration(&s.RetryBackoff, time.Second)},
		{Env: "RECEIVE_BATCH_WAIT", Default: "100ms", Usage: "most a busy worker waits between receives so that each brings several messages: more is fewer SQS requests per message and up to that much latency; 0 never waits", Parse: settings.Duration(&s.BatchWait, 0)},
		{Env: "METRICS_ADDR", Default: ":9090", Usage: "/metrics, /healthz, /readyz listener, or off", Parse: settings.ListenAddr(&s.MetricsAddr)},
		{Env: "PPROF", Default: "false", BoolFlag: true, Usage: "serve Go's /debug/pprof/ (heap, goroutines, CPU profiles) on PPROF_ADDR", Parse: settings.Bool(&s.PProf)},
		{Env: "PPROF_ADDR", Default: "127.0.0.1:6060", Usage: "pprof's own listener, never METRICS_ADDR", Parse: settings.ListenAddr(&s.PProfAddr)},
		{Env: "MAX_INFLIGHT_BYTES", Default: "auto", Usage: "object bytes admitted into memory at once, all messages together; auto is a quarter of the cgroup memory limit, else 64MiB", Parse: settings.AutoByteSize(&s.MaxInflightBytes)},
	}
	opts = append(opts, outputOptions(s)...)
	opts = append(opts, backendOptions(s)...)
	opts = append(opts, awsOptions(s)...)
	return append(opts, tracing.Options(&s.Trace, "summarizer")...)
}

// accountOrNone takes a 12-digit AWS account ID, "none" (stored as
// "none"), or "" (the default, resolved later).
func accountOrNone(dst *string) func(string) error {
	return func(v string) error {
		if v != "" && v != "none" && !worker.IsAccountID(v) {
			return errors.New(`want a 12-digit account ID or "none"`)
		}
		*dst = v
		return nil
	}
}

// maxChunks takes "auto" (stored as -1) or a number of map jobs from 1 to
// what a job journal holds (mapreduce.MaxChunksLimit).
func maxChunks(dst *int) func(string) error {
	return func(v string) error {
		if err := settings.AutoInt(dst)(v); err != nil || *dst == 0 || *dst > mapreduce.MaxChunksLimit {
			return fmt.Errorf(`want "auto" or a whole number from 1 to %d`, mapreduce.MaxChunksLimit)
		}
		return nil
	}
}

// mapreduceMaxChunks is MAX_CHUNKS as mapreduce.Config.MaxChunks: auto is 0.
func (s *config) mapreduceMaxChunks() int { return max(s.MaxChunks, 0) }

// prefetch is PREFETCH with auto resolved.
func (s *config) prefetch() int {
	if s.Prefetch >= 0 {
		return s.Prefetch
	}
	return max(2, s.Concurrency/4)
}

func (s *config) queueConfig() queue.Config {
	return queue.Config{
		DLQURL:            s.DLQURL,
		Concurrency:       s.Concurrency + s.prefetch(),
		VisibilityTimeout: s.VisibilityTimeout,
		ShutdownTimeout:   s.ShutdownTimeout,
		MaxReceives:       s.MaxReceives,
		Backoff:           queue.ExponentialBackoff(s.RetryBackoff),
		BatchWait:         cmp.Or(s.BatchWait, -1), // 0: never wait
	}
}

func (s *config) workerConfig() worker.Config {
	return worker.Config{
		AllowedBuckets: s.AllowedBuckets,
		InputPrefix:    s.InputPrefix,
		InputSuffixes:  s.InputSuffixes,
		Siblings:       s.Siblings,
		OutputBucket:   s.OutputBucket,
		OutputPrefix:   s.OutputPrefix,
		OutputFormat:   s.OutputFormat,
		MaxObjectBytes: s.MaxObjectBytes,
		Summarizing:    s.Concurrency,
		// The default owner is the queue's account: buckets of one
		// deployment live in one account.
		ExpectedBucketOwner: s.expectedOwner(),
		MaxInflightBytes:    s.maxInflightBytes(),
	}
}

// expectedOwner is EXPECTED_BUCKET_OWNER resolved: the account in QUEUE_URL
// by default (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME), "" for none.
func (s *config) expectedOwner() string {
	switch s.ExpectedOwner {
	case "none":
		return ""
	case "":
		parts := strings.Split(strings.TrimSuffix(s.QueueURL, "/"), "/")
		if len(parts) >= 2 && worker.IsAccountID(parts[len(parts)-2]) {
			return parts[len(parts)-2]
		}
		return ""
	}
	return s.ExpectedOwner
}

// maxInflightBytes is MAX_INFLIGHT_BYTES resolved: auto is a quarter of the
// cgroup's memory limit, or 64 MiB without one.
func (s *config) maxInflightBytes() int64 {
	if s.MaxInflightBytes >= 0 {
		return s.MaxInflightBytes
	}
	if limit, ok := cgroupMemoryLimit(); ok {
		return max(limit/4, 1<<20)
	}
	return 64 << 20
}

// cgroupMemoryLimit reads the memory limit of this process's cgroup (v2,
// then v1); ok is false without one.
func cgroupMemoryLimit() (int64, bool) {
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		// "max", or v1's "unlimited" as a huge page-rounded number.
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

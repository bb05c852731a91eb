package main

import (
	"cmp"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/worker"
)

// settings are every setting of DESIGN.md, parsed.
type settings struct {
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
	OutputBucket      string
	OutputPrefix      string
	OutputFormat      string
	MaxObjectBytes    int64
	MaxInflightBytes  int64 // -1: auto
	MaxChunks         int
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
	PollRate          float64
	PProf             bool
	BatchWait         time.Duration
	ChunkTokens       int
	SummaryTokens     int
	S3ForcePathStyle  bool
	MetricsAddr       string
	LogLevel          string
	LogFormat         string
	Trace             traceSettings
}

// backendOptions are the settings of the summarizer backends and logs,
// shared by run and summarize.
func backendOptions(s *settings) []option {
	return []option{
		{env: "SUMMARIZER", def: "runpod", usage: "backend: runpod, openai (any OpenAI-compatible chat API) or extractive (built in, no network)", parse: oneOf(&s.Summarizer, "runpod", "openai", "extractive")},
		{env: "RUNPOD_ENDPOINT_URL", usage: "e.g. https://api.runpod.ai/v2/ENDPOINT_ID", parse: httpURL(&s.RunPodEndpointURL, false)},
		{env: "RUNPOD_API_KEY", usage: "sent as Authorization: Bearer; never logged", secret: true, parse: str(&s.RunPodAPIKey)},
		{env: "RUNPOD_INPUT_FORMAT", def: "text", usage: "text, vllm, url (a presigned GET URL instead of the text, no chunking) or the path of a JSON template file", parse: str(&s.RunPodInputFormat)},
		{env: "OPENAI_BASE_URL", usage: "e.g. https://api.openai.com/v1 or https://api.runpod.ai/v2/ENDPOINT_ID/openai/v1", parse: httpURL(&s.OpenAIBaseURL, false)},
		{env: "OPENAI_API_KEY", usage: "sent as Authorization: Bearer; never logged", secret: true, parse: str(&s.OpenAIAPIKey)},
		{env: "OPENAI_MODEL", usage: "model name for SUMMARIZER=openai", parse: str(&s.OpenAIModel)},
		{env: "PROMPT_MAP_FILE", usage: "Go template of the chunk prompt, with {{.Text}}", parse: str(&s.PromptMapFile)},
		{env: "PROMPT_REDUCE_FILE", usage: "Go template of the merge prompt, with {{.Text}}", parse: str(&s.PromptReduceFile)},
		{env: "MAX_CHUNKS", def: "200", usage: "map jobs one transcript may need; longer ones are dead-lettered (too_large) before any job", parse: positiveInt(&s.MaxChunks)},
		{env: "CHUNK_CONCURRENCY", def: "4", usage: "model calls of one transcript at once", parse: positiveInt(&s.ChunkConcurrency)},
		{env: "MODEL_CONCURRENCY", def: "32", usage: "model calls in flight in the whole process", parse: positiveInt(&s.ModelConcurrency)},
		{env: "RUNPOD_MODEL", def: "google/flan-t5-xl", usage: "model name reported in JSON summaries", parse: str(&s.RunPodModel)},
		{env: "JOB_TIMEOUT", def: "15m", usage: "one RunPod job, queue time included", parse: duration(&s.JobTimeout, time.Second)},
		{env: "RUNPOD_POLL_RATE", def: "50", usage: "most RunPod /status requests per second of this replica (RunPod allows 200/s per endpoint, shared by every replica); a 429 halves it for a while", parse: positiveFloat(&s.PollRate)},
		{env: "CHUNK_TOKENS", def: "1500", usage: "model input budget per call", parse: positiveInt(&s.ChunkTokens)},
		{env: "SUMMARY_TOKENS", def: "256", usage: "model output budget per call", parse: positiveInt(&s.SummaryTokens)},
		{env: "LOG_LEVEL", def: "info", usage: "debug, info, warn or error", parse: oneOf(&s.LogLevel, "debug", "info", "warn", "error")},
		{env: "LOG_FORMAT", def: "json", usage: "json or console", parse: oneOf(&s.LogFormat, "json", "console")},
	}
}

// awsOptions are the settings of the AWS clients beyond the SDK's own
// variables (AWS_REGION, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SQS,
// AWS_ENDPOINT_URL_S3, credentials), which are read as the SDK reads them.
func awsOptions(s *settings) []option {
	return []option{
		{env: "S3_FORCE_PATH_STYLE", def: "false", usage: "path-style S3 addressing (MinIO, moto, Ceph)", parse: boolean(&s.S3ForcePathStyle)},
	}
}

func outputOptions(s *settings) []option {
	return []option{
		{env: "ALLOWED_BUCKETS", usage: "comma list; events for other buckets are dead-lettered", parse: list(&s.AllowedBuckets)},
		{env: "INPUT_PREFIX", usage: "only keys under it are work", parse: str(&s.InputPrefix)},
		{env: "INPUT_SUFFIXES", def: ".txt,.srt,.vtt,.json", usage: "only keys ending in one of them are work", parse: list(&s.InputSuffixes)},
		{env: "OUTPUT_BUCKET", usage: "where summaries go (default: the input bucket)", parse: str(&s.OutputBucket)},
		{env: "OUTPUT_PREFIX", def: "summaries/", usage: "prefix of every summary key", parse: str(&s.OutputPrefix)},
		{env: "OUTPUT_FORMAT", def: "text", usage: "text or json", parse: oneOf(&s.OutputFormat, "text", "json")},
		{env: "MAX_OBJECT_BYTES", def: "20MiB", usage: "larger objects are dead-lettered (too_large)", parse: byteSize(&s.MaxObjectBytes)},
		{env: "EXPECTED_BUCKET_OWNER", usage: "account ID sent as ExpectedBucketOwner on every S3 call (default: the account in QUEUE_URL); none disables", parse: accountOrNone(&s.ExpectedOwner)},
	}
}

func runOptions(s *settings) []option {
	opts := []option{
		{env: "QUEUE_URL", usage: "source SQS queue (required)", parse: required(&s.QueueURL)},
		{env: "DLQ_URL", usage: "dead-letter queue (default: from the queue's RedrivePolicy)", parse: str(&s.DLQURL)},
		{env: "CONCURRENCY", def: "16", usage: "messages summarized at once (their RunPod jobs in flight)", parse: positiveInt(&s.Concurrency)},
		{env: "PREFETCH", def: "auto", usage: "messages received ahead of CONCURRENCY: their objects are read while RunPod works, so S3 and SQS time hides behind model time; auto is CONCURRENCY/4, at least 2", parse: autoInt(&s.Prefetch)},
		{env: "VISIBILITY_TIMEOUT", def: "60s", usage: "asked for at receive and each extension (whole seconds)", parse: duration(&s.VisibilityTimeout, 2*time.Second)},
		{env: "SHUTDOWN_TIMEOUT", def: "25s", usage: "drain time after SIGTERM", parse: duration(&s.ShutdownTimeout, 0)},
		{env: "MAX_RECEIVES", def: "5", usage: "attempts before a transient failure is permanent", parse: positiveInt(&s.MaxReceives)},
		{env: "RETRY_BACKOFF", def: "1m", usage: "visibility after a message's first transient failure, doubling per receive up to 15m (+0-25% jitter); the default spreads 5 attempts over 15 minutes", parse: duration(&s.RetryBackoff, time.Second)},
		{env: "RECEIVE_BATCH_WAIT", def: "100ms", usage: "most a busy worker waits between receives so that each brings several messages: more is fewer SQS requests per message and up to that much latency; 0 never waits", parse: duration(&s.BatchWait, 0)},
		{env: "METRICS_ADDR", def: ":9090", usage: "/metrics, /healthz, /readyz listener, or off", parse: listenAddr(&s.MetricsAddr)},
		{env: "PPROF", def: "false", isBool: true, usage: "serve Go's /debug/pprof/ (heap, goroutines, CPU profiles) on PPROF_ADDR", parse: boolean(&s.PProf)},
		{env: "PPROF_ADDR", def: "127.0.0.1:6060", usage: "pprof's own listener, never METRICS_ADDR", parse: listenAddr(&s.PProfAddr)},
		{env: "MAX_INFLIGHT_BYTES", def: "auto", usage: "object bytes admitted into memory at once, all messages together; auto is a quarter of the cgroup memory limit, else 64MiB", parse: autoByteSize(&s.MaxInflightBytes)},
	}
	opts = append(opts, outputOptions(s)...)
	opts = append(opts, backendOptions(s)...)
	opts = append(opts, awsOptions(s)...)
	return append(opts, traceOptions(&s.Trace)...)
}

// prefetch is PREFETCH with auto resolved.
func (s *settings) prefetch() int {
	if s.Prefetch >= 0 {
		return s.Prefetch
	}
	return max(2, s.Concurrency/4)
}

func (s *settings) queueConfig() queue.Config {
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

func (s *settings) workerConfig() worker.Config {
	return worker.Config{
		AllowedBuckets: s.AllowedBuckets,
		InputPrefix:    s.InputPrefix,
		InputSuffixes:  s.InputSuffixes,
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
func (s *settings) expectedOwner() string {
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
func (s *settings) maxInflightBytes() int64 {
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

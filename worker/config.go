package worker

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Defaults of Config.
const (
	OutputPrefixDefault   = "summaries/"
	OutputFormatDefault   = "text"
	MaxObjectBytesDefault = 20 << 20
)

// Config.Siblings values.
const (
	SiblingsRichest = "richest"
	SiblingsAll     = "all"
)

// InputSuffixesDefault are the keys that are work when Config.InputSuffixes is empty.
var InputSuffixesDefault = []string{".txt", ".srt", ".vtt", ".json"}

// Config says which objects are work and where summaries go.
type Config struct {
	// AllowedBuckets, if not empty, are the only buckets whose events are
	// accepted; others are permanent failures (bucket_not_allowed).
	AllowedBuckets []string
	// ExpectedBucketOwner, if not empty, is the account ID sent as
	// ExpectedBucketOwner on every S3 call: a bucket of another account is
	// never read or written, whatever an event names.
	ExpectedBucketOwner string
	// MaxInflightBytes bounds the object bytes admitted into memory at once,
	// all messages together: a record waits for room before it reads its
	// object (0: no bound). An object counts its size, and a gzipped one
	// its inflated size too, learned before it is inflated into memory.
	MaxInflightBytes int64
	// InputPrefix and InputSuffixes select the keys that are work; other
	// keys are skipped. Suffixes match case-insensitively.
	InputPrefix   string
	InputSuffixes []string
	// Siblings is SiblingsRichest (the default): transcripts of one
	// recording (keys of one bucket equal up to a transcript extension)
	// cost one summary, made from the richest, the others skipped (package
	// worker/sibling); or SiblingsAll: one summary per file.
	Siblings string
	// SiblingSettle is how long the newest sibling of a multi-file upload
	// must have been there before a poorer one is summarized for want of
	// a richer one (default sibling.SettleDefault).
	SiblingSettle time.Duration
	// OutputBucket receives the summaries; empty means the input bucket.
	OutputBucket string
	// OutputPrefix starts every summary key (default "summaries/"). Keys under
	// it in the output bucket are never work: the recursion guard.
	OutputPrefix string
	// OutputFormat is "text" or "json".
	OutputFormat string
	// MaxObjectBytes is the largest object read (default 20 MiB); larger ones
	// are permanent failures (too_large), detected without reading them whole.
	MaxObjectBytes int64
	// Summarizing bounds the records in the summarize stage (their model
	// calls under way) across the worker; 0 is no bound. Give the queue
	// more message slots than this: the extra messages read their objects
	// (and wait here) while the model works on the others, so S3 and SQS
	// time hides behind model time.
	Summarizing int
	// Logger receives per-record logs; nil discards them.
	Logger *zap.Logger
	// Metrics records stage timings; nil records nothing.
	Metrics *Metrics
}

// Validate reports every problem of the configuration.
func (c Config) Validate() error {
	var errs []error
	switch c.OutputFormat {
	case "", "text", "json":
	default:
		errs = append(errs, fmt.Errorf("output format %q: want text or json", c.OutputFormat))
	}
	switch c.Siblings {
	case "", SiblingsRichest, SiblingsAll:
	default:
		errs = append(errs, fmt.Errorf("siblings %q: want %s or %s", c.Siblings, SiblingsRichest, SiblingsAll))
	}
	if c.Summarizing < 0 {
		errs = append(errs, fmt.Errorf("summarizing %d: must not be negative", c.Summarizing))
	}
	if c.ExpectedBucketOwner != "" && !IsAccountID(c.ExpectedBucketOwner) {
		errs = append(errs, fmt.Errorf("expected bucket owner %q: want a 12-digit account ID", c.ExpectedBucketOwner))
	}
	if c.MaxInflightBytes < 0 {
		errs = append(errs, fmt.Errorf("max in-flight bytes %d: must not be negative", c.MaxInflightBytes))
	}
	if c.MaxObjectBytes < 0 {
		errs = append(errs, fmt.Errorf("max object bytes %d: must be positive", c.MaxObjectBytes))
	}
	for _, s := range c.InputSuffixes {
		if s == "" {
			errs = append(errs, errors.New("input suffixes: empty suffix"))
		}
	}
	for _, b := range c.AllowedBuckets {
		if strings.TrimSpace(b) == "" {
			errs = append(errs, errors.New("allowed buckets: empty bucket name"))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.OutputPrefix == "" {
		c.OutputPrefix = OutputPrefixDefault
	}
	if c.OutputFormat == "" {
		c.OutputFormat = OutputFormatDefault
	}
	if c.Siblings == "" {
		c.Siblings = SiblingsRichest
	}
	if len(c.InputSuffixes) == 0 {
		c.InputSuffixes = InputSuffixesDefault
	}
	if c.MaxObjectBytes == 0 {
		c.MaxObjectBytes = MaxObjectBytesDefault
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	return c
}

// IsAccountID reports whether s is an AWS account ID: 12 digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/event"
	"github.com/summarizer/summarizer/worker/transcript"
)

// s3API is the part of the S3 client the worker uses.
type s3API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var _ s3API = (*s3.Client)(nil)

// Summarizer turns a transcript into a summary. Implementations classify
// their errors with `Permanent() bool` (the input is refused) and
// `ConfigFault() bool` (credentials, endpoint) methods; any other error is
// transient. They must return promptly when ctx is cancelled.
type Summarizer interface {
	Summarize(ctx context.Context, doc Document) (Summary, error)
}

// Document is one transcript to summarize.
type Document struct {
	Text        string
	Bucket, Key string
	ETag        string
	// Journal, if not nil, keeps backend job ids across deliveries.
	Journal Journal
}

// Summary is what a Summarizer made of one transcript.
type Summary struct {
	Text   string
	Model  string   // the model or backend that wrote it
	Chunks int      // how many chunks the transcript was split into
	JobIDs []string // backend job ids (RunPod), in submission order
}

// Worker processes messages: one message, one or more records.
type Worker struct {
	s3  s3API
	sum Summarizer
	cfg Config
	log *zap.Logger
}

// New returns a worker. s3 is usually an *s3.Client.
func New(client s3API, sum Summarizer, cfg Config) (*Worker, error) {
	var errs []error
	if client == nil {
		errs = append(errs, errors.New("worker: nil S3 client"))
	}
	if sum == nil {
		errs = append(errs, errors.New("worker: nil summarizer"))
	}
	errs = append(errs, cfg.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Worker{s3: client, sum: sum, cfg: cfg, log: cfg.Logger}, nil
}

// Status is what happened to one record.
type Status string

// Record statuses.
const (
	StatusDone        Status = "done"         // summarized and stored now
	StatusAlreadyDone Status = "already_done" // a summary of this very object existed
	StatusSkipped     Status = "skipped"      // not work (filters, recursion guard, not ObjectCreated)
	StatusFailed      Status = "failed"
)

// RecordResult is the fate of one record of a message.
type RecordResult struct {
	Bucket, Key string
	Status      Status
	Why         string // for skipped and failed records
	Output      string // s3://bucket/key of the summary
	Err         error
}

// Result is the fate of one message.
type Result struct {
	Records []RecordResult
	// Skipped is true when the message needed no work at all (a test event,
	// or every record skipped); Why says why.
	Skipped bool
	Why     string
}

// Process handles one message body; attempt is the message's receive count
// (1 on the first delivery). A nil error means every record is
// summarized, was already, or is not work. Otherwise the error is the most
// urgent of the records' failures: a transient one if any (a retry may fix
// it; the records already done will then be found done), else the first
// permanent one.
func (w *Worker) Process(ctx context.Context, body []byte, attempt int) (Result, error) {
	env, err := event.Parse(body)
	if err != nil {
		return Result{}, Permanent(ReasonBadMessage, err)
	}
	if env.TestEvent {
		return Result{Skipped: true, Why: "s3:TestEvent"}, nil
	}
	res := Result{Records: make([]RecordResult, 0, len(env.Records))}
	var transient, permanent error
	for _, rec := range env.Records {
		rr := w.record(ctx, rec, attempt)
		res.Records = append(res.Records, rr)
		if rr.Err == nil {
			continue
		}
		if _, ok := PermanentReason(rr.Err); ok {
			if permanent == nil {
				permanent = rr.Err
			}
		} else if transient == nil {
			transient = rr.Err
		}
	}
	if transient != nil {
		return res, transient
	}
	if permanent != nil {
		return res, permanent
	}
	res.Skipped = true
	var whys []string
	for _, rr := range res.Records {
		if rr.Status != StatusSkipped {
			res.Skipped = false
			break
		}
		whys = append(whys, rr.Why)
	}
	if res.Skipped {
		res.Why = strings.Join(whys, "; ")
	}
	return res, nil
}

// record handles one record: filter, check for an existing summary, fetch,
// summarize, store.
func (w *Worker) record(ctx context.Context, rec event.Record, attempt int) RecordResult {
	rr := RecordResult{Bucket: rec.Bucket, Key: rec.Key}
	log := w.log.With(zap.String("bucket", rec.Bucket), zap.String("key", rec.Key))
	if why := w.skip(rec); why != "" {
		rr.Status, rr.Why = StatusSkipped, why
		log.Debug("record skipped", zap.String("why", why))
		return rr
	}
	if len(w.cfg.AllowedBuckets) > 0 && !slices.Contains(w.cfg.AllowedBuckets, rec.Bucket) {
		return failed(rr, Permanent(ReasonBucketNotAllowed, fmt.Errorf("bucket %q is not in ALLOWED_BUCKETS", rec.Bucket)))
	}
	start := time.Now()
	out := w.outputLocation(rec.Bucket, rec.Key)
	rr.Output = "s3://" + out.bucket + "/" + out.key

	if rec.ETag != "" {
		done, err := w.alreadyDone(ctx, out, rec.ETag)
		if err != nil {
			return failed(rr, err)
		}
		if done {
			rr.Status = StatusAlreadyDone
			log.Info("summary exists for this etag: nothing to do", zap.String("output", rr.Output))
			w.discardJournal(ctx, out, attempt, log)
			return rr
		}
	}

	t := time.Now()
	var obj object
	var err error
	if nt, ok := w.sum.(interface{ NeedsText() bool }); ok && !nt.NeedsText() {
		obj, err = w.head(ctx, rec.Bucket, rec.Key)
	} else {
		obj, err = w.fetch(ctx, rec.Bucket, rec.Key)
	}
	w.cfg.Metrics.Stage.WithLabelValues("fetch").Observe(time.Since(t).Seconds())
	if err != nil {
		return failed(rr, err)
	}
	if obj.etag != rec.ETag && obj.etag != "" {
		// The event had no etag, or the object changed since: check again
		// against what we actually read.
		done, err := w.alreadyDone(ctx, out, obj.etag)
		if err != nil {
			return failed(rr, err)
		}
		if done {
			rr.Status = StatusAlreadyDone
			w.discardJournal(ctx, out, attempt, log)
			return rr
		}
	}

	t = time.Now()
	journal := newJournal(w.s3, location{out.bucket, out.key + JournalSuffix}, obj.etag, attempt <= 1, log)
	sum, err := w.sum.Summarize(ctx, Document{Text: obj.text, Bucket: rec.Bucket, Key: rec.Key, ETag: obj.etag, Journal: journal})
	w.cfg.Metrics.Stage.WithLabelValues("summarize").Observe(time.Since(t).Seconds())
	if err != nil {
		return failed(rr, fmt.Errorf("summarize s3://%s/%s: %w", rec.Bucket, rec.Key, err))
	}

	t = time.Now()
	err = w.store(ctx, out, rec, obj, sum)
	w.cfg.Metrics.Stage.WithLabelValues("store").Observe(time.Since(t).Seconds())
	if err != nil {
		return failed(rr, err)
	}
	journal.finish(ctx)
	w.cfg.Metrics.observeEndToEnd(rec.EventTime)
	w.cfg.Metrics.Stage.WithLabelValues("total").Observe(time.Since(start).Seconds())
	rr.Status = StatusDone
	log.Info("summary stored", zap.String("output", rr.Output), zap.Int("chunks", sum.Chunks),
		zap.Strings("job_ids", sum.JobIDs), zap.Duration("took", time.Since(start)))
	return rr
}

func failed(rr RecordResult, err error) RecordResult {
	rr.Status, rr.Err = StatusFailed, err
	rr.Why = err.Error()
	return rr
}

// skip says why a record is not work, or "" if it is.
func (w *Worker) skip(rec event.Record) string {
	if !rec.Created() {
		return fmt.Sprintf("event %s is not an object creation", rec.EventName)
	}
	if IsSummaryKey(rec.Key) {
		return "key is a summary (recursion guard)"
	}
	outBucket := w.cfg.OutputBucket
	if outBucket == "" {
		outBucket = rec.Bucket
	}
	if outBucket == rec.Bucket && strings.HasPrefix(rec.Key, w.cfg.OutputPrefix) {
		return "key is under the output prefix (recursion guard)"
	}
	if !strings.HasPrefix(rec.Key, w.cfg.InputPrefix) {
		return "key is outside the input prefix"
	}
	lower := strings.ToLower(transcript.StripGzipSuffix(rec.Key))
	for _, s := range w.cfg.InputSuffixes {
		if strings.HasSuffix(lower, strings.ToLower(s)) {
			return ""
		}
	}
	return "key does not end in an input suffix"
}

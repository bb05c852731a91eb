package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"
	"golang.org/x/sync/semaphore"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/event"
	"github.com/summarizer/summarizer/worker/internal/s3x"
	"github.com/summarizer/summarizer/worker/internal/span"
	"github.com/summarizer/summarizer/worker/journal"
	"github.com/summarizer/summarizer/worker/sibling"
	"github.com/summarizer/summarizer/worker/transcript"
)

// s3API is the part of the S3 client the worker uses.
type s3API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	HeadObject(context.Context, *s3.HeadObjectInput, ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ s3API = (*s3.Client)(nil)

// Worker processes messages: one message, one or more records.
type Worker struct {
	s3  s3API
	sum backend.Summarizer
	cfg Config
	log *zap.Logger
	// background holds clean-ups that need not delay a message (the journal
	// of a stored summary); Close waits for them.
	background sync.WaitGroup
	// summarizing bounds the records in the summarize stage.
	summarizing *semaphore.Weighted
	// access decides whose fault an access denied on an object is.
	access *access
	// memory bounds the object bytes in memory.
	memory *memory
	// siblings finds a richer transcript of a record's recording (nil:
	// SIBLINGS=all).
	siblings *sibling.Finder
}

// Close waits for the worker's background clean-ups (journal deletes) to
// finish. Call it once no Process call runs any more.
func (w *Worker) Close() { w.background.Wait() }

// New returns a worker. s3 is usually an *s3.Client.
func New(client s3API, sum backend.Summarizer, cfg Config) (*Worker, error) {
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
	s3c := shallowS3{s3API: client}
	if cfg.ExpectedBucketOwner != "" {
		s3c.owner = &cfg.ExpectedBucketOwner
	}
	w := &Worker{s3: s3c, sum: sum, cfg: cfg, log: cfg.Logger, access: newAccess(s3c), memory: newMemory(cfg.MaxInflightBytes)}
	summarizing := int64(cfg.Summarizing)
	if summarizing == 0 {
		summarizing = math.MaxInt64
	}
	w.summarizing = semaphore.NewWeighted(summarizing)
	if cfg.Siblings == SiblingsRichest {
		w.siblings = &sibling.Finder{S3: s3c, Settle: cfg.SiblingSettle, Logger: cfg.Logger,
			IsWork: func(bucket, key string) bool { return w.skipKey(bucket, key) == "" }}
	}
	return w, nil
}

// Status is what happened to one record.
type Status string

// Record statuses.
const (
	StatusDone        Status = "done"         // summarized and stored now
	StatusAlreadyDone Status = "already_done" // a summary of this very object existed
	StatusSkipped     Status = "skipped"      // not work (filters, recursion guard, not ObjectCreated, a richer sibling)
	StatusSuperseded  Status = "superseded"   // the object was overwritten since the event: its own event does the work
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
	// Superseded is true when every record that was work was superseded by a
	// newer version of its object.
	Superseded bool
	Why        string
}

// Delivery describes the delivery of a message being processed.
type Delivery struct {
	// Attempt is the message's receive count, 1 on the first delivery.
	Attempt int
	// Final is true when a transient failure of this delivery gives the
	// message up for good (it is then dead-lettered): the transcript's
	// running jobs are cancelled and its journal removed.
	Final bool
	// Owned, if not nil, returns an error once this delivery no longer owns
	// the message (its lease was lost): nothing is written after that.
	Owned func() error
}

func (d Delivery) owned() error {
	if d.Owned == nil {
		return nil
	}
	return d.Owned()
}

// Process handles one message body. A nil error means every record is
// summarized, was already, was superseded, or is not work. Otherwise the
// error is the most urgent of the records' failures: a hold first (not the
// message's fault: retrying soon is right), then a transient one (a retry
// may fix it; the records already done will then be found done), else the
// first permanent one.
func (w *Worker) Process(ctx context.Context, body []byte, d Delivery) (Result, error) {
	env, err := event.Parse(body)
	if err != nil {
		return Result{}, outcome.Permanent(outcome.ReasonBadMessage, err)
	}
	if env.TestEvent {
		return Result{Skipped: true, Why: "s3:TestEvent"}, nil
	}
	res := Result{Records: make([]RecordResult, 0, len(env.Records))}
	var hold, transient, permanent error
	for _, rec := range env.Records {
		rr := w.record(ctx, rec, d)
		res.Records = append(res.Records, rr)
		switch outcome.Of(rr.Err).Kind {
		case outcome.Done:
		case outcome.Held:
			hold = cmp.Or(hold, rr.Err)
		case outcome.DeadLettered:
			permanent = cmp.Or(permanent, rr.Err)
		default:
			transient = cmp.Or(transient, rr.Err)
		}
	}
	if err := cmp.Or(hold, transient, permanent); err != nil {
		return res, err
	}
	var skipped, superseded, work []string
	for _, rr := range res.Records {
		switch rr.Status {
		case StatusSkipped:
			skipped = append(skipped, rr.Why)
		case StatusSuperseded:
			superseded = append(superseded, rr.Why)
		default:
			work = append(work, rr.Key)
		}
	}
	switch {
	case len(work) > 0:
	case len(superseded) > 0:
		res.Superseded, res.Why = true, strings.Join(superseded, "; ")
	default:
		res.Skipped, res.Why = true, strings.Join(skipped, "; ")
	}
	return res, nil
}

// record handles one record: filter, check for an existing summary and read
// the object (at once), summarize, store. Its span, "record", holds the
// spans of those steps.
func (w *Worker) record(ctx context.Context, rec event.Record, d Delivery) (rr RecordResult) {
	rr = RecordResult{Bucket: rec.Bucket, Key: rec.Key}
	ctx, sp := span.Start(ctx, "record", span.Bucket.String(rec.Bucket), span.Key.String(rec.Key))
	if rec.ETag != "" {
		sp.SetAttributes(span.ETag.String(rec.ETag))
	}
	defer func() { endRecordSpan(sp, rr) }()
	log := span.Log(ctx, w.log.WithLazy(zap.String("bucket", rec.Bucket), zap.String("key", rec.Key)))
	if why := w.skip(rec); why != "" {
		rr.Status, rr.Why = StatusSkipped, why
		log.Debug("record skipped", zap.String("why", why))
		return rr
	}
	if len(w.cfg.AllowedBuckets) > 0 && !slices.Contains(w.cfg.AllowedBuckets, rec.Bucket) {
		return failed(rr, outcome.Permanent(outcome.ReasonBucketNotAllowed, fmt.Errorf("bucket %q is not in ALLOWED_BUCKETS", rec.Bucket)))
	}
	start := time.Now()
	mem, err := w.admit(ctx, rec)
	if err != nil {
		return failed(rr, err)
	}
	defer mem.release()
	out := w.outputLocation(rec.Bucket, rec.Key)
	rr.Output = "s3://" + out.bucket + "/" + out.key

	// The existing summary, the recording's siblings and the object are
	// looked at at once: a redelivery or a poorer sibling wastes one GET, a
	// first delivery saves two round trips.
	var (
		prior    summaryHead
		headErr  error
		obj      object
		fetchErr error
		richer   string
		sibErr   error
		wg       sync.WaitGroup
	)
	fctx, cancelFetch := context.WithCancel(ctx)
	defer cancelFetch()
	wg.Go(func() { richer, sibErr = w.richerSibling(fctx, rec) })
	wg.Go(func() {
		t := time.Now()
		sctx, sp := span.Start(fctx, "fetch", span.Bucket.String(rec.Bucket), span.Key.String(rec.Key))
		if r, ok := w.sum.(backend.ObjectReader); ok && r.ReadsObject() {
			sp.SetAttributes(span.HeadOnly.Bool(true))
			obj, fetchErr = w.head(sctx, rec.Bucket, rec.Key, rec.ETag)
		} else {
			obj, fetchErr = w.fetch(sctx, rec.Bucket, rec.Key, rec.ETag, mem)
		}
		w.cfg.Metrics.Stage.WithLabelValues("fetch").Observe(time.Since(t).Seconds())
		switch {
		case fetchErr == nil:
			sp.SetAttributes(span.ETag.String(obj.etag), span.Size.Int64(obj.size))
		case fctx.Err() != nil && ctx.Err() == nil:
			sp.AddEvent("cancelled: a summary of this version exists")
		case errors.Is(fetchErr, errObjectChanged):
			sp.AddEvent("object changed since the event")
		default:
			span.Fail(sp, fetchErr)
		}
		sp.End()
	})
	prior, headErr = w.headSummary(ctx, out)
	if headErr == nil && prior.of(rec.Bucket, rec.Key, rec.ETag) {
		cancelFetch()
		wg.Wait()
		rr.Status = StatusAlreadyDone
		log.Info("summary exists for this etag: nothing to do", zap.String("output", rr.Output))
		w.discardJournal(ctx, out, rec.ETag, d, log)
		return rr
	}
	wg.Wait()
	switch {
	case sibErr != nil:
		return failed(rr, sibErr)
	case richer != "":
		rr.Status, rr.Why = StatusSkipped, fmt.Sprintf("s3://%s/%s is a richer transcript of the same recording (SIBLINGS=richest)", rec.Bucket, richer)
		log.Debug("record skipped", zap.String("why", rr.Why))
		return rr
	case headErr != nil:
		return failed(rr, headErr)
	case errors.Is(fetchErr, errObjectChanged):
		return w.superseded(ctx, rr, out, rec.ETag, fmt.Sprintf("s3://%s/%s was overwritten after this event (etag %s)", rec.Bucket, rec.Key, rec.ETag), log)
	case s3x.IsAccessDenied(fetchErr):
		return failed(rr, w.access.classify(ctx, rec.Bucket, rec.Key, rec.ETag, fetchErr))
	case fetchErr != nil:
		if r, _ := outcome.IsPermanent(fetchErr); r == outcome.ReasonTooLarge || r == outcome.ReasonBadFormat {
			w.access.read(rec.Bucket, rec.Key, rec.ETag) // S3 answered: the bucket is readable
		}
		return failed(rr, fetchErr)
	}
	w.access.read(rec.Bucket, rec.Key, obj.etag)
	if rec.ETag == "" && prior.of(rec.Bucket, rec.Key, obj.etag) {
		// The event had no etag: what we read is summarized already.
		rr.Status = StatusAlreadyDone
		w.discardJournal(ctx, out, obj.etag, d, log)
		return rr
	}

	t := time.Now()
	jr := journal.Open(w.s3, out.bucket, journal.Key(out.key, obj.etag), obj.etag, d.Attempt <= 1, log)
	jr.Settled = func(ctx context.Context) (bool, error) {
		now, err := w.headSummary(ctx, out)
		return err == nil && now.of(rec.Bucket, rec.Key, obj.etag), err
	}
	sctx, sspan := span.Start(ctx, "summarize")
	var sum backend.Summary
	err = w.summarizing.Acquire(sctx, 1)
	if err == nil {
		t = time.Now() // the stage starts once a summarizing slot is free
		sum, err = w.sum.Summarize(sctx, backend.Document{Text: obj.text, Bucket: rec.Bucket, Key: rec.Key, ETag: obj.etag, Journal: jr, Final: d.Final})
		w.summarizing.Release(1)
	}
	w.cfg.Metrics.Stage.WithLabelValues("summarize").Observe(time.Since(t).Seconds())
	sspan.SetAttributes(span.Model.String(sum.Model), span.Chunks.Int(sum.Chunks), span.Jobs.Int(len(sum.JobIDs)))
	span.End(sspan, err)
	if err != nil {
		if errors.Is(err, journal.ErrGone) {
			// Another delivery of this version finished (or gave up) first.
			if now, herr := w.headSummary(ctx, out); herr == nil && now.of(rec.Bucket, rec.Key, obj.etag) {
				rr.Status = StatusAlreadyDone
				log.Info("another delivery stored the summary meanwhile", zap.String("output", rr.Output))
				return rr
			}
		}
		err = fmt.Errorf("summarize s3://%s/%s: %w", rec.Bucket, rec.Key, err)
		if ctx.Err() == nil && outcome.GivenUp(err, d.Final) {
			jr.Delete(ctx) // given up for good
		}
		return failed(rr, err)
	}
	if err := d.owned(); err != nil {
		return failed(rr, err)
	}

	t = time.Now()
	stctx, stspan := span.Start(ctx, "store", span.Output.String(rr.Output))
	err = w.store(stctx, out, rec, obj, sum, prior)
	w.cfg.Metrics.Stage.WithLabelValues("store").Observe(time.Since(t).Seconds())
	switch {
	case errors.Is(err, errSummaryExists):
		stspan.AddEvent("another delivery stored the summary of this version first")
	case errors.Is(err, errObjectChanged):
		stspan.AddEvent("object changed while it was summarized")
	default:
		span.Fail(stspan, err)
	}
	stspan.End()
	switch {
	case errors.Is(err, errSummaryExists):
		rr.Status = StatusAlreadyDone
		jr.Delete(ctx)
		log.Info("another delivery stored the summary of this version first", zap.String("output", rr.Output))
		return rr
	case errors.Is(err, errObjectChanged):
		return w.superseded(ctx, rr, out, obj.etag, fmt.Sprintf("s3://%s/%s was overwritten while it was summarized", rec.Bucket, rec.Key), log)
	case err != nil:
		return failed(rr, err)
	}
	// The summary is stored: the journal's delete need not hold the message.
	w.background.Go(func() { jr.Delete(context.WithoutCancel(ctx)) })
	w.cfg.Metrics.observeEndToEnd(rec.EventTime)
	w.cfg.Metrics.Stage.WithLabelValues("total").Observe(time.Since(start).Seconds())
	rr.Status = StatusDone
	log.Info("summary stored", zap.String("output", rr.Output), zap.Int("chunks", sum.Chunks),
		zap.Strings("job_ids", sum.JobIDs), zap.Duration("took", time.Since(start)))
	return rr
}

// admit waits until the record's object fits MaxInflightBytes, counted by
// the size its event states (at most MaxObjectBytes: a larger object fails
// before it is read), or MaxObjectBytes when the event states none (given
// back once S3 says the size). fetch then makes the hold what the object
// holds in memory: gzip counts its inflated size too. A backend that
// reads the object itself takes nothing. The object's bytes stay counted
// until the record ends: its text lives as long as its summary is made.
func (w *Worker) admit(ctx context.Context, rec event.Record) (*held, error) {
	if r, ok := w.sum.(backend.ObjectReader); ok && r.ReadsObject() {
		return nil, nil
	}
	n := rec.Size
	if n <= 0 || n > w.cfg.MaxObjectBytes {
		n = w.cfg.MaxObjectBytes
	}
	return w.memory.acquire(ctx, n)
}

// superseded ends a record whose object version is no longer current: the
// jobs journaled for that version are cancelled and its journal deleted.
func (w *Worker) superseded(ctx context.Context, rr RecordResult, out location, etag, why string, log *zap.Logger) RecordResult {
	rr.Status, rr.Why = StatusSuperseded, why
	if etag != "" {
		j := journal.Open(w.s3, out.bucket, journal.Key(out.key, etag), etag, false, log)
		if err := j.Load(ctx); err == nil {
			if a, ok := w.sum.(backend.Abandoner); ok {
				a.Abandon(ctx, j.Jobs())
			}
		}
		// Deletes unless the load found no journal; after a failed load it
		// still tries.
		j.Delete(ctx)
	}
	log.Info("superseded: the object changed since this event; its newer version's event does the work", zap.String("why", why))
	return rr
}

// endRecordSpan records the fate of a record on its span and ends it.
func endRecordSpan(sp trace.Span, rr RecordResult) {
	sp.SetAttributes(span.Status.String(string(rr.Status)))
	if rr.Output != "" {
		sp.SetAttributes(span.Output.String(rr.Output))
	}
	switch rr.Status {
	case StatusFailed:
		span.Fail(sp, rr.Err)
	case StatusSkipped, StatusSuperseded:
		sp.SetAttributes(span.Why.String(rr.Why))
	}
	sp.End()
}

func failed(rr RecordResult, err error) RecordResult {
	rr.Status, rr.Err = StatusFailed, err
	rr.Why = err.Error()
	return rr
}

// richerSibling returns the key of a richer transcript of the record's
// recording (SIBLINGS=richest), or "" when there is none or the rule is
// off. Its span, "siblings", says what the look found.
func (w *Worker) richerSibling(ctx context.Context, rec event.Record) (string, error) {
	if w.siblings == nil {
		return "", nil
	}
	if _, ok := sibling.Parse(rec.Key); !ok {
		return "", nil
	}
	ctx, sp := span.Start(ctx, "siblings")
	res, err := w.siblings.Richer(ctx, rec.Bucket, rec.Key)
	sp.SetAttributes(span.Siblings.Int(res.Siblings), span.Looks.Int(res.Looks), span.Waited.Int64(res.Waited.Milliseconds()))
	if res.Richer != "" {
		sp.SetAttributes(span.Richer.String(res.Richer))
	}
	span.End(sp, err)
	return res.Richer, err
}

// skip says why a record is not work, or "" if it is.
func (w *Worker) skip(rec event.Record) string {
	if !rec.Created() {
		return fmt.Sprintf("event %s is not an object creation", rec.EventName)
	}
	return w.skipKey(rec.Bucket, rec.Key)
}

// skipKey says why an object is not work, or "" if it is.
func (w *Worker) skipKey(bucket, key string) string {
	if IsSummaryKey(key) {
		return "key is a summary (recursion guard)"
	}
	outBucket := w.cfg.OutputBucket
	if outBucket == "" {
		outBucket = bucket
	}
	if outBucket == bucket && strings.HasPrefix(key, w.cfg.OutputPrefix) {
		return "key is under the output prefix (recursion guard)"
	}
	if !strings.HasPrefix(key, w.cfg.InputPrefix) {
		return "key is outside the input prefix"
	}
	lower := strings.ToLower(transcript.StripGzipSuffix(key))
	for _, s := range w.cfg.InputSuffixes {
		if strings.HasSuffix(lower, strings.ToLower(s)) {
			return ""
		}
	}
	return "key does not end in an input suffix"
}

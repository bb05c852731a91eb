package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/event"
	"github.com/summarizer/summarizer/worker/internal/s3x"
	"github.com/summarizer/summarizer/worker/journal"
)

// User metadata on every summary (S3 returns the names lowercased).
const (
	MetaSourceBucket = "source-bucket"
	MetaSourceKey    = "source-key"
	MetaSourceETag   = "source-etag"
)

// Summary key suffixes: any key ending in one of them is never work.
const (
	SummarySuffixText = ".summary.txt"
	SummarySuffixJSON = ".summary.json"
)

type location struct{ bucket, key string }

// outputLocation is where the summary of s3://bucket/key goes: below
// OUTPUT_PREFIX in the input bucket, or, with OUTPUT_BUCKET set, below
// OUTPUT_PREFIX and the input bucket's name in the output bucket (inputs of
// two buckets never share a summary).
func (w *Worker) outputLocation(bucket, key string) location {
	if w.cfg.OutputBucket == "" {
		return location{bucket: bucket, key: w.cfg.OutputPrefix + SummaryKey(key, w.cfg.OutputFormat)}
	}
	return location{bucket: w.cfg.OutputBucket, key: w.cfg.OutputPrefix + bucket + "/" + SummaryKey(key, w.cfg.OutputFormat)}
}

// SummaryKey maps an input key to its summary key below the output prefix:
// the whole key and ".summary.txt" (".summary.json" for the json format).
// Keys that differ only in their extension (Whisper writes standup.txt,
// .srt, .vtt and .json for one recording) are distinct inputs with
// distinct summaries, never one object written twice.
func SummaryKey(key, format string) string {
	if format == "json" {
		return key + SummarySuffixJSON
	}
	return key + SummarySuffixText
}

// IsSummaryKey reports whether key names a summary or a summary's job
// journal (summary key, "." ETag, journal.Suffix).
func IsSummaryKey(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, journal.Suffix) {
		return strings.Contains(k, SummarySuffixText+".") || strings.Contains(k, SummarySuffixJSON+".")
	}
	return strings.HasSuffix(k, SummarySuffixText) || strings.HasSuffix(k, SummarySuffixJSON)
}

// summaryHead is what a HEAD of a summary tells.
type summaryHead struct {
	exists  bool
	objETag string // the summary object's own ETag
	// source is the object it was made from (its metadata).
	sourceBucket, sourceKey, sourceETag string
	unknown                             bool // HEAD was refused (no s3:ListBucket): write unconditionally
}

// of reports whether the summary was made from s3://bucket/key at version etag.
func (h summaryHead) of(bucket, key, etag string) bool {
	return h.exists && etag != "" && h.sourceETag == etag && h.sourceBucket == bucket && h.sourceKey == MetadataEscape(key)
}

// headSummary reads the summary's metadata: which version it was made from.
func (w *Worker) headSummary(ctx context.Context, out location) (summaryHead, error) {
	head, err := w.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(out.bucket), Key: aws.String(out.key)})
	if err != nil {
		if s3x.IsNotFound(err) {
			return summaryHead{}, nil
		}
		if s3x.IsAccessDenied(err) {
			// Without s3:ListBucket, S3 answers 403 for a missing key. Carry on:
			// the PutObject tells whether we may write at all.
			w.log.Warn("cannot check for an existing summary (grant s3:ListBucket on the output bucket to skip redelivered work)",
				zap.String("output", out.key), zap.Error(err))
			return summaryHead{unknown: true}, nil
		}
		return summaryHead{}, s3x.Err("head", out.bucket, out.key, err)
	}
	return summaryHead{exists: true, objETag: s3x.UnquoteETag(head.ETag), sourceBucket: head.Metadata[MetaSourceBucket],
		sourceKey: head.Metadata[MetaSourceKey], sourceETag: head.Metadata[MetaSourceETag]}, nil
}

// errSummaryExists: another delivery stored the summary of this very version
// first; nothing is written.
var errSummaryExists = errors.New("summary of this version already stored")

// jsonSummary is the body of a summary with OUTPUT_FORMAT=json.
type jsonSummary struct {
	Summary string     `json:"summary"`
	Source  jsonSource `json:"source"`
	Model   string     `json:"model"`
	Chunks  int        `json:"chunks"`
	JobIDs  []string   `json:"runpod_job_ids"`
	Created string     `json:"created_at"`
}

type jsonSource struct {
	Bucket string `json:"bucket"`
	Key    string `json:"key"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
}

// store writes the summary with a conditional PUT, so that concurrent
// deliveries write each version's summary once and an older version never
// overwrites a newer one's: If-None-Match: * when there was no summary,
// If-Match its ETag when there was one of another version. When the
// condition fails, the summary now there decides: the same version's means
// errSummaryExists; otherwise if the object itself changed since it was
// read, errObjectChanged (superseded); otherwise (an older version's summary
// landed meanwhile) the write is tried again over it.
func (w *Worker) store(ctx context.Context, out location, rec event.Record, obj object, sum backend.Summary, prior summaryHead) error {
	body, contentType, err := w.render(rec, obj, sum)
	if err != nil {
		return err
	}
	for range 5 {
		in := &s3.PutObjectInput{
			Bucket:      aws.String(out.bucket),
			Key:         aws.String(out.key),
			Body:        bytes.NewReader(body),
			ContentType: aws.String(contentType),
			Metadata: map[string]string{
				MetaSourceBucket: rec.Bucket,
				MetaSourceKey:    MetadataEscape(rec.Key),
				MetaSourceETag:   obj.etag,
			},
		}
		switch {
		case prior.unknown:
		case prior.exists:
			in.IfMatch = aws.String(s3x.QuoteETag(prior.objETag))
		default:
			in.IfNoneMatch = aws.String("*")
		}
		_, err := w.s3.PutObject(ctx, in)
		if err == nil {
			return nil
		}
		if !s3x.IsConflict(err) && !(prior.exists && s3x.IsNotFound(err)) {
			return s3x.Err("put", out.bucket, out.key, err)
		}
		if prior, err = w.headSummary(ctx, out); err != nil {
			return err
		}
		if prior.of(rec.Bucket, rec.Key, obj.etag) {
			return errSummaryExists
		}
		if obj.etag != "" {
			cur, err := w.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(rec.Bucket), Key: aws.String(rec.Key)})
			switch {
			case s3x.IsNotFound(err):
				return errObjectChanged // deleted since: nothing to summarize any more
			case err != nil:
				return s3x.Err("head", rec.Bucket, rec.Key, err)
			case s3x.UnquoteETag(cur.ETag) != obj.etag:
				return errObjectChanged
			}
		}
	}
	return fmt.Errorf("put s3://%s/%s: the summary kept changing under us", out.bucket, out.key)
}

// render is the summary's body and content type.
func (w *Worker) render(rec event.Record, obj object, sum backend.Summary) ([]byte, string, error) {
	if w.cfg.OutputFormat != "json" {
		return []byte(strings.TrimSpace(sum.Text) + "\n"), "text/plain; charset=utf-8", nil
	}
	ids := sum.JobIDs
	if ids == nil {
		ids = []string{}
	}
	body, err := json.MarshalIndent(jsonSummary{
		Summary: strings.TrimSpace(sum.Text),
		Source:  jsonSource{Bucket: rec.Bucket, Key: rec.Key, ETag: obj.etag, Size: obj.size},
		Model:   sum.Model,
		Chunks:  sum.Chunks,
		JobIDs:  ids,
		Created: time.Now().UTC().Format(time.RFC3339),
	}, "", "  ")
	if err != nil {
		return nil, "", fmt.Errorf("encode summary: %w", err)
	}
	return append(body, '\n'), "application/json", nil
}

// discardJournal deletes a job journal that outlived its summary: a worker
// killed after storing the summary and before deleting the journal leaves
// it, and the redelivery finds the summary done. A first delivery rarely
// finds one, so it does not look.
func (w *Worker) discardJournal(ctx context.Context, out location, etag string, d Delivery, log *zap.Logger) {
	if d.Attempt <= 1 || etag == "" {
		return
	}
	journal.DeleteAt(ctx, w.s3, out.bucket, out.key, etag, log)
}

// MetadataEscape makes a key safe for S3 user metadata, which is ASCII only:
// bytes outside printable ASCII and '%' are percent-encoded, so
// url.PathUnescape gives the key back. An ASCII key stays as it is.
func MetadataEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '%' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/event"
	"github.com/summarizer/summarizer/worker/transcript"
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

func (w *Worker) outputLocation(bucket, key string) location {
	b := w.cfg.OutputBucket
	if b == "" {
		b = bucket
	}
	return location{bucket: b, key: w.cfg.OutputPrefix + SummaryKey(key, w.cfg.OutputFormat)}
}

// SummaryKey maps an input key to its summary key below the output prefix:
// "path/name.ext" becomes "path/name.summary.txt" (".summary.json" for the
// json format).
func SummaryKey(key, format string) string {
	dir, name := path.Split(transcript.StripGzipSuffix(key))
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	suffix := SummarySuffixText
	if format == "json" {
		suffix = SummarySuffixJSON
	}
	return dir + name + suffix
}

// IsSummaryKey reports whether key names a summary or a summary's job
// journal.
func IsSummaryKey(key string) bool {
	k := strings.TrimSuffix(strings.ToLower(key), JournalSuffix)
	return strings.HasSuffix(k, SummarySuffixText) || strings.HasSuffix(k, SummarySuffixJSON)
}

// alreadyDone reports whether the summary at out was made from the object
// version with etag.
func (w *Worker) alreadyDone(ctx context.Context, out location, etag string) (bool, error) {
	head, err := w.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(out.bucket), Key: aws.String(out.key)})
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		if IsConfigFault(err) {
			// Without s3:ListBucket, S3 answers 403 for a missing key. Carry on:
			// the PutObject tells whether we may write at all.
			w.log.Warn("cannot check for an existing summary (grant s3:ListBucket on the output bucket to skip redelivered work)",
				zap.String("output", out.key), zap.Error(err))
			return false, nil
		}
		return false, fmt.Errorf("head s3://%s/%s: %w", out.bucket, out.key, err)
	}
	return head.Metadata[MetaSourceETag] == etag, nil
}

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

func (w *Worker) store(ctx context.Context, out location, rec event.Record, obj object, sum Summary) error {
	body, contentType := []byte(strings.TrimSpace(sum.Text)+"\n"), "text/plain; charset=utf-8"
	if w.cfg.OutputFormat == "json" {
		ids := sum.JobIDs
		if ids == nil {
			ids = []string{}
		}
		var err error
		body, err = json.MarshalIndent(jsonSummary{
			Summary: strings.TrimSpace(sum.Text),
			Source:  jsonSource{Bucket: rec.Bucket, Key: rec.Key, ETag: obj.etag, Size: obj.size},
			Model:   sum.Model,
			Chunks:  sum.Chunks,
			JobIDs:  ids,
			Created: time.Now().UTC().Format(time.RFC3339),
		}, "", "  ")
		if err != nil {
			return fmt.Errorf("encode summary: %w", err)
		}
		body, contentType = append(body, '\n'), "application/json"
	}
	_, err := w.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(out.bucket),
		Key:         aws.String(out.key),
		Body:        strings.NewReader(string(body)),
		ContentType: aws.String(contentType),
		Metadata: map[string]string{
			MetaSourceBucket: rec.Bucket,
			MetaSourceKey:    MetadataEscape(rec.Key),
			MetaSourceETag:   obj.etag,
		},
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", out.bucket, out.key, err)
	}
	return nil
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

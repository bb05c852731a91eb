package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"
)

// JournalSuffix ends the key of a job journal: the summary's key plus this
// suffix, under the output prefix, so the recursion guard ignores it.
const JournalSuffix = ".jobs.json"

// journalDoc is the body of a journal object.
type journalDoc struct {
	SourceETag string            `json:"source_etag"`
	Jobs       map[string]string `json:"jobs"` // PromptKey → job id
	UpdatedAt  string            `json:"updated_at"`
}

// s3Journal keeps the job ids of one transcript version in a small S3
// object next to its future summary. It is read at most once (and not at all
// on a message's first delivery, when no earlier attempt can have written
// it), rewritten after each submission, and deleted once the summary exists.
type s3Journal struct {
	s3     s3API
	loc    location
	etag   string
	log    *zap.Logger
	mu     sync.Mutex
	cond   *sync.Cond
	loaded bool
	dirty  bool
	jobs   map[string]string
	// Group commit: changes counts Record calls, written the changes the
	// last successful PUT held, writing whether a PUT is under way.
	changes, written int
	writing          bool
}

func newJournal(client s3API, loc location, etag string, firstDelivery bool, log *zap.Logger) *s3Journal {
	j := &s3Journal{s3: client, loc: loc, etag: etag, log: log, loaded: firstDelivery, jobs: map[string]string{}}
	j.cond = sync.NewCond(&j.mu)
	return j
}

func (j *s3Journal) load(ctx context.Context) {
	if j.loaded {
		return
	}
	j.loaded = true
	out, err := j.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(j.loc.bucket), Key: aws.String(j.loc.key)})
	if err != nil {
		if !isNotFound(err) {
			j.log.Warn("cannot read the job journal: earlier jobs will not be resumed", zap.String("journal", j.loc.key), zap.Error(err))
		}
		return
	}
	defer out.Body.Close()
	var doc journalDoc
	if err := json.NewDecoder(io.LimitReader(out.Body, 1<<20)).Decode(&doc); err != nil {
		j.log.Warn("job journal unreadable: ignored", zap.String("journal", j.loc.key), zap.Error(err))
		return
	}
	if doc.SourceETag != j.etag {
		return // written for another version of the transcript
	}
	for k, v := range doc.Jobs {
		j.jobs[k] = v
	}
	j.dirty = len(j.jobs) > 0
	j.log.Info("job journal found: resuming", zap.Int("jobs", len(j.jobs)))
}

// Lookup returns the job journaled for key.
func (j *s3Journal) Lookup(ctx context.Context, key string) (string, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.load(ctx)
	id, ok := j.jobs[key]
	return id, ok
}

// Record journals a job and returns once a PUT holding it succeeded.
// Concurrent calls share PUTs (group commit): while one PUT is under way,
// later records wait and go out together in the next.
func (j *s3Journal) Record(ctx context.Context, key, jobID string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.load(ctx)
	j.jobs[key] = jobID
	j.dirty = true
	j.changes++
	mine := j.changes
	for j.written < mine {
		if j.writing {
			j.cond.Wait()
			continue
		}
		j.writing = true
		upto := j.changes
		body, err := json.Marshal(journalDoc{SourceETag: j.etag, Jobs: j.jobs, UpdatedAt: time.Now().UTC().Format(time.RFC3339)})
		j.mu.Unlock()
		if err == nil {
			_, err = j.s3.PutObject(context.WithoutCancel(ctx), &s3.PutObjectInput{
				Bucket: aws.String(j.loc.bucket), Key: aws.String(j.loc.key),
				Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
			})
		}
		j.mu.Lock()
		j.writing = false
		j.cond.Broadcast()
		if err != nil {
			return fmt.Errorf("write job journal s3://%s/%s: %w", j.loc.bucket, j.loc.key, err)
		}
		j.written = max(j.written, upto)
	}
	return nil
}

// finish deletes the journal once the summary is stored.
func (j *s3Journal) finish(ctx context.Context) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.dirty {
		return
	}
	if _, err := j.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(j.loc.bucket), Key: aws.String(j.loc.key)}); err != nil {
		j.log.Warn("cannot delete the job journal (harmless: it is ignored once the summary exists)", zap.String("journal", j.loc.key), zap.Error(err))
	}
}

// discardJournal deletes a job journal that outlived its summary: a worker
// killed after storing the summary and before deleting the journal leaves
// it, and the redelivery finds the summary done. A first delivery cannot
// have left one, so it costs nothing then.
func (w *Worker) discardJournal(ctx context.Context, out location, attempt int, log *zap.Logger) {
	if attempt <= 1 {
		return
	}
	key := out.key + JournalSuffix
	if _, err := w.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(out.bucket), Key: aws.String(key)}); err != nil && !isNotFound(err) {
		log.Warn("cannot delete a leftover job journal (harmless: it is ignored once the summary exists)", zap.String("journal", key), zap.Error(err))
	}
}

package worker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
	"github.com/summarizer/summarizer/worker/internal/s3x"
)

// JournalSuffix ends the key of every job journal. It is not a transcript
// suffix, so neither the notification rules of the shipped template nor the
// default INPUT_SUFFIXES ever send a journal back to the queue.
const JournalSuffix = ".jobs"

// JournalTag is the object tag on every journal (key=value), for a
// lifecycle rule that expires journals left behind by transcripts given up
// for good (dead-lettered messages, crashed replicas).
const JournalTag = "summarizer=journal"

// JournalKey is the key of the job journal of one transcript version: the
// summary's key, the source ETag and JournalSuffix. Each version has its
// own journal, so an overwrite never mixes two versions' jobs.
func JournalKey(summaryKey, sourceETag string) string {
	return summaryKey + "." + sanitizeETag(sourceETag) + JournalSuffix
}

func sanitizeETag(etag string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, strings.Trim(etag, `"`))
}

// Claim timing. A claim is written before /run and replaced by the job id
// right after it; a claim older than claimTTL belongs to a delivery that
// died in between (or whose /run hung past submitTimeout), and may be taken
// over. A crash between claim and record thus delays that prompt by at most
// claimTTL.
const (
	claimTTL       = 45 * time.Second
	submitTimeout  = 30 * time.Second
	claimPollMin   = 200 * time.Millisecond
	claimPollMax   = 2 * time.Second
	journalTimeout = 30 * time.Second
	maxConflicts   = 20
)

// ErrJournalGone is returned while waiting for another delivery's claim
// when the journal disappears: that delivery stored the summary (or gave
// the transcript up). The caller checks for the summary before anything
// else.
var ErrJournalGone = errors.New("job journal deleted while waiting for another delivery's job")

// errClaimLost: the claim was taken over before the job id could be
// recorded (this delivery was too slow); the caller's job is a duplicate.
var errClaimLost = errors.New("journal claim taken over by another delivery")

// JobRef is a job journaled for a prompt.
type JobRef struct {
	ID        string
	Submitted time.Time
}

// journalEntry is one prompt's line of a journal: a claim (Owner set, ID
// empty) while its job is being submitted, then the job.
type journalEntry struct {
	ID        string    `json:"id,omitempty"`
	Submitted time.Time `json:"submitted,omitzero"`
	Owner     string    `json:"owner,omitempty"`
	ClaimedAt time.Time `json:"claimed_at,omitzero"`
}

// journalDoc is the body of a journal object.
type journalDoc struct {
	SourceETag string                   `json:"source_etag"`
	Jobs       map[string]*journalEntry `json:"jobs"` // PromptKey → entry
	UpdatedAt  time.Time                `json:"updated_at"`
}

func (d journalDoc) clone() journalDoc {
	c := d
	c.Jobs = make(map[string]*journalEntry, len(d.Jobs))
	for k, e := range d.Jobs {
		cp := *e
		c.Jobs[k] = &cp
	}
	return c
}

// s3Journal is the job journal of one transcript version, an S3 object
// next to its future summary, shared by every delivery of that version
// (redeliveries, duplicate notifications, other replicas). Every change is
// a conditional PUT (If-None-Match: * to create, If-Match its ETag to
// update) re-applied on a conflict, so concurrent deliveries never lose
// each other's entries, and a prompt is claimed by one delivery before its
// job is submitted: two deliveries never pay for the same prompt.
type s3Journal struct {
	s3    s3API
	loc   location
	etag  string // the transcript version's ETag
	owner string // this delivery's claim token
	log   *zap.Logger

	mu      sync.Mutex
	doc     journalDoc
	objETag string // of the journal object; "" while it does not exist
	known   bool   // doc and objETag reflect S3 as last seen
	pending []*mutation
	writing bool
	wrote   bool // this delivery wrote the journal at least once
}

type mutation struct {
	apply func(d *journalDoc) bool // reports whether d changed
	done  chan error
}

// newJournal returns the journal of one transcript version. On a message's
// first delivery the journal usually does not exist yet, so the first write
// is tried as a creation without reading first; a conflict reads it.
func newJournal(client s3API, loc location, etag string, firstDelivery bool, log *zap.Logger) *s3Journal {
	j := &s3Journal{s3: client, loc: loc, etag: etag, owner: newOwner(), log: log.WithLazy(zap.String("journal", loc.key))}
	j.doc = journalDoc{SourceETag: etag, Jobs: map[string]*journalEntry{}}
	j.known = firstDelivery
	return j
}

func newOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// load reads the journal from S3. The caller holds no lock.
func (j *s3Journal) load(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	doc := journalDoc{SourceETag: j.etag, Jobs: map[string]*journalEntry{}}
	out, err := j.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(j.loc.bucket), Key: aws.String(j.loc.key)})
	if err != nil {
		if !s3x.IsNotFound(err) {
			return s3x.Err("read job journal", j.loc.bucket, j.loc.key, err)
		}
		j.mu.Lock()
		j.doc, j.objETag, j.known = doc, "", true
		j.mu.Unlock()
		return nil
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, 4<<20))
	if err != nil {
		return s3x.Err("read job journal", j.loc.bucket, j.loc.key, err)
	}
	var got journalDoc
	if err := json.Unmarshal(body, &got); err != nil || got.SourceETag != j.etag {
		// Unreadable, or not this version's: it is replaced on the next write.
		j.log.Warn("job journal unreadable or of another version: replaced", zap.Error(err))
	} else {
		for k, e := range got.Jobs {
			if e != nil {
				doc.Jobs[k] = e
			}
		}
	}
	j.mu.Lock()
	j.doc, j.objETag, j.known = doc, s3x.UnquoteETag(out.ETag), true
	j.mu.Unlock()
	return nil
}

// mutate applies fn to the journal and writes it if fn changed it.
// Concurrent calls share PUTs (group commit): while one PUT is under way,
// later mutations wait and go out together in the next. A conflict (the
// object changed since it was read) reloads it and applies the mutations
// again; fn must therefore decide from what it is given, every time.
func (j *s3Journal) mutate(ctx context.Context, fn func(d *journalDoc) bool) error {
	m := &mutation{apply: fn, done: make(chan error, 1)}
	j.mu.Lock()
	j.pending = append(j.pending, m)
	if j.writing {
		j.mu.Unlock()
		return <-m.done
	}
	j.writing = true
	for len(j.pending) > 0 {
		batch := j.pending
		j.pending = nil
		j.mu.Unlock()
		err := j.commit(ctx, batch)
		for _, b := range batch {
			b.done <- err
		}
		j.mu.Lock()
	}
	j.writing = false
	j.mu.Unlock()
	return <-m.done
}

// commit applies batch to the journal and stores it, retrying on conflicts.
func (j *s3Journal) commit(ctx context.Context, batch []*mutation) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	for range maxConflicts {
		j.mu.Lock()
		known := j.known
		j.mu.Unlock()
		if !known {
			if err := j.load(wctx); err != nil {
				return err
			}
		}
		j.mu.Lock()
		doc, objETag := j.doc.clone(), j.objETag
		j.mu.Unlock()
		changed := false
		for _, m := range batch {
			if m.apply(&doc) {
				changed = true
			}
		}
		if !changed {
			return nil
		}
		doc.UpdatedAt = time.Now().UTC()
		body, err := json.Marshal(doc)
		if err != nil {
			return fmt.Errorf("encode job journal: %w", err)
		}
		in := &s3.PutObjectInput{
			Bucket: aws.String(j.loc.bucket), Key: aws.String(j.loc.key),
			Body: bytes.NewReader(body), ContentType: aws.String("application/json"),
			Tagging: aws.String(JournalTag),
		}
		if objETag == "" {
			in.IfNoneMatch = aws.String("*")
		} else {
			in.IfMatch = aws.String(s3x.QuoteETag(objETag))
		}
		out, err := j.s3.PutObject(wctx, in)
		if err != nil {
			if s3x.IsConflict(err) || (objETag != "" && s3x.IsNotFound(err)) {
				j.mu.Lock()
				j.known = false // someone else wrote (or deleted) it: read it again
				j.mu.Unlock()
				continue
			}
			return s3x.Err("write job journal", j.loc.bucket, j.loc.key, err)
		}
		j.mu.Lock()
		j.doc, j.objETag, j.known, j.wrote = doc, s3x.UnquoteETag(out.ETag), true, true
		j.mu.Unlock()
		return nil
	}
	return fmt.Errorf("write job journal s3://%s/%s: %d conflicts in a row", j.loc.bucket, j.loc.key, maxConflicts)
}

// Claim returns the job journaled for key, or claims key for this delivery
// (claimed is true): the caller then submits the job and calls Record, or
// Release if the submission failed. failed, if not empty, is a job of key
// that failed or expired: it does not count, and is replaced by a new claim
// unless another delivery already replaced it. A claim held by another
// delivery is waited out: until its job id appears, or for at most claimTTL
// after it was made.
func (j *s3Journal) Claim(ctx context.Context, key, failed string) (ref JobRef, claimed bool, err error) {
	poll := claimPollMin
	for {
		var wait bool
		err := j.mutate(ctx, func(d *journalDoc) bool {
			e := d.Jobs[key]
			switch {
			case e != nil && e.ID != "" && e.ID != failed:
				ref, claimed, wait = JobRef{ID: e.ID, Submitted: e.Submitted}, false, false
				return false
			case e != nil && e.ID == "" && e.Owner == j.owner:
				ref, claimed, wait = JobRef{}, true, false
				return false
			case e != nil && e.ID == "" && time.Since(e.ClaimedAt) < claimTTL:
				ref, claimed, wait = JobRef{}, false, true
				return false
			}
			d.Jobs[key] = &journalEntry{Owner: j.owner, ClaimedAt: time.Now().UTC()}
			ref, claimed, wait = JobRef{}, true, false
			return true
		})
		if err != nil || !wait {
			return ref, claimed, err
		}
		// Another delivery is submitting this prompt's job right now.
		if !httpapi.Sleep(ctx, poll) {
			return JobRef{}, false, ctx.Err()
		}
		poll = min(2*poll, claimPollMax)
		if err := j.load(ctx); err != nil {
			return JobRef{}, false, err
		}
		j.mu.Lock()
		gone := j.objETag == ""
		j.mu.Unlock()
		if gone {
			return JobRef{}, false, ErrJournalGone
		}
	}
}

// Record journals job id for key, which this delivery claimed. If the claim
// was taken over meanwhile it returns errClaimLost: the job is a duplicate.
func (j *s3Journal) Record(ctx context.Context, key, id string) error {
	lost := false
	err := j.mutate(ctx, func(d *journalDoc) bool {
		e := d.Jobs[key]
		if e != nil && (e.ID != "" || e.Owner != j.owner) {
			lost = e.ID != id
			return false
		}
		lost = false
		d.Jobs[key] = &journalEntry{ID: id, Submitted: time.Now().UTC()}
		return true
	})
	if err == nil && lost {
		return errClaimLost
	}
	return err
}

// Release drops this delivery's claim on key (its submission failed), so
// that others need not wait it out.
func (j *s3Journal) Release(ctx context.Context, key string) {
	err := j.mutate(ctx, func(d *journalDoc) bool {
		if e := d.Jobs[key]; e != nil && e.ID == "" && e.Owner == j.owner {
			delete(d.Jobs, key)
			return true
		}
		return false
	})
	if err != nil {
		j.log.Warn("cannot release a journal claim: other deliveries wait it out", zap.Error(err))
	}
}

// Jobs returns the job ids journaled so far (as last seen).
func (j *s3Journal) Jobs() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var ids []string
	for _, e := range j.doc.Jobs {
		if e.ID != "" {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

// Delete removes the journal: its transcript version is summarized or
// given up for good. Harmless if it does not exist; no request at all when
// this delivery knows it does not.
func (j *s3Journal) Delete(ctx context.Context) {
	j.mu.Lock()
	absent := j.known && j.objETag == "" && !j.wrote
	j.mu.Unlock()
	if !absent {
		deleteJournal(ctx, j.s3, j.loc, j.log)
	}
}

// deleteJournal deletes the journal at loc; log names it already.
func deleteJournal(ctx context.Context, client s3API, loc location, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(loc.bucket), Key: aws.String(loc.key)}); err != nil && !s3x.IsNotFound(err) {
		log.Warn("cannot delete the job journal (harmless: it expires by its tag)", zap.Error(err))
	}
}

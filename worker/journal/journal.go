// Package journal keeps, durably in S3, the backend job of each prompt of
// one transcript version, shared by every delivery of that version (a
// retry, another replica after a shutdown or a crash, a duplicate
// notification), so that each prompt's job is submitted, and paid for,
// once: RunPod's /run has no idempotency key, and a job is found again only
// through this journal.
//
// The protocol lives here alone: a prompt is claimed with a conditional PUT
// before its job is submitted, the job id recorded right after; a claim
// whose job id has not appeared within claimTTL (longer than SubmitTimeout,
// the bound of a submission) is taken over; a claim taken over before its
// record makes the late job a duplicate (ErrClaimLost). Every change is a
// conditional write re-applied on conflict, and concurrent changes share
// PUTs. A journal that is unreadable or of another version is replaced,
// never trusted.
//
// The package never submits or cancels a job: it only remembers them.
package journal

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
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

// API is the part of the S3 client a journal uses.
type API interface {
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
}

var _ API = (*s3.Client)(nil)

// location is where a journal lives.
type location struct{ bucket, key string }

// Journal records the backend job of each prompt of one transcript version,
// durably and shared by every delivery of that version (a retry, another
// replica after a shutdown or a crash, a duplicate notification), so that
// each prompt's job is submitted, and paid for, once. Keys are PromptKey
// values. *S3 is the durable one.
type Journal interface {
	// Claim returns the job journaled for key, or claims key for the caller
	// (claimed true), who then submits the job and calls Record, or Release
	// if the submission failed. failed, if not empty, is a job of key that
	// failed or expired and is to be replaced. A claim held by another
	// delivery is waited out.
	Claim(ctx context.Context, key, failed string) (ref JobRef, claimed bool, err error)
	Record(ctx context.Context, key, jobID string) error
	Release(ctx context.Context, key string)
}

// None is the Journal of a call made without one: every prompt is
// claimed, and nothing is kept.
type None struct{}

func (None) Claim(context.Context, string, string) (JobRef, bool, error) {
	return JobRef{}, true, nil
}
func (None) Record(context.Context, string, string) error { return nil }
func (None) Release(context.Context, string)              {}

// PromptKey names a prompt in a Journal: chunking is deterministic, so the
// same transcript gives the same prompts on every delivery.
func PromptKey(prompt string) string {
	sum := sha256.Sum256([]byte(prompt))
	return hex.EncodeToString(sum[:12])
}

// Suffix ends the key of every job journal. It is not a transcript
// suffix, so neither the notification rules of the shipped template nor the
// default INPUT_SUFFIXES ever send a journal back to the queue.
const Suffix = ".jobs"

// Tag is the object tag on every journal (key=value), for a
// lifecycle rule that expires journals left behind by transcripts given up
// for good (dead-lettered messages, crashed replicas).
const Tag = "summarizer=journal"

// Key is the key of the job journal of one transcript version: the
// summary's key, the source ETag and Suffix. Each version has its
// own journal, so an overwrite never mixes two versions' jobs.
func Key(summaryKey, sourceETag string) string {
	return summaryKey + "." + sanitizeETag(sourceETag) + Suffix
}

func sanitizeETag(etag string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, strings.Trim(etag, `"`))
}

// SubmitTimeout bounds the submission of a claimed prompt's job (/run), so
// that a claim is recorded or released well within claimTTL. The timing
// rule claimTTL > SubmitTimeout lives here alone: a claim older than
// claimTTL belongs to a delivery that died between claim and record (or
// whose /run hung past SubmitTimeout), and may be taken over. A crash
// between claim and record thus delays that prompt by at most claimTTL.
const SubmitTimeout = 30 * time.Second

// Claim timing (see SubmitTimeout).
const (
	claimTTL       = 45 * time.Second
	claimPollMin   = 200 * time.Millisecond
	claimPollMax   = 2 * time.Second
	journalTimeout = 30 * time.Second
	maxConflicts   = 20
)

// ErrGone is returned while waiting for another delivery's claim
// when the journal disappears: that delivery stored the summary (or gave
// the transcript up). The caller checks for the summary before anything
// else.
var ErrGone = errors.New("job journal deleted while waiting for another delivery's job")

// ErrClaimLost: the claim was taken over before the job id could be
// recorded (this delivery was too slow); the caller's job is a duplicate.
var ErrClaimLost = errors.New("journal claim taken over by another delivery")

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

// S3 is the job journal of one transcript version, an S3 object
// next to its future summary, shared by every delivery of that version
// (redeliveries, duplicate notifications, other replicas). Every change is
// a conditional PUT (If-None-Match: * to create, If-Match its ETag to
// update) re-applied on a conflict, so concurrent deliveries never lose
// each other's entries, and a prompt is claimed by one delivery before its
// job is submitted: two deliveries never pay for the same prompt.
type S3 struct {
	s3    API
	loc   location
	etag  string // the transcript version's ETag
	owner string // this delivery's claim token
	// claimTTL is the package's claimTTL (tests shorten it).
	claimTTL time.Duration
	log      *zap.Logger

	mu      sync.Mutex
	doc     journalDoc
	objETag string // of the journal object; "" while it does not exist
	known   bool   // doc and objETag reflect S3 as last seen
	pending []*mutation
	writing bool
	wrote   bool // this delivery wrote the journal at least once
	created bool // this delivery created the journal object (If-None-Match)

	// Settled, if set, reports whether the transcript version is already
	// summarized. It is asked once, before any job is submitted, when this
	// delivery created the journal: another delivery may have stored the
	// summary and deleted its journal after this one last looked (a
	// prefetched message waits for a summarize slot with a stale view).
	// Created after that delete, the journal is new, so the summary is
	// surely visible by then: the version costs no second job.
	Settled func(ctx context.Context) (bool, error)
	settle  sync.Once
	settled bool
}

type mutation struct {
	apply func(d *journalDoc) bool // reports whether d changed
	done  chan error
}

// Open returns the journal of one transcript version. On a message's
// first delivery the journal usually does not exist yet, so the first write
// is tried as a creation without reading first; a conflict reads it.
func Open(client API, bucket, key, etag string, firstDelivery bool, log *zap.Logger) *S3 {
	loc := location{bucket, key}
	j := &S3{s3: client, loc: loc, etag: etag, owner: newOwner(), log: log.WithLazy(zap.String("journal", loc.key))}
	j.claimTTL = claimTTL
	j.doc = journalDoc{SourceETag: etag, Jobs: map[string]*journalEntry{}}
	j.known = firstDelivery
	return j
}

func newOwner() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Load reads the journal from S3. The caller holds no lock.
func (j *S3) Load(ctx context.Context) error {
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
	body, err := io.ReadAll(io.LimitReader(out.Body, maxBytes+1))
	if err != nil {
		return s3x.Err("read job journal", j.loc.bucket, j.loc.key, err)
	}
	if jobs, dropped, err := parse(body, j.etag); err != nil {
		// Unreadable, forged or not this version's: it is replaced on the
		// next write, and none of its jobs is adopted or cancelled.
		j.log.Warn("job journal unreadable or of another version: replaced", zap.Error(err))
	} else {
		doc.Jobs = jobs
		if dropped > 0 {
			j.log.Warn("job journal entries malformed: ignored", zap.Int("dropped", dropped))
		}
	}
	j.mu.Lock()
	j.doc, j.objETag, j.known = doc, s3x.UnquoteETag(out.ETag), true
	j.mu.Unlock()
	return nil
}

// MaxEntries is the most prompts a journal holds: a transcript may have no
// more map prompts and merges together (mapreduce caps its map calls at
// half of it), and a larger document is not one of ours. 4,096 entries
// of the longest job ids RunPod's shape allows stay under maxBytes.
const MaxEntries = 4096

// Bounds of a journal document.
const (
	maxEntries = MaxEntries
	maxBytes   = 1 << 20
)

// parse reads a journal document of the transcript version etag. It refuses
// a document that is not JSON, too large, of another version or with more
// than maxEntries entries, and drops (counting them) entries that are not a
// prompt key with a well-formed job id or claim: a forged or corrupt
// journal never makes a delivery adopt or cancel a job that is not one of
// this version's prompts'.
func parse(body []byte, etag string) (jobs map[string]*journalEntry, dropped int, err error) {
	if len(body) > maxBytes {
		return nil, 0, fmt.Errorf("journal over %d bytes", maxBytes)
	}
	var got journalDoc
	if err := json.Unmarshal(body, &got); err != nil {
		return nil, 0, fmt.Errorf("journal is not JSON: %w", err)
	}
	if got.SourceETag != etag {
		return nil, 0, errors.New("journal of another version")
	}
	if len(got.Jobs) > maxEntries {
		return nil, 0, fmt.Errorf("journal of %d entries, over %d", len(got.Jobs), maxEntries)
	}
	jobs = make(map[string]*journalEntry, len(got.Jobs))
	for k, e := range got.Jobs {
		if e == nil || !validKey(k) || !validEntry(e) {
			dropped++
			continue
		}
		jobs[k] = e
	}
	return jobs, dropped, nil
}

// validKey reports whether k has the shape of a PromptKey: 24 lowercase hex digits.
func validKey(k string) bool {
	return len(k) == 24 && validHex(k)
}

// validEntry reports whether e is a job (an id of RunPod's shape: letters,
// digits, '-' and '_', at most 128) or a claim (an owner token of 16 hex
// digits), not both.
func validEntry(e *journalEntry) bool {
	switch {
	case e.ID != "" && e.Owner == "":
		if len(e.ID) > 128 {
			return false
		}
		for _, c := range e.ID {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
		return true
	case e.ID == "" && e.Owner != "":
		return len(e.Owner) == 16 && validHex(e.Owner)
	}
	return false
}

func validHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// mutate applies fn to the journal and writes it if fn changed it.
// Concurrent calls share PUTs (group commit): while one PUT is under way,
// later mutations wait and go out together in the next. A conflict (the
// object changed since it was read) reloads it and applies the mutations
// again; fn must therefore decide from what it is given, every time.
func (j *S3) mutate(ctx context.Context, fn func(d *journalDoc) bool) error {
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
func (j *S3) commit(ctx context.Context, batch []*mutation) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	for range maxConflicts {
		j.mu.Lock()
		settled := j.settled
		j.mu.Unlock()
		if settled {
			return ErrGone
		}
		j.mu.Lock()
		known := j.known
		j.mu.Unlock()
		if !known {
			if err := j.Load(wctx); err != nil {
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
			Tagging: aws.String(Tag),
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
		if objETag == "" {
			j.created = true
		}
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
func (j *S3) Claim(ctx context.Context, key, failed string) (ref JobRef, claimed bool, err error) {
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
			case e != nil && e.ID == "" && time.Since(e.ClaimedAt) < j.claimTTL:
				ref, claimed, wait = JobRef{}, false, true
				return false
			}
			d.Jobs[key] = &journalEntry{Owner: j.owner, ClaimedAt: time.Now().UTC()}
			ref, claimed, wait = JobRef{}, true, false
			return true
		})
		if err == nil && claimed && j.alreadySettled(ctx) {
			return JobRef{}, false, ErrGone
		}
		if err != nil || !wait {
			return ref, claimed, err
		}
		// Another delivery is submitting this prompt's job right now.
		if !httpapi.Sleep(ctx, poll) {
			return JobRef{}, false, ctx.Err()
		}
		poll = min(2*poll, claimPollMax)
		if err := j.Load(ctx); err != nil {
			return JobRef{}, false, err
		}
		j.mu.Lock()
		gone := j.objETag == ""
		j.mu.Unlock()
		if gone {
			return JobRef{}, false, ErrGone
		}
	}
}

// alreadySettled asks Settled once, when this delivery created the
// journal, and reports its answer; a journal made for a version already
// summarized is deleted (ErrGone sends its deliveries to the summary).
func (j *S3) alreadySettled(ctx context.Context) bool {
	j.mu.Lock()
	created := j.created
	j.mu.Unlock()
	if !created || j.Settled == nil {
		return false
	}
	j.settle.Do(func() {
		done, err := j.Settled(ctx)
		if err == nil && done {
			j.mu.Lock()
			j.settled = true // no write of this delivery recreates it
			j.mu.Unlock()
			j.log.Info("the summary of this version was stored meanwhile: no job submitted")
			j.Delete(ctx)
		}
	})
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.settled
}

// Record journals job id for key, which this delivery claimed. If the claim
// was taken over meanwhile it returns ErrClaimLost: the job is a duplicate.
func (j *S3) Record(ctx context.Context, key, id string) error {
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
		return ErrClaimLost
	}
	return err
}

// Release drops this delivery's claim on key (its submission failed), so
// that others need not wait it out.
func (j *S3) Release(ctx context.Context, key string) {
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
func (j *S3) Jobs() []string {
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

// DeleteAt deletes the journal of the transcript version whose summary is
// s3://bucket/summaryKey and whose ETag is etag, without reading it.
// Harmless if it does not exist.
func DeleteAt(ctx context.Context, client API, bucket, summaryKey, etag string, log *zap.Logger) {
	loc := location{bucket, Key(summaryKey, etag)}
	deleteAt(ctx, client, loc, log.With(zap.String("journal", loc.key)))
}

// Delete removes the journal: its transcript version is summarized or
// given up for good. Harmless if it does not exist; no request at all when
// this delivery knows it does not.
func (j *S3) Delete(ctx context.Context) {
	j.mu.Lock()
	absent := j.known && j.objETag == "" && !j.wrote
	j.mu.Unlock()
	if !absent {
		deleteAt(ctx, j.s3, j.loc, j.log)
	}
}

// deleteAt deletes the journal at loc; log names it already.
func deleteAt(ctx context.Context, client API, loc location, log *zap.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), journalTimeout)
	defer cancel()
	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(loc.bucket), Key: aws.String(loc.key)}); err != nil && !s3x.IsNotFound(err) {
		log.Warn("cannot delete the job journal (harmless: it expires by its tag)", zap.Error(err))
	}
}

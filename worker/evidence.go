package worker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/s3x"
)

// access decides whose fault an access denied on an input object is. A
// hold needs evidence that every message would hit the cause: an object
// the worker may not read while other objects of the same bucket are read
// (a KMS key without a grant, a bucket policy on a prefix) is that
// object's own fault, dead-lettered with reason access_denied; a bucket
// the worker cannot read at all (IAM broken) holds every message until it
// is fixed. The evidence is a read of another object of the bucket after
// the denial: one the worker made for another message, or one it makes at
// once: a HEAD of the object of that bucket it read last, or, when it has
// read none yet, of a few objects a one-page listing names. So held
// messages never keep a replica from learning that the bucket is readable.
// Without s3:ListBucket, a replica that has read nothing of the bucket yet
// holds the message, and its next look uses what it read meanwhile.
type access struct {
	s3 s3API

	mu     sync.Mutex
	recent map[string]readOf    // bucket → the last object read in it
	denied map[string]time.Time // bucket/key/etag → its first denial
}

type readOf struct {
	key, etag string
	at        time.Time
}

// accessMemory bounds what access remembers: entries older than this are
// dropped (a denial that old has been looked at again many times).
const (
	accessMemory = time.Hour
	accessCap    = 10000
	probeKeys    = 5 // objects a listing probe tries
)

func newAccess(client s3API) *access {
	return &access{s3: client, recent: map[string]readOf{}, denied: map[string]time.Time{}}
}

// read records a successful read of s3://bucket/key.
func (a *access) read(bucket, key, etag string) {
	a.mu.Lock()
	a.recent[bucket] = readOf{key: key, etag: etag, at: time.Now()}
	a.mu.Unlock()
}

// classify turns an access denied on s3://bucket/key (version etag, if
// known) into the message's own permanent failure or a configuration hold.
func (a *access) classify(ctx context.Context, bucket, key, etag string, err error) error {
	now := time.Now()
	id := bucket + "/" + key + "/" + etag
	a.mu.Lock()
	first, seen := a.denied[id]
	if !seen {
		a.forget(now)
		first = now
		a.denied[id] = first
	}
	last, known := a.recent[bucket]
	a.mu.Unlock()
	if known && last.at.After(first) {
		return a.own(id, bucket, key, err)
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	candidates := []string{last.key}
	if !known {
		candidates = a.list(pctx, bucket)
	}
	denied := false
	for _, k := range candidates {
		if k == "" || k == key {
			continue
		}
		// Look now: can the worker read another object of the bucket?
		_, perr := a.s3.HeadObject(pctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		switch {
		case perr == nil || s3x.IsNotFound(perr):
			// Readable (or gone, which S3 says only to a reader).
			a.read(bucket, k, "")
			return a.own(id, bucket, key, err)
		case s3x.IsAccessDenied(perr):
			denied = true
		}
	}
	if denied {
		return outcome.Hold(outcome.CauseConfig, fmt.Errorf("no object of s3://%s can be read (IAM, credentials): %w", bucket, err))
	}
	return outcome.Hold(outcome.CauseConfig, fmt.Errorf("access denied, and no other object of s3://%s read since: held until one is: %w", bucket, err))
}

// list names a few objects of bucket (one page, no more than probeKeys),
// or none when the worker may not list it.
func (a *access) list(ctx context.Context, bucket string) []string {
	out, err := a.s3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(probeKeys)})
	if err != nil {
		return nil
	}
	keys := make([]string, 0, len(out.Contents))
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// own is the verdict "this object's own fault".
func (a *access) own(id, bucket, key string, err error) error {
	a.mu.Lock()
	delete(a.denied, id)
	a.mu.Unlock()
	return outcome.Permanent(outcome.ReasonAccessDenied,
		fmt.Errorf("s3://%s/%s cannot be read while other objects of the bucket can (a bucket policy, a KMS key without a grant): %w", bucket, key, err))
}

// forget drops old denials. The caller holds a.mu.
func (a *access) forget(now time.Time) {
	if len(a.denied) < accessCap {
		return
	}
	for id, at := range a.denied {
		if now.Sub(at) > accessMemory || len(a.denied) >= accessCap {
			delete(a.denied, id)
		}
	}
}

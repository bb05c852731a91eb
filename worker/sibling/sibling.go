package sibling

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/internal/s3x"
)

// richness ranks the transcript extensions: speakers over timings over
// plain text.
var richness = map[string]int{
	".json": 5,
	".vtt":  4,
	".srt":  3,
	".tsv":  2,
	".txt":  1, ".text": 1, ".md": 1,
}

// top is the richest rank: nothing can outrank it.
const top = 5

// Name is a key read as a transcript of a recording.
type Name struct {
	Key  string // the whole key
	Stem string // the key up to its transcript extension: the recording
	Ext  string // the transcript extension, lower case, without ".gz"
}

// Parse reads key as a transcript of a recording; ok is false when key
// does not end in a transcript extension (optionally followed by .gz, any
// case) after a stem of at least one character.
func Parse(key string) (n Name, ok bool) {
	k := key
	if len(k) >= 3 && strings.EqualFold(k[len(k)-3:], ".gz") {
		k = k[:len(k)-3]
	}
	i := strings.LastIndexByte(k, '.')
	if i <= 0 {
		return Name{}, false
	}
	ext := strings.ToLower(k[i:])
	if richness[ext] == 0 {
		return Name{}, false
	}
	return Name{Key: key, Stem: k[:i], Ext: ext}, true
}

// Rank is the richness of n's extension: higher is richer.
func (n Name) Rank() int { return richness[n.Ext] }

// Richer reports whether n is richer than o: a richer extension, or the
// same richness and a key that sorts first. Over distinct keys it is a
// strict total order, so any set of siblings has exactly one richest.
func (n Name) Richer(o Name) bool {
	if n.Rank() != o.Rank() {
		return n.Rank() > o.Rank()
	}
	return n.Key < o.Key
}

// Lister is the S3 call a Finder makes.
type Lister interface {
	ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ Lister = (*s3.Client)(nil)

// SettleDefault is Finder.Settle when zero.
const SettleDefault = 5 * time.Second

// maxLooks bounds the listings of one Richer call: one, and a few more
// while siblings keep arriving.
const maxLooks = 4

// Finder finds a richer sibling of a transcript. It is safe for
// concurrent use.
type Finder struct {
	// S3 lists the recording.
	S3 Lister
	// IsWork reports whether a key of a bucket is work for the worker
	// (input prefix and suffixes, not an output): only those are
	// siblings. Nil counts every key with a transcript extension.
	IsWork func(bucket, key string) bool
	// Settle is how old the newest sibling must be before a poorer one's
	// look ends with "none richer" (default SettleDefault).
	Settle time.Duration
	// Logger receives the one line per bucket that cannot be listed; nil
	// discards it.
	Logger *zap.Logger

	denied sync.Map // bucket → struct{}: its listing was denied (logged)
}

// Result is what a look found.
type Result struct {
	// Richer is the key of the richest sibling when it is richer than the
	// transcript looked at, else "".
	Richer string
	// Siblings counts the other transcripts of the recording that are work.
	Siblings int
	// Looks counts the listings made; Waited is the time spent settling
	// between them.
	Looks  int
	Waited time.Duration
}

// Richer looks for a transcript of the same recording as s3://bucket/key
// that is richer: see the package documentation for the look, the settle
// wait and what a denied listing means. A key without a transcript
// extension is not looked at. The error, if any, is a listing's failure,
// classified, or the context's.
func (f *Finder) Richer(ctx context.Context, bucket, key string) (Result, error) {
	var res Result
	self, ok := Parse(key)
	if !ok {
		return res, nil
	}
	settle := f.Settle
	if settle <= 0 {
		settle = SettleDefault
	}
	for {
		sibs, newest, err := f.list(ctx, bucket, self)
		res.Looks++
		if err != nil {
			switch {
			case s3x.IsAccessDenied(err):
				if _, logged := f.denied.LoadOrStore(bucket, struct{}{}); !logged && f.Logger != nil {
					f.Logger.Warn("cannot list the bucket (s3:ListBucket): every transcript file is summarized, siblings of one recording too (SIBLINGS=richest needs the listing)",
						zap.String("bucket", bucket), zap.Error(err))
				}
				return res, nil
			case s3x.IsNotFound(err):
				return res, nil
			}
			return res, s3x.Err("list", bucket, self.Stem+".", err)
		}
		res.Siblings = len(sibs)
		if len(sibs) == 0 {
			return res, nil
		}
		best := sibs[0]
		for _, s := range sibs[1:] {
			if s.Richer(best) {
				best = s
			}
		}
		if best.Richer(self) {
			res.Richer = best.Key
			return res, nil
		}
		// Others, none richer yet: wait while the upload may go on.
		wait := min(time.Until(newest.Add(settle)), settle)
		if self.Rank() == top || wait <= 0 || res.Looks == maxLooks {
			return res, nil
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
			res.Waited += wait
		case <-ctx.Done():
			t.Stop()
			return res, context.Cause(ctx)
		}
	}
}

// list returns the siblings of self in bucket that are work, and the
// newest modification time among them and self.
func (f *Finder) list(ctx context.Context, bucket string, self Name) (sibs []Name, newest time.Time, err error) {
	out, err := f.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(self.Stem + ".")})
	if err != nil {
		return nil, time.Time{}, err
	}
	for _, o := range out.Contents {
		k := aws.ToString(o.Key)
		n, ok := Parse(k)
		if !ok || n.Stem != self.Stem || (f.IsWork != nil && k != self.Key && !f.IsWork(bucket, k)) {
			continue
		}
		if t := aws.ToTime(o.LastModified); t.After(newest) {
			newest = t
		}
		if k != self.Key {
			sibs = append(sibs, n)
		}
	}
	return sibs, newest, nil
}

package worker

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/queue/outcome"
	"github.com/summarizer/summarizer/worker/internal/s3x"
	"github.com/summarizer/summarizer/worker/transcript"
)

// object is a transcript read from S3.
type object struct {
	text string
	etag string
	size int64
}

// errObjectChanged: the object is no longer the version an event names (a
// read with If-Match got 412), or changed while it was summarized.
var errObjectChanged = errors.New("object changed since the event")

// fetch reads an object, enforcing MaxObjectBytes while reading: the body is
// never read past the limit, whatever Content-Length says. With an etag, the
// read is conditional (If-Match): another version gives errObjectChanged.
func (w *Worker) fetch(ctx context.Context, bucket, key, etag string) (object, error) {
	return fetchObject(ctx, w.s3, bucket, key, etag, w.cfg.MaxObjectBytes)
}

// head checks that an object exists and is within the size limit, without
// reading it (for backends that fetch the object themselves); conditional
// on etag like fetch.
func (w *Worker) head(ctx context.Context, bucket, key, etag string) (object, error) {
	in := &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if etag != "" {
		in.IfMatch = aws.String(s3x.QuoteETag(etag))
	}
	out, err := w.s3.HeadObject(ctx, in)
	if err != nil {
		if s3x.IsPreconditionFailed(err) {
			return object{}, errObjectChanged
		}
		if s3x.IsNotFound(err) {
			return object{}, outcome.Permanent(outcome.ReasonNotFound, fmt.Errorf("s3://%s/%s does not exist: %w", bucket, key, err))
		}
		return object{}, s3x.Err("head", bucket, key, err)
	}
	size := aws.ToInt64(out.ContentLength)
	if size > w.cfg.MaxObjectBytes {
		return object{}, outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf("s3://%s/%s is %d bytes, over MAX_OBJECT_BYTES %d", bucket, key, size, w.cfg.MaxObjectBytes))
	}
	if size == 0 {
		return object{}, outcome.Permanent(outcome.ReasonBadFormat, fmt.Errorf("s3://%s/%s: empty transcript", bucket, key))
	}
	return object{etag: s3x.UnquoteETag(out.ETag), size: size}, nil
}

// ReadObject reads the transcript text of s3://bucket/key, at most limit
// bytes, with owner (if not empty) as the expected bucket owner; errors are
// classified like the worker's (not_found, too_large, bad_format are
// permanent).
func ReadObject(ctx context.Context, client s3API, bucket, key, owner string, limit int64) (string, error) {
	s3c := shallowS3{s3API: client}
	if owner != "" {
		s3c.owner = &owner
	}
	obj, err := fetchObject(ctx, s3c, bucket, key, "", limit)
	return obj.text, err
}

func fetchObject(ctx context.Context, client s3API, bucket, key, etag string, limit int64) (object, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if etag != "" {
		in.IfMatch = aws.String(s3x.QuoteETag(etag))
	}
	out, err := client.GetObject(ctx, in)
	if err != nil {
		if s3x.IsPreconditionFailed(err) {
			return object{}, errObjectChanged
		}
		if s3x.IsNotFound(err) {
			return object{}, outcome.Permanent(outcome.ReasonNotFound, fmt.Errorf("s3://%s/%s does not exist: %w", bucket, key, err))
		}
		return object{}, s3x.Err("get", bucket, key, err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > limit {
		return object{}, outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf("s3://%s/%s is %d bytes, over MAX_OBJECT_BYTES %d", bucket, key, n, limit))
	}
	text, size, err := readText(out.Body, aws.ToInt64(out.ContentLength), key, aws.ToString(out.ContentEncoding), limit)
	if err != nil {
		return object{}, fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
	}
	return object{text: text, etag: s3x.UnquoteETag(out.ETag), size: size}, nil
}

// ReadText reads at most limit bytes of transcript from r and decodes them
// with transcript.Decode (format detection by key and content, gzip, BOM,
// CRLF). More than limit bytes, before or after decompression, is a
// permanent too_large error; content that is not a transcript a permanent
// bad_format error. It never reads more than limit+1 bytes.
func ReadText(r io.Reader, key, contentEncoding string, limit int64) (text string, size int64, err error) {
	return readText(r, 0, key, contentEncoding, limit)
}

// readText is ReadText for a body that says its length (0: unknown): the
// buffer is sized once, not doubled while it is read (io.ReadAll of a
// 19 MiB body allocates two to three times that).
func readText(r io.Reader, length int64, key, contentEncoding string, limit int64) (text string, size int64, err error) {
	data, err := readAll(io.LimitReader(r, limit+1), min(max(length, 0), limit)+1)
	if err != nil {
		return "", 0, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return "", 0, outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf("over MAX_OBJECT_BYTES %d", limit))
	}
	text, _, err = transcript.Decode(data, key, contentEncoding, limit)
	switch {
	case errors.Is(err, transcript.ErrTooLarge):
		return "", 0, outcome.Permanent(outcome.ReasonTooLarge, err)
	case err != nil:
		return "", 0, outcome.Permanent(outcome.ReasonBadFormat, err)
	}
	return text, int64(len(data)), nil
}

// readAll is io.ReadAll into a buffer of capacity size to begin with.
func readAll(r io.Reader, size int64) ([]byte, error) {
	b := make([]byte, 0, max(size, 512))
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
	}
}

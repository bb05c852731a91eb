package worker

import (
	"bytes"
	"compress/gzip"
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
// mem is what the record holds of MaxInflightBytes; fetch makes it what
// the object holds in memory (see fetchObject).
func (w *Worker) fetch(ctx context.Context, bucket, key, etag string, mem *held) (object, error) {
	return fetchObject(ctx, w.s3, bucket, key, etag, w.cfg.MaxObjectBytes, mem)
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
	obj, err := fetchObject(ctx, s3c, bucket, key, "", limit, nil)
	return obj.text, err
}

// maxReads bounds the reads of one object by fetchObject: a second read
// is of the same version (If-Match), so it fits the room the first asked
// for, unless the event named no version and the object keeps changing.
const maxReads = 3

// fetchObject reads and decodes an object within the room mem holds,
// which it makes the bytes the object holds in memory: its size, and for
// gzip (by its magic bytes, whatever the key or Content-Encoding say) its
// inflated size too, the two being in memory at once while it is
// decoded. The inflated size is learned before anything is inflated into
// memory: the object is inflated once into a counter, at most limit+1
// bytes, so a gzip bomb fails too_large having allocated nothing. The room
// is taken without waiting while the object is in hand; when it is not
// free, the record gives back all it holds, drops the bytes, waits in line
// for all it needs and reads the object again. A record never waits for
// more while it holds some: records that did could between them hold all
// of MaxInflightBytes and wait for each other for ever.
func fetchObject(ctx context.Context, client s3API, bucket, key, etag string, limit int64, mem *held) (object, error) {
	for reads := 1; ; reads++ {
		obj, need, err := readObject(ctx, client, bucket, key, etag, limit, mem)
		if need == 0 || err != nil {
			return obj, err
		}
		if reads == maxReads {
			return object{}, fmt.Errorf("s3://%s/%s changed size while it waited for memory %d times", bucket, key, reads)
		}
		if err := mem.reacquire(ctx, need); err != nil {
			return object{}, err
		}
	}
}

// readObject is one read of fetchObject. need, when not 0, is the room
// the object needs and mem could not take without waiting; the object was
// then not read (or its bytes dropped).
func readObject(ctx context.Context, client s3API, bucket, key, etag string, limit int64, mem *held) (obj object, need int64, err error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if etag != "" {
		in.IfMatch = aws.String(s3x.QuoteETag(etag))
	}
	out, err := client.GetObject(ctx, in)
	if err != nil {
		if s3x.IsPreconditionFailed(err) {
			return object{}, 0, errObjectChanged
		}
		if s3x.IsNotFound(err) {
			return object{}, 0, outcome.Permanent(outcome.ReasonNotFound, fmt.Errorf("s3://%s/%s does not exist: %w", bucket, key, err))
		}
		return object{}, 0, s3x.Err("get", bucket, key, err)
	}
	defer out.Body.Close()
	length := aws.ToInt64(out.ContentLength)
	if length > limit {
		return object{}, 0, outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf("s3://%s/%s is %d bytes, over MAX_OBJECT_BYTES %d", bucket, key, length, limit))
	}
	if !mem.grow(length) {
		return object{}, length, nil
	}
	data, err := readAll(io.LimitReader(out.Body, limit+1), min(max(length, 0), limit)+1)
	if err != nil {
		return object{}, 0, fmt.Errorf("s3://%s/%s: read: %w", bucket, key, err)
	}
	need = int64(len(data))
	if need > limit {
		return object{}, 0, outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf("s3://%s/%s: over MAX_OBJECT_BYTES %d", bucket, key, limit))
	}
	if bytes.HasPrefix(data, gzipMagic) {
		inflated := inflatedSize(data, limit)
		if inflated > limit {
			return object{}, 0, outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf("s3://%s/%s: gzip content over MAX_OBJECT_BYTES %d once decompressed", bucket, key, limit))
		}
		need += inflated
	}
	if !mem.grow(need) {
		return object{}, need, nil
	}
	mem.shrink(need) // an event without a size was admitted at the limit
	text, err := decode(data, key, aws.ToString(out.ContentEncoding), limit)
	if err != nil {
		return object{}, 0, fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
	}
	return object{text: text, etag: s3x.UnquoteETag(out.ETag), size: int64(len(data))}, 0, nil
}

// gzipMagic starts every gzip member (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// inflatedSize is the size gzip data inflates to, counted without keeping
// it, and at most limit+1: one byte more says "over the limit". The
// reader reads every member, as transcript.Decode's does. A stream that
// fails part way counts what it gave before the failure, which is what
// decoding it holds before it fails the same way.
func inflatedSize(data []byte, limit int64) int64 {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(zr, limit+1))
	return n
}

// ReadText reads at most limit bytes of transcript from r and decodes them
// with transcript.Decode (format detection by key and content, gzip, BOM,
// CRLF). More than limit bytes, before or after decompression, is a
// permanent too_large error; content that is not a transcript a permanent
// bad_format error. It never reads more than limit+1 bytes.
func ReadText(r io.Reader, key, contentEncoding string, limit int64) (text string, size int64, err error) {
	data, err := readAll(io.LimitReader(r, limit+1), 0)
	if err != nil {
		return "", 0, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return "", 0, outcome.Permanent(outcome.ReasonTooLarge, fmt.Errorf("over MAX_OBJECT_BYTES %d", limit))
	}
	text, err = decode(data, key, contentEncoding, limit)
	if err != nil {
		return "", 0, err
	}
	return text, int64(len(data)), nil
}

// decode is transcript.Decode with its errors classified: too_large and
// bad_format are permanent.
func decode(data []byte, key, contentEncoding string, limit int64) (string, error) {
	text, _, err := transcript.Decode(data, key, contentEncoding, limit)
	switch {
	case errors.Is(err, transcript.ErrTooLarge):
		return "", outcome.Permanent(outcome.ReasonTooLarge, err)
	case err != nil:
		return "", outcome.Permanent(outcome.ReasonBadFormat, err)
	}
	return text, nil
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

package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// object is a transcript read from S3.
type object struct {
	text string
	etag string
	size int64
}

// fetch reads an object, enforcing MaxObjectBytes while reading: the body is
// never read past the limit, whatever Content-Length says.
func (w *Worker) fetch(ctx context.Context, bucket, key string) (object, error) {
	return fetchObject(ctx, w.s3, bucket, key, w.cfg.MaxObjectBytes)
}

// ReadObject reads the transcript text of s3://bucket/key, at most limit
// bytes; errors are classified like the worker's (not_found, too_large,
// bad_format are permanent).
func ReadObject(ctx context.Context, client s3API, bucket, key string, limit int64) (string, error) {
	obj, err := fetchObject(ctx, client, bucket, key, limit)
	return obj.text, err
}

func fetchObject(ctx context.Context, client s3API, bucket, key string, limit int64) (object, error) {
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		if isNotFound(err) {
			return object{}, Permanent(ReasonNotFound, fmt.Errorf("s3://%s/%s does not exist: %w", bucket, key, err))
		}
		return object{}, fmt.Errorf("get s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	if n := aws.ToInt64(out.ContentLength); n > limit {
		return object{}, Permanent(ReasonTooLarge, fmt.Errorf("s3://%s/%s is %d bytes, over MAX_OBJECT_BYTES %d", bucket, key, n, limit))
	}
	text, size, err := ReadText(out.Body, limit)
	if err != nil {
		return object{}, fmt.Errorf("s3://%s/%s: %w", bucket, key, err)
	}
	return object{text: text, etag: strings.Trim(aws.ToString(out.ETag), `"`), size: size}, nil
}

// ReadText reads at most limit bytes of transcript from r and decodes them
// with DecodeText. More than limit bytes is a permanent too_large error, a
// body that is not text a permanent bad_format error; neither reads more
// than limit+1 bytes.
func ReadText(r io.Reader, limit int64) (text string, size int64, err error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return "", 0, fmt.Errorf("read: %w", err)
	}
	if int64(len(data)) > limit {
		return "", 0, Permanent(ReasonTooLarge, fmt.Errorf("over MAX_OBJECT_BYTES %d", limit))
	}
	text, err = DecodeText(data)
	if err != nil {
		return "", 0, Permanent(ReasonBadFormat, err)
	}
	return text, int64(len(data)), nil
}

// DecodeText turns an object's bytes into transcript text: it must be UTF-8
// without NUL bytes (binary data is refused), a BOM is dropped and CRLF
// line ends become LF. Text with nothing but white space is refused too.
func DecodeText(data []byte) (string, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(data, 0) >= 0 {
		return "", errors.New("binary content (NUL bytes), not a text transcript")
	}
	if !utf8.Valid(data) {
		return "", errors.New("content is not valid UTF-8 text")
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	if strings.TrimSpace(text) == "" {
		return "", errors.New("empty transcript")
	}
	return text, nil
}

// isNotFound reports whether an S3 error says the object or bucket is missing.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var nsb *types.NoSuchBucket
	if errors.As(err, &nsk) || errors.As(err, &nf) || errors.As(err, &nsb) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket", "404":
			return true
		}
	}
	return false
}

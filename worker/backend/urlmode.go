package backend

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/summarizer/summarizer/worker/journal"
)

// Presigner makes a time-limited GET URL of an object.
type Presigner interface {
	PresignGet(ctx context.Context, bucket, key string, expires time.Duration) (string, error)
}

// PresignerFunc adapts a function to Presigner.
type PresignerFunc func(ctx context.Context, bucket, key string, expires time.Duration) (string, error)

// PresignGet calls f.
func (f PresignerFunc) PresignGet(ctx context.Context, bucket, key string, expires time.Duration) (string, error) {
	return f(ctx, bucket, key, expires)
}

// S3Presigner presigns GET URLs with an S3 client's credentials; owner, if
// not empty, is the expected bucket owner the URL carries.
func S3Presigner(c *s3.Client, owner string) Presigner {
	p := s3.NewPresignClient(c)
	return PresignerFunc(func(ctx context.Context, bucket, key string, expires time.Duration) (string, error) {
		in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
		if owner != "" {
			in.ExpectedBucketOwner = aws.String(owner)
		}
		req, err := p.PresignGetObject(ctx, in, s3.WithPresignExpires(expires))
		if err != nil {
			return "", fmt.Errorf("presign s3://%s/%s: %w", bucket, key, err)
		}
		return req.URL, nil
	})
}

// URLMode is the seed design's alternative architecture: the worker sends a
// presigned GET URL of the object ({"input":{"url":...}}) and a RunPod
// worker of your own fetches and summarizes it. The worker never reads the
// transcript (it checks its size with HEAD), and there is no chunking. The
// job is journaled like any other: a transcript version is paid for once.
type URLMode struct {
	Model   RunPodModel
	Presign Presigner
	Expires time.Duration // lifetime of the URL; make it outlive the job
}

// ReadsObject is true: the worker does not download the object.
func (URLMode) ReadsObject() bool { return true }

// Summarize submits the object's URL as one job.
func (u URLMode) Summarize(ctx context.Context, doc Document) (Summary, error) {
	url, err := u.Presign.PresignGet(ctx, doc.Bucket, doc.Key, u.Expires)
	if err != nil {
		return Summary{}, err
	}
	c, err := u.Model.CompleteInput(ctx, journal.PromptKey("url\x00"+doc.Bucket+"\x00"+doc.Key+"\x00"+doc.ETag), map[string]any{"url": url}, doc.Journal)
	return Summary{Text: c.Text, Model: u.Model.Name(), Chunks: 1, JobIDs: c.JobIDs}, err
}

// Abandon cancels jobs of a transcript given up for good.
func (u URLMode) Abandon(ctx context.Context, ids []string) { u.Model.Abandon(ctx, ids) }

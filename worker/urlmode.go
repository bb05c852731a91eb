package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/worker/runpod"
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

// S3Presigner presigns GET URLs with an S3 client's credentials.
func S3Presigner(c *s3.Client) Presigner {
	p := s3.NewPresignClient(c)
	return PresignerFunc(func(ctx context.Context, bucket, key string, expires time.Duration) (string, error) {
		req, err := p.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}, s3.WithPresignExpires(expires))
		if err != nil {
			return "", fmt.Errorf("presign s3://%s/%s: %w", bucket, key, err)
		}
		return req.URL, nil
	})
}

// runInputClient is the part of the RunPod client URL mode uses.
type runInputClient interface {
	RunInput(ctx context.Context, input any) (runpod.Result, error)
}

// URLMode is the seed design's alternative architecture: the worker sends a
// presigned GET URL of the object ({"input":{"url":...}}) and a RunPod
// worker of your own fetches and summarizes it. The worker never reads the
// transcript (it checks its size with HEAD), and there is no chunking.
type URLMode struct {
	Client  runInputClient
	Presign Presigner
	Model   string
	Expires time.Duration // lifetime of the URL; make it outlive the job
}

// NeedsText is false: the worker does not download the object.
func (URLMode) NeedsText() bool { return false }

// Summarize submits the object's URL as one job.
func (u URLMode) Summarize(ctx context.Context, doc Document) (Summary, error) {
	url, err := u.Presign.PresignGet(ctx, doc.Bucket, doc.Key, u.Expires)
	if err != nil {
		return Summary{}, err
	}
	res, err := u.Client.RunInput(ctx, map[string]any{"url": url})
	return Summary{Text: res.Text, Model: u.Model, Chunks: 1, JobIDs: res.JobIDs}, err
}

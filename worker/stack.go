package worker

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/worker/internal/httpapi"
)

// shallowS3 runs every S3 call on a goroutine of its own. A message's
// goroutine lives as long as its RunPod jobs, minutes at times, mostly
// waiting; the SDK's middleware stack is deep, and a goroutine's stack stays
// as large as it once grew. With thousands of messages in flight that was
// two thirds of the worker's memory; on a short-lived goroutine the deep
// stack is freed with it.
//
// It also sends the expected bucket owner on every call, when there is one:
// a forged event naming a bucket of another account fails with
// AccessDenied instead of reading (or writing) that account's objects.
type shallowS3 struct {
	s3API
	owner *string // nil: no expected owner
}

func (c shallowS3) GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	if in.ExpectedBucketOwner == nil {
		in.ExpectedBucketOwner = c.owner
	}
	return httpapi.OnOwnStack(func() (*s3.GetObjectOutput, error) { return c.s3API.GetObject(ctx, in, opts...) })
}

func (c shallowS3) HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	if in.ExpectedBucketOwner == nil {
		in.ExpectedBucketOwner = c.owner
	}
	return httpapi.OnOwnStack(func() (*s3.HeadObjectOutput, error) { return c.s3API.HeadObject(ctx, in, opts...) })
}

func (c shallowS3) PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	if in.ExpectedBucketOwner == nil {
		in.ExpectedBucketOwner = c.owner
	}
	return httpapi.OnOwnStack(func() (*s3.PutObjectOutput, error) { return c.s3API.PutObject(ctx, in, opts...) })
}

func (c shallowS3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	if in.ExpectedBucketOwner == nil {
		in.ExpectedBucketOwner = c.owner
	}
	return httpapi.OnOwnStack(func() (*s3.DeleteObjectOutput, error) { return c.s3API.DeleteObject(ctx, in, opts...) })
}

func (c shallowS3) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	if in.ExpectedBucketOwner == nil {
		in.ExpectedBucketOwner = c.owner
	}
	return httpapi.OnOwnStack(func() (*s3.ListObjectsV2Output, error) { return c.s3API.ListObjectsV2(ctx, in, opts...) })
}

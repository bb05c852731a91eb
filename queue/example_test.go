package queue_test

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/queue"
	"github.com/summarizer/summarizer/queue/outcome"
)

// A consumer that handles messages until SIGTERM, then drains. The handler's
// error decides each message's outcome.
func ExampleConsumer_Run() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	h := queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		switch {
		case m.Body == "":
			return outcome.Permanent(outcome.ReasonBadMessage, fmt.Errorf("empty body")) // to the DLQ
		case m.Body == "ping":
			return outcome.Skip("health check") // deleted, counted as skipped
		}
		return nil // done: deleted
	})
	c, err := queue.New(sqs.NewFromConfig(cfg), "https://sqs.eu-west-1.amazonaws.com/123456789012/work", h,
		queue.Config{Concurrency: 8, Logger: zap.NewExample()})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.Run(ctx); err != nil {
		fmt.Println(err)
	}
}

func ExampleDLQFromRedrivePolicy() {
	url, _ := queue.DLQFromRedrivePolicy("https://sqs.eu-west-1.amazonaws.com/123456789012/work",
		`{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:123456789012:work-dlq","maxReceiveCount":"5"}`)
	fmt.Println(url)
	// Output: https://sqs.eu-west-1.amazonaws.com/123456789012/work-dlq
}

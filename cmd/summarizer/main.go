// Command summarizer turns transcripts uploaded to S3 into summaries written
// by a language model on RunPod Serverless. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/summarizer/summarizer/cmd/internal/settings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// exitCode is 0 on success, 2 for bad usage or settings (already printed as
// one line), 1 for any other failure (printed here).
func exitCode(err error) int {
	var ue *settings.UsageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		fmt.Fprintln(os.Stderr, "summarizer:", err)
		return 1
	}
}

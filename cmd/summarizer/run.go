package main

import (
	"context"
	"fmt"
	"io"

	"github.com/summarizer/summarizer/cmd/internal/settings"
)

const usage = `usage: summarizer COMMAND [flags]

commands:
  run               the queue worker (until SIGTERM/SIGINT, then drains)
  replay            move dead-lettered messages back to the source queue
  summarize PATH    one-shot: summarize a local file, s3://BUCKET/KEY or - (stdin) to stdout
  runpod-emulator   a local server that speaks the RunPod Serverless API

'summarizer COMMAND --help' lists a command's settings.`

// run is the whole program: main only wires signals and the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return &settings.UsageError{Msg: "no command"}
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "run":
		err = cmdRun(ctx, rest, getenv, stderr)
	case "replay":
		err = cmdReplay(ctx, rest, getenv, stdout, stderr)
	case "summarize":
		err = cmdSummarize(ctx, rest, getenv, stdout, stderr)
	case "runpod-emulator":
		err = cmdEmulator(ctx, rest, getenv, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		err = &settings.UsageError{Msg: fmt.Sprintf("summarizer: unknown command %q (run, replay, summarize, runpod-emulator)", cmd)}
	}
	if ue, ok := err.(*settings.UsageError); ok && ue.Msg != "" {
		fmt.Fprintln(stderr, ue.Msg)
	}
	return err
}

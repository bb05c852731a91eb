package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/summarizer/summarizer/worker"
)

// cmdSummarize is `summarizer summarize PATH|s3://B/K|-`: one transcript
// through the same backend, summary to stdout.
func cmdSummarize(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var s settings
	opts := append(backendOptions(&s), awsOptions(&s)...)
	opts = append(opts, option{env: "MAX_OBJECT_BYTES", def: "20MiB", usage: "largest input read", parse: byteSize(&s.MaxObjectBytes)})
	rest, err := parseOptions("summarize", opts, args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &usageError{"usage: summarizer summarize [flags] PATH|s3://BUCKET/KEY|-"}
	}
	if s.Summarizer == "runpod" && s.RunPodEndpointURL == "" && getenv("SUMMARIZER") == "" {
		// No endpoint configured and no backend asked for: the built-in one.
		s.Summarizer = "extractive"
	}
	log := newLogger(&s, stderr)
	backend, err := newBackend(&s, log, nil)
	if err != nil {
		return err
	}
	text, err := readInput(ctx, rest[0], &s, getenv)
	if err != nil {
		return err
	}
	sum, err := backend.Summarize(ctx, text)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, strings.TrimSpace(sum.Text))
	return err
}

func readInput(ctx context.Context, src string, s *settings, getenv func(string) string) (string, error) {
	switch {
	case src == "-":
		text, _, err := worker.ReadText(os.Stdin, s.MaxObjectBytes)
		return text, err
	case strings.HasPrefix(src, "s3://"):
		bucket, key, ok := strings.Cut(strings.TrimPrefix(src, "s3://"), "/")
		if !ok || bucket == "" || key == "" {
			return "", &usageError{fmt.Sprintf("summarizer summarize: %q is not s3://BUCKET/KEY", src)}
		}
		cfg, err := awsConfig(ctx, getenv)
		if err != nil {
			return "", err
		}
		return worker.ReadObject(ctx, newS3(cfg, s, getenv), bucket, key, s.MaxObjectBytes)
	default:
		f, err := os.Open(src)
		if err != nil {
			return "", err
		}
		defer f.Close()
		text, _, err := worker.ReadText(f, s.MaxObjectBytes)
		if err != nil {
			return "", fmt.Errorf("%s: %w", src, err)
		}
		return text, nil
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/summarizer/summarizer/cmd/internal/settings"
	"github.com/summarizer/summarizer/worker"
	"github.com/summarizer/summarizer/worker/backend"
	"github.com/summarizer/summarizer/worker/chunk"
	"github.com/summarizer/summarizer/worker/mapreduce"
)

// cmdSummarize is `summarizer summarize PATH|s3://B/K|-`: one transcript
// through the same pipeline as the worker, summary to stdout. It is how
// users tune prompts and chunk sizes.
func cmdSummarize(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		s       config
		verbose bool
	)
	opts := backendOptions(&s)
	for i := range opts {
		if opts[i].Env == "SUMMARIZER" {
			opts[i].Alias = "backend"
		}
	}
	opts = append(opts, awsOptions(&s)...)
	opts = append(opts,
		settings.Option{Env: "MAX_OBJECT_BYTES", Default: "20MiB", Usage: "largest input read", Parse: settings.ByteSize(&s.MaxObjectBytes)},
		settings.Option{Env: "EXPECTED_BUCKET_OWNER", Usage: "account ID sent as ExpectedBucketOwner when reading s3:// (default: none)", Parse: accountOrNone(&s.ExpectedOwner)},
		settings.Option{Env: "VERBOSE", Flag: "verbose", Default: "false", BoolFlag: true, Usage: "chunks, calls and timings on stderr", Parse: settings.Bool(&verbose)},
	)
	rest, err := settings.Parse("summarizer summarize", opts, args, getenv, stderr)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return &settings.UsageError{Msg: "usage: summarizer summarize [--backend runpod|openai|extractive] [--verbose] PATH|s3://BUCKET/KEY|-"}
	}
	if s.Summarizer == "runpod" && s.RunPodEndpointURL == "" && getenv("SUMMARIZER") == "" && !flagGiven(args, "summarizer", "backend") {
		// No endpoint configured and no backend asked for: the built-in one.
		s.Summarizer = "extractive"
	}
	if verbose {
		s.LogLevel, s.LogFormat = "debug", "console"
	}
	log := newLogger(&s, stderr)
	var presign backend.Presigner
	sum, win, err := newBackend(&s, log, nil, backend.PresignerFunc(
		func(ctx context.Context, bucket, key string, expires time.Duration) (string, error) {
			if presign == nil {
				return "", fmt.Errorf("URL mode needs an s3:// input")
			}
			return presign.PresignGet(ctx, bucket, key, expires)
		}))
	if err != nil {
		return err
	}
	defer win.Close()
	doc, err := readInput(ctx, rest[0], &s, getenv, &presign)
	if err != nil {
		return err
	}
	if verbose {
		describeChunks(stderr, sum, doc.Text)
	}
	start := time.Now()
	out, err := sum.Summarize(ctx, doc)
	if err != nil {
		return err
	}
	if verbose {
		fmt.Fprintf(stderr, "summary: %d words by %s from %d chunk(s), %d job(s) %v, in %s\n",
			len(strings.Fields(out.Text)), out.Model, out.Chunks, len(out.JobIDs), out.JobIDs, time.Since(start).Round(time.Millisecond))
	}
	_, err = fmt.Fprintln(stdout, strings.TrimSpace(out.Text))
	return err
}

func flagGiven(args []string, names ...string) bool {
	for _, a := range args {
		for _, n := range names {
			if a == "--"+n || a == "-"+n || strings.HasPrefix(a, "--"+n+"=") || strings.HasPrefix(a, "-"+n+"=") {
				return true
			}
		}
	}
	return false
}

// describeChunks prints how the pipeline cuts text, for tuning.
func describeChunks(w io.Writer, sum backend.Summarizer, text string) {
	fmt.Fprintf(w, "transcript: %d words, ~%d tokens (estimate)\n", len(strings.Fields(text)), chunk.EstimateTokens(text))
	p, ok := sum.(*mapreduce.Pipeline)
	if !ok {
		fmt.Fprintln(w, "backend summarizes the whole transcript at once")
		return
	}
	chunks, err := p.Chunks(text)
	if err != nil {
		fmt.Fprintln(w, "chunking failed:", err)
		return
	}
	for i, c := range chunks {
		words := strings.Fields(c)
		head := strings.Join(words[:min(8, len(words))], " ")
		fmt.Fprintf(w, "chunk %d/%d: %d words, prompt ~%d tokens: %s …\n", i+1, len(chunks), len(words), p.PromptTokens(c), head)
	}
}

func readInput(ctx context.Context, src string, s *config, getenv func(string) string, presign *backend.Presigner) (backend.Document, error) {
	doc := backend.Document{Key: src}
	var r io.Reader
	switch {
	case src == "-":
		r = os.Stdin
	case strings.HasPrefix(src, "s3://"):
		bucket, key, ok := strings.Cut(strings.TrimPrefix(src, "s3://"), "/")
		if !ok || bucket == "" || key == "" {
			return doc, &settings.UsageError{Msg: fmt.Sprintf("summarizer summarize: %q is not s3://BUCKET/KEY", src)}
		}
		cfg, err := awsConfig(ctx, getenv)
		if err != nil {
			return doc, err
		}
		s3c := newS3(cfg, s, getenv)
		*presign = backend.S3Presigner(s3c, s.expectedOwner())
		doc.Bucket, doc.Key = bucket, key
		doc.Text, err = worker.ReadObject(ctx, s3c, bucket, key, s.expectedOwner(), s.MaxObjectBytes)
		return doc, err
	default:
		f, err := os.Open(src)
		if err != nil {
			return doc, err
		}
		defer f.Close()
		r = f
	}
	text, _, err := worker.ReadText(r, src, "", s.MaxObjectBytes)
	if err != nil {
		return doc, fmt.Errorf("%s: %w", src, err)
	}
	doc.Text = text
	return doc, nil
}

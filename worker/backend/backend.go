package backend

import (
	"context"
	"errors"

	"github.com/summarizer/summarizer/worker/journal"
)

// Summarizer turns a transcript into a summary. Its errors are classified
// in the outcome vocabulary (package queue/outcome) by the backend client
// that met them; an error no one classified is a transient failure of the
// message. Implementations return promptly when ctx is cancelled.
type Summarizer interface {
	Summarize(ctx context.Context, doc Document) (Summary, error)
}

// Document is one transcript to summarize.
type Document struct {
	Text        string
	Bucket, Key string
	ETag        string
	// Journal, if not nil, keeps backend job ids across deliveries.
	Journal journal.Journal
	// Final is true when a failure now gives the transcript up for good (the
	// message's last attempt): jobs still running for it are cancelled.
	Final bool
}

// Summary is what a Summarizer made of one transcript.
type Summary struct {
	Text   string
	Model  string   // the model or backend that wrote it
	Chunks int      // how many chunks the transcript was split into
	JobIDs []string // backend job ids (RunPod), in submission order
}

// Model is one call to a language model: a prompt in, text out. Errors are
// classified like a Summarizer's.
type Model interface {
	// Complete answers prompt. When ctx is cancelled the call returns at once;
	// a backend job already submitted is left running (and journaled) unless
	// the cancellation's cause is ErrGiveUp.
	Complete(ctx context.Context, prompt string, j journal.Journal) (Completion, error)
	// Name is reported in JSON summaries.
	Name() string
}

// ErrGiveUp is the cancellation cause that tells a Model its transcript is
// given up for good (dead-lettered, superseded): backend jobs still running
// for it are cancelled, not left for a later delivery.
var ErrGiveUp = errors.New("transcript given up for good")

// Completion is a model's answer to one prompt.
type Completion struct {
	Text   string
	JobIDs []string // backend job ids, resubmissions included
}

// Abandoner is a Summarizer or Model that cancels the backend jobs of a
// transcript given up for good (dead-lettered, superseded).
type Abandoner interface {
	Abandon(ctx context.Context, ids []string)
}

// ObjectReader is a Summarizer that reads the transcript object itself
// (URLMode): the worker checks the object with HEAD and passes no text.
type ObjectReader interface {
	ReadsObject() bool
}

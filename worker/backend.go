package worker

import (
	"context"
	"strings"

	"github.com/summarizer/summarizer/worker/extractive"
	"github.com/summarizer/summarizer/worker/runpod"
)

// MapPromptDefault is the instruction appended to a transcript for an
// instruction-tuned model (flan-t5 style).
const MapPromptDefault = "Briefly summarize that dialogue."

// Prompt builds the model input for one transcript.
func Prompt(text string) string {
	return strings.TrimSpace(text) + "\n\n" + MapPromptDefault
}

// runPodClient is the part of the RunPod client the backend uses.
type runPodClient interface {
	Summarize(ctx context.Context, prompt string) (runpod.Result, error)
}

var _ runPodClient = (*runpod.Client)(nil)

// RunPod is the backend that summarizes on a RunPod Serverless endpoint.
type RunPod struct {
	Client runPodClient
	Model  string // reported in JSON output, e.g. "google/flan-t5-xl"
}

// Summarize sends the transcript as one job.
func (r RunPod) Summarize(ctx context.Context, text string) (Summary, error) {
	res, err := r.Client.Summarize(ctx, Prompt(text))
	if err != nil {
		return Summary{JobIDs: res.JobIDs}, err
	}
	return Summary{Text: res.Text, Model: r.Model, Chunks: 1, JobIDs: res.JobIDs}, nil
}

// Extractive is the built-in backend: no network, sentences picked from the
// transcript itself.
type Extractive struct {
	MaxWords int // summary budget; 0 means the extractive package's default
}

// Summarize picks the transcript's most central sentences.
func (e Extractive) Summarize(ctx context.Context, text string) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	return Summary{Text: extractive.Summarize(text, e.MaxWords), Model: "extractive", Chunks: 1}, nil
}

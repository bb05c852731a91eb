package backend

import (
	"context"

	"github.com/summarizer/summarizer/worker/extractive"
)

// Extractive is the built-in backend: no network, the transcript's most
// central sentences, whatever its length. The summary is at most a third of
// the transcript's words and at most MaxWords words (see
// extractive.Summarize for the exact rule), its sentences whole and in their
// original order. It never fails but for a cancelled context, so it never
// retries.
type Extractive struct {
	// MaxWords is the summary's word cap; 0 means the extractive package's
	// default. The summarizer command sets it to 3/4 of SUMMARY_TOKENS, the
	// usual words per token of English text, so the built-in backend obeys
	// the same token budget as a model.
	MaxWords int
}

// Summarize picks the transcript's most central sentences: at most a third
// of its words and at most e.MaxWords.
func (e Extractive) Summarize(ctx context.Context, doc Document) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	return Summary{Text: extractive.Summarize(doc.Text, e.MaxWords), Model: "extractive", Chunks: 1}, nil
}

package worker

import (
	"context"

	"github.com/summarizer/summarizer/worker/extractive"
)

// Extractive is the built-in backend: no network, the transcript's most
// central sentences, whatever its length.
type Extractive struct {
	MaxWords int // summary budget; 0 means the extractive package's default
}

// Summarize picks the transcript's most central sentences.
func (e Extractive) Summarize(ctx context.Context, doc Document) (Summary, error) {
	if err := ctx.Err(); err != nil {
		return Summary{}, err
	}
	return Summary{Text: extractive.Summarize(doc.Text, e.MaxWords), Model: "extractive", Chunks: 1}, nil
}

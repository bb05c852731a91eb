package backend

import (
	"context"

	"github.com/summarizer/summarizer/worker/journal"
	"github.com/summarizer/summarizer/worker/openai"
)

// openAIClient is the part of the OpenAI-compatible client the model uses.
type openAIClient interface {
	Complete(ctx context.Context, prompt string) (openai.Result, error)
}

// OpenAIModel runs prompts on any OpenAI-compatible chat-completions API.
// Calls are synchronous, so there is nothing to journal.
type OpenAIModel struct {
	Client openAIClient
	Model  string
}

// Name is the model's name.
func (m OpenAIModel) Name() string { return m.Model }

// Complete sends one chat completion.
func (m OpenAIModel) Complete(ctx context.Context, prompt string, _ journal.Journal) (Completion, error) {
	r, err := m.Client.Complete(ctx, prompt)
	if err != nil {
		return Completion{}, err
	}
	return Completion{Text: r.Text}, nil
}

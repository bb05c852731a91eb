package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/summarizer/summarizer/worker/openai"
	"github.com/summarizer/summarizer/worker/runpod"
)

// Model is one call to a language model: a prompt in, text out. Errors are
// classified like a Summarizer's.
type Model interface {
	Complete(ctx context.Context, prompt string, j Journal) (Completion, error)
	// Name is reported in JSON summaries.
	Name() string
}

// Completion is a model's answer to one prompt.
type Completion struct {
	Text    string
	JobIDs  []string // backend job ids, resubmissions included
	Resumed bool     // the answer came from a job submitted by an earlier attempt
}

// Journal records the backend job of each prompt of one transcript version,
// durably, so that a redelivered message resumes the jobs already paid for
// instead of submitting them again. Keys are PromptKey values.
type Journal interface {
	Lookup(ctx context.Context, key string) (jobID string, ok bool)
	Record(ctx context.Context, key, jobID string) error
}

// PromptKey names a prompt in a Journal: chunking is deterministic, so the
// same transcript gives the same prompts on every delivery.
func PromptKey(prompt string) string {
	sum := sha256.Sum256([]byte(prompt))
	return hex.EncodeToString(sum[:12])
}

// runPodClient is the part of the RunPod client the model uses.
type runPodClient interface {
	Submit(ctx context.Context, prompt string) (string, error)
	Wait(ctx context.Context, jobID string) (runpod.Result, error)
}

var _ runPodClient = (*runpod.Client)(nil)

// RunPodModel runs prompts as RunPod Serverless jobs, journaling each job id
// before waiting for it.
type RunPodModel struct {
	Client runPodClient
	Model  string // e.g. "google/flan-t5-xl"
	// MaxResubmits is how often a job that failed or expired is submitted
	// again within one call (default 2).
	MaxResubmits int
	// Throttle, shared by the process, holds submissions while RunPod
	// answers 429; MaxHold bounds how long one call waits for it (default
	// 15m), after which the call fails as transient.
	Throttle *Throttle
	MaxHold  time.Duration
	Metrics  *Metrics
	Logger   *zap.Logger
}

// Name is the model's name.
func (m RunPodModel) Name() string { return m.Model }

// Complete resumes the prompt's journaled job if there is one, and
// otherwise submits it, journals the id, and waits.
func (m RunPodModel) Complete(ctx context.Context, prompt string, j Journal) (Completion, error) {
	log := m.Logger
	if log == nil {
		log = zap.NewNop()
	}
	key := PromptKey(prompt)
	if j != nil {
		if id, ok := j.Lookup(ctx, key); ok {
			res, err := m.Client.Wait(ctx, id)
			if err == nil {
				m.Metrics.observeJob(res)
				log.Info("reused a journaled job (an earlier attempt's, or an identical prompt's)", zap.String("job_id", id))
				return Completion{Text: res.Text, JobIDs: []string{id}, Resumed: true}, nil
			}
			if ctx.Err() != nil {
				return Completion{JobIDs: []string{id}}, err
			}
			log.Info("journaled job cannot be resumed: submitting anew", zap.String("job_id", id), zap.Error(err))
		}
	}
	resubmits := m.MaxResubmits
	if resubmits == 0 {
		resubmits = 2
	}
	maxHold := m.MaxHold
	if maxHold == 0 {
		maxHold = 15 * time.Minute
	}
	holdUntil := time.Now().Add(maxHold)
	var ids []string
	for attempt := 0; ; attempt++ {
		if err := m.Throttle.Wait(ctx); err != nil {
			return Completion{JobIDs: ids}, err
		}
		id, err := m.Client.Submit(ctx, prompt)
		if err != nil {
			if isThrottled(err) && ctx.Err() == nil && time.Now().Before(holdUntil) {
				pause := m.Throttle.Hit()
				log.Warn("RunPod throttles submissions: holding the message and slowing every submission down",
					zap.Duration("pause", pause), zap.Error(err))
				attempt--
				continue
			}
			return Completion{JobIDs: ids}, err
		}
		m.Throttle.OK()
		ids = append(ids, id)
		if j != nil {
			if err := j.Record(ctx, key, id); err != nil {
				log.Warn("could not journal the job: a crash now would pay for it again", zap.String("job_id", id), zap.Error(err))
			}
		}
		res, err := m.Client.Wait(ctx, id)
		if err == nil {
			m.Metrics.observeJob(res)
			return Completion{Text: res.Text, JobIDs: ids}, nil
		}
		if ctx.Err() != nil || attempt >= resubmits || !resubmittable(err) {
			return Completion{JobIDs: ids}, err
		}
		log.Info("job failed or expired: resubmitting", zap.String("job_id", id), zap.Error(err))
	}
}

// resubmittable reports whether a job's failure may go away with a new job:
// it expired, FAILED or was CANCELLED by someone else.
func resubmittable(err error) bool {
	if runpod.IsExpired(err) {
		return true
	}
	var re *runpod.Error
	if errors.As(err, &re) {
		return re.JobStatus == runpod.StatusFailed || re.JobStatus == runpod.StatusCancelled
	}
	return false
}

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
func (m OpenAIModel) Complete(ctx context.Context, prompt string, _ Journal) (Completion, error) {
	r, err := m.Client.Complete(ctx, prompt)
	if err != nil {
		return Completion{}, err
	}
	return Completion{Text: r.Text}, nil
}

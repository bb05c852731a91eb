package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/summarizer/summarizer/queue/outcome"
)

// Kind is the verdict of a backend client's own table of answer codes on a
// failed call: what the failure says about the work item. Class maps it,
// with the answer's status code and cause, into the outcome vocabulary.
type Kind uint8

const (
	// Transient: try again later (the client already retried what it could).
	Transient Kind = iota
	// Permanent: the backend rejected the input; trying again cannot help.
	Permanent
	// Config: our credentials, endpoint, model or account are refused; an
	// operator must act, and the work item is fine.
	Config
	// Gone: what the call was about no longer exists at the backend (a job
	// RunPod forgot); the caller may redo the work.
	Gone
)

// Refusal reports whether the backend refused the call for good (Permanent,
// Config): trying again cannot help until the input or the settings change.
func (k Kind) Refusal() bool { return k == Permanent || k == Config }

// Rule is one row of a client's table of answer codes.
type Rule struct {
	Kind  Kind
	Retry bool // the client retries the call itself, with backoff
}

// The rows of the clients' tables.
var (
	RulePermanent = Rule{Kind: Permanent}
	RuleConfig    = Rule{Kind: Config}
	RuleGone      = Rule{Kind: Gone}
	RuleTransient = Rule{Kind: Transient}
	RuleRetried   = Rule{Kind: Transient, Retry: true}
)

// StatusRule looks HTTP status code up in a client's table, falling back,
// for a code the table lacks, to: other 5xx transient and retried, anything
// else transient and not retried.
func StatusRule(table map[int]Rule, code int) Rule {
	if r, ok := table[code]; ok {
		return r
	}
	if code >= 500 {
		return RuleRetried
	}
	return RuleTransient
}

// Class is the one mapping of a backend client's failed call into the
// outcome vocabulary, shared by the RunPod and OpenAI-compatible clients:
// kind is the verdict of the client's own table of answer codes, code the
// HTTP status of the answer (0: none came), cause the underlying error. The
// input refused: dead-lettered (backend_rejected). Our credentials or
// endpoint refused: held (config). The thing called about gone: a transient
// failure of the message. A caller that stopped waiting: released, no
// verdict. Throttling after the client's own retries: held (throttled). 5xx
// or no answer at all: held (outage). Anything else is a transient failure
// of the message.
func Class(kind Kind, code int, cause error) outcome.Class {
	switch {
	case kind == Permanent:
		return outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonBackendRejected}
	case kind == Config:
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}
	case kind == Gone:
		return outcome.Class{Kind: outcome.Retried}
	case errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded):
		return outcome.Class{Kind: outcome.Released}
	case code == http.StatusTooManyRequests:
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}
	case code >= 500 || code == 0:
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}
	}
	return outcome.Class{Kind: outcome.Retried}
}

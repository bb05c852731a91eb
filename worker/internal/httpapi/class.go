package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/summarizer/summarizer/queue/outcome"
)

// Class is the one mapping of a backend client's failed call into the
// outcome vocabulary, shared by the RunPod and OpenAI-compatible clients:
// permanent and config are the verdicts of the client's own table of answer
// codes, code the HTTP status of the answer (0: none came), cause the
// underlying error. The input refused: dead-lettered (backend_rejected).
// Our credentials or endpoint refused: held (config). A caller that stopped
// waiting: released, no verdict. Throttling after the client's own retries:
// held (throttled). 5xx or no answer at all: held (outage). Anything else is
// a transient failure of the message.
func Class(permanent, config bool, code int, cause error) outcome.Class {
	switch {
	case permanent:
		return outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonBackendRejected}
	case config:
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}
	case errors.Is(cause, context.Canceled) || errors.Is(cause, context.DeadlineExceeded):
		return outcome.Class{Kind: outcome.Released}
	case code == http.StatusTooManyRequests:
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}
	case code >= 500 || code == 0:
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}
	}
	return outcome.Class{Kind: outcome.Retried}
}

package httpapi

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/summarizer/summarizer/queue/outcome"
)

func TestClass(t *testing.T) {
	t.Parallel()
	rejected := outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonBackendRejected}
	config := outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}
	retried := outcome.Class{Kind: outcome.Retried}
	tests := []struct {
		kind  Kind
		code  int
		cause error
		want  outcome.Class
	}{
		{Permanent, 400, nil, rejected},
		{Permanent, 0, context.Canceled, rejected}, // the verdict wins over how the call ended
		{Config, 401, nil, config},
		{Config, 429, nil, config}, // insufficient_quota: billing, not throttling
		{Gone, 404, nil, retried},
		{Transient, 503, fmt.Errorf("wait: %w", context.Canceled), outcome.Class{Kind: outcome.Released}},
		{Transient, 0, context.DeadlineExceeded, outcome.Class{Kind: outcome.Released}},
		{Transient, 429, nil, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}},
		{Transient, 503, nil, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}},
		{Transient, 0, errors.New("connection refused"), outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}},
		{Transient, 409, nil, retried},
		{Transient, 200, errors.New("no usable output"), retried},
	}
	for _, tt := range tests {
		if got := Class(tt.kind, tt.code, tt.cause); got != tt.want {
			t.Errorf("Class(%d, %d, %v) = %+v, want %+v", tt.kind, tt.code, tt.cause, got, tt.want)
		}
	}
}

func TestStatusRule(t *testing.T) {
	t.Parallel()
	table := map[int]Rule{400: RulePermanent, 401: RuleConfig, 503: RuleRetried, 599: RuleTransient}
	for code, want := range map[int]Rule{400: RulePermanent, 401: RuleConfig, 503: RuleRetried, 599: RuleTransient, 502: RuleRetried, 418: RuleTransient, 200: RuleTransient} {
		if got := StatusRule(table, code); got != want {
			t.Errorf("StatusRule(%d) = %+v, want %+v", code, got, want)
		}
	}
	for k, refusal := range map[Kind]bool{Transient: false, Permanent: true, Config: true, Gone: false} {
		if k.Refusal() != refusal {
			t.Errorf("Kind %d: Refusal %t, want %t", k, !refusal, refusal)
		}
	}
}

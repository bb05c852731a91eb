package outcome_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/summarizer/summarizer/queue/outcome"
)

// classed is a backend error that knows its class, like a client's.
type classed struct{ c outcome.Class }

func (e classed) Error() string        { return "backend: " + e.c.Kind.String() }
func (e classed) Class() outcome.Class { return e.c }

func TestDecide(t *testing.T) {
	t.Parallel()
	held := outcome.Hold(outcome.CauseOutage, errors.New("503"))
	perm := outcome.Permanent(outcome.ReasonNotFound, errors.New("gone"))
	tests := []struct {
		name    string
		err     error
		final   bool
		want    outcome.Class
		givenUp bool
	}{
		{"nil", nil, false, outcome.Class{Kind: outcome.Done}, false},
		{"nil final", nil, true, outcome.Class{Kind: outcome.Done}, false},
		{"skip", outcome.Skip("test event"), true, outcome.Class{Kind: outcome.Skipped}, false},
		{"superseded", fmt.Errorf("record: %w", outcome.Supersede("overwritten")), false, outcome.Class{Kind: outcome.Superseded}, true},
		{"permanent", perm, false, outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonNotFound}, true},
		{"permanent wrapped", fmt.Errorf("x: %w", perm), false, outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonNotFound}, true},
		{"hold", held, false, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}, false},
		// The bug this package exists for: a hold on the last delivery is a
		// hold, not a transcript given up for good.
		{"hold final", held, true, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}, false},
		{"transient", errors.New("FAILED"), false, outcome.Class{Kind: outcome.Retried}, false},
		{"transient final", errors.New("FAILED"), true, outcome.Class{Kind: outcome.DeadLettered, Reason: outcome.ReasonRetriesExhausted}, true},
		{"cancelled", context.Canceled, true, outcome.Class{Kind: outcome.Released}, false},
		{"deadline", fmt.Errorf("wait: %w", context.DeadlineExceeded), true, outcome.Class{Kind: outcome.Released}, false},
		{"classed backend", fmt.Errorf("summarize: %w", classed{outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}}), true, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}, false},
		// A classed error that wraps a context error keeps its own class.
		{"classed over ctx", outcome.Transient(context.DeadlineExceeded), false, outcome.Class{Kind: outcome.Retried}, false},
		// The outermost class decides.
		{"outermost", outcome.Hold(outcome.CauseThrottled, perm), false, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := outcome.Decide(tt.err, tt.final); got != tt.want {
				t.Errorf("Decide(%v, %v) = %+v, want %+v", tt.err, tt.final, got, tt.want)
			}
			if got := outcome.GivenUp(tt.err, tt.final); got != tt.givenUp {
				t.Errorf("GivenUp(%v, %v) = %v, want %v", tt.err, tt.final, got, tt.givenUp)
			}
		})
	}
}

func TestKindNames(t *testing.T) {
	t.Parallel()
	want := map[outcome.Kind]string{outcome.Done: "done", outcome.Skipped: "skipped", outcome.Superseded: "superseded",
		outcome.Held: "held", outcome.Retried: "retried", outcome.DeadLettered: "dead_lettered",
		outcome.Released: "released", outcome.LeaseLost: "lease_lost"}
	for k, name := range want {
		if k.String() != name {
			t.Errorf("%d: %q, want %q", k, k.String(), name)
		}
	}
}

func TestErrorTextIsTheCause(t *testing.T) {
	t.Parallel()
	err := outcome.Permanent(outcome.ReasonBadFormat, errors.New("not a transcript"))
	if err.Error() != "not a transcript" || !errors.Is(err, errors.Unwrap(err)) {
		t.Errorf("Error() = %q", err.Error())
	}
	if r, ok := outcome.IsPermanent(err); !ok || r != outcome.ReasonBadFormat {
		t.Errorf("IsPermanent = %q, %v", r, ok)
	}
	if c, ok := outcome.IsHeld(outcome.Hold(outcome.CauseConfig, nil)); !ok || c != outcome.CauseConfig {
		t.Errorf("IsHeld = %q, %v", c, ok)
	}
}

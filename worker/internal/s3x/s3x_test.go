package s3x

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/summarizer/summarizer/queue/outcome"
)

type codeErr struct{ code string }

func (e codeErr) Error() string                 { return e.code }
func (e codeErr) ErrorCode() string             { return e.code }
func (e codeErr) ErrorMessage() string          { return e.code }
func (e codeErr) ErrorFault() smithy.ErrorFault { return smithy.FaultClient }

type statusErr int

func (e statusErr) Error() string       { return fmt.Sprintf("http %d", int(e)) }
func (e statusErr) HTTPStatusCode() int { return int(e) }

func TestErrClassifies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want outcome.Class
	}{
		{codeErr{"AccessDenied"}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}},
		{codeErr{"Forbidden"}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}},
		{statusErr(403), outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}},
		{codeErr{"InvalidAccessKeyId"}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}},
		{codeErr{"SlowDown"}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}},
		{codeErr{"InternalError"}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}},
		{statusErr(503), outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}},
		{statusErr(400), outcome.Class{Kind: outcome.Retried}},
		{errors.New("unexpected EOF"), outcome.Class{Kind: outcome.Retried}},
		{context.Canceled, outcome.Class{Kind: outcome.Released}},
	}
	for _, tt := range tests {
		err := Err("get", "inbox", "a.txt", tt.err)
		if got := outcome.Of(err); got != tt.want {
			t.Errorf("%v: %+v, want %+v", tt.err, got, tt.want)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("%v: not wrapped by %v", tt.err, err)
		}
	}
}

func TestETagQuoting(t *testing.T) {
	t.Parallel()
	e := `"abc-1"`
	if QuoteETag("abc-1") != e || QuoteETag(e) != e || UnquoteETag(&e) != "abc-1" {
		t.Errorf("quote/unquote: %q %q %q", QuoteETag("abc-1"), QuoteETag(e), UnquoteETag(&e))
	}
}

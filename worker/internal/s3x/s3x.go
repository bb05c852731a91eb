// Package s3x is the one reading of S3's answers for the worker and the job
// journal: ETag quoting, the error codes that mean "missing", "changed" or
// "conflict", and Err, which classifies a failed S3 call into the outcome
// vocabulary where it happens (access denied and bad credentials: a hold
// with cause config; SlowDown: throttled; 5xx or no answer: outage; anything
// else: a transient failure of the message).
package s3x

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/summarizer/summarizer/queue/outcome"
)

// QuoteETag makes an ETag an If-Match value: the ETag in double quotes.
func QuoteETag(etag string) string { return `"` + strings.Trim(etag, `"`) + `"` }

// UnquoteETag is an ETag as S3 returned it, without its double quotes, the
// form the worker compares and stores.
func UnquoteETag(etag *string) string { return strings.Trim(aws.ToString(etag), `"`) }

// IsPreconditionFailed reports whether S3 answered 412 to a conditional request.
func IsPreconditionFailed(err error) bool { return isCode(err, "PreconditionFailed", 412) }

// IsConflict reports whether S3 refused a conditional write because the
// object changed (412) or a concurrent conditional write won (409).
func IsConflict(err error) bool {
	return IsPreconditionFailed(err) || isCode(err, "ConditionalRequestConflict", 409)
}

// isCode reports whether err is an S3 error with the given code, or an HTTP
// response with the given status.
func isCode(err error, code string, status int) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() == code {
		return true
	}
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == status
}

// IsNotFound reports whether an S3 error says the object or bucket is missing.
func IsNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	var nsb *types.NoSuchBucket
	if errors.As(err, &nsk) || errors.As(err, &nf) || errors.As(err, &nsb) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchKey", "NotFound", "NoSuchBucket", "404":
			return true
		}
	}
	return false
}

// IsAccessDenied reports whether S3 refused the call for our credentials or
// rights: AccessDenied (Forbidden on a HEAD, which has no body), a bad or
// expired key, a disabled account.
func IsAccessDenied(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "Forbidden", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "AllAccessDisabled", "AccountProblem":
			return true
		}
	}
	var re interface{ HTTPStatusCode() int }
	return errors.As(err, &re) && re.HTTPStatusCode() == 403
}

// Class is the outcome class of a failed S3 call: see the package
// documentation. ok is false for a failure that is the message's own
// transient one.
func Class(err error) (c outcome.Class, ok bool) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return outcome.Class{}, false // the caller stopped waiting: no verdict
	}
	if IsAccessDenied(err) {
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseConfig}, true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests":
			return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}, true
		case "InternalError", "ServiceUnavailable", "InternalFailure":
			return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}, true
		}
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		switch code := re.HTTPStatusCode(); {
		case code == 429:
			return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseThrottled}, true
		case code >= 500:
			return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}, true
		case code != 0:
			return outcome.Class{}, false
		}
	}
	// No answer at all: S3 is unreachable (refused, reset, DNS, timeouts).
	var ne net.Error
	var oe *net.OpError
	var dns *net.DNSError
	if errors.As(err, &oe) || errors.As(err, &dns) || (errors.As(err, &ne) && ne.Timeout()) {
		return outcome.Class{Kind: outcome.Held, Cause: outcome.CauseOutage}, true
	}
	return outcome.Class{}, false
}

// Err describes a failed S3 call (op on s3://bucket/key) and classifies it.
func Err(op, bucket, key string, err error) error {
	err = fmt.Errorf("%s s3://%s/%s: %w", op, bucket, key, err)
	if c, ok := Class(err); ok {
		return &outcome.Error{C: c, Err: err}
	}
	return err
}

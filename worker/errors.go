package worker

import (
	"errors"

	"github.com/aws/smithy-go"
)

// Reason is the short code of a permanent failure.
type Reason string

// Reasons of permanent failures, as set on dead-lettered messages.
const (
	ReasonBadMessage       Reason = "bad_message"
	ReasonBucketNotAllowed Reason = "bucket_not_allowed"
	ReasonNotFound         Reason = "not_found"
	ReasonTooLarge         Reason = "too_large"
	ReasonBadFormat        Reason = "bad_format"
	ReasonBackendRejected  Reason = "backend_rejected"
)

// PermanentError is a failure that can never succeed, whatever the retries.
type PermanentError struct {
	Reason Reason
	Err    error
}

// Permanent marks err as permanent with reason.
func Permanent(reason Reason, err error) error { return &PermanentError{Reason: reason, Err: err} }

func (e *PermanentError) Error() string { return string(e.Reason) + ": " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// PermanentReason returns the reason of a permanent error. Besides
// PermanentError, an error with a `Permanent() bool` method that returns true
// (a backend refusing the input) is permanent with ReasonBackendRejected.
func PermanentReason(err error) (Reason, bool) {
	var pe *PermanentError
	if errors.As(err, &pe) {
		return pe.Reason, true
	}
	var p interface{ Permanent() bool }
	if errors.As(err, &p) && p.Permanent() {
		return ReasonBackendRejected, true
	}
	return "", false
}

// IsConfigFault reports whether err comes from the deployment rather than
// the message: a backend that refuses our credentials (an error with a
// `ConfigFault() bool` method returning true) or AWS access denied. Such a
// message must be retried, never dead-lettered.
func IsConfigFault(err error) bool {
	var cf interface{ ConfigFault() bool }
	if errors.As(err, &cf) && cf.ConfigFault() {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "AllAccessDisabled", "AccountProblem":
			return true
		}
	}
	return false
}

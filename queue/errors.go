package queue

import (
	"errors"
	"fmt"
)

// ErrShutdown is the cause of the work context's cancellation when in-flight
// work outlived Config.ShutdownTimeout.
var ErrShutdown = errors.New("queue: shutdown timeout")

// ErrVisibilityCeiling is the cause of a handler's cancellation when its
// message has been in flight so long that SQS's 12 h visibility ceiling
// would be reached before the next extension; the message is released.
var ErrVisibilityCeiling = errors.New("queue: visibility ceiling (12h) reached")

// ErrLeaseLost is the cause of a handler's cancellation when the consumer no
// longer owns its message: the lease ran out before it could be extended (a
// frozen process, an SQS outage longer than the lease) or SQS reported the
// receipt gone. Another consumer may be working on the message: the handler
// must write nothing more for it, and the consumer neither deletes, releases
// nor dead-letters it.
var ErrLeaseLost = errors.New("queue: lease lost")

// panicError is a handler panic turned into an error, with its stack.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("handler panic: %v", e.value) }

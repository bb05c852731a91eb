package queue

import (
	"sync"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/queue/outcome"
)

// inPlace is the outcome.Holder of one delivery: its handler reports that
// the message waits, still working, on a cause that is not its own. The
// message counts as held (summarizer_held_messages{cause}) once, however
// many of its parts (a transcript's map jobs) report the hold, receiving
// pauses and readiness follows the cause, exactly as for a handler that
// returned a hold; the handler's eventual return decides the outcome as
// usual.
type inPlace struct {
	c    *Consumer
	span trace.Span
	log  *zap.Logger

	mu   sync.Mutex
	held map[outcome.Cause]int // open holds by cause; nil until the first
}

func newInPlace(c *Consumer, span trace.Span, log *zap.Logger) *inPlace {
	return &inPlace{c: c, span: span, log: log}
}

// HoldInPlace implements outcome.Holder.
func (h *inPlace) HoldInPlace(cause outcome.Cause, err error) func() {
	h.c.holds.inPlace(cause, err)
	h.mu.Lock()
	if h.held == nil {
		h.held = map[outcome.Cause]int{}
	}
	h.held[cause]++
	first := h.held[cause] == 1
	h.mu.Unlock()
	if first {
		h.c.m.Held.WithLabelValues(string(cause)).Inc()
		h.log.Warn("held in place: not the message's fault; the handler waits on, lease kept",
			zap.String("cause", string(cause)), zap.Error(err))
		traceHold(h.span, cause, err, 0, 0)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			h.held[cause]--
			last := h.held[cause] == 0
			h.mu.Unlock()
			if last {
				h.c.m.Held.WithLabelValues(string(cause)).Dec()
				h.span.AddEvent("hold in place ended")
			}
		})
	}
}

package queue

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/queue/outcome"
)

// sqsAPI is the part of the SQS client the Consumer uses.
type sqsAPI interface {
	leaseAPI
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ sqsAPI = (*sqs.Client)(nil)

// Message is one received SQS message.
type Message struct {
	ID           string
	Body         string
	ReceiveCount int       // ApproximateReceiveCount, 1 on the first delivery
	SentAt       time.Time // SentTimestamp
	// Attributes are the message attributes it was sent with.
	Attributes map[string]types.MessageAttributeValue

	receipt     string
	receivedAt  time.Time
	maxReceives int // the consumer's Config.MaxReceives
	lease       *leases
	span        trace.Span // of this delivery; set before the lease is tracked
}

// LeaseErr returns ErrLeaseLost once the consumer no longer owns m (its
// lease ran out or SQS reported it gone), nil while it does. A handler
// checks it right before a write that another owner of the message must
// not see twice.
func (m *Message) LeaseErr() error {
	if m.lease == nil {
		return nil
	}
	return m.lease.check(m)
}

// Final reports whether this delivery is the message's last try: its
// receive count has reached Config.MaxReceives, so a transient failure now
// dead-letters it (reason retries_exhausted) instead of retrying it. A hold
// never does. Final is false for a Message no Consumer received.
func (m *Message) Final() bool {
	return m.maxReceives > 0 && m.ReceiveCount >= m.maxReceives
}

// Handler does the work of one message. Its error decides the outcome (see
// the package documentation). ctx is cancelled with cause ErrShutdown when
// the work outlives the shutdown timeout (the message is then released),
// with ErrLeaseLost when the consumer lost the message (nothing more may be
// written for it), and with ErrVisibilityCeiling at SQS's 12 h limit.
type Handler interface {
	Handle(ctx context.Context, m *Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *Message) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, m *Message) error { return f(ctx, m) }

// Consumer receives messages from one queue and hands each to a Handler.
type Consumer struct {
	// The source queue's lease mechanics: c.url, c.cfg, c.log, c.m,
	// c.leases, c.deletes, c.changeVisibility, c.depth.
	*leaseQueue
	sqs    sqsAPI
	h      Handler
	tracer trace.Tracer
	// queueName names the queue in span names and attributes.
	queueName string

	dlqURL string
	slots  chan struct{}
	// working counts the messages received and not yet finished (slots
	// also count those a receive under way may bring).
	working atomic.Int64
	// freed is signalled when a slot is given back: the receive loop waits
	// for it while Config.Admission refuses more messages.
	freed chan struct{}
	wg    sync.WaitGroup

	running    atomic.Bool
	draining   atomic.Bool
	dispatchMu sync.Mutex // see dispatch
	recvFails  atomic.Int64
	holds      holdState
}

// New returns a consumer of queueURL. client is usually an *sqs.Client.
func New(client sqsAPI, queueURL string, h Handler, cfg Config) (*Consumer, error) {
	var errs []error
	if client == nil {
		errs = append(errs, errors.New("queue: nil SQS client"))
	}
	if queueURL == "" {
		errs = append(errs, errors.New("queue: empty queue URL"))
	}
	if h == nil {
		errs = append(errs, errors.New("queue: nil handler"))
	}
	errs = append(errs, cfg.Validate())
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Consumer{
		leaseQueue: newLeaseQueue(client, queueURL, cfg),
		sqs:        client,
		h:          h,
		tracer:     cfg.TracerProvider.Tracer(tracerName),
		queueName:  queueName(queueURL),
		dlqURL:     cfg.DLQURL,
		slots:      make(chan struct{}, cfg.Concurrency),
		freed:      make(chan struct{}, 1),
	}
	c.deletes.patience = c.deletePatience
	return c, nil
}

// Ready returns nil while the consumer can receive and is not draining, and
// otherwise why not.
func (c *Consumer) Ready() error {
	switch {
	case !c.running.Load():
		return errors.New("not running")
	case c.draining.Load():
		return errors.New("draining")
	case c.recvFails.Load() >= 3:
		return fmt.Errorf("%d receives failed in a row", c.recvFails.Load())
	}
	return c.holds.err()
}

// Run receives until ctx is cancelled, then drains: the receive under way,
// if any, finishes and its messages are handed back unhandled; work in
// flight gets ShutdownTimeout to finish, is then cancelled and its messages
// released; pending deletes are flushed. Both run at once, and Run returns
// when both are done, within ShutdownTimeout (plus a few seconds for
// handlers that ignore their context's cancellation). It returns nil after
// a clean drain, or an error if the consumer could not start (no
// dead-letter queue).
func (c *Consumer) Run(ctx context.Context) error {
	if c.dlqURL == "" {
		dlq, err := c.resolveDLQ(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil // stopped while starting: nothing received, nothing to drain
			}
			return err
		}
		c.dlqURL = dlq
	}
	c.log.Info("consumer started", zap.String("dlq", c.dlqURL), zap.Int("concurrency", c.cfg.Concurrency),
		zap.Duration("visibility_timeout", c.cfg.VisibilityTimeout))

	workCtx, cancelWork := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelWork(nil)
	stopLeases := c.start(ctx)

	// The receive loop runs beside the drain. Its last long poll is not
	// cut short by ctx: SQS would go on serving it and hide the messages it
	// delivers to nobody. It may take until the shutdown timeout.
	pollCtx, cancelPoll := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelPoll()
	received := make(chan struct{})
	c.running.Store(true)
	go func() {
		defer close(received)
		c.receiveLoop(ctx, pollCtx, workCtx)
	}()

	<-ctx.Done()
	c.stopDispatch()
	c.log.Info("draining", zap.Int("in_flight", c.leases.len()), zap.Duration("shutdown_timeout", c.cfg.ShutdownTimeout))
	handled := make(chan struct{})
	go func() { c.wg.Wait(); close(handled) }()
	timeout := time.NewTimer(c.cfg.ShutdownTimeout)
	defer timeout.Stop()
	var grace <-chan time.Time
	for handled != nil || received != nil {
		select {
		case <-handled:
			handled = nil
		case <-received:
			received = nil
		case <-timeout.C:
			if handled != nil {
				c.log.Warn("shutdown timeout: cancelling work in flight", zap.Int("in_flight", c.leases.len()))
			}
			cancelWork(ErrShutdown)
			cancelPoll()
			grace = time.After(5 * time.Second)
		case <-grace:
			if handled != nil {
				c.log.Error("handlers ignored cancellation; releasing their messages anyway")
				handled = nil
			}
		}
	}
	stopLeases() // releases what is still leased, flushes the deletes
	c.running.Store(false)
	c.log.Info("consumer stopped")
	return nil
}

// stopDispatch marks the consumer draining: once it returns, no handler
// starts (see dispatch).
func (c *Consumer) stopDispatch() {
	c.dispatchMu.Lock()
	c.draining.Store(true)
	c.dispatchMu.Unlock()
}

func (c *Consumer) resolveDLQ(ctx context.Context) (string, error) {
	policy, err := redrivePolicy(ctx, c.api, c.m, c.url)
	if err != nil {
		return "", fmt.Errorf("queue: %w", err)
	}
	dlq, err := DLQFromRedrivePolicy(c.url, policy)
	if err != nil {
		return "", fmt.Errorf("queue: no dead-letter queue for %s (set DLQ_URL or a RedrivePolicy): %w", c.url, err)
	}
	return dlq, nil
}

// receiveLoop takes free slots, then asks SQS for at most that many
// messages, until ctx is cancelled. A receive under way then is not
// abandoned: it runs on pollCtx (cancelled only at the shutdown timeout),
// and what it brings is handed back at once, to no handler. No receive
// starts after ctx is cancelled.
func (c *Consumer) receiveLoop(ctx, pollCtx, workCtx context.Context) {
	var lastLog time.Time
	var pace receivePace
	for {
		// Paused while holds are recent; a handler that succeeds meanwhile
		// ends the pause at once.
		for wait := c.holds.pause(); wait > 0; wait = c.holds.pause() {
			if !sleep(ctx, min(wait, 250*time.Millisecond)) {
				return
			}
		}
		n, ok := c.takeSlots(ctx, &pace)
		if !ok {
			return
		}
		if ctx.Err() != nil {
			c.freeSlots(n)
			return
		}
		started := time.Now()
		c.m.request("ReceiveMessage")
		out, err := c.sqs.ReceiveMessage(pollCtx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(c.url),
			MaxNumberOfMessages:         int32(n),
			WaitTimeSeconds:             int32(c.cfg.pollWait() / time.Second),
			VisibilityTimeout:           int32(c.cfg.VisibilityTimeout / time.Second),
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount, types.MessageSystemAttributeNameSentTimestamp},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			c.freeSlots(n)
			if pollCtx.Err() != nil {
				c.log.Warn("last receive abandoned at the shutdown timeout: messages it brings stay hidden until their visibility timeout")
				return
			}
			if ctx.Err() != nil {
				return
			}
			fails := c.recvFails.Add(1)
			if time.Since(lastLog) > 30*time.Second {
				c.log.Error("receive failed", zap.Error(err), zap.Int64("failures_in_a_row", fails))
				lastLog = time.Now()
			}
			if !sleep(ctx, receiveRetry.after(int(fails))) {
				return
			}
			continue
		}
		if c.recvFails.Swap(0) > 0 {
			c.log.Info("receive recovered")
		}
		c.freeSlots(n - len(out.Messages))
		pace.observe(started, len(out.Messages))
		if len(out.Messages) == 0 {
			c.m.EmptyReceives.Inc()
			if ctx.Err() != nil {
				return
			}
			continue
		}
		if !c.dispatch(ctx, workCtx, out.Messages) {
			c.handBack(context.WithoutCancel(ctx), out.Messages)
			c.freeSlots(len(out.Messages))
			return
		}
	}
}

// dispatch hands each received message to a handler goroutine, unless ctx
// is cancelled: then it reports false and starts none. Checked under
// dispatchMu, so that once stopDispatch has returned no handler starts
// and Run can wait for those that did.
func (c *Consumer) dispatch(ctx, workCtx context.Context, sms []types.Message) bool {
	c.dispatchMu.Lock()
	defer c.dispatchMu.Unlock()
	if ctx.Err() != nil {
		return false
	}
	now := time.Now()
	for _, sm := range sms {
		m := newMessage(sm, now)
		m.maxReceives = c.cfg.MaxReceives
		mctx, cancel := context.WithCancelCause(workCtx)
		mctx = c.startSpan(mctx, m)
		c.leases.add(m, now, cancel)
		c.m.Inflight.Inc()
		c.working.Add(1)
		c.wg.Go(func() {
			defer cancel(nil)
			c.process(mctx, m)
		})
	}
	return true
}

// handBack makes messages that the last receive of a shutdown brought
// visible again at once, for another consumer: no handler saw them, so
// they have no outcome and are not counted as one.
func (c *Consumer) handBack(ctx context.Context, sms []types.Message) {
	now := time.Now()
	msgs := make([]*Message, len(sms))
	for i, sm := range sms {
		msgs[i] = newMessage(sm, now)
	}
	failed := c.changeVisibility(ctx, msgs, 0)
	c.log.Info("handed back what the last receive brought after the shutdown began",
		zap.Int("messages", len(msgs)), zap.Int("failed", len(failed)))
}

// A receive costs the same for 1 message as for 10. While the queue is busy
// (the last receive returned messages), the consumer spaces its receives so
// that each brings about gatherBatch messages at the rate they have been
// arriving, waiting at most Config.BatchWait: a bounded delay for a few
// times fewer SQS requests. After an empty receive it does not wait: the
// next long poll returns as soon as a message arrives.
const gatherBatch = 4

// receivePace remembers how fast messages have been arriving.
type receivePace struct {
	busy  bool      // the last receive returned messages
	rate  float64   // messages per second, a moving average over busy receives
	start time.Time // of the previous receive
}

// observe records a receive started at start that brought n messages.
func (p *receivePace) observe(start time.Time, n int) {
	if n > 0 && !p.start.IsZero() {
		if gap := start.Sub(p.start).Seconds(); gap > 0 {
			r := float64(n) / gap
			if p.rate == 0 {
				p.rate = r
			} else {
				p.rate += 0.3 * (r - p.rate)
			}
		}
	}
	if n == 0 {
		p.rate = 0
	}
	p.busy = n > 0
	p.start = start
}

// next is when a busy consumer receives next, waiting at most most.
func (p *receivePace) next(most time.Duration) time.Time {
	if p.rate <= 0 {
		return p.start.Add(most)
	}
	return p.start.Add(min(time.Duration(gatherBatch/p.rate*float64(time.Second)), most))
}

// takeSlots blocks for one free slot that Config.Admission admits; when the
// queue is busy it then waits until the receive pace says (see
// gatherBatch); then it takes as many more slots as are free and admitted,
// up to a receive's maximum of 10.
func (c *Consumer) takeSlots(ctx context.Context, pace *receivePace) (int, bool) {
	for {
		select {
		case c.slots <- struct{}{}:
		case <-ctx.Done():
			return 0, false
		}
		if c.admits(len(c.slots) - 1) {
			break
		}
		<-c.slots // not admitted: give the slot back and wait for room (not a freed one)
		if !c.awaitAdmission(ctx) {
			return 0, false
		}
	}
	if !c.gather(ctx) {
		<-c.slots
		return 0, false
	}
	if pace.busy {
		if wait := time.Until(pace.next(c.cfg.BatchWait)); wait > 0 && !sleep(ctx, wait) {
			<-c.slots
			return 0, false
		}
	}
	n := 1
	for n < maxBatch && c.admits(len(c.slots)) {
		select {
		case c.slots <- struct{}{}:
			n++
			continue
		default:
		}
		break
	}
	return n, true
}

func (c *Consumer) freeSlots(n int) {
	for range n {
		c.freeSlot()
	}
}

// freeSlot gives one slot back.
func (c *Consumer) freeSlot() {
	<-c.slots
	select {
	case c.freed <- struct{}{}:
	default:
	}
}

func newMessage(sm types.Message, now time.Time) *Message {
	m := &Message{
		ID:         aws.ToString(sm.MessageId),
		Body:       aws.ToString(sm.Body),
		Attributes: sm.MessageAttributes,
		receipt:    aws.ToString(sm.ReceiptHandle),
		receivedAt: now,
		span:       noop.Span{},
	}
	if n, err := strconv.Atoi(sm.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]); err == nil {
		m.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(sm.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		m.SentAt = time.UnixMilli(ms)
	}
	return m
}

// process handles one delivery of m, holds included, until its outcome is
// stored; ctx carries the delivery's span, which ends here.
func (c *Consumer) process(ctx context.Context, m *Message) {
	span := m.span
	defer func() {
		span.End()
		c.m.Inflight.Dec()
		c.working.Add(-1)
		c.freeSlot()
	}()
	log := c.log.WithLazy(append([]zap.Field{zap.String("message_id", m.ID), zap.Int("receive_count", m.ReceiveCount)}, traceFields(span)...)...)
	ctx = outcome.WithHolder(ctx, newInPlace(c, span, log))
	// The handler runs once, and again after each completed hold backoff;
	// a backoff cut short by ctx ends the delivery as interrupted.
	err := c.call(ctx, m)
	for holds := 1; ; holds++ {
		if ctx.Err() == nil && m.LeaseErr() != nil {
			c.leases.loseNow(m, "the lease ran out while the handler worked")
		}
		if o, ok := c.interrupted(ctx, m, err, log); ok {
			traceOutcome(span, o, context.Cause(ctx))
			return
		}
		class := outcome.Decide(err, m.Final())
		if class.Kind != outcome.Held {
			traceOutcome(span, c.finish(context.WithoutCancel(ctx), m, class, err, log), err)
			return
		}
		pause := c.holds.held(class.Cause, err)
		wait := holdRetry.after(holds)
		span.SetAttributes(attrHolds.Int(holds))
		if holds == 1 || holds%10 == 0 {
			log.Warn("held: not the message's fault; lease kept, receiving paused, handler runs again after a backoff",
				zap.String("cause", string(class.Cause)), zap.Error(err), zap.Duration("retry_in", wait),
				zap.Duration("receive_pause", pause), zap.Int("holds", holds))
			traceHold(span, class.Cause, err, holds, wait)
		}
		g := c.m.Held.WithLabelValues(string(class.Cause))
		g.Inc()
		slept := sleep(ctx, wait)
		g.Dec()
		if slept {
			err = c.call(ctx, m)
		}
	}
}

// interrupted handles a handler whose context was cancelled: the lease was
// lost, the shutdown timeout passed or the visibility ceiling was reached.
// It returns how the delivery ended, or false if the context is still live.
func (c *Consumer) interrupted(ctx context.Context, m *Message, err error, log *zap.Logger) (outcome.Kind, bool) {
	if ctx.Err() == nil {
		return 0, false
	}
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, ErrLeaseLost):
		c.leases.end(m)
		log.Warn("lease lost: outcome not stored, the new owner decides", zap.NamedError("handler_error", err))
		return outcome.LeaseLost, true
	case errors.Is(cause, ErrVisibilityCeiling):
		if !c.leases.end(m) {
			log.Warn("lease lost at the visibility ceiling: not released, the new owner decides", zap.NamedError("handler_error", err))
			return outcome.LeaseLost, true
		}
		c.changeVisibility(context.WithoutCancel(ctx), []*Message{m}, 0)
		log.Warn("released at the visibility ceiling", zap.NamedError("handler_error", err))
	default: // ErrShutdown
		// The lease stays: Run releases it once every handler has returned.
		log.Info("released at shutdown", zap.NamedError("handler_error", err))
	}
	c.m.Messages.WithLabelValues(outcome.Released.String()).Inc()
	return outcome.Released, true
}

// call runs the handler, turning a panic into an error with its stack.
func (c *Consumer) call(ctx context.Context, m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &panicError{value: r, stack: debug.Stack()}
		}
	}()
	return c.h.Handle(ctx, m)
}

// finish stores the outcome of a handled message, as outcome.Decide
// classed its error, and returns it.
func (c *Consumer) finish(ctx context.Context, m *Message, class outcome.Class, err error, log *zap.Logger) outcome.Kind {
	switch class.Kind {
	case outcome.Done:
		c.holds.ok()
		log.Debug("done")
		return c.complete(m, outcome.Done, log)
	case outcome.Skipped:
		log.Info("skipped", zap.String("why", err.Error()))
		return c.complete(m, outcome.Skipped, log)
	case outcome.Superseded:
		c.holds.ok()
		log.Info("superseded", zap.String("why", err.Error()))
		return c.complete(m, outcome.Superseded, log)
	case outcome.DeadLettered:
		if class.Reason == outcome.ReasonRetriesExhausted {
			err = fmt.Errorf("after %d receives: %w", m.ReceiveCount, err)
		}
		return c.deadLetter(ctx, m, class.Reason, err, log)
	default:
		var pe *panicError
		if errors.As(err, &pe) {
			log.Error("handler panicked", zap.Any("panic", pe.value), zap.ByteString("stack", pe.stack))
		} else {
			log.Warn("transient failure: message retried", zap.Error(err))
		}
		return c.retry(ctx, m, log)
	}
}

// complete deletes a finished message (batched). Its lease is kept, and
// extended, until the delete is done. It returns o, or outcome.LeaseLost.
func (c *Consumer) complete(m *Message, o outcome.Kind, log *zap.Logger) outcome.Kind {
	if !c.deletes.add(m, nil) {
		log.Warn("lease lost before the delete: the message comes back and is found "+o.String(), zap.Stringer("outcome", o))
		return outcome.LeaseLost
	}
	c.m.Messages.WithLabelValues(o.String()).Inc()
	return o
}

// retry makes the message visible again after a backoff.
func (c *Consumer) retry(ctx context.Context, m *Message, log *zap.Logger) outcome.Kind {
	if !c.leases.end(m) {
		log.Warn("lease lost: no retry backoff set, the new owner decides")
		return outcome.LeaseLost
	}
	c.m.Messages.WithLabelValues(outcome.Retried.String()).Inc()
	backoff := c.cfg.Backoff(m.ReceiveCount)
	backoff = min(max(backoff, 0), c.cfg.VisibilityCeiling-time.Since(m.receivedAt))
	failed := c.changeVisibility(ctx, []*Message{m}, max(backoff, 0))
	if len(failed) > 0 {
		log.Warn("could not set retry backoff; the message comes back when its lease expires")
	}
	return outcome.Retried
}

// deadLetter sends the message to the DLQ with its reason, then deletes it.
// If the DLQ refuses it, the message is retried instead: nothing is lost.
func (c *Consumer) deadLetter(ctx context.Context, m *Message, reason outcome.Reason, cause error, log *zap.Logger) outcome.Kind {
	if err := m.LeaseErr(); err != nil {
		c.leases.end(m)
		log.Warn("lease lost: not dead-lettered, the new owner decides", zap.String("reason", string(reason)), zap.Error(cause))
		return outcome.LeaseLost
	}
	attrs := DeadLetterAttributes(m.Attributes, string(reason), cause, c.url, m.ReceiveCount, time.Now())
	in := &sqs.SendMessageInput{
		QueueUrl:          aws.String(c.dlqURL),
		MessageBody:       aws.String(m.Body),
		MessageAttributes: attrs,
	}
	if isFIFO(c.dlqURL) {
		in.MessageGroupId = aws.String("dead-letters")
		in.MessageDeduplicationId = aws.String(m.ID)
	}
	c.m.request("SendMessage")
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.sqs.SendMessage(sctx, in); err != nil {
		log.Error("dead-letter send failed: message retried", zap.Error(err), zap.String("reason", string(reason)))
		return c.retry(ctx, m, log)
	}
	log.Warn("dead-lettered", zap.String("reason", string(reason)), zap.Error(cause))
	m.span.SetAttributes(attrReason.String(string(reason)))
	return c.complete(m, outcome.DeadLettered, log)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

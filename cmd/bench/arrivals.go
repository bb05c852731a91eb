package main

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// arrival is one upload: an S3 ObjectCreated event in the queue.
type arrival struct {
	id        int
	scheduled time.Time // the plan's time (open loop) or when the feeder chose to send
	start     time.Time // PutObject sent
	acked     time.Time // PutObject acknowledged: the event is in the queue
	err       error
}

// openLoop uploads the transcripts of ids 0..n-1 at a steady rate
// per second from start: each upload goes at its planned time in its own
// goroutine, whether or not earlier ones (or the consumer) are done. It
// returns when every upload has answered.
func openLoop(ctx context.Context, s3c *s3.Client, n int, rate float64, start time.Time) []arrival {
	plan := schedule(start, rate, n)
	out := make([]arrival, len(plan))
	var wg sync.WaitGroup
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i, at := range plan {
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				wg.Wait()
				return out[:i]
			}
		}
		wg.Go(func() {
			a := &out[i] // each goroutine owns its element
			a.id, a.scheduled = i, at
			a.start, a.acked, a.err = upload(ctx, s3c, i)
		})
	}
	wg.Wait()
	return out
}

// feeder uploads the transcripts of ids 0..n-1 as fast as a bound allows:
// never more than limit ahead (ahead is given how many uploads were
// started), at most par uploads at once.
type feeder struct {
	s3c   *s3.Client
	n     int
	par   int
	limit int
	ahead func(started int) int
}

// run feeds until n uploads were started or ctx is done, then waits for the
// uploads in progress.
func (f feeder) run(ctx context.Context) []arrival {
	var (
		mu  sync.Mutex
		out []arrival
		wg  sync.WaitGroup
	)
	sem := make(chan struct{}, max(f.par, 1))
	for i := 0; i < f.n && ctx.Err() == nil; {
		if f.ahead(i) >= f.limit {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		id := i // the i++ below must not reach the upload
		chosen := time.Now()
		wg.Go(func() {
			defer func() { <-sem }()
			a := arrival{id: id, scheduled: chosen}
			a.start, a.acked, a.err = upload(context.WithoutCancel(ctx), f.s3c, id)
			mu.Lock()
			out = append(out, a)
			mu.Unlock()
		})
		i++
	}
	wg.Wait()
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// arrivalStats splits arrivals into the acknowledged ones (by id) and
// failures, with the last acknowledgement.
func arrivalStats(as []arrival) (acked map[int]time.Time, failed int, last time.Time, firstErr error) {
	acked = make(map[int]time.Time, len(as))
	for _, a := range as {
		if a.err != nil {
			failed++
			if firstErr == nil {
				firstErr = a.err
			}
			continue
		}
		acked[a.id] = a.acked
		if a.acked.After(last) {
			last = a.acked
		}
	}
	return acked, failed, last, firstErr
}

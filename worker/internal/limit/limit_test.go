package limit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Never more than the capacity is admitted at once, whatever the mix of
// sizes, and everything is admitted in the end.
func TestBytesBoundsAdmission(t *testing.T) {
	t.Parallel()
	b := NewBytes(100)
	var inUse, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			n := int64(i%7*15 + 1)
			release, err := b.Acquire(t.Context(), n)
			if err != nil {
				t.Error(err)
				return
			}
			cur := inUse.Add(n)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			time.Sleep(time.Millisecond)
			inUse.Add(-n)
			release()
		})
	}
	wg.Wait()
	if peak.Load() > 100 {
		t.Errorf("peak %d bytes admitted, capacity 100", peak.Load())
	}
}

// A request over the capacity waits for all of it; a cancelled waiter
// leaves no bytes behind and does not block the ones after it.
func TestBytesLargeAndCancelled(t *testing.T) {
	t.Parallel()
	b := NewBytes(10)
	r1, _ := b.Acquire(t.Context(), 4)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { _, err := b.Acquire(ctx, 1000); errc <- err }()
	for { // wait until it queues
		b.mu.Lock()
		n := b.waiters.Len()
		b.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("cancelled Acquire succeeded")
	}
	r2, err := b.Acquire(t.Context(), 6)
	if err != nil {
		t.Fatal(err)
	}
	r1()
	r2()
	r3, err := b.Acquire(t.Context(), 1000) // clamped to the capacity
	if err != nil {
		t.Fatal(err)
	}
	r3()
	if b.free != 10 {
		t.Errorf("free %d after every release, want 10", b.free)
	}
}

func TestNilBytesAdmitsAll(t *testing.T) {
	t.Parallel()
	var b *Bytes
	release, err := b.Acquire(t.Context(), 1<<40)
	if err != nil {
		t.Fatal(err)
	}
	release()
}

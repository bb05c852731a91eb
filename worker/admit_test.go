package worker

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Never more than the capacity is admitted at once, whatever the mix of
// sizes, and everything is admitted in the end.
func TestMemoryBoundsAdmission(t *testing.T) {
	t.Parallel()
	m := newMemory(100)
	var inUse, peak atomic.Int64
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			n := int64(i%7*15 + 1)
			h, err := m.acquire(t.Context(), n)
			if err != nil {
				t.Error(err)
				return
			}
			cur := inUse.Add(n)
			for p := peak.Load(); cur > p && !peak.CompareAndSwap(p, cur); p = peak.Load() {
			}
			time.Sleep(time.Millisecond)
			inUse.Add(-n)
			h.release()
		})
	}
	wg.Wait()
	if peak.Load() > 100 {
		t.Errorf("peak %d bytes admitted, capacity 100", peak.Load())
	}
	if !m.sem.TryAcquire(100) {
		t.Error("bytes left behind after every release")
	}
}

// waitQueued blocks until the memory has a waiter: TryAcquire(0) fails
// only while someone waits.
func waitQueued(m *memory) {
	for m.sem.TryAcquire(0) {
		time.Sleep(time.Millisecond)
	}
}

// A large request is served before small ones that came after it, even
// when they would fit: it is not starved. A cancelled waiter leaves no
// bytes behind and does not block the ones after it; a request over the
// capacity waits for all of it.
func TestMemoryFIFOAndCancel(t *testing.T) {
	t.Parallel()
	m := newMemory(10)
	first, err := m.acquire(t.Context(), 4)
	if err != nil {
		t.Fatal(err)
	}
	large := make(chan *held)
	go func() {
		h, err := m.acquire(t.Context(), 10)
		if err != nil {
			t.Error(err)
		}
		large <- h
	}()
	waitQueued(m)
	if h := (&held{m: m}); h.grow(2) {
		t.Error("a small request went ahead of a waiting large one")
	}
	first.release()
	h := <-large
	if h.size() != 10 {
		t.Errorf("large request holds %d, want 10", h.size())
	}

	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { _, err := m.acquire(ctx, 1000); errc <- err }()
	waitQueued(m)
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("cancelled acquire succeeded")
	}
	h.release()
	h.release()                              // a second release does nothing
	all, err := m.acquire(t.Context(), 1000) // clamped to the capacity
	if err != nil || all.size() != 10 {
		t.Fatalf("acquire over the capacity: %v, holds %d", err, all.size())
	}
	all.release()
}

// A hold grows only into free room and shrinks at once; reacquire gives
// everything back before it waits, so two holders that both want more
// than is left never wait on each other.
func TestHeldGrowShrinkReacquire(t *testing.T) {
	t.Parallel()
	m := newMemory(10)
	a, _ := m.acquire(t.Context(), 4)
	b, _ := m.acquire(t.Context(), 4)
	if !a.grow(6) || a.size() != 6 {
		t.Fatalf("grow into free room: holds %d", a.size())
	}
	if b.grow(6) {
		t.Fatal("grew past the capacity")
	}
	// Both want 8: each gives back what it holds and waits in line.
	var wg sync.WaitGroup
	for _, h := range []*held{a, b} {
		wg.Go(func() {
			if err := h.reacquire(t.Context(), 8); err != nil {
				t.Error(err)
				return
			}
			h.shrink(1)
			time.Sleep(time.Millisecond)
			h.release()
		})
	}
	wg.Wait()
	if !m.sem.TryAcquire(10) {
		t.Error("bytes left behind")
	}
	var none *held
	if !none.grow(1<<40) || none.size() != 0 {
		t.Error("a nil hold refused or held something")
	}
	none.shrink(0)
	none.release()
}

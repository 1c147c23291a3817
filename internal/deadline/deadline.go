// Package deadline hands out contexts that bound a call by a fixed timeout
// without a timer per call: calls that start within the same short window
// share one context, whose deadline is the window's end plus the timeout.
// Made for the sidecar's Respond calls, tens of thousands a second, where
// context.WithTimeout's timer and allocation were a tenth of the CPU.
package deadline

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Shared hands out contexts whose deadline is between Timeout and
// Timeout+Grain from the call. The zero value is not usable; use New.
type Shared struct {
	timeout, grain time.Duration

	mu  sync.Mutex
	cur atomic.Pointer[window]
}

type window struct {
	ctx    context.Context
	cancel context.CancelFunc // kept, not called: the context ends at its deadline
	until  time.Time          // calls until then share ctx
}

// New returns a Shared for timeout. grain is how much later than timeout a
// deadline may be; it is also how often a new context (and timer) is made
// while calls keep coming.
func New(timeout, grain time.Duration) *Shared {
	return &Shared{timeout: timeout, grain: grain}
}

// Context returns a context that ends no sooner than Timeout from now and no
// later than Timeout+Grain. It must not be cancelled by the caller; it ends
// at its deadline.
func (s *Shared) Context() context.Context {
	now := time.Now()
	if w := s.cur.Load(); w != nil && now.Before(w.until) {
		return w.ctx
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if w := s.cur.Load(); w != nil && now.Before(w.until) {
		return w.ctx
	}
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(s.timeout+s.grain))
	s.cur.Store(&window{ctx: ctx, cancel: cancel, until: now.Add(s.grain)})
	return ctx
}

// Timers hands out channels that close at a given time, or up to Grain
// after it, without a timer per channel: every time within one grain
// shares a channel and its timer. Made for the activation deadline, one
// per workflow activation, tens of thousands a second.
type Timers struct {
	grain time.Duration
	base  time.Time // with a monotonic reading: buckets count grains from it

	mu      sync.Mutex
	buckets map[int64]chan struct{}
}

// NewTimers returns Timers of the given grain.
func NewTimers(grain time.Duration) *Timers {
	return &Timers{grain: grain, base: time.Now(), buckets: map[int64]chan struct{}{}}
}

// After returns a channel that is closed at at, or up to the grain later.
func (t *Timers) After(at time.Time) <-chan struct{} {
	b := int64((at.Sub(t.base) + t.grain - 1) / t.grain) // the first bucket end at or after at
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := t.buckets[b]
	if ch == nil {
		ch = make(chan struct{})
		t.buckets[b] = ch
		time.AfterFunc(time.Until(t.base.Add(time.Duration(b)*t.grain)), func() {
			t.mu.Lock()
			delete(t.buckets, b)
			t.mu.Unlock()
			close(ch)
		})
	}
	return ch
}

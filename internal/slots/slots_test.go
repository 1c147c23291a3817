package slots

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/task"
)

func TestFixedCountsReservedAndUsedSlots(t *testing.T) {
	f := NewFixed(2)
	info := Info{Kind: task.Activity}
	a, _ := f.TryReserve(info)
	b, _ := f.TryReserve(info)
	if _, ok := f.TryReserve(info); ok {
		t.Fatal("reserved a third slot of two")
	}
	f.MarkUsed(a)
	f.MarkUsed(a) // idempotent
	if f.Available() != 0 || f.InUse() != 1 {
		t.Fatalf("available %d, in use %d", f.Available(), f.InUse())
	}
	f.Release(a)
	f.Release(b)
	if f.Available() != 2 || f.InUse() != 0 {
		t.Fatalf("after release: available %d, in use %d", f.Available(), f.InUse())
	}
}

func TestFixedReserveWaitsForReleaseOrContext(t *testing.T) {
	f := NewFixed(1)
	p, _ := f.TryReserve(Info{})
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := f.Reserve(ctx, Info{})
		got <- err
	}()
	cancel()
	if err := <-got; err != context.Canceled {
		t.Fatalf("reserve = %v, want canceled", err)
	}
	go func() {
		q, err := f.Reserve(context.Background(), Info{})
		if err == nil {
			f.Release(q)
		}
		got <- err
	}()
	f.Release(p)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if f.Available() != 1 {
		t.Fatalf("available = %d, want 1", f.Available())
	}
}

func TestReleasingTwicePanics(t *testing.T) {
	f := NewFixed(1)
	p, _ := f.TryReserve(Info{})
	f.Release(p)
	defer func() {
		if recover() == nil {
			t.Fatal("second release did not panic")
		}
	}()
	f.Release(p)
}

// capacity is a Capacity with a fixed number of units.
type capacity struct {
	mu   sync.Mutex
	free int
	cond chan struct{}
}

func newCapacity(n int) *capacity { return &capacity{free: n, cond: make(chan struct{}, 100)} }

func (c *capacity) TryAcquire(task.Kind) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.free == 0 {
		return false
	}
	c.free--
	return true
}

func (c *capacity) Acquire(ctx context.Context, k task.Kind) error {
	for !c.TryAcquire(k) {
		select {
		case <-c.cond:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (c *capacity) Return(task.Kind) {
	c.mu.Lock()
	c.free++
	c.mu.Unlock()
	c.cond <- struct{}{}
}

func (c *capacity) left() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.free
}

func TestCappedNeedsBothSlotAndCapacity(t *testing.T) {
	tests := []struct {
		name       string
		slots, cap int
		want       int
	}{
		{"app capacity is the limit", 5, 2, 2},
		{"slots are the limit", 2, 5, 2},
		{"no app connected, no slot", 5, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := NewFixed(tt.slots), newCapacity(tt.cap)
			s := NewCapped(f, c)
			var got []*Permit
			for {
				p, ok := s.TryReserve(Info{Kind: task.Activity})
				if !ok {
					break
				}
				got = append(got, p)
			}
			if len(got) != tt.want {
				t.Fatalf("reserved %d, want %d", len(got), tt.want)
			}
			for _, p := range got {
				s.Release(p)
			}
			if f.Available() != tt.slots || c.left() != tt.cap {
				t.Fatalf("leaked: %d/%d slots, %d/%d capacity", f.Available(), tt.slots, c.left(), tt.cap)
			}
		})
	}
}

func TestCappedUsedPermitLeavesCapacityToTheApp(t *testing.T) {
	f, c := NewFixed(3), newCapacity(3)
	s := NewCapped(f, c)
	p, err := s.Reserve(context.Background(), Info{Kind: task.Activity})
	if err != nil {
		t.Fatal(err)
	}
	s.MarkUsed(p) // a task arrived: the claim became the app's credit
	s.Release(p)
	if f.Available() != 3 || c.left() != 2 {
		t.Fatalf("slots %d (want 3), capacity %d (want 2: the app's credit is returned by the dispatcher)", f.Available(), c.left())
	}
}

func TestCappedReserveReturnsCapacityWhenSlotWaitIsCancelled(t *testing.T) {
	f, c := NewFixed(1), newCapacity(2)
	s := NewCapped(f, c)
	held, _ := s.TryReserve(Info{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Reserve(ctx, Info{}); err == nil {
		t.Fatal("reserved without a free slot")
	}
	if c.left() != 1 {
		t.Fatalf("capacity %d, want 1 (only the held permit's claim)", c.left())
	}
	s.Release(held)
	if c.left() != 2 || f.Available() != 1 {
		t.Fatalf("leaked: capacity %d, slots %d", c.left(), f.Available())
	}
}

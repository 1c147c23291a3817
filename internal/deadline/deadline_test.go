package deadline

import (
	"testing"
	"time"
)

func TestSharedDeadlineIsWithinTheGrain(t *testing.T) {
	s := New(time.Second, 10*time.Millisecond)
	for range 3 {
		before := time.Now()
		ctx := s.Context()
		dl, ok := ctx.Deadline()
		if !ok {
			t.Fatal("no deadline")
		}
		if dl.Before(before.Add(time.Second)) || dl.After(time.Now().Add(time.Second+10*time.Millisecond)) {
			t.Fatalf("deadline %s after the call, want within [1s, 1.01s]", dl.Sub(before))
		}
		time.Sleep(4 * time.Millisecond)
	}
}

func TestSharedContextEndsAtItsDeadline(t *testing.T) {
	s := New(20*time.Millisecond, time.Millisecond)
	ctx := s.Context()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context did not end")
	}
	if ctx2 := s.Context(); ctx2.Err() != nil {
		t.Fatal("a new call got an ended context")
	}
}

func BenchmarkShared(b *testing.B) {
	s := New(10*time.Second, 10*time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Context()
	}
}

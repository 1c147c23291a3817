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

func TestTimersCloseWithinTheGrain(t *testing.T) {
	ts := NewTimers(5 * time.Millisecond)
	start := time.Now()
	var chans []<-chan struct{}
	var ats []time.Time
	for i := range 20 {
		at := start.Add(time.Duration(i) * 3 * time.Millisecond)
		ats = append(ats, at)
		chans = append(chans, ts.After(at))
	}
	for i, ch := range chans {
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("timer %d never fired", i)
		}
		if now := time.Now(); now.Before(ats[i]) {
			t.Fatalf("timer %d fired %s early", i, ats[i].Sub(now))
		}
	}
	// A time already past fires at once.
	select {
	case <-ts.After(time.Now().Add(-time.Second)):
	case <-time.After(5 * time.Second):
		t.Fatal("a past time did not fire")
	}
	ts.mu.Lock()
	left := len(ts.buckets)
	ts.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d buckets left after they fired", left)
	}
}

func BenchmarkTimers(b *testing.B) {
	ts := NewTimers(10 * time.Millisecond)
	b.ReportAllocs()
	for b.Loop() {
		_ = ts.After(time.Now().Add(8 * time.Second))
	}
}

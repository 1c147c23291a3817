package gopool

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestPoolRunsEveryFunctionAtOnce(t *testing.T) {
	p := New(time.Minute)
	var wg sync.WaitGroup
	release := make(chan struct{})
	// More blocked functions than any fixed pool would hold: Go never waits.
	for range 100 {
		wg.Add(1)
		p.Go(func() { defer wg.Done(); <-release })
	}
	close(release)
	wg.Wait()
}

func TestIdleGoroutinesEnd(t *testing.T) {
	before := runtime.NumGoroutine()
	p := New(10 * time.Millisecond)
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		p.Go(wg.Done)
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before the pool ran", runtime.NumGoroutine(), before)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

//go:noinline
func deep(n int) int {
	var pad [256]byte
	if n == 0 {
		return int(pad[0])
	}
	return deep(n-1) + int(pad[n%256])
}

// Guard: a task with a 16 KiB-deep stack, on a new goroutine each time and
// on the pool.
func BenchmarkGoroutinePerTask(b *testing.B) {
	var wg sync.WaitGroup
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		go func() { defer wg.Done(); deep(50) }()
		wg.Wait()
	}
}

func BenchmarkPool(b *testing.B) {
	p := New(time.Minute)
	var wg sync.WaitGroup
	b.ReportAllocs()
	for b.Loop() {
		wg.Add(1)
		p.Go(func() { defer wg.Done(); deep(50) })
		wg.Wait()
	}
}

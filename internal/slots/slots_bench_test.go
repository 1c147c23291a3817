package slots

import (
	"context"
	"testing"

	"github.com/temporal-sidecar/sidecar/internal/task"
)

// Every task reserves a slot before its poll and releases it once answered:
// these must stay allocation-light and uncontended.

func BenchmarkFixedReserveRelease(b *testing.B) {
	f := NewFixed(64)
	ctx := context.Background()
	info := Info{Kind: task.Activity}
	b.ReportAllocs()
	for b.Loop() {
		p, err := f.Reserve(ctx, info)
		if err != nil {
			b.Fatal(err)
		}
		f.MarkUsed(p)
		f.Release(p)
	}
}

func BenchmarkFixedTryReserveRelease(b *testing.B) {
	f := NewFixed(64)
	info := Info{Kind: task.Workflow, Sticky: true}
	b.ReportAllocs()
	for b.Loop() {
		p, ok := f.TryReserve(info)
		if !ok {
			b.Fatal("no slot")
		}
		f.Release(p)
	}
}

// BenchmarkFixedReserveReleaseParallel is many pollers and dispatchers on
// one supplier, as under load.
func BenchmarkFixedReserveReleaseParallel(b *testing.B) {
	f := NewFixed(1024)
	ctx := context.Background()
	info := Info{Kind: task.Activity}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := f.Reserve(ctx, info)
			if err != nil {
				b.Error(err)
				return
			}
			f.MarkUsed(p)
			f.Release(p)
		}
	})
}

// freeCapacity is app capacity that never runs out, so the benchmark
// measures Capped's own bookkeeping.
type freeCapacity struct{}

func (freeCapacity) Acquire(context.Context, task.Kind) error { return nil }
func (freeCapacity) TryAcquire(task.Kind) bool                { return true }
func (freeCapacity) Return(task.Kind)                         {}

func BenchmarkCappedReserveRelease(b *testing.B) {
	c := NewCapped(NewFixed(64), freeCapacity{})
	ctx := context.Background()
	info := Info{Kind: task.Activity}
	b.Run("used", func(b *testing.B) { // a poll that brought a task
		b.ReportAllocs()
		for b.Loop() {
			p, err := c.Reserve(ctx, info)
			if err != nil {
				b.Fatal(err)
			}
			c.MarkUsed(p)
			c.Release(p)
		}
	})
	b.Run("empty", func(b *testing.B) { // an empty poll gives its capacity back
		b.ReportAllocs()
		for b.Loop() {
			p, err := c.Reserve(ctx, info)
			if err != nil {
				b.Fatal(err)
			}
			c.Release(p)
		}
	})
}

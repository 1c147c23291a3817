// Package slots decides how many tasks of each kind the sidecar takes on at
// once. A poller reserves a slot before it polls; the slot is released when
// the poll comes back empty, or when the task it brought is answered or
// dropped. No slot, no poll.
package slots

import (
	"context"
	"sync/atomic"

	"github.com/temporal-sidecar/sidecar/internal/task"
)

// Info describes what a slot is for.
type Info struct {
	Kind   task.Kind
	Sticky bool // a workflow task from the sticky queue
	// Type and Operation name the task that occupies the slot, once one
	// does (set before MarkUsed): its workflow or activity type, or its
	// Nexus service and operation. Empty while the slot is only reserved.
	Type, Operation string
}

// Permit is one reserved slot. It is released exactly once.
type Permit struct {
	Info     Info
	used     atomic.Bool
	released atomic.Bool
}

// Used reports whether MarkUsed was called: a task occupies the slot.
func (p *Permit) Used() bool { return p.used.Load() }

// Supplier hands out slots for one kind of task, as Temporal's SlotSupplier
// does in the SDKs.
type Supplier interface {
	// Reserve waits for a slot or for ctx to end.
	Reserve(ctx context.Context, info Info) (*Permit, error)
	// TryReserve takes a slot if one is free now.
	TryReserve(info Info) (*Permit, bool)
	// MarkUsed records that a task now occupies the slot.
	MarkUsed(p *Permit)
	// Release frees the slot. Releasing a permit twice panics: it would
	// hand out a slot that does not exist.
	Release(p *Permit)
}

// Fixed is a Supplier with a fixed number of slots.
type Fixed struct {
	sem  chan struct{}
	used atomic.Int64
}

// NewFixed returns a Supplier with n slots.
func NewFixed(n int) *Fixed {
	if n < 1 {
		panic("slots: NewFixed needs at least one slot")
	}
	return &Fixed{sem: make(chan struct{}, n)}
}

// Reserve implements Supplier.
func (f *Fixed) Reserve(ctx context.Context, info Info) (*Permit, error) {
	select { // a free slot without ctx.Done, which makes a channel for ctx
	case f.sem <- struct{}{}:
		return &Permit{Info: info}, nil
	default:
	}
	select {
	case f.sem <- struct{}{}:
		return &Permit{Info: info}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// reserveUnless is Reserve that gives up, with neither a permit nor an
// error, when stop is closed first.
func (f *Fixed) reserveUnless(ctx context.Context, info Info, stop <-chan struct{}) (*Permit, error) {
	select {
	case f.sem <- struct{}{}:
		return &Permit{Info: info}, nil
	case <-stop:
		return nil, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TryReserve implements Supplier.
func (f *Fixed) TryReserve(info Info) (*Permit, bool) {
	select {
	case f.sem <- struct{}{}:
		return &Permit{Info: info}, true
	default:
		return nil, false
	}
}

// MarkUsed implements Supplier.
func (f *Fixed) MarkUsed(p *Permit) {
	if !p.used.Swap(true) {
		f.used.Add(1)
	}
}

// Release implements Supplier.
func (f *Fixed) Release(p *Permit) {
	if p.released.Swap(true) {
		panic("slots: permit released twice")
	}
	if p.used.Load() {
		f.used.Add(-1)
	}
	<-f.sem
}

// Size is the number of slots.
func (f *Fixed) Size() int { return cap(f.sem) }

// Available is the number of slots not reserved.
func (f *Fixed) Available() int { return cap(f.sem) - len(f.sem) }

// InUse is the number of slots occupied by a task.
func (f *Fixed) InUse() int { return int(f.used.Load()) }

// Capacity is the work connected apps can take, counted per kind. The bridge
// implements it. A claim taken by Acquire is either given back with Return or
// turned into an app's credit by the dispatcher once a task arrives.
type Capacity interface {
	Acquire(ctx context.Context, k task.Kind) error
	TryAcquire(k task.Kind) bool
	Return(k task.Kind)
}

// Capped limits a Supplier by the capacity connected apps offer, so the
// sidecar never polls a task no app has room for, and polls nothing while
// no app serves the kind.
type Capped struct {
	Supplier
	capacity Capacity
}

// NewCapped returns s limited by c.
func NewCapped(s Supplier, c Capacity) *Capped {
	return &Capped{Supplier: s, capacity: c}
}

// Reserve takes app capacity first, then a slot: a slot held while waiting
// for an app would starve other kinds of nothing, but capacity held while
// waiting for a slot keeps the app's credit from other pollers of the kind.
func (c *Capped) Reserve(ctx context.Context, info Info) (*Permit, error) {
	if err := c.capacity.Acquire(ctx, info.Kind); err != nil {
		return nil, err
	}
	p, err := c.Supplier.Reserve(ctx, info)
	if err != nil {
		c.capacity.Return(info.Kind)
		return nil, err
	}
	return p, nil
}

// TryReserve implements Supplier.
func (c *Capped) TryReserve(info Info) (*Permit, bool) {
	if !c.capacity.TryAcquire(info.Kind) {
		return nil, false
	}
	p, ok := c.Supplier.TryReserve(info)
	if !ok {
		c.capacity.Return(info.Kind)
	}
	return p, ok
}

// Release implements Supplier. An unused permit gives its app capacity back;
// a used one's capacity became an app credit, which the dispatcher returns.
func (c *Capped) Release(p *Permit) {
	used := p.Used()
	c.Supplier.Release(p)
	if !used {
		c.capacity.Return(p.Info.Kind)
	}
}

// Counted is a Supplier that reports its slots, for metrics and tests.
type Counted interface {
	Supplier
	Available() int
	InUse() int
}

package workflow

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

// Cache is the sticky cache's size, shared by the engines of every task
// queue the sidecar serves, as one SDK process shares its cache among its
// workers: at most Size runs are cached across all of them, and the least
// recently used idle run goes first, whichever queue it belongs to.
type Cache struct {
	size int
	tick atomic.Uint64 // orders uses across engines

	mu sync.Mutex // serializes join and leave
	// engines is replaced, never changed in place, so members hands it
	// out without a copy: shrink reads it after every workflow task.
	engines atomic.Pointer[[]*Engine]
}

// NewCache returns a shared cache of size runs; 0 turns sticky execution off.
func NewCache(size int) *Cache { return &Cache{size: size} }

// Size is the most runs cached at once.
func (c *Cache) Size() int { return c.size }

func (c *Cache) join(e *Engine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := append(slices.Clone(c.members()), e)
	c.engines.Store(&next)
}

func (c *Cache) leave(e *Engine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(c.members()), func(x *Engine) bool { return x == e })
	c.engines.Store(&next)
}

// members returns the engines; callers must not modify the slice.
func (c *Cache) members() []*Engine {
	if p := c.engines.Load(); p != nil {
		return *p
	}
	return nil
}

// shrink evicts least recently used idle runs, across engines, until the
// cache fits. It runs after every workflow task, so a cache that fits costs
// one count.
func (c *Cache) shrink(ctx context.Context) {
	for c.cached() > c.size {
		owner, victim := c.oldestIdle()
		if victim == nil {
			return // every run is busy; the next finished task shrinks again
		}
		owner.stats.ForcedEvictions.Add(1)
		owner.evict(ctx, victim, bridgev1.EvictionReason_EVICTION_REASON_CACHE_FULL, "the sticky cache is full")
		victim.mu.Unlock()
	}
}

// over reports a cache holding more runs than it may: shrink has work.
func (c *Cache) over() bool { return c.cached() > c.size }

// cached counts the runs every engine caches.
func (c *Cache) cached() int {
	n := 0
	for _, e := range c.members() {
		n += e.Cached()
	}
	return n
}

// oldestIdle finds, locked, the least recently used run no task is
// processing, with its engine.
func (c *Cache) oldestIdle() (owner *Engine, victim *entry) {
	for _, e := range c.members() {
		e.mu.Lock()
		// Each engine's list runs from most to least recently used, so its
		// first idle run from the back is its candidate.
		for el := e.lru.Back(); el != nil; el = el.Prev() {
			ent := el.Value.(*entry)
			if victim != nil && ent.used >= victim.used {
				break
			}
			if ent.mu.TryLock() {
				if victim != nil {
					victim.mu.Unlock()
				}
				owner, victim = e, ent
				break
			}
		}
		e.mu.Unlock()
	}
	return owner, victim
}

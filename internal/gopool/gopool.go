// Package gopool runs functions on goroutines that outlive them: a function
// goes to an idle goroutine of the pool if one waits, else to a new one,
// which then waits for more work until it has been idle for a while.
//
// A goroutine per task starts on a small stack and grows it (allocating
// and copying each time) as deep as the task's calls go; on the sidecar's
// hot paths (the Respond call of each activity and workflow task) that
// was 6-8% of all CPU. A pooled goroutine keeps its grown stack for the
// next task.
package gopool

import "time"

// Pool is a set of goroutines that run functions. The zero value is not
// usable; use New.
type Pool struct {
	work chan func()
	idle time.Duration
}

// New returns a pool whose goroutines end after idle without work.
func New(idle time.Duration) *Pool {
	return &Pool{work: make(chan func()), idle: idle}
}

// Go runs f on a goroutine of the pool, at once: on an idle one if there
// is one, else on a new one. It never blocks.
func (p *Pool) Go(f func()) {
	select {
	case p.work <- f:
	default:
		go p.run(f)
	}
}

func (p *Pool) run(f func()) {
	f()
	t := time.NewTimer(p.idle)
	defer t.Stop()
	for {
		select {
		case f = <-p.work:
			f()
			t.Reset(p.idle)
		case <-t.C:
			return
		}
	}
}

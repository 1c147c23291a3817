package bridge

import (
	"context"
	"errors"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/task"
)

// ErrNotServed is returned by Assign when no connected app serves the type.
var ErrNotServed = errors.New("bridge: no connected app serves this type")

// ErrNoApp is returned by Assign and AcquireForTask once no app serving the
// task's kind has been connected for Options.HandbackGrace: the caller hands
// the task back to the server, which retries it on another worker at once.
var ErrNoApp = errors.New("bridge: no app serving this kind of task has been connected for the hand-back grace")

// ErrShuttingDown is returned by Assign once shutdown began: apps were told
// no new work follows, so a task polled before must be handed back.
var ErrShuttingDown = errors.New("bridge: the sidecar is shutting down")

// Acquire claims one unit of the capacity connected apps offer for kind k,
// waiting until some app has a free credit nobody claimed. Pollers claim
// before they poll, so the sidecar never polls a task no app has room for.
// A claim ends with Return (nothing came) or Assign (a task came).
func (s *Server) Acquire(ctx context.Context, k task.Kind) error {
	for {
		ch := s.Changed()
		if s.TryAcquire(k) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// TryAcquire claims capacity of kind k if some is unclaimed now.
func (s *Server) TryAcquire(k task.Kind) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	free := 0
	for _, ss := range s.sessions {
		if !ss.ReplayOnly() { // its credits are for its own replays
			free += ss.Free(k)
		}
	}
	if free <= s.claimed[k] {
		return false
	}
	s.claimed[k]++
	return true
}

// Return gives back a claim that brought no task.
func (s *Server) Return(k task.Kind) {
	s.mu.Lock()
	s.unclaim(k)
	s.notifyLocked()
	s.mu.Unlock()
}

// Assign turns a claim into a credit on a session that serves name, and
// returns the session. If the sessions that serve name are busy (apps that
// registered different types), it waits for one of them; while no app at all
// serves kind k (they disconnected after the claim), it waits for one to
// connect, until ctx ends. It fails with ErrNotServed if connected apps serve
// kind k but none serves name, and with ErrShuttingDown once shutdown began.
// The claim ends either way.
func (s *Server) Assign(ctx context.Context, k task.Kind, name string) (*Session, error) {
	return s.AssignBy(ctx, time.Time{}, k, name)
}

// AssignBy is Assign that waits no later than deadline (unless zero), and
// fails then with context.DeadlineExceeded. A task that finds an app at
// once costs no timer, as a context with the deadline would.
func (s *Server) AssignBy(ctx context.Context, deadline time.Time, k task.Kind, name string) (*Session, error) {
	s.mu.Lock()
	s.unclaim(k)
	s.mu.Unlock()
	for {
		ch := s.Changed()
		if ss := s.Pick(k, name); ss != nil {
			return ss, nil
		}
		if served, kind := s.served(k, name); !served && kind {
			return nil, ErrNotServed
		}
		if s.shutdownNotice() != nil {
			return nil, ErrShuttingDown
		}
		if err := s.waitChangeBy(ctx, deadline, k, ch); err != nil {
			return nil, err
		}
	}
}

// waitChange waits for ch (a change of sessions) or ctx, or, while no app
// serves kind k, the end of the hand-back grace (ErrNoApp).
func (s *Server) waitChange(ctx context.Context, k task.Kind, ch <-chan struct{}) error {
	return s.waitChangeBy(ctx, time.Time{}, k, ch)
}

// waitChangeBy is waitChange that gives up at deadline, if not zero.
func (s *Server) waitChangeBy(ctx context.Context, deadline time.Time, k task.Kind, ch <-chan struct{}) error {
	var expired <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		expired = t.C
	}
	var handback <-chan time.Time
	switch d := s.handbackIn(k); {
	case d < 0:
		return ErrNoApp
	case d > 0:
		t := time.NewTimer(d)
		defer t.Stop()
		handback = t.C
	}
	select {
	case <-ch:
		return nil
	case <-handback:
		return ErrNoApp
	case <-expired:
		return context.DeadlineExceeded
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AcquireForTask is Acquire for a task already taken from the server (one
// the server handed back in a response, or moved off a lost app): it fails
// with ErrNoApp once no app has served kind k for the hand-back grace.
func (s *Server) AcquireForTask(ctx context.Context, k task.Kind) error {
	for {
		ch := s.Changed()
		if s.TryAcquire(k) {
			return nil
		}
		if err := s.waitChange(ctx, k, ch); err != nil {
			return err
		}
	}
}

// served reports whether a connected app serves name, and whether any
// serves kind k at all.
func (s *Server) served(k task.Kind, name string) (served, kind bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.servedLocked(k, name)
}

func (s *Server) servedLocked(k task.Kind, name string) (served, kind bool) {
	for _, ss := range s.sessions {
		if ss.ReplayOnly() {
			continue
		}
		served = served || ss.Serves(k, name)
		kind = kind || ss.ServesKind(k)
	}
	return served, kind
}

func (s *Server) unclaim(k task.Kind) {
	if s.claimed[k] == 0 {
		panic("bridge: capacity returned that was never claimed")
	}
	s.claimed[k]--
}

// ReserveOn takes a credit of kind k on a session that already holds work of
// the caller (a cached workflow run), waiting while the session is busy. It
// fails with ErrSessionClosed once the session has ended.
func (s *Server) ReserveOn(ctx context.Context, k task.Kind, ss *Session) error {
	for {
		ch := s.Changed()
		if ss.reserveContinuing(k) {
			return nil
		}
		select {
		case <-ch:
		case <-ss.Done():
			return ErrSessionClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// AssignTo ends a claim by taking a credit on a given session: a polled task
// for a run that session holds.
func (s *Server) AssignTo(ctx context.Context, k task.Kind, ss *Session) error {
	s.mu.Lock()
	s.unclaim(k)
	s.notifyLocked()
	s.mu.Unlock()
	return s.ReserveOn(ctx, k, ss)
}

package bridge

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/task"
)

func TestNoAppMeansNoCapacity(t *testing.T) {
	srv, _ := serve(t, Options{}, Security{})
	if srv.TryAcquire(task.Activity) {
		t.Fatal("claimed capacity with no app connected")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Acquire(ctx, task.Activity); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("acquire = %v, want to wait until the deadline", err)
	}
}

func TestClaimsNeverExceedOfferedCredits(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	registered(t, conn, validRegister()) // 3 activity credits
	waitSessions(t, srv, 1)
	for i := range 3 {
		if !srv.TryAcquire(task.Activity) {
			t.Fatalf("claim %d refused", i)
		}
	}
	if srv.TryAcquire(task.Activity) {
		t.Fatal("claimed a fourth unit of three credits")
	}
	srv.Return(task.Activity)
	if !srv.TryAcquire(task.Activity) {
		t.Fatal("a returned claim was not reusable")
	}
	ss, err := srv.Assign(context.Background(), task.Activity, "Charge")
	if err != nil || ss == nil {
		t.Fatalf("assign = %v, %v", ss, err)
	}
	if ss.Outstanding(task.Activity) != 1 {
		t.Fatalf("outstanding = %d, want 1", ss.Outstanding(task.Activity))
	}
	// Two claims and one credit in use: the app's three credits are spoken for.
	if srv.TryAcquire(task.Activity) {
		t.Fatal("claimed capacity the app does not have")
	}
	ss.Release(task.Activity)
	if !srv.TryAcquire(task.Activity) {
		t.Fatal("a released credit did not free capacity")
	}
}

func TestAcquireWakesWhenAnAppConnects(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	got := make(chan error, 1)
	go func() { got <- srv.Acquire(context.Background(), task.Workflow) }()
	registered(t, conn, validRegister())
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("acquire did not wake when capacity appeared")
	}
}

func TestAssignUnservedTypeFailsAndEndsClaim(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	registered(t, conn, validRegister())
	waitSessions(t, srv, 1)
	if !srv.TryAcquire(task.Activity) {
		t.Fatal("no capacity")
	}
	if _, err := srv.Assign(context.Background(), task.Activity, "Refund"); !errors.Is(err, ErrNotServed) {
		t.Fatalf("assign = %v, want ErrNotServed", err)
	}
	for i := range 3 {
		if !srv.TryAcquire(task.Activity) {
			t.Fatalf("claim %d refused: the failed assign leaked its claim", i)
		}
	}
}

func TestAssignWaitsForABusyServingApp(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	charge := validRegister()
	charge.Identity, charge.Capacity.Activities = "charge", 1
	registered(t, conn, charge)
	waitSessions(t, srv, 1)
	busy := srv.Pick(task.Activity, "Charge")
	srv.mu.Lock()
	srv.claimed[task.Activity]++ // a claim taken when capacity looked free
	srv.mu.Unlock()
	got := make(chan *Session, 1)
	go func() {
		ss, _ := srv.Assign(context.Background(), task.Activity, "Charge")
		got <- ss
	}()
	select {
	case <-got:
		t.Fatal("assigned beyond the serving app's credits")
	case <-time.After(50 * time.Millisecond):
	}
	busy.Release(task.Activity)
	select {
	case ss := <-got:
		if ss != busy {
			t.Fatalf("assigned to %v", ss)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("assign did not wake when the serving app freed a credit")
	}
}

func TestAssignDuringShutdownHandsTheTaskBack(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	registered(t, conn, validRegister())
	waitSessions(t, srv, 1)
	if !srv.TryAcquire(task.Activity) {
		t.Fatal("no capacity")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = srv.Shutdown(ctx, time.Second)
	if _, err := srv.Assign(context.Background(), task.Activity, "Charge"); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("assign = %v, want ErrShuttingDown", err)
	}
}

// AssignBy waits for a busy app no later than its deadline.
func TestAssignByGivesUpAtItsDeadline(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	registered(t, conn, validRegister()) // 3 activity credits
	waitSessions(t, srv, 1)
	var held []*Session
	for range 3 {
		if !srv.TryAcquire(task.Activity) {
			t.Fatal("claim refused")
		}
		ss, err := srv.AssignBy(context.Background(), time.Now().Add(time.Second), task.Activity, "Charge")
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, ss)
	}
	// A fourth task, claimed before the credits were taken (a claim lost
	// to a session that left, say), finds the app busy.
	srv.mu.Lock()
	srv.claimed[task.Activity]++
	srv.mu.Unlock()
	start := time.Now()
	if _, err := srv.AssignBy(context.Background(), start.Add(50*time.Millisecond), task.Activity, "Charge"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("assign = %v, want the deadline", err)
	}
	if took := time.Since(start); took < 50*time.Millisecond {
		t.Fatalf("gave up after %s, before the deadline", took)
	}
	for _, ss := range held {
		ss.Release(task.Activity)
	}
}

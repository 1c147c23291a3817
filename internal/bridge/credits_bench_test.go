package bridge

import (
	"context"
	"fmt"
	"testing"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/task"
)

// Every task takes a credit on an app session and gives it back when
// answered; a poller's claim (Acquire/TryAcquire) turns into a credit with
// Assign. These run once per task, so they must not allocate or scan much.

// benchServer is a Server with n registered sessions serving activity
// "Charge" and workflow "Checkout", each offering capacity credits per kind,
// without any gRPC stream.
func benchServer(n int, capacity uint32) (*Server, []*Session) {
	s := New(Options{TaskQueue: "q"})
	var out []*Session
	for i := range n {
		reg := &bridgev1.Register{ProtocolVersion: ProtocolVersion, Identity: fmt.Sprintf("%d@bench", i), TaskQueue: "q",
			Workflows:  []*bridgev1.WorkflowRegistration{{Name: "Checkout"}},
			Activities: []*bridgev1.ActivityRegistration{{Name: "Charge"}},
			Capacity:   &bridgev1.Capacity{WorkflowActivations: capacity, Activities: capacity, LocalActivities: 1}}
		ss := newSession(newID(), reg, s.notify)
		s.add(ss)
		out = append(out, ss)
	}
	return s, out
}

// BenchmarkSessionReserveRelease is one credit taken and returned on a session.
func BenchmarkSessionReserveRelease(b *testing.B) {
	_, ss := benchServer(1, 64)
	b.ReportAllocs()
	for b.Loop() {
		if !ss[0].Reserve(task.Activity) {
			b.Fatal("no credit")
		}
		ss[0].Release(task.Activity)
	}
}

// BenchmarkReserveOnRelease is the credit for the next activation of a cached
// run: ReserveOn its session, then Release.
func BenchmarkReserveOnRelease(b *testing.B) {
	s, ss := benchServer(1, 64)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ReserveOn(ctx, task.Workflow, ss[0]); err != nil {
			b.Fatal(err)
		}
		ss[0].Release(task.Workflow)
	}
}

// BenchmarkClaimAssignRelease is a task's whole credit cycle: the poller's
// claim, Assign to the least busy serving session, Release once answered;
// with 1 and 16 sessions connected.
func BenchmarkClaimAssignRelease(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			s, _ := benchServer(n, 64)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if !s.TryAcquire(task.Activity) {
					b.Fatal("no capacity")
				}
				ss, err := s.Assign(ctx, task.Activity, "Charge")
				if err != nil {
					b.Fatal(err)
				}
				ss.Release(task.Activity)
			}
		})
	}
}

// BenchmarkClaimAssignReleaseParallel is the same cycle from many goroutines,
// as pollers and dispatchers run it under load.
func BenchmarkClaimAssignReleaseParallel(b *testing.B) {
	s, _ := benchServer(4, 1024)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Acquire(ctx, task.Activity); err != nil {
				b.Error(err)
				return
			}
			ss, err := s.Assign(ctx, task.Activity, "Charge")
			if err != nil {
				b.Error(err)
				return
			}
			ss.Release(task.Activity)
		}
	})
}

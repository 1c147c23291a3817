package worker_test

import (
	"context"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// handbackGrace is the grace of these tests: short, against the
// timeouts the tasks would otherwise wait out (10s and more).
const handbackGrace = 500 * time.Millisecond

// firstEvent waits for the run's first event of type typ.
func (e *env) firstEvent(id string, typ enumspb.EventType) *historypb.HistoryEvent {
	e.t.Helper()
	var found *historypb.HistoryEvent
	waitFor(e.t, typ.String()+" in the history of "+id, func() bool {
		it := e.client.GetWorkflowHistory(context.Background(), id, "", false, 0)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return false
			}
			if ev.GetEventType() == typ {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

func TestTasksHeldWhenTheLastAppLeavesAreHandedBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e *env) time.Duration // returns how long the task was held after the app left
	}{
		{"a workflow task is failed so the server retries it at once", func(t *testing.T, e *env) time.Duration {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			only, err := bridgetest.Dial(ctx, e.target, &bridgev1.Register{ProtocolVersion: 1, Identity: "leaving", TaskQueue: e.queue,
				Workflows: []*bridgev1.WorkflowRegistration{{Name: "Timer"}}, Capacity: &bridgev1.Capacity{WorkflowActivations: 1}})
			if err != nil {
				t.Fatal(err)
			}
			run := e.startWorkflow("Timer")
			if _, err := only.NextActivation(30 * time.Second); err != nil {
				t.Fatal(err)
			}
			only.Close() // leaves holding the task; no app is left
			left := time.Now()
			failed := e.firstEvent(run.GetID(), enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED)
			held := failed.GetEventTime().AsTime().Sub(left)
			e.workflowApp(map[string]script{"Timer": timerThenDone})
			if out, err := result(t, run); err != nil || out != "fired" {
				t.Fatalf("workflow = %q, %v", out, err)
			}
			return held
		}},
		{"an activity task is failed as worker process lost", func(t *testing.T, e *env) time.Duration {
			first := e.app(1, "Echo")
			waitFor(t, "a poll claimed for the app", func() bool { return e.svc.inFlight.Load() > 0 })
			first.Close()
			waitFor(t, "the app gone", func() bool { return e.w.Apps() == 0 })
			left := time.Now()
			run := e.start(Call{Type: "Echo", Arg: "retried", MaxAttempts: 2})
			var held time.Duration
			waitFor(t, "the first attempt failed", func() bool {
				d, err := e.client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
				p := d.GetPendingActivities()
				if err != nil || len(p) != 1 || p[0].GetAttempt() != 2 {
					return false
				}
				if typ := p[0].GetLastFailure().GetApplicationFailureInfo().GetType(); typ != "WorkerProcessLost" {
					t.Fatalf("the first attempt failed with %q, want WorkerProcessLost", typ)
				}
				held = p[0].GetLastAttemptCompleteTime().AsTime().Sub(left)
				return true
			})
			second := e.app(1, "Echo")
			task := next(t, second)
			if task.GetStart().GetAttempt() != 2 {
				t.Fatalf("attempt %d, want 2: the first was handed back", task.GetStart().GetAttempt())
			}
			if err := second.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
				t.Fatal(err)
			}
			if out, err := result(t, run); err != nil || out != "retried" {
				t.Fatalf("workflow = %q, %v", out, err)
			}
			return held
		}},
		{"the sticky queue is released", func(t *testing.T, e *env) time.Duration {
			first := e.workflowApp(map[string]script{"Collect": collect})
			run := e.startWorkflow("Collect")
			waitQuery(t, e, run.GetID(), 0)
			first.Close()
			left := time.Now()
			waitFor(t, "the sticky queue released", func() bool { return e.svc.shutdowns.Load() > 0 })
			second := e.workflowApp(map[string]script{"Collect": collect})
			for _, v := range []string{"x", "y"} {
				if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "add", v); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the second app running the run", func() bool { return len(second.activations(run.GetRunID())) > 0 })
			held := time.Since(left)
			if out, err := result(t, run); err != nil || out != "x+y" {
				t.Fatalf("workflow = %q, %v", out, err)
			}
			return held
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *worker.Options) { o.Bridge.HandbackGrace = handbackGrace })
			held := tc.run(t, e)
			t.Logf("held %s after the last app left (grace %s)", held.Round(time.Millisecond), handbackGrace)
			// Well inside the task's own timeouts (the sticky one is 10s).
			if limit := handbackGrace + 3*time.Second; held > limit {
				t.Errorf("the task was held %s after the last app left, over %s", held, limit)
			}
			e.waitIdle()
		})
	}
}

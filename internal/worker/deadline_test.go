package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// hungTaskTimeout is the workflow task timeout of the runs a hung app
// holds: short, so the test sees several deadlines pass.
const hungTaskTimeout = 2 * time.Second

// hungApp connects an app that registers Timer with more capacity than the
// healthy apps (so it gets the first tasks) and never answers.
func (e *env) hungApp(capacity uint32) *bridgetest.App {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := bridgetest.Dial(ctx, e.target, &bridgev1.Register{ProtocolVersion: 1, Identity: "hung@" + e.t.Name(), TaskQueue: e.queue,
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Timer"}}, Capacity: &bridgev1.Capacity{WorkflowActivations: capacity}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(a.Close)
	return a
}

func (e *env) startTimer(taskTimeout time.Duration) client.WorkflowRun {
	e.t.Helper()
	run, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: e.queue,
		WorkflowExecutionTimeout: 2 * time.Minute, WorkflowTaskTimeout: taskTimeout}, "Timer")
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

// retryDelay is how long a run's first workflow task waited, from being
// scheduled to the start of the attempt that was completed.
func (e *env) retryDelay(run client.WorkflowRun) time.Duration {
	e.t.Helper()
	var scheduled, started time.Time
	it := e.client.GetWorkflowHistory(context.Background(), run.GetID(), run.GetRunID(), false, 0)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			e.t.Fatal(err)
		}
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			if scheduled.IsZero() {
				scheduled = ev.GetEventTime().AsTime()
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			started = ev.GetEventTime().AsTime()
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			return started.Sub(scheduled)
		}
	}
	e.t.Fatalf("run %s has no completed workflow task", run.GetRunID())
	return 0
}

func TestHungAppLosesItsRunsToAHealthyApp(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxMissed int // --max-missed-deadlines
		runs      int
		// closed: the hung app's session ends, naming the flag; otherwise
		// it stays, and its late answer is refused and followed by an eviction.
		closed bool
	}{
		{name: "runs move within a task timeout and the late answer is refused", maxMissed: 0, runs: 5},
		// The hung app's runs still out when it is closed reach the healthy
		// app with their time nearly used: that is not the healthy app's
		// miss, or it would be closed too.
		{name: "a session missing deadlines past the limit is closed, and only it", maxMissed: 1, runs: 5, closed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(o *worker.Options) { o.Bridge.MaxMissedDeadlines = tc.maxMissed })
			hung := e.hungApp(20)
			healthy := e.workflowApp(map[string]script{"Timer": timerThenDone})
			runs := make([]client.WorkflowRun, tc.runs)
			for i := range runs {
				runs[i] = e.startTimer(hungTaskTimeout)
			}
			held := map[string]bool{}
			for range runs {
				act, err := hung.NextActivation(30 * time.Second)
				if err != nil {
					t.Fatal(err)
				}
				held[act.GetRunId()] = true
			}
			var slowest time.Duration
			for _, run := range runs {
				if out, err := result(t, run); err != nil || out != "fired" {
					t.Fatalf("workflow = %q, %v", out, err)
				}
				if !held[run.GetRunID()] || len(healthy.activations(run.GetRunID())) == 0 {
					t.Fatalf("run %s: held by the hung app %v, activations on the healthy one %d", run.GetRunID(), held[run.GetRunID()], len(healthy.activations(run.GetRunID())))
				}
				slowest = max(slowest, e.retryDelay(run))
			}
			t.Logf("the hung app delayed its %d runs by at most %s (workflow task timeout %s)", tc.runs, slowest.Round(time.Millisecond), hungTaskTimeout)
			if slowest > hungTaskTimeout {
				t.Errorf("a run waited %s for its retried task, over one workflow task timeout (%s)", slowest, hungTaskTimeout)
			}
			want := tc.runs // every run's, or until the session closed
			if tc.closed {
				want = tc.maxMissed
			}
			if got := e.w.Bridge().MissedDeadlines(); got < uint64(want) {
				t.Errorf("missed deadlines = %d, want at least %d", got, want)
			}

			if tc.closed {
				waitFor(t, "the hung app's session closed", func() bool { return e.w.Apps() == 1 })
				_, err := hung.Next(30 * time.Second)
				for err == nil {
					_, err = hung.Next(30 * time.Second)
				}
				if !strings.Contains(err.Error(), "DeadlineExceeded") || !strings.Contains(err.Error(), "--max-missed-deadlines") {
					t.Errorf("the hung app's stream ended with %v, want DeadlineExceeded naming --max-missed-deadlines", err)
				}
				if apps, hung := e.w.Apps(), e.w.HungApps(); apps != 1 || len(hung) != 0 {
					t.Errorf("after the hung app's session closed: %d apps, hung %q; want the healthy app, not hung", apps, hung)
				}
				e.waitIdle()
				return
			}
			if hungApps := e.w.HungApps(); len(hungApps) != 1 || !strings.HasPrefix(hungApps[0], "hung@") {
				t.Errorf("HungApps = %q, want the hung app", hungApps)
			}
			// The hung app wakes up and answers: refused, then told to drop the run.
			for id := range held {
				if err := hung.CompleteActivation(id); err != nil {
					t.Fatal(err)
				}
				m, err := hung.Next(30 * time.Second)
				if ce := m.GetCompletionError(); err != nil || ce.GetKind() != bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_UNKNOWN_TASK ||
					ce.GetRunId() != id || !strings.Contains(ce.GetMessage(), "past its deadline") {
					t.Fatalf("late answer got %v, %v; want UNKNOWN_TASK past its deadline", m, err)
				}
				act, err := hung.NextActivation(30 * time.Second)
				if err != nil || act.GetRunId() != id || act.GetJobs()[0].GetRemoveFromCache() == nil {
					t.Fatalf("after a late answer got %v, %v; want the run's eviction", act, err)
				}
				if err := hung.CompleteActivation(id); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, "the woken app no longer hung", func() bool { return len(e.w.HungApps()) == 0 })
			e.waitIdle()
		})
	}
}

// An app that fails a run's activation and never acknowledges the run's
// eviction is not hung: temporalio does exactly that for a deadlocked run
// (the eviction waits for the run's stuck thread) while its other runs go
// on. The failure reaches the server without waiting for the eviction, the
// eviction keeps only its own credit, and the app keeps its session and
// gets new runs, even with --max-missed-deadlines 1.
func TestUnacknowledgedEvictionsLeaveTheAppServing(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.Bridge.MaxMissedDeadlines = 1 })
	app := e.hungApp(10)
	stuck := map[string]bool{}
	var ids []string
	for range 3 {
		run := e.startTimer(hungTaskTimeout)
		ids = append(ids, run.GetID())
		act, err := app.NextActivation(30 * time.Second)
		for err == nil && isEviction(act) { // an earlier run's: never answered
			act, err = app.NextActivation(30 * time.Second)
		}
		if err != nil {
			t.Fatal(err)
		}
		stuck[act.GetRunId()] = true
		if err := app.FailActivation(act.GetRunId(), &bridgev1.Failure{Message: "[TMPRL1101] Potential deadlock detected"}); err != nil {
			t.Fatal(err)
		}
	}
	// The evictions are never answered; each run's task failure is in its
	// history, and its next attempt, which cannot reach the app past the
	// eviction, times out (attempt 3 is pending: the evictions are past
	// their deadlines).
	for _, id := range ids {
		waitHistory(t, e, id, func(c map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
			return c[enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED] == 1
		})
		waitFor(t, "the run's third workflow task attempt", func() bool {
			d, err := e.client.DescribeWorkflowExecution(context.Background(), id, "")
			return err == nil && d.GetPendingWorkflowTask().GetAttempt() >= 3
		})
	}

	healthy := e.startTimer(30 * time.Second)
	go func() {
		for {
			act, err := app.NextActivation(time.Hour)
			if err != nil || stuck[act.GetRunId()] {
				if err != nil {
					return
				}
				continue // a stuck run's eviction or retry: never answered
			}
			var cmds []*bridgev1.WorkflowCommand
			for _, j := range act.GetJobs() {
				switch {
				case j.GetInitializeWorkflow() != nil:
					cmds = append(cmds, startTimer(1, 10*time.Millisecond))
				case j.GetFireTimer() != nil:
					cmds = append(cmds, complete("fired"))
				}
			}
			_ = app.CompleteActivation(act.GetRunId(), cmds...)
		}
	}()
	if out, err := result(t, healthy); err != nil || out != "fired" {
		t.Fatalf("a new run on the app holding unacknowledged evictions = %q, %v; want fired", out, err)
	}
	if missed, apps, hung := e.w.Bridge().MissedDeadlines(), e.w.Apps(), e.w.HungApps(); missed != 0 || apps != 1 || len(hung) != 0 {
		t.Errorf("missed deadlines %d, apps %d, hung %q; want 0, the app, none", missed, apps, hung)
	}
}

func isEviction(act *bridgev1.WorkflowActivation) bool {
	return len(act.GetJobs()) == 1 && act.GetJobs()[0].GetRemoveFromCache() != nil
}

// An app that is the only one serving a workflow type keeps an activation
// past the sidecar's deadline, as under sdk-core, which sets none: moving
// the run would gain nothing, and an answer that beats the server's task
// timeout (temporalio's sandbox importing a large module for a run's first
// activation) completes the task.
func TestALoneSlowAppKeepsItsActivationPastTheDeadline(t *testing.T) {
	const taskTimeout = 5 * time.Second // the sidecar's deadline is at 4s
	e := newEnv(t, func(o *worker.Options) { o.Bridge.MaxMissedDeadlines = 1 })
	app := e.hungApp(1)
	run := e.startTimer(taskTimeout)
	act, err := app.NextActivation(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// The slow app: it answers after the deadline, before the timeout.
	time.AfterFunc(taskTimeout*9/10, func() { _ = app.CompleteActivation(act.GetRunId(), startTimer(1, 10*time.Millisecond)) })
	fired, err := app.NextActivation(30 * time.Second)
	if err != nil || fired.GetJobs()[0].GetFireTimer() == nil {
		t.Fatalf("next activation = %v, %v; want the timer fired", fired, err)
	}
	if err := app.CompleteActivation(fired.GetRunId(), complete("fired")); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "fired" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	for _, ev := range history(t, e, run.GetID(), run.GetRunID()) {
		if ty := ev.GetEventType(); ty == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED || ty == enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT {
			t.Errorf("history has %s: the slow answer should have completed the first task", ty)
		}
	}
	if n := e.w.Bridge().MissedDeadlines(); n != 0 {
		t.Errorf("missed deadlines = %d, want 0: the app was alone", n)
	}
}

package worker_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"
)

func scheduleLocal(seq uint32, typ string, attempt uint32, scheduled *bridgev1.DoBackoff) *bridgev1.WorkflowCommand {
	c := &bridgev1.ScheduleLocalActivity{Seq: seq, ActivityType: typ, Arguments: []*bridgev1.Payload{js("local")},
		StartToCloseTimeout: durationpb.New(10 * time.Second), Attempt: attempt,
		RetryPolicy:         &bridgev1.RetryPolicy{InitialInterval: durationpb.New(100 * time.Millisecond), MaximumAttempts: 5},
		LocalRetryThreshold: durationpb.New(time.Minute)}
	if scheduled != nil {
		c.OriginalScheduleTime = scheduled.GetOriginalScheduleTime()
	}
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleLocalActivity{ScheduleLocalActivity: c}}
}

// localScript runs the local activity input[0]; a DoBackoff is honoured with
// a timer and a new attempt, as Temporal's SDKs do. It completes with the
// result and the attempt that produced it.
var localScript script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			out = append(out, scheduleLocal(1, st.input[0], 1, nil))
		case j.GetResolveActivity() != nil:
			r := j.GetResolveActivity()
			switch res := r.GetResult(); {
			case res.GetCompleted() != nil:
				out = append(out, complete(str(res.GetCompleted().GetResult())))
			case res.GetBackoff() != nil:
				st.vars["backoff"] = res.GetBackoff().String()
				st.vars["attempt"] = string(rune('0' + res.GetBackoff().GetAttempt()))
				out = append(out, startTimer(1, res.GetBackoff().GetBackoffDuration().AsDuration()))
			case res.GetFailed() != nil:
				out = append(out, complete("failed:"+res.GetFailed().GetFailure().GetCause().GetMessage()))
			}
		case j.GetFireTimer() != nil:
			out = append(out, scheduleLocal(2, st.input[0], uint32(st.vars["attempt"][0]-'0'), nil))
		}
	}
	return out
}

func TestLocalActivityRunsInAppAndIsRecordedAsMarker(t *testing.T) {
	for _, cache := range []int{10, 0} { // 0: the marker must resolve the replay without running again
		t.Run(map[int]string{10: "cached", 0: "replayed"}[cache], func(t *testing.T) {
			e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = cache; o.MaxConcurrentLocalActivities = 4 })
			e.workflowApp(map[string]script{"Local": localScript})
			run := e.startWorkflow("Local", "Echo")
			if out, err := result(t, run); err != nil || out != "local" {
				t.Fatalf("workflow = %q, %v", out, err)
			}
			waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
				return ev[enumspb.EVENT_TYPE_MARKER_RECORDED] == 1 && ev[enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED] == 0
			})
			e.waitIdle()
		})
	}
}

func TestLocalActivityRetriesLocally(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxConcurrentLocalActivities = 4 })
	e.workflowApp(map[string]script{"Local": localScript})
	run := e.startWorkflow("Local", "Flaky")
	if out, err := result(t, run); err != nil || out != "local" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	// One marker: the failed first attempt was retried inside the task.
	waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
		return ev[enumspb.EVENT_TYPE_MARKER_RECORDED] == 1 && ev[enumspb.EVENT_TYPE_TIMER_STARTED] == 0
	})
}

func TestLocalActivityBackoffBeyondThresholdUsesATimer(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxConcurrentLocalActivities = 4 })
	threshold := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		out := localScript(st, act)
		for _, c := range out {
			if la := c.GetScheduleLocalActivity(); la != nil {
				la.LocalRetryThreshold = durationpb.New(time.Millisecond) // any backoff exceeds it
			}
		}
		return out
	}
	e.workflowApp(map[string]script{"Local": threshold})
	run := e.startWorkflow("Local", "Flaky")
	if out, err := result(t, run); err != nil || out != "local" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
		return ev[enumspb.EVENT_TYPE_MARKER_RECORDED] == 2 && ev[enumspb.EVENT_TYPE_TIMER_STARTED] == 1
	})
}

func TestLongLocalActivityHeartbeatsTheWorkflowTask(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxConcurrentLocalActivities = 4 })
	e.workflowApp(map[string]script{"Local": localScript})
	// The local activity takes 3s; the workflow task times out after 2s
	// unless the sidecar completes it at 1.6s asking for a new one, in which
	// the local activity finishes: two completed tasks, no timeout.
	run, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: e.queue,
		WorkflowTaskTimeout: 2 * time.Second}, "Local", "Slow")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "local" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
		return ev[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] >= 2 && ev[enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT] == 0
	})
}

// localOutcome schedules the local activity input[0]; with a cancellation
// type in input[1] it cancels it (with that type) once a second local
// activity resolved, and with "start" or "schedule" in input[2] it limits it
// by a 300 ms start-to-close or schedule-to-close timeout. It completes with
// how the first one resolved.
var localOutcome script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch r := j.GetResolveActivity(); {
		case j.GetInitializeWorkflow() != nil:
			c := scheduleLocal(1, st.input[0], 1, nil)
			la := c.GetScheduleLocalActivity()
			la.CancellationType = bridgev1.CancellationType(bridgev1.CancellationType_value[st.input[1]])
			la.RetryPolicy = &bridgev1.RetryPolicy{MaximumAttempts: 1}
			switch st.input[2] {
			case "start":
				la.StartToCloseTimeout = durationpb.New(300 * time.Millisecond)
			case "schedule":
				la.StartToCloseTimeout, la.ScheduleToCloseTimeout = nil, durationpb.New(300*time.Millisecond)
			}
			out = append(out, c)
			if st.input[1] != "" {
				out = append(out, scheduleLocal(2, "Echo", 1, nil))
			}
		case r != nil && r.GetSeq() == 2:
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelLocalActivity{
				RequestCancelLocalActivity: &bridgev1.RequestCancelLocalActivity{Seq: 1}}})
		case r != nil:
			switch res := r.GetResult(); {
			case res.GetCompleted() != nil:
				out = append(out, complete("completed:"+str(res.GetCompleted().GetResult())))
			case res.GetCancelled() != nil:
				out = append(out, complete("cancelled"))
			case res.GetFailed() != nil:
				out = append(out, complete("failed:"+res.GetFailed().GetFailure().GetCause().GetTimeoutFailureInfo().GetTimeoutType().String()))
			}
		}
	}
	return out
}

func TestLocalActivityCancellationTypesAndTimeouts(t *testing.T) {
	tests := []struct {
		name, activity, cancelType, timeout, want string
	}{
		{"try-cancel resolves at once", "Slow", "CANCELLATION_TYPE_TRY_CANCEL", "", "cancelled"},
		{"abandon resolves at once", "Slow", "CANCELLATION_TYPE_ABANDON", "", "cancelled"},
		// Slow ignores the cancel and completes after 3 s: the workflow waited for it.
		{"wait-cancellation-completed waits for the app", "Slow", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED", "", "completed:local"},
		{"wait-cancellation-completed resolves when the app stopped", "Hang", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED", "", "cancelled"},
		{"start-to-close timeout", "Hang", "", "start", "failed:TIMEOUT_TYPE_START_TO_CLOSE"},
		{"schedule-to-close timeout", "Hang", "", "schedule", "failed:TIMEOUT_TYPE_SCHEDULE_TO_CLOSE"},
	}
	e := newEnv(t, func(o *worker.Options) { o.MaxConcurrentLocalActivities = 20 })
	e.workflowApp(map[string]script{"Local": localOutcome})
	runs := make([]client.WorkflowRun, len(tests))
	for i, tt := range tests { // concurrently: Slow takes 3 s
		runs[i] = e.startWorkflow("Local", tt.activity, tt.cancelType, tt.timeout)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := result(t, runs[i]); err != nil || out != tt.want {
				t.Fatalf("workflow = %q, %v; want %q", out, err, tt.want)
			}
		})
	}
}

// signalsThenLocal runs the local activity input[0] and completes with how
// many signals it saw before the activity resolved.
var signalsThenLocal script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			out = append(out, scheduleLocal(1, st.input[0], 1, nil))
		case j.GetSignalWorkflow() != nil:
			st.signals = append(st.signals, j.GetSignalWorkflow().GetSignalName())
		case j.GetResolveActivity() != nil:
			out = append(out, complete(fmt.Sprintf("%d signals before the local activity", len(st.signals))))
		}
	}
	return out
}

// TestLocalActivityFinishedInALaterTaskReplaysThere: a local activity that
// outlived its workflow task (the task heartbeated) and finished after a
// signal must resolve after that signal on replay too, where its marker is,
// not as soon as the replayed workflow schedules it.
func TestLocalActivityFinishedInALaterTaskReplaysThere(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxConcurrentLocalActivities = 4 })
	app := e.workflowApp(map[string]script{"Local": signalsThenLocal})
	run, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: e.queue,
		WorkflowTaskTimeout: 2 * time.Second}, "Local", "Gate")
	if err != nil {
		t.Fatal(err)
	}
	waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
		return ev[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] >= 1 // the heartbeat: the activity still runs
	})
	if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "poke", nil); err != nil {
		t.Fatal(err)
	}
	sawSignal := func(runID string) bool {
		for _, a := range app.activations(runID) {
			for _, j := range a.GetJobs() {
				if j.GetSignalWorkflow() != nil {
					return true
				}
			}
		}
		return false
	}
	waitFor(t, "the signal delivered while the local activity runs", func() bool { return sawSignal(run.GetRunID()) })
	close(app.gate)
	const want = "1 signals before the local activity"
	if out, err := result(t, run); err != nil || out != want {
		t.Fatalf("workflow = %q, %v; want %q", out, err, want)
	}

	h := history(t, e, run.GetID(), run.GetRunID())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.w.Workflows().Replay(ctx, run.GetID(), "replayed-run", h); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if !sawSignal("replayed-run") {
		t.Fatal("the replay never delivered the signal")
	}
}

// TestLocalActivityMarkerMatchesWhereverItLands: live, a local activity's
// marker follows the commands of the activation that scheduled it (it is
// recorded when the activity finishes); a replay resolves it at once, ahead
// of them. Markers pair with their events by sequence number.
func TestLocalActivityMarkerMatchesWhereverItLands(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxConcurrentLocalActivities = 4 })
	localAndTimer := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		for _, j := range act.GetJobs() {
			switch {
			case j.GetInitializeWorkflow() != nil:
				return []*bridgev1.WorkflowCommand{scheduleLocal(1, "Echo", 1, nil), startTimer(1, time.Hour)}
			case j.GetResolveActivity() != nil:
				return []*bridgev1.WorkflowCommand{complete(str(j.GetResolveActivity().GetResult().GetCompleted().GetResult()))}
			}
		}
		return nil
	}
	e.workflowApp(map[string]script{"Local": localAndTimer})
	run := e.startWorkflow("Local")
	if out, err := result(t, run); err != nil || out != "local" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	h := history(t, e, run.GetID(), run.GetRunID())
	var order []enumspb.EventType
	for _, ev := range h {
		if ev.GetEventType() == enumspb.EVENT_TYPE_TIMER_STARTED || ev.GetEventType() == enumspb.EVENT_TYPE_MARKER_RECORDED {
			order = append(order, ev.GetEventType())
		}
	}
	if len(order) != 2 || order[0] != enumspb.EVENT_TYPE_TIMER_STARTED {
		t.Fatalf("history has %v, want the timer before the marker", order)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.w.Workflows().Replay(ctx, run.GetID(), "replayed-run", h); err != nil {
		t.Fatalf("replay: %v", err)
	}
}

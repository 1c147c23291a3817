package worker_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"
)

// queryOrFail answers the query "ok" and fails the activation of any other
// query with "no handler for <type>"; it completes at once when its input is
// "done", else waits for cancellation.
var queryOrFail script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil && len(st.input) > 0 && st.input[0] == "done":
			out = append(out, complete("done"))
		case j.GetQueryWorkflow() != nil:
			q := j.GetQueryWorkflow()
			if q.GetQueryType() != "ok" {
				st.vars["fail"] = "no handler for " + q.GetQueryType()
				continue
			}
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RespondToQuery{RespondToQuery: &bridgev1.QueryResult{
				QueryId: q.GetQueryId(), Variant: &bridgev1.QueryResult_Succeeded{Succeeded: js("ok")}}}})
		}
	}
	return out
}

// A legacy query whose activation the app failed is answered with the app's
// failure as it is, as sdk-core answers it: its message is the failure's own,
// not wrapped, on a cached run and on one replayed only for the query.
func TestLegacyQueryFailedByTheAppKeepsTheFailureMessage(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"QueryOrFail": queryOrFail})
	for _, tc := range []struct {
		name  string
		input string
	}{
		{"cached run", "wait"},
		{"closed run replayed for the query", "done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := e.startWorkflow("QueryOrFail", tc.input)
			if tc.input == "done" {
				if _, err := result(t, run); err != nil {
					t.Fatal(err)
				}
			}
			ask := func(typ string) (*workflowservice.QueryWorkflowResponse, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				return e.client.WorkflowService().QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{Namespace: "default",
					Execution: &commonpb.WorkflowExecution{WorkflowId: run.GetID(), RunId: run.GetRunID()},
					Query:     &querypb.WorkflowQuery{QueryType: typ}})
			}
			if _, err := ask("ok"); err != nil {
				t.Fatalf("query ok: %v", err)
			}
			_, err := ask("__temporal_bad")
			var qf *serviceerror.QueryFailed
			if !errors.As(err, &qf) {
				t.Fatalf("query error = %T %v, want QueryFailed", err, err)
			}
			const want = "no handler for __temporal_bad"
			if qf.Message != want || qf.Failure.GetMessage() != want || qf.Failure.GetApplicationFailureInfo().GetType() != "TypeError" {
				t.Fatalf("query failed with %q, failure %v; want %q and the app's failure", qf.Message, qf.Failure, want)
			}
			// The run still answers.
			if _, err := ask("ok"); err != nil {
				t.Fatalf("query ok after the failed one: %v", err)
			}
		})
	}
}

// closeWithLocals schedules the local activity "Hang" (seq 1, cancellation
// type input[0]) and "Echo" (seq 2); when Echo resolves it completes the
// workflow, first cancelling Hang when input[1] says so ("cancel first":
// before the completion in the activation; "cancel after": after it).
var closeWithLocals script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch r := j.GetResolveActivity(); {
		case j.GetInitializeWorkflow() != nil:
			hang := scheduleLocal(1, "Hang", 1, nil)
			hang.GetScheduleLocalActivity().CancellationType = bridgev1.CancellationType(bridgev1.CancellationType_value[st.input[0]])
			out = append(out, hang, scheduleLocal(2, "Echo", 1, nil))
		case r != nil && r.GetSeq() == 2:
			cancel := &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelLocalActivity{
				RequestCancelLocalActivity: &bridgev1.RequestCancelLocalActivity{Seq: 1}}}
			switch st.input[1] {
			case "cancel first":
				out = append(out, cancel, complete("done"))
			case "cancel after":
				out = append(out, complete("done"), cancel)
			default:
				out = append(out, complete("done"))
			}
		}
	}
	return out
}

// A workflow that completes while a local activity runs, or in the activation
// that cancels one, gets its markers before the completion, as sdk-core
// orders them: the server accepts no command after the closing one. A local
// activity still running when the workflow closes is cancelled and records no
// marker (sdk-core cancels every local activity of a run that closes); one
// resolved by the closing activation's cancel (try-cancel, abandon) does.
func TestLocalActivityMarkersPrecedeTheClosingCommand(t *testing.T) {
	tests := []struct {
		name, cancelType, when string
		markers                int
	}{
		{"still running", "CANCELLATION_TYPE_TRY_CANCEL", "", 1},
		{"still running, wait-cancellation-completed", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED", "", 1},
		{"try-cancel before the completion", "CANCELLATION_TYPE_TRY_CANCEL", "cancel first", 2},
		{"try-cancel after the completion", "CANCELLATION_TYPE_TRY_CANCEL", "cancel after", 2},
		{"abandon before the completion", "CANCELLATION_TYPE_ABANDON", "cancel first", 2},
		{"wait-cancellation-completed before the completion", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED", "cancel first", 1},
	}
	e := newEnv(t, func(o *worker.Options) { o.MaxConcurrentLocalActivities = 20 })
	e.workflowApp(map[string]script{"CloseWithLocals": closeWithLocals})
	runs := make([]client.WorkflowRun, len(tests))
	for i, tt := range tests {
		runs[i] = e.startWorkflow("CloseWithLocals", tt.cancelType, tt.when)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := result(t, runs[i]); err != nil || out != "done" {
				t.Fatalf("workflow = %q, %v", out, err)
			}
			var types []enumspb.EventType
			markers := 0
			for _, ev := range history(t, e, runs[i].GetID(), runs[i].GetRunID()) {
				types = append(types, ev.GetEventType())
				switch ev.GetEventType() {
				case enumspb.EVENT_TYPE_MARKER_RECORDED:
					markers++
				case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
					t.Errorf("a workflow task failed: %v", ev.GetWorkflowTaskFailedEventAttributes().GetFailure().GetMessage())
				}
			}
			if markers != tt.markers || types[len(types)-1] != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
				t.Fatalf("history %v: %d markers, want %d before the completion", types, markers, tt.markers)
			}
		})
	}
	e.waitIdle()
}

// signalThenCancel signals the workflow "missing-<run>" (which does not
// exist) and cancels the signal: in the same activation ("same
// activation"), in a later activation of the same task, after a local
// activity resolved ("later activation"), or in a later task, once a timer
// fired ("later task"). It completes with how the signal resolved once it
// has and, for "later task", the timer has fired too.
var signalThenCancel script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	cancel := &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelSignalWorkflow{CancelSignalWorkflow: &bridgev1.CancelSignalWorkflow{Seq: 1}}}
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SignalExternalWorkflowExecution{
				SignalExternalWorkflowExecution: &bridgev1.SignalExternalWorkflowExecution{Seq: 1, SignalName: "add",
					Target: &bridgev1.SignalExternalWorkflowExecution_WorkflowExecution{WorkflowExecution: &bridgev1.NamespacedWorkflowExecution{
						WorkflowId: "missing-" + act.GetRunId()}}}}})
			switch st.input[0] {
			case "same activation":
				out = append(out, cancel)
			case "later activation":
				out = append(out, scheduleLocal(1, "Echo", 1, nil))
			case "later task":
				out = append(out, startTimer(1, time.Millisecond))
			}
		case j.GetResolveActivity() != nil, j.GetFireTimer() != nil:
			st.vars["waited"] = "yes"
			out = append(out, cancel)
		case j.GetResolveSignalExternalWorkflow() != nil:
			r := j.GetResolveSignalExternalWorkflow()
			switch f := r.GetFailure(); {
			case f == nil:
				st.vars["signal"] = "signalled"
			case f.GetCanceledFailureInfo() != nil:
				st.vars["signal"] = "cancelled: " + f.GetMessage()
			default:
				st.vars["signal"] = "failed: " + r.GetCause().String()
			}
		}
	}
	if st.vars["signal"] != "" && (st.input[0] != "later task" || st.vars["waited"] != "") {
		out = append(out, complete(st.vars["signal"]))
		st.vars["signal"] = ""
	}
	return out
}

// A signal to another workflow cancelled before it was sent resolves at once
// as cancelled and never reaches the server, as sdk-core's signal-external
// machine does; cancelled after it was sent, it resolves as it would have.
func TestCancelledSignalToAnotherWorkflow(t *testing.T) {
	tests := []struct {
		when, want string
		sent       bool
	}{
		{"same activation", "cancelled: Signal was cancelled before being sent", false},
		{"later activation", "cancelled: Signal was cancelled before being sent", false},
		{"later task", "failed: SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND", true},
	}
	for _, cache := range []int{10, 0} { // 0: every task replays the run from its start
		e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = cache })
		e.workflowApp(map[string]script{"SignalThenCancel": signalThenCancel})
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s, cache %d", tt.when, cache), func(t *testing.T) {
				run := e.startWorkflow("SignalThenCancel", tt.when)
				if out, err := result(t, run); err != nil || out != tt.want {
					t.Fatalf("workflow = %q, %v; want %q", out, err, tt.want)
				}
				sent := false
				for _, ev := range history(t, e, run.GetID(), run.GetRunID()) {
					switch ev.GetEventType() {
					case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
						sent = true
					case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
						t.Errorf("a workflow task failed: %v", ev.GetWorkflowTaskFailedEventAttributes().GetFailure().GetMessage())
					}
				}
				if sent != tt.sent {
					t.Fatalf("signal sent to the server: %v, want %v", sent, tt.sent)
				}
			})
		}
		e.waitIdle()
	}
}

// An operator's pause and reset reach the app as one cancellation carrying
// every reason, as sdk-core reports a heartbeat's answer: the primary reason
// is reset over pause, and the details hold each flag that was set.
func TestPausedAndResetActivityCancellationCarriesEveryReason(t *testing.T) {
	tests := []struct {
		name         string
		pause, reset bool
		want         bridgev1.ActivityCancelReason
		details      *bridgev1.ActivityCancellationDetails
	}{
		{"paused", true, false, bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_PAUSED, &bridgev1.ActivityCancellationDetails{IsPaused: true}},
		{"reset", false, true, bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_RESET, &bridgev1.ActivityCancellationDetails{IsReset: true}},
		{"paused and reset", true, true, bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_RESET, &bridgev1.ActivityCancellationDetails{IsPaused: true, IsReset: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.app(2, "Slow")
			run := e.start(Call{Type: "Slow", Heartbeat: 2 * time.Second, MaxAttempts: 3})
			defer e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
			task := next(t, a)
			ex := &commonpb.WorkflowExecution{WorkflowId: run.GetID()}
			id := task.GetStart().GetActivityId()
			if tt.pause {
				if _, err := e.client.WorkflowService().PauseActivity(context.Background(), &workflowservice.PauseActivityRequest{
					Namespace: "default", Execution: ex, Activity: &workflowservice.PauseActivityRequest_Id{Id: id}, Reason: "operator"}); err != nil {
					t.Fatal(err)
				}
			}
			if tt.reset {
				if _, err := e.client.WorkflowService().ResetActivity(context.Background(), &workflowservice.ResetActivityRequest{
					Namespace: "default", Execution: ex, Activity: &workflowservice.ResetActivityRequest_Id{Id: id}, KeepPaused: tt.pause}); err != nil {
					t.Fatal(err)
				}
			}
			var c *bridgev1.CancelActivity
			waitFor(t, "the app to be told of the operator's action", func() bool {
				if err := a.Heartbeat(task.GetTaskToken()); err != nil {
					t.Fatal(err)
				}
				m, err := a.NextActivity(200 * time.Millisecond)
				c = m.GetCancel()
				return err == nil
			})
			if c.GetReason() != tt.want || !proto.Equal(c.GetDetails(), tt.details) {
				t.Fatalf("cancel = %v; want reason %s, details %v", c, tt.want, tt.details)
			}
			if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Cancelled()); err != nil {
				t.Fatal(err)
			}
			e.waitIdle()
		})
	}
}

// patchedThenSignal takes the patch "p1" and completes on the signal "add".
var patchedThenSignal script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SetPatchMarker{
				SetPatchMarker: &bridgev1.SetPatchMarker{PatchId: "p1"}}})
		case j.GetSignalWorkflow() != nil:
			out = append(out, complete("done"))
		}
	}
	return out
}

// A run that moves to a second app (the first left) is replayed there from
// its start, and the first activation begins with InitializeWorkflow, then
// the patches its first task recorded, as sdk-core orders jobs: Temporal's
// SDKs take the first job of an untracked run's activation as its start
// (@temporalio/worker failed every retry with "Received workflow activation
// for an untracked workflow with no init workflow job").
func TestARunMovedToANewAppStartsWithInitializeWorkflow(t *testing.T) {
	e := newEnv(t, nil)
	first := e.workflowApp(map[string]script{"PatchedThenSignal": patchedThenSignal})
	run := e.startWorkflow("PatchedThenSignal")
	waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
		return ev[enumspb.EVENT_TYPE_MARKER_RECORDED] == 1
	})
	first.Close()
	<-first.Done()
	second := e.workflowApp(map[string]script{"PatchedThenSignal": patchedThenSignal})
	if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "add", "x"); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "done" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	acts := second.activations(run.GetRunID())
	if len(acts) == 0 {
		t.Fatal("the second app got no activation for the run")
	}
	jobs := acts[0].GetJobs()
	if len(jobs) < 2 || jobs[0].GetInitializeWorkflow() == nil || jobs[1].GetNotifyHasPatch().GetPatchId() != "p1" || !acts[0].GetIsReplaying() {
		t.Fatalf("the second app's first activation = %v; want a replay starting with initialize_workflow, then notify_has_patch p1", acts[0])
	}
	for _, ev := range history(t, e, run.GetID(), run.GetRunID()) {
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
			t.Errorf("a workflow task failed: %v", ev.GetWorkflowTaskFailedEventAttributes().GetFailure().GetMessage())
		}
	}
}

// eagerRounds schedules the activity Echo three at a time, three times, and
// completes with who ran them: "workflow app" when every one echoed its
// input, else the first other answer.
var eagerRounds script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	round := func(n int) {
		for i := range 3 {
			out = append(out, scheduleEcho(uint32(3*n+i+1), "workflow app", 0))
		}
	}
	for _, j := range act.GetJobs() {
		switch r := j.GetResolveActivity(); {
		case j.GetInitializeWorkflow() != nil:
			round(0)
		case r != nil:
			if got := str(r.GetResult().GetCompleted().GetResult()); got != "workflow app" && st.vars["by"] == "" {
				st.vars["by"] = got
			}
			st.signals = append(st.signals, "done") // resolutions so far
			switch n := len(st.signals); {
			case n == 9 && st.vars["by"] == "":
				out = append(out, complete("workflow app"))
			case n == 9:
				out = append(out, complete(st.vars["by"]))
			case n%3 == 0:
				round(n / 3)
			}
		}
	}
	return out
}

// An activity requested eagerly runs on the app that ran the workflow task
// that scheduled it, as sdk-core runs it in the worker that scheduled it,
// never on another app serving its type; an app that serves no activity
// type asks for none eagerly, so they come by poll to the app that does.
func TestEagerActivitiesRunOnTheAppThatScheduledThem(t *testing.T) {
	tests := []struct {
		name       string
		activities []*bridgev1.ActivityRegistration // the workflow app's
		want       string
		wantPolled int64
	}{
		{"the workflow app serves the activity", []*bridgev1.ActivityRegistration{{Name: "Echo"}}, "workflow app", 0},
		{"the workflow app serves no activity", nil, "activity-only app", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *worker.Options) { o.EagerActivities = true })
			other := e.app(100, "Echo")
			go func() {
				for {
					task, err := other.NextActivity(time.Hour)
					if err != nil {
						return
					}
					_ = other.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(js("activity-only app")))
				}
			}()
			e.scriptedApp(&bridgev1.Register{ProtocolVersion: 1, Identity: "wfapp@" + t.Name(), SdkName: "bridgetest", TaskQueue: e.queue,
				Activities: tt.activities, Capacity: &bridgev1.Capacity{WorkflowActivations: 10, Activities: 10}},
				map[string]script{"EagerRounds": eagerRounds})
			run := e.startWorkflow("EagerRounds")
			if out, err := result(t, run); err != nil || out != tt.want {
				t.Fatalf("workflow = %q, %v; want the activities run by the %s", out, err, tt.want)
			}
			if n := e.svc.polledTasks.Load(); n != tt.wantPolled {
				t.Fatalf("%d activities came by poll, want %d", n, tt.wantPolled)
			}
			e.waitIdle()
		})
	}
}

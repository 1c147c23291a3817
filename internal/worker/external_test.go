package worker_test

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
)

func startChild(seq uint32, id, typ string, cancel bridgev1.CancellationType, args ...any) *bridgev1.WorkflowCommand {
	var in []*bridgev1.Payload
	for _, a := range args {
		in = append(in, js(a))
	}
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_StartChildWorkflowExecution{StartChildWorkflowExecution: &bridgev1.StartChildWorkflowExecution{
		Seq: seq, WorkflowId: id, WorkflowType: typ, Input: in, CancellationType: cancel,
		ParentClosePolicy: bridgev1.ParentClosePolicy_PARENT_CLOSE_POLICY_TERMINATE}}}
}

// parent starts a child (type input[0], id input[1], cancellation type
// input[2]); on signal "cancel" it cancels it, on signal "poke" it signals it.
// It completes with what happened to the child.
var parent script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			ct := bridgev1.CancellationType(bridgev1.CancellationType_value[st.input[2]])
			out = append(out, startChild(1, st.input[1], st.input[0], ct))
		case j.GetResolveChildWorkflowExecutionStart() != nil:
			r := j.GetResolveChildWorkflowExecutionStart()
			if f := r.GetFailed(); f != nil {
				out = append(out, complete("start failed:"+f.GetCause().String()))
			}
		case j.GetSignalWorkflow() != nil:
			switch j.GetSignalWorkflow().GetSignalName() {
			case "cancel":
				out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelChildWorkflowExecution{
					CancelChildWorkflowExecution: &bridgev1.CancelChildWorkflowExecution{ChildWorkflowSeq: 1, Reason: "parent says stop"}}})
			case "poke":
				st.signals = append(st.signals, "poke")
				out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SignalExternalWorkflowExecution{
					SignalExternalWorkflowExecution: &bridgev1.SignalExternalWorkflowExecution{Seq: uint32(len(st.signals)), SignalName: "add",
						Target: &bridgev1.SignalExternalWorkflowExecution_ChildWorkflowId{ChildWorkflowId: st.input[1]},
						Args:   []*bridgev1.Payload{js("poked")}}}})
			}
		case j.GetResolveSignalExternalWorkflow() != nil:
			if f := j.GetResolveSignalExternalWorkflow().GetFailure(); f != nil {
				out = append(out, complete("signal failed:"+f.GetMessage()))
			}
		case j.GetResolveChildWorkflowExecution() != nil:
			r := j.GetResolveChildWorkflowExecution().GetResult()
			switch {
			case r.GetCompleted() != nil:
				out = append(out, complete("child completed:"+str(r.GetCompleted().GetResult())))
			case r.GetCancelled() != nil:
				out = append(out, complete("child cancelled:"+r.GetCancelled().GetFailure().GetChildWorkflowExecutionFailureInfo().GetWorkflowExecution().GetWorkflowId()))
			case r.GetFailed() != nil:
				out = append(out, complete("child failed:"+r.GetFailed().GetFailure().GetCause().GetMessage()))
			}
		}
	}
	return out
}

func TestChildWorkflows(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"Parent": parent, "Timer": timerThenDone, "Collect": collect})
	ctx := context.Background()
	tests := []struct {
		name      string
		childType string
		cancel    string
		signals   []string // sent to the parent once the child runs
		want      string
	}{
		{"child completes", "Timer", "CANCELLATION_TYPE_TRY_CANCEL", nil, "child completed:fired"},
		{"try-cancel resolves at once", "Collect", "CANCELLATION_TYPE_TRY_CANCEL", []string{"cancel"}, "child cancelled:"},
		{"abandon resolves at once", "Collect", "CANCELLATION_TYPE_ABANDON", []string{"cancel"}, "child cancelled:"},
		{"wait-requested resolves after the request", "Collect", "CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED", []string{"cancel"}, "child cancelled:"},
		{"wait-completed resolves when the child closes", "Collect", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED", []string{"cancel"}, "child cancelled:"},
		{"signals reach the child", "Collect", "CANCELLATION_TYPE_TRY_CANCEL", []string{"poke", "poke"}, "child completed:poked+poked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			childID := "child-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + e.queue
			run := e.startWorkflow("Parent", tt.childType, childID, tt.cancel)
			if len(tt.signals) > 0 {
				waitFor(t, "the child to start", func() bool {
					d, err := e.client.DescribeWorkflowExecution(ctx, childID, "")
					return err == nil && d.GetWorkflowExecutionInfo().GetParentExecution().GetWorkflowId() == run.GetID()
				})
				for _, s := range tt.signals {
					if err := e.client.SignalWorkflow(ctx, run.GetID(), "", s, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := tt.want
			if strings.HasSuffix(want, ":") {
				want += childID
			}
			if out, err := result(t, run); err != nil || out != want {
				t.Fatalf("parent = %q, %v; want %q", out, err, want)
			}
		})
	}
}

func TestChildStartFailsWhenIDIsTaken(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"Parent": parent, "Collect": collect})
	taken, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: e.queue, ID: "taken-" + e.queue}, "Collect")
	if err != nil {
		t.Fatal(err)
	}
	defer e.client.TerminateWorkflow(context.Background(), taken.GetID(), "", "test over")
	run := e.startWorkflow("Parent", "Collect", taken.GetID(), "CANCELLATION_TYPE_TRY_CANCEL")
	want := "start failed:START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS"
	if out, err := result(t, run); err != nil || out != want {
		t.Fatalf("parent = %q, %v; want %q", out, err, want)
	}
}

func TestSearchAttributesAndMemoAreVisibleInDescribe(t *testing.T) {
	e := newEnv(t, nil)
	upsert := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		if act.GetJobs()[0].GetInitializeWorkflow() == nil {
			return nil
		}
		return []*bridgev1.WorkflowCommand{
			{Variant: &bridgev1.WorkflowCommand_UpsertWorkflowSearchAttributes{UpsertWorkflowSearchAttributes: &bridgev1.UpsertWorkflowSearchAttributes{
				SearchAttributes: map[string]*bridgev1.Payload{"CustomKeywordField": js("gold")}}}},
			{Variant: &bridgev1.WorkflowCommand_ModifyWorkflowProperties{ModifyWorkflowProperties: &bridgev1.ModifyWorkflowProperties{
				UpsertedMemo: map[string]*bridgev1.Payload{"note": js("hello")}}}},
			startTimer(1, time.Hour),
		}
	}
	e.workflowApp(map[string]script{"Upsert": upsert})
	run := e.startWorkflow("Upsert")
	defer e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
	waitFor(t, "the search attribute and memo", func() bool {
		d, err := e.client.DescribeWorkflowExecution(context.Background(), run.GetID(), "")
		if err != nil {
			return false
		}
		info := d.GetWorkflowExecutionInfo()
		sa := info.GetSearchAttributes().GetIndexedFields()["CustomKeywordField"]
		memo := info.GetMemo().GetFields()["note"]
		return sa != nil && strings.Contains(string(sa.GetData()), "gold") && memo != nil && string(memo.GetData()) == `"hello"`
	})
}

// patchedTimer is a workflow changed by a patch: with the patch it sleeps
// 100ms, before it slept 200ms (old code, timer seq 1). It follows
// workflow.patched(): true when running live or when history announced the
// patch, and it records the marker whenever it takes the new path.
func patchedTimer(deprecated bool) script {
	return func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		var out []*bridgev1.WorkflowCommand
		for _, j := range act.GetJobs() {
			if p := j.GetNotifyHasPatch(); p != nil {
				st.vars["patch:"+p.GetPatchId()] = "1"
			}
		}
		for _, j := range act.GetJobs() {
			switch {
			case j.GetInitializeWorkflow() != nil:
				if !act.GetIsReplaying() || st.vars["patch:p1"] != "" {
					out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SetPatchMarker{
						SetPatchMarker: &bridgev1.SetPatchMarker{PatchId: "p1", Deprecated: deprecated}}})
					out = append(out, startTimer(2, 100*time.Millisecond))
				} else {
					out = append(out, startTimer(1, 200*time.Millisecond))
				}
			case j.GetFireTimer() != nil:
				out = append(out, complete("timer "+strings.Repeat("x", int(j.GetFireTimer().GetSeq()))))
			}
		}
		return out
	}
}

func TestPatchMarkersReplay(t *testing.T) {
	// Every task replays from the start, so the marker must be matched and
	// announced on replay for the run to finish.
	e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = 0 })
	app := e.workflowApp(map[string]script{"Patched": patchedTimer(false)})
	run := e.startWorkflow("Patched")
	if out, err := result(t, run); err != nil || out != "timer xx" {
		t.Fatalf("workflow = %q, %v; want the patched path", out, err)
	}
	notified := false
	for _, a := range app.activations(run.GetRunID()) {
		for _, j := range a.GetJobs() {
			if j.GetNotifyHasPatch().GetPatchId() == "p1" && a.GetIsReplaying() {
				notified = true
			}
		}
	}
	if !notified {
		t.Fatal("replay never announced the patch")
	}
	waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
		return ev[enumspb.EVENT_TYPE_MARKER_RECORDED] == 1
	})
}

// sdk-core follows every patch marker, deprecated or not, with an upsert of
// TemporalChangeVersion listing the run's patches so far, sorted, and
// records its flag UpsertSearchAttributeOnPatch (2) in the completion: a
// core-based SDK replaying the history expects those upserts exactly when
// the flag is there. (Flag 1 turns on core's id and type checks on replay.) The sidecar records the same, so its histories replay
// in Temporal's SDKs (clients/python/tests/test_cross_sdk.py replays one).
func TestPatchMarkersAreFollowedByChangeVersionAsSDKCoreRecordsThem(t *testing.T) {
	e := newEnv(t, nil)
	patches := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		if act.GetJobs()[0].GetInitializeWorkflow() == nil {
			return []*bridgev1.WorkflowCommand{complete("done")}
		}
		marker := func(id string, deprecated bool) *bridgev1.WorkflowCommand {
			return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SetPatchMarker{
				SetPatchMarker: &bridgev1.SetPatchMarker{PatchId: id, Deprecated: deprecated}}}
		}
		return []*bridgev1.WorkflowCommand{marker("old-fix", true), marker("new-path", false), startTimer(1, 10*time.Millisecond)}
	}
	e.workflowApp(map[string]script{"Patches": patches})
	run := e.startWorkflow("Patches")
	if _, err := result(t, run); err != nil {
		t.Fatal(err)
	}
	var got []string
	var flags []uint32
	for _, ev := range history(t, e, run.GetID(), run.GetRunID()) {
		if p, ok := patchID(ev); ok {
			got = append(got, "marker "+p)
		}
		if v := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()["TemporalChangeVersion"]; v != nil {
			got = append(got, "upsert "+string(v.GetData()))
		}
		if a := ev.GetWorkflowTaskCompletedEventAttributes(); a != nil && len(flags) == 0 {
			flags = a.GetSdkMetadata().GetCoreUsedFlags()
		}
	}
	want := []string{"marker old-fix", `upsert ["old-fix"]`, "marker new-path", `upsert ["new-path","old-fix"]`}
	if !slices.Equal(got, want) {
		t.Fatalf("history has %q, want %q as sdk-core records", got, want)
	}
	if !slices.Equal(flags, []uint32{1, 2, 3}) {
		t.Fatalf("the first completion recorded core flags %v, want IdAndTypeDeterminismChecks (1), UpsertSearchAttributeOnPatch (2) and MoveTerminalCommands (3)", flags)
	}
}

// patchID is the id in a patch marker event.
func patchID(ev *historypb.HistoryEvent) (string, bool) {
	a := ev.GetMarkerRecordedEventAttributes()
	if a.GetMarkerName() != "core_patch" {
		return "", false
	}
	var d struct {
		ID string `json:"id"`
	}
	if ps := a.GetDetails()["patch-data"].GetPayloads(); len(ps) > 0 {
		_ = json.Unmarshal(ps[0].GetData(), &d)
	}
	return d.ID, true
}

func TestRequestCancelExternalWorkflow(t *testing.T) {
	e := newEnv(t, nil)
	canceller := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		for _, j := range act.GetJobs() {
			switch {
			case j.GetInitializeWorkflow() != nil:
				return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_RequestCancelExternalWorkflowExecution{
					RequestCancelExternalWorkflowExecution: &bridgev1.RequestCancelExternalWorkflowExecution{Seq: 1, Reason: "done here",
						WorkflowExecution: &bridgev1.NamespacedWorkflowExecution{WorkflowId: st.input[0]}}}}}
			case j.GetResolveRequestCancelExternalWorkflow() != nil:
				if f := j.GetResolveRequestCancelExternalWorkflow().GetFailure(); f != nil {
					return []*bridgev1.WorkflowCommand{complete("failed:" + f.GetApplicationFailureInfo().GetType())}
				}
				return []*bridgev1.WorkflowCommand{complete("requested")}
			}
		}
		return nil
	}
	e.workflowApp(map[string]script{"Canceller": canceller, "Collect": collect})
	target := e.startWorkflow("Collect")
	tests := []struct{ name, target, want string }{
		{"running workflow", target.GetID(), "requested"},
		{"unknown workflow", "no-such-workflow-" + e.queue, "failed:ExternalWorkflowExecutionNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := e.startWorkflow("Canceller", tt.target)
			if out, err := result(t, run); err != nil || out != tt.want {
				t.Fatalf("workflow = %q, %v; want %q", out, err, tt.want)
			}
		})
	}
	if _, err := result(t, target); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Fatalf("target = %v, want cancelled", err)
	}
}

// pythonPatched mirrors testdata/temporalio_patched.py: sleep, then if
// patched("use-greeting-v2") run greet_v2, else return "old path".
var pythonPatched script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		if p := j.GetNotifyHasPatch(); p != nil {
			st.vars["patch:"+p.GetPatchId()] = "1"
		}
	}
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			out = append(out, startTimer(1, 100*time.Millisecond))
		case j.GetFireTimer() != nil:
			if act.GetIsReplaying() && st.vars["patch:use-greeting-v2"] == "" {
				out = append(out, complete("old path"))
				continue
			}
			cmd := scheduleEcho(1, st.input[0], 0)
			cmd.GetScheduleActivity().ActivityType, cmd.GetScheduleActivity().ActivityId = "greet_v2", "1"
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SetPatchMarker{
				SetPatchMarker: &bridgev1.SetPatchMarker{PatchId: "use-greeting-v2"}}}, cmd)
		case j.GetResolveActivity() != nil:
			out = append(out, complete(str(j.GetResolveActivity().GetResult().GetCompleted().GetResult())))
		}
	}
	return out
}

func TestReplaysPatchedHistoryRecordedByPythonSDK(t *testing.T) {
	data, err := os.ReadFile("testdata/temporalio_patched.json")
	if err != nil {
		t.Fatal(err)
	}
	h := &historypb.History{}
	if err := (temporalproto.CustomJSONUnmarshalOptions{}).Unmarshal(data, h); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil)
	app := e.workflowApp(map[string]script{"PatchedGreeting": pythonPatched})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.w.Workflows().Replay(ctx, "patched-rec", "recorded-run", h.GetEvents()); err != nil {
		t.Fatalf("replay: %v", err)
	}
	notified := false
	for _, a := range app.activations("recorded-run") {
		for _, j := range a.GetJobs() {
			notified = notified || j.GetNotifyHasPatch().GetPatchId() == "use-greeting-v2"
		}
	}
	if !notified {
		t.Fatal("the replay never announced the recorded patch")
	}
}

package coreconv

import (
	"testing"
	"time"

	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activityresult"
	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/childworkflow"
	corecommon "github.com/temporal-sidecar/sidecar/gen/go/coresdk/common"
	corenexus "github.com/temporal-sidecar/sidecar/gen/go/coresdk/nexus"
	wfact "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowactivation"
	wfcmd "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowcommands"
	wfcompl "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowcompletion"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	updatepb "go.temporal.io/api/update/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var (
	at  = timestamppb.New(time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC))
	sec = durationpb.New(time.Second)
)

func bp(s string) *bridgev1.Payload {
	return &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"` + s + `"`)}
}

func cp(s string) *commonpb.Payload {
	return &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"` + s + `"`)}
}

func bfail(msg string) *bridgev1.Failure {
	return &bridgev1.Failure{Message: msg, Source: "PythonSDK", FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{
		ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "ValueError", NonRetryable: true}}}
}

func cfail(msg string) *failurepb.Failure {
	return &failurepb.Failure{Message: msg, Source: "PythonSDK", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
		ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "ValueError", NonRetryable: true}}}
}

func diff(t *testing.T, want, got proto.Message) {
	t.Helper()
	if !proto.Equal(want, got) {
		t.Errorf("got:\n%s\nwant:\n%s", prototext.Format(got), prototext.Format(want))
	}
}

type jobCase struct {
	in   *bridgev1.WorkflowActivationJob
	want *wfact.WorkflowActivationJob
}

func jobCases() []named[jobCase] {
	return []named[jobCase]{
		{"initialize_workflow", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_InitializeWorkflow{InitializeWorkflow: &bridgev1.InitializeWorkflow{
				WorkflowType: "Greeting", WorkflowId: "wf-1", Arguments: []*bridgev1.Payload{bp("Ada")}, RandomnessSeed: 42,
				Memo: map[string]*bridgev1.Payload{"k": bp("m")}, SearchAttributes: map[string]*bridgev1.Payload{"CustomKeywordField": bp("s")},
				ParentWorkflowInfo: &bridgev1.ParentWorkflowInfo{Namespace: "default", WorkflowId: "parent", RunId: "prun"},
				TaskQueue:          "tq", Namespace: "default", Attempt: 1}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_InitializeWorkflow{InitializeWorkflow: &wfact.InitializeWorkflow{
				WorkflowType: "Greeting", WorkflowId: "wf-1", Arguments: []*commonpb.Payload{cp("Ada")}, RandomnessSeed: 42,
				Memo:               &commonpb.Memo{Fields: map[string]*commonpb.Payload{"k": cp("m")}},
				SearchAttributes:   &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomKeywordField": cp("s")}},
				ParentWorkflowInfo: &corecommon.NamespacedWorkflowExecution{Namespace: "default", WorkflowId: "parent", RunId: "prun"},
				Attempt:            1}}},
		}},
		{"fire_timer", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_FireTimer{FireTimer: &bridgev1.FireTimer{Seq: 3}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_FireTimer{FireTimer: &wfact.FireTimer{Seq: 3}}},
		}},
		{"resolve_activity", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveActivity{ResolveActivity: &bridgev1.ResolveActivity{
				Seq: 7, IsLocal: true, Result: &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Backoff{Backoff: &bridgev1.DoBackoff{
					Attempt: 3, BackoffDuration: sec, OriginalScheduleTime: at}}}}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_ResolveActivity{ResolveActivity: &wfact.ResolveActivity{
				Seq: 7, IsLocal: true, Result: &activityresult.ActivityResolution{Status: &activityresult.ActivityResolution_Backoff{Backoff: &activityresult.DoBackoff{
					Attempt: 3, BackoffDuration: sec, OriginalScheduleTime: at}}}}}},
		}},
		{"signal_workflow", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_SignalWorkflow{SignalWorkflow: &bridgev1.SignalWorkflow{
				SignalName: "go", Input: []*bridgev1.Payload{bp("x")}, Identity: "cli", Headers: map[string]*bridgev1.Payload{"h": bp("v")}, OriginatingEventId: 9}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_SignalWorkflow{SignalWorkflow: &wfact.SignalWorkflow{
				SignalName: "go", Input: []*commonpb.Payload{cp("x")}, Identity: "cli", Headers: map[string]*commonpb.Payload{"h": cp("v")}, OriginatingEventId: 9}}},
		}},
		{"query_workflow", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_QueryWorkflow{QueryWorkflow: &bridgev1.QueryWorkflow{
				QueryId: "legacy_query", QueryType: "status", Arguments: []*bridgev1.Payload{bp("a")}, Headers: map[string]*bridgev1.Payload{"h": bp("v")}}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_QueryWorkflow{QueryWorkflow: &wfact.QueryWorkflow{
				QueryId: "legacy_query", QueryType: "status", Arguments: []*commonpb.Payload{cp("a")}, Headers: map[string]*commonpb.Payload{"h": cp("v")}}}},
		}},
		{"cancel_workflow", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_CancelWorkflow{CancelWorkflow: &bridgev1.CancelWorkflow{Reason: "done"}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_CancelWorkflow{CancelWorkflow: &wfact.CancelWorkflow{Reason: "done"}}},
		}},
		{"do_update", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_DoUpdate{DoUpdate: &bridgev1.DoUpdate{
				Id: "u1", ProtocolInstanceId: "p1", Name: "setName", Input: []*bridgev1.Payload{bp("n")}, Identity: "cli", RunValidator: true}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_DoUpdate{DoUpdate: &wfact.DoUpdate{
				Id: "u1", ProtocolInstanceId: "p1", Name: "setName", Input: []*commonpb.Payload{cp("n")},
				Meta: &updatepb.Meta{UpdateId: "u1", Identity: "cli"}, RunValidator: true}}},
		}},
		{"notify_has_patch", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_NotifyHasPatch{NotifyHasPatch: &bridgev1.NotifyHasPatch{PatchId: "v2"}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_NotifyHasPatch{NotifyHasPatch: &wfact.NotifyHasPatch{PatchId: "v2"}}},
		}},
		{"update_random_seed", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_UpdateRandomSeed{UpdateRandomSeed: &bridgev1.UpdateRandomSeed{RandomnessSeed: 77}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_UpdateRandomSeed{UpdateRandomSeed: &wfact.UpdateRandomSeed{RandomnessSeed: 77}}},
		}},
		{"resolve_child_workflow_execution_start", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecutionStart{ResolveChildWorkflowExecutionStart: &bridgev1.ResolveChildWorkflowExecutionStart{
				Seq: 2, Status: &bridgev1.ResolveChildWorkflowExecutionStart_Failed{Failed: &bridgev1.ResolveChildWorkflowExecutionStartFailure{
					WorkflowId: "child", WorkflowType: "Child", Cause: bridgev1.StartChildWorkflowExecutionFailedCause_START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS}}}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_ResolveChildWorkflowExecutionStart{ResolveChildWorkflowExecutionStart: &wfact.ResolveChildWorkflowExecutionStart{
				Seq: 2, Status: &wfact.ResolveChildWorkflowExecutionStart_Failed{Failed: &wfact.ResolveChildWorkflowExecutionStartFailure{
					WorkflowId: "child", WorkflowType: "Child", Cause: childworkflow.StartChildWorkflowExecutionFailedCause_START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS}}}}},
		}},
		{"resolve_child_workflow_execution", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecution{ResolveChildWorkflowExecution: &bridgev1.ResolveChildWorkflowExecution{
				Seq: 2, Result: &bridgev1.ChildWorkflowResult{Status: &bridgev1.ChildWorkflowResult_Failed{Failed: &bridgev1.ChildWorkflowResultFailed{Failure: bfail("boom")}}}}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_ResolveChildWorkflowExecution{ResolveChildWorkflowExecution: &wfact.ResolveChildWorkflowExecution{
				Seq: 2, Result: &childworkflow.ChildWorkflowResult{Status: &childworkflow.ChildWorkflowResult_Failed{Failed: &childworkflow.Failure{Failure: cfail("boom")}}}}}},
		}},
		{"resolve_signal_external_workflow", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveSignalExternalWorkflow{ResolveSignalExternalWorkflow: &bridgev1.ResolveSignalExternalWorkflow{
				Seq: 4, Failure: bfail("gone"), Cause: bridgev1.SignalExternalWorkflowExecutionFailedCause_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_ResolveSignalExternalWorkflow{ResolveSignalExternalWorkflow: &wfact.ResolveSignalExternalWorkflow{
				Seq: 4, Failure: cfail("gone"), Cause: enumspb.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND}}},
		}},
		{"resolve_request_cancel_external_workflow", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveRequestCancelExternalWorkflow{ResolveRequestCancelExternalWorkflow: &bridgev1.ResolveRequestCancelExternalWorkflow{
				Seq: 5, Failure: bfail("gone"), Cause: bridgev1.CancelExternalWorkflowExecutionFailedCause_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_ResolveRequestCancelExternalWorkflow{ResolveRequestCancelExternalWorkflow: &wfact.ResolveRequestCancelExternalWorkflow{
				Seq: 5, Failure: cfail("gone"), Cause: enumspb.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND}}},
		}},
		{"resolve_nexus_operation_start", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveNexusOperationStart{ResolveNexusOperationStart: &bridgev1.ResolveNexusOperationStart{
				Seq: 6, Status: &bridgev1.ResolveNexusOperationStart_OperationToken{OperationToken: "tok"}}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_ResolveNexusOperationStart{ResolveNexusOperationStart: &wfact.ResolveNexusOperationStart{
				Seq: 6, Status: &wfact.ResolveNexusOperationStart_OperationToken{OperationToken: "tok"}}}},
		}},
		{"resolve_nexus_operation", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveNexusOperation{ResolveNexusOperation: &bridgev1.ResolveNexusOperation{
				Seq: 6, Result: &bridgev1.NexusOperationResult{Status: &bridgev1.NexusOperationResult_TimedOut{TimedOut: bfail("late")}}}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_ResolveNexusOperation{ResolveNexusOperation: &wfact.ResolveNexusOperation{
				Seq: 6, Result: &corenexus.NexusOperationResult{Status: &corenexus.NexusOperationResult_TimedOut{TimedOut: cfail("late")}}}}},
		}},
		{"remove_from_cache", jobCase{
			&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_RemoveFromCache{RemoveFromCache: &bridgev1.RemoveFromCache{
				Message: "app asked", Reason: bridgev1.EvictionReason_EVICTION_REASON_APP_REQUESTED}}},
			&wfact.WorkflowActivationJob{Variant: &wfact.WorkflowActivationJob_RemoveFromCache{RemoveFromCache: &wfact.RemoveFromCache{
				Message: "app asked", Reason: wfact.RemoveFromCache_LANG_REQUESTED}}},
		}},
	}
}

func TestActivationJobsBecomeCoreJobs(t *testing.T) {
	for _, tt := range jobCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Activation(&bridgev1.WorkflowActivation{RunId: "run", Jobs: []*bridgev1.WorkflowActivationJob{tt.c.in}})
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tt.c.want, got.GetJobs()[0])
			// Nothing of ours may land in a field core does not have.
			if u := got.GetJobs()[0].ProtoReflect().GetUnknown(); len(u) > 0 {
				t.Errorf("core's job has unknown fields %x: a recoded pair is not wire-compatible", u)
			}
		})
	}
}

// resolutionCases are the outcomes of resolve_activity, recoded whole.
func resolutionCases() []named[*bridgev1.ActivityResolution] {
	return []named[*bridgev1.ActivityResolution]{
		{"completed", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Completed{Completed: &bridgev1.ActivityResolutionCompleted{Result: bp("ok")}}}},
		{"failed", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{Failed: &bridgev1.ActivityResolutionFailed{Failure: bfail("no")}}}},
		{"cancelled", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Cancelled{Cancelled: &bridgev1.ActivityResolutionCancelled{Failure: bfail("stop")}}}},
		{"backoff", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Backoff{Backoff: &bridgev1.DoBackoff{Attempt: 2, BackoffDuration: sec, OriginalScheduleTime: at}}}},
	}
}

func TestActivityResolutionsKeepTheirOutcome(t *testing.T) {
	for _, tt := range resolutionCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Activation(&bridgev1.WorkflowActivation{Jobs: []*bridgev1.WorkflowActivationJob{{Variant: &bridgev1.WorkflowActivationJob_ResolveActivity{
				ResolveActivity: &bridgev1.ResolveActivity{Seq: 1, Result: tt.c}}}}})
			if err != nil {
				t.Fatal(err)
			}
			res := got.GetJobs()[0].GetResolveActivity().GetResult()
			if name := string(res.ProtoReflect().WhichOneof(oneofOf(res, "status")).Name()); name != tt.name {
				t.Fatalf("core's resolution is %s, want %s", name, tt.name)
			}
			back := &bridgev1.ActivityResolution{}
			b, _ := proto.Marshal(res)
			if err := proto.Unmarshal(b, back); err != nil {
				t.Fatal(err)
			}
			diff(t, tt.c, back)
		})
	}
}

func TestActivationCarriesTaskLevelFields(t *testing.T) {
	got, err := Activation(fullActivation())
	if err != nil {
		t.Fatal(err)
	}
	got.Jobs = nil
	diff(t, &wfact.WorkflowActivation{
		RunId: "run-1", Timestamp: at, IsReplaying: true, HistoryLength: 12, HistorySizeBytes: 4096,
		ContinueAsNewSuggested:               true,
		SuggestContinueAsNewReasons:          []enumspb.SuggestContinueAsNewReason{enumspb.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS},
		AvailableInternalFlags:               []uint32{1, 2},
		DeploymentVersionForCurrentTask:      &corecommon.WorkerDeploymentVersion{BuildId: "b-7", DeploymentName: "shop"},
		TargetWorkerDeploymentVersionChanged: true,
	}, got)
}

// fullActivation has every task-level field and an InitializeWorkflow with
// every field set.
func fullActivation() *bridgev1.WorkflowActivation {
	return &bridgev1.WorkflowActivation{
		RunId: "run-1", Timestamp: at, IsReplaying: true, HistoryLength: 12, HistorySizeBytes: 4096,
		ContinueAsNewSuggested:      true,
		SuggestContinueAsNewReasons: []bridgev1.SuggestContinueAsNewReason{bridgev1.SuggestContinueAsNewReason_SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS},
		BuildId:                     "b-7", DeploymentName: "shop", AvailableInternalFlags: []uint32{1, 2}, TargetWorkerDeploymentVersionChanged: true,
		Jobs: []*bridgev1.WorkflowActivationJob{{Variant: &bridgev1.WorkflowActivationJob_InitializeWorkflow{InitializeWorkflow: &bridgev1.InitializeWorkflow{
			WorkflowType: "Greeting", WorkflowId: "wf-1", Arguments: []*bridgev1.Payload{bp("Ada")}, RandomnessSeed: 42,
			Headers: map[string]*bridgev1.Payload{"h": bp("v")}, Identity: "starter",
			ParentWorkflowInfo:       &bridgev1.ParentWorkflowInfo{Namespace: "default", WorkflowId: "parent", RunId: "prun"},
			WorkflowExecutionTimeout: sec, WorkflowRunTimeout: sec, WorkflowTaskTimeout: sec,
			ContinuedFromExecutionRunId: "prev", ContinuedInitiator: bridgev1.ContinueAsNewInitiator_CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
			ContinuedFailure: bfail("last"), LastCompletionResult: &bridgev1.Payloads{Payloads: []*bridgev1.Payload{bp("r")}},
			FirstExecutionRunId: "first", RetryPolicy: &bridgev1.RetryPolicy{MaximumAttempts: 3}, Attempt: 2, CronSchedule: "@hourly",
			WorkflowExecutionExpirationTime: at, CronScheduleToScheduleInterval: sec,
			Memo: map[string]*bridgev1.Payload{"k": bp("m")}, SearchAttributes: map[string]*bridgev1.Payload{"CustomKeywordField": bp("s")},
			StartTime: at, RootWorkflow: &bridgev1.WorkflowExecution{WorkflowId: "root", RunId: "rrun"},
			Priority: &bridgev1.Priority{PriorityKey: 2}, TaskQueue: "tq", Namespace: "default", OriginalExecutionRunId: "orig",
		}}}},
	}
}

type commandCase struct {
	in   *wfcmd.WorkflowCommand
	want *bridgev1.WorkflowCommand
}

func commandCases() []named[commandCase] {
	return []named[commandCase]{
		{"start_timer", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_StartTimer{StartTimer: &wfcmd.StartTimer{Seq: 1, StartToFireTimeout: sec}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_StartTimer{StartTimer: &bridgev1.StartTimer{Seq: 1, StartToFireTimeout: sec}}},
		}},
		{"cancel_timer", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_CancelTimer{CancelTimer: &wfcmd.CancelTimer{Seq: 1}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelTimer{CancelTimer: &bridgev1.CancelTimer{Seq: 1}}},
		}},
		{"schedule_activity", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_ScheduleActivity{ScheduleActivity: &wfcmd.ScheduleActivity{
				Seq: 2, ActivityId: "a2", ActivityType: "say_hello", TaskQueue: "other", Headers: map[string]*commonpb.Payload{"h": cp("v")},
				Arguments: []*commonpb.Payload{cp("Ada")}, ScheduleToCloseTimeout: sec, ScheduleToStartTimeout: sec, StartToCloseTimeout: sec,
				HeartbeatTimeout: sec, RetryPolicy: &commonpb.RetryPolicy{MaximumAttempts: 5}, CancellationType: wfcmd.ActivityCancellationType_WAIT_CANCELLATION_COMPLETED,
				DoNotEagerlyExecute: true, VersioningIntent: corecommon.VersioningIntent_COMPATIBLE, Priority: &commonpb.Priority{PriorityKey: 1}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{
				Seq: 2, ActivityId: "a2", ActivityType: "say_hello", TaskQueue: "other", Headers: map[string]*bridgev1.Payload{"h": bp("v")},
				Arguments: []*bridgev1.Payload{bp("Ada")}, ScheduleToCloseTimeout: sec, ScheduleToStartTimeout: sec, StartToCloseTimeout: sec,
				HeartbeatTimeout: sec, RetryPolicy: &bridgev1.RetryPolicy{MaximumAttempts: 5}, CancellationType: bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED,
				DoNotEagerlyExecute: true, Priority: &bridgev1.Priority{PriorityKey: 1}}}},
		}},
		{"cancel_signal_workflow", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_CancelSignalWorkflow{CancelSignalWorkflow: &wfcmd.CancelSignalWorkflow{Seq: 4}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelSignalWorkflow{CancelSignalWorkflow: &bridgev1.CancelSignalWorkflow{Seq: 4}}},
		}},
		{"request_cancel_activity", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_RequestCancelActivity{RequestCancelActivity: &wfcmd.RequestCancelActivity{Seq: 2}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelActivity{RequestCancelActivity: &bridgev1.RequestCancelActivity{Seq: 2}}},
		}},
		{"respond_to_query", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_RespondToQuery{RespondToQuery: &wfcmd.QueryResult{QueryId: "legacy_query",
				Variant: &wfcmd.QueryResult_Succeeded{Succeeded: &wfcmd.QuerySuccess{Response: cp("running")}}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RespondToQuery{RespondToQuery: &bridgev1.QueryResult{QueryId: "legacy_query",
				Variant: &bridgev1.QueryResult_Succeeded{Succeeded: bp("running")}}}},
		}},
		{"complete_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_CompleteWorkflowExecution{CompleteWorkflowExecution: &wfcmd.CompleteWorkflowExecution{Result: cp("Hello, Ada")}},
				UserMetadata: &sdkpb.UserMetadata{Summary: cp("done"), Details: cp("all of it")}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CompleteWorkflowExecution{CompleteWorkflowExecution: &bridgev1.CompleteWorkflowExecution{Result: bp("Hello, Ada")}},
				UserMetadata: &bridgev1.UserMetadata{Summary: bp("done"), Details: bp("all of it")}},
		}},
		{"fail_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_FailWorkflowExecution{FailWorkflowExecution: &wfcmd.FailWorkflowExecution{Failure: cfail("bad input")}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_FailWorkflowExecution{FailWorkflowExecution: &bridgev1.FailWorkflowExecution{Failure: bfail("bad input")}}},
		}},
		{"cancel_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_CancelWorkflowExecution{CancelWorkflowExecution: &wfcmd.CancelWorkflowExecution{
				Details: &commonpb.Payloads{Payloads: []*commonpb.Payload{cp("why")}}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelWorkflowExecution{CancelWorkflowExecution: &bridgev1.CancelWorkflowExecution{
				Details: []*bridgev1.Payload{bp("why")}}}},
		}},
		{"continue_as_new_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_ContinueAsNewWorkflowExecution{ContinueAsNewWorkflowExecution: &wfcmd.ContinueAsNewWorkflowExecution{
				WorkflowType: "Loop", TaskQueue: "tq", Arguments: []*commonpb.Payload{cp("n")}, WorkflowRunTimeout: sec, WorkflowTaskTimeout: sec,
				Memo: map[string]*commonpb.Payload{"k": cp("m")}, Headers: map[string]*commonpb.Payload{"h": cp("v")},
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomKeywordField": cp("s")}},
				RetryPolicy:      &commonpb.RetryPolicy{MaximumAttempts: 2}, InitialVersioningBehavior: enumspb.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_AUTO_UPGRADE,
				BackoffStartInterval: sec}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ContinueAsNewWorkflowExecution{ContinueAsNewWorkflowExecution: &bridgev1.ContinueAsNewWorkflowExecution{
				WorkflowType: "Loop", TaskQueue: "tq", Arguments: []*bridgev1.Payload{bp("n")}, WorkflowRunTimeout: sec, WorkflowTaskTimeout: sec,
				Memo: map[string]*bridgev1.Payload{"k": bp("m")}, Headers: map[string]*bridgev1.Payload{"h": bp("v")},
				SearchAttributes: map[string]*bridgev1.Payload{"CustomKeywordField": bp("s")},
				RetryPolicy:      &bridgev1.RetryPolicy{MaximumAttempts: 2}, InitialVersioningBehavior: bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_AUTO_UPGRADE,
				BackoffStartInterval: sec}}},
		}},
		{"start_child_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_StartChildWorkflowExecution{StartChildWorkflowExecution: &wfcmd.StartChildWorkflowExecution{
				Seq: 3, Namespace: "default", WorkflowId: "child", WorkflowType: "Child", TaskQueue: "tq", Input: []*commonpb.Payload{cp("i")},
				ParentClosePolicy:     childworkflow.ParentClosePolicy_PARENT_CLOSE_POLICY_ABANDON,
				WorkflowIdReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, CronSchedule: "@daily",
				CancellationType: childworkflow.ChildWorkflowCancellationType_ABANDON, Priority: &commonpb.Priority{PriorityKey: 3}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_StartChildWorkflowExecution{StartChildWorkflowExecution: &bridgev1.StartChildWorkflowExecution{
				Seq: 3, Namespace: "default", WorkflowId: "child", WorkflowType: "Child", TaskQueue: "tq", Input: []*bridgev1.Payload{bp("i")},
				ParentClosePolicy:     bridgev1.ParentClosePolicy_PARENT_CLOSE_POLICY_ABANDON,
				WorkflowIdReusePolicy: bridgev1.WorkflowIdReusePolicy_WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, CronSchedule: "@daily",
				CancellationType: bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON, Priority: &bridgev1.Priority{PriorityKey: 3}}}},
		}},
		{"cancel_child_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_CancelChildWorkflowExecution{CancelChildWorkflowExecution: &wfcmd.CancelChildWorkflowExecution{ChildWorkflowSeq: 3, Reason: "enough"}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelChildWorkflowExecution{CancelChildWorkflowExecution: &bridgev1.CancelChildWorkflowExecution{ChildWorkflowSeq: 3, Reason: "enough"}}},
		}},
		{"request_cancel_external_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_RequestCancelExternalWorkflowExecution{RequestCancelExternalWorkflowExecution: &wfcmd.RequestCancelExternalWorkflowExecution{
				Seq: 1, WorkflowExecution: &corecommon.NamespacedWorkflowExecution{Namespace: "default", WorkflowId: "other", RunId: "r"}, Reason: "stop"}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelExternalWorkflowExecution{RequestCancelExternalWorkflowExecution: &bridgev1.RequestCancelExternalWorkflowExecution{
				Seq: 1, WorkflowExecution: &bridgev1.NamespacedWorkflowExecution{Namespace: "default", WorkflowId: "other", RunId: "r"}, Reason: "stop"}}},
		}},
		{"signal_external_workflow_execution", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_SignalExternalWorkflowExecution{SignalExternalWorkflowExecution: &wfcmd.SignalExternalWorkflowExecution{
				Seq: 1, Target: &wfcmd.SignalExternalWorkflowExecution_ChildWorkflowId{ChildWorkflowId: "child"}, SignalName: "poke",
				Args: []*commonpb.Payload{cp("x")}, Headers: map[string]*commonpb.Payload{"h": cp("v")}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SignalExternalWorkflowExecution{SignalExternalWorkflowExecution: &bridgev1.SignalExternalWorkflowExecution{
				Seq: 1, Target: &bridgev1.SignalExternalWorkflowExecution_ChildWorkflowId{ChildWorkflowId: "child"}, SignalName: "poke",
				Args: []*bridgev1.Payload{bp("x")}, Headers: map[string]*bridgev1.Payload{"h": bp("v")}}}},
		}},
		{"set_patch_marker", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_SetPatchMarker{SetPatchMarker: &wfcmd.SetPatchMarker{PatchId: "v2", Deprecated: true}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_SetPatchMarker{SetPatchMarker: &bridgev1.SetPatchMarker{PatchId: "v2", Deprecated: true}}},
		}},
		{"upsert_workflow_search_attributes", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_UpsertWorkflowSearchAttributes{UpsertWorkflowSearchAttributes: &wfcmd.UpsertWorkflowSearchAttributes{
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{"CustomKeywordField": cp("s")}}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_UpsertWorkflowSearchAttributes{UpsertWorkflowSearchAttributes: &bridgev1.UpsertWorkflowSearchAttributes{
				SearchAttributes: map[string]*bridgev1.Payload{"CustomKeywordField": bp("s")}}}},
		}},
		{"modify_workflow_properties", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_ModifyWorkflowProperties{ModifyWorkflowProperties: &wfcmd.ModifyWorkflowProperties{
				UpsertedMemo: &commonpb.Memo{Fields: map[string]*commonpb.Payload{"k": cp("m")}}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ModifyWorkflowProperties{ModifyWorkflowProperties: &bridgev1.ModifyWorkflowProperties{
				UpsertedMemo: map[string]*bridgev1.Payload{"k": bp("m")}}}},
		}},
		{"update_response", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_UpdateResponse{UpdateResponse: &wfcmd.UpdateResponse{ProtocolInstanceId: "p1",
				Response: &wfcmd.UpdateResponse_Accepted{Accepted: &emptypb.Empty{}}}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_UpdateResponse{UpdateResponse: &bridgev1.UpdateResponse{ProtocolInstanceId: "p1",
				Response: &bridgev1.UpdateResponse_Accepted{Accepted: &bridgev1.UpdateAccepted{}}}}},
		}},
		{"schedule_local_activity", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_ScheduleLocalActivity{ScheduleLocalActivity: &wfcmd.ScheduleLocalActivity{
				Seq: 4, ActivityId: "4", ActivityType: "lookup", Attempt: 3, OriginalScheduleTime: at, Arguments: []*commonpb.Payload{cp("k")},
				StartToCloseTimeout: sec, LocalRetryThreshold: sec, CancellationType: wfcmd.ActivityCancellationType_ABANDON}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleLocalActivity{ScheduleLocalActivity: &bridgev1.ScheduleLocalActivity{
				Seq: 4, ActivityId: "4", ActivityType: "lookup", Attempt: 3, OriginalScheduleTime: at, Arguments: []*bridgev1.Payload{bp("k")},
				StartToCloseTimeout: sec, LocalRetryThreshold: sec, CancellationType: bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON}}},
		}},
		{"request_cancel_local_activity", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_RequestCancelLocalActivity{RequestCancelLocalActivity: &wfcmd.RequestCancelLocalActivity{Seq: 4}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelLocalActivity{RequestCancelLocalActivity: &bridgev1.RequestCancelLocalActivity{Seq: 4}}},
		}},
		{"schedule_nexus_operation", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_ScheduleNexusOperation{ScheduleNexusOperation: &wfcmd.ScheduleNexusOperation{
				Seq: 5, Endpoint: "ep", Service: "svc", Operation: "op", Input: cp("in"), ScheduleToCloseTimeout: sec,
				NexusHeader: map[string]string{"k": "v"}, CancellationType: corenexus.NexusOperationCancellationType_WAIT_CANCELLATION_COMPLETED}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleNexusOperation{ScheduleNexusOperation: &bridgev1.ScheduleNexusOperation{
				Seq: 5, Endpoint: "ep", Service: "svc", Operation: "op", Input: bp("in"), ScheduleToCloseTimeout: sec,
				NexusHeader: map[string]string{"k": "v"}, CancellationType: bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED}}},
		}},
		{"request_cancel_nexus_operation", commandCase{
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_RequestCancelNexusOperation{RequestCancelNexusOperation: &wfcmd.RequestCancelNexusOperation{Seq: 5}}},
			&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelNexusOperation{RequestCancelNexusOperation: &bridgev1.RequestCancelNexusOperation{Seq: 5}}},
		}},
	}
}

func completionBytes(t *testing.T, c *wfcompl.WorkflowActivationCompletion) []byte {
	t.Helper()
	b, err := proto.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCoreCommandsBecomeBridgeCommands(t *testing.T) {
	for _, tt := range commandCases() {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Completion(completionBytes(t, &wfcompl.WorkflowActivationCompletion{RunId: "run",
				Status: &wfcompl.WorkflowActivationCompletion_Successful{Successful: &wfcompl.Success{Commands: []*wfcmd.WorkflowCommand{tt.c.in}}}}))
			if err != nil {
				t.Fatal(err)
			}
			cmd := got.GetSuccessful().GetCommands()[0]
			diff(t, tt.c.want, cmd)
			if u := cmd.ProtoReflect().GetUnknown(); len(u) > 0 {
				t.Errorf("bridge command has unknown fields %x: a recoded pair is not wire-compatible", u)
			}
		})
	}
}

func TestCompletionKeepsFlagsBehaviorAndFailureCause(t *testing.T) {
	tests := []struct {
		name string
		in   *wfcompl.WorkflowActivationCompletion
		want *bridgev1.WorkflowActivationCompletion
	}{
		{"success records lang flags and versioning behavior",
			&wfcompl.WorkflowActivationCompletion{RunId: "run", Status: &wfcompl.WorkflowActivationCompletion_Successful{Successful: &wfcompl.Success{
				UsedInternalFlags: []uint32{1}, VersioningBehavior: enumspb.VERSIONING_BEHAVIOR_PINNED}}},
			&bridgev1.WorkflowActivationCompletion{RunId: "run", Status: &bridgev1.WorkflowActivationCompletion_Successful{Successful: &bridgev1.WorkflowActivationSuccess{
				Commands: []*bridgev1.WorkflowCommand{}, UsedInternalFlags: []uint32{1}, VersioningBehavior: bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_PINNED}}}},
		{"failure keeps the forced cause",
			&wfcompl.WorkflowActivationCompletion{RunId: "run", Status: &wfcompl.WorkflowActivationCompletion_Failed{Failed: &wfcompl.Failure{
				Failure: cfail("nondeterministic"), ForceCause: enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR}}},
			&bridgev1.WorkflowActivationCompletion{RunId: "run", Status: &bridgev1.WorkflowActivationCompletion_Failed{Failed: &bridgev1.WorkflowActivationFailure{
				Failure: bfail("nondeterministic"), Cause: bridgev1.WorkflowTaskFailedCause_WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Completion(completionBytes(t, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			diff(t, tt.want, got)
		})
	}
}

// TestRefusedCommandFailsTheTaskWithItsName shows the exact message an app
// gets back, and that the workflow task fails as sdk-core fails one it
// cannot apply.
func TestRefusedCommandFailsTheTaskWithItsName(t *testing.T) {
	tests := []struct {
		name string
		cmd  *wfcmd.WorkflowCommand
		want string
	}{
		{"child versioning override",
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_StartChildWorkflowExecution{StartChildWorkflowExecution: &wfcmd.StartChildWorkflowExecution{
				Seq: 1, VersioningOverride: &workflowpb.VersioningOverride{}}}},
			"core protocol 1: commands[1].start_child_workflow_execution.versioning_override is not supported by the sidecar: the sidecar cannot pin or move a child to a deployment version yet; leave it unset"},
		{"local activity arguments in marker",
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_ScheduleLocalActivity{ScheduleLocalActivity: &wfcmd.ScheduleLocalActivity{
				Seq: 1, IncludeArgumentsInMarker: true}}},
			"core protocol 1: commands[1].schedule_local_activity.include_arguments_in_marker is not supported by the sidecar: the sidecar's local activity markers never carry the arguments; leave it false"},
		{"continue-as-new onto the ramping version",
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_ContinueAsNewWorkflowExecution{ContinueAsNewWorkflowExecution: &wfcmd.ContinueAsNewWorkflowExecution{
				InitialVersioningBehavior: enumspb.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_USE_RAMPING_VERSION}}},
			"core protocol 1: commands[1].continue_as_new_workflow_execution.initial_versioning_behavior CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_USE_RAMPING_VERSION is not supported by the sidecar: the sidecar starts a new run as unspecified or auto-upgrade only"},
		{"event group markers",
			&wfcmd.WorkflowCommand{Variant: &wfcmd.WorkflowCommand_StartTimer{StartTimer: &wfcmd.StartTimer{Seq: 1}},
				EventGroupMarkers: []*sdkpb.EventGroupMarker{{}}},
			"core protocol 1: commands[1].event_group_markers is not supported by the sidecar: the sidecar records no event group markers; leave the field empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &wfcompl.WorkflowActivationCompletion{RunId: "run-9", Status: &wfcompl.WorkflowActivationCompletion_Successful{Successful: &wfcompl.Success{
				Commands: []*wfcmd.WorkflowCommand{{Variant: &wfcmd.WorkflowCommand_StartTimer{StartTimer: &wfcmd.StartTimer{Seq: 1, StartToFireTimeout: sec}}}, tt.cmd}}}}
			req, err := Codec{}.Decode(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreWorkflowCompletion{CoreWorkflowCompletion: completionBytes(t, in)}})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v\nwant    %s", err, tt.want)
			}
			if !IsRefused(err) {
				t.Errorf("IsRefused(%v) = false", err)
			}
			diff(t, &bridgev1.WorkflowActivationCompletion{RunId: "run-9", Status: &bridgev1.WorkflowActivationCompletion_Failed{Failed: &bridgev1.WorkflowActivationFailure{
				Failure: &bridgev1.Failure{Message: tt.want, Source: "TemporalSidecar"},
				Cause:   bridgev1.WorkflowTaskFailedCause_WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND}}}, req.GetWorkflowCompletion())
		})
	}
}

func TestGarbageBytesAreRefusedNamingTheField(t *testing.T) {
	garbage := []byte{0xff, 0xff, 0xff}
	tests := []struct {
		name string
		req  *bridgev1.ConnectRequest
		want string
	}{
		{"workflow completion", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreWorkflowCompletion{CoreWorkflowCompletion: garbage}},
			"core_workflow_completion is not an encoded coresdk.workflow_completion.WorkflowActivationCompletion: "},
		{"activity completion", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreActivityCompletion{CoreActivityCompletion: garbage}},
			"core_activity_completion is not an encoded coresdk.ActivityTaskCompletion: "},
		{"activity heartbeat", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreActivityHeartbeat{CoreActivityHeartbeat: garbage}},
			"core_activity_heartbeat is not an encoded coresdk.ActivityHeartbeat: "},
		{"nexus completion", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreNexusCompletion{CoreNexusCompletion: garbage}},
			"core_nexus_completion is not an encoded coresdk.nexus.NexusTaskCompletion: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Codec{}.Decode(tt.req)
			if got != nil {
				t.Errorf("Decode gave %v for garbage; want no message", got)
			}
			if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
				t.Fatalf("error = %v\nwant it to start with %q", err, tt.want)
			}
		})
	}
}

func TestMessagesWithoutCoreFormPassThrough(t *testing.T) {
	resp := &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CompletionError{CompletionError: &bridgev1.CompletionError{Message: "x"}}}
	if got, err := (Codec{}).Encode(resp); err != nil || got != resp {
		t.Errorf("Encode(completion_error) = %v, %v; want it unchanged", got, err)
	}
	req := &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Drain{Drain: &bridgev1.Drain{}}}
	if got, err := (Codec{}).Decode(req); err != nil || got != req {
		t.Errorf("Decode(drain) = %v, %v; want it unchanged", got, err)
	}
	if v := (Codec{}).Version(); v != 1 {
		t.Errorf("Version() = %d, want 1", v)
	}
}

func TestEncodedActivationDecodesAsCore(t *testing.T) {
	resp, err := Codec{}.Encode(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_WorkflowActivation{WorkflowActivation: fullActivation()}})
	if err != nil {
		t.Fatal(err)
	}
	got := &wfact.WorkflowActivation{}
	if err := proto.Unmarshal(resp.GetCoreWorkflowActivation(), got); err != nil {
		t.Fatal(err)
	}
	if got.GetRunId() != "run-1" || got.GetJobs()[0].GetInitializeWorkflow().GetOriginalExecutionRunId() != "orig" {
		t.Errorf("core activation = %v", got)
	}
}

// A local activity's failure reaches core's SDKs as sdk-core shapes it: the
// activity's own failure as it is, cancels and timeouts in sdk-core's
// ActivityFailure wording; the engine's ActivityFailure wrapper goes.
func TestLocalActivityFailuresAreShapedAsSdkCoreShapesThem(t *testing.T) {
	wrap := func(cause *bridgev1.Failure) *bridgev1.Failure {
		return &bridgev1.Failure{Message: "local activity error", Cause: cause,
			FailureInfo: &bridgev1.Failure_ActivityFailureInfo{ActivityFailureInfo: &bridgev1.ActivityFailureInfo{ActivityId: "1"}}}
	}
	app := &bridgev1.Failure{Message: "tesssst", FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "Error"}}}
	cancelled := &bridgev1.Failure{Message: "local activity cancelled", FailureInfo: &bridgev1.Failure_CanceledFailureInfo{CanceledFailureInfo: &bridgev1.CanceledFailureInfo{}}}
	timedOut := &bridgev1.Failure{Message: "timed out", FailureInfo: &bridgev1.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &bridgev1.TimeoutFailureInfo{}}}
	tests := []struct {
		name            string
		res             *bridgev1.ActivityResolution
		local           bool
		wantMsg         string // of the failure core's SDK gets
		wantCauseIsSame bool   // the wrapper stays, with the original cause
	}{
		{"local failure: the activity's own", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{Failed: &bridgev1.ActivityResolutionFailed{Failure: wrap(app)}}}, true, "tesssst", false},
		{"local timeout: wrapped as core words it", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{Failed: &bridgev1.ActivityResolutionFailed{Failure: wrap(timedOut)}}}, true, "Local Activity timed out", true},
		{"local cancel: wrapped as core words it", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Cancelled{Cancelled: &bridgev1.ActivityResolutionCancelled{Failure: wrap(cancelled)}}}, true, "Local Activity cancelled", true},
		{"remote failure: untouched", &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{Failed: &bridgev1.ActivityResolutionFailed{Failure: wrap(app)}}}, false, "local activity error", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Activation(&bridgev1.WorkflowActivation{Jobs: []*bridgev1.WorkflowActivationJob{{Variant: &bridgev1.WorkflowActivationJob_ResolveActivity{
				ResolveActivity: &bridgev1.ResolveActivity{Seq: 1, Result: tt.res, IsLocal: tt.local}}}}})
			if err != nil {
				t.Fatal(err)
			}
			res := got.GetJobs()[0].GetResolveActivity().GetResult()
			f := res.GetFailed().GetFailure()
			if f == nil {
				f = res.GetCancelled().GetFailure()
			}
			if f.GetMessage() != tt.wantMsg {
				t.Errorf("failure message %q, want %q", f.GetMessage(), tt.wantMsg)
			}
			if hasWrapper := f.GetActivityFailureInfo() != nil && f.GetCause() != nil; hasWrapper != tt.wantCauseIsSame {
				t.Errorf("ActivityFailure wrapper kept = %v, want %v (%v)", hasWrapper, tt.wantCauseIsSame, f)
			}
		})
	}
}

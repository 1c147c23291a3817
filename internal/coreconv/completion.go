package coreconv

import (
	"errors"
	"fmt"

	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/childworkflow"
	corenexus "github.com/temporal-sidecar/sidecar/gen/go/coresdk/nexus"
	wfcmd "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowcommands"
	wfcompl "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowcompletion"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Completion decodes core's WorkflowActivationCompletion and converts it.
// When it refuses a command it returns a failed completion of the same run
// (cause UNHANDLED_COMMAND, the refusal as the failure's message), which
// fails the workflow task as sdk-core fails one it cannot apply, together
// with the refusal.
func Completion(b []byte) (*bridgev1.WorkflowActivationCompletion, error) {
	c := &wfcompl.WorkflowActivationCompletion{}
	if err := decode(b, c, "core_workflow_completion"); err != nil {
		return nil, err
	}
	out, err := completion(c)
	if err != nil {
		return refusedCompletion(c.GetRunId(), err), err
	}
	return out, nil
}

func completion(c *wfcompl.WorkflowActivationCompletion) (*bridgev1.WorkflowActivationCompletion, error) {
	out := &bridgev1.WorkflowActivationCompletion{RunId: c.GetRunId()}
	switch s := c.GetStatus().(type) {
	case *wfcompl.WorkflowActivationCompletion_Successful:
		cmds, err := commands(s.Successful.GetCommands())
		if err != nil {
			return nil, err
		}
		out.Status = &bridgev1.WorkflowActivationCompletion_Successful{Successful: &bridgev1.WorkflowActivationSuccess{
			Commands:           cmds,
			VersioningBehavior: bridgev1.VersioningBehavior(s.Successful.GetVersioningBehavior()),
			UsedInternalFlags:  s.Successful.GetUsedInternalFlags(),
		}}
	case *wfcompl.WorkflowActivationCompletion_Failed:
		// force_cause is any temporal.api WorkflowTaskFailedCause; the
		// bridge's enum shares its numbers.
		out.Status = &bridgev1.WorkflowActivationCompletion_Failed{Failed: &bridgev1.WorkflowActivationFailure{
			Failure: apiconv.BridgeFailure(s.Failed.GetFailure()),
			Cause:   bridgev1.WorkflowTaskFailedCause(s.Failed.GetForceCause()),
		}}
	}
	// No status: the engine answers that with its own error, naming the run.
	// payload_{up,down}load_metrics are the app's external-storage metrics,
	// which the sidecar does not export.
	return out, nil
}

func refusedCompletion(runID string, err error) *bridgev1.WorkflowActivationCompletion {
	return &bridgev1.WorkflowActivationCompletion{RunId: runID, Status: &bridgev1.WorkflowActivationCompletion_Failed{
		Failed: &bridgev1.WorkflowActivationFailure{
			Failure: &bridgev1.Failure{Message: err.Error(), Source: "TemporalSidecar"},
			Cause:   bridgev1.WorkflowTaskFailedCause_WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
		}}}
}

func commands(cs []*wfcmd.WorkflowCommand) ([]*bridgev1.WorkflowCommand, error) {
	out := make([]*bridgev1.WorkflowCommand, 0, len(cs))
	for i, c := range cs {
		bc, err := command(c)
		if err != nil {
			var r *RefusedError
			if errors.As(err, &r) {
				return nil, &RefusedError{What: fmt.Sprintf("commands[%d]%s", i, r.What), Why: r.Why}
			}
			return nil, fmt.Errorf("commands[%d]%s", i, err)
		}
		out = append(out, bc)
	}
	return out, nil
}

// command converts one command. Errors start with the command's field
// (".start_timer: ...") so that commands can prefix its index.
func command(c *wfcmd.WorkflowCommand) (*bridgev1.WorkflowCommand, error) {
	if len(c.GetEventGroupMarkers()) > 0 {
		return nil, refused(".event_group_markers", "the sidecar records no event group markers; leave the field empty")
	}
	out := &bridgev1.WorkflowCommand{}
	if m := c.GetUserMetadata(); m != nil {
		out.UserMetadata = apiconv.Recode(m, &bridgev1.UserMetadata{})
	}
	var err error
	switch v := c.GetVariant().(type) {
	case *wfcmd.WorkflowCommand_StartTimer:
		out.Variant = &bridgev1.WorkflowCommand_StartTimer{StartTimer: apiconv.Recode(v.StartTimer, &bridgev1.StartTimer{})}
	case *wfcmd.WorkflowCommand_CancelTimer:
		out.Variant = &bridgev1.WorkflowCommand_CancelTimer{CancelTimer: apiconv.Recode(v.CancelTimer, &bridgev1.CancelTimer{})}
	case *wfcmd.WorkflowCommand_ScheduleActivity:
		out.Variant = &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: scheduleActivity(v.ScheduleActivity)}
	case *wfcmd.WorkflowCommand_RequestCancelActivity:
		out.Variant = &bridgev1.WorkflowCommand_RequestCancelActivity{RequestCancelActivity: apiconv.Recode(v.RequestCancelActivity, &bridgev1.RequestCancelActivity{})}
	case *wfcmd.WorkflowCommand_RespondToQuery:
		out.Variant = &bridgev1.WorkflowCommand_RespondToQuery{RespondToQuery: queryResult(v.RespondToQuery)}
	case *wfcmd.WorkflowCommand_CompleteWorkflowExecution:
		out.Variant = &bridgev1.WorkflowCommand_CompleteWorkflowExecution{CompleteWorkflowExecution: apiconv.Recode(v.CompleteWorkflowExecution, &bridgev1.CompleteWorkflowExecution{})}
	case *wfcmd.WorkflowCommand_FailWorkflowExecution:
		out.Variant = &bridgev1.WorkflowCommand_FailWorkflowExecution{FailWorkflowExecution: apiconv.Recode(v.FailWorkflowExecution, &bridgev1.FailWorkflowExecution{})}
	case *wfcmd.WorkflowCommand_CancelWorkflowExecution:
		out.Variant = &bridgev1.WorkflowCommand_CancelWorkflowExecution{CancelWorkflowExecution: &bridgev1.CancelWorkflowExecution{
			Details: apiconv.BridgePayloads(v.CancelWorkflowExecution.GetDetails())}}
	case *wfcmd.WorkflowCommand_ContinueAsNewWorkflowExecution:
		var can *bridgev1.ContinueAsNewWorkflowExecution
		can, err = continueAsNew(v.ContinueAsNewWorkflowExecution)
		out.Variant = &bridgev1.WorkflowCommand_ContinueAsNewWorkflowExecution{ContinueAsNewWorkflowExecution: can}
	case *wfcmd.WorkflowCommand_StartChildWorkflowExecution:
		var sc *bridgev1.StartChildWorkflowExecution
		sc, err = startChild(v.StartChildWorkflowExecution)
		out.Variant = &bridgev1.WorkflowCommand_StartChildWorkflowExecution{StartChildWorkflowExecution: sc}
	case *wfcmd.WorkflowCommand_CancelChildWorkflowExecution:
		out.Variant = &bridgev1.WorkflowCommand_CancelChildWorkflowExecution{CancelChildWorkflowExecution: apiconv.Recode(v.CancelChildWorkflowExecution, &bridgev1.CancelChildWorkflowExecution{})}
	case *wfcmd.WorkflowCommand_RequestCancelExternalWorkflowExecution:
		out.Variant = &bridgev1.WorkflowCommand_RequestCancelExternalWorkflowExecution{RequestCancelExternalWorkflowExecution: apiconv.Recode(v.RequestCancelExternalWorkflowExecution, &bridgev1.RequestCancelExternalWorkflowExecution{})}
	case *wfcmd.WorkflowCommand_SignalExternalWorkflowExecution:
		out.Variant = &bridgev1.WorkflowCommand_SignalExternalWorkflowExecution{SignalExternalWorkflowExecution: apiconv.Recode(v.SignalExternalWorkflowExecution, &bridgev1.SignalExternalWorkflowExecution{})}
	case *wfcmd.WorkflowCommand_CancelSignalWorkflow:
		out.Variant = &bridgev1.WorkflowCommand_CancelSignalWorkflow{CancelSignalWorkflow: apiconv.Recode(v.CancelSignalWorkflow, &bridgev1.CancelSignalWorkflow{})}
	case *wfcmd.WorkflowCommand_SetPatchMarker:
		out.Variant = &bridgev1.WorkflowCommand_SetPatchMarker{SetPatchMarker: apiconv.Recode(v.SetPatchMarker, &bridgev1.SetPatchMarker{})}
	case *wfcmd.WorkflowCommand_UpsertWorkflowSearchAttributes:
		out.Variant = &bridgev1.WorkflowCommand_UpsertWorkflowSearchAttributes{UpsertWorkflowSearchAttributes: &bridgev1.UpsertWorkflowSearchAttributes{
			SearchAttributes: apiconv.BridgePayloadMap(v.UpsertWorkflowSearchAttributes.GetSearchAttributes().GetIndexedFields())}}
	case *wfcmd.WorkflowCommand_ModifyWorkflowProperties:
		out.Variant = &bridgev1.WorkflowCommand_ModifyWorkflowProperties{ModifyWorkflowProperties: &bridgev1.ModifyWorkflowProperties{
			UpsertedMemo: apiconv.BridgePayloadMap(v.ModifyWorkflowProperties.GetUpsertedMemo().GetFields())}}
	case *wfcmd.WorkflowCommand_UpdateResponse:
		out.Variant = &bridgev1.WorkflowCommand_UpdateResponse{UpdateResponse: updateResponse(v.UpdateResponse)}
	case *wfcmd.WorkflowCommand_ScheduleLocalActivity:
		var la *bridgev1.ScheduleLocalActivity
		la, err = scheduleLocalActivity(v.ScheduleLocalActivity)
		out.Variant = &bridgev1.WorkflowCommand_ScheduleLocalActivity{ScheduleLocalActivity: la}
	case *wfcmd.WorkflowCommand_RequestCancelLocalActivity:
		out.Variant = &bridgev1.WorkflowCommand_RequestCancelLocalActivity{RequestCancelLocalActivity: apiconv.Recode(v.RequestCancelLocalActivity, &bridgev1.RequestCancelLocalActivity{})}
	case *wfcmd.WorkflowCommand_ScheduleNexusOperation:
		out.Variant = &bridgev1.WorkflowCommand_ScheduleNexusOperation{ScheduleNexusOperation: scheduleNexus(v.ScheduleNexusOperation)}
	case *wfcmd.WorkflowCommand_RequestCancelNexusOperation:
		out.Variant = &bridgev1.WorkflowCommand_RequestCancelNexusOperation{RequestCancelNexusOperation: apiconv.Recode(v.RequestCancelNexusOperation, &bridgev1.RequestCancelNexusOperation{})}
	case nil:
		// Left empty: the engine refuses an empty command with its own message.
	default:
		err = refused(fmt.Sprintf(" (%T)", v), "this sidecar does not know the command")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ScheduleActivity.versioning_intent, here and in child workflows and
// continue-as-new, steers the deprecated build-id-based versioning, which
// the sidecar does not take part in: with it off, the server ignores the
// intent too, so it is dropped.
func scheduleActivity(a *wfcmd.ScheduleActivity) *bridgev1.ScheduleActivity {
	return &bridgev1.ScheduleActivity{
		Seq:                    a.GetSeq(),
		ActivityId:             a.GetActivityId(),
		ActivityType:           a.GetActivityType(),
		TaskQueue:              a.GetTaskQueue(),
		Headers:                apiconv.BridgePayloadMap(a.GetHeaders()),
		Arguments:              bridgePayloads(a.GetArguments()),
		ScheduleToCloseTimeout: a.GetScheduleToCloseTimeout(),
		ScheduleToStartTimeout: a.GetScheduleToStartTimeout(),
		StartToCloseTimeout:    a.GetStartToCloseTimeout(),
		HeartbeatTimeout:       a.GetHeartbeatTimeout(),
		RetryPolicy:            bridgeRetryPolicy(a.GetRetryPolicy()),
		CancellationType:       activityCancellation[a.GetCancellationType()],
		DoNotEagerlyExecute:    a.GetDoNotEagerlyExecute(),
		Priority:               bridgePriority(a.GetPriority()),
	}
}

func scheduleLocalActivity(a *wfcmd.ScheduleLocalActivity) (*bridgev1.ScheduleLocalActivity, error) {
	if a.GetIncludeArgumentsInMarker() {
		return nil, refused(".schedule_local_activity.include_arguments_in_marker",
			"the sidecar's local activity markers never carry the arguments; leave it false")
	}
	return &bridgev1.ScheduleLocalActivity{
		Seq:                    a.GetSeq(),
		ActivityId:             a.GetActivityId(),
		ActivityType:           a.GetActivityType(),
		Attempt:                a.GetAttempt(),
		OriginalScheduleTime:   a.GetOriginalScheduleTime(),
		Headers:                apiconv.BridgePayloadMap(a.GetHeaders()),
		Arguments:              bridgePayloads(a.GetArguments()),
		ScheduleToCloseTimeout: a.GetScheduleToCloseTimeout(),
		ScheduleToStartTimeout: a.GetScheduleToStartTimeout(),
		StartToCloseTimeout:    a.GetStartToCloseTimeout(),
		RetryPolicy:            bridgeRetryPolicy(a.GetRetryPolicy()),
		LocalRetryThreshold:    a.GetLocalRetryThreshold(),
		CancellationType:       activityCancellation[a.GetCancellationType()],
	}, nil
}

func queryResult(q *wfcmd.QueryResult) *bridgev1.QueryResult {
	out := &bridgev1.QueryResult{QueryId: q.GetQueryId()}
	switch v := q.GetVariant().(type) {
	case *wfcmd.QueryResult_Succeeded:
		out.Variant = &bridgev1.QueryResult_Succeeded{Succeeded: apiconv.BridgePayload(v.Succeeded.GetResponse())}
	case *wfcmd.QueryResult_Failed:
		out.Variant = &bridgev1.QueryResult_Failed{Failed: apiconv.BridgeFailure(v.Failed)}
	}
	return out
}

// updateResponse maps core's three responses; a rejection after acceptance
// is how core reports a failed handler, and the engine reads it so.
func updateResponse(u *wfcmd.UpdateResponse) *bridgev1.UpdateResponse {
	out := &bridgev1.UpdateResponse{ProtocolInstanceId: u.GetProtocolInstanceId()}
	switch v := u.GetResponse().(type) {
	case *wfcmd.UpdateResponse_Accepted:
		out.Response = &bridgev1.UpdateResponse_Accepted{Accepted: &bridgev1.UpdateAccepted{}}
	case *wfcmd.UpdateResponse_Rejected:
		out.Response = &bridgev1.UpdateResponse_Rejected{Rejected: apiconv.BridgeFailure(v.Rejected)}
	case *wfcmd.UpdateResponse_Completed:
		out.Response = &bridgev1.UpdateResponse_Completed{Completed: apiconv.BridgePayload(v.Completed)}
	}
	return out
}

func continueAsNew(c *wfcmd.ContinueAsNewWorkflowExecution) (*bridgev1.ContinueAsNewWorkflowExecution, error) {
	out := &bridgev1.ContinueAsNewWorkflowExecution{
		WorkflowType:         c.GetWorkflowType(),
		TaskQueue:            c.GetTaskQueue(),
		Arguments:            bridgePayloads(c.GetArguments()),
		WorkflowRunTimeout:   c.GetWorkflowRunTimeout(),
		WorkflowTaskTimeout:  c.GetWorkflowTaskTimeout(),
		Memo:                 apiconv.BridgePayloadMap(c.GetMemo()),
		Headers:              apiconv.BridgePayloadMap(c.GetHeaders()),
		SearchAttributes:     apiconv.BridgePayloadMap(c.GetSearchAttributes().GetIndexedFields()),
		RetryPolicy:          bridgeRetryPolicy(c.GetRetryPolicy()),
		BackoffStartInterval: c.GetBackoffStartInterval(),
	}
	switch b := c.GetInitialVersioningBehavior(); b {
	case enumspb.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_UNSPECIFIED:
	case enumspb.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_AUTO_UPGRADE:
		out.InitialVersioningBehavior = bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_AUTO_UPGRADE
	default:
		return nil, refused(".continue_as_new_workflow_execution.initial_versioning_behavior "+enumName(b),
			"the sidecar starts a new run as unspecified or auto-upgrade only")
	}
	return out, nil
}

func startChild(c *wfcmd.StartChildWorkflowExecution) (*bridgev1.StartChildWorkflowExecution, error) {
	if c.GetVersioningOverride() != nil {
		return nil, refused(".start_child_workflow_execution.versioning_override",
			"the sidecar cannot pin or move a child to a deployment version yet; leave it unset")
	}
	return &bridgev1.StartChildWorkflowExecution{
		Seq:                      c.GetSeq(),
		Namespace:                c.GetNamespace(),
		WorkflowId:               c.GetWorkflowId(),
		WorkflowType:             c.GetWorkflowType(),
		TaskQueue:                c.GetTaskQueue(),
		Input:                    bridgePayloads(c.GetInput()),
		WorkflowExecutionTimeout: c.GetWorkflowExecutionTimeout(),
		WorkflowRunTimeout:       c.GetWorkflowRunTimeout(),
		WorkflowTaskTimeout:      c.GetWorkflowTaskTimeout(),
		ParentClosePolicy:        bridgev1.ParentClosePolicy(c.GetParentClosePolicy()),
		WorkflowIdReusePolicy:    bridgev1.WorkflowIdReusePolicy(c.GetWorkflowIdReusePolicy()),
		RetryPolicy:              bridgeRetryPolicy(c.GetRetryPolicy()),
		CronSchedule:             c.GetCronSchedule(),
		Headers:                  apiconv.BridgePayloadMap(c.GetHeaders()),
		Memo:                     apiconv.BridgePayloadMap(c.GetMemo()),
		SearchAttributes:         apiconv.BridgePayloadMap(c.GetSearchAttributes().GetIndexedFields()),
		CancellationType:         childCancellation[c.GetCancellationType()],
		Priority:                 bridgePriority(c.GetPriority()),
	}, nil
}

func scheduleNexus(n *wfcmd.ScheduleNexusOperation) *bridgev1.ScheduleNexusOperation {
	return &bridgev1.ScheduleNexusOperation{
		Seq:                    n.GetSeq(),
		Endpoint:               n.GetEndpoint(),
		Service:                n.GetService(),
		Operation:              n.GetOperation(),
		Input:                  apiconv.BridgePayload(n.GetInput()),
		ScheduleToCloseTimeout: n.GetScheduleToCloseTimeout(),
		NexusHeader:            n.GetNexusHeader(),
		CancellationType:       nexusCancellation[n.GetCancellationType()],
		ScheduleToStartTimeout: n.GetScheduleToStartTimeout(),
		StartToCloseTimeout:    n.GetStartToCloseTimeout(),
	}
}

func bridgeRetryPolicy(p *commonpb.RetryPolicy) *bridgev1.RetryPolicy {
	if p == nil {
		return nil
	}
	return apiconv.Recode(p, &bridgev1.RetryPolicy{})
}

func bridgePriority(p *commonpb.Priority) *bridgev1.Priority {
	if p == nil {
		return nil
	}
	return apiconv.Recode(p, &bridgev1.Priority{})
}

// Core numbers each kind's cancellation types on its own, each with its
// own default at zero; the bridge has one enum for all.
var (
	activityCancellation = map[wfcmd.ActivityCancellationType]bridgev1.CancellationType{
		wfcmd.ActivityCancellationType_TRY_CANCEL:                  bridgev1.CancellationType_CANCELLATION_TYPE_TRY_CANCEL,
		wfcmd.ActivityCancellationType_WAIT_CANCELLATION_COMPLETED: bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED,
		wfcmd.ActivityCancellationType_ABANDON:                     bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON,
	}
	childCancellation = map[childworkflow.ChildWorkflowCancellationType]bridgev1.CancellationType{
		childworkflow.ChildWorkflowCancellationType_ABANDON:                     bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON,
		childworkflow.ChildWorkflowCancellationType_TRY_CANCEL:                  bridgev1.CancellationType_CANCELLATION_TYPE_TRY_CANCEL,
		childworkflow.ChildWorkflowCancellationType_WAIT_CANCELLATION_COMPLETED: bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED,
		childworkflow.ChildWorkflowCancellationType_WAIT_CANCELLATION_REQUESTED: bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED,
	}
	nexusCancellation = map[corenexus.NexusOperationCancellationType]bridgev1.CancellationType{
		corenexus.NexusOperationCancellationType_WAIT_CANCELLATION_COMPLETED: bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED,
		corenexus.NexusOperationCancellationType_ABANDON:                     bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON,
		corenexus.NexusOperationCancellationType_TRY_CANCEL:                  bridgev1.CancellationType_CANCELLATION_TYPE_TRY_CANCEL,
		corenexus.NexusOperationCancellationType_WAIT_CANCELLATION_REQUESTED: bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED,
	}
)

// enumName is an enum value's name in the .proto, as apps write it.
func enumName(e protoreflect.Enum) string {
	if v := e.Descriptor().Values().ByNumber(e.Number()); v != nil {
		return string(v.Name())
	}
	return fmt.Sprintf("%s(%d)", e.Descriptor().Name(), e.Number())
}

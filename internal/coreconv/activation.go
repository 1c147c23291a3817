package coreconv

import (
	"fmt"

	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activityresult"
	corecommon "github.com/temporal-sidecar/sidecar/gen/go/coresdk/common"
	wfact "github.com/temporal-sidecar/sidecar/gen/go/coresdk/workflowactivation"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	updatepb "go.temporal.io/api/update/v1"
)

// Activation converts a workflow activation to core's.
func Activation(a *bridgev1.WorkflowActivation) (*wfact.WorkflowActivation, error) {
	out := &wfact.WorkflowActivation{
		RunId:                                a.GetRunId(),
		Timestamp:                            a.GetTimestamp(),
		IsReplaying:                          a.GetIsReplaying(),
		HistoryLength:                        uint32(a.GetHistoryLength()),
		HistorySizeBytes:                     uint64(a.GetHistorySizeBytes()),
		ContinueAsNewSuggested:               a.GetContinueAsNewSuggested(),
		AvailableInternalFlags:               a.GetAvailableInternalFlags(),
		TargetWorkerDeploymentVersionChanged: a.GetTargetWorkerDeploymentVersionChanged(),
		Jobs:                                 make([]*wfact.WorkflowActivationJob, 0, len(a.GetJobs())),
	}
	for _, r := range a.GetSuggestContinueAsNewReasons() {
		out.SuggestContinueAsNewReasons = append(out.SuggestContinueAsNewReasons, enumspb.SuggestContinueAsNewReason(r))
	}
	if id := a.GetBuildId(); id != "" {
		out.DeploymentVersionForCurrentTask = &corecommon.WorkerDeploymentVersion{BuildId: id, DeploymentName: a.GetDeploymentName()}
	}
	for i, j := range a.GetJobs() {
		cj, err := job(j)
		if err != nil {
			return nil, fmt.Errorf("coreconv: workflow_activation %s jobs[%d]: %w", a.GetRunId(), i, err)
		}
		out.Jobs = append(out.Jobs, cj)
	}
	return out, nil
}

// job converts one activation job. Jobs whose messages mirror core's field
// for field (same numbers and types) are recoded; the rest are built. The
// tests prove each recoded pair by round trip.
func job(j *bridgev1.WorkflowActivationJob) (*wfact.WorkflowActivationJob, error) {
	out := &wfact.WorkflowActivationJob{}
	switch v := j.GetVariant().(type) {
	case *bridgev1.WorkflowActivationJob_InitializeWorkflow:
		out.Variant = &wfact.WorkflowActivationJob_InitializeWorkflow{InitializeWorkflow: initialize(v.InitializeWorkflow)}
	case *bridgev1.WorkflowActivationJob_FireTimer:
		out.Variant = &wfact.WorkflowActivationJob_FireTimer{FireTimer: apiconv.Recode(v.FireTimer, &wfact.FireTimer{})}
	case *bridgev1.WorkflowActivationJob_ResolveActivity:
		ra := apiconv.Recode(v.ResolveActivity, &wfact.ResolveActivity{})
		if ra.GetIsLocal() {
			localResolution(ra.GetResult())
		}
		out.Variant = &wfact.WorkflowActivationJob_ResolveActivity{ResolveActivity: ra}
	case *bridgev1.WorkflowActivationJob_SignalWorkflow:
		s := v.SignalWorkflow
		out.Variant = &wfact.WorkflowActivationJob_SignalWorkflow{SignalWorkflow: &wfact.SignalWorkflow{
			SignalName: s.GetSignalName(), Input: payloads(s.GetInput()), Identity: s.GetIdentity(),
			Headers: apiconv.PayloadMap(s.GetHeaders()), OriginatingEventId: s.GetOriginatingEventId()}}
	case *bridgev1.WorkflowActivationJob_QueryWorkflow:
		// The engine's query id for a query outside a workflow task is
		// "legacy_query", as sdk-core's.
		q := v.QueryWorkflow
		out.Variant = &wfact.WorkflowActivationJob_QueryWorkflow{QueryWorkflow: &wfact.QueryWorkflow{
			QueryId: q.GetQueryId(), QueryType: q.GetQueryType(), Arguments: payloads(q.GetArguments()),
			Headers: apiconv.PayloadMap(q.GetHeaders())}}
	case *bridgev1.WorkflowActivationJob_CancelWorkflow:
		out.Variant = &wfact.WorkflowActivationJob_CancelWorkflow{CancelWorkflow: apiconv.Recode(v.CancelWorkflow, &wfact.CancelWorkflow{})}
	case *bridgev1.WorkflowActivationJob_DoUpdate:
		u := v.DoUpdate
		out.Variant = &wfact.WorkflowActivationJob_DoUpdate{DoUpdate: &wfact.DoUpdate{
			Id: u.GetId(), ProtocolInstanceId: u.GetProtocolInstanceId(), Name: u.GetName(),
			Input: payloads(u.GetInput()), Headers: apiconv.PayloadMap(u.GetHeaders()),
			Meta:         &updatepb.Meta{UpdateId: u.GetId(), Identity: u.GetIdentity()},
			RunValidator: u.GetRunValidator()}}
	case *bridgev1.WorkflowActivationJob_NotifyHasPatch:
		out.Variant = &wfact.WorkflowActivationJob_NotifyHasPatch{NotifyHasPatch: apiconv.Recode(v.NotifyHasPatch, &wfact.NotifyHasPatch{})}
	case *bridgev1.WorkflowActivationJob_UpdateRandomSeed:
		out.Variant = &wfact.WorkflowActivationJob_UpdateRandomSeed{UpdateRandomSeed: apiconv.Recode(v.UpdateRandomSeed, &wfact.UpdateRandomSeed{})}
	case *bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecutionStart:
		out.Variant = &wfact.WorkflowActivationJob_ResolveChildWorkflowExecutionStart{
			ResolveChildWorkflowExecutionStart: apiconv.Recode(v.ResolveChildWorkflowExecutionStart, &wfact.ResolveChildWorkflowExecutionStart{})}
	case *bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecution:
		out.Variant = &wfact.WorkflowActivationJob_ResolveChildWorkflowExecution{
			ResolveChildWorkflowExecution: apiconv.Recode(v.ResolveChildWorkflowExecution, &wfact.ResolveChildWorkflowExecution{})}
	case *bridgev1.WorkflowActivationJob_ResolveSignalExternalWorkflow:
		out.Variant = &wfact.WorkflowActivationJob_ResolveSignalExternalWorkflow{
			ResolveSignalExternalWorkflow: apiconv.Recode(v.ResolveSignalExternalWorkflow, &wfact.ResolveSignalExternalWorkflow{})}
	case *bridgev1.WorkflowActivationJob_ResolveRequestCancelExternalWorkflow:
		out.Variant = &wfact.WorkflowActivationJob_ResolveRequestCancelExternalWorkflow{
			ResolveRequestCancelExternalWorkflow: apiconv.Recode(v.ResolveRequestCancelExternalWorkflow, &wfact.ResolveRequestCancelExternalWorkflow{})}
	case *bridgev1.WorkflowActivationJob_ResolveNexusOperationStart:
		out.Variant = &wfact.WorkflowActivationJob_ResolveNexusOperationStart{
			ResolveNexusOperationStart: apiconv.Recode(v.ResolveNexusOperationStart, &wfact.ResolveNexusOperationStart{})}
	case *bridgev1.WorkflowActivationJob_ResolveNexusOperation:
		out.Variant = &wfact.WorkflowActivationJob_ResolveNexusOperation{
			ResolveNexusOperation: apiconv.Recode(v.ResolveNexusOperation, &wfact.ResolveNexusOperation{})}
	case *bridgev1.WorkflowActivationJob_RemoveFromCache:
		r := v.RemoveFromCache
		out.Variant = &wfact.WorkflowActivationJob_RemoveFromCache{RemoveFromCache: &wfact.RemoveFromCache{
			Message: r.GetMessage(), Reason: evictionReason[r.GetReason()]}}
	default:
		// A job this codec does not know yet is a sidecar bug: say so
		// rather than send an activation missing it.
		return nil, fmt.Errorf("job %T has no core form in core protocol %d", v, Version)
	}
	return out, nil
}

func initialize(i *bridgev1.InitializeWorkflow) *wfact.InitializeWorkflow {
	out := &wfact.InitializeWorkflow{
		WorkflowType:                    i.GetWorkflowType(),
		WorkflowId:                      i.GetWorkflowId(),
		Arguments:                       payloads(i.GetArguments()),
		RandomnessSeed:                  i.GetRandomnessSeed(),
		Headers:                         apiconv.PayloadMap(i.GetHeaders()),
		Identity:                        i.GetIdentity(),
		WorkflowExecutionTimeout:        i.GetWorkflowExecutionTimeout(),
		WorkflowRunTimeout:              i.GetWorkflowRunTimeout(),
		WorkflowTaskTimeout:             i.GetWorkflowTaskTimeout(),
		ContinuedFromExecutionRunId:     i.GetContinuedFromExecutionRunId(),
		ContinuedInitiator:              enumspb.ContinueAsNewInitiator(i.GetContinuedInitiator()),
		ContinuedFailure:                apiconv.Failure(i.GetContinuedFailure()),
		FirstExecutionRunId:             i.GetFirstExecutionRunId(),
		RetryPolicy:                     apiconv.RetryPolicy(i.GetRetryPolicy()),
		Attempt:                         i.GetAttempt(),
		CronSchedule:                    i.GetCronSchedule(),
		WorkflowExecutionExpirationTime: i.GetWorkflowExecutionExpirationTime(),
		CronScheduleToScheduleInterval:  i.GetCronScheduleToScheduleInterval(),
		Memo:                            apiconv.Memo(i.GetMemo()),
		SearchAttributes:                apiconv.SearchAttributes(i.GetSearchAttributes()),
		StartTime:                       i.GetStartTime(),
		Priority:                        apiconv.Priority(i.GetPriority()),
		OriginalExecutionRunId:          i.GetOriginalExecutionRunId(),
	}
	if lc := i.GetLastCompletionResult(); lc != nil {
		out.LastCompletionResult = apiconv.Recode(lc, &commonpb.Payloads{})
	}
	if p := i.GetParentWorkflowInfo(); p != nil {
		out.ParentWorkflowInfo = apiconv.Recode(p, &corecommon.NamespacedWorkflowExecution{})
	}
	if r := i.GetRootWorkflow(); r != nil {
		out.RootWorkflow = apiconv.Recode(r, &commonpb.WorkflowExecution{})
	}
	return out
}

// evictionReason maps the sidecar's eviction reasons to core's nearest.
// Core has no reason for a sidecar shutting down or a query-only replay;
// those are unspecified, with the message saying why.
var evictionReason = map[bridgev1.EvictionReason]wfact.RemoveFromCache_EvictionReason{
	bridgev1.EvictionReason_EVICTION_REASON_UNSPECIFIED:                 wfact.RemoveFromCache_UNSPECIFIED,
	bridgev1.EvictionReason_EVICTION_REASON_CACHE_FULL:                  wfact.RemoveFromCache_CACHE_FULL,
	bridgev1.EvictionReason_EVICTION_REASON_NONDETERMINISM:              wfact.RemoveFromCache_NONDETERMINISM,
	bridgev1.EvictionReason_EVICTION_REASON_WORKFLOW_EXECUTION_ERROR:    wfact.RemoveFromCache_LANG_FAIL,
	bridgev1.EvictionReason_EVICTION_REASON_COMPLETED:                   wfact.RemoveFromCache_WORKFLOW_EXECUTION_ENDING,
	bridgev1.EvictionReason_EVICTION_REASON_TASK_NOT_FOUND:              wfact.RemoveFromCache_TASK_NOT_FOUND,
	bridgev1.EvictionReason_EVICTION_REASON_UNHANDLED_COMMAND:           wfact.RemoveFromCache_UNHANDLED_COMMAND,
	bridgev1.EvictionReason_EVICTION_REASON_FATAL:                       wfact.RemoveFromCache_FATAL,
	bridgev1.EvictionReason_EVICTION_REASON_APP_REQUESTED:               wfact.RemoveFromCache_LANG_REQUESTED,
	bridgev1.EvictionReason_EVICTION_REASON_PAGINATION_OR_HISTORY_FETCH: wfact.RemoveFromCache_PAGINATION_OR_HISTORY_FETCH,
	bridgev1.EvictionReason_EVICTION_REASON_WORKER_SHUTDOWN:             wfact.RemoveFromCache_UNSPECIFIED,
	bridgev1.EvictionReason_EVICTION_REASON_QUERY_ONLY:                  wfact.RemoveFromCache_UNSPECIFIED,
	bridgev1.EvictionReason_EVICTION_REASON_SESSION_LOST:                wfact.RemoveFromCache_UNSPECIFIED,
}

// payloads converts a list of bridge payloads to Temporal's, one for one.
func payloads(ps []*bridgev1.Payload) []*commonpb.Payload {
	if len(ps) == 0 {
		return nil
	}
	out := make([]*commonpb.Payload, len(ps))
	for i, p := range ps {
		out[i] = apiconv.Payload(p)
	}
	return out
}

// bridgePayloads converts Temporal payloads to the bridge's, one for one.
func bridgePayloads(ps []*commonpb.Payload) []*bridgev1.Payload {
	if len(ps) == 0 {
		return nil
	}
	out := make([]*bridgev1.Payload, len(ps))
	for i, p := range ps {
		out[i] = apiconv.BridgePayload(p)
	}
	return out
}

// localResolution shapes a local activity's failure as sdk-core does: the
// engine wraps every one in an ActivityFailure, core only its cancels and
// timeouts (as "Local Activity cancelled" / "timed out") and hands an
// activity's own failure over as it is; the SDKs wrap that themselves.
func localResolution(res *activityresult.ActivityResolution) {
	var f *failurepb.Failure
	switch {
	case res.GetFailed() != nil:
		f = res.GetFailed().GetFailure()
	case res.GetCancelled() != nil:
		f = res.GetCancelled().GetFailure()
	}
	if f.GetActivityFailureInfo() == nil || f.GetCause() == nil {
		return
	}
	switch {
	case f.GetCause().GetCanceledFailureInfo() != nil:
		f.Message = "Local Activity cancelled"
	case f.GetCause().GetTimeoutFailureInfo() != nil:
		f.Message = "Local Activity timed out"
	case res.GetFailed() != nil:
		res.GetFailed().Failure = f.GetCause()
	}
}

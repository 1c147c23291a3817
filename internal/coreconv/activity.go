package coreconv

import (
	"fmt"

	"github.com/temporal-sidecar/sidecar/gen/go/coresdk"
	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activityresult"
	"github.com/temporal-sidecar/sidecar/gen/go/coresdk/activitytask"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ActivityTask converts an activity task, remote or local, to core's.
func ActivityTask(t *bridgev1.ActivityTask) (*activitytask.ActivityTask, error) {
	out := &activitytask.ActivityTask{TaskToken: t.GetTaskToken()}
	switch v := t.GetVariant().(type) {
	case *bridgev1.ActivityTask_Start:
		out.Variant = &activitytask.ActivityTask_Start{Start: start(v.Start)}
	case *bridgev1.ActivityTask_Cancel:
		out.Variant = &activitytask.ActivityTask_Cancel{Cancel: cancel(v.Cancel)}
	default:
		return nil, fmt.Errorf("coreconv: activity_task %T has no core form in core protocol %d", v, Version)
	}
	return out, nil
}

// start converts a start. The task queue has no place in core's Start: the
// SDK knows its own.
func start(s *bridgev1.StartActivity) *activitytask.Start {
	out := &activitytask.Start{
		WorkflowNamespace:           s.GetWorkflowNamespace(),
		WorkflowType:                s.GetWorkflowType(),
		ActivityId:                  s.GetActivityId(),
		ActivityType:                s.GetActivityType(),
		HeaderFields:                apiconv.PayloadMap(s.GetHeaders()),
		Input:                       payloads(s.GetInput()),
		HeartbeatDetails:            payloads(s.GetHeartbeatDetails()),
		ScheduledTime:               s.GetScheduledTime(),
		CurrentAttemptScheduledTime: s.GetCurrentAttemptScheduledTime(),
		StartedTime:                 s.GetStartedTime(),
		Attempt:                     s.GetAttempt(),
		ScheduleToCloseTimeout:      s.GetScheduleToCloseTimeout(),
		StartToCloseTimeout:         s.GetStartToCloseTimeout(),
		HeartbeatTimeout:            s.GetHeartbeatTimeout(),
		RetryPolicy:                 apiconv.RetryPolicy(s.GetRetryPolicy()),
		Priority:                    apiconv.Priority(s.GetPriority()),
		IsLocal:                     s.GetIsLocal(),
		RunId:                       s.GetWorkflowExecution().GetRunId(),
	}
	if we := s.GetWorkflowExecution(); we != nil {
		out.WorkflowExecution = apiconv.Recode(we, &commonpb.WorkflowExecution{})
	}
	if out.IsLocal {
		// sdk-core always sets both on a local activity, and
		// @temporalio/worker requires them: no schedule-to-close is zero
		// (none); the start-to-close is capped by the schedule-to-close,
		// which stands in for it when it is unset.
		s2c := out.ScheduleToCloseTimeout.AsDuration()
		if out.StartToCloseTimeout == nil || (s2c > 0 && out.StartToCloseTimeout.AsDuration() > s2c) {
			out.StartToCloseTimeout = out.ScheduleToCloseTimeout
		}
		if out.ScheduleToCloseTimeout == nil {
			out.ScheduleToCloseTimeout = durationpb.New(0)
		}
	}
	return out
}

// cancel converts a cancellation. Core numbers its reasons from NOT_FOUND
// and lists every reason that holds as flags in details, which the SDKs
// expose as activity.cancellation_details(): copied from the bridge's
// details, or, without them, the primary reason's flag. An unspecified
// reason reads as a cancellation the workflow asked for.
func cancel(c *bridgev1.CancelActivity) *activitytask.Cancel {
	d := &activitytask.ActivityCancellationDetails{}
	out := &activitytask.Cancel{Details: d}

	switch c.GetReason() {
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_NOT_FOUND:
		out.Reason, d.IsNotFound = activitytask.ActivityCancelReason_NOT_FOUND, true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_TIMED_OUT:
		out.Reason, d.IsTimedOut = activitytask.ActivityCancelReason_TIMED_OUT, true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN:
		out.Reason, d.IsWorkerShutdown = activitytask.ActivityCancelReason_WORKER_SHUTDOWN, true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_PAUSED:
		out.Reason, d.IsPaused = activitytask.ActivityCancelReason_PAUSED, true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_RESET:
		out.Reason, d.IsReset = activitytask.ActivityCancelReason_RESET, true
	default:
		out.Reason, d.IsCancelled = activitytask.ActivityCancelReason_CANCELLED, true
	}
	if bd := c.GetDetails(); bd != nil {
		out.Details = &activitytask.ActivityCancellationDetails{IsNotFound: bd.GetIsNotFound(), IsCancelled: bd.GetIsCancelled(),
			IsPaused: bd.GetIsPaused(), IsTimedOut: bd.GetIsTimedOut(), IsWorkerShutdown: bd.GetIsWorkerShutdown(), IsReset: bd.GetIsReset()}
	}
	return out
}

// ActivityCompletion decodes core's ActivityTaskCompletion and converts it.
// A failure's cause (ActivityTaskFailedCause, temporalio 1.35) tells core
// which metric to count; the sidecar reports the failure alone.
func ActivityCompletion(b []byte) (*bridgev1.ActivityTaskCompletion, error) {
	c := &coresdk.ActivityTaskCompletion{}
	if err := decode(b, c, "core_activity_completion"); err != nil {
		return nil, err
	}
	out := &bridgev1.ActivityTaskCompletion{TaskToken: c.GetTaskToken(), Result: &bridgev1.ActivityExecutionResult{}}
	switch s := c.GetResult().GetStatus().(type) {
	case *activityresult.ActivityExecutionResult_Completed:
		out.Result.Status = &bridgev1.ActivityExecutionResult_Completed{Completed: &bridgev1.ActivityExecutionCompleted{
			Result: apiconv.BridgePayload(s.Completed.GetResult())}}
	case *activityresult.ActivityExecutionResult_Failed:
		out.Result.Status = &bridgev1.ActivityExecutionResult_Failed{Failed: &bridgev1.ActivityExecutionFailed{
			Failure: apiconv.BridgeFailure(s.Failed.GetFailure())}}
	case *activityresult.ActivityExecutionResult_Cancelled:
		out.Result.Status = &bridgev1.ActivityExecutionResult_Cancelled{Cancelled: &bridgev1.ActivityExecutionCancelled{
			Failure: apiconv.BridgeFailure(s.Cancelled.GetFailure())}}
	case *activityresult.ActivityExecutionResult_WillCompleteAsync:
		out.Result.Status = &bridgev1.ActivityExecutionResult_WillCompleteAsync{WillCompleteAsync: &bridgev1.WillCompleteAsync{}}
	case nil:
		// No result: the dispatcher answers that with its own error.
	default:
		// Fail the attempt so the server retries it rather than wait
		// for its timeout.
		err := refused(fmt.Sprintf("core_activity_completion.result %T", s), "this sidecar does not know the outcome")
		out.Result.Status = &bridgev1.ActivityExecutionResult_Failed{Failed: &bridgev1.ActivityExecutionFailed{
			Failure: &bridgev1.Failure{Message: err.Error(), Source: "TemporalSidecar"}}}
		return out, err
	}
	return out, nil
}

// ActivityHeartbeat decodes core's ActivityHeartbeat and converts it.
func ActivityHeartbeat(b []byte) (*bridgev1.ActivityHeartbeat, error) {
	h := &coresdk.ActivityHeartbeat{}
	if err := decode(b, h, "core_activity_heartbeat"); err != nil {
		return nil, err
	}
	return &bridgev1.ActivityHeartbeat{TaskToken: h.GetTaskToken(), Details: bridgePayloads(h.GetDetails())}, nil
}

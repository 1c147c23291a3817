package client

import (
	"context"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// CompleteActivity finishes an activity the app answered with
// WillCompleteAsync: by task token with RespondActivityTask*, by id with
// the RespondActivityTask*ById variants. The server checks that a task
// token belongs to the sidecar's namespace.
func (s *Service) CompleteActivity(ctx context.Context, req *bridgev1.CompleteActivityRequest) (*bridgev1.CompleteActivityResponse, error) {
	token, id, err := activityRef(req, req.GetActivity())
	if err != nil {
		return nil, err
	}
	res := req.GetResult()
	switch r := res.GetStatus().(type) {
	case *bridgev1.ActivityExecutionResult_Completed:
		var result *commonpb.Payloads
		if p := r.Completed.GetResult(); p != nil {
			result = apiconv.Payloads([]*bridgev1.Payload{p})
		}
		if err := s.checkBlobs(req, blob{"result.completed.result", result}); err != nil {
			return nil, err
		}
		if id != nil {
			_, err = s.svc.RespondActivityTaskCompletedById(ctx, &workflowservice.RespondActivityTaskCompletedByIdRequest{
				Namespace: s.namespace, WorkflowId: id.GetWorkflowId(), RunId: id.GetRunId(), ActivityId: id.GetActivityId(),
				Result: result, Identity: s.identity})
		} else {
			_, err = s.svc.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{
				Namespace: s.namespace, TaskToken: token, Result: result, Identity: s.identity})
		}
	case *bridgev1.ActivityExecutionResult_Failed:
		f := apiconv.Failure(r.Failed.GetFailure())
		if f == nil {
			return nil, required(req, "result.failed.failure")
		}
		details := apiconv.Payloads(r.Failed.GetLastHeartbeatDetails())
		if err := s.checkBlobs(req, blob{"result.failed.failure", f}, blob{"result.failed.last_heartbeat_details", details}); err != nil {
			return nil, err
		}
		if id != nil && details != nil {
			// The server (1.29) drops RespondActivityTaskFailedById's
			// last_heartbeat_details; a heartbeat just before keeps them.
			if _, err := s.svc.RecordActivityTaskHeartbeatById(ctx, &workflowservice.RecordActivityTaskHeartbeatByIdRequest{
				Namespace: s.namespace, WorkflowId: id.GetWorkflowId(), RunId: id.GetRunId(), ActivityId: id.GetActivityId(),
				Details: details, Identity: s.identity}); err != nil {
				return nil, err
			}
		}
		if id != nil {
			_, err = s.svc.RespondActivityTaskFailedById(ctx, &workflowservice.RespondActivityTaskFailedByIdRequest{
				Namespace: s.namespace, WorkflowId: id.GetWorkflowId(), RunId: id.GetRunId(), ActivityId: id.GetActivityId(),
				Failure: f, LastHeartbeatDetails: details, Identity: s.identity})
		} else {
			_, err = s.svc.RespondActivityTaskFailed(ctx, &workflowservice.RespondActivityTaskFailedRequest{
				Namespace: s.namespace, TaskToken: token, Failure: f, LastHeartbeatDetails: details, Identity: s.identity})
		}
	case *bridgev1.ActivityExecutionResult_Cancelled:
		// Temporal records a cancellation's details only, not a failure.
		details := apiconv.Payloads(r.Cancelled.GetFailure().GetCanceledFailureInfo().GetDetails().GetPayloads())
		if err := s.checkBlobs(req, blob{"result.cancelled.failure", details}); err != nil {
			return nil, err
		}
		if id != nil {
			_, err = s.svc.RespondActivityTaskCanceledById(ctx, &workflowservice.RespondActivityTaskCanceledByIdRequest{
				Namespace: s.namespace, WorkflowId: id.GetWorkflowId(), RunId: id.GetRunId(), ActivityId: id.GetActivityId(),
				Details: details, Identity: s.identity})
		} else {
			_, err = s.svc.RespondActivityTaskCanceled(ctx, &workflowservice.RespondActivityTaskCanceledRequest{
				Namespace: s.namespace, TaskToken: token, Details: details, Identity: s.identity})
		}
	case *bridgev1.ActivityExecutionResult_WillCompleteAsync:
		return nil, invalid(req, "result.will_complete_async", "is not a completion: set completed, failed or cancelled")
	default:
		return nil, invalid(req, "result", "is required: set completed, failed or cancelled")
	}
	if err != nil {
		return nil, err
	}
	return &bridgev1.CompleteActivityResponse{}, nil
}

// HeartbeatActivity records progress of an async activity and tells the
// app whether to stop. Unlike heartbeats on the bridge stream it is not
// throttled: the app calls it when it chooses to.
func (s *Service) HeartbeatActivity(ctx context.Context, req *bridgev1.HeartbeatActivityRequest) (*bridgev1.HeartbeatActivityResponse, error) {
	token, id, err := activityRef(req, req.GetActivity())
	if err != nil {
		return nil, err
	}
	details := apiconv.Payloads(req.GetDetails())
	if err := s.checkBlobs(req, blob{"details", details}); err != nil {
		return nil, err
	}
	// The two responses are the same message under two names.
	var resp interface {
		GetCancelRequested() bool
		GetActivityPaused() bool
		GetActivityReset() bool
	}
	if id != nil {
		resp, err = s.svc.RecordActivityTaskHeartbeatById(ctx, &workflowservice.RecordActivityTaskHeartbeatByIdRequest{
			Namespace: s.namespace, WorkflowId: id.GetWorkflowId(), RunId: id.GetRunId(), ActivityId: id.GetActivityId(),
			Details: details, Identity: s.identity})
	} else {
		resp, err = s.svc.RecordActivityTaskHeartbeat(ctx, &workflowservice.RecordActivityTaskHeartbeatRequest{
			Namespace: s.namespace, TaskToken: token, Details: details, Identity: s.identity})
	}
	if err != nil {
		return nil, err
	}
	return &bridgev1.HeartbeatActivityResponse{
		CancelRequested: resp.GetCancelRequested(),
		ActivityPaused:  resp.GetActivityPaused(),
		ActivityReset:   resp.GetActivityReset(),
	}, nil
}

// activityRef checks ref and returns either its task token or its id.
func activityRef(req proto.Message, ref *bridgev1.ActivityRef) ([]byte, *bridgev1.ActivityId, error) {
	switch r := ref.GetRef().(type) {
	case *bridgev1.ActivityRef_TaskToken:
		if len(r.TaskToken) == 0 {
			return nil, nil, required(req, "activity.task_token")
		}
		return r.TaskToken, nil, nil
	case *bridgev1.ActivityRef_Id:
		switch {
		case r.Id.GetWorkflowId() == "":
			return nil, nil, required(req, "activity.id.workflow_id")
		case r.Id.GetActivityId() == "":
			return nil, nil, required(req, "activity.id.activity_id")
		}
		return nil, r.Id, nil
	}
	return nil, nil, invalid(req, "activity", "is required: set task_token or id")
}

package client

import (
	"context"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// GetWorkflowResult waits for the run to close, for as long as the
// caller's deadline allows, and returns how it closed. Unless told not to,
// it follows the runs that continue it, as the SDKs do: continue-as-new, a
// retry of a failed or timed-out run, the next run of a cron schedule.
//
// An error ends the wait: the frontend's, or UNAVAILABLE when the sidecar
// shuts down. The call is safe to repeat; without a run id it resumes from
// the latest run.
func (s *Service) GetWorkflowResult(ctx context.Context, req *bridgev1.GetWorkflowResultRequest) (*bridgev1.GetWorkflowResultResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	ctx, done := s.waiting(ctx)
	defer done()
	resp, err := s.result(ctx, req)
	return resp, stopped(ctx, err)
}

// result is GetWorkflowResult on a checked request.
func (s *Service) result(ctx context.Context, req *bridgev1.GetWorkflowResultRequest) (*bridgev1.GetWorkflowResultResponse, error) {
	exec := execution(req.GetExecution())
	if exec.RunId == "" {
		// The close event does not say which run it closed and the
		// response must, so pin the latest run first.
		d, err := s.svc.DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{Namespace: s.namespace, Execution: exec})
		if err != nil {
			return nil, err
		}
		exec.RunId = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	}
	for {
		ev, err := s.closeEvent(ctx, exec)
		if err != nil {
			return nil, err
		}
		out, next, err := outcome(ev)
		if err != nil {
			return nil, err
		}
		if next == "" || req.GetNoFollowRuns() {
			out.RunId, out.NextRunId = exec.GetRunId(), next
			return out, nil
		}
		exec = &commonpb.WorkflowExecution{WorkflowId: exec.GetWorkflowId(), RunId: next}
	}
}

// closeEvent long-polls the run's history for its close event. The server
// answers each poll when the run closes or after its own timeout, with no
// events and a token to carry on from.
func (s *Service) closeEvent(ctx context.Context, exec *commonpb.WorkflowExecution) (*historypb.HistoryEvent, error) {
	req := &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace:              s.namespace,
		Execution:              exec,
		WaitNewEvent:           true,
		HistoryEventFilterType: enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
		SkipArchival:           true,
	}
	for {
		resp, err := pollOnce(ctx, func(ctx context.Context) (*workflowservice.GetWorkflowExecutionHistoryResponse, error) {
			return s.svc.GetWorkflowExecutionHistory(ctx, req)
		})
		if err != nil {
			return nil, err
		}
		if evs := resp.GetHistory().GetEvents(); len(evs) > 0 {
			return evs[len(evs)-1], nil
		}
		req.NextPageToken = resp.GetNextPageToken()
	}
}

// outcome reads a close event: the response, less the run id, and the run
// that continues this one, if any.
func outcome(ev *historypb.HistoryEvent) (out *bridgev1.GetWorkflowResultResponse, next string, err error) {
	out = &bridgev1.GetWorkflowResultResponse{}
	var f *failurepb.Failure
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		a := ev.GetWorkflowExecutionCompletedEventAttributes()
		out.Status = bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_COMPLETED
		out.Outcome = &bridgev1.GetWorkflowResultResponse_Result{Result: &bridgev1.Payloads{Payloads: apiconv.BridgePayloads(a.GetResult())}}
		next = a.GetNewExecutionRunId() // cron
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		a := ev.GetWorkflowExecutionFailedEventAttributes()
		out.Status = bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_FAILED
		f, next = a.GetFailure(), a.GetNewExecutionRunId() // retry or cron
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
		a := ev.GetWorkflowExecutionTimedOutEventAttributes()
		out.Status = bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_TIMED_OUT
		// As the SDKs report it: the event does not say which timeout fired.
		f = &failurepb.Failure{Message: "workflow timed out", FailureInfo: &failurepb.Failure_TimeoutFailureInfo{
			TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE}}}
		next = a.GetNewExecutionRunId() // retry or cron
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
		a := ev.GetWorkflowExecutionCanceledEventAttributes()
		out.Status = bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_CANCELED
		f = &failurepb.Failure{Message: "workflow canceled", FailureInfo: &failurepb.Failure_CanceledFailureInfo{
			CanceledFailureInfo: &failurepb.CanceledFailureInfo{Details: a.GetDetails()}}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
		a := ev.GetWorkflowExecutionTerminatedEventAttributes()
		out.Status = bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_TERMINATED
		msg := "workflow terminated"
		if a.GetReason() != "" {
			msg += ": " + a.GetReason()
		}
		f = &failurepb.Failure{Message: msg, FailureInfo: &failurepb.Failure_TerminatedFailureInfo{
			TerminatedFailureInfo: &failurepb.TerminatedFailureInfo{Identity: a.GetIdentity()}}}
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		out.Status = bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW
		next = ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
	default:
		return nil, "", status.Error(codes.Internal, fmt.Sprintf("the server answered a request for the close event with a %v event", ev.GetEventType()))
	}
	if f != nil {
		out.Outcome = &bridgev1.GetWorkflowResultResponse_Failure{Failure: apiconv.BridgeFailure(f)}
	}
	return out, next, nil
}

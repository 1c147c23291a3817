package client

import (
	"context"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// CancelWorkflow asks the workflow to cancel; the workflow decides how.
func (s *Service) CancelWorkflow(ctx context.Context, req *bridgev1.CancelWorkflowRequest) (*bridgev1.CancelWorkflowResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	id := req.GetRequestId()
	if id == "" {
		id = uuid.NewString() // as the SDKs do; see newRun
	}
	_, err := s.svc.RequestCancelWorkflowExecution(ctx, &workflowservice.RequestCancelWorkflowExecutionRequest{
		Namespace:         s.namespace,
		WorkflowExecution: execution(req.GetExecution()),
		Identity:          s.identity,
		RequestId:         id,
		Reason:            req.GetReason(),
	})
	if err != nil {
		return nil, err
	}
	return &bridgev1.CancelWorkflowResponse{}, nil
}

// TerminateWorkflow ends the workflow at once, without running its code.
func (s *Service) TerminateWorkflow(ctx context.Context, req *bridgev1.TerminateWorkflowRequest) (*bridgev1.TerminateWorkflowResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	details := apiconv.Payloads(req.GetDetails())
	if err := s.checkBlobs(req, blob{"details", details}); err != nil {
		return nil, err
	}
	_, err := s.svc.TerminateWorkflowExecution(ctx, &workflowservice.TerminateWorkflowExecutionRequest{
		Namespace:         s.namespace,
		WorkflowExecution: execution(req.GetExecution()),
		Reason:            req.GetReason(),
		Details:           details,
		Identity:          s.identity,
	})
	if err != nil {
		return nil, err
	}
	return &bridgev1.TerminateWorkflowResponse{}, nil
}

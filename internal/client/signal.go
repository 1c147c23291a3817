package client

import (
	"context"

	"github.com/google/uuid"
	"go.temporal.io/api/workflowservice/v1"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// SignalWorkflow sends a signal. The server delivers a signal once per
// request id, so a retried call with the same id is not a second signal.
func (s *Service) SignalWorkflow(ctx context.Context, req *bridgev1.SignalWorkflowRequest) (*bridgev1.SignalWorkflowResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	if req.GetSignalName() == "" {
		return nil, required(req, "signal_name")
	}
	input, hdr := apiconv.Payloads(req.GetArgs()), header(req.GetHeaders())
	if err := s.checkBlobs(req, blob{"args", input}, blob{"headers", hdr}); err != nil {
		return nil, err
	}
	id := req.GetRequestId()
	if id == "" {
		id = uuid.NewString() // as the SDKs do; see newRun
	}
	_, err := s.svc.SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace:         s.namespace,
		WorkflowExecution: execution(req.GetExecution()),
		SignalName:        req.GetSignalName(),
		Input:             input,
		Identity:          s.identity,
		RequestId:         id,
		Header:            hdr,
	})
	if err != nil {
		return nil, err
	}
	return &bridgev1.SignalWorkflowResponse{}, nil
}

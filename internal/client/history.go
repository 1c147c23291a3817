package client

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// FetchWorkflowHistory returns one page of a run's history, every event
// kind, in the encoding the app asked for. The app follows the page token,
// as the SDKs' fetch_history does, so no message grows with the history.
func (s *Service) FetchWorkflowHistory(ctx context.Context, req *bridgev1.FetchWorkflowHistoryRequest) (*bridgev1.FetchWorkflowHistoryResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	resp, err := s.svc.GetWorkflowExecutionHistory(ctx, &workflowservice.GetWorkflowExecutionHistoryRequest{
		Namespace:              s.namespace,
		Execution:              execution(req.GetExecution()),
		NextPageToken:          req.GetNextPageToken(),
		HistoryEventFilterType: enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT,
	})
	if err != nil {
		return nil, err
	}
	h, err := apiconv.BridgeHistory(resp.GetHistory(), req.GetEncoding())
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encoding the history of workflow %s: %v", req.GetExecution().GetWorkflowId(), err)
	}
	return &bridgev1.FetchWorkflowHistoryResponse{History: h, NextPageToken: resp.GetNextPageToken()}, nil
}

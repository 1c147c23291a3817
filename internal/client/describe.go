package client

import (
	"context"

	"go.temporal.io/api/workflowservice/v1"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// DescribeWorkflow returns a run's status and metadata.
func (s *Service) DescribeWorkflow(ctx context.Context, req *bridgev1.DescribeWorkflowRequest) (*bridgev1.DescribeWorkflowResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	resp, err := s.svc.DescribeWorkflowExecution(ctx, &workflowservice.DescribeWorkflowExecutionRequest{
		Namespace: s.namespace,
		Execution: execution(req.GetExecution()),
	})
	if err != nil {
		return nil, err
	}
	info := resp.GetWorkflowExecutionInfo()
	out := &bridgev1.DescribeWorkflowResponse{
		Execution: &bridgev1.WorkflowExecution{
			WorkflowId: info.GetExecution().GetWorkflowId(),
			RunId:      info.GetExecution().GetRunId(),
		},
		WorkflowType:      info.GetType().GetName(),
		TaskQueue:         info.GetTaskQueue(),
		Status:            bridgev1.WorkflowExecutionStatus(info.GetStatus()),
		StartTime:         info.GetStartTime(),
		CloseTime:         info.GetCloseTime(),
		HistoryLength:     info.GetHistoryLength(),
		Memo:              apiconv.BridgePayloadMap(info.GetMemo().GetFields()),
		SearchAttributes:  apiconv.BridgePayloadMap(info.GetSearchAttributes().GetIndexedFields()),
		PendingActivities: int32(len(resp.GetPendingActivities())),
		PendingChildren:   int32(len(resp.GetPendingChildren())),
		FirstRunId:        info.GetFirstRunId(),
	}
	if p := info.GetParentExecution(); p != nil {
		out.ParentExecution = &bridgev1.WorkflowExecution{WorkflowId: p.GetWorkflowId(), RunId: p.GetRunId()}
	}
	return out, nil
}

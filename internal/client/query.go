package client

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/errordetails/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// QueryWorkflow runs a query on a worker serving the workflow.
//
// A query refused by its reject condition is an answer, not an error: the
// response carries the workflow's status in rejected_status, as the server
// sends it. A query the workflow failed to answer (its handler raised, or
// it has no handler of that name) is FAILED_PRECONDITION, not the server's
// INVALID_ARGUMENT: the request was well formed, the workflow could not
// answer it in its current state, and INVALID_ARGUMENT on the bridge means
// a malformed request. The server's details, with the workflow's failure
// (temporal.api.errordetails.v1.QueryFailedFailure), are kept.
func (s *Service) QueryWorkflow(ctx context.Context, req *bridgev1.QueryWorkflowRequest) (*bridgev1.QueryWorkflowResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	if req.GetQueryType() == "" {
		return nil, required(req, "query_type")
	}
	q := &querypb.WorkflowQuery{
		QueryType: req.GetQueryType(),
		QueryArgs: apiconv.Payloads(req.GetArgs()),
		Header:    header(req.GetHeaders()),
	}
	if err := s.checkBlobs(req, blob{"args", q.QueryArgs}, blob{"headers", q.Header}); err != nil {
		return nil, err
	}
	resp, err := s.svc.QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{
		Namespace:            s.namespace,
		Execution:            execution(req.GetExecution()),
		Query:                q,
		QueryRejectCondition: enumspb.QueryRejectCondition(req.GetRejectCondition()),
	})
	if err != nil {
		return nil, queryError(err)
	}
	if r := resp.GetQueryRejected(); r != nil {
		return &bridgev1.QueryWorkflowResponse{RejectedStatus: bridgev1.WorkflowExecutionStatus(r.GetStatus())}, nil
	}
	return &bridgev1.QueryWorkflowResponse{Result: &bridgev1.Payloads{Payloads: apiconv.BridgePayloads(resp.GetQueryResult())}}, nil
}

// queryError turns the server's QueryFailed into FAILED_PRECONDITION with
// the same message and details; other errors pass unchanged.
func queryError(err error) error {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.InvalidArgument {
		return err
	}
	for _, d := range st.Details() {
		if _, failed := d.(*errordetails.QueryFailedFailure); failed {
			p := st.Proto()
			p.Code = int32(codes.FailedPrecondition)
			return status.ErrorProto(p)
		}
	}
	return err
}

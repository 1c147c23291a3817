package client

import (
	"context"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/errordetails/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/workflowservice/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

// UpdateWithStartWorkflow starts a run, or takes the open one as the
// conflict policy says, and sends it an update: one ExecuteMultiOperation,
// atomic on the server. It then waits for the update's stage as
// UpdateWorkflow does, sending the whole operation again until the update
// is durable, as Temporal's SDKs do; the request id and update id make that
// safe.
func (s *Service) UpdateWithStartWorkflow(ctx context.Context, req *bridgev1.UpdateWithStartWorkflowRequest) (*bridgev1.UpdateWithStartWorkflowResponse, error) {
	o := req.GetOptions()
	if err := s.checkWorkflowOptions(req, o); err != nil {
		return nil, err
	}
	// The SDKs require a conflict policy here: the server's default (FAIL)
	// would make update-with-start fail on every open run, which is rarely
	// what the caller means.
	if o.GetIdConflictPolicy() == bridgev1.WorkflowIdConflictPolicy_WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED {
		return nil, invalid(req, "options.id_conflict_policy", "is required for update-with-start (USE_EXISTING or FAIL, typically)")
	}
	if o.GetCronSchedule() != "" {
		return nil, invalid(req, "options.cron_schedule", "is not allowed with update-with-start")
	}
	if o.GetStartDelay() != nil {
		return nil, invalid(req, "options.start_delay", "is not allowed with update-with-start")
	}
	w := s.newRun(o)
	if err := s.checkBlobs(req, w.blobs()...); err != nil {
		return nil, err
	}
	update, err := s.updateRequest(req, &commonpb.WorkflowExecution{WorkflowId: o.GetWorkflowId()})
	if err != nil {
		return nil, err
	}
	multi := &workflowservice.ExecuteMultiOperationRequest{
		Namespace: s.namespace,
		Operations: []*workflowservice.ExecuteMultiOperationRequest_Operation{
			{Operation: &workflowservice.ExecuteMultiOperationRequest_Operation_StartWorkflow{StartWorkflow: s.startRequest(o, w)}},
			{Operation: &workflowservice.ExecuteMultiOperationRequest_Operation_UpdateWorkflow{UpdateWorkflow: update}},
		},
	}

	ctx, done := s.waiting(ctx)
	defer done()
	var started *workflowservice.StartWorkflowExecutionResponse
	resp, err := s.update(ctx, update, func(ctx context.Context) (*workflowservice.UpdateWorkflowExecutionResponse, error) {
		r, err := s.svc.ExecuteMultiOperation(ctx, multi)
		if err != nil {
			return nil, operationError(err)
		}
		rs := r.GetResponses()
		if len(rs) != 2 {
			return nil, status.Errorf(codes.Internal, "ExecuteMultiOperation answered %d responses to 2 operations", len(rs))
		}
		if started == nil { // the first answer says whether this call started the run
			started = rs[0].GetStartWorkflow()
		}
		return rs[1].GetUpdateWorkflow(), nil
	})
	if err = stopped(ctx, err); err != nil {
		return nil, err
	}
	runID := started.GetRunId()
	if runID == "" {
		runID = resp.GetRunId()
	}
	return &bridgev1.UpdateWithStartWorkflowResponse{RunId: runID, Started: started.GetStarted(), Update: resp}, nil
}

// operationError is the error of the operation that failed an
// ExecuteMultiOperation call, with its code, message and details as the
// server gave them; the other operation was only aborted because of it.
// Any other error is returned unchanged.
func operationError(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, d := range st.Details() {
		failure, ok := d.(*errordetails.MultiOperationExecutionFailure)
		if !ok {
			continue
		}
		for _, op := range failure.GetStatuses() {
			if codes.Code(op.GetCode()) == codes.OK || aborted(op) {
				continue
			}
			return status.FromProto(&spb.Status{Code: op.GetCode(), Message: op.GetMessage(), Details: op.GetDetails()}).Err()
		}
	}
	return err
}

// aborted reports whether op did not fail itself but was aborted because
// another operation failed.
func aborted(op *errordetails.MultiOperationExecutionFailure_OperationStatus) bool {
	for _, d := range op.GetDetails() {
		if d.MessageIs(&failurepb.MultiOperationExecutionAborted{}) {
			return true
		}
	}
	return false
}

package client

import (
	"context"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
)

// UpdateWorkflow sends an update and waits until it reaches the requested
// stage, for as long as the caller's deadline allows. The server runs an
// update once per update id, so a retried call with the same id waits for
// the same update instead of sending another.
func (s *Service) UpdateWorkflow(ctx context.Context, req *bridgev1.UpdateWorkflowRequest) (*bridgev1.UpdateWorkflowResponse, error) {
	if err := checkExecution(req, req.GetExecution()); err != nil {
		return nil, err
	}
	call, err := s.updateRequest(req, execution(req.GetExecution()))
	if err != nil {
		return nil, err
	}
	ctx, done := s.waiting(ctx)
	defer done()
	resp, err := s.update(ctx, call, func(ctx context.Context) (*workflowservice.UpdateWorkflowExecutionResponse, error) {
		return s.svc.UpdateWorkflowExecution(ctx, call)
	})
	return resp, stopped(ctx, err)
}

// updateFields are the fields UpdateWorkflowRequest and
// UpdateWithStartWorkflowRequest share.
type updateFields interface {
	proto.Message
	GetUpdateName() string
	GetArgs() []*bridgev1.Payload
	GetHeaders() map[string]*bridgev1.Payload
	GetUpdateId() string
	GetWaitForStage() bridgev1.UpdateWaitStage
}

// updateRequest checks req's update and converts it into a request to
// update exec.
func (s *Service) updateRequest(req updateFields, exec *commonpb.WorkflowExecution) (*workflowservice.UpdateWorkflowExecutionRequest, error) {
	if req.GetUpdateName() == "" {
		return nil, required(req, "update_name")
	}
	var stage enumspb.UpdateWorkflowExecutionLifecycleStage
	switch req.GetWaitForStage() {
	case bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_ACCEPTED:
		stage = enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED
	case bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_COMPLETED, bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_UNSPECIFIED:
		stage = enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
	default:
		return nil, invalid(req, "wait_for_stage", "must be UPDATE_WAIT_STAGE_ACCEPTED or UPDATE_WAIT_STAGE_COMPLETED")
	}
	id := req.GetUpdateId()
	if id == "" {
		id = uuid.NewString()
	}
	input := &updatepb.Input{Header: header(req.GetHeaders()), Name: req.GetUpdateName(), Args: apiconv.Payloads(req.GetArgs())}
	if err := s.checkBlobs(req, blob{"args", input.Args}, blob{"headers", input.Header}); err != nil {
		return nil, err
	}
	return &workflowservice.UpdateWorkflowExecutionRequest{
		Namespace:         s.namespace,
		WorkflowExecution: exec,
		WaitPolicy:        &updatepb.WaitPolicy{LifecycleStage: stage},
		Request: &updatepb.Request{
			Meta:  &updatepb.Meta{UpdateId: id, Identity: s.identity},
			Input: input,
		},
	}, nil
}

// update sends call, by send, until the server has recorded it, then polls
// until it reaches the stage call waits for.
func (s *Service) update(ctx context.Context, call *workflowservice.UpdateWorkflowExecutionRequest, send func(context.Context) (*workflowservice.UpdateWorkflowExecutionResponse, error)) (*bridgev1.UpdateWorkflowResponse, error) {
	stage := call.GetWaitPolicy().GetLifecycleStage()
	// Until the update is durable (past ADMITTED) the server may lose it,
	// so it is sent again rather than polled: the same id makes that safe.
	var resp *workflowservice.UpdateWorkflowExecutionResponse
	for resp == nil || !durable(resp.GetStage()) {
		var err error
		if resp, err = pollOnce(ctx, send); err != nil {
			return nil, err
		}
	}
	ref, outcome := resp.GetUpdateRef(), resp.GetOutcome()
	if ref == nil {
		// The request names the update as well, less the run that took it.
		ref = &updatepb.UpdateRef{WorkflowExecution: call.WorkflowExecution, UpdateId: call.GetRequest().GetMeta().GetUpdateId()}
	}
	for outcome == nil && stage == enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED {
		p, err := pollOnce(ctx, func(ctx context.Context) (*workflowservice.PollWorkflowExecutionUpdateResponse, error) {
			return s.svc.PollWorkflowExecutionUpdate(ctx, &workflowservice.PollWorkflowExecutionUpdateRequest{
				Namespace:  s.namespace,
				UpdateRef:  ref,
				Identity:   s.identity,
				WaitPolicy: &updatepb.WaitPolicy{LifecycleStage: stage},
			})
		})
		if err != nil {
			return nil, err
		}
		outcome = p.GetOutcome()
	}

	out := &bridgev1.UpdateWorkflowResponse{UpdateId: call.GetRequest().GetMeta().GetUpdateId(), RunId: ref.GetWorkflowExecution().GetRunId()}
	switch o := outcome.GetValue().(type) {
	case *updatepb.Outcome_Success:
		out.Outcome = &bridgev1.UpdateWorkflowResponse_Success{Success: &bridgev1.Payloads{Payloads: apiconv.BridgePayloads(o.Success)}}
	case *updatepb.Outcome_Failure:
		out.Outcome = &bridgev1.UpdateWorkflowResponse_Failure{Failure: apiconv.BridgeFailure(o.Failure)}
	}
	return out, nil
}

// durable reports whether the server has recorded the update: accepted or
// completed (a rejection completes it). Older servers answer UNSPECIFIED
// rather than ADMITTED when the wait ran out.
func durable(s enumspb.UpdateWorkflowExecutionLifecycleStage) bool {
	return s == enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED ||
		s == enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED
}

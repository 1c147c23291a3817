package client

import (
	"context"
	"encoding/json"
	"maps"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	nexuspb "go.temporal.io/api/nexus/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/nexus"
)

// StartWorkflow starts a run. The server decides what an id already in use
// means (id reuse and conflict policies); a retried request with the same
// request id starts one run.
func (s *Service) StartWorkflow(ctx context.Context, req *bridgev1.StartWorkflowRequest) (*bridgev1.StartWorkflowResponse, error) {
	o := req.GetOptions()
	if err := s.checkWorkflowOptions(req, o); err != nil {
		return nil, err
	}
	w := s.newRun(o)
	if err := s.checkBlobs(req, w.blobs()...); err != nil {
		return nil, err
	}
	op, err := s.operation(req)
	if err != nil {
		return nil, err
	}
	if op != nil {
		// The caller retries a start request with the same request id; the
		// run it started must be found again, not started twice.
		w.requestID = op.GetRequestId()
	}
	start := s.startRequest(o, w)
	attachOperation(start, op, nexus.WorkflowRunToken(s.namespace, o.GetWorkflowId()))
	resp, err := s.svc.StartWorkflowExecution(ctx, start)
	if err != nil {
		return nil, err
	}
	out := &bridgev1.StartWorkflowResponse{RunId: resp.GetRunId(), Started: resp.GetStarted()}
	if op != nil {
		out.NexusOperationToken = nexus.WorkflowRunToken(s.namespace, o.GetWorkflowId())
		ev := resp.GetLink().GetWorkflowEvent()
		if ev == nil { // servers before 1.27 return no link
			ev = nexus.StartedEvent(s.namespace, o.GetWorkflowId(), resp.GetRunId(), w.requestID)
		}
		out.NexusLinks = []*bridgev1.NexusLink{nexus.Link(ev)}
	}
	return out, nil
}

// startRequest is the StartWorkflowExecutionRequest for a new run.
func (s *Service) startRequest(o *bridgev1.WorkflowOptions, w newRun) *workflowservice.StartWorkflowExecutionRequest {
	return &workflowservice.StartWorkflowExecutionRequest{
		Namespace:                s.namespace,
		WorkflowId:               o.GetWorkflowId(),
		WorkflowType:             w.workflowType,
		TaskQueue:                w.taskQueue,
		Input:                    w.input,
		WorkflowExecutionTimeout: o.GetExecutionTimeout(),
		WorkflowRunTimeout:       o.GetRunTimeout(),
		WorkflowTaskTimeout:      o.GetTaskTimeout(),
		Identity:                 s.identity,
		RequestId:                w.requestID,
		WorkflowIdReusePolicy:    enumspb.WorkflowIdReusePolicy(o.GetIdReusePolicy()),
		WorkflowIdConflictPolicy: enumspb.WorkflowIdConflictPolicy(o.GetIdConflictPolicy()),
		RetryPolicy:              w.retryPolicy,
		CronSchedule:             o.GetCronSchedule(),
		Memo:                     w.memo,
		SearchAttributes:         w.searchAttributes,
		Header:                   w.header,
		WorkflowStartDelay:       o.GetStartDelay(),
		UserMetadata:             w.userMetadata,
		Priority:                 w.priority,
	}
}

// operation is the Nexus start request the run backs, or nil.
func (s *Service) operation(req *bridgev1.StartWorkflowRequest) (*nexuspb.StartOperationRequest, error) {
	token := req.GetNexusTaskToken()
	if len(token) == 0 {
		return nil, nil
	}
	if s.nexus == nil {
		return nil, invalid(req, "nexus_task_token", "is set, but this sidecar handles no Nexus tasks")
	}
	op, err := s.nexus.StartRequest(token)
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	return op, nil
}

// attachOperation makes the run complete the caller's Nexus operation, as
// Temporal's SDKs do for a workflow-run operation: the server calls the
// caller back when the run closes, and the two histories link to each other.
func attachOperation(start *workflowservice.StartWorkflowExecutionRequest, op *nexuspb.StartOperationRequest, token string) {
	if op == nil {
		return
	}
	start.Links = nexus.TemporalLinks(op.GetLinks())
	if op.GetCallback() != "" {
		header := maps.Clone(op.GetCallbackHeader())
		if header == nil {
			header = map[string]string{}
		}
		// The server matches a completion that overtakes the start response
		// to its operation by this header.
		header["nexus-operation-token"] = token
		start.CompletionCallbacks = []*commonpb.Callback{{Links: start.Links,
			Variant: &commonpb.Callback_Nexus_{Nexus: &commonpb.Callback_Nexus{Url: op.GetCallback(), Header: header}}}}
	}
	if len(start.Links) > 0 || len(start.CompletionCallbacks) > 0 {
		// With USE_EXISTING, an open run takes on this caller too.
		start.OnConflictOptions = &workflowpb.OnConflictOptions{AttachRequestId: true, AttachCompletionCallbacks: true, AttachLinks: true}
	}
}

// SignalWithStartWorkflow signals the open run with the id, or starts one
// and signals it, atomically on the server.
func (s *Service) SignalWithStartWorkflow(ctx context.Context, req *bridgev1.SignalWithStartWorkflowRequest) (*bridgev1.SignalWithStartWorkflowResponse, error) {
	o := req.GetOptions()
	if err := s.checkWorkflowOptions(req, o); err != nil {
		return nil, err
	}
	if req.GetSignalName() == "" {
		return nil, required(req, "signal_name")
	}
	w := s.newRun(o)
	signalInput := apiconv.Payloads(req.GetSignalArgs())
	if err := s.checkBlobs(req, append(w.blobs(), blob{"signal_args", signalInput})...); err != nil {
		return nil, err
	}
	resp, err := s.svc.SignalWithStartWorkflowExecution(ctx, &workflowservice.SignalWithStartWorkflowExecutionRequest{
		Namespace:                s.namespace,
		WorkflowId:               o.GetWorkflowId(),
		WorkflowType:             w.workflowType,
		TaskQueue:                w.taskQueue,
		Input:                    w.input,
		WorkflowExecutionTimeout: o.GetExecutionTimeout(),
		WorkflowRunTimeout:       o.GetRunTimeout(),
		WorkflowTaskTimeout:      o.GetTaskTimeout(),
		Identity:                 s.identity,
		RequestId:                w.requestID,
		WorkflowIdReusePolicy:    enumspb.WorkflowIdReusePolicy(o.GetIdReusePolicy()),
		WorkflowIdConflictPolicy: enumspb.WorkflowIdConflictPolicy(o.GetIdConflictPolicy()),
		SignalName:               req.GetSignalName(),
		SignalInput:              signalInput,
		RetryPolicy:              w.retryPolicy,
		CronSchedule:             o.GetCronSchedule(),
		Memo:                     w.memo,
		SearchAttributes:         w.searchAttributes,
		Header:                   w.header,
		WorkflowStartDelay:       o.GetStartDelay(),
		UserMetadata:             w.userMetadata,
		Priority:                 w.priority,
	})
	if err != nil {
		return nil, err
	}
	return &bridgev1.SignalWithStartWorkflowResponse{RunId: resp.GetRunId(), Started: resp.GetStarted()}, nil
}

// newRun is WorkflowOptions converted to the Temporal messages that both
// start requests share.
type newRun struct {
	workflowType     *commonpb.WorkflowType
	taskQueue        *taskqueuepb.TaskQueue
	input            *commonpb.Payloads
	requestID        string
	retryPolicy      *commonpb.RetryPolicy
	memo             *commonpb.Memo
	searchAttributes *commonpb.SearchAttributes
	header           *commonpb.Header
	userMetadata     *sdkpb.UserMetadata
	priority         *commonpb.Priority
}

func (s *Service) newRun(o *bridgev1.WorkflowOptions) newRun {
	w := newRun{
		workflowType: &commonpb.WorkflowType{Name: o.GetWorkflowType()},
		taskQueue:    &taskqueuepb.TaskQueue{Name: o.GetTaskQueue(), Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		input:        apiconv.Payloads(o.GetArgs()),
		requestID:    o.GetRequestId(),
	}
	if w.taskQueue.Name == "" {
		w.taskQueue.Name = s.taskQueue
	}
	if w.requestID == "" {
		// As the SDKs do: the server deduplicates on it, so a call the app
		// does not retry itself still starts one run if gRPC retries it.
		w.requestID = uuid.NewString()
	}
	w.retryPolicy = apiconv.RetryPolicy(o.GetRetryPolicy())
	w.memo = apiconv.Memo(o.GetMemo())
	w.searchAttributes = apiconv.SearchAttributes(o.GetSearchAttributes())
	w.header = header(o.GetHeaders())
	if o.GetStaticSummary() != "" {
		w.userMetadata = &sdkpb.UserMetadata{Summary: jsonString(o.GetStaticSummary())}
	}
	w.priority = apiconv.Priority(o.GetPriority())
	return w
}

// blobs are the parts of a new run the server measures.
func (w newRun) blobs() []blob {
	return []blob{{"options.args", w.input}, {"options.memo", w.memo}, {"options.headers", w.header}}
}

// header converts bridge headers; none is nil, as the SDKs send it.
func header(h map[string]*bridgev1.Payload) *commonpb.Header {
	m := apiconv.PayloadMap(h)
	if m == nil {
		return nil
	}
	return &commonpb.Header{Fields: m}
}

// jsonString encodes s as Temporal's default data converter does, which is
// how the UI expects a summary.
func jsonString(s string) *commonpb.Payload {
	data, _ := json.Marshal(s) // a string always encodes
	return &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: data}
}

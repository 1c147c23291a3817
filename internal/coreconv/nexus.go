package coreconv

import (
	"fmt"
	"strings"

	corenexus "github.com/temporal-sidecar/sidecar/gen/go/coresdk/nexus"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	failurepb "go.temporal.io/api/failure/v1"
	nexuspb "go.temporal.io/api/nexus/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// NexusTask converts a Nexus task to core's, which carries the server's
// poll response whole. The request carries no capabilities, so the SDK
// answers failures in the Nexus forms the dispatcher sends on.
func NexusTask(t *bridgev1.NexusTask) (*corenexus.NexusTask, error) {
	if c, ok := t.GetVariant().(*bridgev1.NexusTask_CancelTask); ok {
		return &corenexus.NexusTask{Variant: &corenexus.NexusTask_CancelTask{CancelTask: &corenexus.CancelNexusTask{
			TaskToken: t.GetTaskToken(), Reason: nexusCancelReason(c.CancelTask.GetReason())}}}, nil
	}
	req := &nexuspb.Request{Header: t.GetHeaders(), ScheduledTime: t.GetScheduledTime(), Endpoint: t.GetEndpoint()}
	switch v := t.GetVariant().(type) {
	case *bridgev1.NexusTask_StartOperation:
		s := v.StartOperation
		start := &nexuspb.StartOperationRequest{Service: s.GetService(), Operation: s.GetOperation(), RequestId: s.GetRequestId(),
			Callback: s.GetCallback(), CallbackHeader: s.GetCallbackHeader(), Payload: apiconv.Payload(s.GetPayload())}
		for _, l := range s.GetLinks() {
			start.Links = append(start.Links, &nexuspb.Link{Url: l.GetUrl(), Type: l.GetType()})
		}
		req.Variant = &nexuspb.Request_StartOperation{StartOperation: start}
	case *bridgev1.NexusTask_CancelOperation:
		c := v.CancelOperation
		req.Variant = &nexuspb.Request_CancelOperation{CancelOperation: &nexuspb.CancelOperationRequest{
			Service: c.GetService(), Operation: c.GetOperation(), OperationToken: c.GetOperationToken()}}
	default:
		return nil, fmt.Errorf("coreconv: nexus_task %T has no core form in core protocol %d", v, Version)
	}
	return &corenexus.NexusTask{
		Variant:         &corenexus.NexusTask_Task{Task: &workflowservice.PollNexusTaskQueueResponse{TaskToken: t.GetTaskToken(), Request: req}},
		RequestDeadline: t.GetDeadline(),
		Endpoint:        t.GetEndpoint(),
	}, nil
}

// nexusCancelReason reads the dispatcher's free-text reason: it abandons a
// task when the request's deadline passes; a reason naming a shutdown is
// core's WORKER_SHUTDOWN.
func nexusCancelReason(reason string) corenexus.NexusTaskCancelReason {
	if strings.Contains(reason, "shutting down") {
		return corenexus.NexusTaskCancelReason_WORKER_SHUTDOWN
	}
	return corenexus.NexusTaskCancelReason_TIMED_OUT
}

// NexusCompletion decodes core's NexusTaskCompletion and converts it. An
// ack_cancel (the app stopped a task the sidecar abandoned) needs no answer:
// it gives neither a completion nor an error.
func NexusCompletion(b []byte) (*bridgev1.NexusTaskCompletion, error) {
	c := &corenexus.NexusTaskCompletion{}
	if err := decode(b, c, "core_nexus_completion"); err != nil {
		return nil, err
	}
	out := &bridgev1.NexusTaskCompletion{TaskToken: c.GetTaskToken()}
	switch s := c.GetStatus().(type) {
	case *corenexus.NexusTaskCompletion_AckCancel:
		return nil, nil
	case *corenexus.NexusTaskCompletion_Completed:
		if err := nexusResponse(s.Completed, out); err != nil {
			out.Status = internalError(err)
			return out, err
		}
	case *corenexus.NexusTaskCompletion_Error:
		h := s.Error
		out.Status = &bridgev1.NexusTaskCompletion_HandlerError{HandlerError: &bridgev1.NexusHandlerError{
			ErrorType: h.GetErrorType(), Failure: temporalFailure(h.GetFailure()),
			RetryBehavior: bridgev1.NexusHandlerErrorRetryBehavior(h.GetRetryBehavior())}}
	case *corenexus.NexusTaskCompletion_Failure:
		out.Status = handlerFailure(s.Failure)
	case nil:
		// No status: the dispatcher answers that with its own error.
	default:
		err := refused(fmt.Sprintf("core_nexus_completion.status %T", s), "this sidecar does not know the outcome")
		out.Status = internalError(err)
		return out, err
	}
	return out, nil
}

// nexusResponse converts a handler's response to a start or cancel request.
func nexusResponse(r *nexuspb.Response, out *bridgev1.NexusTaskCompletion) error {
	if r.GetCancelOperation() != nil {
		out.Status = &bridgev1.NexusTaskCompletion_CancelAccepted{CancelAccepted: &bridgev1.NexusCancelAccepted{}}
		return nil
	}
	s := r.GetStartOperation()
	switch v := s.GetVariant().(type) {
	case *nexuspb.StartOperationResponse_SyncSuccess:
		out.Status = &bridgev1.NexusTaskCompletion_SyncResult{SyncResult: apiconv.BridgePayload(v.SyncSuccess.GetPayload())}
		out.Links = links(v.SyncSuccess.GetLinks())
	case *nexuspb.StartOperationResponse_AsyncSuccess:
		token := v.AsyncSuccess.GetOperationToken()
		if token == "" {
			token = v.AsyncSuccess.GetOperationId() //nolint:staticcheck // older SDKs set only the id
		}
		out.Status = &bridgev1.NexusTaskCompletion_AsyncStarted{AsyncStarted: &bridgev1.AsyncNexusOperationStarted{OperationToken: token}}
		out.Links = links(v.AsyncSuccess.GetLinks())
	case *nexuspb.StartOperationResponse_OperationError: //nolint:staticcheck // what SDKs send without temporal failure capability
		e := v.OperationError
		out.Status = &bridgev1.NexusTaskCompletion_OperationError{OperationError: &bridgev1.NexusOperationError{
			Cancelled: e.GetOperationState() == "canceled", Failure: temporalFailure(e.GetFailure())}}
	case *nexuspb.StartOperationResponse_Failure:
		out.Status = &bridgev1.NexusTaskCompletion_OperationError{OperationError: &bridgev1.NexusOperationError{
			Cancelled: v.Failure.GetCanceledFailureInfo() != nil, Failure: apiconv.BridgeFailure(v.Failure)}}
	default:
		return refused(fmt.Sprintf("core_nexus_completion.completed %T", v), "answer a start request with sync_success, async_success, operation_error or failure, a cancel request with cancel_operation")
	}
	return nil
}

// handlerFailure converts a handler error sent as a Temporal failure.
func handlerFailure(f *failurepb.Failure) *bridgev1.NexusTaskCompletion_HandlerError {
	info := f.GetNexusHandlerFailureInfo()
	errType := info.GetType()
	if errType == "" {
		errType = "INTERNAL"
	}
	return &bridgev1.NexusTaskCompletion_HandlerError{HandlerError: &bridgev1.NexusHandlerError{
		ErrorType: errType, Failure: apiconv.BridgeFailure(f),
		RetryBehavior: bridgev1.NexusHandlerErrorRetryBehavior(info.GetRetryBehavior())}}
}

func internalError(err error) *bridgev1.NexusTaskCompletion_HandlerError {
	return &bridgev1.NexusTaskCompletion_HandlerError{HandlerError: &bridgev1.NexusHandlerError{
		ErrorType: "INTERNAL", Failure: &bridgev1.Failure{Message: err.Error(), Source: "TemporalSidecar"}}}
}

// temporalFailure reads a Nexus failure: Temporal's SDKs carry a whole
// Temporal failure in it (metadata type temporal.api.failure.v1.Failure,
// JSON details), which the dispatcher sends on the same way; anything
// else keeps its message.
func temporalFailure(f *nexuspb.Failure) *bridgev1.Failure {
	if f == nil {
		return nil
	}
	out := &failurepb.Failure{}
	if f.GetMetadata()["type"] != "temporal.api.failure.v1.Failure" || protojson.Unmarshal(f.GetDetails(), out) != nil {
		out = &failurepb.Failure{}
	}
	out.Message = f.GetMessage()
	if out.StackTrace == "" {
		out.StackTrace = f.GetStackTrace()
	}
	return apiconv.BridgeFailure(out)
}

func links(ls []*nexuspb.Link) []*bridgev1.NexusLink {
	var out []*bridgev1.NexusLink
	for _, l := range ls {
		out = append(out, &bridgev1.NexusLink{Url: l.GetUrl(), Type: l.GetType()})
	}
	return out
}

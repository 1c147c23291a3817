// Package nexus runs Nexus tasks through the bridge: it routes each start or
// cancel request to an app that registered the service, bounds it by the
// request's deadline, and answers the server with the app's response.
package nexus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	enumspb "go.temporal.io/api/enums/v1"
	nexuspb "go.temporal.io/api/nexus/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Options configure a Dispatcher.
type Options struct {
	Namespace string
	Identity  string
	Service   workflowservice.WorkflowServiceClient
	Bridge    *bridge.Server
	Slots     slots.Supplier
	Logger    *slog.Logger
	// Metrics, if set, receives sdk-core's Nexus task metrics.
	Metrics *telemetry.WorkerMetrics
}

// Dispatcher tracks Nexus tasks between their poll and the server's answer.
type Dispatcher struct {
	opts    Options
	mu      sync.Mutex
	running map[string]*running
}

type running struct {
	session *bridge.Session
	ch      chan *bridgev1.NexusTaskCompletion
	start   *nexuspb.StartOperationRequest // nil for a cancel request
}

// New returns a Dispatcher.
func New(opts Options) *Dispatcher {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{opts: opts, running: map[string]*running{}}
}

// defaultDeadline bounds a request that carries no Request-Timeout header.
const defaultDeadline = time.Minute

// Deliver hands a polled Nexus task to an app and answers the server. It
// runs until the task is answered; the permit is released then.
func (d *Dispatcher) Deliver(ctx context.Context, t *workflowservice.PollNexusTaskQueueResponse, permit *slots.Permit) {
	defer d.opts.Slots.Release(permit)
	req := t.GetRequest()
	if st := req.GetScheduledTime(); st != nil {
		d.opts.Metrics.ScheduleToStart(telemetry.Nexus, time.Since(st.AsTime()))
	}
	deadline := time.Now().Add(requestTimeout(req.GetHeader()))
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	nt := &bridgev1.NexusTask{TaskToken: t.GetTaskToken(), Headers: req.GetHeader(), ScheduledTime: req.GetScheduledTime(),
		Deadline: timestamppb.New(deadline), Endpoint: req.GetEndpoint()}
	service := ""
	switch v := req.GetVariant().(type) {
	case *nexuspb.Request_StartOperation:
		s := v.StartOperation
		service = s.GetService()
		start := &bridgev1.StartNexusOperation{Service: s.GetService(), Operation: s.GetOperation(), RequestId: s.GetRequestId(),
			Callback: s.GetCallback(), CallbackHeader: s.GetCallbackHeader(), Payload: apiconv.BridgePayload(s.GetPayload())}
		for _, l := range s.GetLinks() {
			start.Links = append(start.Links, &bridgev1.NexusLink{Url: l.GetUrl(), Type: l.GetType()})
		}
		nt.Variant = &bridgev1.NexusTask_StartOperation{StartOperation: start}
	case *nexuspb.Request_CancelOperation:
		c := v.CancelOperation
		service = c.GetService()
		token := c.GetOperationToken()
		if token == "" {
			token = c.GetOperationId()
		}
		nt.Variant = &bridgev1.NexusTask_CancelOperation{CancelOperation: &bridgev1.CancelNexusOperation{
			Service: c.GetService(), Operation: c.GetOperation(), OperationToken: token, WorkflowId: tokenWorkflow(token)}}
	default:
		d.fail(t.GetTaskToken(), "BAD_REQUEST", "the sidecar does not know this kind of Nexus request")
		d.opts.Bridge.Return(task.Nexus)
		return
	}

	ss, err := d.opts.Bridge.Assign(ctx, task.Nexus, service)
	switch {
	case errors.Is(err, bridge.ErrNotServed):
		d.fail(t.GetTaskToken(), "NOT_FOUND", fmt.Sprintf("Nexus service %q is not registered by any app connected to this sidecar", service))
		return
	case errors.Is(err, bridge.ErrShuttingDown):
		d.fail(t.GetTaskToken(), "UNAVAILABLE", "the sidecar is shutting down")
		return
	case errors.Is(err, bridge.ErrNoApp):
		d.fail(t.GetTaskToken(), "UNAVAILABLE", "every app serving this task queue left the sidecar")
		return
	}
	if err != nil {
		return // the deadline passed with no app: the caller retries
	}
	defer ss.Release(task.Nexus)

	r := &running{session: ss, ch: make(chan *bridgev1.NexusTaskCompletion, 1), start: req.GetStartOperation()}
	d.mu.Lock()
	d.running[string(t.GetTaskToken())] = r
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.running, string(t.GetTaskToken()))
		d.mu.Unlock()
	}()
	if ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_NexusTask{NexusTask: nt}}) != nil {
		d.fail(t.GetTaskToken(), "INTERNAL", "the app handling the request disconnected")
		return
	}
	sent := time.Now()
	select {
	case c := <-r.ch:
		took := time.Since(sent)
		if reason := failureReason(c); reason != "" {
			d.opts.Metrics.NexusTaskFailed(reason)
		}
		var e2e time.Duration
		if d.answer(t.GetTaskToken(), c) && req.GetScheduledTime() != nil {
			e2e = max(time.Since(req.GetScheduledTime().AsTime()), 1)
		}
		d.opts.Metrics.NexusTaskCompleted(took, e2e)
	case <-ss.Done():
		d.opts.Metrics.NexusTaskCompleted(time.Since(sent), 0)
		d.opts.Metrics.NexusTaskFailed("handler_error_INTERNAL")
		d.fail(t.GetTaskToken(), "INTERNAL", "the app handling the request disconnected")
	case <-ctx.Done():
		d.opts.Metrics.NexusTaskCompleted(time.Since(sent), 0)
		d.opts.Metrics.NexusTaskFailed("timeout")
		_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_NexusTask{NexusTask: &bridgev1.NexusTask{
			TaskToken: t.GetTaskToken(), Variant: &bridgev1.NexusTask_CancelTask{CancelTask: &bridgev1.CancelNexusTask{
				Reason: "the request's deadline passed"}}}}})
	}
}

// ErrNoTask says a task token names no Nexus task in progress.
var ErrNoTask = errors.New("nexus_task_token names no Nexus task in progress on this sidecar: start the workflow while handling the task, before answering it")

// StartRequest is the start request of a Nexus task in progress, for a
// workflow the app starts to back the operation.
func (d *Dispatcher) StartRequest(token []byte) (*nexuspb.StartOperationRequest, error) {
	d.mu.Lock()
	r := d.running[string(token)]
	d.mu.Unlock()
	switch {
	case r == nil:
		return nil, ErrNoTask
	case r.start == nil:
		return nil, errors.New("nexus_task_token names a cancel request; only a start request can start a workflow for its operation")
	}
	return r.start, nil
}

// requestTimeout reads Nexus's Request-Timeout header ("1.5s", "200ms").
func requestTimeout(h map[string]string) time.Duration {
	for k, v := range h {
		if strings.EqualFold(k, "request-timeout") {
			if d, err := time.ParseDuration(v); err == nil && d > 0 {
				return d
			}
		}
	}
	return defaultDeadline
}

// Complete hands an app's completion to the task waiting for it, after
// checking it answers the kind of request it was sent.
func (d *Dispatcher) Complete(ss *bridge.Session, c *bridgev1.NexusTaskCompletion) {
	d.mu.Lock()
	r := d.running[string(c.GetTaskToken())]
	d.mu.Unlock()
	if r == nil || r.session != ss {
		_ = ss.Send(bridge.UnknownTask(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_NexusCompletion{NexusCompletion: c}}))
		return
	}
	if msg := mismatch(r.start != nil, c); msg != "" {
		_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CompletionError{CompletionError: &bridgev1.CompletionError{
			Task: &bridgev1.CompletionError_TaskToken{TaskToken: c.GetTaskToken()}, Kind: bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_MALFORMED,
			Message: msg}}})
		return
	}
	select {
	case r.ch <- c:
	default: // answered twice; the first answer stands
	}
}

func mismatch(start bool, c *bridgev1.NexusTaskCompletion) string {
	switch c.GetStatus().(type) {
	case nil:
		return "nexus_completion has no status: set sync_result, async_started, operation_error, cancel_accepted or handler_error"
	case *bridgev1.NexusTaskCompletion_CancelAccepted:
		if start {
			return "nexus_completion answers a start request with cancel_accepted; answer with sync_result, async_started, operation_error or handler_error"
		}
	case *bridgev1.NexusTaskCompletion_HandlerError:
	default:
		if !start {
			return "nexus_completion answers a cancel request with a start outcome; answer with cancel_accepted or handler_error"
		}
	}
	return ""
}

// failureReason is how sdk-core labels a failed Nexus task
// (temporal_nexus_task_execution_failed's failure_reason); "" for a success.
func failureReason(c *bridgev1.NexusTaskCompletion) string {
	switch s := c.GetStatus().(type) {
	case *bridgev1.NexusTaskCompletion_OperationError:
		if s.OperationError.GetCancelled() {
			return "operation_canceled"
		}
		return "operation_failed"
	case *bridgev1.NexusTaskCompletion_HandlerError:
		t := s.HandlerError.GetErrorType()
		if t == "" {
			t = "INTERNAL"
		}
		return "handler_error_" + t
	}
	return ""
}

// answer answers the server with the app's completion, and says whether
// the server took it.
func (d *Dispatcher) answer(token []byte, c *bridgev1.NexusTaskCompletion) bool {
	var links []*nexuspb.Link
	for _, l := range c.GetLinks() {
		links = append(links, &nexuspb.Link{Url: l.GetUrl(), Type: l.GetType()})
	}
	var resp *nexuspb.Response
	switch s := c.GetStatus().(type) {
	case *bridgev1.NexusTaskCompletion_SyncResult:
		resp = startResponse(&nexuspb.StartOperationResponse{Variant: &nexuspb.StartOperationResponse_SyncSuccess{
			SyncSuccess: &nexuspb.StartOperationResponse_Sync{Payload: apiconv.Payload(s.SyncResult), Links: links}}})
	case *bridgev1.NexusTaskCompletion_AsyncStarted:
		resp = startResponse(&nexuspb.StartOperationResponse{Variant: &nexuspb.StartOperationResponse_AsyncSuccess{
			AsyncSuccess: &nexuspb.StartOperationResponse_Async{OperationToken: s.AsyncStarted.GetOperationToken(),
				OperationId: s.AsyncStarted.GetOperationToken(), Links: links}}})
	case *bridgev1.NexusTaskCompletion_OperationError:
		state := "failed"
		if s.OperationError.GetCancelled() {
			state = "canceled"
		}
		resp = startResponse(&nexuspb.StartOperationResponse{Variant: &nexuspb.StartOperationResponse_OperationError{
			OperationError: &nexuspb.UnsuccessfulOperationError{OperationState: state,
				Failure: temporalFailure(s.OperationError.GetFailure())}}})
	case *bridgev1.NexusTaskCompletion_CancelAccepted:
		resp = &nexuspb.Response{Variant: &nexuspb.Response_CancelOperation{CancelOperation: &nexuspb.CancelOperationResponse{}}}
	case *bridgev1.NexusTaskCompletion_HandlerError:
		h := s.HandlerError
		errType := h.GetErrorType()
		if errType == "" {
			errType = "INTERNAL"
		}
		return d.respondFailed(token, &nexuspb.HandlerError{ErrorType: errType, Failure: &nexuspb.Failure{Message: h.GetFailure().GetMessage()},
			RetryBehavior: enumspb.NexusHandlerErrorRetryBehavior(h.GetRetryBehavior())})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.opts.Service.RespondNexusTaskCompleted(ctx, &workflowservice.RespondNexusTaskCompletedRequest{
		Namespace: d.opts.Namespace, Identity: d.opts.Identity, TaskToken: token, Response: resp}); err != nil {
		d.opts.Logger.Warn("RespondNexusTaskCompleted failed", "err", err)
		return false
	}
	return true
}

// temporalFailure carries a failure whole through Nexus, as Temporal's SDKs
// do: the server turns a Nexus failure of this type back into the same
// Temporal failure (type, details, cause...) for the caller. A failure that
// cannot be encoded keeps its message.
func temporalFailure(f *bridgev1.Failure) *nexuspb.Failure {
	tf := apiconv.Failure(f)
	if tf == nil {
		return &nexuspb.Failure{}
	}
	msg := tf.GetMessage()
	tf.Message = "" // carried by the Nexus failure itself
	data, err := protojson.Marshal(tf)
	if err != nil {
		return &nexuspb.Failure{Message: msg}
	}
	return &nexuspb.Failure{Message: msg, Metadata: map[string]string{"type": "temporal.api.failure.v1.Failure"}, Details: data}
}

func startResponse(s *nexuspb.StartOperationResponse) *nexuspb.Response {
	return &nexuspb.Response{Variant: &nexuspb.Response_StartOperation{StartOperation: s}}
}

func (d *Dispatcher) fail(token []byte, errType, msg string) {
	d.respondFailed(token, &nexuspb.HandlerError{ErrorType: errType, Failure: &nexuspb.Failure{Message: msg}})
}

func (d *Dispatcher) respondFailed(token []byte, h *nexuspb.HandlerError) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.opts.Service.RespondNexusTaskFailed(ctx, &workflowservice.RespondNexusTaskFailedRequest{
		Namespace: d.opts.Namespace, Identity: d.opts.Identity, TaskToken: token, Error: h}); err != nil {
		d.opts.Logger.Warn("RespondNexusTaskFailed failed", "err", err)
		return false
	}
	return true
}

package worker_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	nexuspb "go.temporal.io/api/nexus/v1"
	"go.temporal.io/api/operatorservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
)

// nexusHandler connects an app serving the Nexus service "greeting":
// echo answers synchronously, fail fails the operation, async starts it
// asynchronously (and accepts cancellation), broken is a handler error, and
// workflow starts a Handled workflow that backs the operation (a
// workflow-run operation) and cancels that workflow when asked to.
func (e *env) nexusHandler() chan string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := bridgetest.Dial(ctx, e.target, &bridgev1.Register{ProtocolVersion: 1, Identity: "nexus-handler", TaskQueue: e.queue,
		NexusServices: []*bridgev1.NexusServiceRegistration{{Name: "greeting", Operations: []string{"echo", "fail", "async", "broken", "workflow"}}},
		Capacity:      &bridgev1.Capacity{NexusTasks: 4}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(a.Close)
	conn, err := grpc.NewClient(e.target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { conn.Close() })
	cs := bridgev1.NewClientServiceClient(conn)
	seen := make(chan string, 100)
	go func() {
		for {
			m, err := a.Next(time.Hour)
			if err != nil {
				return
			}
			if nt := m.GetNexusTask(); nt != nil {
				_ = a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_NexusCompletion{NexusCompletion: handle(cs, nt, seen)}})
			}
		}
	}()
	return seen
}

func handle(cs bridgev1.ClientServiceClient, nt *bridgev1.NexusTask, seen chan string) *bridgev1.NexusTaskCompletion {
	ctx, cancel := context.WithDeadline(context.Background(), nt.GetDeadline().AsTime())
	defer cancel()
	c := &bridgev1.NexusTaskCompletion{TaskToken: nt.GetTaskToken()}
	if cancelOp := nt.GetCancelOperation(); cancelOp != nil {
		seen <- "cancel " + cancelOp.GetOperation()
		if id := cancelOp.GetWorkflowId(); id != "" {
			if _, err := cs.CancelWorkflow(ctx, &bridgev1.CancelWorkflowRequest{Execution: &bridgev1.WorkflowExecution{WorkflowId: id}}); err != nil {
				return handlerError(nt, err.Error())
			}
		}
		c.Status = &bridgev1.NexusTaskCompletion_CancelAccepted{CancelAccepted: &bridgev1.NexusCancelAccepted{}}
		return c
	}
	s := nt.GetStartOperation()
	seen <- "start " + s.GetOperation()
	switch s.GetOperation() {
	case "echo":
		c.Status = &bridgev1.NexusTaskCompletion_SyncResult{SyncResult: s.GetPayload()}
	case "fail":
		c.Status = &bridgev1.NexusTaskCompletion_OperationError{OperationError: &bridgev1.NexusOperationError{
			Failure: &bridgev1.Failure{Message: "no greeting today", FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{
				ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "NoGreeting", NonRetryable: true}}}}}
	case "async":
		c.Status = &bridgev1.NexusTaskCompletion_AsyncStarted{AsyncStarted: &bridgev1.AsyncNexusOperationStarted{OperationToken: "tok-1"}}
	case "workflow":
		resp, err := cs.StartWorkflow(ctx, &bridgev1.StartWorkflowRequest{NexusTaskToken: nt.GetTaskToken(), Options: &bridgev1.WorkflowOptions{
			WorkflowId: "handled-" + s.GetRequestId(), WorkflowType: "Handled", Args: []*bridgev1.Payload{s.GetPayload()}}})
		if err != nil {
			return handlerError(nt, err.Error())
		}
		c.Status = &bridgev1.NexusTaskCompletion_AsyncStarted{AsyncStarted: &bridgev1.AsyncNexusOperationStarted{OperationToken: resp.GetNexusOperationToken()}}
		c.Links = resp.GetNexusLinks()
	default:
		return handlerError(nt, "cannot handle this")
	}
	return c
}

func handlerError(nt *bridgev1.NexusTask, msg string) *bridgev1.NexusTaskCompletion {
	return &bridgev1.NexusTaskCompletion{TaskToken: nt.GetTaskToken(), Status: &bridgev1.NexusTaskCompletion_HandlerError{HandlerError: &bridgev1.NexusHandlerError{ErrorType: "BAD_REQUEST",
		Failure: &bridgev1.Failure{Message: msg}, RetryBehavior: bridgev1.NexusHandlerErrorRetryBehavior_NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE}}}
}

// handled backs the workflow operation: it answers "handled <input>", or
// waits to be cancelled when the input is "wait".
var handled script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil && st.input[0] != "wait":
			return []*bridgev1.WorkflowCommand{complete("handled " + st.input[0])}
		case j.GetCancelWorkflow() != nil:
			return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_CancelWorkflowExecution{
				CancelWorkflowExecution: &bridgev1.CancelWorkflowExecution{}}}}
		}
	}
	return nil
}

// caller calls greeting.<input[1]> on endpoint input[0] with input[2]; when
// input[3] names a cancellation type, it cancels the operation as soon as it
// starts asynchronously. It completes with the outcome.
var caller script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleNexusOperation{ScheduleNexusOperation: &bridgev1.ScheduleNexusOperation{
				Seq: 1, Endpoint: st.input[0], Service: "greeting", Operation: st.input[1], Input: js(st.input[2]),
				ScheduleToCloseTimeout: durationpb.New(30 * time.Second),
				CancellationType:       bridgev1.CancellationType(bridgev1.CancellationType_value[st.input[3]])}}})
		case j.GetResolveNexusOperationStart().GetOperationToken() != "" && st.input[3] != "":
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelNexusOperation{
				RequestCancelNexusOperation: &bridgev1.RequestCancelNexusOperation{Seq: 1}}})
		case j.GetResolveNexusOperation() != nil:
			switch r := j.GetResolveNexusOperation().GetResult(); {
			case r.GetCompleted() != nil:
				out = append(out, complete("completed:"+str(r.GetCompleted())))
			case r.GetFailed() != nil:
				// One NexusOperationFailure, caused by what the handler said.
				f := r.GetFailed()
				out = append(out, complete("failed:"+f.GetNexusOperationExecutionFailureInfo().GetOperation()+":"+f.GetCause().GetMessage()+
					":"+f.GetCause().GetApplicationFailureInfo().GetType()))
			case r.GetCancelled().GetCause().GetCanceledFailureInfo() != nil:
				out = append(out, complete("cancelled"))
			case r.GetTimedOut() != nil:
				out = append(out, complete("timed out"))
			}
		}
	}
	return out
}

// nexusAcrossQueues runs two sidecars on their own task queues: callers,
// configured by mod, with an app running Caller, and handlers, with an app
// running Handled; endpoint leads from the first to the second.
func nexusAcrossQueues(t *testing.T, mod func(*worker.Options)) (callers, handlers *env, endpoint string) {
	t.Helper()
	callers, handlers = newEnv(t, mod), newEnv(t, nil)
	endpoint = "ep-" + handlers.queue[len(handlers.queue)-8:]
	_, err := callers.client.OperatorService().CreateNexusEndpoint(context.Background(), &operatorservice.CreateNexusEndpointRequest{Spec: &nexuspb.EndpointSpec{
		Name: endpoint, Target: &nexuspb.EndpointTarget{Variant: &nexuspb.EndpointTarget_Worker_{Worker: &nexuspb.EndpointTarget_Worker{
			Namespace: "default", TaskQueue: handlers.queue}}}}})
	if err != nil {
		t.Fatal(err)
	}
	handlers.workflowApp(map[string]script{"Handled": handled})
	callers.workflowApp(map[string]script{"Caller": caller})
	return callers, handlers, endpoint
}

// TestNexusOperationsAcrossTaskQueues calls a handler on another task queue,
// served by another sidecar, through an endpoint.
func TestNexusOperationsAcrossTaskQueues(t *testing.T) {
	callers, handlers, endpoint := nexusAcrossQueues(t, nil)
	seen := handlers.nexusHandler()
	tests := []struct {
		name, op, input, cancel, want string
		seen                          []string
	}{
		{"sync result", "echo", "hi", "", "completed:hi", []string{"start echo"}},
		{"operation failure", "fail", "hi", "", "failed:fail:no greeting today:NoGreeting", []string{"start fail"}},
		{"handler error", "broken", "hi", "", "failed:broken:handler error (BAD_REQUEST): cannot handle this:", []string{"start broken"}},
		{"async started then cancelled", "async", "hi", "CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED", "cancelled", []string{"start async", "cancel async"}},
		{"workflow-run operation completes by callback", "workflow", "hi", "", "completed:handled hi", []string{"start workflow"}},
		{"workflow-run operation cancelled with its workflow", "workflow", "wait", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED", "cancelled",
			[]string{"start workflow", "cancel workflow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := callers.startWorkflow("Caller", endpoint, tt.op, tt.input, tt.cancel)
			if out, err := result(t, run); err != nil || out != tt.want {
				t.Fatalf("caller = %q, %v; want %q", out, err, tt.want)
			}
			got := map[string]bool{}
			waitFor(t, fmt.Sprintf("the handler to see %v", tt.seen), func() bool {
				for {
					select {
					case s := <-seen:
						got[s] = true
					default:
						for _, s := range tt.seen {
							if !got[s] {
								return false
							}
						}
						return true
					}
				}
			})
		})
	}
}

// TestWorkflowRunOperationLinksBothHistories checks the links Temporal's UI
// follows between a caller and the workflow backing its operation.
func TestWorkflowRunOperationLinksBothHistories(t *testing.T) {
	callers, handlers, endpoint := nexusAcrossQueues(t, nil)
	handlers.nexusHandler()
	run := callers.startWorkflow("Caller", endpoint, "workflow", "linked", "")
	if out, err := result(t, run); err != nil || out != "completed:handled linked" {
		t.Fatalf("caller = %q, %v", out, err)
	}
	var started *historypb.HistoryEvent
	for _, ev := range history(t, callers, run.GetID(), "") {
		if ev.GetEventType() == enumspb.EVENT_TYPE_NEXUS_OPERATION_STARTED {
			started = ev
		}
	}
	if started == nil || len(started.GetLinks()) != 1 {
		t.Fatalf("NexusOperationStarted = %v, want one link to the handled workflow", started)
	}
	handledID := started.GetLinks()[0].GetWorkflowEvent().GetWorkflowId()
	if !strings.HasPrefix(handledID, "handled-") {
		t.Fatalf("caller links to %v, want the handled workflow", started.GetLinks()[0])
	}
	// Depending on its version, the server keeps the caller's link on the
	// event or on the completion callback.
	first := history(t, handlers, handledID, "")[0]
	back := first.GetLinks()
	for _, cb := range first.GetWorkflowExecutionStartedEventAttributes().GetCompletionCallbacks() {
		back = append(back, cb.GetLinks()...)
	}
	if len(back) == 0 || back[0].GetWorkflowEvent().GetWorkflowId() != run.GetID() ||
		back[0].GetWorkflowEvent().GetEventRef().GetEventType() != enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED {
		t.Fatalf("handled workflow's started event links %v, want the caller's NexusOperationScheduled event", back)
	}
}

// TestNexusCancelReplaysWithoutCache cancels a workflow-run operation with a
// caller that caches no run: every task replays the history, including the
// task the server adds for NexusOperationCancelRequestCompleted, which brings
// the caller no job and must answer with no command.
func TestNexusCancelReplaysWithoutCache(t *testing.T) {
	callers, handlers, endpoint := nexusAcrossQueues(t, func(o *worker.Options) { o.MaxCachedWorkflows = 0 })
	handlers.nexusHandler()
	run := callers.startWorkflow("Caller", endpoint, "workflow", "wait", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED")
	if out, err := result(t, run); err != nil || out != "cancelled" {
		t.Fatalf("caller = %q, %v; want cancelled", out, err)
	}
	requested := 0
	for _, ev := range history(t, callers, run.GetID(), "") {
		if ev.GetEventType() == enumspb.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED {
			requested++
		}
	}
	if requested != 1 {
		t.Fatalf("history has %d NexusOperationCancelRequested events, want 1 (a replayed command was sent again)", requested)
	}
}

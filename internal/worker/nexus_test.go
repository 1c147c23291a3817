package worker_test

import (
	"context"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	nexuspb "go.temporal.io/api/nexus/v1"
	"go.temporal.io/api/operatorservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// nexusHandler connects an app serving the Nexus service "greeting":
// echo answers synchronously, fail fails the operation, async starts it
// asynchronously (and accepts cancellation), broken is a handler error.
func (e *env) nexusHandler() chan string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := bridgetest.Dial(ctx, e.target, &bridgev1.Register{ProtocolVersion: 1, Identity: "nexus-handler", TaskQueue: e.queue,
		NexusServices: []*bridgev1.NexusServiceRegistration{{Name: "greeting", Operations: []string{"echo", "fail", "async", "broken"}}},
		Capacity:      &bridgev1.Capacity{NexusTasks: 4}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(a.Close)
	seen := make(chan string, 100)
	go func() {
		for {
			m, err := a.Next(time.Hour)
			if err != nil {
				return
			}
			nt := m.GetNexusTask()
			if nt == nil {
				continue
			}
			c := &bridgev1.NexusTaskCompletion{TaskToken: nt.GetTaskToken()}
			if cancelOp := nt.GetCancelOperation(); cancelOp != nil {
				seen <- "cancel " + cancelOp.GetOperationToken()
				c.Status = &bridgev1.NexusTaskCompletion_CancelAccepted{CancelAccepted: &bridgev1.NexusCancelAccepted{}}
			} else if s := nt.GetStartOperation(); s != nil {
				seen <- "start " + s.GetOperation()
				switch s.GetOperation() {
				case "echo":
					c.Status = &bridgev1.NexusTaskCompletion_SyncResult{SyncResult: s.GetPayload()}
				case "fail":
					c.Status = &bridgev1.NexusTaskCompletion_OperationError{OperationError: &bridgev1.NexusOperationError{
						Failure: &bridgev1.Failure{Message: "no greeting today"}}}
				case "async":
					c.Status = &bridgev1.NexusTaskCompletion_AsyncStarted{AsyncStarted: &bridgev1.AsyncNexusOperationStarted{OperationToken: "tok-1"}}
				default:
					c.Status = &bridgev1.NexusTaskCompletion_HandlerError{HandlerError: &bridgev1.NexusHandlerError{ErrorType: "BAD_REQUEST",
						Failure: &bridgev1.Failure{Message: "cannot handle this"}, RetryBehavior: bridgev1.NexusHandlerErrorRetryBehavior_NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE}}
				}
			}
			_ = a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_NexusCompletion{NexusCompletion: c}})
		}
	}()
	return seen
}

// caller calls greeting.<input[1]> on endpoint input[0]; an asynchronous
// operation is cancelled as soon as it starts. It completes with the outcome.
var caller script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleNexusOperation{ScheduleNexusOperation: &bridgev1.ScheduleNexusOperation{
				Seq: 1, Endpoint: st.input[0], Service: "greeting", Operation: st.input[1], Input: js("hi"),
				ScheduleToCloseTimeout: durationpb.New(30 * time.Second), CancellationType: bridgev1.CancellationType_CANCELLATION_TYPE_TRY_CANCEL}}})
		case j.GetResolveNexusOperationStart().GetOperationToken() != "":
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelNexusOperation{
				RequestCancelNexusOperation: &bridgev1.RequestCancelNexusOperation{Seq: 1}}})
		case j.GetResolveNexusOperation() != nil:
			switch r := j.GetResolveNexusOperation().GetResult(); {
			case r.GetCompleted() != nil:
				out = append(out, complete("completed:"+str(r.GetCompleted())))
			case r.GetFailed() != nil:
				out = append(out, complete("failed:"+r.GetFailed().GetNexusOperationExecutionFailureInfo().GetOperation()))
			case r.GetCancelled() != nil:
				out = append(out, complete("cancelled"))
			case r.GetTimedOut() != nil:
				out = append(out, complete("timed out"))
			}
		}
	}
	return out
}

func TestNexusOperationsThroughTheSidecar(t *testing.T) {
	e := newEnv(t, nil)
	endpoint := "ep-" + e.queue[len(e.queue)-8:]
	_, err := e.client.OperatorService().CreateNexusEndpoint(context.Background(), &operatorservice.CreateNexusEndpointRequest{Spec: &nexuspb.EndpointSpec{
		Name: endpoint, Target: &nexuspb.EndpointTarget{Variant: &nexuspb.EndpointTarget_Worker_{Worker: &nexuspb.EndpointTarget_Worker{
			Namespace: "default", TaskQueue: e.queue}}}}})
	if err != nil {
		t.Fatal(err)
	}
	seen := e.nexusHandler()
	e.workflowApp(map[string]script{"Caller": caller})
	tests := []struct{ op, want string }{
		{"echo", "completed:hi"},
		{"fail", "failed:fail"},
		{"async", "cancelled"},
		{"broken", "failed:broken"},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			run := e.startWorkflow("Caller", endpoint, tt.op)
			if out, err := result(t, run); err != nil || out != tt.want {
				t.Fatalf("caller = %q, %v; want %q", out, err, tt.want)
			}
		})
	}
	got := map[string]bool{}
	waitFor(t, "the handler to see every request", func() bool {
		for {
			select {
			case s := <-seen:
				got[s] = true
			default:
				return got["start echo"] && got["start fail"] && got["start async"] && got["start broken"]
			}
		}
	})
}

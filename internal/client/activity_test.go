package client_test

import (
	"testing"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/client"
)

func TestCompleteActivity(t *testing.T) {
	e := newEnv(t, client.Options{})
	byToken := func(token []byte) *bridgev1.ActivityRef {
		return &bridgev1.ActivityRef{Ref: &bridgev1.ActivityRef_TaskToken{TaskToken: token}}
	}
	byID := func(id string) *bridgev1.ActivityRef {
		return &bridgev1.ActivityRef{Ref: &bridgev1.ActivityRef_Id{Id: &bridgev1.ActivityId{WorkflowId: id, ActivityId: "pending"}}}
	}
	heartbeat := func(t *testing.T, ref *bridgev1.ActivityRef) *bridgev1.HeartbeatActivityResponse {
		t.Helper()
		resp, err := e.cs.HeartbeatActivity(ctx(t), &bridgev1.HeartbeatActivityRequest{Activity: ref, Details: payloads(t, "halfway")})
		if err != nil {
			t.Fatalf("HeartbeatActivity: %v", err)
		}
		return resp
	}
	for _, tc := range []struct {
		name string
		// ref picks how the activity is named: by its token or by id.
		ref func(token []byte, workflowID string) *bridgev1.ActivityRef
		// cancel has the workflow cancel the activity first.
		cancel bool
		result func(t *testing.T) *bridgev1.ActivityExecutionResult
		want   string // the workflow's account of the activity's end
	}{{
		name: "by task token with a result",
		ref:  func(token []byte, _ string) *bridgev1.ActivityRef { return byToken(token) },
		result: func(t *testing.T) *bridgev1.ActivityExecutionResult {
			return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Completed{
				Completed: &bridgev1.ActivityExecutionCompleted{Result: payloads(t, "done")[0]}}}
		},
		want: "completed: done",
	}, {
		name: "by id with a result",
		ref:  func(_ []byte, id string) *bridgev1.ActivityRef { return byID(id) },
		result: func(t *testing.T) *bridgev1.ActivityExecutionResult {
			return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Completed{
				Completed: &bridgev1.ActivityExecutionCompleted{Result: payloads(t, "by id")[0]}}}
		},
		want: "completed: by id",
	}, {
		name: "by task token with a failure",
		ref:  func(token []byte, _ string) *bridgev1.ActivityRef { return byToken(token) },
		result: func(*testing.T) *bridgev1.ActivityExecutionResult {
			return failed("nope")
		},
		want: "failed: nope",
	}, {
		name: "by id with a failure",
		ref:  func(_ []byte, id string) *bridgev1.ActivityRef { return byID(id) },
		result: func(*testing.T) *bridgev1.ActivityExecutionResult {
			return failed("not by id either")
		},
		want: "failed: not by id either",
	}, {
		name:   "by task token, cancelled after the workflow asked",
		ref:    func(token []byte, _ string) *bridgev1.ActivityRef { return byToken(token) },
		cancel: true,
		result: func(*testing.T) *bridgev1.ActivityExecutionResult { return cancelled() },
		want:   "cancelled",
	}, {
		name:   "by id, cancelled after the workflow asked",
		ref:    func(_ []byte, id string) *bridgev1.ActivityRef { return byID(id) },
		cancel: true,
		result: func(*testing.T) *bridgev1.ActivityExecutionResult { return cancelled() },
		want:   "cancelled",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			id := workflowID(t, "async")
			run := e.start(t, id, "Async")
			var token []byte
			select {
			case token = <-tokenChan(id):
			case <-ctx(t).Done():
				t.Fatal("the activity never started")
			}
			ref := tc.ref(token, id)

			if hb := heartbeat(t, ref); hb.GetCancelRequested() {
				t.Fatalf("heartbeat %v before any cancellation", hb)
			}
			if tc.cancel {
				if _, err := e.cs.SignalWorkflow(ctx(t), &bridgev1.SignalWorkflowRequest{
					Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, SignalName: "cancel-activity"}); err != nil {
					t.Fatal(err)
				}
				eventually(t, "a heartbeat reports the cancellation", func() bool { return heartbeat(t, ref).GetCancelRequested() })
			}
			if _, err := e.cs.CompleteActivity(ctx(t), &bridgev1.CompleteActivityRequest{Activity: ref, Result: tc.result(t)}); err != nil {
				t.Fatalf("CompleteActivity: %v", err)
			}
			if got := decoded(t, e.result(t, id, run).GetResult()); got != tc.want {
				t.Errorf("workflow saw %q, want %q", got, tc.want)
			}
		})
	}
}

func failed(msg string) *bridgev1.ActivityExecutionResult {
	return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Failed{Failed: &bridgev1.ActivityExecutionFailed{
		Failure: &bridgev1.Failure{Message: msg, FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{
			ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "Refused", NonRetryable: true}}}}}}
}

func cancelled() *bridgev1.ActivityExecutionResult {
	return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Cancelled{Cancelled: &bridgev1.ActivityExecutionCancelled{
		Failure: &bridgev1.Failure{Message: "stopped", FailureInfo: &bridgev1.Failure_CanceledFailureInfo{
			CanceledFailureInfo: &bridgev1.CanceledFailureInfo{}}}}}}
}

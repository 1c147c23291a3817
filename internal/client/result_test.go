package client_test

import (
	"context"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/client"
)

func TestGetWorkflowResult(t *testing.T) {
	e := newEnv(t, client.Options{})
	ex := func(id string) *bridgev1.WorkflowExecution { return &bridgev1.WorkflowExecution{WorkflowId: id} }
	for _, tc := range []struct {
		name string
		// run starts the workflow and brings it to its end; it returns
		// the run id to ask about ("" for the latest).
		run      func(t *testing.T, id string) (ask string, started string)
		noFollow bool
		status   bridgev1.WorkflowExecutionStatus
		check    func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, started string)
	}{{
		name: "a completed run returns its result",
		run: func(t *testing.T, id string) (string, string) {
			run := e.start(t, id, "Ledger", "first")
			e.finish(t, id)
			return run, run
		},
		status: bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_COMPLETED,
		check: func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, started string) {
			if got := decoded(t, resp.GetResult()); got != "first" || resp.GetRunId() != started {
				t.Errorf("result %q from run %s, want first from %s", got, resp.GetRunId(), started)
			}
		},
	}, {
		name: "an empty run id waits for the latest run",
		run: func(t *testing.T, id string) (string, string) {
			run := e.start(t, id, "Ledger", "latest")
			e.finish(t, id)
			return "", run
		},
		status: bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_COMPLETED,
		check: func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, started string) {
			if got := decoded(t, resp.GetResult()); got != "latest" || resp.GetRunId() != started {
				t.Errorf("result %q from run %s, want latest from %s", got, resp.GetRunId(), started)
			}
		},
	}, {
		name: "follows continue-as-new to the last run",
		run: func(t *testing.T, id string) (string, string) {
			run := e.start(t, id, "Countdown", 2)
			return run, run
		},
		status: bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_COMPLETED,
		check: func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, started string) {
			if got := decoded(t, resp.GetResult()); got != "liftoff" {
				t.Errorf("result %q, want liftoff", got)
			}
			if resp.GetRunId() == started || resp.GetRunId() == "" {
				t.Errorf("run id %q, want the last run's, not the first's (%s)", resp.GetRunId(), started)
			}
		},
	}, {
		name: "no_follow_runs returns the run that continued as new",
		run: func(t *testing.T, id string) (string, string) {
			run := e.start(t, id, "Countdown", 1)
			return run, run
		},
		noFollow: true,
		status:   bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
		check: func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, started string) {
			if resp.GetRunId() != started || resp.GetOutcome() != nil || resp.GetNextRunId() == "" || resp.GetNextRunId() == started {
				t.Errorf("response %v, want run %s with no outcome and the next run's id", resp, started)
			}
		},
	}, {
		name: "a failed run returns its failure",
		run: func(t *testing.T, id string) (string, string) {
			run := e.start(t, id, "Fail", "kaput")
			return run, run
		},
		status: bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_FAILED,
		check: func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, _ string) {
			f := resp.GetFailure()
			if f.GetMessage() != "kaput" || f.GetApplicationFailureInfo().GetType() != "Boom" {
				t.Errorf("failure %v, want kaput of type Boom", f)
			}
		},
	}, {
		name: "a cancelled run returns a cancellation",
		run: func(t *testing.T, id string) (string, string) {
			run := e.start(t, id, "Ledger")
			if _, err := e.cs.CancelWorkflow(ctx(t), &bridgev1.CancelWorkflowRequest{Execution: ex(id), Reason: "no longer needed"}); err != nil {
				t.Fatal(err)
			}
			return run, run
		},
		status: bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_CANCELED,
		check: func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, _ string) {
			if resp.GetFailure().GetCanceledFailureInfo() == nil {
				t.Errorf("failure %v, want a cancellation", resp.GetFailure())
			}
		},
	}, {
		name: "a terminated run returns the reason",
		run: func(t *testing.T, id string) (string, string) {
			run := e.start(t, id, "Ledger")
			if _, err := e.cs.TerminateWorkflow(ctx(t), &bridgev1.TerminateWorkflowRequest{
				Execution: ex(id), Reason: "enough", Details: payloads(t, "why")}); err != nil {
				t.Fatal(err)
			}
			return run, run
		},
		status: bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_TERMINATED,
		check: func(t *testing.T, resp *bridgev1.GetWorkflowResultResponse, _ string) {
			f := resp.GetFailure()
			if f.GetTerminatedFailureInfo() == nil || !strings.Contains(f.GetMessage(), "enough") {
				t.Errorf("failure %v, want a termination giving the reason", f)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			id := workflowID(t, "wf")
			ask, started := tc.run(t, id)
			resp, err := e.cs.GetWorkflowResult(ctx(t), &bridgev1.GetWorkflowResultRequest{
				Execution: &bridgev1.WorkflowExecution{WorkflowId: id, RunId: ask}, NoFollowRuns: tc.noFollow})
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetStatus() != tc.status {
				t.Fatalf("status %v, want %v (response %v)", resp.GetStatus(), tc.status, resp)
			}
			tc.check(t, resp, started)
		})
	}
}

func TestShutdownEndsWaitsWithUnavailable(t *testing.T) {
	stopping, stop := context.WithCancel(context.Background())
	defer stop()
	e := newEnv(t, client.Options{Context: stopping})
	open := workflowID(t, "open")
	e.start(t, open, "Ledger")
	// Nobody serves this workflow's queue, so an update to it waits.
	unserved := workflowID(t, "unserved")
	if _, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
		WorkflowId: unserved, WorkflowType: "Ledger", TaskQueue: "nobody-" + unserved}}); err != nil {
		t.Fatal(err)
	}

	waits := map[string]func() error{
		"GetWorkflowResult": func() error {
			_, err := e.cs.GetWorkflowResult(ctx(t), &bridgev1.GetWorkflowResultRequest{Execution: &bridgev1.WorkflowExecution{WorkflowId: open}})
			return err
		},
		"UpdateWorkflow": func() error {
			_, err := e.cs.UpdateWorkflow(ctx(t), &bridgev1.UpdateWorkflowRequest{
				Execution: &bridgev1.WorkflowExecution{WorkflowId: unserved}, UpdateName: "append", Args: payloads(t, "x"), UpdateId: "u-shutdown"})
			return err
		},
	}
	errs := make(map[string]chan error)
	for name, wait := range waits {
		c := make(chan error, 1)
		errs[name] = c
		go func() { c <- wait() }()
	}
	// The update is in progress once the server has admitted it; a wait
	// that begins after the shutdown must end the same way.
	eventually(t, "the server admits the update", func() bool {
		c, cancel := context.WithTimeout(ctx(t), time.Second)
		defer cancel()
		_, err := e.sdk.WorkflowService().PollWorkflowExecutionUpdate(c, &workflowservice.PollWorkflowExecutionUpdateRequest{
			Namespace:  "default",
			UpdateRef:  &updatepb.UpdateRef{WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: unserved}, UpdateId: "u-shutdown"},
			WaitPolicy: &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED},
		})
		return err == nil
	})
	stop()
	for name, c := range errs {
		select {
		case err := <-c:
			if st := status.Convert(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "shutting down") {
				t.Errorf("%s: %v, want Unavailable saying the sidecar is shutting down", name, err)
			}
		case <-ctx(t).Done():
			t.Fatalf("%s still waiting after the shutdown", name)
		}
	}
}

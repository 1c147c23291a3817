package client_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/client"
	"github.com/temporal-sidecar/sidecar/internal/nexus"
)

func TestMalformedRequestsAreInvalidArgumentNamingTheField(t *testing.T) {
	e := newEnv(t, client.Options{})
	ex := &bridgev1.WorkflowExecution{WorkflowId: "any"}
	opts := func(o *bridgev1.WorkflowOptions) *bridgev1.WorkflowOptions { return o }
	token := &bridgev1.ActivityRef{Ref: &bridgev1.ActivityRef_TaskToken{TaskToken: []byte("t")}}
	done := &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Completed{Completed: &bridgev1.ActivityExecutionCompleted{}}}
	cs := e.cs
	for _, tc := range []struct {
		field string // the message's "Request.field"
		call  func(context.Context) error
	}{
		{"StartWorkflowRequest.options is required", func(c context.Context) error {
			_, err := cs.StartWorkflow(c, &bridgev1.StartWorkflowRequest{})
			return err
		}},
		{"StartWorkflowRequest.options.workflow_id is required", func(c context.Context) error {
			_, err := cs.StartWorkflow(c, &bridgev1.StartWorkflowRequest{Options: opts(&bridgev1.WorkflowOptions{WorkflowType: "Ledger"})})
			return err
		}},
		{"StartWorkflowRequest.options.workflow_type is required", func(c context.Context) error {
			_, err := cs.StartWorkflow(c, &bridgev1.StartWorkflowRequest{Options: opts(&bridgev1.WorkflowOptions{WorkflowId: "w"})})
			return err
		}},
		{"StartWorkflowRequest.options.run_timeout must not be negative", func(c context.Context) error {
			_, err := cs.StartWorkflow(c, &bridgev1.StartWorkflowRequest{Options: opts(&bridgev1.WorkflowOptions{
				WorkflowId: "w", WorkflowType: "Ledger", RunTimeout: durationpb.New(-1)})})
			return err
		}},
		{"StartWorkflowRequest.nexus_task_token is set, but this sidecar handles no Nexus tasks", func(c context.Context) error {
			_, err := cs.StartWorkflow(c, &bridgev1.StartWorkflowRequest{NexusTaskToken: []byte("t"),
				Options: opts(&bridgev1.WorkflowOptions{WorkflowId: "w", WorkflowType: "Ledger"})})
			return err
		}},
		{"SignalWithStartWorkflowRequest.options.workflow_type is required", func(c context.Context) error {
			_, err := cs.SignalWithStartWorkflow(c, &bridgev1.SignalWithStartWorkflowRequest{
				Options: &bridgev1.WorkflowOptions{WorkflowId: "w"}, SignalName: "add"})
			return err
		}},
		{"SignalWithStartWorkflowRequest.signal_name is required", func(c context.Context) error {
			_, err := cs.SignalWithStartWorkflow(c, &bridgev1.SignalWithStartWorkflowRequest{
				Options: &bridgev1.WorkflowOptions{WorkflowId: "w", WorkflowType: "Ledger"}})
			return err
		}},
		{"SignalWorkflowRequest.execution is required", func(c context.Context) error {
			_, err := cs.SignalWorkflow(c, &bridgev1.SignalWorkflowRequest{SignalName: "add"})
			return err
		}},
		{"SignalWorkflowRequest.execution.workflow_id is required", func(c context.Context) error {
			_, err := cs.SignalWorkflow(c, &bridgev1.SignalWorkflowRequest{Execution: &bridgev1.WorkflowExecution{RunId: "r"}, SignalName: "add"})
			return err
		}},
		{"SignalWorkflowRequest.signal_name is required", func(c context.Context) error {
			_, err := cs.SignalWorkflow(c, &bridgev1.SignalWorkflowRequest{Execution: ex})
			return err
		}},
		{"FetchWorkflowHistoryRequest.execution.workflow_id is required", func(c context.Context) error {
			_, err := cs.FetchWorkflowHistory(c, &bridgev1.FetchWorkflowHistoryRequest{Execution: &bridgev1.WorkflowExecution{}})
			return err
		}},
		{"QueryWorkflowRequest.execution is required", func(c context.Context) error {
			_, err := cs.QueryWorkflow(c, &bridgev1.QueryWorkflowRequest{QueryType: "entries"})
			return err
		}},
		{"QueryWorkflowRequest.query_type is required", func(c context.Context) error {
			_, err := cs.QueryWorkflow(c, &bridgev1.QueryWorkflowRequest{Execution: ex})
			return err
		}},
		{"UpdateWorkflowRequest.execution.workflow_id is required", func(c context.Context) error {
			_, err := cs.UpdateWorkflow(c, &bridgev1.UpdateWorkflowRequest{Execution: &bridgev1.WorkflowExecution{}, UpdateName: "append"})
			return err
		}},
		{"UpdateWorkflowRequest.update_name is required", func(c context.Context) error {
			_, err := cs.UpdateWorkflow(c, &bridgev1.UpdateWorkflowRequest{Execution: ex})
			return err
		}},
		{"UpdateWorkflowRequest.wait_for_stage must be", func(c context.Context) error {
			_, err := cs.UpdateWorkflow(c, &bridgev1.UpdateWorkflowRequest{Execution: ex, UpdateName: "append", WaitForStage: 9})
			return err
		}},
		{"GetWorkflowResultRequest.execution is required", func(c context.Context) error {
			_, err := cs.GetWorkflowResult(c, &bridgev1.GetWorkflowResultRequest{})
			return err
		}},
		{"CancelWorkflowRequest.execution is required", func(c context.Context) error {
			_, err := cs.CancelWorkflow(c, &bridgev1.CancelWorkflowRequest{})
			return err
		}},
		{"TerminateWorkflowRequest.execution.workflow_id is required", func(c context.Context) error {
			_, err := cs.TerminateWorkflow(c, &bridgev1.TerminateWorkflowRequest{Execution: &bridgev1.WorkflowExecution{}})
			return err
		}},
		{"DescribeWorkflowRequest.execution is required", func(c context.Context) error {
			_, err := cs.DescribeWorkflow(c, &bridgev1.DescribeWorkflowRequest{})
			return err
		}},
		{"CompleteActivityRequest.activity is required", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{Result: done})
			return err
		}},
		{"CompleteActivityRequest.activity.task_token is required", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{
				Activity: &bridgev1.ActivityRef{Ref: &bridgev1.ActivityRef_TaskToken{}}, Result: done})
			return err
		}},
		{"CompleteActivityRequest.activity.id.workflow_id is required", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{
				Activity: &bridgev1.ActivityRef{Ref: &bridgev1.ActivityRef_Id{Id: &bridgev1.ActivityId{ActivityId: "a"}}}, Result: done})
			return err
		}},
		{"CompleteActivityRequest.activity.id.activity_id is required", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{
				Activity: &bridgev1.ActivityRef{Ref: &bridgev1.ActivityRef_Id{Id: &bridgev1.ActivityId{WorkflowId: "w"}}}, Result: done})
			return err
		}},
		{"CompleteActivityRequest.result is required", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{Activity: token})
			return err
		}},
		{"CompleteActivityRequest.result.will_complete_async is not a completion", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{Activity: token, Result: &bridgev1.ActivityExecutionResult{
				Status: &bridgev1.ActivityExecutionResult_WillCompleteAsync{WillCompleteAsync: &bridgev1.WillCompleteAsync{}}}})
			return err
		}},
		{"CompleteActivityRequest.result.failed.failure is required", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{Activity: token, Result: &bridgev1.ActivityExecutionResult{
				Status: &bridgev1.ActivityExecutionResult_Failed{Failed: &bridgev1.ActivityExecutionFailed{}}}})
			return err
		}},
		{"HeartbeatActivityRequest.activity is required", func(c context.Context) error {
			_, err := cs.HeartbeatActivity(c, &bridgev1.HeartbeatActivityRequest{})
			return err
		}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			wantCode(t, tc.call(ctx(t)), codes.InvalidArgument, tc.field)
		})
	}
}

func TestStartForANexusTaskNotInProgressIsFailedPrecondition(t *testing.T) {
	e := newEnv(t, client.Options{Nexus: nexus.New(nexus.Options{})})
	_, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{NexusTaskToken: []byte("answered-long-ago"),
		Options: &bridgev1.WorkflowOptions{WorkflowId: "w", WorkflowType: "Ledger"}})
	wantCode(t, err, codes.FailedPrecondition, "nexus_task_token names no Nexus task in progress", "before answering it")
}

func TestUnknownWorkflowsAndActivitiesAreNotFound(t *testing.T) {
	e := newEnv(t, client.Options{})
	running := workflowID(t, "running")
	e.start(t, running, "Ledger")
	missing := &bridgev1.WorkflowExecution{WorkflowId: workflowID(t, "missing")}
	byID := func(workflowID, activityID string) *bridgev1.ActivityRef {
		return &bridgev1.ActivityRef{Ref: &bridgev1.ActivityRef_Id{Id: &bridgev1.ActivityId{WorkflowId: workflowID, ActivityId: activityID}}}
	}
	cs := e.cs
	for _, tc := range []struct {
		name string
		call func(context.Context) error
	}{
		{"DescribeWorkflow", func(c context.Context) error {
			_, err := cs.DescribeWorkflow(c, &bridgev1.DescribeWorkflowRequest{Execution: missing})
			return err
		}},
		{"SignalWorkflow", func(c context.Context) error {
			_, err := cs.SignalWorkflow(c, &bridgev1.SignalWorkflowRequest{Execution: missing, SignalName: "add"})
			return err
		}},
		{"QueryWorkflow", func(c context.Context) error {
			_, err := cs.QueryWorkflow(c, &bridgev1.QueryWorkflowRequest{Execution: missing, QueryType: "entries"})
			return err
		}},
		{"UpdateWorkflow", func(c context.Context) error {
			_, err := cs.UpdateWorkflow(c, &bridgev1.UpdateWorkflowRequest{Execution: missing, UpdateName: "append"})
			return err
		}},
		{"FetchWorkflowHistory", func(c context.Context) error {
			_, err := cs.FetchWorkflowHistory(c, &bridgev1.FetchWorkflowHistoryRequest{Execution: missing})
			return err
		}},
		{"GetWorkflowResult", func(c context.Context) error {
			_, err := cs.GetWorkflowResult(c, &bridgev1.GetWorkflowResultRequest{Execution: missing})
			return err
		}},
		{"CancelWorkflow", func(c context.Context) error {
			_, err := cs.CancelWorkflow(c, &bridgev1.CancelWorkflowRequest{Execution: missing})
			return err
		}},
		{"TerminateWorkflow", func(c context.Context) error {
			_, err := cs.TerminateWorkflow(c, &bridgev1.TerminateWorkflowRequest{Execution: missing})
			return err
		}},
		{"CompleteActivity of an unknown workflow", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{Activity: byID(missing.WorkflowId, "a"), Result: failed("x")})
			return err
		}},
		{"CompleteActivity of an unknown activity", func(c context.Context) error {
			_, err := cs.CompleteActivity(c, &bridgev1.CompleteActivityRequest{Activity: byID(running, "nonesuch"), Result: failed("x")})
			return err
		}},
		{"HeartbeatActivity of an unknown activity", func(c context.Context) error {
			_, err := cs.HeartbeatActivity(c, &bridgev1.HeartbeatActivityRequest{Activity: byID(running, "nonesuch")})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.call(ctx(t)), codes.NotFound)
		})
	}
}

func TestPayloadsOverTheBlobSizeLimitAreRefusedBeforeSending(t *testing.T) {
	big := func(t *testing.T, n int) []*bridgev1.Payload {
		p := payloads(t, "")
		p[0].Data = []byte(`"` + strings.Repeat("x", n) + `"`)
		return p
	}
	for _, tc := range []struct {
		name  string
		limit int // 0: the default
		want  int // the limit the message names
	}{
		{"the server's default of 2 MiB", 0, 2 << 20},
		{"a limit set with --blob-size-limit", 4096, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, client.Options{BlobSizeLimit: tc.limit})
			limit := fmt.Sprintf("limit of %d bytes", tc.want)

			id := workflowID(t, "big")
			_, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
				WorkflowId: id, WorkflowType: "Ledger", Args: big(t, tc.want)}})
			wantCode(t, err, codes.ResourceExhausted, "StartWorkflowRequest.options.args is", limit, "--blob-size-limit")
			_, err = e.cs.DescribeWorkflow(ctx(t), &bridgev1.DescribeWorkflowRequest{Execution: &bridgev1.WorkflowExecution{WorkflowId: id}})
			wantCode(t, err, codes.NotFound)

			_, err = e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
				WorkflowId: id, WorkflowType: "Ledger", Memo: map[string]*bridgev1.Payload{"m": big(t, tc.want)[0]}}})
			wantCode(t, err, codes.ResourceExhausted, "StartWorkflowRequest.options.memo is", limit)

			// A signal over the limit must not reach the workflow, which
			// the server could terminate for it.
			run := e.start(t, id, "Ledger")
			_, err = e.cs.SignalWorkflow(ctx(t), &bridgev1.SignalWorkflowRequest{
				Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, SignalName: "add", Args: big(t, tc.want)})
			wantCode(t, err, codes.ResourceExhausted, "SignalWorkflowRequest.args is", limit)
			_, err = e.cs.UpdateWorkflow(ctx(t), &bridgev1.UpdateWorkflowRequest{
				Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, UpdateName: "append", Args: big(t, tc.want)})
			wantCode(t, err, codes.ResourceExhausted, "UpdateWorkflowRequest.args is", limit)

			// Just under the limit passes.
			small := big(t, tc.want-200)
			if _, err := e.cs.SignalWorkflow(ctx(t), &bridgev1.SignalWorkflowRequest{
				Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, SignalName: "add", Args: small}); err != nil {
				t.Fatalf("a signal under the limit: %v", err)
			}
			e.finish(t, id)
			if got := e.result(t, id, run); got.GetStatus() != bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_COMPLETED ||
				len(decoded(t, got.GetResult())) != tc.want-200 {
				t.Errorf("the workflow ended %v, want completed with only the signal under the limit", got.GetStatus())
			}
		})
	}
}

func TestStartWithoutATaskQueueNeedsOneWhenTheSidecarServesSeveral(t *testing.T) {
	// A sidecar with no --task-queue has no queue to default to; the
	// request is refused before any call to the server.
	cs := client.New(client.Options{Namespace: "default"})
	o := &bridgev1.WorkflowOptions{WorkflowId: "w", WorkflowType: "Ledger"}
	_, err := cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: o})
	wantCode(t, err, codes.InvalidArgument,
		"StartWorkflowRequest.options.task_queue is required: this sidecar serves the task queues its apps register (it has no --task-queue to default to)")
	_, err = cs.SignalWithStartWorkflow(ctx(t), &bridgev1.SignalWithStartWorkflowRequest{Options: o, SignalName: "add"})
	wantCode(t, err, codes.InvalidArgument, "SignalWithStartWorkflowRequest.options.task_queue is required")
}

package client_test

import (
	"testing"
	"time"

	"go.temporal.io/api/errordetails/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/client"
)

func TestStartWorkflow(t *testing.T) {
	e := newEnv(t, client.Options{})

	t.Run("passes every option and defaults to the sidecar's task queue", func(t *testing.T) {
		id := workflowID(t, "opts")
		memo := payloads(t, "ops")[0]
		key := payloads(t, "blue")[0]
		resp, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
			WorkflowId:       id,
			WorkflowType:     "Ledger",
			Args:             payloads(t, "first"),
			ExecutionTimeout: durationpb.New(time.Hour),
			RunTimeout:       durationpb.New(30 * time.Minute),
			TaskTimeout:      durationpb.New(7 * time.Second),
			RetryPolicy:      &bridgev1.RetryPolicy{MaximumAttempts: 3, NonRetryableErrorTypes: []string{"Fatal"}},
			Memo:             map[string]*bridgev1.Payload{"owner": memo},
			SearchAttributes: map[string]*bridgev1.Payload{searchAttribute: key},
			StaticSummary:    "a ledger",
			Priority:         &bridgev1.Priority{PriorityKey: 2},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if !resp.GetStarted() || resp.GetRunId() == "" {
			t.Fatalf("response %v, want a started run", resp)
		}

		d, err := e.cs.DescribeWorkflow(ctx(t), &bridgev1.DescribeWorkflowRequest{Execution: &bridgev1.WorkflowExecution{WorkflowId: id}})
		if err != nil {
			t.Fatal(err)
		}
		if d.GetExecution().GetRunId() != resp.GetRunId() || d.GetFirstRunId() != resp.GetRunId() ||
			d.GetWorkflowType() != "Ledger" || d.GetTaskQueue() != e.tq ||
			d.GetStatus() != bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_RUNNING || d.GetStartTime() == nil {
			t.Errorf("described as %v", d)
		}
		var owner, color string
		decode(t, d.GetMemo()["owner"], &owner)
		decode(t, d.GetSearchAttributes()[searchAttribute], &color)
		if owner != "ops" || color != "blue" {
			t.Errorf("memo owner %q, search attribute %q; want ops, blue", owner, color)
		}

		// What DescribeWorkflow does not carry, the SDK's describe shows.
		raw, err := e.sdk.DescribeWorkflowExecution(ctx(t), id, "")
		if err != nil {
			t.Fatal(err)
		}
		cfg := raw.GetExecutionConfig()
		if cfg.GetWorkflowExecutionTimeout().AsDuration() != time.Hour || cfg.GetWorkflowRunTimeout().AsDuration() != 30*time.Minute ||
			cfg.GetDefaultWorkflowTaskTimeout().AsDuration() != 7*time.Second {
			t.Errorf("execution config %v", cfg)
		}
		var summary string
		decode(t, apiconv.BridgePayload(cfg.GetUserMetadata().GetSummary()), &summary)
		if summary != "a ledger" {
			t.Errorf("summary %q, want %q", summary, "a ledger")
		}
		if p := raw.GetWorkflowExecutionInfo().GetPriority().GetPriorityKey(); p != 2 {
			t.Errorf("priority key %d, want 2", p)
		}
		if got := e.entries(t, id); len(got) != 1 || got[0] != "first" {
			t.Errorf("entries %v, want the argument [first]", got)
		}
	})

	t.Run("start delay postpones the first workflow task", func(t *testing.T) {
		id := workflowID(t, "delay")
		if _, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
			WorkflowId: id, WorkflowType: "Ledger", StartDelay: durationpb.New(time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		raw, err := e.sdk.DescribeWorkflowExecution(ctx(t), id, "")
		if err != nil {
			t.Fatal(err)
		}
		info := raw.GetWorkflowExecutionInfo()
		if d := info.GetExecutionTime().AsTime().Sub(info.GetStartTime().AsTime()); d < time.Hour {
			t.Errorf("execution time is %v after start, want the 1h delay", d)
		}
	})

	t.Run("a retry with the same request id starts one run", func(t *testing.T) {
		id := workflowID(t, "retry")
		var runs []string
		for range 2 {
			resp, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
				WorkflowId: id, WorkflowType: "Ledger", RequestId: "req-" + id}})
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, resp.GetRunId())
		}
		if runs[0] != runs[1] {
			t.Errorf("run ids %v, want one run", runs)
		}
	})

	t.Run("without a request id each call is a new attempt", func(t *testing.T) {
		id := workflowID(t, "fresh")
		e.start(t, id, "Ledger")
		_, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{WorkflowId: id, WorkflowType: "Ledger"}})
		wantCode(t, err, codes.AlreadyExists)
	})

	t.Run("USE_EXISTING returns the open run without starting one", func(t *testing.T) {
		id := workflowID(t, "existing")
		run := e.start(t, id, "Ledger")
		resp, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
			WorkflowId: id, WorkflowType: "Ledger",
			IdConflictPolicy: bridgev1.WorkflowIdConflictPolicy_WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetStarted() || resp.GetRunId() != run {
			t.Errorf("response %v, want started false and run %s", resp, run)
		}
	})

	t.Run("an open id is AlreadyExists with the server's details", func(t *testing.T) {
		id := workflowID(t, "taken")
		run := e.start(t, id, "Ledger")
		_, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
			WorkflowId: id, WorkflowType: "Ledger", RequestId: "another"}})
		st := wantCode(t, err, codes.AlreadyExists)
		if !hasAlreadyStarted(st.Details(), run) {
			t.Errorf("details %v, want WorkflowExecutionAlreadyStartedFailure for run %s", st.Details(), run)
		}
	})

	t.Run("REJECT_DUPLICATE refuses a closed id", func(t *testing.T) {
		id := workflowID(t, "closed")
		run := e.start(t, id, "Ledger")
		e.finish(t, id)
		e.result(t, id, run)
		_, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
			WorkflowId: id, WorkflowType: "Ledger",
			IdReusePolicy: bridgev1.WorkflowIdReusePolicy_WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE}})
		wantCode(t, err, codes.AlreadyExists)
	})
}

func TestSignalWithStartWorkflow(t *testing.T) {
	e := newEnv(t, client.Options{})
	id := workflowID(t, "sws")
	send := func(entry string) *bridgev1.SignalWithStartWorkflowResponse {
		t.Helper()
		resp, err := e.cs.SignalWithStartWorkflow(ctx(t), &bridgev1.SignalWithStartWorkflowRequest{
			Options:    &bridgev1.WorkflowOptions{WorkflowId: id, WorkflowType: "Ledger", Args: payloads(t, "arg")},
			SignalName: "add", SignalArgs: payloads(t, entry)})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	first := send("one")
	if !first.GetStarted() || first.GetRunId() == "" {
		t.Fatalf("first call %v, want a started run", first)
	}
	second := send("two")
	if second.GetStarted() || second.GetRunId() != first.GetRunId() {
		t.Fatalf("second call %v, want the open run %s, not started", second, first.GetRunId())
	}
	eventually(t, "both signals arrive", func() bool { return len(e.entries(t, id)) == 3 })
	if got := e.entries(t, id); got[0] != "arg" || got[1] != "one" || got[2] != "two" {
		t.Errorf("entries %v, want [arg one two]", got)
	}
}

func hasAlreadyStarted(details []any, run string) bool {
	for _, d := range details {
		if f, ok := d.(*errordetails.WorkflowExecutionAlreadyStartedFailure); ok && f.GetRunId() == run {
			return true
		}
	}
	return false
}

package client_test

import (
	"slices"
	"testing"

	"go.temporal.io/api/errordetails/v1"
	"google.golang.org/grpc/codes"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/client"
)

func TestSignalWorkflow(t *testing.T) {
	e := newEnv(t, client.Options{})
	id := workflowID(t, "ledger")
	e.start(t, id, "Ledger")
	signal := func(entry, requestID string) {
		t.Helper()
		if _, err := e.cs.SignalWorkflow(ctx(t), &bridgev1.SignalWorkflowRequest{
			Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, SignalName: "add",
			Args: payloads(t, entry), RequestId: requestID}); err != nil {
			t.Fatalf("SignalWorkflow: %v", err)
		}
	}

	// The server applies signals in order, so once "last" is in, any
	// duplicate of "once" would be too.
	signal("once", "req-once")
	signal("once", "req-once")
	signal("last", "")
	eventually(t, "the last signal arrives", func() bool { return slices.Contains(e.entries(t, id), "last") })
	if got := e.entries(t, id); !slices.Equal(got, []string{"once", "last"}) {
		t.Errorf("entries %v, want [once last]: the same request id delivers one signal", got)
	}
}

func TestQueryWorkflow(t *testing.T) {
	e := newEnv(t, client.Options{})
	open := workflowID(t, "open")
	e.start(t, open, "Ledger", "first")
	closed := workflowID(t, "closed")
	run := e.start(t, closed, "Ledger", "only")
	e.finish(t, closed)
	e.result(t, closed, run)

	notOpen := bridgev1.QueryRejectCondition_QUERY_REJECT_CONDITION_NOT_OPEN
	for _, tc := range []struct {
		name      string
		id, query string
		reject    bridgev1.QueryRejectCondition
		want      []string // the entries answered
		rejected  bridgev1.WorkflowExecutionStatus
		code      codes.Code
		message   string
	}{
		{name: "answers from the workflow's handler", id: open, query: "entries", want: []string{"first"}},
		{name: "answers a closed workflow without a reject condition", id: closed, query: "entries", want: []string{"only"}},
		{name: "answers when the reject condition does not apply", id: open, query: "entries", reject: notOpen, want: []string{"first"}},
		{name: "a reject condition that applies gives the workflow's status", id: closed, query: "entries", reject: notOpen,
			rejected: bridgev1.WorkflowExecutionStatus_WORKFLOW_EXECUTION_STATUS_COMPLETED},
		{name: "a failing handler is FailedPrecondition with the server's details", id: open, query: "explode",
			code: codes.FailedPrecondition, message: "the ledger refuses to answer"},
		{name: "an unknown query type is FailedPrecondition", id: open, query: "nonesuch",
			code: codes.FailedPrecondition, message: "nonesuch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.cs.QueryWorkflow(ctx(t), &bridgev1.QueryWorkflowRequest{
				Execution: &bridgev1.WorkflowExecution{WorkflowId: tc.id}, QueryType: tc.query, RejectCondition: tc.reject})
			if tc.code != codes.OK {
				st := wantCode(t, err, tc.code, tc.message)
				if !slices.ContainsFunc(st.Details(), func(d any) bool { _, ok := d.(*errordetails.QueryFailedFailure); return ok }) {
					t.Errorf("details %v, want the server's QueryFailedFailure", st.Details())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetRejectedStatus() != tc.rejected {
				t.Errorf("rejected status %v, want %v", resp.GetRejectedStatus(), tc.rejected)
			}
			if tc.rejected != 0 {
				if resp.GetResult() != nil {
					t.Errorf("a rejected query has result %v", resp.GetResult())
				}
				return
			}
			var got []string
			decode(t, resp.GetResult().GetPayloads()[0], &got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("answer %v, want %v", got, tc.want)
			}
		})
	}
}

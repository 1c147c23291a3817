package worker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	querypb "go.temporal.io/api/query/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
)

// queryOrFail answers the query "ok" and fails the activation of any other
// query with "no handler for <type>"; it completes at once when its input is
// "done", else waits for cancellation.
var queryOrFail script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil && len(st.input) > 0 && st.input[0] == "done":
			out = append(out, complete("done"))
		case j.GetQueryWorkflow() != nil:
			q := j.GetQueryWorkflow()
			if q.GetQueryType() != "ok" {
				st.vars["fail"] = "no handler for " + q.GetQueryType()
				continue
			}
			out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RespondToQuery{RespondToQuery: &bridgev1.QueryResult{
				QueryId: q.GetQueryId(), Variant: &bridgev1.QueryResult_Succeeded{Succeeded: js("ok")}}}})
		}
	}
	return out
}

// A legacy query whose activation the app failed is answered with the app's
// failure as it is, as sdk-core answers it: its message is the failure's own,
// not wrapped, on a cached run and on one replayed only for the query.
func TestLegacyQueryFailedByTheAppKeepsTheFailureMessage(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"QueryOrFail": queryOrFail})
	for _, tc := range []struct {
		name  string
		input string
	}{
		{"cached run", "wait"},
		{"closed run replayed for the query", "done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := e.startWorkflow("QueryOrFail", tc.input)
			if tc.input == "done" {
				if _, err := result(t, run); err != nil {
					t.Fatal(err)
				}
			}
			ask := func(typ string) (*workflowservice.QueryWorkflowResponse, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				return e.client.WorkflowService().QueryWorkflow(ctx, &workflowservice.QueryWorkflowRequest{Namespace: "default",
					Execution: &commonpb.WorkflowExecution{WorkflowId: run.GetID(), RunId: run.GetRunID()},
					Query:     &querypb.WorkflowQuery{QueryType: typ}})
			}
			if _, err := ask("ok"); err != nil {
				t.Fatalf("query ok: %v", err)
			}
			_, err := ask("__temporal_bad")
			var qf *serviceerror.QueryFailed
			if !errors.As(err, &qf) {
				t.Fatalf("query error = %T %v, want QueryFailed", err, err)
			}
			const want = "no handler for __temporal_bad"
			if qf.Message != want || qf.Failure.GetMessage() != want || qf.Failure.GetApplicationFailureInfo().GetType() != "TypeError" {
				t.Fatalf("query failed with %q, failure %v; want %q and the app's failure", qf.Message, qf.Failure, want)
			}
			// The run still answers.
			if _, err := ask("ok"); err != nil {
				t.Fatalf("query ok after the failed one: %v", err)
			}
		})
	}
}

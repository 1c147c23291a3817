package worker_test

import (
	"context"
	"slices"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
)

// Workflow code with several coroutines may add commands after one of them
// closed the workflow; sdk-core sends those first and the first closing
// command last (its MoveTerminalCommands flag), and so does the sidecar.
func TestCommandsAfterTheClosingCommandAreSentBeforeIt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cmds   []*bridgev1.WorkflowCommand
		result string
	}{
		{"a timer after the completion", []*bridgev1.WorkflowCommand{complete("done"), startTimer(1, time.Hour)}, "done"},
		{"a second completion is dropped", []*bridgev1.WorkflowCommand{complete("first"), startTimer(1, time.Hour), complete("second")}, "first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No cache: the query below replays the history into the app.
			e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = 0 })
			e.workflowApp(map[string]script{"Closing": func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
				var out []*bridgev1.WorkflowCommand
				for _, j := range act.GetJobs() {
					switch {
					case j.GetInitializeWorkflow() != nil:
						out = append(out, tc.cmds...)
					case j.GetQueryWorkflow() != nil:
						out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RespondToQuery{RespondToQuery: &bridgev1.QueryResult{
							QueryId: j.GetQueryWorkflow().GetQueryId(), Variant: &bridgev1.QueryResult_Succeeded{Succeeded: js("replayed")}}}})
					}
				}
				return out
			}})
			run := e.startWorkflow("Closing")
			if out, err := result(t, run); err != nil || out != tc.result {
				t.Fatalf("workflow = %q, %v; want %q", out, err, tc.result)
			}
			var events []enumspb.EventType
			for _, ev := range history(t, e, run.GetID(), run.GetRunID()) {
				events = append(events, ev.GetEventType())
			}
			timer, closed := slices.Index(events, enumspb.EVENT_TYPE_TIMER_STARTED), slices.Index(events, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)
			if timer < 0 || closed != len(events)-1 || timer > closed {
				t.Fatalf("history %v, want the timer started before the completion, which is last", events)
			}
			// Replayed, the same commands match the history.
			v, err := e.client.QueryWorkflow(context.Background(), run.GetID(), run.GetRunID(), "state")
			var got string
			if err == nil {
				err = v.Get(&got)
			}
			if err != nil || got != "replayed" {
				t.Fatalf("query after a replay = %q, %v", got, err)
			}
		})
	}
}

package worker_test

import (
	"context"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	"go.temporal.io/sdk/client"
)

func updateResponse(pid string, r *bridgev1.UpdateResponse) *bridgev1.WorkflowCommand {
	r.ProtocolInstanceId = pid
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_UpdateResponse{UpdateResponse: r}}
}

// ledger keeps a list changed by the update "add" (its validator rejects
// "bad"); the update returns the list's length. The signal "finish"
// completes the workflow with the list.
var ledger script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetDoUpdate() != nil:
			u := j.GetDoUpdate()
			v := str(u.GetInput()[0])
			if u.GetRunValidator() && v == "bad" {
				out = append(out, updateResponse(u.GetProtocolInstanceId(), &bridgev1.UpdateResponse{Response: &bridgev1.UpdateResponse_Rejected{
					Rejected: &bridgev1.Failure{Message: "bad entries are not allowed", FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{
						ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "Invalid"}}}}}))
				continue
			}
			st.signals = append(st.signals, v)
			out = append(out,
				updateResponse(u.GetProtocolInstanceId(), &bridgev1.UpdateResponse{Response: &bridgev1.UpdateResponse_Accepted{Accepted: &bridgev1.UpdateAccepted{}}}),
				updateResponse(u.GetProtocolInstanceId(), &bridgev1.UpdateResponse{Response: &bridgev1.UpdateResponse_Completed{Completed: js(len(st.signals))}}))
		case j.GetSignalWorkflow().GetSignalName() == "finish":
			out = append(out, complete(strings.Join(st.signals, ",")))
		}
	}
	return out
}

func TestUpdatesAcceptRejectAndReplay(t *testing.T) {
	for _, cache := range []int{10, 0} { // 0: every task replays the accepted updates
		t.Run(map[int]string{10: "cached", 0: "replayed"}[cache], func(t *testing.T) {
			e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = cache })
			e.workflowApp(map[string]script{"Ledger": ledger})
			run := e.startWorkflow("Ledger")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			for i, tt := range []struct {
				arg  string
				want int
				err  string
			}{
				{"a", 1, ""},
				{"bad", 0, "bad entries are not allowed"},
				{"b", 2, ""},
			} {
				h, err := e.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), UpdateName: "add",
					Args: []any{tt.arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
				var n int
				if err == nil {
					err = h.Get(ctx, &n)
				}
				switch {
				case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
					t.Fatalf("update %d: %v, want rejection %q", i, err, tt.err)
				case tt.err == "" && (err != nil || n != tt.want):
					t.Fatalf("update %d = %d, %v; want %d", i, n, err, tt.want)
				}
			}
			if err := e.client.SignalWorkflow(ctx, run.GetID(), "", "finish", nil); err != nil {
				t.Fatal(err)
			}
			if out, err := result(t, run); err != nil || out != "a,b" {
				t.Fatalf("workflow = %q, %v", out, err)
			}
			e.waitIdle()
		})
	}
}

func TestUpdateOnARunNoLongerCachedIsAnsweredInItsOwnTask(t *testing.T) {
	e := newEnv(t, nil)
	first := e.workflowApp(map[string]script{"Ledger": ledger})
	run := e.startWorkflow("Ledger")
	// The first task done: closing the app mid-task would move the task,
	// and the run with it, to the next app.
	select {
	case <-first.completed:
	case <-time.After(30 * time.Second):
		t.Fatal("the first app never answered the run's first activation")
	}
	waitFor(t, "the run cached and idle", func() bool { return e.w.Workflows().Cached() == 1 && e.w.WorkflowSlots().InUse() == 0 })
	first.Close() // the app restarts: its runs leave the cache, the server still routes sticky
	e.workflowApp(map[string]script{"Ledger": ledger})
	waitFor(t, "the old app's runs dropped", func() bool { return e.w.Workflows().Cached() == 0 })
	// The update comes in a speculative task on the sticky queue; its events
	// exist only in the task. It must be answered in that task, well within
	// the 10s workflow task timeout after which the server would retry it.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	h, err := e.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), UpdateName: "add",
		Args: []any{"x"}, WaitForStage: client.WorkflowUpdateStageCompleted})
	var n int
	if err == nil {
		err = h.Get(ctx, &n)
	}
	if err != nil || n != 1 {
		t.Fatalf("update = %d, %v", n, err)
	}
	_ = e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
}

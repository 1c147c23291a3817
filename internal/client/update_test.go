package client_test

import (
	"slices"
	"strings"
	"testing"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/client"
)

func TestUpdateWorkflow(t *testing.T) {
	e := newEnv(t, client.Options{})
	update := func(t *testing.T, id, updateID, entry string, stage bridgev1.UpdateWaitStage) *bridgev1.UpdateWorkflowResponse {
		t.Helper()
		resp, err := e.cs.UpdateWorkflow(ctx(t), &bridgev1.UpdateWorkflowRequest{
			Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, UpdateName: "append",
			Args: payloads(t, entry), UpdateId: updateID, WaitForStage: stage})
		if err != nil {
			t.Fatalf("UpdateWorkflow: %v", err)
		}
		return resp
	}
	completed := bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_COMPLETED

	t.Run("waits for completion and returns the handler's result", func(t *testing.T) {
		id := workflowID(t, "done")
		run := e.start(t, id, "Ledger", "first")
		resp := update(t, id, "", "second", bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_UNSPECIFIED)
		var n int
		decode(t, resp.GetSuccess().GetPayloads()[0], &n)
		if n != 2 || resp.GetRunId() != run || resp.GetUpdateId() == "" {
			t.Errorf("response %v, want result 2 from run %s and a generated update id", resp, run)
		}
	})

	t.Run("waiting for acceptance returns once the validator accepted", func(t *testing.T) {
		id := workflowID(t, "accepted")
		run := e.start(t, id, "Ledger")
		resp := update(t, id, "u-accepted", "x", bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_ACCEPTED)
		if resp.GetFailure() != nil || resp.GetUpdateId() != "u-accepted" || resp.GetRunId() != run {
			t.Errorf("response %v, want accepted update u-accepted on run %s", resp, run)
		}
		eventually(t, "the accepted update completes", func() bool { return slices.Equal(e.entries(t, id), []string{"x"}) })
	})

	t.Run("a validator's rejection is a failure outcome, not an error", func(t *testing.T) {
		id := workflowID(t, "rejected")
		e.start(t, id, "Ledger")
		for _, stage := range []bridgev1.UpdateWaitStage{bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_ACCEPTED, completed} {
			resp := update(t, id, "", "", stage)
			if !strings.Contains(resp.GetFailure().GetMessage(), "an entry must not be empty") {
				t.Errorf("waiting for %v: response %v, want the validator's failure", stage, resp)
			}
		}
		if got := e.entries(t, id); len(got) != 0 {
			t.Errorf("entries %v after rejected updates, want none", got)
		}
	})

	t.Run("a retry with the same update id runs the update once", func(t *testing.T) {
		id := workflowID(t, "once")
		e.start(t, id, "Ledger", "first")
		a := update(t, id, "u-once", "again", completed)
		b := update(t, id, "u-once", "again", completed)
		var na, nb int
		decode(t, a.GetSuccess().GetPayloads()[0], &na)
		decode(t, b.GetSuccess().GetPayloads()[0], &nb)
		if na != 2 || nb != 2 {
			t.Errorf("results %d and %d, want 2 both times", na, nb)
		}
		if got := e.entries(t, id); !slices.Equal(got, []string{"first", "again"}) {
			t.Errorf("entries %v, want [first again]", got)
		}
	})
}

package client_test

import (
	"errors"
	"slices"
	"testing"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/client"
)

func TestUpdateWithStartWorkflow(t *testing.T) {
	e := newEnv(t, client.Options{})
	useExisting := bridgev1.WorkflowIdConflictPolicy_WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	request := func(t *testing.T, id, updateID, entry string, policy bridgev1.WorkflowIdConflictPolicy) *bridgev1.UpdateWithStartWorkflowRequest {
		return &bridgev1.UpdateWithStartWorkflowRequest{
			Options:    &bridgev1.WorkflowOptions{WorkflowId: id, WorkflowType: "Ledger", Args: payloads(t, "first"), IdConflictPolicy: policy},
			UpdateName: "append", Args: payloads(t, entry), UpdateId: updateID,
		}
	}
	send := func(t *testing.T, req *bridgev1.UpdateWithStartWorkflowRequest) *bridgev1.UpdateWithStartWorkflowResponse {
		t.Helper()
		resp, err := e.cs.UpdateWithStartWorkflow(ctx(t), req)
		if err != nil {
			t.Fatalf("UpdateWithStartWorkflow: %v", err)
		}
		return resp
	}
	count := func(t *testing.T, resp *bridgev1.UpdateWithStartWorkflowResponse) int {
		t.Helper()
		var n int
		decode(t, resp.GetUpdate().GetSuccess().GetPayloads()[0], &n)
		return n
	}

	t.Run("starts the workflow and runs the update", func(t *testing.T) {
		id := workflowID(t, "new")
		resp := send(t, request(t, id, "", "second", useExisting))
		if !resp.GetStarted() || resp.GetRunId() == "" || resp.GetUpdate().GetRunId() != resp.GetRunId() ||
			resp.GetUpdate().GetUpdateId() == "" || count(t, resp) != 2 {
			t.Errorf("response %v, want a started run whose update returned 2", resp)
		}
		if got := e.entries(t, id); !slices.Equal(got, []string{"first", "second"}) {
			t.Errorf("entries %v, want [first second]", got)
		}
	})

	t.Run("USE_EXISTING on an open run only updates it", func(t *testing.T) {
		id := workflowID(t, "existing")
		run := e.start(t, id, "Ledger", "zero")
		resp := send(t, request(t, id, "", "one", useExisting))
		if resp.GetStarted() || resp.GetRunId() != run || resp.GetUpdate().GetRunId() != run || count(t, resp) != 2 {
			t.Errorf("response %v, want the update on open run %s, returning 2, nothing started", resp, run)
		}
		if got := e.entries(t, id); !slices.Equal(got, []string{"zero", "one"}) {
			t.Errorf("entries %v, want [zero one]", got)
		}
	})

	t.Run("the same update id twice has one effect", func(t *testing.T) {
		id := workflowID(t, "once")
		a := send(t, request(t, id, "u-once", "again", useExisting))
		b := send(t, request(t, id, "u-once", "again", useExisting))
		if b.GetRunId() != a.GetRunId() || count(t, a) != 2 || count(t, b) != 2 {
			t.Errorf("responses %v and %v, want result 2 from one run both times", a, b)
		}
		if got := e.entries(t, id); !slices.Equal(got, []string{"first", "again"}) {
			t.Errorf("entries %v, want [first again]", got)
		}
	})

	t.Run("waiting for acceptance returns once the validator accepted", func(t *testing.T) {
		id := workflowID(t, "accepted")
		req := request(t, id, "u-accepted", "x", useExisting)
		req.WaitForStage = bridgev1.UpdateWaitStage_UPDATE_WAIT_STAGE_ACCEPTED
		resp := send(t, req)
		if !resp.GetStarted() || resp.GetUpdate().GetUpdateId() != "u-accepted" || resp.GetUpdate().GetFailure() != nil {
			t.Errorf("response %v, want accepted update u-accepted on a started run", resp)
		}
		eventually(t, "the accepted update completes", func() bool { return slices.Equal(e.entries(t, id), []string{"first", "x"}) })
	})

	t.Run("a validator's rejection is a failure outcome, not an error", func(t *testing.T) {
		id := workflowID(t, "rejected")
		resp := send(t, request(t, id, "", "", useExisting))
		if resp.GetUpdate().GetFailure().GetMessage() != "an entry must not be empty" {
			t.Errorf("response %v, want the validator's failure", resp)
		}
	})

	t.Run("FAIL on an open run is AlreadyExists with the server's details", func(t *testing.T) {
		id := workflowID(t, "taken")
		run := e.start(t, id, "Ledger")
		_, err := e.cs.UpdateWithStartWorkflow(ctx(t),
			request(t, id, "", "late", bridgev1.WorkflowIdConflictPolicy_WORKFLOW_ID_CONFLICT_POLICY_FAIL))
		st := wantCode(t, err, codes.AlreadyExists, id)
		if !hasAlreadyStarted(st.Details(), run) {
			t.Errorf("details %v, want WorkflowExecutionAlreadyStartedFailure for run %s", st.Details(), run)
		}
		if got := e.entries(t, id); len(got) != 0 {
			t.Errorf("entries %v, want none: the update must not run", got)
		}
	})

	for _, tc := range []struct {
		name string
		edit func(*bridgev1.UpdateWithStartWorkflowRequest)
		want string
	}{
		{"missing conflict policy", func(r *bridgev1.UpdateWithStartWorkflowRequest) {
			r.Options.IdConflictPolicy = bridgev1.WorkflowIdConflictPolicy_WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED
		}, "UpdateWithStartWorkflowRequest.options.id_conflict_policy is required"},
		{"missing update name", func(r *bridgev1.UpdateWithStartWorkflowRequest) { r.UpdateName = "" },
			"UpdateWithStartWorkflowRequest.update_name is required"},
		{"missing options", func(r *bridgev1.UpdateWithStartWorkflowRequest) { r.Options = nil },
			"UpdateWithStartWorkflowRequest.options is required"},
		{"cron schedule", func(r *bridgev1.UpdateWithStartWorkflowRequest) { r.Options.CronSchedule = "@daily" },
			"UpdateWithStartWorkflowRequest.options.cron_schedule is not allowed"},
	} {
		t.Run("refuses a request with "+tc.name, func(t *testing.T) {
			id := workflowID(t, "invalid")
			req := request(t, id, "", "x", useExisting)
			tc.edit(req)
			_, err := e.cs.UpdateWithStartWorkflow(ctx(t), req)
			wantCode(t, err, codes.InvalidArgument, tc.want)
			var notFound *serviceerror.NotFound
			if _, err := e.sdk.DescribeWorkflowExecution(ctx(t), id, ""); !errors.As(err, &notFound) {
				t.Errorf("describing %s: %v, want NotFound: nothing started", id, err)
			}
		})
	}

	t.Run("an unknown update name fails the update, after the start", func(t *testing.T) {
		id := workflowID(t, "unknown")
		req := request(t, id, "", "x", useExisting)
		req.UpdateName = "no-such-update"
		resp := send(t, req)
		if !resp.GetStarted() || resp.GetUpdate().GetFailure() == nil {
			t.Errorf("response %v, want a started run and the update's failure", resp)
		}
	})
}

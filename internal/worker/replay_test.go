package worker_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"google.golang.org/protobuf/proto"
)

// replayApp connects an app registered with replay_only, as a Replayer
// does: it names no task queue and takes no live tasks.
func (e *env) replayApp(scripts map[string]script) *scriptedApp {
	e.t.Helper()
	return e.scriptedApp(&bridgev1.Register{ProtocolVersion: 1, Identity: "replayer@" + e.t.Name(), SdkName: "bridgetest",
		ReplayOnly: true, Capacity: &bridgev1.Capacity{WorkflowActivations: 10}}, scripts)
}

// replay sends a ReplayHistory and waits for its ReplayResult.
func (s *scriptedApp) replay(t *testing.T, req *bridgev1.ReplayHistory) *bridgev1.ReplayResult {
	t.Helper()
	if err := s.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ReplayHistory{ReplayHistory: req}}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-s.results:
		if r.GetRequestId() != req.GetRequestId() {
			t.Fatalf("replay_result for request %q, want %q", r.GetRequestId(), req.GetRequestId())
		}
		return r
	case <-time.After(30 * time.Second):
		t.Fatalf("no replay_result for request %q within 30s", req.GetRequestId())
		return nil
	}
}

func jsonHistory(t *testing.T, h *historypb.History) *bridgev1.WorkflowHistory {
	t.Helper()
	b, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Json{Json: string(b)}}
}

func protoHistory(t *testing.T, h *historypb.History) *bridgev1.WorkflowHistory {
	t.Helper()
	b, err := proto.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	return &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Proto{Proto: b}}
}

func TestReplayHistoryOverTheBridge(t *testing.T) {
	e := newEnv(t, nil)
	h, wfID, runID := recordHistory(t, e)
	timerSeq, activityID := recordedIDs(h)
	same := recordedScript(timerSeq, activityID, false)
	// A live app that serves the same type: replays must never reach it.
	bystander := e.workflowApp(map[string]script{"Recorded": same})
	badTimer := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		return []*bridgev1.WorkflowCommand{startTimer(timerSeq, -time.Second)}
	}
	afterStart := proto.Clone(h).(*historypb.History)
	afterStart.Events = afterStart.Events[1:]
	const none = bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_UNSPECIFIED
	tests := []struct {
		name    string
		scripts map[string]script
		req     *bridgev1.ReplayHistory
		kind    bridgev1.ReplayFailureKind
		msg     string
	}{
		{"recorded history replays from Temporal's JSON export", map[string]script{"Recorded": same},
			&bridgev1.ReplayHistory{History: jsonHistory(t, h)}, none, ""},
		{"recorded history replays from a binary History", map[string]script{"Recorded": same},
			&bridgev1.ReplayHistory{History: protoHistory(t, h)}, none, ""},
		{"changed code reports nondeterminism", map[string]script{"Recorded": recordedScript(timerSeq, activityID, true)},
			&bridgev1.ReplayHistory{History: jsonHistory(t, h)}, bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_NONDETERMINISM,
			"the workflow issued ScheduleActivityTask (seq 1), but history has TimerStarted"},
		{"a malformed completion fails the workflow task", map[string]script{"Recorded": badTimer},
			&bridgev1.ReplayHistory{History: jsonHistory(t, h)}, bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_WORKFLOW_TASK_FAILED,
			"start_to_fire_timeout must not be negative"},
		{"unparsable JSON", map[string]script{"Recorded": same},
			&bridgev1.ReplayHistory{History: &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Json{Json: `{"events": [`}}},
			bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY, "replay_history.history.json is not a Temporal history export"},
		{"bytes that are not a History", map[string]script{"Recorded": same},
			&bridgev1.ReplayHistory{History: &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Proto{Proto: []byte{0xff, 0xff}}}},
			bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY, "replay_history.history.proto is not a binary temporal.api.history.v1.History"},
		{"no history", map[string]script{"Recorded": same}, &bridgev1.ReplayHistory{},
			bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY, "replay_history.history is empty: set json"},
		{"empty history", map[string]script{"Recorded": same},
			&bridgev1.ReplayHistory{History: &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Json{Json: `{"events": []}`}}},
			bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY, "the history has no events"},
		{"history without its start", map[string]script{"Recorded": same},
			&bridgev1.ReplayHistory{History: jsonHistory(t, afterStart)},
			bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY, "the history starts with event 2, WorkflowTaskScheduled"},
		{"workflow type the app did not register", map[string]script{"Other": same},
			&bridgev1.ReplayHistory{History: jsonHistory(t, h)},
			bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_WORKFLOW_TYPE_NOT_REGISTERED, `the history is of workflow type "Recorded", which this session did not register`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := e.replayApp(tt.scripts)
			defer app.Close()
			cachedBefore, hitsBefore, missesBefore := e.w.Workflows().Cached(), e.w.Workflows().Stats().Hits.Load(), e.w.Workflows().Stats().Misses.Load()
			answersBefore, pagesBefore := e.svc.taskAnswers.Load(), e.svc.historyPages.Load()
			tt.req.RequestId, tt.req.WorkflowId = "req-"+strconv.Itoa(i), wfID
			res := app.replay(t, tt.req)

			if got := res.GetFailure().GetKind(); got != tt.kind || !strings.Contains(res.GetFailure().GetMessage(), tt.msg) {
				t.Fatalf("replay_result = %v, want kind %s with %q", res, tt.kind, tt.msg)
			}
			acts := app.activations(runID)
			if tt.kind != bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY &&
				tt.kind != bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_WORKFLOW_TYPE_NOT_REGISTERED {
				if res.GetRunId() != runID {
					t.Errorf("replay_result.run_id = %q, want the history's %q", res.GetRunId(), runID)
				}
				// Rebuilt from history, ending with its eviction, which the
				// app had acknowledged before the result came.
				if len(acts) < 2 || !acts[0].GetIsReplaying() || acts[0].GetJobs()[0].GetInitializeWorkflow().GetWorkflowId() != wfID {
					t.Fatalf("activations = %v, want a replay from InitializeWorkflow of %s", acts, wfID)
				}
				if last := acts[len(acts)-1]; last.GetJobs()[0].GetRemoveFromCache() == nil {
					t.Fatalf("last activation = %v, want the replayed run's eviction", last)
				}
			} else if len(acts) > 0 {
				t.Fatalf("the app got %d activations for a replay refused up front", len(acts))
			}
			if tt.kind == none && len(acts) < 4 { // start, timer fired, activity resolved, eviction
				t.Fatalf("a clean replay took %d activations, want the recorded run's workflow tasks and an eviction", len(acts))
			}
			if n := len(bystander.activations(runID)); n > 0 {
				t.Fatalf("another app got %d activations of the replay", n)
			}
			if e.svc.taskAnswers.Load() != answersBefore || e.svc.historyPages.Load() != pagesBefore {
				t.Fatal("the replay called the server")
			}
			if e.w.Workflows().Cached() != cachedBefore || e.w.Workflows().Stats().Hits.Load() != hitsBefore ||
				e.w.Workflows().Stats().Misses.Load() != missesBefore {
				t.Fatal("the replay touched the sticky cache")
			}
		})
	}

	t.Run("request without an id", func(t *testing.T) {
		app := e.replayApp(map[string]script{"Recorded": same})
		defer app.Close()
		res := app.replay(t, &bridgev1.ReplayHistory{History: jsonHistory(t, h)})
		if res.GetFailure().GetKind() != bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_REQUEST ||
			!strings.Contains(res.GetFailure().GetMessage(), "replay_history.request_id is required") {
			t.Fatalf("replay_result = %v, want the missing request id named", res)
		}
	})
}

// A replay of a run that is live in the sticky cache (on another session)
// runs beside it: the live run keeps its cache entry and its next task is
// a sticky hit. The session holding the live run cannot replay it itself:
// the app would hold two runs with one id.
func TestReplayLeavesTheLiveRunOfTheSameIDAlone(t *testing.T) {
	e := newEnv(t, nil)
	live := e.workflowApp(map[string]script{"Collect": collect})
	run := e.startWorkflow("Collect")
	if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "add", "a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first signal to be applied", func() bool {
		for _, a := range live.activations(run.GetRunID()) {
			for _, j := range a.GetJobs() {
				if j.GetSignalWorkflow() != nil {
					return true
				}
			}
		}
		return false
	})
	var h *historypb.History
	waitFor(t, "the signal's workflow task to complete", func() bool {
		h = &historypb.History{Events: history(t, e, run.GetID(), run.GetRunID())}
		evs := h.GetEvents()
		return len(evs) > 0 && evs[len(evs)-1].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && len(evs) > 4
	})
	hits := e.w.Workflows().Stats().Hits.Load()

	replayer := e.replayApp(map[string]script{"Collect": collect})
	if res := replayer.replay(t, &bridgev1.ReplayHistory{RequestId: "r1", WorkflowId: run.GetID(), History: protoHistory(t, h)}); res.GetFailure() != nil {
		t.Fatalf("replay of the live run's history: %v", res.GetFailure())
	}
	if res := live.replay(t, &bridgev1.ReplayHistory{RequestId: "r2", WorkflowId: run.GetID(), History: protoHistory(t, h)}); res.GetFailure().GetKind() != bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_REQUEST ||
		!strings.Contains(res.GetFailure().GetMessage(), "is already running on this session") {
		t.Fatalf("replay from the session holding the run = %v, want it refused", res)
	}
	if n := e.w.Workflows().Cached(); n != 1 {
		t.Fatalf("%d runs cached after the replay, want the live one", n)
	}
	if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "add", "b"); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "a+b" {
		t.Fatalf("live run = %q, %v; want a+b", out, err)
	}
	if e.w.Workflows().Stats().Hits.Load() == hits {
		t.Fatal("the live run's next task missed the sticky cache after the replay")
	}
}

// A replay-only session is never given live work, and does not make the
// sidecar ready: only an app that runs tasks does.
func TestReplayOnlySessionTakesNoLiveTasks(t *testing.T) {
	e := newEnv(t, nil)
	replayer := e.replayApp(map[string]script{"Timer": timerThenDone})
	if err := e.w.Ready(); err == nil {
		t.Fatal("ready with only a replay-only app connected")
	}
	run := e.startWorkflow("Timer")
	e.workflowApp(map[string]script{"Timer": timerThenDone})
	if out, err := result(t, run); err != nil || out != "fired" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	if err := e.w.Ready(); err != nil {
		t.Fatalf("not ready with an app connected: %v", err)
	}
	if n := len(replayer.activations(run.GetRunID())); n > 0 {
		t.Fatalf("the replay-only app got %d live activations", n)
	}
}

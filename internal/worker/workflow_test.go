package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"
)

// wfState is a scripted workflow run's memory in the test app.
type wfState struct {
	input   []string
	signals []string
	vars    map[string]string
}

// script is a deterministic workflow: it turns one activation's jobs into
// commands, given the run's state.
type script func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand

// scriptedApp runs scripted workflows (and echoes activities) for a test.
type scriptedApp struct {
	*bridgetest.App
	mu        sync.Mutex
	runs      map[string]*wfState
	seen      []*bridgev1.WorkflowActivation // every activation received
	completed chan *bridgev1.WorkflowActivation
	errors    chan *bridgev1.CompletionError
	gate      chan struct{} // "Gate" activities complete once it is closed
	results   chan *bridgev1.ReplayResult
	// behavior is the versioning behavior every completion declares; under mu.
	behavior bridgev1.VersioningBehavior
}

// declare makes every later completion declare versioning behavior b.
func (s *scriptedApp) declare(b bridgev1.VersioningBehavior) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.behavior = b
}

// workflowApp connects an app serving the given scripted workflow types, and
// the activity "Echo", and starts answering.
func (e *env) workflowApp(scripts map[string]script) *scriptedApp {
	e.t.Helper()
	reg := &bridgev1.Register{ProtocolVersion: 1, Identity: "wfapp@" + e.t.Name(), SdkName: "bridgetest", TaskQueue: e.queue,
		Activities: []*bridgev1.ActivityRegistration{{Name: "Echo"}, {Name: "Boom"}, {Name: "Hang"}, {Name: "Flaky"}, {Name: "Slow"}, {Name: "Gate"}},
		Capacity:   &bridgev1.Capacity{WorkflowActivations: 10, Activities: 10, LocalActivities: 10}}
	return e.scriptedApp(reg, scripts)
}

// scriptedApp connects an app with the given registration (plus the
// scripted workflow types) and starts answering.
func (e *env) scriptedApp(reg *bridgev1.Register, scripts map[string]script) *scriptedApp {
	e.t.Helper()
	for name := range scripts {
		if !slices.ContainsFunc(reg.Workflows, func(w *bridgev1.WorkflowRegistration) bool { return w.GetName() == name }) {
			reg.Workflows = append(reg.Workflows, &bridgev1.WorkflowRegistration{Name: name})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := bridgetest.Dial(ctx, e.target, reg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(a.Close)
	s := &scriptedApp{App: a, runs: map[string]*wfState{}, completed: make(chan *bridgev1.WorkflowActivation, 1000),
		errors: make(chan *bridgev1.CompletionError, 100), gate: make(chan struct{}), results: make(chan *bridgev1.ReplayResult, 100)}
	go s.serve(scripts)
	hangs := &hanging{cancelled: map[string]chan struct{}{}}
	go func() {
		for {
			task, err := a.NextActivity(time.Hour)
			if err != nil {
				return
			}
			switch st := task.GetStart(); {
			case st == nil: // a cancel: Hang answers it below
				hangs.cancel(task.GetTaskToken())
			case st.GetActivityType() == "Boom":
				_ = a.CompleteActivity(task.GetTaskToken(), bridgetest.Failed(&bridgev1.Failure{Message: "boom",
					FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "Boom", NonRetryable: true}}}))
			case st.GetActivityType() == "Hang":
				go hangs.run(a, task.GetTaskToken())
			case st.GetActivityType() == "Flaky" && st.GetAttempt() < 2:
				_ = a.CompleteActivity(task.GetTaskToken(), bridgetest.Failed(&bridgev1.Failure{Message: "try again",
					FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "Flaky"}}}))
			case st.GetActivityType() == "Gate":
				token, in := task.GetTaskToken(), st.GetInput()[0]
				go func() { <-s.gate; _ = a.CompleteActivity(token, bridgetest.Completed(in)) }()
			case st.GetActivityType() == "Slow":
				token, in := task.GetTaskToken(), st.GetInput()[0]
				time.AfterFunc(3*time.Second, func() { _ = a.CompleteActivity(token, bridgetest.Completed(in)) })
			default:
				_ = a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(st.GetInput()[0]))
			}
		}
	}()
	go func() {
		for {
			m, err := a.Next(time.Hour)
			if err != nil {
				return
			}
			if ce := m.GetCompletionError(); ce != nil {
				s.errors <- ce
			}
			if r := m.GetReplayResult(); r != nil {
				s.results <- r
			}
		}
	}()
	return s
}

func (s *scriptedApp) serve(scripts map[string]script) {
	for {
		act, err := s.NextActivation(time.Hour)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.seen = append(s.seen, act)
		st := s.runs[act.GetRunId()]
		var cmds []*bridgev1.WorkflowCommand
		evict := false
		var typ string
		for _, j := range act.GetJobs() {
			if init := j.GetInitializeWorkflow(); init != nil {
				st = &wfState{vars: map[string]string{"type": init.GetWorkflowType()}}
				for _, p := range init.GetArguments() {
					var v string
					_ = json.Unmarshal(p.GetData(), &v)
					st.input = append(st.input, v)
				}
				s.runs[act.GetRunId()] = st
			}
			if j.GetRemoveFromCache() != nil {
				evict = true
			}
		}
		if st != nil {
			typ = st.vars["type"]
		}
		switch {
		case evict:
			delete(s.runs, act.GetRunId())
		case st == nil:
			s.mu.Unlock()
			_ = s.FailActivation(act.GetRunId(), &bridgev1.Failure{Message: "activation for a run the app does not hold"})
			continue
		default:
			cmds = scripts[typ](st, act)
		}
		// A script fails the activation by setting vars["fail"].
		fail := ""
		if st != nil {
			fail = st.vars["fail"]
			delete(st.vars, "fail")
		}
		vb := s.behavior
		s.mu.Unlock()
		if fail != "" {
			_ = s.FailActivation(act.GetRunId(), &bridgev1.Failure{Message: fail,
				FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "TypeError"}}})
			s.completed <- act
			continue
		}
		_ = s.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{WorkflowCompletion: &bridgev1.WorkflowActivationCompletion{
			RunId: act.GetRunId(), Status: &bridgev1.WorkflowActivationCompletion_Successful{Successful: &bridgev1.WorkflowActivationSuccess{
				Commands: cmds, VersioningBehavior: vb}}}}})
		s.completed <- act
	}
}

// activations returns the activations received so far for a run.
func (s *scriptedApp) activations(runID string) []*bridgev1.WorkflowActivation {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*bridgev1.WorkflowActivation
	for _, a := range s.seen {
		if a.GetRunId() == runID {
			out = append(out, a)
		}
	}
	return out
}

func js(v any) *bridgev1.Payload {
	b, _ := json.Marshal(v)
	return &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: b}
}

func str(p *bridgev1.Payload) string {
	var s string
	_ = json.Unmarshal(p.GetData(), &s)
	return s
}

func complete(v any) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CompleteWorkflowExecution{
		CompleteWorkflowExecution: &bridgev1.CompleteWorkflowExecution{Result: js(v)}}}
}

func startTimer(seq uint32, d time.Duration) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_StartTimer{StartTimer: &bridgev1.StartTimer{
		Seq: seq, StartToFireTimeout: durationpb.New(d)}}}
}

func scheduleEcho(seq uint32, arg string, cancel bridgev1.CancellationType) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{
		Seq: seq, ActivityType: "Echo", Arguments: []*bridgev1.Payload{js(arg)}, StartToCloseTimeout: durationpb.New(time.Minute),
		CancellationType: cancel}}}
}

// scripts used by several tests.
var (
	// timerThenDone sleeps 100ms, then completes with "fired".
	timerThenDone script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		var out []*bridgev1.WorkflowCommand
		for _, j := range act.GetJobs() {
			switch {
			case j.GetInitializeWorkflow() != nil:
				out = append(out, startTimer(1, 100*time.Millisecond))
			case j.GetFireTimer() != nil:
				out = append(out, complete("fired"))
			}
		}
		return out
	}
	// echoTwice runs the activity Echo twice in sequence and completes with both results.
	echoTwice script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		var out []*bridgev1.WorkflowCommand
		for _, j := range act.GetJobs() {
			switch {
			case j.GetInitializeWorkflow() != nil:
				out = append(out, scheduleEcho(1, "a", 0))
			case j.GetResolveActivity() != nil:
				r := j.GetResolveActivity()
				st.vars[string(rune('0'+r.GetSeq()))] = str(r.GetResult().GetCompleted().GetResult())
				if r.GetSeq() == 1 {
					out = append(out, scheduleEcho(2, "b", 0))
				} else {
					out = append(out, complete(st.vars["1"]+st.vars["2"]))
				}
			}
		}
		return out
	}
	// collect waits for two signals "add" and completes with their values joined;
	// it answers the query "count" with the number received so far.
	collect script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		var out []*bridgev1.WorkflowCommand
		for _, j := range act.GetJobs() {
			switch {
			case j.GetSignalWorkflow() != nil:
				st.signals = append(st.signals, str(j.GetSignalWorkflow().GetInput()[0]))
			case j.GetQueryWorkflow() != nil:
				q := j.GetQueryWorkflow()
				out = append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RespondToQuery{RespondToQuery: &bridgev1.QueryResult{
					QueryId: q.GetQueryId(), Variant: &bridgev1.QueryResult_Succeeded{Succeeded: js(len(st.signals))}}}})
			case j.GetCancelWorkflow() != nil:
				return append(out, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelWorkflowExecution{
					CancelWorkflowExecution: &bridgev1.CancelWorkflowExecution{}}})
			}
		}
		if len(st.signals) >= 2 && !isQueryOnly(act) {
			out = append(out, complete(strings.Join(st.signals, "+")))
		}
		return out
	}
)

func isQueryOnly(act *bridgev1.WorkflowActivation) bool {
	for _, j := range act.GetJobs() {
		if j.GetQueryWorkflow() == nil {
			return false
		}
	}
	return true
}

func (e *env) startWorkflow(typ string, args ...any) client.WorkflowRun {
	e.t.Helper()
	run, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: e.queue,
		WorkflowExecutionTimeout: 2 * time.Minute, WorkflowTaskTimeout: 10 * time.Second}, typ, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

func TestTimerWorkflowCompletes(t *testing.T) {
	e := newEnv(t, nil)
	app := e.workflowApp(map[string]script{"Timer": timerThenDone})
	run := e.startWorkflow("Timer")
	if out, err := result(t, run); err != nil || out != "fired" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	acts := app.activations(run.GetRunID())
	if len(acts) < 2 || acts[0].GetJobs()[0].GetInitializeWorkflow().GetWorkflowId() != run.GetID() || acts[0].GetIsReplaying() {
		t.Fatalf("activations = %v", acts)
	}
	e.waitIdle()
}

func TestActivitiesFromScriptedWorkflow(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"EchoTwice": echoTwice})
	run := e.startWorkflow("EchoTwice")
	if out, err := result(t, run); err != nil || out != "ab" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

func TestSignalsBeforeAndAfterStartAndQueries(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"Collect": collect})
	ctx := context.Background()
	run, err := e.client.SignalWithStartWorkflow(ctx, "collect-"+e.queue, "add", "first",
		client.StartWorkflowOptions{TaskQueue: e.queue, WorkflowExecutionTimeout: time.Minute}, "Collect")
	if err != nil {
		t.Fatal(err)
	}
	// A query answered by the cached run (a legacy query task).
	waitQuery(t, e, run.GetID(), 1)
	if err := e.client.SignalWorkflow(ctx, run.GetID(), "", "add", "second"); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "first+second" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

// waitQuery queries "count" until it reports want.
func waitQuery(t *testing.T, e *env, id string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := e.client.QueryWorkflow(ctx, id, "", "count")
		cancel()
		var n int
		if err == nil {
			err = v.Get(&n)
		}
		if err == nil && n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("query count = %d, %v; want %d", n, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorkflowCancellation(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"Collect": collect})
	run := e.startWorkflow("Collect")
	waitQuery(t, e, run.GetID(), 0)
	if err := e.client.CancelWorkflow(context.Background(), run.GetID(), ""); err != nil {
		t.Fatal(err)
	}
	_, err := result(t, run)
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("workflow error = %v, want cancelled", err)
	}
	e.waitIdle()
}

func TestContinueAsNewRunsAgain(t *testing.T) {
	e := newEnv(t, nil)
	countdown := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		if act.GetJobs()[0].GetInitializeWorkflow() == nil {
			return nil
		}
		n := len(st.input[0])
		if n == 0 {
			return []*bridgev1.WorkflowCommand{complete("liftoff")}
		}
		return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_ContinueAsNewWorkflowExecution{
			ContinueAsNewWorkflowExecution: &bridgev1.ContinueAsNewWorkflowExecution{Arguments: []*bridgev1.Payload{js(st.input[0][1:])}}}}}
	}
	e.workflowApp(map[string]script{"Countdown": countdown})
	run := e.startWorkflow("Countdown", "xxx")
	if out, err := result(t, run); err != nil || out != "liftoff" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

// Nondeterminism fails the workflow task and tells the app; an app that
// registered that nondeterminism fails the workflow (sdk-core's
// workflow_failure_errors), for the type or for all, gets the run failed
// with the same message instead.
func TestNonDeterminismFailsTaskAndTellsApp(t *testing.T) {
	tests := []struct {
		name         string
		all, forType bool
	}{
		{"the task fails", false, false},
		{"registered for every type: the workflow fails", true, false},
		{"registered for the type: the workflow fails", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = 0 }) // every task replays
			flip := false
			var mu sync.Mutex
			// The first time it runs, the workflow starts a timer; on replay it
			// schedules an activity instead: code changed under a running workflow.
			changing := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
				mu.Lock()
				defer mu.Unlock()
				for _, j := range act.GetJobs() {
					if j.GetInitializeWorkflow() != nil {
						if flip {
							return []*bridgev1.WorkflowCommand{scheduleEcho(1, "x", 0)}
						}
						flip = true
						return []*bridgev1.WorkflowCommand{startTimer(1, 200*time.Millisecond)}
					}
					if j.GetFireTimer() != nil {
						return []*bridgev1.WorkflowCommand{complete("never")}
					}
				}
				return nil
			}
			app := e.scriptedApp(&bridgev1.Register{ProtocolVersion: 1, Identity: "wfapp@" + t.Name(), SdkName: "bridgetest", TaskQueue: e.queue,
				NondeterminismFailsWorkflow: tt.all,
				Workflows:                   []*bridgev1.WorkflowRegistration{{Name: "Changing", NondeterminismFailsWorkflow: tt.forType}},
				Capacity:                    &bridgev1.Capacity{WorkflowActivations: 10}}, map[string]script{"Changing": changing})
			run := e.startWorkflow("Changing")
			const want = "the workflow issued ScheduleActivityTask (seq 1), but history has TimerStarted"
			select {
			case ce := <-app.errors:
				if ce.GetKind() != bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_NONDETERMINISM || !strings.Contains(ce.GetMessage(), want) {
					t.Fatalf("completion error = %v", ce)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("app was not told about the nondeterminism")
			}
			if !tt.all && !tt.forType {
				waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, causes []enumspb.WorkflowTaskFailedCause) bool {
					return len(causes) > 0 && causes[0] == enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
				})
				_ = e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
				return
			}
			_, err := result(t, run)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || !strings.Contains(appErr.Error(), want) {
				t.Fatalf("workflow error = %v, want it failed with the nondeterminism", err)
			}
		})
	}
}

// history is the workflow's history so far; an empty run id means the
// latest run.
func history(t *testing.T, e *env, id, runID string) []*historypb.HistoryEvent {
	t.Helper()
	var out []*historypb.HistoryEvent
	it := e.client.GetWorkflowHistory(context.Background(), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

// waitHistory waits until the workflow's history satisfies ok.
func waitHistory(t *testing.T, e *env, id string, ok func(map[enumspb.EventType]int, []enumspb.WorkflowTaskFailedCause) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		counts := map[enumspb.EventType]int{}
		var causes []enumspb.WorkflowTaskFailedCause
		for _, ev := range history(t, e, id, "") {
			counts[ev.GetEventType()]++
			if a := ev.GetWorkflowTaskFailedEventAttributes(); a != nil {
				causes = append(causes, a.GetCause())
			}
		}
		if ok(counts, causes) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("history never matched: %v, causes %v", counts, causes)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hanging runs "Hang" activities: they heartbeat until cancelled, then answer cancelled.
type hanging struct {
	mu        sync.Mutex
	cancelled map[string]chan struct{}
}

func (h *hanging) ch(token []byte) chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.cancelled[string(token)]
	if c == nil {
		c = make(chan struct{})
		h.cancelled[string(token)] = c
	}
	return c
}

func (h *hanging) cancel(token []byte) { close(h.ch(token)) }

func (h *hanging) run(a *bridgetest.App, token []byte) {
	c := h.ch(token)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-c:
			_ = a.CompleteActivity(token, bridgetest.Cancelled())
			return
		case <-tick.C:
			if a.Heartbeat(token) != nil {
				return
			}
		}
	}
}

func cancelActivity(seq uint32) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RequestCancelActivity{RequestCancelActivity: &bridgev1.RequestCancelActivity{Seq: seq}}}
}

// activityOutcome schedules input[0] as an activity type with cancellation
// type input[1]; on the signal "cancel" it cancels it. It completes with
// "<status>:<detail>" once the activity resolves.
var activityOutcome script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	var out []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetInitializeWorkflow() != nil:
			ct := bridgev1.CancellationType(bridgev1.CancellationType_value[st.input[1]])
			cmd := scheduleEcho(1, "x", ct)
			cmd.GetScheduleActivity().ActivityType = st.input[0]
			cmd.GetScheduleActivity().HeartbeatTimeout = durationpb.New(5 * time.Second)
			cmd.GetScheduleActivity().RetryPolicy = &bridgev1.RetryPolicy{MaximumAttempts: 1}
			out = append(out, cmd)
		case j.GetSignalWorkflow() != nil:
			out = append(out, cancelActivity(1))
		case j.GetResolveActivity() != nil:
			r := j.GetResolveActivity().GetResult()
			switch {
			case r.GetCompleted() != nil:
				out = append(out, complete("completed:"+str(r.GetCompleted().GetResult())))
			case r.GetFailed() != nil:
				f := r.GetFailed().GetFailure()
				out = append(out, complete("failed:"+f.GetCause().GetApplicationFailureInfo().GetType()+":"+f.GetActivityFailureInfo().GetActivityType().GetName()))
			case r.GetCancelled() != nil:
				out = append(out, complete("cancelled:"+r.GetCancelled().GetFailure().GetActivityFailureInfo().GetRetryState().String()))
			}
		}
	}
	return out
}

func TestActivityOutcomesReachScriptedWorkflow(t *testing.T) {
	tests := []struct {
		name, activity, cancelType string
		signal                     bool
		want                       string
	}{
		{"result", "Echo", "CANCELLATION_TYPE_TRY_CANCEL", false, "completed:x"},
		{"failure keeps type", "Boom", "CANCELLATION_TYPE_TRY_CANCEL", false, "failed:Boom:Boom"},
		{"try-cancel resolves at once", "Hang", "CANCELLATION_TYPE_TRY_CANCEL", true, "cancelled:RETRY_STATE_CANCEL_REQUESTED"},
		{"abandon resolves at once", "Hang", "CANCELLATION_TYPE_ABANDON", true, "cancelled:RETRY_STATE_CANCEL_REQUESTED"},
		{"wait-cancellation-completed waits for the app", "Hang", "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED", true, "cancelled:RETRY_STATE_CANCEL_REQUESTED"},
	}
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"Outcome": activityOutcome})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := e.startWorkflow("Outcome", tt.activity, tt.cancelType)
			if tt.signal {
				waitPending(t, e, run.GetID())
				if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "cancel", nil); err != nil {
					t.Fatal(err)
				}
			}
			if out, err := result(t, run); err != nil || out != tt.want {
				t.Fatalf("workflow = %q, %v; want %q", out, err, tt.want)
			}
			if tt.cancelType == "CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED" {
				waitHistory(t, e, run.GetID(), func(ev map[enumspb.EventType]int, _ []enumspb.WorkflowTaskFailedCause) bool {
					return ev[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED] == 1
				})
			}
		})
	}
	e.waitIdle()
}

func TestCacheSizeZeroReplaysEveryTask(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = 0 })
	app := e.workflowApp(map[string]script{"EchoTwice": echoTwice})
	run := e.startWorkflow("EchoTwice")
	if out, err := result(t, run); err != nil || out != "ab" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	// Three workflow tasks: each ends in an eviction, and the last two start
	// by replaying the run from its first event.
	var evictions, replayedInits int
	waitFor(t, "three evictions", func() bool {
		evictions, replayedInits = 0, 0
		for _, a := range app.activations(run.GetRunID()) {
			for _, j := range a.GetJobs() {
				if j.GetRemoveFromCache() != nil {
					evictions++
				}
				if j.GetInitializeWorkflow() != nil && a.GetIsReplaying() {
					replayedInits++
				}
			}
		}
		return evictions == 3
	})
	if replayedInits != 2 {
		t.Fatalf("replayed initializations %d, want 2", replayedInits)
	}
	// The engine drops a run once the app acknowledges its eviction, which
	// happens just after the app records the activation.
	waitFor(t, "an empty cache with size 0", func() bool { return e.w.Workflows().Cached() == 0 })
	e.waitIdle()
}

func TestSmallCacheEvictsLeastRecentlyUsed(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = 1 })
	app := e.workflowApp(map[string]script{"Collect": collect})
	first := e.startWorkflow("Collect")
	waitQuery(t, e, first.GetID(), 0)
	second := e.startWorkflow("Collect")
	waitQuery(t, e, second.GetID(), 0)
	waitFor(t, "the first run evicted for cache pressure", func() bool {
		for _, a := range app.activations(first.GetRunID()) {
			if a.GetJobs()[0].GetRemoveFromCache().GetReason() == bridgev1.EvictionReason_EVICTION_REASON_CACHE_FULL {
				return true
			}
		}
		return false
	})
	// The evicted run still works: its next task replays it.
	for _, v := range []string{"1", "2"} {
		if err := e.client.SignalWorkflow(context.Background(), first.GetID(), "", "add", v); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := result(t, first); err != nil || out != "1+2" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	_ = e.client.TerminateWorkflow(context.Background(), second.GetID(), "", "test over")
}

func TestStickyCacheMissAfterReconnectReplays(t *testing.T) {
	e := newEnv(t, nil)
	first := e.workflowApp(map[string]script{"Collect": collect})
	run := e.startWorkflow("Collect")
	waitQuery(t, e, run.GetID(), 0)
	first.Close()
	second := e.workflowApp(map[string]script{"Collect": collect})
	waitFor(t, "the first app's runs dropped", func() bool { return e.w.Workflows().Cached() == 0 })
	for _, v := range []string{"x", "y"} {
		if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "add", v); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := result(t, run); err != nil || out != "x+y" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	acts := second.activations(run.GetRunID())
	if len(acts) == 0 || acts[0].GetJobs()[0].GetInitializeWorkflow() == nil || !acts[0].GetIsReplaying() {
		t.Fatalf("the second app's first activation = %v, want a replayed initialization", acts)
	}
	e.waitIdle()
}

func TestAppLossMidActivationMovesRunToAnotherApp(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	silent, err := bridgetest.Dial(ctx, e.target, &bridgev1.Register{ProtocolVersion: 1, Identity: "silent", TaskQueue: e.queue,
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Timer"}}, Capacity: &bridgev1.Capacity{WorkflowActivations: 1}})
	if err != nil {
		t.Fatal(err)
	}
	run := e.startWorkflow("Timer")
	if _, err := silent.NextActivation(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	backup := e.workflowApp(map[string]script{"Timer": timerThenDone})
	silent.Close() // dies holding the activation
	if out, err := result(t, run); err != nil || out != "fired" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	if len(backup.activations(run.GetRunID())) == 0 {
		t.Fatal("the backup app never ran the workflow")
	}
	e.waitIdle()
}

func TestLegacyQueryOnUncachedRunReplaysWithoutCaching(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = 0 })
	app := e.workflowApp(map[string]script{"Collect": collect})
	run := e.startWorkflow("Collect")
	if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "add", "one"); err != nil {
		t.Fatal(err)
	}
	waitQuery(t, e, run.GetID(), 1)
	// That query may have ridden on the signal's workflow task; with the
	// workflow now idle, this one comes as a query task of its own.
	waitQuery(t, e, run.GetID(), 1)
	waitFor(t, "the query-only replay evicted", func() bool {
		for _, a := range app.activations(run.GetRunID()) {
			if a.GetJobs()[0].GetRemoveFromCache().GetReason() == bridgev1.EvictionReason_EVICTION_REASON_QUERY_ONLY {
				return true
			}
		}
		return false
	})
	waitFor(t, "an empty cache after a query", func() bool { return e.w.Workflows().Cached() == 0 })
	_ = e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
}

func TestLongHistoryIsPaged(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.MaxCachedWorkflows = 0 })
	count := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		var out []*bridgev1.WorkflowCommand
		for _, j := range act.GetJobs() {
			if j.GetSignalWorkflow() != nil {
				st.signals = append(st.signals, str(j.GetSignalWorkflow().GetInput()[0]))
			}
		}
		if len(st.signals) == 30 && !isQueryOnly(act) {
			out = append(out, complete(strings.Join(st.signals, "")))
		}
		return out
	}
	e.workflowApp(map[string]script{"Count": count})
	run := e.startWorkflow("Count")
	want := ""
	for i := range 30 {
		v := string(rune('a' + i%26))
		want += v
		if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "add", v); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := result(t, run); err != nil || out != want {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	// The package's dev server pages history 20 events at a time.
	if n := e.svc.historyPages.Load(); n == 0 {
		t.Fatal("a history of more than one page was never paged")
	}
	e.waitIdle()
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Recorded is a Go SDK workflow whose history the sidecar must replay.
func Recorded(ctx workflow.Context, name string) (string, error) {
	if err := workflow.Sleep(ctx, 100*time.Millisecond); err != nil {
		return "", err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var out string
	if err := workflow.ExecuteActivity(ctx, "Echo", name).Get(ctx, &out); err != nil {
		return "", err
	}
	return "hello " + out, nil
}

// recordHistory runs Recorded in a Go SDK worker and returns its history as
// the JSON Temporal's tools export, parsed back.
func recordHistory(t *testing.T, e *env) (*historypb.History, string, string) {
	t.Helper()
	queue := e.queue + "-recorded"
	sw := sdkworker.New(e.client, queue, sdkworker.Options{})
	sw.RegisterWorkflow(Recorded)
	sw.RegisterActivityWithOptions(func(ctx context.Context, s string) (string, error) { return s, nil }, activity.RegisterOptions{Name: "Echo"})
	if err := sw.Start(); err != nil {
		t.Fatal(err)
	}
	defer sw.Stop()
	run, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: queue}, Recorded, "world")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := result(t, run); err != nil {
		t.Fatal(err)
	}
	h := &historypb.History{Events: history(t, e, run.GetID(), run.GetRunID())}
	data, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	parsed := &historypb.History{}
	if err := (temporalproto.CustomJSONUnmarshalOptions{}).Unmarshal(data, parsed); err != nil {
		t.Fatal(err)
	}
	return parsed, run.GetID(), run.GetRunID()
}

// recordedIDs are the timer seq and activity id the Go SDK chose for Recorded.
func recordedIDs(h *historypb.History) (timerSeq uint32, activityID string) {
	for _, ev := range h.GetEvents() {
		if a := ev.GetTimerStartedEventAttributes(); a != nil {
			n, _ := strconv.ParseUint(a.GetTimerId(), 10, 32)
			timerSeq = uint32(n)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			activityID = a.GetActivityId()
		}
	}
	return timerSeq, activityID
}

// recordedScript mirrors Recorded using the ids the Go SDK chose.
func recordedScript(timerSeq uint32, activityID string, skipTimer bool) script {
	return func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		var out []*bridgev1.WorkflowCommand
		schedule := func() {
			cmd := scheduleEcho(1, st.input[0], 0)
			cmd.GetScheduleActivity().ActivityId = activityID
			out = append(out, cmd)
		}
		for _, j := range act.GetJobs() {
			switch {
			case j.GetInitializeWorkflow() != nil && skipTimer:
				schedule()
			case j.GetInitializeWorkflow() != nil:
				out = append(out, startTimer(timerSeq, 100*time.Millisecond))
			case j.GetFireTimer() != nil:
				schedule()
			case j.GetResolveActivity() != nil:
				out = append(out, complete("hello "+str(j.GetResolveActivity().GetResult().GetCompleted().GetResult())))
			}
		}
		return out
	}
}

func TestReplaysHistoryRecordedByGoSDK(t *testing.T) {
	e := newEnv(t, nil)
	h, wfID, runID := recordHistory(t, e)
	timerSeq, activityID := recordedIDs(h)
	tests := []struct {
		name      string
		skipTimer bool
		want      string // "" for a clean replay
	}{
		{"same logic replays cleanly", false, ""},
		{"changed logic is nondeterministic", true, "the workflow issued ScheduleActivityTask (seq 1), but history has TimerStarted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := e.workflowApp(map[string]script{"Recorded": recordedScript(timerSeq, activityID, tt.skipTimer)})
			defer app.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := e.w.Workflows().Replay(ctx, wfID, runID, h.GetEvents())
			if tt.want == "" && (err != nil || len(app.activations(runID)) < 3) {
				t.Fatalf("replay: %v after %d activations", err, len(app.activations(runID)))
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("replay = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBadCompletionsFailTheTaskWithTheRightCause(t *testing.T) {
	command := func(c *bridgev1.WorkflowCommand) func(*bridgetest.App, string) error {
		return func(app *bridgetest.App, runID string) error { return app.CompleteActivation(runID, c) }
	}
	tests := []struct {
		name   string
		answer func(app *bridgetest.App, runID string) error
		cause  enumspb.WorkflowTaskFailedCause
		appMsg string // what the app is told, if anything
	}{
		{"cancel of an unknown timer",
			command(&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelTimer{CancelTimer: &bridgev1.CancelTimer{Seq: 9}}}),
			enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, "commands[0].cancel_timer.seq 9 names a timer that was never started"},
		{"activity without timeouts",
			command(&bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{Seq: 1, ActivityType: "Echo"}}}),
			enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, "commands[0].schedule_activity needs schedule_to_close_timeout or start_to_close_timeout"},
		{"timer with a negative duration", command(startTimer(1, -time.Second)),
			enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, "commands[0].start_timer.start_to_fire_timeout must not be negative"},
		{"empty command", command(&bridgev1.WorkflowCommand{}),
			enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, "commands[0] is empty; set one of its variant fields"},
		{"completion without status", func(app *bridgetest.App, runID string) error {
			return app.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{
				WorkflowCompletion: &bridgev1.WorkflowActivationCompletion{RunId: runID}}})
		}, enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, "has no status: set successful or failed"},
		{"app fails the activation", func(app *bridgetest.App, runID string) error {
			return app.FailActivation(runID, &bridgev1.Failure{Message: "workflow code crashed"})
		}, enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, ""},
	}
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	app, err := bridgetest.Dial(ctx, e.target, &bridgev1.Register{ProtocolVersion: 1, Identity: "bad", TaskQueue: e.queue,
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Bad"}}, Capacity: &bridgev1.Capacity{WorkflowActivations: 10}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := e.startWorkflow("Bad")
			defer e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
			act := nextFor(t, app, run.GetRunID())
			if err := tt.answer(app, act.GetRunId()); err != nil {
				t.Fatal(err)
			}
			if tt.appMsg != "" {
				m, err := app.Next(30 * time.Second)
				ce := m.GetCompletionError()
				if err != nil || ce.GetKind() != bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_MALFORMED || !strings.Contains(ce.GetMessage(), tt.appMsg) {
					t.Fatalf("app told %v, %v; want malformed %q", m, err, tt.appMsg)
				}
			}
			evict := nextFor(t, app, run.GetRunID())
			if evict.GetJobs()[0].GetRemoveFromCache() == nil {
				t.Fatalf("after a failed task the app got %v, want an eviction", evict)
			}
			if err := app.CompleteActivation(evict.GetRunId()); err != nil {
				t.Fatal(err)
			}
			waitHistory(t, e, run.GetID(), func(_ map[enumspb.EventType]int, causes []enumspb.WorkflowTaskFailedCause) bool {
				return len(causes) == 1 && causes[0] == tt.cause
			})
		})
	}
}

// nextFor returns the app's next activation for the run, skipping others'.
func nextFor(t *testing.T, app *bridgetest.App, runID string) *bridgev1.WorkflowActivation {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		act, err := app.NextActivation(time.Until(deadline))
		if err != nil {
			t.Fatal(err)
		}
		if act.GetRunId() == runID {
			return act
		}
	}
	t.Fatalf("no activation for run %s", runID)
	return nil
}

func TestUnregisteredWorkflowTypeFailsTask(t *testing.T) {
	e := newEnv(t, nil)
	e.workflowApp(map[string]script{"Timer": timerThenDone})
	// The app serves "Timer" only; a task for another type is failed with a
	// message saying so (not polled forever, not hung).
	run, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: e.queue}, "Unknown")
	if err != nil {
		t.Fatal(err)
	}
	defer e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
	waitHistory(t, e, run.GetID(), func(_ map[enumspb.EventType]int, causes []enumspb.WorkflowTaskFailedCause) bool {
		return len(causes) > 0 && causes[0] == enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
	})
}

func TestEagerActivitiesSkipThePoll(t *testing.T) {
	tests := []struct {
		eager      bool
		queueRate  float64 // TaskQueueActivitiesPerSecond
		wantPolled int64
	}{
		{eager: true, wantPolled: 0},
		{eager: false, wantPolled: 2},
		// A task-queue rate limit turns eager execution off, as in sdk-core,
		// so the server's limit holds for every start.
		{eager: true, queueRate: 1000, wantPolled: 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("eager=%v,queueRate=%v", tt.eager, tt.queueRate), func(t *testing.T) {
			e := newEnv(t, func(o *worker.Options) {
				o.EagerActivities, o.TaskQueueActivitiesPerSecond = tt.eager, tt.queueRate
			})
			e.workflowApp(map[string]script{"EchoTwice": echoTwice})
			run := e.startWorkflow("EchoTwice")
			if out, err := result(t, run); err != nil || out != "ab" {
				t.Fatalf("workflow = %q, %v", out, err)
			}
			if n := e.svc.polledTasks.Load(); n != tt.wantPolled {
				t.Fatalf("%d activities came by poll, want %d", n, tt.wantPolled)
			}
			e.waitIdle()
		})
	}
}

// Eager starts take their tokens from the worker's own ActivitiesPerSecond,
// as polled ones do: two activities in sequence on a worker limited to one a
// second (burst one, the first token going to the first poll) cannot both
// start within a second of the worker's creation.
func TestEagerActivitiesKeepTheWorkersRateLimit(t *testing.T) {
	created := time.Now()
	e := newEnv(t, func(o *worker.Options) { o.EagerActivities, o.ActivitiesPerSecond = true, 1 })
	e.workflowApp(map[string]script{"EchoTwice": echoTwice})
	run := e.startWorkflow("EchoTwice")
	if out, err := result(t, run); err != nil || out != "ab" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	if took := time.Since(created); took < 950*time.Millisecond {
		t.Fatalf("two activities ran %v after the worker was created, faster than its limit of one a second allows", took)
	}
	e.waitIdle()
}

func TestQueryArrivingDuringATaskIsAnsweredInTheCompletion(t *testing.T) {
	e := newEnv(t, nil)
	var hold sync.Mutex // held by the test to keep the app "busy" on an activation
	// The run never completes: each try signals it once more, and collect
	// alone would complete on the second signal.
	slowCollect := func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
		hold.Lock()
		hold.Unlock()
		var out []*bridgev1.WorkflowCommand
		for _, c := range collect(st, act) {
			if c.GetCompleteWorkflowExecution() == nil {
				out = append(out, c)
			}
		}
		return out
	}
	app := e.workflowApp(map[string]script{"Collect": slowCollect})
	run := e.startWorkflow("Collect")
	waitQuery(t, e, run.GetID(), 0)
	// A query sent while a workflow task is in flight is delivered with the
	// next workflow task and answered in its completion. Whether the server
	// sees the query before the task ends is timing, so hold the app longer
	// on each try until it does.
	for try, busy := 0, 50*time.Millisecond; ; try, busy = try+1, busy*2 {
		hold.Lock()
		if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "nudge-"+strconv.Itoa(try), nil); err != nil {
			t.Fatal(err)
		}
		answered := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := e.client.QueryWorkflow(ctx, run.GetID(), "", "count")
			answered <- err
		}()
		time.Sleep(busy) // the app is slow on this activation
		hold.Unlock()
		if err := <-answered; err != nil {
			t.Fatal(err)
		}
		inTask := false
		for _, a := range app.activations(run.GetRunID()) {
			for _, j := range a.GetJobs() {
				if q := j.GetQueryWorkflow(); q != nil && q.GetQueryId() != "legacy_query" {
					inTask = true
				}
			}
		}
		if inTask {
			break
		}
		if try == 6 {
			t.Fatal("no query ever arrived inside a workflow task")
		}
	}
	_ = e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
}

// Nondeterminism the app reports itself (a failed activation with cause
// NON_DETERMINISTIC_ERROR, as temporalio's sandbox does) fails the
// workflow when the app registered so, as sdk-core does.
func TestAppReportedNondeterminismFailsTheWorkflowWhenRegistered(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := bridgetest.Dial(ctx, e.target, &bridgev1.Register{ProtocolVersion: 1, Identity: "nd@" + t.Name(), TaskQueue: e.queue,
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Drifting"}}, NondeterminismFailsWorkflow: true,
		Capacity: &bridgev1.Capacity{WorkflowActivations: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	run := e.startWorkflow("Drifting")
	act, err := a.NextActivation(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{WorkflowCompletion: &bridgev1.WorkflowActivationCompletion{
		RunId: act.GetRunId(), Status: &bridgev1.WorkflowActivationCompletion_Failed{Failed: &bridgev1.WorkflowActivationFailure{
			Failure: &bridgev1.Failure{Message: "Nondeterminism error: the sandbox saw a different command"},
			Cause:   bridgev1.WorkflowTaskFailedCause_WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR}}}}}); err != nil {
		t.Fatal(err)
	}
	if ev, err := a.NextActivation(30 * time.Second); err != nil || ev.GetJobs()[0].GetRemoveFromCache() == nil {
		t.Fatalf("after its failure the app got %v, %v; want the run's eviction", ev, err)
	} else if err := a.CompleteActivation(ev.GetRunId()); err != nil {
		t.Fatal(err)
	}
	_, err = result(t, run)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || !strings.Contains(appErr.Error(), "the sandbox saw a different command") {
		t.Fatalf("workflow error = %v, want it failed with the app's nondeterminism", err)
	}
}

package workflow

import (
	"context"
	"errors"
	"fmt"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/task"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
)

// ReplayError is why a replay failed, classified as the bridge protocol's
// ReplayFailure is.
type ReplayError struct {
	Kind bridgev1.ReplayFailureKind
	// EventID is the last history event applied before the replay stopped.
	EventID int64
	// Failure is the app's failure, when it failed an activation.
	Failure *bridgev1.Failure
	Err     error
}

func (e *ReplayError) Error() string { return e.Err.Error() }
func (e *ReplayError) Unwrap() error { return e.Err }

func replayError(kind bridgev1.ReplayFailureKind, format string, args ...any) *ReplayError {
	return &ReplayError{Kind: kind, Err: fmt.Errorf(format, args...)}
}

// Replay runs a recorded history through an app that serves its workflow
// type and reports whether the app's commands match it, as Temporal's
// replayers do. Nothing is sent to the server; the run is evicted after.
func (e *Engine) Replay(ctx context.Context, workflowID, runID string, events []*historypb.HistoryEvent) error {
	typ, err := replayedType(events)
	if err != nil {
		return err
	}
	if err := e.opts.Bridge.Acquire(ctx, task.Workflow); err != nil {
		return err
	}
	ss, err := e.opts.Bridge.Assign(ctx, task.Workflow, typ)
	if err != nil {
		return fmt.Errorf("replay of workflow type %q: %w", typ, err)
	}
	return e.replayOn(ctx, ss, true, workflowID, runID, events)
}

// ReplayHistory answers an app's ReplayHistory: it replays the history
// against the requesting session's own workflow code. The run never enters
// the sticky cache and nothing reaches the server. It returns nil if the
// session ended before the replay did: there is no one to answer.
func (e *Engine) ReplayHistory(ctx context.Context, ss *bridge.Session, req *bridgev1.ReplayHistory) *bridgev1.ReplayResult {
	e.busy.Add(1) // a graceful shutdown lets the replay finish
	e.replays.Add(1)
	defer e.busy.Done()
	defer e.replays.Add(-1)
	res := &bridgev1.ReplayResult{RequestId: req.GetRequestId()}
	fail := func(err *ReplayError) *bridgev1.ReplayResult {
		res.Failure = &bridgev1.ReplayFailure{Kind: err.Kind, Message: err.Error(), EventId: err.EventID, Failure: err.Failure}
		return res
	}
	id := req.GetRequestId()
	if id == "" {
		return fail(replayError(bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_REQUEST,
			"replay_history.request_id is required: set a unique id to match the replay_result to its request"))
	}
	reqKey := sessionRun{ss, id}
	e.mu.Lock()
	dup := e.replayIDs[reqKey]
	e.replayIDs[reqKey] = true
	e.mu.Unlock()
	if dup {
		return fail(replayError(bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_REQUEST,
			"replay_history.request_id %q is already in progress on this session: use a new id for each request", id))
	}
	defer func() {
		e.mu.Lock()
		delete(e.replayIDs, reqKey)
		e.mu.Unlock()
	}()

	h, err := apiconv.History(req.GetHistory(), "replay_history.history")
	if err != nil {
		return fail(replayError(bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY, "%v", err))
	}
	events := h.GetEvents()
	typ, err := replayedType(events)
	if err != nil {
		return fail(replayError(bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY, "%v", err))
	}
	res.RunId = events[0].GetWorkflowExecutionStartedEventAttributes().GetOriginalExecutionRunId()
	if res.RunId == "" {
		return fail(replayError(bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY,
			"the history's WorkflowExecutionStarted event (event 1) has no original_execution_run_id: export the history whole, as `temporal workflow show --output json` does"))
	}
	if !ss.Serves(task.Workflow, typ) {
		var names []string
		for _, w := range ss.Registration().GetWorkflows() {
			names = append(names, w.GetName())
		}
		return fail(replayError(bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_WORKFLOW_TYPE_NOT_REGISTERED,
			"the history is of workflow type %q, which this session did not register (it registered %q): register the workflow to replay it", typ, names))
	}
	workflowID := req.GetWorkflowId()
	if workflowID == "" {
		workflowID = "replay"
	}
	err = e.replayOn(ctx, ss, false, workflowID, res.RunId, events)
	var re *ReplayError
	switch {
	case err == nil:
		return res
	case errors.Is(err, errSessionLost), errors.Is(err, bridge.ErrSessionClosed):
		return nil
	case errors.As(err, &re):
		return fail(re)
	default:
		return fail(&ReplayError{Kind: bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_WORKFLOW_TASK_FAILED, Err: err})
	}
}

// replayOn replays events on one session. claimed says the session's credit
// is already taken (by Assign); otherwise it is reserved here.
func (e *Engine) replayOn(ctx context.Context, ss *bridge.Session, claimed bool, workflowID, runID string, events []*historypb.HistoryEvent) error {
	key := sessionRun{ss, runID}
	e.mu.Lock()
	live := e.replaying[key] || e.cache[runID] != nil && e.cache[runID].session == ss
	if !live {
		e.replaying[key] = true
	}
	e.mu.Unlock()
	if live {
		if claimed {
			ss.Release(task.Workflow)
		}
		return replayError(bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_REQUEST,
			"run %s is already running on this session (live or in another replay): replay it from a session registered with replay_only", runID)
	}
	defer func() {
		e.mu.Lock()
		delete(e.replaying, key)
		e.mu.Unlock()
	}()
	if !claimed {
		if err := e.opts.Bridge.ReserveOn(ctx, task.Workflow, ss); err != nil {
			return err
		}
	}

	a := events[0].GetWorkflowExecutionStartedEventAttributes()
	r := newRun(runID)
	r.workflowID, r.workflowType, r.namespace = workflowID, a.GetWorkflowType().GetName(), e.opts.Namespace
	// The workflow sees the task queue it ran on, as it did when recorded.
	r.taskQueue = a.GetTaskQueue().GetName()
	if r.taskQueue == "" {
		r.taskQueue = e.opts.TaskQueue
	}
	// Not in the cache: sticky tasks never find it, the LRU never evicts
	// it, and a live run with the same id elsewhere is not replaced.
	ent := newEntry(r, ss)
	ent.mu.Lock()
	defer ent.mu.Unlock()
	defer func() {
		// The app drops the run whatever happened; an app that never
		// received an activation holds nothing to drop.
		if ent.activated {
			e.evict(context.WithoutCancel(ctx), ent, bridgev1.EvictionReason_EVICTION_REASON_COMPLETED, "replay finished")
		}
	}()
	defer e.releaseHeld(ent)
	_, err := e.replay(ctx, ent, events, -1, nil)
	if err == nil && len(r.pending) > 0 && r.afterCompleted {
		err = nondeterminism("the workflow issued %s (seq %d), which history does not have: the history ends at event %d",
			describe(r.pending[0].cmd), r.pending[0].seq, r.lastEventID)
	}
	return classify(err, r.lastEventID)
}

// classify turns an error of a replay into a ReplayError.
func classify(err error, lastEventID int64) error {
	var (
		nd  *NondeterminismError
		app *appFailure
		bad *MalformedError
	)
	re := &ReplayError{EventID: lastEventID, Err: err}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errSessionLost), errors.Is(err, bridge.ErrSessionClosed),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.As(err, &nd):
		re.Kind = bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_NONDETERMINISM
	case errors.As(err, &app):
		re.Kind = bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_WORKFLOW_TASK_FAILED
		if app.f.GetCause() == bridgev1.WorkflowTaskFailedCause_WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR {
			re.Kind = bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_NONDETERMINISM
		}
		re.Failure = app.f.GetFailure()
	case errors.As(err, &bad):
		re.Kind = bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_WORKFLOW_TASK_FAILED
	default: // what apply refuses that is not nondeterminism: a broken history
		re.Kind = bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_INVALID_HISTORY
	}
	return re
}

// replayedType checks that events can start a replay and returns the
// workflow type.
func replayedType(events []*historypb.HistoryEvent) (string, error) {
	if len(events) == 0 {
		return "", errors.New("the history has no events: a replay needs a history from its WorkflowExecutionStarted event")
	}
	if events[0].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED || events[0].GetEventId() != 1 {
		return "", fmt.Errorf("the history starts with event %d, %s: a replay needs a history from its WorkflowExecutionStarted event (event 1)",
			events[0].GetEventId(), events[0].GetEventType())
	}
	typ := events[0].GetWorkflowExecutionStartedEventAttributes().GetWorkflowType().GetName()
	if typ == "" {
		return "", errors.New("the history's WorkflowExecutionStarted event names no workflow type")
	}
	return typ, nil
}

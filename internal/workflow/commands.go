package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
)

// MalformedError is a completion the sidecar cannot accept. Cause is what the
// workflow task fails with.
type MalformedError struct {
	Cause enumspb.WorkflowTaskFailedCause
	msg   string
}

func (e *MalformedError) Error() string { return e.msg }

func malformed(cause enumspb.WorkflowTaskFailedCause, format string, args ...any) error {
	return &MalformedError{Cause: cause, msg: fmt.Sprintf(format, args...)}
}

// batch is what one activation's commands add to the workflow task.
type batch struct {
	out       []*commandpb.Command              // commands for the server
	now       []*bridgev1.WorkflowActivationJob // resolutions due at once, without the server
	answers   []*bridgev1.QueryResult           // answers to queries
	messages  []*protocolpb.Message             // protocol messages (update responses)
	langFlags []uint32                          // the app's internal flags its activations used
	// behavior is the run's versioning behavior as the task's completions
	// declared it (the SDK's per-type setting); unspecified when none did.
	behavior bridgev1.VersioningBehavior
}

// take validates the commands of a successful activation and adds them to b.
// An error leaves the run unusable: the caller evicts it.
func (r *run) take(cmds []*bridgev1.WorkflowCommand, replaying bool, b *batch) error {
	cmds = r.closingLast(cmds, replaying)
	for i, c := range cmds {
		if r.closed {
			// What follows the close in a later activation of the task
			// cannot reach the server; answers to queries still do.
			if c.GetRespondToQuery() != nil {
				b.answers = append(b.answers, c.GetRespondToQuery())
			}
			continue
		}
		if err := r.take1(i, c, b); err != nil {
			return err
		}
	}
	return nil
}

// moveTerminalFlag is sdk-core's MoveTerminalCommands flag.
const moveTerminalFlag = 3

// closingLast orders an activation's commands as sdk-core does, where
// several coroutines of a workflow may add commands after one closed it: the
// other commands go first and the first closing command last; later closing
// commands are dropped (temporalio/features#481). Replaying a history that
// does not record MoveTerminalCommands, sdk-core truncates at the first
// closing command instead, as it did when that history was made.
func (r *run) closingLast(cmds []*bridgev1.WorkflowCommand, replaying bool) []*bridgev1.WorkflowCommand {
	first := slices.IndexFunc(cmds, closes)
	if first < 0 || first == len(cmds)-1 {
		return cmds
	}
	truncate := replaying && r.coreFlags&(1<<moveTerminalFlag) == 0
	out := make([]*bridgev1.WorkflowCommand, 0, len(cmds))
	for i, c := range cmds {
		switch {
		case i == first:
		case i < first, c.GetRespondToQuery() != nil:
			out = append(out, c)
		case !truncate && !closes(c):
			out = append(out, c)
		}
	}
	return append(out, cmds[first])
}

// closes reports a command that closes the workflow run.
func closes(c *bridgev1.WorkflowCommand) bool {
	switch c.GetVariant().(type) {
	case *bridgev1.WorkflowCommand_CompleteWorkflowExecution, *bridgev1.WorkflowCommand_FailWorkflowExecution,
		*bridgev1.WorkflowCommand_CancelWorkflowExecution, *bridgev1.WorkflowCommand_ContinueAsNewWorkflowExecution:
		return true
	}
	return false
}

// userMetadata is a command's user metadata for Temporal's UI: the app's
// encoded payloads, else a summary string as json/plain; nil for none.
func userMetadata(c *bridgev1.WorkflowCommand) *sdkpb.UserMetadata {
	if m := c.GetUserMetadata(); m != nil {
		return apiconv.Recode(m, &sdkpb.UserMetadata{})
	}
	s := c.GetUserMetadataSummary()
	if s == "" {
		return nil
	}
	data, _ := json.Marshal(s)
	return &sdkpb.UserMetadata{Summary: &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: data}}
}

func (r *run) take1(i int, c *bridgev1.WorkflowCommand, b *batch) error {
	add := func(seq uint32, cmd *commandpb.Command) {
		cmd.UserMetadata = userMetadata(c)
		b.out = append(b.out, cmd)
		r.pending = append(r.pending, pending{cmd: cmd, seq: seq})
	}
	switch v := c.GetVariant().(type) {
	case *bridgev1.WorkflowCommand_StartTimer:
		t := v.StartTimer
		if t.GetSeq() <= r.maxTimer {
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
				"commands[%d].start_timer.seq %d is not above the last timer's seq %d: seqs start at 1 and increase", i, t.GetSeq(), r.maxTimer)
		}
		// Zero (or unset) is a timer that fires at once: the server takes it
		// (temporalio's workflow.sleep(0) sends one, and sdk-core passes it on);
		// only a negative duration is refused.
		if d := t.GetStartToFireTimeout().AsDuration(); d < 0 {
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, "commands[%d].start_timer.start_to_fire_timeout must not be negative, got %v", i, d)
		}
		r.timers[t.GetSeq()] = true
		r.maxTimer = t.GetSeq()
		add(t.GetSeq(), &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_START_TIMER,
			Attributes: &commandpb.Command_StartTimerCommandAttributes{StartTimerCommandAttributes: &commandpb.StartTimerCommandAttributes{
				TimerId: timerID(t.GetSeq()), StartToFireTimeout: t.GetStartToFireTimeout()}}})

	case *bridgev1.WorkflowCommand_CancelTimer:
		seq := v.CancelTimer.GetSeq()
		if !r.timers[seq] {
			if seq > r.maxTimer {
				return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, "commands[%d].cancel_timer.seq %d names a timer that was never started", i, seq)
			}
			return nil // fired already
		}
		delete(r.timers, seq)
		if r.unsend(b, enumspb.COMMAND_TYPE_START_TIMER, seq) {
			return nil // started and cancelled in one task: the server never hears of it
		}
		add(seq, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_CANCEL_TIMER,
			Attributes: &commandpb.Command_CancelTimerCommandAttributes{CancelTimerCommandAttributes: &commandpb.CancelTimerCommandAttributes{
				TimerId: timerID(seq)}}})

	case *bridgev1.WorkflowCommand_ScheduleActivity:
		a := v.ScheduleActivity
		switch {
		case a.GetSeq() <= r.maxActivity:
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
				"commands[%d].schedule_activity.seq %d is not above the last activity's seq %d: seqs start at 1 and increase", i, a.GetSeq(), r.maxActivity)
		case a.GetActivityType() == "":
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, "commands[%d].schedule_activity.activity_type is empty", i)
		case a.GetScheduleToCloseTimeout().AsDuration() <= 0 && a.GetStartToCloseTimeout().AsDuration() <= 0:
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
				"commands[%d].schedule_activity needs schedule_to_close_timeout or start_to_close_timeout", i)
		}
		id := a.GetActivityId()
		if id == "" {
			id = strconv.FormatUint(uint64(a.GetSeq()), 10)
		}
		queue := a.GetTaskQueue()
		if queue == "" {
			queue = r.taskQueue
		}
		r.activities[a.GetSeq()] = &activity{typ: a.GetActivityType(), id: id, cancelType: a.GetCancellationType()}
		r.maxActivity = a.GetSeq()
		attrs := &commandpb.ScheduleActivityTaskCommandAttributes{
			ActivityId:             id,
			ActivityType:           &commonpb.ActivityType{Name: a.GetActivityType()},
			TaskQueue:              &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			Header:                 header(a.GetHeaders()),
			Input:                  apiconv.Payloads(a.GetArguments()),
			ScheduleToCloseTimeout: a.GetScheduleToCloseTimeout(),
			ScheduleToStartTimeout: a.GetScheduleToStartTimeout(),
			StartToCloseTimeout:    a.GetStartToCloseTimeout(),
			HeartbeatTimeout:       a.GetHeartbeatTimeout(),
			// A wish, not a promise: respond keeps it only while a slot is free.
			RequestEagerExecution: !a.GetDoNotEagerlyExecute(),
		}
		attrs.RetryPolicy = apiconv.RetryPolicy(a.GetRetryPolicy())
		attrs.Priority = apiconv.Priority(a.GetPriority())
		add(a.GetSeq(), &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
			Attributes: &commandpb.Command_ScheduleActivityTaskCommandAttributes{ScheduleActivityTaskCommandAttributes: attrs}})

	case *bridgev1.WorkflowCommand_RequestCancelActivity:
		seq := v.RequestCancelActivity.GetSeq()
		act := r.activities[seq]
		if act == nil && seq > r.maxActivity {
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
				"commands[%d].request_cancel_activity.seq %d names an activity that was never scheduled", i, seq)
		}
		if act == nil || act.resolved {
			return nil // finished already
		}
		if r.unsend(b, enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK, seq) {
			r.resolveCancelled(act, seq, b) // scheduled and cancelled in one task
			return nil
		}
		if act.cancelType != bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON {
			add(seq, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
				Attributes: &commandpb.Command_RequestCancelActivityTaskCommandAttributes{RequestCancelActivityTaskCommandAttributes: &commandpb.RequestCancelActivityTaskCommandAttributes{
					ScheduledEventId: act.scheduledEventID}}})
		}
		if act.cancelType != bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED {
			r.resolveCancelled(act, seq, b) // TRY_CANCEL and ABANDON do not wait for the activity
		}

	case *bridgev1.WorkflowCommand_RespondToQuery:
		b.answers = append(b.answers, v.RespondToQuery)

	case *bridgev1.WorkflowCommand_UpdateResponse:
		return r.takeUpdate(i, v.UpdateResponse, b, add)

	case *bridgev1.WorkflowCommand_CompleteWorkflowExecution:
		r.closed = true
		var result *commonpb.Payloads
		if p := v.CompleteWorkflowExecution.GetResult(); p != nil {
			result = apiconv.Payloads([]*bridgev1.Payload{p})
		}
		add(0, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_CompleteWorkflowExecutionCommandAttributes{CompleteWorkflowExecutionCommandAttributes: &commandpb.CompleteWorkflowExecutionCommandAttributes{
				Result: result}}})

	case *bridgev1.WorkflowCommand_FailWorkflowExecution:
		r.closed = true
		f := apiconv.Failure(v.FailWorkflowExecution.GetFailure())
		if f == nil {
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES, "commands[%d].fail_workflow_execution.failure is required", i)
		}
		add(0, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_FailWorkflowExecutionCommandAttributes{FailWorkflowExecutionCommandAttributes: &commandpb.FailWorkflowExecutionCommandAttributes{
				Failure: f}}})

	case *bridgev1.WorkflowCommand_CancelWorkflowExecution:
		r.closed = true
		add(0, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_CancelWorkflowExecutionCommandAttributes{CancelWorkflowExecutionCommandAttributes: &commandpb.CancelWorkflowExecutionCommandAttributes{
				Details: apiconv.Payloads(v.CancelWorkflowExecution.GetDetails())}}})

	case *bridgev1.WorkflowCommand_ContinueAsNewWorkflowExecution:
		r.closed = true
		c := v.ContinueAsNewWorkflowExecution
		typ, queue := c.GetWorkflowType(), c.GetTaskQueue()
		if typ == "" {
			typ = r.workflowType
		}
		if queue == "" {
			queue = r.taskQueue
		}
		attrs := &commandpb.ContinueAsNewWorkflowExecutionCommandAttributes{
			WorkflowType:         &commonpb.WorkflowType{Name: typ},
			TaskQueue:            &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			Input:                apiconv.Payloads(c.GetArguments()),
			WorkflowRunTimeout:   c.GetWorkflowRunTimeout(),
			WorkflowTaskTimeout:  c.GetWorkflowTaskTimeout(),
			Header:               header(c.GetHeaders()),
			BackoffStartInterval: c.GetBackoffStartInterval(),
		}
		if c.GetInitialVersioningBehavior() == bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_AUTO_UPGRADE {
			attrs.InitialVersioningBehavior = enumspb.CONTINUE_AS_NEW_VERSIONING_BEHAVIOR_AUTO_UPGRADE
		}
		attrs.Memo = apiconv.Memo(c.GetMemo())
		attrs.SearchAttributes = apiconv.SearchAttributes(c.GetSearchAttributes())
		attrs.RetryPolicy = apiconv.RetryPolicy(c.GetRetryPolicy())
		r.inherited.fill(attrs)
		add(0, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_ContinueAsNewWorkflowExecutionCommandAttributes{ContinueAsNewWorkflowExecutionCommandAttributes: attrs}})

	case nil:
		return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, "commands[%d] is empty; set one of its variant fields", i)

	default:
		if ok, err := r.takeLocal(i, c, b, add); ok {
			return err
		}
		if ok, err := r.takeExternal(i, c, b, add); ok {
			return err
		}
		if ok, err := r.takeNexus(i, c, b, add); ok {
			return err
		}
		name := string(c.ProtoReflect().WhichOneof(c.ProtoReflect().Descriptor().Oneofs().ByName("variant")).Name())
		return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
			"commands[%d].%s is not supported by this sidecar version yet", i, name)
	}
	return nil
}

// unsend drops a command of this task that the server has not seen yet.
func (r *run) unsend(b *batch, typ enumspb.CommandType, seq uint32) bool {
	for j := len(r.pending) - 1; j >= 0; j-- {
		p := r.pending[j]
		if p.seq != seq || p.cmd.GetCommandType() != typ {
			continue
		}
		k := slices.Index(b.out, p.cmd)
		if k < 0 {
			return false // sent in an earlier task; its event is on its way
		}
		b.out = slices.Delete(b.out, k, k+1)
		r.pending = slices.Delete(r.pending, j, j+1)
		return true
	}
	return false
}

// resolveCancelled tells the workflow at once that its activity is cancelled.
func (r *run) resolveCancelled(act *activity, seq uint32, b *batch) {
	act.resolved = true
	cause := &failurepb.Failure{Message: "activity cancelled", FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{}}}
	f := r.activityFailure(act, act.scheduledEventID, 0, "", enumspb.RETRY_STATE_CANCEL_REQUESTED, cause)
	b.now = append(b.now, resolveActivity(seq, &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Cancelled{
		Cancelled: &bridgev1.ActivityResolutionCancelled{Failure: f}}}))
}

func timerID(seq uint32) string { return strconv.FormatUint(uint64(seq), 10) }

func header(m map[string]*bridgev1.Payload) *commonpb.Header {
	if len(m) == 0 {
		return nil
	}
	return &commonpb.Header{Fields: apiconv.PayloadMap(m)}
}

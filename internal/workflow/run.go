package workflow

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	deploymentpb "go.temporal.io/api/deployment/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
)

// run is the sidecar's state of one workflow run: what each sequence number
// refers to, and the commands whose events have not been seen yet. It holds
// no history: a sticky hit applies only the new events, so no cost grows
// with history length.
type run struct {
	id           string
	workflowID   string
	workflowType string
	started      time.Time // the start event's time, for the end-to-end latency metric
	taskQueue    string
	namespace    string

	lastEventID int64 // the last history event applied

	// pending are the commands the app issued, in order, whose events have not
	// been applied yet. On replay they are matched against history; live,
	// they are matched when the next task brings their events.
	pending []pending
	// afterCompleted is true between a WorkflowTaskCompleted event and the
	// first event that is not a command's: the stretch where pending must be
	// matched in full.
	afterCompleted bool

	// timers and activities hold only the open ones: memory stays flat as a
	// long-lived run starts and finishes them. The highest seq issued tells
	// a finished one (a no-op to cancel) from one never issued.
	timers      map[uint32]bool // open timers
	activities  map[uint32]*activity
	maxTimer    uint32
	maxActivity uint32
	byEvent     map[int64]uint32 // ActivityTaskScheduled event id -> activity seq
	closed      bool             // a command that closes the run was issued

	children      map[uint32]*child
	childByEvent  map[int64]uint32 // StartChildWorkflowExecutionInitiated event id -> child seq
	signalsOut    map[uint32]bool  // signal-external seqs in use
	signalByEvent map[int64]uint32 // SignalExternalWorkflowExecutionInitiated event id -> seq
	cancelByEvent map[int64]cancelOf
	updates       map[string]*update // by protocol instance id
	patches       []string           // patches taken, for TemporalChangeVersion
	inherited     inherited          // what a continue-as-new leaving it unset takes from this run

	deferred     []*bridgev1.WorkflowActivationJob // jobs a command's own event produced
	nexusOps     map[uint32]*nexusOp
	nexusByEvent map[int64]uint32 // NexusOperationScheduled event id -> seq
	locals       map[uint32]*local
	localHistory map[uint32]*historypb.HistoryEvent // recorded outcomes of local activities, by seq
	// taskActivations counts the activations of the current workflow task
	// sent so far; local activity markers record it, as sdk-core's do.
	taskActivations uint32
	coreFlags       uint64        // sdk-core flags the history records (bit n: flag n)
	langFlags       uint64        // the app's own flags the history records (sdk-core's lang flags)
	taskTimeout     time.Duration // the workflow task timeout
	// task is the WorkflowTaskStarted of the last task the workflow ran,
	// and version the deployment version of the worker that ran it: what
	// query activations report.
	task    *historypb.HistoryEvent
	version *deploymentpb.WorkerDeploymentVersion
}

type activity struct {
	typ              string
	id               string
	scheduledEventID int64
	cancelType       bridgev1.CancellationType
	resolved         bool // the workflow was told the outcome
}

// pending is an issued command awaiting its history event.
type pending struct {
	cmd      *commandpb.Command
	seq      uint32
	child    bool   // a RequestCancelExternal that cancels the child with this seq
	update   string // the update a protocol message command answers
	optional bool   // history may lack its event (a TemporalChangeVersion upsert)
}

func newRun(id string) *run {
	return &run{
		id:            id,
		timers:        map[uint32]bool{},
		activities:    map[uint32]*activity{},
		byEvent:       map[int64]uint32{},
		children:      map[uint32]*child{},
		childByEvent:  map[int64]uint32{},
		signalsOut:    map[uint32]bool{},
		signalByEvent: map[int64]uint32{},
		cancelByEvent: map[int64]cancelOf{},
		updates:       map[string]*update{},
		locals:        map[uint32]*local{},
		nexusOps:      map[uint32]*nexusOp{},
		nexusByEvent:  map[int64]uint32{},
		localHistory:  map[uint32]*historypb.HistoryEvent{},
		taskTimeout:   10 * time.Second,
	}
}

// NondeterminismError says the app's commands and the history disagree.
type NondeterminismError struct{ msg string }

// Error reads as sdk-core's, code and all, so that what users search and
// match on (in the UI, in SDK tests) is the same through the sidecar.
func (e *NondeterminismError) Error() string { return "[TMPRL1100] Nondeterminism error: " + e.msg }

func nondeterminism(format string, args ...any) error {
	return &NondeterminismError{fmt.Sprintf(format, args...)}
}

// commandEvent maps each history event a command creates to that command.
var commandEvent = map[enumspb.EventType]enumspb.CommandType{
	enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:                              enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
	enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:                       enumspb.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
	enumspb.EVENT_TYPE_TIMER_STARTED:                                        enumspb.COMMAND_TYPE_START_TIMER,
	enumspb.EVENT_TYPE_TIMER_CANCELED:                                       enumspb.COMMAND_TYPE_CANCEL_TIMER,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:                         enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:                            enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:                          enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:                  enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
	enumspb.EVENT_TYPE_MARKER_RECORDED:                                      enumspb.COMMAND_TYPE_RECORD_MARKER,
	enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:             enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
	enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:         enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
	enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: enumspb.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
	enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:                    enumspb.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
	enumspb.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:                         enumspb.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
	enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:                            enumspb.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
	enumspb.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:                     enumspb.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:                   enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE,
	enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:                  enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE,
}

// apply applies one history event and returns the jobs it produces.
func (r *run) apply(ev *historypb.HistoryEvent) ([]*bridgev1.WorkflowActivationJob, error) {
	if ev.GetEventId() != r.lastEventID+1 {
		return nil, fmt.Errorf("history event %d follows event %d: events are missing", ev.GetEventId(), r.lastEventID)
	}
	r.lastEventID = ev.GetEventId()

	if want, ok := commandEvent[ev.GetEventType()]; ok {
		r.dropOptional(ev)
		if r.skipDeprecatedPatch(ev) || r.skipChangeVersion(ev) {
			return nil, nil
		}
		if err := r.match(ev, want); err != nil {
			return nil, err
		}
		js := r.deferred
		r.deferred = nil
		return js, nil
	}
	if r.afterCompleted {
		r.afterCompleted = false
		r.dropOptional(ev)
		if len(r.pending) > 0 {
			return nil, nondeterminism("the workflow issued %s (seq %d), which history does not have: event %d is %s",
				describe(r.pending[0].cmd), r.pending[0].seq, ev.GetEventId(), ev.GetEventType())
		}
	}

	if js, ok, err := r.applyExternal(ev); ok {
		return js, err
	}
	if js, ok, err := r.applyNexus(ev); ok {
		return js, err
	}
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
		r.started = ev.GetEventTime().AsTime()
		return jobs(r.initialize(ev)), nil
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
		r.afterCompleted = true
		r.learnFlags(ev)
	case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
		a := ev.GetWorkflowTaskFailedEventAttributes()
		if a.GetCause() == enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW && a.GetNewRunId() != "" {
			return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_UpdateRandomSeed{
				UpdateRandomSeed: &bridgev1.UpdateRandomSeed{RandomnessSeed: seed(a.GetNewRunId())}}}), nil
		}
	case enumspb.EVENT_TYPE_TIMER_FIRED:
		return r.timerFired(ev)
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED,
		enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		return r.activityClosed(ev)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
		a := ev.GetWorkflowExecutionSignaledEventAttributes()
		return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_SignalWorkflow{SignalWorkflow: &bridgev1.SignalWorkflow{
			SignalName: a.GetSignalName(), Input: apiconv.BridgePayloads(a.GetInput()), Identity: a.GetIdentity(),
			Headers: apiconv.BridgePayloadMap(a.GetHeader().GetFields()), OriginatingEventId: ev.GetEventId()}}}), nil
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
		return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_CancelWorkflow{CancelWorkflow: &bridgev1.CancelWorkflow{
			Reason: ev.GetWorkflowExecutionCancelRequestedEventAttributes().GetCause()}}}), nil
	}
	return nil, nil
}

func jobs(j ...*bridgev1.WorkflowActivationJob) []*bridgev1.WorkflowActivationJob { return j }

// learnFlags notes the sdk-core and lang flags a WorkflowTaskCompleted
// event recorded.
func (r *run) learnFlags(ev *historypb.HistoryEvent) {
	md := ev.GetWorkflowTaskCompletedEventAttributes().GetSdkMetadata()
	r.coreFlags |= flagBits(md.GetCoreUsedFlags())
	r.langFlags |= flagBits(md.GetLangUsedFlags())
}

// flagBits sets bit n for each flag n; flags past 63 are not recorded, as
// sdk-core defines none that high.
func flagBits(flags []uint32) uint64 {
	var bits uint64
	for _, f := range flags {
		if f < 64 {
			bits |= 1 << f
		}
	}
	return bits
}

// flagList lists the flags set in bits, lowest first.
func flagList(bits uint64) []uint32 {
	var out []uint32
	for f := uint32(0); bits != 0; f, bits = f+1, bits>>1 {
		if bits&1 != 0 {
			out = append(out, f)
		}
	}
	return out
}

// newLangFlags returns the app's used flags the run's history does not
// record yet, and notes them as recorded, as newCoreFlags does.
func (r *run) newLangFlags(used []uint32) []uint32 {
	bits := flagBits(used) &^ r.langFlags
	r.langFlags |= bits
	return flagList(bits)
}

// match pairs a command's event with the oldest pending command.
func (r *run) match(ev *historypb.HistoryEvent, want enumspb.CommandType) error {
	if len(r.pending) == 0 {
		return nondeterminism("history has %s (event %d), but the workflow issued no command for it", ev.GetEventType(), ev.GetEventId())
	}
	i := r.matchIndex(ev)
	p := r.pending[i]
	if p.cmd.GetCommandType() != want {
		return nondeterminism("the workflow issued %s (seq %d), but history has %s (event %d)", describe(p.cmd), p.seq, ev.GetEventType(), ev.GetEventId())
	}
	if err := sameTarget(p, ev); err != nil {
		return err
	}
	r.pending = slices.Delete(r.pending, i, i+1)
	if len(r.pending) == 0 {
		r.pending = nil // let go of the matched commands
	}
	if ev.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
		r.activities[p.seq].scheduledEventID = ev.GetEventId()
		r.byEvent[ev.GetEventId()] = p.seq
	}
	return r.recordInitiated(p, ev)
}

// matchIndex picks the pending command ev records: the oldest, except that
// local activity markers pair by sequence number. Where a marker lands among
// a task's commands depends on when its activity finished, which a replay
// does not reproduce (it resolves the activity as soon as it can).
func (r *run) matchIndex(ev *historypb.HistoryEvent) int {
	if d, ok := localMarkerOf(ev); ok {
		for i, p := range r.pending {
			if isLocalMarker(p) && p.seq == d.Seq {
				return i
			}
		}
		return 0
	}
	for i, p := range r.pending {
		if !isLocalMarker(p) {
			return i
		}
	}
	return 0
}

func isLocalMarker(p pending) bool {
	return p.cmd.GetRecordMarkerCommandAttributes().GetMarkerName() == localMarker
}

// dropOptional drops optional commands at the head of the queue that ev does
// not record: an SDK version that did not record them made the history.
func (r *run) dropOptional(ev *historypb.HistoryEvent) {
	for len(r.pending) > 0 && r.pending[0].optional && !isChangeVersion(ev) {
		r.pending = r.pending[1:]
	}
}

// skipChangeVersion reports a TemporalChangeVersion upsert in history that
// the workflow did not issue (an SDK version that recorded one where this
// sidecar does not).
func (r *run) skipChangeVersion(ev *historypb.HistoryEvent) bool {
	return isChangeVersion(ev) && (len(r.pending) == 0 || !r.pending[0].optional)
}

// skipDeprecatedPatch reports a deprecated patch marker the workflow no
// longer records: code that called deprecate_patch may drop the call once
// no run still needs the old path, and its marker must not break replay.
func (r *run) skipDeprecatedPatch(ev *historypb.HistoryEvent) bool {
	p, ok := patchOf(ev)
	if !ok || !p.Deprecated {
		return false
	}
	if len(r.pending) > 0 {
		if head, isPatch := pendingPatch(r.pending[0]); isPatch && head == p.ID {
			return false
		}
	}
	return true
}

func pendingPatch(p pending) (string, bool) {
	a := p.cmd.GetRecordMarkerCommandAttributes()
	if a.GetMarkerName() != patchMarker {
		return "", false
	}
	var d patchData
	if ps := a.GetDetails()[patchDetailsKey].GetPayloads(); len(ps) > 0 {
		_ = json.Unmarshal(ps[0].GetData(), &d)
	}
	return d.ID, true
}

// sameTarget checks that a command and its event concern the same thing.
func sameTarget(p pending, ev *historypb.HistoryEvent) error {
	var got, want string
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		a, c := ev.GetActivityTaskScheduledEventAttributes(), p.cmd.GetScheduleActivityTaskCommandAttributes()
		got, want = a.GetActivityType().GetName()+"/"+a.GetActivityId(), c.GetActivityType().GetName()+"/"+c.GetActivityId()
	case enumspb.EVENT_TYPE_TIMER_STARTED:
		got, want = ev.GetTimerStartedEventAttributes().GetTimerId(), p.cmd.GetStartTimerCommandAttributes().GetTimerId()
	case enumspb.EVENT_TYPE_TIMER_CANCELED:
		got, want = ev.GetTimerCanceledEventAttributes().GetTimerId(), p.cmd.GetCancelTimerCommandAttributes().GetTimerId()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
		got = strconv.FormatInt(ev.GetActivityTaskCancelRequestedEventAttributes().GetScheduledEventId(), 10)
		want = strconv.FormatInt(p.cmd.GetRequestCancelActivityTaskCommandAttributes().GetScheduledEventId(), 10)
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
		a, c := ev.GetNexusOperationScheduledEventAttributes(), p.cmd.GetScheduleNexusOperationCommandAttributes()
		got, want = a.GetEndpoint()+"/"+a.GetService()+"/"+a.GetOperation(), c.GetEndpoint()+"/"+c.GetService()+"/"+c.GetOperation()
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
		got, want = "accept "+ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetProtocolInstanceId(), acceptOrComplete(p)
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
		got, want = "complete "+ev.GetWorkflowExecutionUpdateCompletedEventAttributes().GetMeta().GetUpdateId(), acceptOrComplete(p)
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		a, c := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(), p.cmd.GetStartChildWorkflowExecutionCommandAttributes()
		got, want = a.GetWorkflowType().GetName()+"/"+a.GetWorkflowId(), c.GetWorkflowType().GetName()+"/"+c.GetWorkflowId()
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		got, want = ev.GetSignalExternalWorkflowExecutionInitiatedEventAttributes().GetSignalName(), p.cmd.GetSignalExternalWorkflowExecutionCommandAttributes().GetSignalName()
	case enumspb.EVENT_TYPE_MARKER_RECORDED:
		if ev.GetMarkerRecordedEventAttributes().GetMarkerName() != p.cmd.GetRecordMarkerCommandAttributes().GetMarkerName() {
			got, want = ev.GetMarkerRecordedEventAttributes().GetMarkerName(), p.cmd.GetRecordMarkerCommandAttributes().GetMarkerName()
			break
		}
		if err := sameLocal(p, ev); err != nil {
			return err
		}
		return samePatch(p, ev)
	default:
		return nil
	}
	if got != want {
		return nondeterminism("the workflow issued %s %q (seq %d), but history has %s %q (event %d)",
			describe(p.cmd), want, p.seq, ev.GetEventType(), got, ev.GetEventId())
	}
	return nil
}

func describe(c *commandpb.Command) string { return c.GetCommandType().String() }

// acceptOrComplete names what a protocol message command does to its update.
func acceptOrComplete(p pending) string {
	if strings.HasSuffix(p.cmd.GetProtocolMessageCommandAttributes().GetMessageId(), "/accept") {
		return "accept " + p.update
	}
	return "complete " + p.update
}

func (r *run) initialize(ev *historypb.HistoryEvent) *bridgev1.WorkflowActivationJob {
	a := ev.GetWorkflowExecutionStartedEventAttributes()
	if d := a.GetWorkflowTaskTimeout().AsDuration(); d > 0 {
		r.taskTimeout = d
	}
	r.inherited.start(a)
	init := &bridgev1.InitializeWorkflow{
		WorkflowType:                    a.GetWorkflowType().GetName(),
		WorkflowId:                      r.workflowID,
		Arguments:                       apiconv.BridgePayloads(a.GetInput()),
		RandomnessSeed:                  seed(a.GetOriginalExecutionRunId()),
		Headers:                         apiconv.BridgePayloadMap(a.GetHeader().GetFields()),
		Identity:                        a.GetIdentity(),
		WorkflowExecutionTimeout:        a.GetWorkflowExecutionTimeout(),
		WorkflowRunTimeout:              a.GetWorkflowRunTimeout(),
		WorkflowTaskTimeout:             a.GetWorkflowTaskTimeout(),
		ContinuedFromExecutionRunId:     a.GetContinuedExecutionRunId(),
		ContinuedInitiator:              bridgev1.ContinueAsNewInitiator(a.GetInitiator()),
		ContinuedFailure:                apiconv.BridgeFailure(a.GetContinuedFailure()),
		FirstExecutionRunId:             a.GetFirstExecutionRunId(),
		OriginalExecutionRunId:          a.GetOriginalExecutionRunId(),
		Attempt:                         a.GetAttempt(),
		CronSchedule:                    a.GetCronSchedule(),
		WorkflowExecutionExpirationTime: a.GetWorkflowExecutionExpirationTime(),
		Memo:                            apiconv.BridgePayloadMap(a.GetMemo().GetFields()),
		SearchAttributes:                apiconv.BridgePayloadMap(a.GetSearchAttributes().GetIndexedFields()),
		StartTime:                       ev.GetEventTime(),
		TaskQueue:                       r.taskQueue,
		Namespace:                       r.namespace,
	}
	if res := a.GetLastCompletionResult(); res != nil {
		init.LastCompletionResult = &bridgev1.Payloads{Payloads: apiconv.BridgePayloads(res)}
	}
	if p := a.GetRetryPolicy(); p != nil {
		init.RetryPolicy = apiconv.Recode(p, &bridgev1.RetryPolicy{})
	}
	if p := a.GetPriority(); p != nil {
		init.Priority = apiconv.Recode(p, &bridgev1.Priority{})
	}
	if p := a.GetParentWorkflowExecution(); p != nil {
		init.ParentWorkflowInfo = &bridgev1.ParentWorkflowInfo{Namespace: a.GetParentWorkflowNamespace(), WorkflowId: p.GetWorkflowId(), RunId: p.GetRunId()}
	}
	if root := a.GetRootWorkflowExecution(); root != nil {
		init.RootWorkflow = &bridgev1.WorkflowExecution{WorkflowId: root.GetWorkflowId(), RunId: root.GetRunId()}
	}
	if d := a.GetFirstWorkflowTaskBackoff(); d != nil && a.GetCronSchedule() != "" {
		init.CronScheduleToScheduleInterval = d
	}
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_InitializeWorkflow{InitializeWorkflow: init}}
}

func (r *run) timerFired(ev *historypb.HistoryEvent) ([]*bridgev1.WorkflowActivationJob, error) {
	id := ev.GetTimerFiredEventAttributes().GetTimerId()
	seq, err := strconv.ParseUint(id, 10, 32)
	open := r.timers[uint32(seq)]
	if err != nil || (!open && uint32(seq) > r.maxTimer) {
		return nil, nondeterminism("history has a timer %q firing (event %d) that the workflow never started", id, ev.GetEventId())
	}
	if !open {
		return nil, nil // cancelled meanwhile
	}
	delete(r.timers, uint32(seq))
	return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_FireTimer{FireTimer: &bridgev1.FireTimer{Seq: uint32(seq)}}}), nil
}

func (r *run) activityClosed(ev *historypb.HistoryEvent) ([]*bridgev1.WorkflowActivationJob, error) {
	scheduled, started, identity, retry, cause := closedActivity(ev)
	seq, ok := r.byEvent[scheduled]
	if !ok {
		return nil, nondeterminism("history closes the activity scheduled at event %d (event %d), which the workflow never scheduled", scheduled, ev.GetEventId())
	}
	act := r.activities[seq]
	delete(r.activities, seq)
	delete(r.byEvent, scheduled)
	if act.resolved {
		return nil, nil // already resolved as cancelled (TRY_CANCEL or ABANDON)
	}
	var res *bridgev1.ActivityResolution
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		var result *bridgev1.Payload
		if ps := apiconv.BridgePayloads(ev.GetActivityTaskCompletedEventAttributes().GetResult()); len(ps) > 0 {
			result = ps[0]
		}
		res = &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Completed{Completed: &bridgev1.ActivityResolutionCompleted{Result: result}}}
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
		f := r.activityFailure(act, scheduled, started, identity, retry, cause)
		res = &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Cancelled{Cancelled: &bridgev1.ActivityResolutionCancelled{Failure: f}}}
	default:
		f := r.activityFailure(act, scheduled, started, identity, retry, cause)
		res = &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{Failed: &bridgev1.ActivityResolutionFailed{Failure: f}}}
	}
	return jobs(resolveActivity(seq, res)), nil
}

// closedActivity extracts what the close events of an activity share.
func closedActivity(ev *historypb.HistoryEvent) (scheduled, started int64, identity string, retry enumspb.RetryState, cause *failurepb.Failure) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
		a := ev.GetActivityTaskCompletedEventAttributes()
		return a.GetScheduledEventId(), a.GetStartedEventId(), a.GetIdentity(), 0, nil
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
		a := ev.GetActivityTaskFailedEventAttributes()
		return a.GetScheduledEventId(), a.GetStartedEventId(), a.GetIdentity(), a.GetRetryState(), a.GetFailure()
	case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
		a := ev.GetActivityTaskTimedOutEventAttributes()
		return a.GetScheduledEventId(), a.GetStartedEventId(), "", a.GetRetryState(), a.GetFailure()
	default: // canceled
		a := ev.GetActivityTaskCanceledEventAttributes()
		return a.GetScheduledEventId(), a.GetStartedEventId(), a.GetIdentity(), enumspb.RETRY_STATE_CANCEL_REQUESTED,
			&failurepb.Failure{Message: "activity cancelled", FailureInfo: &failurepb.Failure_CanceledFailureInfo{
				CanceledFailureInfo: &failurepb.CanceledFailureInfo{Details: a.GetDetails(), Identity: a.GetIdentity()}}}
	}
}

// activityFailure wraps an activity's failure as Temporal's SDKs show it to
// workflow code: an ActivityFailure whose cause says what happened.
func (r *run) activityFailure(act *activity, scheduled, started int64, identity string, retry enumspb.RetryState, cause *failurepb.Failure) *bridgev1.Failure {
	return apiconv.BridgeFailure(&failurepb.Failure{
		Message: "activity error",
		Source:  "TemporalSidecar",
		Cause:   cause,
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
			ScheduledEventId: scheduled, StartedEventId: started, Identity: identity,
			ActivityType: &commonpb.ActivityType{Name: act.typ}, ActivityId: act.id, RetryState: retry,
		}},
	})
}

func resolveActivity(seq uint32, res *bridgev1.ActivityResolution) *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveActivity{
		ResolveActivity: &bridgev1.ResolveActivity{Seq: seq, Result: res}}}
}

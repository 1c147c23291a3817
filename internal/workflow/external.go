package workflow

import (
	"encoding/json"
	"slices"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
)

// child is a child workflow started by the run.
type child struct {
	workflowID   string
	workflowType string
	namespace    string
	runID        string
	initiatedID  int64
	cancelType   bridgev1.CancellationType
	started      bool // the start was resolved
	resolved     bool // the outcome was resolved
}

// cancelOf says what a RequestCancelExternal command was for.
type cancelOf struct {
	seq   uint32
	child bool // cancelling a child (its seq), not an external workflow
}

// patchMarker is the marker name Temporal's core-based SDKs record for patches.
const patchMarker = "core_patch"

// patchDetailsKey holds the marker's data, as core writes it.
const patchDetailsKey = "patch-data"

type patchData struct {
	ID         string `json:"id"`
	Deprecated bool   `json:"deprecated"`
}

func patchMarkerCommand(id string, deprecated bool) *commandpb.Command {
	data, _ := json.Marshal(patchData{ID: id, Deprecated: deprecated})
	return &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_RECORD_MARKER,
		Attributes: &commandpb.Command_RecordMarkerCommandAttributes{RecordMarkerCommandAttributes: &commandpb.RecordMarkerCommandAttributes{
			MarkerName: patchMarker,
			Details: map[string]*commonpb.Payloads{patchDetailsKey: {Payloads: []*commonpb.Payload{{
				Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: data}}}},
		}}}
}

// changeVersion is the search attribute listing a run's patches.
const changeVersion = "TemporalChangeVersion"

// upsertOnPatchFlag is sdk-core's internal flag UpsertSearchAttributeOnPatch.
// A workflow task completion records it (in its sdk metadata) to tell
// replayers that its patch markers are each followed by a
// TemporalChangeVersion upsert: core-based SDKs replaying a history expect
// those upserts only from the task that recorded the flag on.
const upsertOnPatchFlag = 2

// idAndTypeFlag is sdk-core's internal flag IdAndTypeDeterminismChecks: a
// core-based SDK replaying a history checks the ids and types of
// activities and child workflows against the workflow's commands only
// from the task that recorded it on. The sidecar checks them on every
// replay, and records the flag so Temporal's SDKs do too.
const idAndTypeFlag = 1

// newCoreFlags returns the sdk-core flags a completion of these commands
// must record that the run's history does not yet, and notes them as
// recorded, as core records each flag once.
func (r *run) newCoreFlags(cmds []*commandpb.Command) []uint32 {
	flags := []uint32{idAndTypeFlag}
	if usesUpsertOnPatch(cmds) {
		flags = append(flags, upsertOnPatchFlag)
	}
	// Commands after a closing one are ordered as with this flag on (see
	// closingLast), so a replay by either side orders them the same way.
	flags = append(flags, moveTerminalFlag)
	var out []uint32
	for _, f := range flags {
		if r.coreFlags&(1<<f) == 0 {
			r.coreFlags |= 1 << f
			out = append(out, f)
		}
	}
	return out
}

// maxChangeVersionBytes is the size at which sdk-core stops upserting
// TemporalChangeVersion (the server's default limit on a search attribute
// value is 2 KiB).
const maxChangeVersionBytes = 2048

// changeVersionCommand upserts the run's patches, or is nil when they no
// longer fit the search attribute.
func changeVersionCommand(patches []string) *commandpb.Command {
	data, _ := json.Marshal(patches)
	if len(data) >= maxChangeVersionBytes {
		return nil
	}
	return &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
		Attributes: &commandpb.Command_UpsertWorkflowSearchAttributesCommandAttributes{UpsertWorkflowSearchAttributesCommandAttributes: &commandpb.UpsertWorkflowSearchAttributesCommandAttributes{
			SearchAttributes: &commonpb.SearchAttributes{IndexedFields: map[string]*commonpb.Payload{changeVersion: {
				Metadata: map[string][]byte{"encoding": []byte("json/plain"), "type": []byte("KeywordList")}, Data: data}}}}}}
}

// usesUpsertOnPatch reports commands with a TemporalChangeVersion upsert.
func usesUpsertOnPatch(cmds []*commandpb.Command) bool {
	for _, c := range cmds {
		if _, ok := c.GetUpsertWorkflowSearchAttributesCommandAttributes().GetSearchAttributes().GetIndexedFields()[changeVersion]; ok {
			return true
		}
	}
	return false
}

// isChangeVersion reports an upsert of only TemporalChangeVersion: one an SDK
// may or may not have recorded after a patch marker, depending on its version.
func isChangeVersion(ev *historypb.HistoryEvent) bool {
	f := ev.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
	_, ok := f[changeVersion]
	return ok && len(f) == 1
}

// patchOf decodes a patch marker event: the JSON form core writes today and
// the older plain form (details "patch_id" and "deprecated").
func patchOf(ev *historypb.HistoryEvent) (patchData, bool) {
	a := ev.GetMarkerRecordedEventAttributes()
	if a == nil || a.GetMarkerName() != patchMarker {
		return patchData{}, false
	}
	d := a.GetDetails()
	if ps := d[patchDetailsKey].GetPayloads(); len(ps) > 0 {
		var p patchData
		if json.Unmarshal(ps[0].GetData(), &p) == nil && p.ID != "" {
			return p, true
		}
	}
	if ps := d["patch_id"].GetPayloads(); len(ps) > 0 {
		p := patchData{ID: string(ps[0].GetData())}
		if dep := d["deprecated"].GetPayloads(); len(dep) > 0 && len(dep[0].GetData()) > 0 {
			p.Deprecated = dep[0].GetData()[0] != 0
		}
		return p, true
	}
	return patchData{}, false
}

// patchJobs looks ahead at the command events that follow a replayed workflow
// task and announces its patches, so workflow.patched() answers the way it did
// when the history was made.
func patchJobs(events []*historypb.HistoryEvent) []*bridgev1.WorkflowActivationJob {
	var out []*bridgev1.WorkflowActivationJob
	for _, ev := range recorded(events) {
		if p, ok := patchOf(ev); ok {
			out = append(out, &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_NotifyHasPatch{
				NotifyHasPatch: &bridgev1.NotifyHasPatch{PatchId: p.ID}}})
		}
	}
	return out
}

// recorded returns the command events a workflow task recorded: those right
// after the next WorkflowTaskCompleted in events.
func recorded(events []*historypb.HistoryEvent) []*historypb.HistoryEvent {
	for i, ev := range events {
		if ev.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			continue
		}
		j := i + 1
		for j < len(events) && commandEvent[events[j].GetEventType()] != enumspb.COMMAND_TYPE_UNSPECIFIED {
			j++
		}
		return events[i+1 : j]
	}
	return nil
}

// takeExternal handles the commands for children, external workflows,
// markers and workflow properties. It reports false for other commands.
func (r *run) takeExternal(i int, c *bridgev1.WorkflowCommand, b *batch, add func(uint32, *commandpb.Command)) (bool, error) {
	switch v := c.GetVariant().(type) {
	case *bridgev1.WorkflowCommand_SetPatchMarker:
		p := v.SetPatchMarker
		if p.GetPatchId() == "" {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES, "commands[%d].set_patch_marker.patch_id is empty", i)
		}
		add(0, patchMarkerCommand(p.GetPatchId(), p.GetDeprecated()))
		if !slices.Contains(r.patches, p.GetPatchId()) {
			// As sdk-core does, list every patch the run has seen,
			// deprecated ones too, sorted, in the TemporalChangeVersion
			// search attribute after each marker, so runs can be found by
			// the code paths they took and histories replay in the
			// core-based SDKs (see upsertOnPatchFlag).
			r.patches = append(r.patches, p.GetPatchId())
			slices.Sort(r.patches)
			if cmd := changeVersionCommand(r.patches); cmd != nil {
				add(0, cmd)
				r.pending[len(r.pending)-1].optional = true
			}
		}

	case *bridgev1.WorkflowCommand_UpsertWorkflowSearchAttributes:
		fields := apiconv.PayloadMap(v.UpsertWorkflowSearchAttributes.GetSearchAttributes())
		r.inherited.upserted(fields)
		add(0, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
			Attributes: &commandpb.Command_UpsertWorkflowSearchAttributesCommandAttributes{UpsertWorkflowSearchAttributesCommandAttributes: &commandpb.UpsertWorkflowSearchAttributesCommandAttributes{
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields}}}})

	case *bridgev1.WorkflowCommand_ModifyWorkflowProperties:
		add(0, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES,
			Attributes: &commandpb.Command_ModifyWorkflowPropertiesCommandAttributes{ModifyWorkflowPropertiesCommandAttributes: &commandpb.ModifyWorkflowPropertiesCommandAttributes{
				UpsertedMemo: &commonpb.Memo{Fields: apiconv.PayloadMap(v.ModifyWorkflowProperties.GetUpsertedMemo())}}}})

	case *bridgev1.WorkflowCommand_StartChildWorkflowExecution:
		s := v.StartChildWorkflowExecution
		switch {
		case r.children[s.GetSeq()] != nil:
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, "commands[%d].start_child_workflow_execution.seq %d is already used by another child", i, s.GetSeq())
		case s.GetWorkflowId() == "" || s.GetWorkflowType() == "":
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, "commands[%d].start_child_workflow_execution needs workflow_id and workflow_type", i)
		}
		ns, queue := s.GetNamespace(), s.GetTaskQueue()
		if ns == "" {
			ns = r.namespace
		}
		if queue == "" {
			queue = r.taskQueue
		}
		r.children[s.GetSeq()] = &child{workflowID: s.GetWorkflowId(), workflowType: s.GetWorkflowType(), namespace: ns, cancelType: s.GetCancellationType()}
		attrs := &commandpb.StartChildWorkflowExecutionCommandAttributes{
			Namespace: ns, WorkflowId: s.GetWorkflowId(), WorkflowType: &commonpb.WorkflowType{Name: s.GetWorkflowType()},
			TaskQueue:                &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			Input:                    apiconv.Payloads(s.GetInput()),
			WorkflowExecutionTimeout: s.GetWorkflowExecutionTimeout(), WorkflowRunTimeout: s.GetWorkflowRunTimeout(), WorkflowTaskTimeout: s.GetWorkflowTaskTimeout(),
			ParentClosePolicy:     enumspb.ParentClosePolicy(s.GetParentClosePolicy()),
			WorkflowIdReusePolicy: enumspb.WorkflowIdReusePolicy(s.GetWorkflowIdReusePolicy()),
			CronSchedule:          s.GetCronSchedule(),
			Header:                header(s.GetHeaders()),
		}
		attrs.RetryPolicy = apiconv.RetryPolicy(s.GetRetryPolicy())
		attrs.Memo = apiconv.Memo(s.GetMemo())
		attrs.SearchAttributes = apiconv.SearchAttributes(s.GetSearchAttributes())
		attrs.Priority = apiconv.Priority(s.GetPriority())
		add(s.GetSeq(), &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_StartChildWorkflowExecutionCommandAttributes{StartChildWorkflowExecutionCommandAttributes: attrs}})

	case *bridgev1.WorkflowCommand_CancelChildWorkflowExecution:
		seq := v.CancelChildWorkflowExecution.GetChildWorkflowSeq()
		ch := r.children[seq]
		if ch == nil {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
				"commands[%d].cancel_child_workflow_execution.child_workflow_seq %d names a child that was never started", i, seq)
		}
		if ch.resolved {
			return true, nil
		}
		if r.unsend(b, enumspb.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION, seq) {
			ch.started, ch.resolved = true, true // started and cancelled in one task
			b.now = append(b.now, childStartCancelled(seq))
			return true, nil
		}
		if ch.cancelType != bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON {
			add(seq, cancelExternal(r.namespace, ch.workflowID, ch.runID, true, v.CancelChildWorkflowExecution.GetReason()))
			r.pending[len(r.pending)-1].child = true
		}
		if t := ch.cancelType; t == bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON || t == bridgev1.CancellationType_CANCELLATION_TYPE_TRY_CANCEL ||
			t == bridgev1.CancellationType_CANCELLATION_TYPE_UNSPECIFIED {
			r.resolveChildCancelled(seq, b)
		}

	case *bridgev1.WorkflowCommand_SignalExternalWorkflowExecution:
		s := v.SignalExternalWorkflowExecution
		if r.signalsOut[s.GetSeq()] {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, "commands[%d].signal_external_workflow_execution.seq %d is already used", i, s.GetSeq())
		}
		attrs := &commandpb.SignalExternalWorkflowExecutionCommandAttributes{SignalName: s.GetSignalName(), Input: apiconv.Payloads(s.GetArgs()), Header: header(s.GetHeaders())}
		switch t := s.GetTarget().(type) {
		case *bridgev1.SignalExternalWorkflowExecution_ChildWorkflowId:
			attrs.Namespace, attrs.Execution, attrs.ChildWorkflowOnly = r.namespace, &commonpb.WorkflowExecution{WorkflowId: t.ChildWorkflowId}, true
		case *bridgev1.SignalExternalWorkflowExecution_WorkflowExecution:
			attrs.Namespace = t.WorkflowExecution.GetNamespace()
			if attrs.Namespace == "" {
				attrs.Namespace = r.namespace
			}
			attrs.Execution = &commonpb.WorkflowExecution{WorkflowId: t.WorkflowExecution.GetWorkflowId(), RunId: t.WorkflowExecution.GetRunId()}
		default:
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, "commands[%d].signal_external_workflow_execution needs a target: workflow_execution or child_workflow_id", i)
		}
		if s.GetSignalName() == "" || attrs.GetExecution().GetWorkflowId() == "" {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, "commands[%d].signal_external_workflow_execution needs signal_name and a workflow id", i)
		}
		r.signalsOut[s.GetSeq()] = true
		add(s.GetSeq(), &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_SignalExternalWorkflowExecutionCommandAttributes{SignalExternalWorkflowExecutionCommandAttributes: attrs}})

	case *bridgev1.WorkflowCommand_CancelSignalWorkflow:
		// As sdk-core's signal-external machine: a signal not sent yet (its
		// command is still in this task's answer) is dropped and resolves at
		// once as cancelled; one sent, or resolved, is left alone.
		seq := v.CancelSignalWorkflow.GetSeq()
		if !r.signalsOut[seq] {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
				"commands[%d].cancel_signal_workflow.seq %d names a signal the workflow never sent", i, seq)
		}
		if r.unsend(b, enumspb.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION, seq) {
			b.now = append(b.now, &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveSignalExternalWorkflow{
				ResolveSignalExternalWorkflow: &bridgev1.ResolveSignalExternalWorkflow{Seq: seq, Failure: &bridgev1.Failure{
					Message:     "Signal was cancelled before being sent",
					FailureInfo: &bridgev1.Failure_CanceledFailureInfo{CanceledFailureInfo: &bridgev1.CanceledFailureInfo{}}}}}})
		}

	case *bridgev1.WorkflowCommand_RequestCancelExternalWorkflowExecution:
		rc := v.RequestCancelExternalWorkflowExecution
		we := rc.GetWorkflowExecution()
		if we.GetWorkflowId() == "" {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
				"commands[%d].request_cancel_external_workflow_execution.workflow_execution.workflow_id is empty", i)
		}
		ns := we.GetNamespace()
		if ns == "" {
			ns = r.namespace
		}
		add(rc.GetSeq(), cancelExternal(ns, we.GetWorkflowId(), we.GetRunId(), false, rc.GetReason()))

	default:
		return false, nil
	}
	return true, nil
}

func cancelExternal(ns, id, runID string, childOnly bool, reason string) *commandpb.Command {
	return &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
		Attributes: &commandpb.Command_RequestCancelExternalWorkflowExecutionCommandAttributes{RequestCancelExternalWorkflowExecutionCommandAttributes: &commandpb.RequestCancelExternalWorkflowExecutionCommandAttributes{
			Namespace: ns, WorkflowId: id, RunId: runID, ChildWorkflowOnly: childOnly, Reason: reason}}}
}

func childStartCancelled(seq uint32) *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecutionStart{
		ResolveChildWorkflowExecutionStart: &bridgev1.ResolveChildWorkflowExecutionStart{Seq: seq, Status: &bridgev1.ResolveChildWorkflowExecutionStart_Cancelled{
			Cancelled: &bridgev1.ResolveChildWorkflowExecutionStartCancelled{Failure: &bridgev1.Failure{Message: "child workflow cancelled before it started",
				FailureInfo: &bridgev1.Failure_CanceledFailureInfo{CanceledFailureInfo: &bridgev1.CanceledFailureInfo{}}}}}}}}
}

// resolveChildCancelled tells the workflow its child is cancelled without
// waiting for the child to close.
func (r *run) resolveChildCancelled(seq uint32, b *batch) {
	ch := r.children[seq]
	ch.resolved = true
	cause := &failurepb.Failure{Message: "child workflow cancelled", FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{}}}
	b.now = append(b.now, childResult(seq, &bridgev1.ChildWorkflowResult{Status: &bridgev1.ChildWorkflowResult_Cancelled{
		Cancelled: &bridgev1.ChildWorkflowResultCancelled{Failure: r.childFailure(ch, 0, enumspb.RETRY_STATE_CANCEL_REQUESTED, cause)}}}))
}

func childResult(seq uint32, res *bridgev1.ChildWorkflowResult) *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecution{
		ResolveChildWorkflowExecution: &bridgev1.ResolveChildWorkflowExecution{Seq: seq, Result: res}}}
}

// childFailure wraps a child's failure as Temporal's SDKs show it.
func (r *run) childFailure(ch *child, startedID int64, retry enumspb.RetryState, cause *failurepb.Failure) *bridgev1.Failure {
	return apiconv.BridgeFailure(&failurepb.Failure{
		Message: "child workflow execution error", Source: "TemporalSidecar", Cause: cause,
		FailureInfo: &failurepb.Failure_ChildWorkflowExecutionFailureInfo{ChildWorkflowExecutionFailureInfo: &failurepb.ChildWorkflowExecutionFailureInfo{
			Namespace: ch.namespace, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: ch.workflowID, RunId: ch.runID},
			WorkflowType: &commonpb.WorkflowType{Name: ch.workflowType}, InitiatedEventId: ch.initiatedID, StartedEventId: startedID, RetryState: retry}},
	})
}

// applyExternal turns the events of children and external workflows into jobs.
// It reports false for other events.
func (r *run) applyExternal(ev *historypb.HistoryEvent) ([]*bridgev1.WorkflowActivationJob, bool, error) {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
		a := ev.GetChildWorkflowExecutionStartedEventAttributes()
		seq, ch, err := r.childAt(a.GetInitiatedEventId(), ev)
		if err != nil || ch.started {
			return nil, true, err
		}
		ch.started, ch.runID = true, a.GetWorkflowExecution().GetRunId()
		return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecutionStart{
			ResolveChildWorkflowExecutionStart: &bridgev1.ResolveChildWorkflowExecutionStart{Seq: seq, Status: &bridgev1.ResolveChildWorkflowExecutionStart_Succeeded{
				Succeeded: &bridgev1.ResolveChildWorkflowExecutionStartSuccess{RunId: ch.runID}}}}}), true, nil

	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := ev.GetStartChildWorkflowExecutionFailedEventAttributes()
		seq, ch, err := r.childAt(a.GetInitiatedEventId(), ev)
		if err != nil || ch.started {
			return nil, true, err
		}
		ch.started, ch.resolved = true, true
		return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveChildWorkflowExecutionStart{
			ResolveChildWorkflowExecutionStart: &bridgev1.ResolveChildWorkflowExecutionStart{Seq: seq, Status: &bridgev1.ResolveChildWorkflowExecutionStart_Failed{
				Failed: &bridgev1.ResolveChildWorkflowExecutionStartFailure{WorkflowId: a.GetWorkflowId(), WorkflowType: a.GetWorkflowType().GetName(),
					Cause: bridgev1.StartChildWorkflowExecutionFailedCause(a.GetCause())}}}}}), true, nil

	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED, enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
		enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
		return r.childClosed(ev)

	case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED, enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
		initiated := ev.GetExternalWorkflowExecutionSignaledEventAttributes().GetInitiatedEventId()
		var f *bridgev1.Failure
		if a := ev.GetSignalExternalWorkflowExecutionFailedEventAttributes(); a != nil {
			initiated = a.GetInitiatedEventId()
			f = &bridgev1.Failure{Message: "signal to external workflow failed: " + a.GetCause().String(),
				FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: a.GetCause().String()}}}
		}
		seq, ok := r.signalByEvent[initiated]
		if !ok {
			return nil, true, nondeterminism("history resolves a signal initiated at event %d (event %d) that the workflow never sent", initiated, ev.GetEventId())
		}
		return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveSignalExternalWorkflow{
			ResolveSignalExternalWorkflow: &bridgev1.ResolveSignalExternalWorkflow{Seq: seq, Failure: f,
				Cause: bridgev1.SignalExternalWorkflowExecutionFailedCause(ev.GetSignalExternalWorkflowExecutionFailedEventAttributes().GetCause())}}}), true, nil

	case enumspb.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED, enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
		initiated := ev.GetExternalWorkflowExecutionCancelRequestedEventAttributes().GetInitiatedEventId()
		var f *bridgev1.Failure
		if a := ev.GetRequestCancelExternalWorkflowExecutionFailedEventAttributes(); a != nil {
			initiated = a.GetInitiatedEventId()
			f = &bridgev1.Failure{Message: "cancel request to external workflow failed: " + a.GetCause().String(),
				FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: a.GetCause().String()}}}
		}
		c, ok := r.cancelByEvent[initiated]
		if !ok {
			return nil, true, nondeterminism("history resolves a cancel request initiated at event %d (event %d) that the workflow never sent", initiated, ev.GetEventId())
		}
		if c.child {
			ch := r.children[c.seq]
			if ch.resolved || ch.cancelType != bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED || f != nil {
				return nil, true, nil
			}
			b := &batch{}
			r.resolveChildCancelled(c.seq, b)
			return b.now, true, nil
		}
		return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveRequestCancelExternalWorkflow{
			ResolveRequestCancelExternalWorkflow: &bridgev1.ResolveRequestCancelExternalWorkflow{Seq: c.seq, Failure: f,
				Cause: bridgev1.CancelExternalWorkflowExecutionFailedCause(ev.GetRequestCancelExternalWorkflowExecutionFailedEventAttributes().GetCause())}}}), true, nil
	}
	return nil, false, nil
}

func (r *run) childAt(initiated int64, ev *historypb.HistoryEvent) (uint32, *child, error) {
	seq, ok := r.childByEvent[initiated]
	if !ok {
		return 0, nil, nondeterminism("history has %s (event %d) for a child initiated at event %d that the workflow never started", ev.GetEventType(), ev.GetEventId(), initiated)
	}
	return seq, r.children[seq], nil
}

func (r *run) childClosed(ev *historypb.HistoryEvent) ([]*bridgev1.WorkflowActivationJob, bool, error) {
	var initiated, started int64
	var res *bridgev1.ChildWorkflowResult
	var cause *failurepb.Failure
	retry := enumspb.RETRY_STATE_UNSPECIFIED
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
		a := ev.GetChildWorkflowExecutionCompletedEventAttributes()
		initiated, started = a.GetInitiatedEventId(), a.GetStartedEventId()
		var result *bridgev1.Payload
		if ps := apiconv.BridgePayloads(a.GetResult()); len(ps) > 0 {
			result = ps[0]
		}
		res = &bridgev1.ChildWorkflowResult{Status: &bridgev1.ChildWorkflowResult_Completed{Completed: &bridgev1.ChildWorkflowResultCompleted{Result: result}}}
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
		a := ev.GetChildWorkflowExecutionFailedEventAttributes()
		initiated, started, cause, retry = a.GetInitiatedEventId(), a.GetStartedEventId(), a.GetFailure(), a.GetRetryState()
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
		a := ev.GetChildWorkflowExecutionCanceledEventAttributes()
		initiated, started, retry = a.GetInitiatedEventId(), a.GetStartedEventId(), enumspb.RETRY_STATE_CANCEL_REQUESTED
		cause = &failurepb.Failure{Message: "child workflow cancelled", FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{Details: a.GetDetails()}}}
	case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
		a := ev.GetChildWorkflowExecutionTimedOutEventAttributes()
		initiated, started, retry = a.GetInitiatedEventId(), a.GetStartedEventId(), a.GetRetryState()
		cause = &failurepb.Failure{Message: "child workflow timed out", FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{
			TimeoutType: enumspb.TIMEOUT_TYPE_START_TO_CLOSE}}}
	default: // terminated
		a := ev.GetChildWorkflowExecutionTerminatedEventAttributes()
		initiated, started = a.GetInitiatedEventId(), a.GetStartedEventId()
		cause = &failurepb.Failure{Message: "child workflow terminated", FailureInfo: &failurepb.Failure_TerminatedFailureInfo{TerminatedFailureInfo: &failurepb.TerminatedFailureInfo{}}}
	}
	seq, ch, err := r.childAt(initiated, ev)
	if err != nil || ch.resolved {
		return nil, true, err
	}
	ch.resolved = true
	if res == nil {
		f := r.childFailure(ch, started, retry, cause)
		if ev.GetEventType() == enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED {
			res = &bridgev1.ChildWorkflowResult{Status: &bridgev1.ChildWorkflowResult_Cancelled{Cancelled: &bridgev1.ChildWorkflowResultCancelled{Failure: f}}}
		} else {
			res = &bridgev1.ChildWorkflowResult{Status: &bridgev1.ChildWorkflowResult_Failed{Failed: &bridgev1.ChildWorkflowResultFailed{Failure: f}}}
		}
	}
	return jobs(childResult(seq, res)), true, nil
}

// recordInitiated remembers which command an initiated event belongs to.
func (r *run) recordInitiated(p pending, ev *historypb.HistoryEvent) error {
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
		r.children[p.seq].initiatedID = ev.GetEventId()
		r.childByEvent[ev.GetEventId()] = p.seq
	case enumspb.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		r.signalByEvent[ev.GetEventId()] = p.seq
	case enumspb.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
		r.cancelByEvent[ev.GetEventId()] = cancelOf{seq: p.seq, child: p.child}
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED:
		r.nexusOps[p.seq].scheduledEventID = ev.GetEventId()
		r.nexusByEvent[ev.GetEventId()] = p.seq
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_CANCEL_REQUESTED:
		// WAIT_CANCELLATION_REQUESTED resolves once the request is recorded.
		if op := r.nexusOps[p.seq]; op != nil && !op.resolved && op.cancelType == bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED {
			b := &batch{}
			r.resolveNexusCancelled(p.seq, op, b)
			r.deferred = append(r.deferred, b.now...)
		}
	}
	return nil
}

// samePatch checks a patch marker command against a marker event.
func samePatch(p pending, ev *historypb.HistoryEvent) error {
	got, ok := patchOf(ev)
	if !ok {
		return nil
	}
	var want patchData
	if ps := p.cmd.GetRecordMarkerCommandAttributes().GetDetails()[patchDetailsKey].GetPayloads(); len(ps) > 0 {
		_ = json.Unmarshal(ps[0].GetData(), &want)
	}
	if got.ID != want.ID {
		return nondeterminism("the workflow recorded patch %q (seq %d), but history has patch %q (event %d)", want.ID, p.seq, got.ID, ev.GetEventId())
	}
	return nil
}

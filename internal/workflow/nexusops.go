package workflow

import (
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commandpb "go.temporal.io/api/command/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
)

// nexusOp is a Nexus operation the run called.
type nexusOp struct {
	endpoint, service, operation string
	scheduledEventID             int64
	token                        string
	cancelType                   bridgev1.CancellationType
	started                      bool // the start was resolved
	resolved                     bool // the outcome was resolved
}

// takeNexus handles ScheduleNexusOperation and RequestCancelNexusOperation.
func (r *run) takeNexus(i int, c *bridgev1.WorkflowCommand, b *batch, add func(uint32, *commandpb.Command)) (bool, error) {
	switch v := c.GetVariant().(type) {
	case *bridgev1.WorkflowCommand_ScheduleNexusOperation:
		s := v.ScheduleNexusOperation
		switch {
		case r.nexusOps[s.GetSeq()] != nil:
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES, "commands[%d].schedule_nexus_operation.seq %d is already used", i, s.GetSeq())
		case s.GetEndpoint() == "" || s.GetService() == "" || s.GetOperation() == "":
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_NEXUS_OPERATION_ATTRIBUTES,
				"commands[%d].schedule_nexus_operation needs endpoint, service and operation", i)
		}
		r.nexusOps[s.GetSeq()] = &nexusOp{endpoint: s.GetEndpoint(), service: s.GetService(), operation: s.GetOperation(), cancelType: s.GetCancellationType()}
		add(s.GetSeq(), &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION,
			Attributes: &commandpb.Command_ScheduleNexusOperationCommandAttributes{ScheduleNexusOperationCommandAttributes: &commandpb.ScheduleNexusOperationCommandAttributes{
				Endpoint: s.GetEndpoint(), Service: s.GetService(), Operation: s.GetOperation(), Input: apiconv.Payload(s.GetInput()),
				ScheduleToCloseTimeout: s.GetScheduleToCloseTimeout(), NexusHeader: s.GetNexusHeader(),
				ScheduleToStartTimeout: s.GetScheduleToStartTimeout(), StartToCloseTimeout: s.GetStartToCloseTimeout()}}})

	case *bridgev1.WorkflowCommand_RequestCancelNexusOperation:
		seq := v.RequestCancelNexusOperation.GetSeq()
		op := r.nexusOps[seq]
		if op == nil {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_NEXUS_OPERATION_ATTRIBUTES,
				"commands[%d].request_cancel_nexus_operation.seq %d names an operation that was never scheduled", i, seq)
		}
		if op.resolved {
			return true, nil
		}
		if r.unsend(b, enumspb.COMMAND_TYPE_SCHEDULE_NEXUS_OPERATION, seq) {
			r.resolveNexusCancelled(seq, op, b) // scheduled and cancelled in one task
			return true, nil
		}
		if op.cancelType != bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON {
			add(seq, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_REQUEST_CANCEL_NEXUS_OPERATION,
				Attributes: &commandpb.Command_RequestCancelNexusOperationCommandAttributes{RequestCancelNexusOperationCommandAttributes: &commandpb.RequestCancelNexusOperationCommandAttributes{
					ScheduledEventId: op.scheduledEventID}}})
		}
		if t := op.cancelType; t != bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED && t != bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED {
			r.resolveNexusCancelled(seq, op, b)
		}
	default:
		return false, nil
	}
	return true, nil
}

// nexusFailure is an operation's failure as Temporal's SDKs show it: a
// NexusOperationFailure whose cause says why. The server's Nexus events
// already carry one, passed on as it is; any other failure is wrapped.
func (r *run) nexusFailure(op *nexusOp, cause *failurepb.Failure) *bridgev1.Failure {
	if cause.GetNexusOperationExecutionFailureInfo() != nil {
		return apiconv.BridgeFailure(cause)
	}
	return apiconv.BridgeFailure(&failurepb.Failure{Message: "nexus operation completed unsuccessfully", Source: "TemporalSidecar", Cause: cause,
		FailureInfo: &failurepb.Failure_NexusOperationExecutionFailureInfo{NexusOperationExecutionFailureInfo: &failurepb.NexusOperationFailureInfo{
			ScheduledEventId: op.scheduledEventID, Endpoint: op.endpoint, Service: op.service, Operation: op.operation, OperationToken: op.token}}})
}

func (r *run) resolveNexusCancelled(seq uint32, op *nexusOp, b *batch) {
	f := r.nexusFailure(op, &failurepb.Failure{Message: "nexus operation cancelled",
		FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{}}})
	b.now = append(b.now, r.nexusOutcome(seq, op, &bridgev1.NexusOperationResult{Status: &bridgev1.NexusOperationResult_Cancelled{Cancelled: f}})...)
}

// nexusOutcome resolves an operation: its start first if that was not
// resolved yet (as failed, for an unsuccessful outcome), then its result.
func (r *run) nexusOutcome(seq uint32, op *nexusOp, res *bridgev1.NexusOperationResult) []*bridgev1.WorkflowActivationJob {
	var out []*bridgev1.WorkflowActivationJob
	if !op.started {
		op.started = true
		start := &bridgev1.ResolveNexusOperationStart{Seq: seq, Status: &bridgev1.ResolveNexusOperationStart_StartedSync{StartedSync: true}}
		if res.GetCompleted() == nil {
			f := res.GetFailed()
			if f == nil {
				f = res.GetCancelled()
			}
			if f == nil {
				f = res.GetTimedOut()
			}
			start.Status = &bridgev1.ResolveNexusOperationStart_Failed{Failed: f}
		}
		out = append(out, &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveNexusOperationStart{ResolveNexusOperationStart: start}})
	}
	op.resolved = true
	return append(out, &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveNexusOperation{
		ResolveNexusOperation: &bridgev1.ResolveNexusOperation{Seq: seq, Result: res}}})
}

// applyNexus turns Nexus operation events into jobs; false for other events.
func (r *run) applyNexus(ev *historypb.HistoryEvent) ([]*bridgev1.WorkflowActivationJob, bool, error) {
	var scheduled int64
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_STARTED:
		scheduled = ev.GetNexusOperationStartedEventAttributes().GetScheduledEventId()
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_COMPLETED:
		scheduled = ev.GetNexusOperationCompletedEventAttributes().GetScheduledEventId()
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_FAILED:
		scheduled = ev.GetNexusOperationFailedEventAttributes().GetScheduledEventId()
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_CANCELED:
		scheduled = ev.GetNexusOperationCanceledEventAttributes().GetScheduledEventId()
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_TIMED_OUT:
		scheduled = ev.GetNexusOperationTimedOutEventAttributes().GetScheduledEventId()
	default:
		return nil, false, nil
	}
	seq, ok := r.nexusByEvent[scheduled]
	if !ok {
		return nil, true, nondeterminism("history has %s (event %d) for an operation scheduled at event %d that the workflow never called",
			ev.GetEventType(), ev.GetEventId(), scheduled)
	}
	op := r.nexusOps[seq]
	if op.resolved {
		return nil, true, nil
	}
	switch ev.GetEventType() {
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_STARTED:
		if op.started {
			return nil, true, nil
		}
		a := ev.GetNexusOperationStartedEventAttributes()
		op.started, op.token = true, a.GetOperationToken()
		if op.token == "" {
			op.token = a.GetOperationId()
		}
		return jobs(&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveNexusOperationStart{
			ResolveNexusOperationStart: &bridgev1.ResolveNexusOperationStart{Seq: seq, Status: &bridgev1.ResolveNexusOperationStart_OperationToken{
				OperationToken: op.token}}}}), true, nil
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_COMPLETED:
		return r.nexusOutcome(seq, op, &bridgev1.NexusOperationResult{Status: &bridgev1.NexusOperationResult_Completed{
			Completed: apiconv.BridgePayload(ev.GetNexusOperationCompletedEventAttributes().GetResult())}}), true, nil
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_FAILED:
		f := r.nexusFailure(op, ev.GetNexusOperationFailedEventAttributes().GetFailure())
		return r.nexusOutcome(seq, op, &bridgev1.NexusOperationResult{Status: &bridgev1.NexusOperationResult_Failed{Failed: f}}), true, nil
	case enumspb.EVENT_TYPE_NEXUS_OPERATION_CANCELED:
		f := r.nexusFailure(op, ev.GetNexusOperationCanceledEventAttributes().GetFailure())
		return r.nexusOutcome(seq, op, &bridgev1.NexusOperationResult{Status: &bridgev1.NexusOperationResult_Cancelled{Cancelled: f}}), true, nil
	default:
		f := r.nexusFailure(op, ev.GetNexusOperationTimedOutEventAttributes().GetFailure())
		return r.nexusOutcome(seq, op, &bridgev1.NexusOperationResult{Status: &bridgev1.NexusOperationResult_TimedOut{TimedOut: f}}), true, nil
	}
}

package workflow

import (
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	commandpb "go.temporal.io/api/command/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	updatepb "go.temporal.io/api/update/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// update is an update the run was asked to handle.
type update struct {
	messageID  string // the request message, for acceptance and rejection
	sequencing int64  // the request's sequencing event id
	request    *updatepb.Request
	accepted   bool // the app accepted it: a rejection now means its handler failed
}

// doUpdate is the job for an update request.
func doUpdate(pid string, req *updatepb.Request, validate bool) *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_DoUpdate{DoUpdate: &bridgev1.DoUpdate{
		Id: req.GetMeta().GetUpdateId(), ProtocolInstanceId: pid, Name: req.GetInput().GetName(),
		Input: apiconv.BridgePayloads(req.GetInput().GetArgs()), Headers: apiconv.BridgePayloadMap(req.GetInput().GetHeader().GetFields()),
		Identity: req.GetMeta().GetIdentity(), RunValidator: validate}}}
}

// updateRequests turns the update requests a task carries into jobs.
func (r *run) updateRequests(msgs []*protocolpb.Message) ([]*bridgev1.WorkflowActivationJob, error) {
	var out []*bridgev1.WorkflowActivationJob
	for _, m := range msgs {
		req := &updatepb.Request{}
		if err := m.GetBody().UnmarshalTo(req); err != nil {
			continue // not an update request: no other protocol exists yet
		}
		pid := m.GetProtocolInstanceId()
		if r.updates[pid] != nil {
			continue // already delivered (an admitted update also sent as a message)
		}
		r.updates[pid] = &update{messageID: m.GetId(), sequencing: m.GetEventId(), request: req}
		out = append(out, doUpdate(pid, req, true))
	}
	return out, nil
}

// acceptedUpdates looks ahead at the command events that follow a replayed
// workflow task and redelivers the updates it accepted, so the workflow runs
// their handlers again; validators do not run on replay.
func (r *run) acceptedUpdates(events []*historypb.HistoryEvent) []*bridgev1.WorkflowActivationJob {
	var out []*bridgev1.WorkflowActivationJob
	for _, ev := range recorded(events) {
		a := ev.GetWorkflowExecutionUpdateAcceptedEventAttributes()
		if a == nil || r.updates[a.GetProtocolInstanceId()] != nil {
			continue
		}
		r.updates[a.GetProtocolInstanceId()] = &update{messageID: a.GetAcceptedRequestMessageId(),
			sequencing: a.GetAcceptedRequestSequencingEventId(), request: a.GetAcceptedRequest()}
		out = append(out, doUpdate(a.GetProtocolInstanceId(), a.GetAcceptedRequest(), false))
	}
	return out
}

// takeUpdate turns an UpdateResponse into protocol messages, and a command
// for those the history records.
func (r *run) takeUpdate(i int, u *bridgev1.UpdateResponse, b *batch, add func(uint32, *commandpb.Command)) error {
	pid := u.GetProtocolInstanceId()
	up := r.updates[pid]
	if up == nil {
		return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
			"commands[%d].update_response.protocol_instance_id %q names no update delivered to this run", i, pid)
	}
	var msg *protocolpb.Message
	record := true
	if rej, ok := u.GetResponse().(*bridgev1.UpdateResponse_Rejected); ok && up.accepted {
		// sdk-core's protocol has no failed: a handler that fails after
		// accepting rejects, and core completes the update with the failure.
		u = &bridgev1.UpdateResponse{ProtocolInstanceId: pid, Response: &bridgev1.UpdateResponse_Failed{Failed: rej.Rejected}}
	}
	switch v := u.GetResponse().(type) {
	case *bridgev1.UpdateResponse_Accepted:
		up.accepted = true
		msg = protocolMessage(pid, pid+"/accept", &updatepb.Acceptance{AcceptedRequestMessageId: up.messageID,
			AcceptedRequestSequencingEventId: up.sequencing, AcceptedRequest: up.request})
	case *bridgev1.UpdateResponse_Rejected:
		msg = protocolMessage(pid, pid+"/reject", &updatepb.Rejection{RejectedRequestMessageId: up.messageID,
			RejectedRequestSequencingEventId: up.sequencing, RejectedRequest: up.request, Failure: apiconv.Failure(v.Rejected)})
		record = false // a rejection leaves no trace in history
		delete(r.updates, pid)
	case *bridgev1.UpdateResponse_Completed:
		msg = protocolMessage(pid, pid+"/complete", &updatepb.Response{Meta: up.request.GetMeta(),
			Outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Success{Success: apiconv.Payloads([]*bridgev1.Payload{v.Completed})}}})
	case *bridgev1.UpdateResponse_Failed:
		msg = protocolMessage(pid, pid+"/complete", &updatepb.Response{Meta: up.request.GetMeta(),
			Outcome: &updatepb.Outcome{Value: &updatepb.Outcome_Failure{Failure: apiconv.Failure(v.Failed)}}})
	default:
		return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
			"commands[%d].update_response has no response: set accepted, rejected, completed or failed", i)
	}
	b.messages = append(b.messages, msg)
	if record {
		add(0, &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_PROTOCOL_MESSAGE,
			Attributes: &commandpb.Command_ProtocolMessageCommandAttributes{ProtocolMessageCommandAttributes: &commandpb.ProtocolMessageCommandAttributes{
				MessageId: msg.GetId()}}})
		r.pending[len(r.pending)-1].update = pid
	}
	return nil
}

func protocolMessage(pid, id string, body proto.Message) *protocolpb.Message {
	a, err := anypb.New(body)
	if err != nil {
		panic("workflow: update message: " + err.Error())
	}
	return &protocolpb.Message{Id: id, ProtocolInstanceId: pid, Body: a}
}

// Package coreconv converts between the bridge protocol and sdk-core's
// messages (the coresdk.* packages that Temporal's core-based SDKs exchange
// with their in-process Rust core), for sessions registered with
// core_protocol_version 1. It is the one mapping between the two: the engine
// and the dispatchers only ever see bridge messages.
//
// Version 1 is sdk-core's message set as temporalio 1.31 to 1.35 ship it
// (third_party/coresdk). Payloads, failures and the other messages that both
// sides share with temporal.api are wire-compatible and pass through
// apiconv.Recode; so are the core messages that mirror ours field for field. Whatever core can express and the sidecar cannot honour is
// refused with an error naming it, never dropped.
package coreconv

import (
	"errors"
	"fmt"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"google.golang.org/protobuf/proto"
)

// Version is the core_protocol_version this package speaks.
const Version = 1

// Codec is the bridge.CoreCodec of core protocol version 1. It holds no
// state: one value serves every session.
type Codec struct{}

var _ bridge.CoreCodec = Codec{}

// Version is the core_protocol_version the codec speaks.
func (Codec) Version() uint32 { return Version }

// Encode turns an activation, activity task or Nexus task for the app into
// its core form; other messages come back unchanged.
func (Codec) Encode(m *bridgev1.ConnectResponse) (*bridgev1.ConnectResponse, error) {
	var (
		core proto.Message
		err  error
		wrap func([]byte) *bridgev1.ConnectResponse
	)
	switch v := m.GetMessage().(type) {
	case *bridgev1.ConnectResponse_WorkflowActivation:
		core, err = Activation(v.WorkflowActivation)
		wrap = func(b []byte) *bridgev1.ConnectResponse {
			return &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CoreWorkflowActivation{CoreWorkflowActivation: b}}
		}
	case *bridgev1.ConnectResponse_ActivityTask:
		core, err = ActivityTask(v.ActivityTask)
		wrap = func(b []byte) *bridgev1.ConnectResponse {
			return &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CoreActivityTask{CoreActivityTask: b}}
		}
	case *bridgev1.ConnectResponse_NexusTask:
		core, err = NexusTask(v.NexusTask)
		wrap = func(b []byte) *bridgev1.ConnectResponse {
			return &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CoreNexusTask{CoreNexusTask: b}}
		}
	default:
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(core)
	if err != nil {
		return nil, fmt.Errorf("coreconv: encoding %s: %w", core.ProtoReflect().Descriptor().FullName(), err)
	}
	return wrap(b), nil
}

// Decode turns a core completion or heartbeat from the app into the bridge's;
// other messages come back unchanged. A completion the sidecar cannot honour
// comes back as a failed completion of the same task, with an error naming
// what was refused; bytes that do not decode give no message, only the
// error. A nil message with a nil error means there is nothing to forward
// (an app acknowledging a cancelled Nexus task).
func (Codec) Decode(m *bridgev1.ConnectRequest) (*bridgev1.ConnectRequest, error) {
	switch v := m.GetMessage().(type) {
	case *bridgev1.ConnectRequest_CoreWorkflowCompletion:
		c, err := Completion(v.CoreWorkflowCompletion)
		if c == nil {
			return nil, err
		}
		return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{WorkflowCompletion: c}}, err
	case *bridgev1.ConnectRequest_CoreActivityCompletion:
		c, err := ActivityCompletion(v.CoreActivityCompletion)
		if c == nil {
			return nil, err
		}
		return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{ActivityCompletion: c}}, err
	case *bridgev1.ConnectRequest_CoreActivityHeartbeat:
		h, err := ActivityHeartbeat(v.CoreActivityHeartbeat)
		if err != nil {
			return nil, err
		}
		return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityHeartbeat{ActivityHeartbeat: h}}, nil
	case *bridgev1.ConnectRequest_CoreNexusCompletion:
		c, err := NexusCompletion(v.CoreNexusCompletion)
		if c == nil {
			return nil, err
		}
		return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_NexusCompletion{NexusCompletion: c}}, err
	}
	return m, nil
}

// RefusedError is a core message, or a part of one, the sidecar cannot
// honour. What names it by its core field path.
type RefusedError struct {
	What string // e.g. "commands[2].cancel_signal_workflow"
	Why  string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("core protocol %d: %s is not supported by the sidecar: %s", Version, e.What, e.Why)
}

func refused(what, why string) error { return &RefusedError{What: what, Why: why} }

// IsRefused reports whether err refuses a core message the app sent.
func IsRefused(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

// decode unmarshals an app's core message, naming the field it came in.
func decode(b []byte, m proto.Message, field string) error {
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%s is not an encoded %s: %v", field, m.ProtoReflect().Descriptor().FullName(), err)
	}
	return nil
}

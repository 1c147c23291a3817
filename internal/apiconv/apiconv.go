// Package apiconv converts between bridge protocol messages and Temporal API
// messages. The bridge's Payload and Failure are wire-compatible with
// Temporal's, so conversions either copy fields (payloads, on the hot path)
// or re-decode the same bytes (failures and other rare messages), and never
// lose a field.
package apiconv

import (
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"google.golang.org/protobuf/proto"
)

// Recode decodes the wire bytes of from into a new message of to's type. It
// is for wire-compatible pairs; a failure means the pair is not compatible,
// which is a programming error.
func Recode[T proto.Message](from proto.Message, to T) T {
	b, err := proto.Marshal(from)
	if err != nil {
		panic("apiconv: marshal " + string(from.ProtoReflect().Descriptor().FullName()) + ": " + err.Error())
	}
	if err := proto.Unmarshal(b, to); err != nil {
		panic("apiconv: " + string(to.ProtoReflect().Descriptor().FullName()) + " is not wire-compatible: " + err.Error())
	}
	return to
}

// Payload converts a bridge payload to Temporal's.
func Payload(p *bridgev1.Payload) *commonpb.Payload {
	if p == nil {
		return nil
	}
	out := &commonpb.Payload{Metadata: p.GetMetadata(), Data: p.GetData()}
	for _, e := range p.GetExternalPayloads() {
		out.ExternalPayloads = append(out.ExternalPayloads, &commonpb.Payload_ExternalPayloadDetails{SizeBytes: e.GetSizeBytes()})
	}
	return out
}

// BridgePayload converts a Temporal payload to the bridge's.
func BridgePayload(p *commonpb.Payload) *bridgev1.Payload {
	if p == nil {
		return nil
	}
	out := &bridgev1.Payload{Metadata: p.GetMetadata(), Data: p.GetData()}
	for _, e := range p.GetExternalPayloads() {
		out.ExternalPayloads = append(out.ExternalPayloads, &bridgev1.ExternalPayloadDetails{SizeBytes: e.GetSizeBytes()})
	}
	return out
}

// Payloads converts a list of bridge payloads to Temporal's Payloads; an
// empty list becomes nil, as Temporal's SDKs send it.
func Payloads(ps []*bridgev1.Payload) *commonpb.Payloads {
	if len(ps) == 0 {
		return nil
	}
	out := &commonpb.Payloads{Payloads: make([]*commonpb.Payload, len(ps))}
	for i, p := range ps {
		out.Payloads[i] = Payload(p)
	}
	return out
}

// BridgePayloads converts Temporal's Payloads to a list of bridge payloads.
func BridgePayloads(ps *commonpb.Payloads) []*bridgev1.Payload {
	if len(ps.GetPayloads()) == 0 {
		return nil
	}
	out := make([]*bridgev1.Payload, len(ps.GetPayloads()))
	for i, p := range ps.GetPayloads() {
		out[i] = BridgePayload(p)
	}
	return out
}

// PayloadMap converts a map of bridge payloads (headers, memo, search attributes).
func PayloadMap(m map[string]*bridgev1.Payload) map[string]*commonpb.Payload {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*commonpb.Payload, len(m))
	for k, p := range m {
		out[k] = Payload(p)
	}
	return out
}

// BridgePayloadMap converts a map of Temporal payloads.
func BridgePayloadMap(m map[string]*commonpb.Payload) map[string]*bridgev1.Payload {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*bridgev1.Payload, len(m))
	for k, p := range m {
		out[k] = BridgePayload(p)
	}
	return out
}

// Failure converts a bridge failure to Temporal's.
func Failure(f *bridgev1.Failure) *failurepb.Failure {
	if f == nil {
		return nil
	}
	return Recode(f, &failurepb.Failure{})
}

// BridgeFailure converts a Temporal failure to the bridge's.
func BridgeFailure(f *failurepb.Failure) *bridgev1.Failure {
	if f == nil {
		return nil
	}
	return Recode(f, &bridgev1.Failure{})
}

// RetryPolicy converts an optional retry policy; nil stays nil.
func RetryPolicy(p *bridgev1.RetryPolicy) *commonpb.RetryPolicy {
	if p == nil {
		return nil
	}
	return Recode(p, &commonpb.RetryPolicy{})
}

// Priority converts an optional priority; nil stays nil.
func Priority(p *bridgev1.Priority) *commonpb.Priority {
	if p == nil {
		return nil
	}
	return Recode(p, &commonpb.Priority{})
}

// Memo converts memo fields; none gives nil, as Temporal's SDKs send it.
func Memo(m map[string]*bridgev1.Payload) *commonpb.Memo {
	if len(m) == 0 {
		return nil
	}
	return &commonpb.Memo{Fields: PayloadMap(m)}
}

// SearchAttributes converts search attributes; none gives nil.
func SearchAttributes(m map[string]*bridgev1.Payload) *commonpb.SearchAttributes {
	if len(m) == 0 {
		return nil
	}
	return &commonpb.SearchAttributes{IndexedFields: PayloadMap(m)}
}

// CancelActivity is the bridge's cancellation of an activity for one reason,
// with that reason's flag set in its details, as sdk-core reports a single
// reason.
func CancelActivity(reason bridgev1.ActivityCancelReason, msg string) *bridgev1.CancelActivity {
	d := &bridgev1.ActivityCancellationDetails{}
	switch reason {
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_NOT_FOUND:
		d.IsNotFound = true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_TIMED_OUT:
		d.IsTimedOut = true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN:
		d.IsWorkerShutdown = true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_PAUSED:
		d.IsPaused = true
	case bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_RESET:
		d.IsReset = true
	default:
		d.IsCancelled = true
	}
	return &bridgev1.CancelActivity{Reason: reason, Message: msg, Details: d}
}

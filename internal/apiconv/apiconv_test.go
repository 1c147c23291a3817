package apiconv

import (
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// The bridge's messages must decode Temporal's bytes field for field, and back.
func TestWireCompatibleWithTemporal(t *testing.T) {
	tests := []struct {
		name     string
		temporal proto.Message
		bridge   proto.Message
	}{
		{"payload", &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`),
			ExternalPayloads: []*commonpb.Payload_ExternalPayloadDetails{{SizeBytes: 9}}}, &bridgev1.Payload{}},
		{"retry policy", &commonpb.RetryPolicy{InitialInterval: durationpb.New(time.Second), BackoffCoefficient: 1.5,
			MaximumInterval: durationpb.New(time.Minute), MaximumAttempts: 3, NonRetryableErrorTypes: []string{"Bad"}}, &bridgev1.RetryPolicy{}},
		{"priority", &commonpb.Priority{PriorityKey: 2, FairnessKey: "tenant", FairnessWeight: 0.5}, &bridgev1.Priority{}},
		{"nested failure", &failurepb.Failure{
			Message: "activity failed", Source: "GoSDK", StackTrace: "st",
			FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
				ScheduledEventId: 5, StartedEventId: 6, Identity: "w", ActivityType: &commonpb.ActivityType{Name: "Charge"},
				ActivityId: "1", RetryState: enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED}},
			Cause: &failurepb.Failure{Message: "card declined", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
				ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "Declined", NonRetryable: true,
					Details:        &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: []byte("d")}}},
					NextRetryDelay: durationpb.New(time.Second), Category: enumspb.APPLICATION_ERROR_CATEGORY_BENIGN}}},
		}, &bridgev1.Failure{}},
		{"timeout failure", &failurepb.Failure{FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{
			TimeoutType: enumspb.TIMEOUT_TYPE_HEARTBEAT, LastHeartbeatDetails: &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: []byte("hb")}}}}}}, &bridgev1.Failure{}},
		{"child failure", &failurepb.Failure{FailureInfo: &failurepb.Failure_ChildWorkflowExecutionFailureInfo{
			ChildWorkflowExecutionFailureInfo: &failurepb.ChildWorkflowExecutionFailureInfo{Namespace: "ns",
				WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "w", RunId: "r"}, WorkflowType: &commonpb.WorkflowType{Name: "T"},
				InitiatedEventId: 3, StartedEventId: 4, RetryState: enumspb.RETRY_STATE_TIMEOUT}}}, &bridgev1.Failure{}},
		{"nexus failure", &failurepb.Failure{FailureInfo: &failurepb.Failure_NexusOperationExecutionFailureInfo{
			NexusOperationExecutionFailureInfo: &failurepb.NexusOperationFailureInfo{ScheduledEventId: 1, Endpoint: "e", Service: "s",
				Operation: "o", OperationId: "id", OperationToken: "tok"}}}, &bridgev1.Failure{}},
		{"nexus handler failure", &failurepb.Failure{FailureInfo: &failurepb.Failure_NexusHandlerFailureInfo{
			NexusHandlerFailureInfo: &failurepb.NexusHandlerFailureInfo{Type: "BAD_REQUEST",
				RetryBehavior: enumspb.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE}}}, &bridgev1.Failure{}},
		{"canceled, terminated, server, reset", &failurepb.Failure{EncodedAttributes: &commonpb.Payload{Data: []byte("enc")},
			FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{Identity: "me",
				Details: &commonpb.Payloads{Payloads: []*commonpb.Payload{{Data: []byte("c")}}}}},
			Cause: &failurepb.Failure{FailureInfo: &failurepb.Failure_TerminatedFailureInfo{TerminatedFailureInfo: &failurepb.TerminatedFailureInfo{Identity: "op"}},
				Cause: &failurepb.Failure{FailureInfo: &failurepb.Failure_ServerFailureInfo{ServerFailureInfo: &failurepb.ServerFailureInfo{NonRetryable: true}},
					Cause: &failurepb.Failure{FailureInfo: &failurepb.Failure_ResetWorkflowFailureInfo{ResetWorkflowFailureInfo: &failurepb.ResetWorkflowFailureInfo{
						LastHeartbeatDetails: &commonpb.Payloads{}}}}}}}, &bridgev1.Failure{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := Recode(tt.temporal, tt.bridge)
			if len(b.ProtoReflect().GetUnknown()) != 0 {
				t.Fatalf("bridge message has unknown fields %x: a field is missing from the bridge proto", b.ProtoReflect().GetUnknown())
			}
			back := Recode(b, tt.temporal.ProtoReflect().New().Interface())
			if !proto.Equal(back, tt.temporal) {
				t.Fatalf("round trip changed the message:\n got %v\nwant %v", back, tt.temporal)
			}
		})
	}
}

func TestPayloadCopiesMatchRecode(t *testing.T) {
	p := &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("binary/plain")}, Data: []byte{1, 2},
		ExternalPayloads: []*bridgev1.ExternalPayloadDetails{{SizeBytes: 4}}}
	if got, want := Payload(p), Recode(p, &commonpb.Payload{}); !proto.Equal(got, want) {
		t.Fatalf("Payload = %v, want %v", got, want)
	}
	if got := BridgePayload(Payload(p)); !proto.Equal(got, p) {
		t.Fatalf("round trip = %v", got)
	}
	if Payloads(nil) != nil || BridgePayloads(nil) != nil || Failure(nil) != nil || BridgeFailure(nil) != nil {
		t.Fatal("nil must stay nil")
	}
	m := map[string]*bridgev1.Payload{"k": p}
	if got := BridgePayloadMap(PayloadMap(m)); !proto.Equal(got["k"], p) {
		t.Fatalf("map round trip = %v", got)
	}
}

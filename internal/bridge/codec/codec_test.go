package codec

import (
	"bytes"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func activityTask(data []byte) *bridgev1.ConnectResponse {
	return &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_ActivityTask{ActivityTask: &bridgev1.ActivityTask{
		TaskToken: []byte("token-1234567890"),
		Variant: &bridgev1.ActivityTask_Start{Start: &bridgev1.StartActivity{
			WorkflowNamespace: "default", WorkflowType: "wf", ActivityId: "1", ActivityType: "act",
			Headers:                map[string]*bridgev1.Payload{"h": {Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`1`)}},
			Input:                  []*bridgev1.Payload{{Metadata: map[string][]byte{"encoding": []byte("binary/plain")}, Data: data}},
			ScheduledTime:          timestamppb.New(time.Unix(1700000000, 5)),
			StartToCloseTimeout:    durationpb.New(10 * time.Second),
			Attempt:                3,
			WorkflowExecution:      &bridgev1.WorkflowExecution{WorkflowId: "w", RunId: "r"},
			RetryPolicy:            &bridgev1.RetryPolicy{MaximumAttempts: 5, NonRetryableErrorTypes: []string{"x"}},
			ScheduleToCloseTimeout: durationpb.New(time.Minute),
		}}}}}
}

// The codec writes what protobuf's own encoder writes, and reads it back
// into an equal message, below and above gRPC's buffer pooling threshold.
func TestCodecMatchesProto(t *testing.T) {
	c := Codec()
	for _, n := range []int{0, 10, 64 << 10} {
		m := activityTask(bytes.Repeat([]byte{7}, n))
		got, err := c.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		want, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back bridgev1.ConnectResponse
		if err := proto.Unmarshal(got.Materialize(), &back); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(&back, m) || got.Len() != len(want) {
			t.Fatalf("%d bytes of input: the codec's encoding (%d bytes) differs from protobuf's (%d)", n, got.Len(), len(want))
		}
		var dec bridgev1.ConnectResponse
		if err := c.Unmarshal(got, &dec); err != nil {
			t.Fatal(err)
		}
		got.Free()
		if !proto.Equal(&dec, m) {
			t.Fatalf("%d bytes of input: decoded %v, want %v", n, &dec, m)
		}
	}
}

// Messages without generated methods (the health service's) use gRPC's codec.
func TestCodecFallsBackForOtherMessages(t *testing.T) {
	c := Codec()
	m := &healthpb.HealthCheckRequest{Service: "sidecar.bridge.v1.BridgeService"}
	b, err := c.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back healthpb.HealthCheckRequest
	if err := c.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.GetService() != m.GetService() {
		t.Fatalf("got %q", back.GetService())
	}
}

// A decoded message keeps nothing of the buffer it came from, which goes
// back to the pool.
func TestCodecDecodedMessageOwnsItsBytes(t *testing.T) {
	c := Codec()
	raw, _ := proto.Marshal(activityTask([]byte("payload")))
	buf := append([]byte(nil), raw...)
	var dec bridgev1.ConnectResponse
	if err := c.Unmarshal(mem.BufferSlice{mem.SliceBuffer(buf)}, &dec); err != nil {
		t.Fatal(err)
	}
	clear(buf)
	if got := string(dec.GetActivityTask().GetStart().GetInput()[0].GetData()); got != "payload" {
		t.Fatalf("input after the buffer was reused: %q", got)
	}
}

// Guards: one activity task encoded and decoded, by this codec and by gRPC's.
func BenchmarkActivityTaskVT(b *testing.B)    { benchCodec(b, Codec()) }
func BenchmarkActivityTaskProto(b *testing.B) { benchCodec(b, Codec().(codec).fallback) }

func benchCodec(b *testing.B, c interface {
	Marshal(any) (mem.BufferSlice, error)
	Unmarshal(mem.BufferSlice, any) error
}) {
	m := activityTask([]byte(`"hello"`))
	b.ReportAllocs()
	for b.Loop() {
		d, err := c.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		var back bridgev1.ConnectResponse
		if err := c.Unmarshal(d, &back); err != nil {
			b.Fatal(err)
		}
		d.Free()
	}
}

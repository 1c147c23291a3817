package activity

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
)

// heartbeatService is a frontend that only counts heartbeats.
type heartbeatService struct {
	workflowservice.WorkflowServiceClient
	calls atomic.Int64
}

func (s *heartbeatService) RecordActivityTaskHeartbeat(context.Context, *workflowservice.RecordActivityTaskHeartbeatRequest, ...grpc.CallOption) (*workflowservice.RecordActivityTaskHeartbeatResponse, error) {
	s.calls.Add(1)
	return &workflowservice.RecordActivityTaskHeartbeatResponse{}, nil
}

// benchRun is a running activity tracked by a Dispatcher, with no app session
// (the heartbeat path never sends to the app unless the server cancels).
func benchRun(b *testing.B, interval time.Duration) (*Dispatcher, *run, *heartbeatService) {
	svc := &heartbeatService{}
	d := New(Options{Namespace: "default", Identity: "bench", Service: svc})
	r := &run{token: []byte("0123456789abcdef0123456789abcdef"), start: &bridgev1.StartActivity{ActivityId: "1", ActivityType: "Echo"}}
	r.hb = newHeartbeats(d, r, interval)
	d.track(r)
	b.Cleanup(r.hb.stop)
	return d, r, svc
}

var benchDetails = []*bridgev1.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"progress":42}`)}}

// BenchmarkHeartbeatCoalesce is an app heartbeating far faster than the
// throttle: after the first, every heartbeat is coalesced in memory and
// nothing goes to the server.
func BenchmarkHeartbeatCoalesce(b *testing.B) {
	_, r, svc := benchRun(b, time.Hour)
	r.hb.record(benchDetails) // opens the throttle window
	b.ReportAllocs()
	for b.Loop() {
		r.hb.record(benchDetails)
	}
	b.StopTimer()
	time.Sleep(10 * time.Millisecond) // the first heartbeat's send
	if n := svc.calls.Load(); n != 1 {
		b.Fatalf("%d heartbeats reached the server, want 1", n)
	}
}

// BenchmarkDispatcherHeartbeat is the whole path of a coalesced heartbeat
// from the bridge: look the activity up by task token, then coalesce.
func BenchmarkDispatcherHeartbeat(b *testing.B) {
	d, r, _ := benchRun(b, time.Hour)
	h := &bridgev1.ActivityHeartbeat{TaskToken: r.token, Details: benchDetails}
	d.Heartbeat(nil, h)
	b.ReportAllocs()
	for b.Loop() {
		d.Heartbeat(nil, h)
	}
}

// BenchmarkHeartbeatWindow is a heartbeat that opens a new throttle window
// and is sent to the server (a fake that answers at once).
func BenchmarkHeartbeatWindow(b *testing.B) {
	_, r, svc := benchRun(b, time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		r.hb.mu.Lock() // end the window, as the throttle timer would
		if r.hb.timer != nil {
			r.hb.timer.Stop()
		}
		r.hb.inWindow = false
		r.hb.mu.Unlock()
		r.hb.record(benchDetails)
	}
	b.StopTimer()
	deadline := time.Now().Add(5 * time.Second)
	for svc.calls.Load() < int64(b.N) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

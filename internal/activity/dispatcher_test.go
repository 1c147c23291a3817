package activity

import (
	"context"
	"testing"
	"time"

	failurepb "go.temporal.io/api/failure/v1"
	"google.golang.org/protobuf/proto"
)

func TestActivityFailuresAreShapedAsApplicationFailures(t *testing.T) {
	appInfo := &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "Boom", NonRetryable: true}}
	cancelled := &failurepb.Failure{Message: "stopped", FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{}}}
	tests := []struct {
		name string
		in   *failurepb.Failure
		want *failurepb.Failure
	}{
		{"application failure kept", &failurepb.Failure{Message: "boom", FailureInfo: appInfo}, &failurepb.Failure{Message: "boom", FailureInfo: appInfo}},
		{"bare failure gets application info", &failurepb.Failure{Message: "flaky"},
			&failurepb.Failure{Message: "flaky", FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}}},
		{"other kinds become the cause", cancelled,
			&failurepb.Failure{Message: "stopped", Cause: cancelled, FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}}},
		{"missing failure is explained", nil,
			&failurepb.Failure{Message: "the activity failed without saying why", Source: "TemporalSidecar",
				FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := proto.Clone(tt.in)
			if tt.in == nil {
				in = (*failurepb.Failure)(nil)
			}
			if got := applicationFailure(in.(*failurepb.Failure)); !proto.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestThrottleFollowsTemporalRules(t *testing.T) {
	const s = 1_000_000_000
	tests := []struct {
		name                    string
		timeout, def, max, want int64
	}{
		{"80% of the heartbeat timeout", 10 * s, 30 * s, 60 * s, 8 * s},
		{"capped at the maximum", 100 * s, 30 * s, 60 * s, 60 * s},
		{"default without a heartbeat timeout", 0, 30 * s, 60 * s, 30 * s},
		{"default capped too", 0, 90 * s, 60 * s, 60 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := throttle(dur(tt.timeout), dur(tt.def), dur(tt.max)); got != dur(tt.want) {
				t.Fatalf("throttle = %v, want %v", got, dur(tt.want))
			}
		})
	}
}

func dur(n int64) time.Duration { return time.Duration(n) }

// At the graceful timeout, an idle dispatcher drains without error even
// when ctx ended first.
func TestDrainOfAnIdleDispatcherAtTheGracefulTimeoutSucceeds(t *testing.T) {
	d := New(Options{})
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for range 100 { // the race it guards against shows about every other call
		if err := d.Drain(ended); err != nil {
			t.Fatalf("Drain = %v, want nil: nothing runs", err)
		}
	}
}

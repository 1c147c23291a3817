package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// completionOf is an activity completion for a task the sidecar never sent,
// carrying a result of n bytes.
func completionOf(n int) *bridgev1.ConnectRequest {
	return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{ActivityCompletion: &bridgev1.ActivityTaskCompletion{
		TaskToken: []byte("never-sent"), Result: bridgetest.Completed(&bridgev1.Payload{Data: bytes.Repeat([]byte{'x'}, n)})}}}
}

// registered opens a session on conn and waits for its registration.
func registered(t *testing.T, conn *grpc.ClientConn, queue string) grpc.BidiStreamingClient[bridgev1.ConnectRequest, bridgev1.ConnectResponse] {
	t.Helper()
	st := connect(t, conn, register(queue, 1))
	if m, err := st.Recv(); err != nil || m.GetRegistered() == nil {
		t.Fatalf("registration: %v, %v", m, err)
	}
	return st
}

// rss is the resident set of process pid, from /proc.
func rss(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc to read RSS from: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

func TestBridgeMessageSizeLimit(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		size  int
		limit string // empty: the message is read and answered
	}{
		{"the default takes what the frontend takes", nil, 4<<20 - 64<<10, ""},
		{"over the default is refused", nil, 4<<20 + 1, "4194304"},
		{"over a lowered limit is refused", []string{"--bridge-max-message-size", "1048576"}, 1 << 20, "1048576"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := devserver.TaskQueue(t)
			p, conn := startReady(t, queue, tt.args...)
			st := registered(t, conn, queue)
			if err := st.Send(completionOf(tt.size)); err != nil {
				t.Fatal(err)
			}
			m, err := st.Recv()
			if tt.limit == "" {
				if err != nil || m.GetCompletionError().GetKind() != bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_UNKNOWN_TASK {
					t.Fatalf("got %v, %v; want the completion read and refused as UNKNOWN_TASK", m, err)
				}
				return
			}
			// gRPC answers with both sizes before the sidecar sees the
			// message; the sidecar's log names the flag for the operator.
			if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "vs. "+tt.limit+")") {
				t.Fatalf("got %v, %v; want RESOURCE_EXHAUSTED naming the limit %s", m, err, tt.limit)
			}
			waitLog(t, p, "raise --bridge-max-message-size (SIDECAR_BRIDGE_MAX_MESSAGE_SIZE)")
		})
	}
}

// waitLog waits until the sidecar's log has a line containing s.
func waitLog(t *testing.T, p *proc, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.stderr.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the sidecar never logged %q", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBridgeMemoryStaysBoundedUnderLargeMessages sends, from several
// sessions at once, messages far over the limit and just under it, as a
// hostile or broken app might, and samples the sidecar's RSS throughout.
func TestBridgeMemoryStaysBoundedUnderLargeMessages(t *testing.T) {
	const sessions, rounds, nearLimit = 4, 10, 4<<20 - 64<<10
	tests := []struct {
		name string
		// send sends one message on a registered session and checks the answer.
		send func(conn *grpc.ClientConn, queue string) error
		// limit bounds the peak RSS, given the RSS before.
		limit func(before int64) int64
	}{
		{"100 MB messages are refused unread", func(conn *grpc.ClientConn, queue string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := bridgev1.NewBridgeServiceClient(conn).Connect(ctx)
			if err == nil {
				if err = st.Send(register(queue, 1)); err == nil {
					_, err = st.Recv()
				}
			}
			if err == nil {
				_ = st.Send(completionOf(100 << 20)) // the sidecar may reset the stream mid-send
				_, err = st.Recv()
			}
			if status.Code(err) != codes.ResourceExhausted {
				return fmt.Errorf("100 MB message: %v, want RESOURCE_EXHAUSTED", err)
			}
			return nil
		}, func(int64) int64 { return 64 << 20 }},
		{"messages near the limit are read and dropped", nil,
			// A message in flight is held twice (gRPC's pooled buffer and
			// the decoded message), the pool keeps buffers for a GC cycle,
			// and the GC lets the heap double: memory grows with the
			// messages in flight, not with what apps send.
			func(before int64) int64 { return before + 6*sessions*nearLimit }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := devserver.TaskQueue(t)
			p, conn := startReady(t, queue)
			pid := p.cmd.Process.Pid
			before := rss(t, pid)
			var peak int64
			done, sampled := make(chan struct{}), make(chan struct{})
			go func() {
				defer close(sampled)
				for {
					peak = max(peak, rss(t, pid))
					select {
					case <-done:
						return
					case <-time.After(10 * time.Millisecond):
					}
				}
			}()
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, sessions)
			for range sessions {
				wg.Go(func() {
					var st grpc.BidiStreamingClient[bridgev1.ConnectRequest, bridgev1.ConnectResponse]
					if tt.send == nil {
						st = registered(t, conn, queue)
					}
					for range rounds {
						var err error
						if tt.send != nil {
							err = tt.send(conn, queue)
						} else if err = st.Send(completionOf(nearLimit)); err == nil {
							var m *bridgev1.ConnectResponse
							if m, err = st.Recv(); err == nil && m.GetCompletionError() == nil {
								err = fmt.Errorf("got %v, want a completion error", m)
							}
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(done)
			<-sampled
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			limit := tt.limit(before)
			t.Logf("%d sessions x %d messages in %s: sidecar RSS %d MiB before, peak %d MiB (bound %d MiB)",
				sessions, rounds, time.Since(start).Round(time.Millisecond), before>>20, peak>>20, limit>>20)
			if peak > limit {
				t.Errorf("sidecar RSS peaked at %d MiB, over %d MiB", peak>>20, limit>>20)
			}
		})
	}
}

package bridge

import (
	"math"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func usageReport(used, limit uint64, cpu float64, cpuUnknown bool) *bridgev1.ConnectRequest {
	return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ResourceUsage{ResourceUsage: &bridgev1.ResourceUsage{
		MemoryUsedBytes: used, MemoryLimitBytes: limit, CpuUsage: cpu, CpuUnknown: cpuUnknown}}}
}

// ReportedUsage is the highest share of each resource among the sessions'
// recent reports; a resource nobody reports, a stale report and a session
// that ended count for nothing.
func TestReportedUsageIsTheHighestRecentShare(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	a, _ := registered(t, conn, validRegister())
	b, _ := registered(t, conn, validRegister())
	waitSessions(t, srv, 2)
	if _, memOK, _, cpuOK := srv.ReportedUsage(); memOK || cpuOK {
		t.Fatal("usage reported before any app reported")
	}
	for _, s := range []struct {
		st stream
		m  *bridgev1.ConnectRequest
	}{{a, usageReport(300, 1000, 0.5, false)}, {b, usageReport(700, 1000, 0, true)}} {
		if err := s.st.Send(s.m); err != nil {
			t.Fatal(err)
		}
	}
	waitFor := func(what string, cond func(mem float64, memOK bool, cpu float64, cpuOK bool) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(srv.ReportedUsage()); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				m, mo, c, co := srv.ReportedUsage()
				t.Fatalf("waiting for %s: usage = %v %v %v %v", what, m, mo, c, co)
			}
		}
	}
	waitFor("memory 0.7 (b's), CPU 0.5 (a's: b reports none)", func(m float64, mo bool, c float64, co bool) bool {
		return mo && m == 0.7 && co && c == 0.5
	})
	// b's report goes stale: a's memory remains.
	var bs *Session
	for _, ss := range srv.Sessions() {
		if v, ok := srv.usages.Load(ss); ok && !v.(usage).cpuOK {
			bs = ss
		}
	}
	srv.setUsage(bs, &bridgev1.ResourceUsage{MemoryUsedBytes: 900, MemoryLimitBytes: 1000, CpuUnknown: true}, time.Now().Add(-UsageMaxAge-time.Second))
	if m, _, _, _ := srv.ReportedUsage(); m != 0.3 {
		t.Fatalf("memory %v with b's report stale, want a's 0.3", m)
	}
	// a leaves: nothing is reported any more.
	if err := a.CloseSend(); err != nil {
		t.Fatal(err)
	}
	waitSessions(t, srv, 1)
	waitFor("no report", func(_ float64, mo bool, _ float64, co bool) bool { return !mo && !co })
}

func TestMalformedUsageReportEndsTheSession(t *testing.T) {
	for name, m := range map[string]*bridgev1.ConnectRequest{
		"cpu NaN":      usageReport(1, 2, math.NaN(), false),
		"cpu negative": usageReport(1, 2, -0.1, false),
		"nothing":      usageReport(1, 0, 0, true),
	} {
		t.Run(name, func(t *testing.T) {
			_, conn := serve(t, Options{}, Security{})
			st, _ := registered(t, conn, validRegister())
			if err := st.Send(m); err != nil {
				t.Fatal(err)
			}
			for {
				_, err := st.Recv()
				if err == nil {
					continue
				}
				if status.Code(err) != codes.InvalidArgument {
					t.Fatalf("stream ended with %v, want InvalidArgument", err)
				}
				return
			}
		})
	}
}

package bridge

import (
	"math"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

// UsageMaxAge is how long an app's ResourceUsage report counts (documented
// with ResourceUsage in bridge.proto).
const UsageMaxAge = 10 * time.Second

// usage is an app's last ResourceUsage report, as shares in [0, 1].
type usage struct {
	mem, cpu     float64
	memOK, cpuOK bool
	at           time.Time
}

// checkUsage refuses a report no controller can steer by.
func checkUsage(u *bridgev1.ResourceUsage) error {
	if c := u.GetCpuUsage(); math.IsNaN(c) || math.IsInf(c, 0) || c < 0 {
		return invalid("resource_usage.cpu_usage is %v; it is a share of the CPU, from 0 to 1", c)
	}
	if u.GetMemoryLimitBytes() == 0 && u.GetCpuUnknown() {
		return invalid("resource_usage reports neither memory (memory_limit_bytes is 0) nor CPU (cpu_unknown)")
	}
	return nil
}

// setUsage records a session's report; it says whether it is the first.
func (s *Server) setUsage(ss *Session, r *bridgev1.ResourceUsage, now time.Time) bool {
	u := usage{at: now, cpuOK: !r.GetCpuUnknown(), cpu: min(r.GetCpuUsage(), 1)}
	if l := r.GetMemoryLimitBytes(); l > 0 {
		u.memOK = true
		u.mem = min(float64(r.GetMemoryUsedBytes())/float64(l), 1)
	}
	_, seen := s.usages.Swap(ss, u)
	return !seen
}

// ReportedUsage is the highest memory share and the highest CPU share among
// the recent (UsageMaxAge) ResourceUsage reports of the server's sessions,
// replay-only ones aside; memOK and cpuOK are false for a resource no
// session reported lately. It implements slots.Reports.
func (s *Server) ReportedUsage() (mem float64, memOK bool, cpu float64, cpuOK bool) {
	since := time.Now().Add(-UsageMaxAge)
	s.usages.Range(func(k, v any) bool {
		u := v.(usage)
		if k.(*Session).ReplayOnly() || u.at.Before(since) { // a replay-only session runs no task of the queue
			return true
		}
		if u.memOK && (!memOK || u.mem > mem) {
			mem, memOK = u.mem, true
		}
		if u.cpuOK && (!cpuOK || u.cpu > cpu) {
			cpu, cpuOK = u.cpu, true
		}
		return true
	})
	return mem, memOK, cpu, cpuOK
}

package slots

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Usage reads how much of the machine (or container) is in use, each in [0, 1].
type Usage interface {
	Memory() float64
	CPU() float64
}

// Tuner decides, for every resource-based supplier it backs, whether one more
// task fits: it keeps memory and CPU use near their targets with a PID
// controller each, as Temporal's resource-based tuner does.
type Tuner struct {
	TargetMemory, TargetCPU float64
	usage                   Usage

	mu       sync.Mutex
	mem, cpu pid
	last     time.Time
	memUse   float64
	cpuUse   float64
}

// NewTuner returns a Tuner aiming at the given memory and CPU use (0 to 1),
// reading usage from u (nil: this machine's /proc and cgroup files).
func NewTuner(targetMemory, targetCPU float64, u Usage) *Tuner {
	if u == nil {
		u = newSystemUsage()
	}
	return &Tuner{TargetMemory: targetMemory, TargetCPU: targetCPU, usage: u,
		// Temporal's defaults: memory reacts hard and early, CPU gently.
		mem: pid{p: 5, d: 1, threshold: 0.25},
		cpu: pid{p: 5, d: 1, threshold: 0.05}}
}

// Reports are the memory and CPU use apps report of themselves: the
// highest share of each among the apps of a task queue, ok false for a
// resource no app reports now. The bridge implements it.
type Reports interface {
	ReportedUsage() (mem float64, memOK bool, cpu float64, cpuOK bool)
}

// ForApps returns a Tuner with t's targets and controllers of its own that
// steers by what apps report (r), resource by resource, and by t's own
// measurement of a resource no app reports. In a pod the apps' containers
// fill up, not the sidecar's, whose usage t measures.
func (t *Tuner) ForApps(r Reports) *Tuner {
	return NewTuner(t.TargetMemory, t.TargetCPU, &reported{r: r, own: t.usage})
}

// reported is the apps' reported usage, else own.
type reported struct {
	r   Reports
	own Usage
}

func (u *reported) Memory() float64 {
	if m, ok, _, _ := u.r.ReportedUsage(); ok {
		return m
	}
	return u.own.Memory()
}

func (u *reported) CPU() float64 {
	if _, _, c, ok := u.r.ReportedUsage(); ok {
		return c
	}
	return u.own.CPU()
}

// pid is a proportional–derivative controller on one resource.
type pid struct {
	p, i, d, threshold float64
	integral, lastErr  float64
}

func (c *pid) output(target, current, dt float64) float64 {
	err := target - current
	c.integral += err * dt
	deriv := 0.0
	if dt > 0 {
		deriv = (err - c.lastErr) / dt
	}
	c.lastErr = err
	return c.p*err + c.i*c.integral + c.d*deriv
}

// room reports whether the controllers allow one more task now.
func (t *Tuner) room() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	dt := 0.0
	if !t.last.IsZero() {
		dt = now.Sub(t.last).Seconds()
	}
	t.last = now
	t.memUse, t.cpuUse = t.usage.Memory(), t.usage.CPU()
	memOut := t.mem.output(t.TargetMemory, t.memUse, dt)
	cpuOut := t.cpu.output(t.TargetCPU, t.cpuUse, dt)
	return t.memUse < t.TargetMemory && memOut > t.mem.threshold && t.cpuUse < t.TargetCPU && cpuOut > t.cpu.threshold
}

// ResourceBased is a Supplier whose slots follow the machine's free memory
// and CPU: it always allows Minimum tasks, never more than Maximum, and in
// between one more whenever the Tuner has room, at most one per RampThrottle.
type ResourceBased struct {
	tuner        *Tuner
	minimum      int
	maximum      int
	rampThrottle time.Duration

	mu        sync.Mutex
	reserved  int
	lastGrant time.Time
	freed     chan struct{} // closed and replaced on every release
	used      atomic.Int64
}

// NewResourceBased returns a supplier backed by t.
func NewResourceBased(t *Tuner, minimum, maximum int, rampThrottle time.Duration) *ResourceBased {
	if minimum < 0 || maximum < max(1, minimum) {
		panic("slots: resource-based supplier needs 0 <= minimum <= maximum and maximum >= 1")
	}
	return &ResourceBased{tuner: t, minimum: minimum, maximum: maximum, rampThrottle: rampThrottle, freed: make(chan struct{})}
}

// retry is how often a waiting Reserve asks the tuner again.
const retry = 10 * time.Millisecond

// Reserve implements Supplier.
func (r *ResourceBased) Reserve(ctx context.Context, info Info) (*Permit, error) {
	for {
		r.mu.Lock()
		ch := r.freed
		r.mu.Unlock()
		if p, ok := r.TryReserve(info); ok {
			return p, nil
		}
		select {
		case <-ch:
		case <-time.After(retry):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TryReserve implements Supplier.
func (r *ResourceBased) TryReserve(info Info) (*Permit, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.reserved >= r.maximum:
		return nil, false
	case r.reserved >= r.minimum:
		if time.Since(r.lastGrant) < r.rampThrottle || !r.tuner.room() {
			return nil, false
		}
	}
	r.reserved++
	r.lastGrant = time.Now()
	return &Permit{Info: info}, true
}

// MarkUsed implements Supplier.
func (r *ResourceBased) MarkUsed(p *Permit) {
	if !p.used.Swap(true) {
		r.used.Add(1)
	}
}

// Release implements Supplier.
func (r *ResourceBased) Release(p *Permit) {
	if p.released.Swap(true) {
		panic("slots: permit released twice")
	}
	if p.used.Load() {
		r.used.Add(-1)
	}
	r.mu.Lock()
	r.reserved--
	close(r.freed)
	r.freed = make(chan struct{})
	r.mu.Unlock()
}

// Available is how many more slots may be granted at most (the tuner may
// grant fewer).
func (r *ResourceBased) Available() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maximum - r.reserved
}

// InUse is the number of slots occupied by a task.
func (r *ResourceBased) InUse() int { return int(r.used.Load()) }

// systemUsage reads memory from the cgroup (a container's limit) when there
// is one, else /proc/meminfo; CPU from /proc/stat, between two readings.
type systemUsage struct {
	mu        sync.Mutex
	lastBusy  uint64
	lastTotal uint64
	lastCPU   float64
	lastRead  time.Time
}

func newSystemUsage() *systemUsage { return &systemUsage{} }

func (s *systemUsage) Memory() float64 {
	if cur, ok := readUint("/sys/fs/cgroup/memory.current"); ok {
		if limit, ok := readUint("/sys/fs/cgroup/memory.max"); ok && limit > 0 {
			return float64(cur) / float64(limit)
		}
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var total, avail float64
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "MemTotal:":
			total = v
		case "MemAvailable:":
			avail = v
		}
	}
	if total == 0 {
		return 0
	}
	return (total - avail) / total
}

// CPU is the share of all CPUs busy since the previous reading (readings
// less than 100ms apart reuse the last value, so frequent asks are cheap).
func (s *systemUsage) CPU() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.lastRead) < 100*time.Millisecond {
		return s.lastCPU
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var total, idle uint64
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		total += n
		if i == 3 || i == 4 { // idle and iowait
			idle += n
		}
	}
	busy := total - idle
	if s.lastTotal > 0 && total > s.lastTotal {
		s.lastCPU = float64(busy-s.lastBusy) / float64(total-s.lastTotal)
	}
	s.lastBusy, s.lastTotal, s.lastRead = busy, total, time.Now()
	return s.lastCPU
}

func readUint(path string) (uint64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

package slots

import (
	"context"
	"sync"
	"testing"
	"time"
)

// usage is a Usage the test sets.
type usage struct {
	mu       sync.Mutex
	mem, cpu float64
}

func (u *usage) Memory() float64 { u.mu.Lock(); defer u.mu.Unlock(); return u.mem }
func (u *usage) CPU() float64    { u.mu.Lock(); defer u.mu.Unlock(); return u.cpu }
func (u *usage) set(mem, cpu float64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.mem, u.cpu = mem, cpu
}

func grab(s Supplier, n int) []*Permit {
	var out []*Permit
	for range n {
		p, ok := s.TryReserve(Info{})
		if !ok {
			break
		}
		out = append(out, p)
	}
	return out
}

func TestResourceBasedFollowsUsage(t *testing.T) {
	tests := []struct {
		name     string
		mem, cpu float64
		want     int
	}{
		{"idle machine grants up to the maximum", 0.1, 0.1, 5},
		{"memory over target keeps the minimum", 0.95, 0.1, 2},
		{"CPU over target keeps the minimum", 0.1, 0.99, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &usage{}
			u.set(tt.mem, tt.cpu)
			s := NewResourceBased(NewTuner(0.8, 0.9, u), 2, 5, 0)
			got := grab(s, 10)
			if len(got) != tt.want {
				t.Fatalf("granted %d slots, want %d", len(got), tt.want)
			}
			for _, p := range got {
				s.Release(p)
			}
			if s.Available() != 5 {
				t.Fatalf("available %d after release, want 5", s.Available())
			}
		})
	}
}

func TestResourceBasedRampsAtMostOnePerThrottle(t *testing.T) {
	u := &usage{}
	u.set(0.1, 0.1)
	s := NewResourceBased(NewTuner(0.8, 0.9, u), 0, 5, time.Hour)
	if got := grab(s, 5); len(got) != 1 {
		t.Fatalf("granted %d slots within one ramp window, want 1", len(got))
	}
}

func TestResourceBasedReserveWaitsForRoom(t *testing.T) {
	u := &usage{}
	u.set(0.95, 0.1)
	s := NewResourceBased(NewTuner(0.8, 0.9, u), 0, 5, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Reserve(ctx, Info{}); err == nil {
		t.Fatal("reserved while memory was over target")
	}
	got := make(chan error, 1)
	go func() {
		p, err := s.Reserve(context.Background(), Info{})
		if err == nil {
			s.MarkUsed(p)
		}
		got <- err
	}()
	u.set(0.2, 0.1) // memory frees up
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Reserve did not notice the room")
	}
	if s.InUse() != 1 {
		t.Fatalf("in use %d, want 1", s.InUse())
	}
}

func TestSystemUsageReadsThisMachine(t *testing.T) {
	u := newSystemUsage()
	if m := u.Memory(); m <= 0 || m >= 1 {
		t.Fatalf("memory use %v, want within (0, 1)", m)
	}
	_ = u.CPU() // the first reading sets the baseline
	if c := u.CPU(); c < 0 || c > 1 {
		t.Fatalf("cpu use %v, want within [0, 1]", c)
	}
}

// reports are apps' reports the test sets.
type reports struct {
	mem, cpu     float64
	memOK, cpuOK bool
}

func (r *reports) ReportedUsage() (float64, bool, float64, bool) { return r.mem, r.memOK, r.cpu, r.cpuOK }

// A tuner for apps steers by each resource the apps report, and by its own
// measurement of a resource they do not.
func TestTunerForAppsPrefersTheirReports(t *testing.T) {
	own := &usage{}
	own.set(0.1, 0.1)
	tests := []struct {
		name string
		r    reports
		own  [2]float64
		want int
	}{
		{"no reports: the sidecar's own idle container", reports{}, [2]float64{0.1, 0.1}, 5},
		{"no reports: the sidecar's own full container", reports{}, [2]float64{0.95, 0.1}, 1},
		{"the apps' memory near its target, the sidecar idle", reports{mem: 0.85, memOK: true, cpu: 0.1, cpuOK: true}, [2]float64{0.1, 0.1}, 1},
		{"the apps idle, the sidecar full: the apps decide", reports{mem: 0.2, memOK: true, cpu: 0.1, cpuOK: true}, [2]float64{0.95, 0.99}, 5},
		{"memory reported, CPU measured by the sidecar", reports{mem: 0.2, memOK: true}, [2]float64{0.95, 0.99}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			own.set(tt.own[0], tt.own[1])
			r := tt.r
			s := NewResourceBased(NewTuner(0.8, 0.9, own).ForApps(&r), 1, 5, 0)
			if got := grab(s, 10); len(got) != tt.want {
				t.Fatalf("granted %d slots, want %d", len(got), tt.want)
			}
		})
	}
}

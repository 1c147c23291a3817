package fake

import (
	"slices"
	"sync"
	"time"
)

// Recorder keeps round-trip samples while it is on, each with the number of
// the run it was of (0 for activities).
type Recorder struct {
	mu      sync.Mutex
	on      bool
	samples []time.Duration
	runs    []uint64
}

// On clears the samples and starts recording.
func (r *Recorder) On() {
	r.mu.Lock()
	r.on = true
	r.samples, r.runs = r.samples[:0], r.runs[:0]
	r.mu.Unlock()
}

// Off stops recording and returns the samples, sorted.
func (r *Recorder) Off() []time.Duration {
	r.mu.Lock()
	r.on = false
	out := slices.Clone(r.samples)
	r.mu.Unlock()
	slices.Sort(out)
	return out
}

// OffByRun stops recording and returns the samples, sorted, grouped by
// group(run).
func (r *Recorder) OffByRun(group func(run uint64) int) map[int][]time.Duration {
	r.mu.Lock()
	r.on = false
	out := map[int][]time.Duration{}
	for i, d := range r.samples {
		g := group(r.runs[i])
		out[g] = append(out[g], d)
	}
	r.mu.Unlock()
	for _, s := range out {
		slices.Sort(s)
	}
	return out
}

// Add records one sample of a run if recording.
func (r *Recorder) Add(run uint64, d time.Duration) {
	if d < 0 {
		return
	}
	r.mu.Lock()
	if r.on {
		r.samples = append(r.samples, d)
		r.runs = append(r.runs, run)
	}
	r.mu.Unlock()
}

// Quantile returns the q-quantile of sorted samples, or 0 without any.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)-1))
	return sorted[i]
}

// Mean returns the mean of samples, or 0 without any.
func Mean(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range samples {
		sum += d
	}
	return sum / time.Duration(len(samples))
}

// Package timeline records when a benchmark worker process finished each
// activity, so the benchmark driver can find stalls (long gaps with no
// completion) the same way for every contender.
package timeline

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Recorder collects completion times. It is safe for concurrent use.
type Recorder struct {
	mu sync.Mutex
	ts []int64
}

// Mark records one completion now.
func (r *Recorder) Mark() {
	now := time.Now().UnixNano()
	r.mu.Lock()
	r.ts = append(r.ts, now)
	r.mu.Unlock()
}

// Len is the number of completions recorded.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ts)
}

// WriteFile writes one Unix-nanosecond time per line. An empty path writes nothing.
func (r *Recorder) WriteFile(path string) error {
	if path == "" {
		return nil
	}
	r.mu.Lock()
	ts := slices.Clone(r.ts)
	r.mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, t := range ts {
		fmt.Fprintln(w, t)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadFile reads a file written by WriteFile, sorted.
func ReadFile(path string) ([]int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ts []int64
	for _, l := range strings.Fields(string(b)) {
		t, err := strconv.ParseInt(l, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts, nil
}

// Window summarizes the completions between from and to (Unix nanoseconds).
type Window struct {
	Count int
	// MaxGap is the longest time between two consecutive completions in the
	// window: a stall shows here. Zero with fewer than two completions.
	MaxGap time.Duration
	// MaxGapAt is when that gap began, relative to from.
	MaxGapAt time.Duration
}

// Summarize returns the window [from, to] of sorted times ts.
func Summarize(ts []int64, from, to int64) Window {
	var w Window
	prev := int64(-1)
	for _, t := range ts {
		if t < from || t > to {
			continue
		}
		w.Count++
		if prev >= 0 && time.Duration(t-prev) > w.MaxGap {
			w.MaxGap = time.Duration(t - prev)
			w.MaxGapAt = time.Duration(prev - from)
		}
		prev = t
	}
	return w
}

package workflow

import (
	"context"
	"strings"
	"testing"
)

// At the graceful timeout, Wait reports the work still running and only
// that: an idle engine is idle even when ctx ended first.
func TestWaitAtTheGracefulTimeoutReportsWhatIsRunning(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		name           string
		tasks, replays int64
		want           string // empty: no error
	}{
		{"nothing running", 0, 0, ""},
		{"a task running", 1, 0, "1 workflow tasks and 0 replays still running"},
		{"a replay running", 0, 1, "0 workflow tasks and 1 replays still running"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := New(Options{})
			e.busy.Add(int(tt.tasks + tt.replays))
			e.tasks.Add(tt.tasks)
			e.replays.Add(tt.replays)
			for range 100 { // the race it guards against shows about every other call
				err := e.Wait(ended)
				if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
					t.Fatalf("Wait = %v, want %q", err, tt.want)
				}
			}
		})
	}
}

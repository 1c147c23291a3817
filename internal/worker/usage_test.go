package worker_test

import (
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	"go.temporal.io/sdk/client"
)

// idle is the sidecar's own measurement in these tests: its container has
// room to spare, so only what the app reports can hold the tuner back.
type idle struct{}

func (idle) Memory() float64 { return 0.1 }
func (idle) CPU() float64    { return 0.1 }

// reportUsage has a reports its memory use every 200ms, as a share of a
// 1 GiB limit (in thousandths, from mem), until the test ends.
func reportUsage(t *testing.T, a *bridgetest.App, mem *atomic.Int64) {
	const limit = 1 << 30
	send := func() {
		_ = a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ResourceUsage{ResourceUsage: &bridgev1.ResourceUsage{
			MemoryUsedBytes: uint64(mem.Load()) * limit / 1000, MemoryLimitBytes: limit, CpuUsage: 0.1}}})
	}
	send()
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				send()
			case <-stop:
				return
			case <-a.Done():
				return
			}
		}
	}()
}

// The resource-based tuner steers by the memory the app reports, not by
// the sidecar's own (idle) container: with the app near its memory target
// only the minimum (1) of the 10 activity slots is granted, so one task is
// in flight; when its memory falls the rest follow at once; when it rises
// again the freed slots are not granted again beyond the minimum, and the
// tasks in flight drop back to one.
func TestResourceBasedTunerFollowsTheAppsReportedMemory(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) {
		o.Tuner = slots.NewTuner(0.8, 0.9, idle{})
		o.ActivitySlots = worker.SlotOptions{ResourceBased: true, Minimum: 1}
		// One poll at a time: the minimum slot is the one poll's, and each
		// further slot is asked of the tuner after the report arrived.
		o.ActivityPollers = poller.Behaviour{Maximum: 1}
	})
	a := e.app(10, "Echo")
	var mem atomic.Int64
	mem.Store(950) // over the 0.8 target
	reportUsage(t, a, &mem)
	waitFor(t, "the app's report", func() bool { m, ok, _, _ := e.w.Bridge().ReportedUsage(); return ok && m > 0.9 })

	var runs []client.WorkflowRun
	startN := func(n int) {
		for range n {
			runs = append(runs, e.start(Call{Type: "Echo", Arg: strconv.Itoa(len(runs))}))
		}
	}
	none := func(why string) {
		t.Helper()
		if tk, err := a.NextActivity(1500 * time.Millisecond); err == nil {
			t.Fatalf("task %v arrived %s", tk.GetStart().GetActivityId(), why)
		}
	}
	complete := func(tks ...*bridgev1.ActivityTask) {
		t.Helper()
		for _, tk := range tks {
			if err := a.CompleteActivity(tk.GetTaskToken(), bridgetest.Completed(tk.GetStart().GetInput()[0])); err != nil {
				t.Fatal(err)
			}
		}
	}

	startN(3)
	t1 := next(t, a)
	none("while the app reported 95% of its memory in use: only the minimum slot is granted")

	mem.Store(300) // the app's memory falls
	t2, t3 := next(t, a), next(t, a)

	mem.Store(950) // and rises again
	waitFor(t, "the new report", func() bool { m, _, _, _ := e.w.Bridge().ReportedUsage(); return m > 0.9 })
	startN(3)
	complete(t1, t2, t3) // three slots freed; one may be granted again (the minimum)
	t4 := next(t, a)
	none("after the app's memory rose again: the freed slots stay ungranted beyond the minimum")

	mem.Store(300)
	t5, t6 := next(t, a), next(t, a)
	complete(t4, t5, t6)
	for _, r := range runs {
		if _, err := result(t, r); err != nil {
			t.Fatal(err)
		}
	}
	e.waitIdle()
}

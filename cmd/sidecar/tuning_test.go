package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// HoldOne runs the activity Hold on the task queue it is given, as a
// workflow of another worker that uses the sidecar's activities would.
func HoldOne(ctx workflow.Context, queue string) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{TaskQueue: queue, StartToCloseTimeout: time.Minute})
	return workflow.ExecuteActivity(ctx, "Hold").Get(ctx, nil)
}

// TestPerKindTuningTakesEffect runs the sidecar with a different poller
// behaviour and slot supplier per task kind, all from flags, and reads
// what the worker exposes on /metrics and what the app receives: each
// kind's polls in flight follow its behaviour, and its tasks in flight its
// supplier.
//
// Every kind defaults to resource-based slots (--tuner) under a memory
// target no machine meets, so a resource-based kind gets only its minimum;
// workflow tasks override that with fixed slots. Pollers default to
// autoscaling from 2; activity pollers override that with a simple maximum
// of 3.
func TestPerKindTuningTakesEffect(t *testing.T) {
	queue := devserver.TaskQueue(t)
	metrics := freeAddr(t)
	p, _ := startReady(t, queue, "--http-listen", metrics,
		"--tuner", "resource-based", "--tuner-target-memory", "0.01",
		"--max-concurrent-activities", "8", "--activity-task-slots-minimum", "4", "--activity-task-slots-ramp-throttle", "0s",
		"--workflow-task-slot-supplier", "fixed", "--max-concurrent-workflow-tasks", "6",
		"--poller-behavior", "autoscaling", "--poller-autoscaling-initial", "2", "--poller-autoscaling-maximum", "10",
		"--max-workflow-task-pollers", "5", "--max-cached-workflows", "0", // no sticky queue: its pollers wait for cached runs
		"--activity-task-poller-behavior", "simple-maximum", "--max-activity-task-pollers", "3")

	// An app that takes work and answers none of it, with room for more
	// than any supplier here grants.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	app, err := bridgetest.Dial(ctx, "unix://"+p.socket, &bridgev1.Register{ProtocolVersion: 1, Identity: "holder", SdkName: "go-test", TaskQueue: queue,
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Stall"}}, Activities: []*bridgev1.ActivityRegistration{{Name: "Hold"}},
		Capacity: &bridgev1.Capacity{WorkflowActivations: 20, Activities: 20, LocalActivities: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)

	// Pollers, while idle: workflow tasks autoscale from 2 (their simple
	// maximum would be 5), activity tasks keep their simple maximum of 3
	// (autoscaling would start at 2).
	scrape := func() map[string]float64 { return scrapeMetrics(t, metrics) }
	steady(t, "pollers per kind", func() (bool, string) {
		m := scrape()
		wf := m[`temporal_num_pollers{poller_type="workflow_task"}`] + m[`temporal_num_pollers{poller_type="sticky_workflow_task"}`]
		act := m[`temporal_num_pollers{poller_type="activity_task"}`]
		return wf == 2 && act == 3, fmt.Sprintf("workflow task polls %v (want 2), activity task polls %v (want 3)", wf, act)
	})

	c, err := client.Dial(client.Options{HostPort: devserver.Shared(t).Address(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	start := func(queue string, wf any, args ...any) {
		t.Helper()
		_, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: queue,
			WorkflowExecutionTimeout: time.Minute, WorkflowTaskTimeout: 30 * time.Second}, wf, args...)
		if err != nil {
			t.Fatal(err)
		}
	}

	// Activities: resource-based, held to their minimum of 4 of 8.
	driver := queue + "-driver"
	w := sdkworker.New(c, driver, sdkworker.Options{LocalActivityWorkerOnly: true})
	w.RegisterWorkflow(HoldOne)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	for range 8 {
		start(driver, HoldOne, queue)
	}
	steady(t, "activities in flight", func() (bool, string) {
		got, used := len(app.Activities), scrape()[`temporal_worker_task_slots_used{worker_type="ActivityWorker"}`]
		return got == 4 && used == 4, fmt.Sprintf("the app holds %d activity tasks, slots used %v; want 4 (the resource-based minimum)", got, used)
	})

	// Workflow tasks: fixed, 6 of them, where the resource-based default
	// would have granted 1.
	for range 8 {
		start(queue, "Stall")
	}
	steady(t, "workflow tasks in flight", func() (bool, string) {
		got, used := len(app.Activations), scrape()[`temporal_worker_task_slots_used{worker_type="WorkflowWorker"}`]
		return got == 6 && used == 6, fmt.Sprintf("the app holds %d activations, slots used %v; want 6 (the fixed size)", got, used)
	})
}

// steady waits until ok holds, then checks it still does a second later:
// a count that follows a bound reaches it and stays there.
func steady(t *testing.T, what string, ok func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		good, why := ok()
		if good {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	if good, why := ok(); !good {
		t.Fatalf("%s moved past its bound: %s", what, why)
	}
}

// scrapeMetrics reads /metrics into "name{label="v"}" -> value, keeping of
// the labels only poller_type and worker_type.
func scrapeMetrics(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		series, val, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(val)[0], 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(strings.TrimSuffix(series, "}"), "{")
		key := name
		for l := range strings.SplitSeq(labels, ",") {
			if strings.HasPrefix(l, "poller_type=") || strings.HasPrefix(l, "worker_type=") {
				key += "{" + l + "}"
			}
		}
		out[key] += v
	}
	return out
}

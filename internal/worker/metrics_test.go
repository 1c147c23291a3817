package worker_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	"github.com/temporal-sidecar/sidecar/internal/worker"
)

// metricValue sums a metric's samples whose labels include want.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if !hasLabels(m, want) {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				total += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				total += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return total
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, l := range m.GetLabel() {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			n++
		}
	}
	return n == len(want)
}

func TestMetricsMoveUnderRealLoad(t *testing.T) {
	reg := prometheus.NewRegistry()
	var queue string
	e := newEnv(t, func(o *worker.Options) {
		queue = o.TaskQueue
		o.Metrics = telemetry.NewWorkerMetrics(reg, o.Namespace, o.TaskQueue, telemetry.Milliseconds)
	})
	e.workflowApp(map[string]script{"EchoTwice": echoTwice})
	for range 3 {
		if out, err := result(t, e.startWorkflow("EchoTwice")); err != nil || out != "ab" {
			t.Fatalf("workflow = %q, %v", out, err)
		}
	}
	e.waitIdle()
	tests := []struct {
		name   string
		labels map[string]string
		check  func(float64) bool
		want   string
	}{
		{"temporal_workflow_task_queue_poll_succeed", map[string]string{"task_queue": queue}, func(v float64) bool { return v >= 3 }, ">= 3"},
		{"temporal_activity_task_received", map[string]string{"workflow_type": "EchoTwice", "eager": "false"}, func(v float64) bool { return v >= 6 }, ">= 6"},
		{"temporal_activity_execution_latency", map[string]string{"workflow_type": "EchoTwice"}, func(v float64) bool { return v >= 6 }, ">= 6 samples"},
		{"temporal_workflow_completed", map[string]string{"workflow_type": "EchoTwice"}, func(v float64) bool { return v == 3 }, "3"},
		{"temporal_workflow_task_execution_latency", map[string]string{"workflow_type": "EchoTwice"}, func(v float64) bool { return v >= 9 }, ">= 9 samples"},
		{"temporal_worker_start", nil, func(v float64) bool { return v == 1 }, "1"},
		{"temporal_workflow_task_schedule_to_start_latency", nil, func(v float64) bool { return v >= 3 }, ">= 3 samples"},
		{"temporal_activity_schedule_to_start_latency", nil, func(v float64) bool { return v >= 6 }, ">= 6 samples"},
		{"sidecar_bridge_round_trip_seconds", map[string]string{"kind": "workflow"}, func(v float64) bool { return v >= 9 }, ">= 9 samples"},
		{"sidecar_bridge_round_trip_seconds", map[string]string{"kind": "activity"}, func(v float64) bool { return v >= 6 }, ">= 6 samples"},
		{"temporal_sticky_cache_hit", nil, func(v float64) bool { return v >= 6 }, ">= 6"},
		{"temporal_worker_task_slots_available", map[string]string{"worker_type": "ActivityWorker"}, func(v float64) bool { return v >= 8 }, ">= 8 of 10 (pollers may hold 2)"},
		{"temporal_worker_task_slots_used", map[string]string{"worker_type": "WorkflowWorker"}, func(v float64) bool { return v == 0 }, "0 when idle"},
		{"sidecar_connected_apps", nil, func(v float64) bool { return v == 1 }, "1"},
		{"temporal_num_pollers", map[string]string{"poller_type": "activity_task"}, func(v float64) bool { return v >= 1 }, ">= 1"},
		{"sidecar_session_tasks_in_flight", map[string]string{"kind": "activity"}, func(v float64) bool { return v == 0 }, "0 when idle"},
	}
	for _, tt := range tests {
		if v := metricValue(t, reg, tt.name, tt.labels); !tt.check(v) {
			t.Errorf("%s%v = %v, want %s", tt.name, tt.labels, v, tt.want)
		}
	}
}

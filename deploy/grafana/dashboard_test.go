// Package grafana holds the sidecar's Grafana dashboard; its test checks
// that every query names a metric the sidecar exports.
package grafana

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	"github.com/temporal-sidecar/sidecar/internal/worker"
)

// exported are the names the sidecar registers: a worker's metrics (as
// cmd/sidecar assembles one) and the frontend's.
func exported(t *testing.T) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	telemetry.NewFrontendMetrics(reg, "default", telemetry.Milliseconds)
	w := worker.New(worker.Options{Namespace: "default", TaskQueue: "dashboard", Identity: "dashboard-test",
		MaxConcurrentWorkflowTasks: 1, MaxConcurrentActivities: 1, MaxConcurrentLocalActivities: 1, MaxConcurrentNexusTasks: 1,
		Metrics: telemetry.NewWorkerMetrics(reg, "default", "dashboard", telemetry.Milliseconds)})
	_ = w
	return telemetry.RegisteredNames()
}

// exprs collects every "expr" and templating "query" string in the dashboard.
func exprs(v any, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && (k == "expr" || k == "query" || k == "definition") {
				*out = append(*out, s)
				continue
			}
			exprs(x, out)
		}
	case []any:
		for _, x := range v {
			exprs(x, out)
		}
	}
}

// metricName matches a PromQL metric name of the sidecar's: sdk-core's
// temporal_ ones and its own sidecar_ ones.
var metricName = regexp.MustCompile(`\b(?:temporal|sidecar)_[a-z0-9_]+\b`)

func TestEveryQueryNamesAnExportedMetric(t *testing.T) {
	b, err := os.ReadFile("sidecar.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("sidecar.json is not JSON: %v", err)
	}
	var qs []string
	exprs(dash, &qs)
	names := exported(t)
	if len(names) < 40 {
		t.Fatalf("only %d metric names registered: %v", len(names), names)
	}
	used := map[string]bool{}
	for _, q := range qs {
		found := metricName.FindAllString(q, -1)
		if len(found) == 0 && strings.Contains(q, "(") {
			t.Errorf("query names no sidecar metric: %s", q)
		}
		for _, m := range found {
			base := m
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(m, suffix); ok && slices.Contains(names, b) {
					base = b
				}
			}
			if !slices.Contains(names, base) {
				t.Errorf("query names %s, which the sidecar does not export: %s", m, q)
			}
			used[base] = true
		}
	}
	// Every metric the issue lists for the dashboard has a panel.
	for _, want := range []string{"temporal_worker_task_slots_used", "temporal_num_pollers", "temporal_sticky_cache_size",
		"temporal_workflow_task_execution_latency", "temporal_workflow_completed", "temporal_activity_execution_failed",
		"sidecar_bridge_round_trip_seconds", "sidecar_connected_apps"} {
		if !used[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
	var panels []any
	for _, p := range dash["panels"].([]any) {
		if p.(map[string]any)["type"] != "row" {
			panels = append(panels, p)
		}
	}
	t.Logf("%d panels, %d queries, %d of %d exported metrics shown", len(panels), len(qs), len(used), len(names))
}

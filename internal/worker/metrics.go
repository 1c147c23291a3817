package worker

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
)

// register exposes the worker's state as metrics read at scrape time.
func (w *Worker) register(m *telemetry.WorkerMetrics) {
	for kind, s := range map[task.Kind]slots.Counted{task.Workflow: w.wfSlots, task.Activity: w.actSlots,
		task.LocalActivity: w.laSlots, task.Nexus: w.nxSlots} {
		labels := prometheus.Labels{"worker_type": kind.WorkerType()}
		m.Gauge("temporal_worker_task_slots_available", "Task slots free, by worker type.", labels, func() float64 { return float64(s.Available()) })
		m.Gauge("temporal_worker_task_slots_used", "Task slots holding a task, by worker type.", labels, func() float64 { return float64(s.InUse()) })
	}
	for _, name := range []string{"workflow_task", "sticky_workflow_task", "activity_task", "nexus_task"} {
		m.Gauge("temporal_num_pollers", "Polls in flight, by poller type.", prometheus.Labels{"poller_type": name}, func() float64 {
			if f, ok := w.pollers.Load(name); ok {
				return float64(f.(func() int)())
			}
			return 0
		})
	}
	e := w.workflows
	m.Gauge("temporal_sticky_cache_size", "Workflow runs in the sticky cache.", nil, func() float64 { return float64(e.Cached()) })
	m.Counter("temporal_sticky_cache_hit", "Workflow tasks whose run was cached.", func() float64 { return float64(e.Stats().Hits.Load()) })
	m.Counter("temporal_sticky_cache_miss", "Sticky workflow tasks whose run was no longer cached.", func() float64 { return float64(e.Stats().Misses.Load()) })
	m.Counter("temporal_sticky_cache_total_forced_eviction", "Runs evicted because the cache was full.",
		func() float64 { return float64(e.Stats().ForcedEvictions.Load()) })
	m.Counter("sidecar_workflow_activation_deadline_missed", "Workflow activations an app did not answer by their deadline (80% of the workflow task timeout); each run moved to another app.",
		func() float64 { return float64(w.bridge.MissedDeadlines()) })
	m.Gauge("sidecar_connected_apps", "App sessions connected to the bridge.", nil, func() float64 { return float64(len(w.bridge.Sessions())) })
	m.Collector(&inFlight{w: w, desc: prometheus.NewDesc("sidecar_session_tasks_in_flight",
		"Tasks sent to an app session and not yet answered, by session and kind.", []string{"session", "app", "kind"}, m.Labels())})
}

// inFlight reports each session's outstanding tasks at scrape time.
type inFlight struct {
	w    *Worker
	desc *prometheus.Desc
}

func (c *inFlight) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *inFlight) Collect(ch chan<- prometheus.Metric) {
	for _, ss := range c.w.bridge.Sessions() {
		for k := range task.NumKinds {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(ss.Outstanding(k)), ss.ID(), ss.Identity(), k.String())
		}
	}
}

// roundTrip is the hook dispatchers call with each bridge round trip.
func roundTrip(m *telemetry.WorkerMetrics, kind string) func(time.Duration) {
	if m == nil {
		return nil
	}
	return func(d time.Duration) { m.RoundTrip(kind, d) }
}

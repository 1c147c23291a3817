package telemetry

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Kinds of task, as the metrics below are keyed.
const (
	Workflow = "workflow"
	Activity = "activity"
	Nexus    = "nexus"
)

// WorkerMetrics are the metrics of one worker, named and labelled as
// Temporal's SDKs name them, so existing dashboards and alerts keep working,
// plus the sidecar's own, prefixed sidecar_.
type WorkerMetrics struct {
	reg    prometheus.Registerer
	labels prometheus.Labels

	pollSucceed     map[string]prometheus.Counter
	pollEmpty       map[string]prometheus.Counter
	scheduleToStart map[string]prometheus.Observer
	roundTrip       *prometheus.HistogramVec
}

// FrontendMetrics count the sidecar's failed calls to the frontend, which
// every task queue shares.
type FrontendMetrics struct {
	requestFailure *prometheus.CounterVec
	longFailure    *prometheus.CounterVec
}

// NewFrontendMetrics registers the frontend call metrics on reg, labelled
// with the namespace.
func NewFrontendMetrics(reg prometheus.Registerer, namespace string) *FrontendMetrics {
	labels := prometheus.Labels{"namespace": namespace}
	m := &FrontendMetrics{
		requestFailure: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "temporal_request_failure",
			Help: "Calls to the Temporal frontend that failed after retries, by operation.", ConstLabels: labels}, []string{"operation"}),
		longFailure: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "temporal_long_request_failure",
			Help: "Long polls to the Temporal frontend that failed, by operation.", ConstLabels: labels}, []string{"operation"}),
	}
	reg.MustRegister(m.requestFailure, m.longFailure)
	return m
}

var latencyBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// NewWorkerMetrics registers a worker's metrics on reg, labelled with its
// namespace and task queue.
func NewWorkerMetrics(reg prometheus.Registerer, namespace, taskQueue string) *WorkerMetrics {
	labels := prometheus.Labels{"namespace": namespace, "task_queue": taskQueue}
	m := &WorkerMetrics{reg: reg, labels: labels,
		pollSucceed: map[string]prometheus.Counter{}, pollEmpty: map[string]prometheus.Counter{},
		scheduleToStart: map[string]prometheus.Observer{}}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string) prometheus.Observer {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, ConstLabels: labels, Buckets: latencyBuckets})
		reg.MustRegister(h)
		return h
	}
	m.pollSucceed[Workflow] = counter("temporal_workflow_task_queue_poll_succeed", "Workflow task polls that returned a task.")
	m.pollEmpty[Workflow] = counter("temporal_workflow_task_queue_poll_empty", "Workflow task polls that returned no task.")
	m.pollSucceed[Activity] = counter("temporal_activity_poll_succeed", "Activity task polls that returned a task.")
	m.pollEmpty[Activity] = counter("temporal_activity_poll_no_task", "Activity task polls that returned no task.")
	m.pollSucceed[Nexus] = counter("temporal_nexus_poll_succeed", "Nexus task polls that returned a task.")
	m.pollEmpty[Nexus] = counter("temporal_nexus_poll_no_task", "Nexus task polls that returned no task.")
	m.scheduleToStart[Workflow] = histogram("temporal_workflow_task_schedule_to_start_latency", "Seconds workflow tasks waited on the queue.")
	m.scheduleToStart[Activity] = histogram("temporal_activity_schedule_to_start_latency", "Seconds activity tasks waited on the queue.")
	m.roundTrip = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sidecar_bridge_round_trip_seconds",
		Help:        "Seconds from sending a task or activation to an app to receiving its completion.",
		ConstLabels: labels, Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5}},
		[]string{"kind"})
	reg.MustRegister(m.roundTrip)
	return m
}

// RequestFailure counts a failed call to the frontend.
func (m *FrontendMetrics) RequestFailure(operation string, long bool, _ error) {
	if m == nil {
		return
	}
	if long {
		m.longFailure.WithLabelValues(operation).Inc()
		return
	}
	m.requestFailure.WithLabelValues(operation).Inc()
}

// Gauge registers a gauge read when scraped.
func (m *WorkerMetrics) Gauge(name, help string, labels prometheus.Labels, value func() float64) {
	l := prometheus.Labels{}
	for k, v := range m.labels {
		l[k] = v
	}
	for k, v := range labels {
		l[k] = v
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: l}, value))
}

// Counter registers a counter read when scraped.
func (m *WorkerMetrics) Counter(name, help string, value func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: m.labels}, value))
}

// Collector registers a collector, for metrics whose labels change.
func (m *WorkerMetrics) Collector(c prometheus.Collector) { m.reg.MustRegister(c) }

// Labels are the labels every metric of the worker carries.
func (m *WorkerMetrics) Labels() prometheus.Labels { return m.labels }

// Poll records the outcome of one poll of a kind (Workflow, Activity, Nexus).
func (m *WorkerMetrics) Poll(kind string, gotTask bool) {
	if m == nil {
		return
	}
	if gotTask {
		m.pollSucceed[kind].Inc()
	} else {
		m.pollEmpty[kind].Inc()
	}
}

// ScheduleToStart records how long a task waited on its queue.
func (m *WorkerMetrics) ScheduleToStart(kind string, d time.Duration) {
	if m == nil || d < 0 {
		return
	}
	if o := m.scheduleToStart[kind]; o != nil {
		o.Observe(d.Seconds())
	}
}

// RoundTrip records one bridge round trip of a kind of task.
func (m *WorkerMetrics) RoundTrip(kind string, d time.Duration) {
	if m == nil {
		return
	}
	m.roundTrip.WithLabelValues(kind).Observe(d.Seconds())
}

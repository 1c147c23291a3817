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

// Units of the duration histograms: the core SDKs' Prometheus exporter
// records milliseconds unless told to use seconds
// (use_seconds_for_durations); the sidecar does the same. The unit is not
// in the metric's name, as sdk-core leaves it out by default.
const (
	Milliseconds = "milliseconds"
	Seconds      = "seconds"
)

// ServiceName is the service_name label sdk-core puts on every metric it
// emits (attach_service_name, on by default). The sidecar keeps sdk-core's
// value so that dashboards and alerts written for the core-based SDKs'
// workers select the sidecar's series unchanged.
const ServiceName = "temporal-core-sdk"

// Failure reasons of temporal_workflow_task_execution_failed, in sdk-core's
// words.
const (
	ReasonNondeterminism  = "NonDeterminismError"
	ReasonWorkflow        = "WorkflowError"
	ReasonMessageTooLarge = "GrpcMessageTooLarge"
)

// Workflow outcomes, as WorkflowClosed takes them.
const (
	WorkflowCompleted     = "completed"
	WorkflowFailed        = "failed"
	WorkflowCanceled      = "canceled"
	WorkflowContinueAsNew = "continue_as_new"
)

// Default histogram buckets in milliseconds, per metric, as sdk-core defines
// them; in seconds each is divided by 1000.
var (
	workflowEndToEndBuckets = []float64{100, 500, 1000, 1500, 2000, 5000, 10_000, 30_000, 60_000, 120_000,
		300_000, 600_000, 1_800_000, 3_600_000, 30_600_000, 8.64e7}
	workflowTaskBuckets      = []float64{1, 10, 20, 50, 100, 200, 500, 1000}
	activityExecutionBuckets = []float64{50, 100, 500, 1000, 5000, 10_000, 60_000}
	scheduleToStartBuckets   = []float64{100, 500, 1000, 5000, 10_000, 100_000, 1_000_000}
	defaultBuckets           = []float64{50, 100, 500, 1000, 2500, 10_000}
)

// durations records durations in the configured unit.
type durations struct{ seconds bool }

func newDurations(unit string) durations { return durations{seconds: unit == Seconds} }

func (u durations) buckets(ms []float64) []float64 {
	if !u.seconds {
		return ms
	}
	out := make([]float64, len(ms))
	for i, b := range ms {
		out[i] = b / 1000
	}
	return out
}

func (u durations) value(d time.Duration) float64 {
	if u.seconds {
		return d.Seconds()
	}
	return float64(d) / float64(time.Millisecond)
}

func (u durations) name() string {
	if u.seconds {
		return "seconds"
	}
	return "milliseconds"
}

// WorkerMetrics are the metrics of one worker (one task queue), named,
// labelled and measured as sdk-core's, so existing dashboards and alerts
// keep working, plus the sidecar's own, prefixed sidecar_. Every method is
// safe on a nil *WorkerMetrics, which records nothing.
type WorkerMetrics struct {
	reg    prometheus.Registerer
	labels prometheus.Labels
	unit   durations

	wfPollSucceed, wfPollEmpty, actPollEmpty, nexusPollEmpty prometheus.Counter
	scheduleToStart                                          map[string]prometheus.Observer
	roundTrip                                                *prometheus.HistogramVec

	wfTaskExecution, wfTaskReplay, wfEndToEnd *prometheus.HistogramVec
	wfTaskFailed                              *prometheus.CounterVec
	wfClosed                                  map[string]*prometheus.CounterVec

	actReceived                    *prometheus.CounterVec
	actExecution, actSucceeded     *prometheus.HistogramVec
	actFailed                      *prometheus.CounterVec
	laTotal, laFailed, laCancelled *prometheus.CounterVec
	laExecution, laSucceeded       *prometheus.HistogramVec
	nexusExecution, nexusEndToEnd  prometheus.Observer
	nexusFailed                    *prometheus.CounterVec
}

// NewWorkerMetrics registers a worker's metrics on reg, labelled with its
// namespace and task queue (and service_name), with durations in unit
// (Milliseconds or Seconds; empty is Milliseconds). It counts the worker
// in temporal_worker_start.
func NewWorkerMetrics(reg prometheus.Registerer, namespace, taskQueue, unit string) *WorkerMetrics {
	labels := prometheus.Labels{"namespace": namespace, "task_queue": taskQueue, "service_name": ServiceName}
	reg = recording{reg}
	u := newDurations(unit)
	m := &WorkerMetrics{reg: reg, labels: labels, unit: u, scheduleToStart: map[string]prometheus.Observer{}}
	counter := func(name, help string) prometheus.Counter {
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(c)
		return c
	}
	counterVec := func(name, help string, by ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, by)
		reg.MustRegister(c)
		return c
	}
	histogramVec := func(name, help string, buckets []float64, by ...string) *prometheus.HistogramVec {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help + ", in " + u.name() + ".",
			ConstLabels: labels, Buckets: u.buckets(buckets)}, by)
		reg.MustRegister(h)
		return h
	}
	histogram := func(name, help string, buckets []float64) prometheus.Observer {
		return histogramVec(name, help, buckets).WithLabelValues()
	}
	types := []string{"workflow_type"}
	actTypes := []string{"activity_type", "workflow_type"}

	counter("temporal_worker_start", "Count of the number of initialized workers.").Inc()

	m.wfPollSucceed = counter("temporal_workflow_task_queue_poll_succeed", "Count of workflow task queue poll successes.")
	m.wfPollEmpty = counter("temporal_workflow_task_queue_poll_empty", "Count of workflow task queue poll timeouts (no new task).")
	m.actPollEmpty = counter("temporal_activity_poll_no_task", "Count of activity task queue poll timeouts (no new task).")
	m.nexusPollEmpty = counter("temporal_nexus_poll_no_task", "Count of nexus task queue poll timeouts (no new task).")
	m.scheduleToStart[Workflow] = histogram("temporal_workflow_task_schedule_to_start_latency", "Histogram of workflow task schedule-to-start latencies", scheduleToStartBuckets)
	m.scheduleToStart[Activity] = histogram("temporal_activity_schedule_to_start_latency", "Histogram of activity schedule-to-start latencies", scheduleToStartBuckets)
	m.scheduleToStart[Nexus] = histogram("temporal_nexus_task_schedule_to_start_latency", "Histogram of nexus task schedule-to-start latencies", defaultBuckets)

	m.wfTaskExecution = histogramVec("temporal_workflow_task_execution_latency", "Histogram of workflow task execution (not replay) latencies", workflowTaskBuckets, types...)
	m.wfTaskReplay = histogramVec("temporal_workflow_task_replay_latency", "Histogram of workflow task replay latencies", workflowTaskBuckets, types...)
	m.wfTaskFailed = counterVec("temporal_workflow_task_execution_failed", "Count of workflow task execution failures.", "workflow_type", "failure_reason")
	m.wfEndToEnd = histogramVec("temporal_workflow_endtoend_latency", "Histogram of total workflow execution latencies", workflowEndToEndBuckets, types...)
	m.wfClosed = map[string]*prometheus.CounterVec{
		WorkflowCompleted:     counterVec("temporal_workflow_completed", "Count of successfully completed workflows.", types...),
		WorkflowFailed:        counterVec("temporal_workflow_failed", "Count of failed workflows.", types...),
		WorkflowCanceled:      counterVec("temporal_workflow_canceled", "Count of canceled workflows.", types...),
		WorkflowContinueAsNew: counterVec("temporal_workflow_continue_as_new", "Count of continued-as-new workflows.", types...),
	}

	m.actReceived = counterVec("temporal_activity_task_received", "Count of activity task queue poll successes.", "activity_type", "workflow_type", "eager")
	m.actExecution = histogramVec("temporal_activity_execution_latency", "Histogram of activity execution latencies", activityExecutionBuckets, actTypes...)
	m.actFailed = counterVec("temporal_activity_execution_failed", "Count of activity task execution failures.", actTypes...)
	m.actSucceeded = histogramVec("temporal_activity_succeed_endtoend_latency", "Histogram of activity execution latencies for successful activities", defaultBuckets, actTypes...)

	m.laTotal = counterVec("temporal_local_activity_total", "Count of local activities executed.", actTypes...)
	m.laExecution = histogramVec("temporal_local_activity_execution_latency", "Histogram of local activity execution latencies", defaultBuckets, actTypes...)
	m.laFailed = counterVec("temporal_local_activity_execution_failed", "Count of local activity executions that failed.", actTypes...)
	m.laCancelled = counterVec("temporal_local_activity_execution_cancelled", "Count of local activity executions that were cancelled.", actTypes...)
	m.laSucceeded = histogramVec("temporal_local_activity_succeed_endtoend_latency", "Histogram of local activity execution latencies for successful local activities", defaultBuckets, actTypes...)

	m.nexusExecution = histogram("temporal_nexus_task_execution_latency", "Histogram of nexus task execution latencies", defaultBuckets)
	m.nexusEndToEnd = histogram("temporal_nexus_task_endtoend_latency", "Histogram of nexus task end-to-end latencies", defaultBuckets)
	m.nexusFailed = counterVec("temporal_nexus_task_execution_failed", "Count of nexus task execution failures.", "failure_reason")

	m.roundTrip = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sidecar_bridge_round_trip_seconds",
		Help:        "Seconds from sending a task or activation to an app to receiving its completion.",
		ConstLabels: labels, Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5}},
		[]string{"kind"})
	reg.MustRegister(m.roundTrip)
	return m
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

// Poll records the outcome of one poll of a kind (Workflow, Activity,
// Nexus). As in sdk-core, a workflow poll counts either way; an activity or
// Nexus poll that got a task is counted where the task is handled
// (temporal_activity_task_received, with its types; the Nexus
// schedule-to-start histogram's count).
func (m *WorkerMetrics) Poll(kind string, gotTask bool) {
	if m == nil {
		return
	}
	switch {
	case kind == Workflow && gotTask:
		m.wfPollSucceed.Inc()
	case kind == Workflow:
		m.wfPollEmpty.Inc()
	case gotTask:
	case kind == Activity:
		m.actPollEmpty.Inc()
	case kind == Nexus:
		m.nexusPollEmpty.Inc()
	}
}

// ScheduleToStart records how long a task waited on its queue.
func (m *WorkerMetrics) ScheduleToStart(kind string, d time.Duration) {
	if m == nil || d < 0 {
		return
	}
	if o := m.scheduleToStart[kind]; o != nil {
		o.Observe(m.unit.value(d))
	}
}

// RoundTrip records one bridge round trip of a kind of task.
func (m *WorkerMetrics) RoundTrip(kind string, d time.Duration) {
	if m == nil {
		return
	}
	m.roundTrip.WithLabelValues(kind).Observe(d.Seconds())
}

// WorkflowTaskExecuted records a workflow task completed d after it was
// received.
func (m *WorkerMetrics) WorkflowTaskExecuted(workflowType string, d time.Duration) {
	if m == nil {
		return
	}
	m.wfTaskExecution.WithLabelValues(workflowType).Observe(m.unit.value(d))
}

// WorkflowTaskReplayed records the time a workflow task spent replaying
// history before reaching the events it is new for.
func (m *WorkerMetrics) WorkflowTaskReplayed(workflowType string, d time.Duration) {
	if m == nil {
		return
	}
	m.wfTaskReplay.WithLabelValues(workflowType).Observe(m.unit.value(d))
}

// WorkflowTaskFailed counts a failed workflow task; reason is one of the
// Reason constants.
func (m *WorkerMetrics) WorkflowTaskFailed(workflowType, reason string) {
	if m == nil {
		return
	}
	m.wfTaskFailed.WithLabelValues(workflowType, reason).Inc()
}

// WorkflowClosed counts a workflow closed by its worker's command (outcome
// is one of the Workflow constants) and records how long it ran, from its
// start event.
func (m *WorkerMetrics) WorkflowClosed(workflowType, outcome string, ran time.Duration) {
	if m == nil {
		return
	}
	if c := m.wfClosed[outcome]; c != nil {
		c.WithLabelValues(workflowType).Inc()
	}
	if ran > 0 {
		m.wfEndToEnd.WithLabelValues(workflowType).Observe(m.unit.value(ran))
	}
}

// ActivityReceived counts an activity task received by poll or eagerly.
func (m *WorkerMetrics) ActivityReceived(activityType, workflowType string, eager bool) {
	if m == nil {
		return
	}
	e := "false"
	if eager {
		e = "true"
	}
	m.actReceived.WithLabelValues(activityType, workflowType, e).Inc()
}

// ActivityCompleted records an activity attempt's answer: execution is how
// long its app took, endToEnd (for a success) the time since it was
// scheduled; failed counts it in temporal_activity_execution_failed.
func (m *WorkerMetrics) ActivityCompleted(activityType, workflowType string, execution time.Duration, failed bool, succeededAfter time.Duration) {
	if m == nil {
		return
	}
	m.actExecution.WithLabelValues(activityType, workflowType).Observe(m.unit.value(execution))
	if failed {
		m.actFailed.WithLabelValues(activityType, workflowType).Inc()
	}
	if succeededAfter > 0 {
		m.actSucceeded.WithLabelValues(activityType, workflowType).Observe(m.unit.value(succeededAfter))
	}
}

// Local activity attempt outcomes, as LocalActivityCompleted takes them.
const (
	LocalSucceeded = iota
	LocalFailed
	LocalCancelled
)

// LocalActivityStarted counts a local activity attempt sent to an app.
func (m *WorkerMetrics) LocalActivityStarted(activityType, workflowType string) {
	if m == nil {
		return
	}
	m.laTotal.WithLabelValues(activityType, workflowType).Inc()
}

// LocalActivityCompleted records a local activity attempt's end: how long
// it ran, its outcome (Local* constants) and, for a success, the time since
// the local activity was first scheduled.
func (m *WorkerMetrics) LocalActivityCompleted(activityType, workflowType string, execution time.Duration, outcome int, sinceScheduled time.Duration) {
	if m == nil {
		return
	}
	m.laExecution.WithLabelValues(activityType, workflowType).Observe(m.unit.value(execution))
	switch outcome {
	case LocalFailed:
		m.laFailed.WithLabelValues(activityType, workflowType).Inc()
	case LocalCancelled:
		m.laCancelled.WithLabelValues(activityType, workflowType).Inc()
	case LocalSucceeded:
		if sinceScheduled > 0 {
			m.laSucceeded.WithLabelValues(activityType, workflowType).Observe(m.unit.value(sinceScheduled))
		}
	}
}

// NexusTaskCompleted records a Nexus task's end: how long its app took
// and, when the server took the answer, the time since the task was
// scheduled (zero when unknown or not answered).
func (m *WorkerMetrics) NexusTaskCompleted(execution, sinceScheduled time.Duration) {
	if m == nil {
		return
	}
	m.nexusExecution.Observe(m.unit.value(execution))
	if sinceScheduled > 0 {
		m.nexusEndToEnd.Observe(m.unit.value(sinceScheduled))
	}
}

// NexusTaskFailed counts a failed Nexus task, with sdk-core's reason:
// "operation_<state>", "handler_error_<TYPE>" or "timeout".
func (m *WorkerMetrics) NexusTaskFailed(reason string) {
	if m == nil {
		return
	}
	m.nexusFailed.WithLabelValues(reason).Inc()
}

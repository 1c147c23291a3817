package telemetry

import (
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
)

// FrontendMetrics are sdk-core's client metrics: every attempt of every call
// to the Temporal frontend, which all task queues share, counted and timed by
// operation; long polls apart from other calls. As in sdk-core, a call
// carries task_queue only when its request names one (polls, starts,
// DescribeTaskQueue), and a failure also carries status_code.
type FrontendMetrics struct {
	unit durations
	// [long][with task queue]
	request, failure [2][2]*prometheus.CounterVec
	latency          [2][2]*prometheus.HistogramVec
}

// NewFrontendMetrics registers the frontend call metrics on reg, labelled
// with the namespace (and service_name), durations in unit.
func NewFrontendMetrics(reg prometheus.Registerer, namespace, unit string) *FrontendMetrics {
	labels := prometheus.Labels{"namespace": namespace, "service_name": ServiceName}
	u := newDurations(unit)
	m := &FrontendMetrics{unit: u}
	var all unchecked
	for l, prefix := range []string{"temporal_", "temporal_long_"} {
		what := "client request"
		if l == 1 {
			what = "long-poll request"
		}
		for tq, by := range [][]string{{"operation"}, {"operation", "task_queue"}} {
			m.request[l][tq] = prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "request",
				Help: "Count of " + what + "s by rpc name (every attempt).", ConstLabels: labels}, by)
			m.failure[l][tq] = prometheus.NewCounterVec(prometheus.CounterOpts{Name: prefix + "request_failure",
				Help: "Count of " + what + " failures by rpc name and status code.", ConstLabels: labels}, append(by, "status_code"))
			m.latency[l][tq] = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: prefix + "request_latency",
				Help: "Histogram of " + what + " latencies, in " + u.name() + ".", ConstLabels: labels, Buckets: u.buckets(defaultBuckets)}, by)
			all = append(all, m.request[l][tq], m.failure[l][tq], m.latency[l][tq])
		}
	}
	reg.MustRegister(all)
	for _, prefix := range []string{"temporal_", "temporal_long_"} {
		for _, n := range []string{"request", "request_failure", "request_latency"} {
			names.Store(prefix+n, true)
		}
	}
	return m
}

// Request records one attempt of a call: its operation (the RPC's method
// name), whether it is a long poll, the task queue its request names (or
// ""), how long it took and its status code. An attempt the sidecar itself
// cancelled is not a failure of the frontend, and the caller leaves it out.
func (m *FrontendMetrics) Request(operation string, long bool, taskQueue string, d time.Duration, code codes.Code) {
	if m == nil {
		return
	}
	l, tq := 0, 0
	if long {
		l = 1
	}
	values := []string{operation}
	if taskQueue != "" {
		tq = 1
		values = append(values, taskQueue)
	}
	m.request[l][tq].WithLabelValues(values...).Inc()
	m.latency[l][tq].WithLabelValues(values...).Observe(m.unit.value(d))
	if code != codes.OK {
		m.failure[l][tq].WithLabelValues(append(values, statusCode(code))...).Inc()
	}
}

// ForgetTaskQueue drops the series labelled with a task queue the sidecar
// no longer serves, so that serving short-lived queues (one per test run,
// say) does not grow /metrics and memory without bound.
func (m *FrontendMetrics) ForgetTaskQueue(taskQueue string) {
	if m == nil {
		return
	}
	match := prometheus.Labels{"task_queue": taskQueue}
	for l := range m.request {
		m.request[l][1].DeletePartialMatch(match)
		m.failure[l][1].DeletePartialMatch(match)
		m.latency[l][1].DeletePartialMatch(match)
	}
}

// statusCode is a gRPC code as sdk-core labels it.
func statusCode(c codes.Code) string {
	if s, ok := statusCodes[c]; ok {
		return s
	}
	return "UNKNOWN"
}

var statusCodes = map[codes.Code]string{
	codes.OK: "OK", codes.Canceled: "CANCELLED", codes.Unknown: "UNKNOWN", codes.InvalidArgument: "INVALID_ARGUMENT",
	codes.DeadlineExceeded: "DEADLINE_EXCEEDED", codes.NotFound: "NOT_FOUND", codes.AlreadyExists: "ALREADY_EXISTS",
	codes.PermissionDenied: "PERMISSION_DENIED", codes.ResourceExhausted: "RESOURCE_EXHAUSTED",
	codes.FailedPrecondition: "FAILED_PRECONDITION", codes.Aborted: "ABORTED", codes.OutOfRange: "OUT_OF_RANGE",
	codes.Unimplemented: "UNIMPLEMENTED", codes.Internal: "INTERNAL", codes.Unavailable: "UNAVAILABLE",
	codes.DataLoss: "DATA_LOSS", codes.Unauthenticated: "UNAUTHENTICATED",
}

// unchecked registers collectors without describing them, which lets one
// metric family hold series with and without an optional label, as
// sdk-core's do (task_queue on some requests only). Its collectors' names
// are still checked for clashes when gathered.
type unchecked []prometheus.Collector

func (unchecked) Describe(chan<- *prometheus.Desc) {}

func (u unchecked) Collect(ch chan<- prometheus.Metric) {
	for _, c := range u {
		c.Collect(ch)
	}
}

// names are the metric names every worker and frontend metrics registered,
// for checks that dashboards and alerts name metrics the sidecar exports.
var names sync.Map

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// recording is a Registerer that notes the names it registers.
type recording struct{ prometheus.Registerer }

func (r recording) Register(c prometheus.Collector) error {
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for d := range ch {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names.Store(m[1], true)
		}
	}
	return r.Registerer.Register(c)
}

func (r recording) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// RegisteredNames are the names of the metrics registered so far by
// NewWorkerMetrics (and what a worker adds through it) and
// NewFrontendMetrics, sorted. A histogram's series add _bucket, _sum and
// _count to its name.
func RegisteredNames() []string {
	var out []string
	names.Range(func(k, _ any) bool { out = append(out, k.(string)); return true })
	slices.Sort(out)
	return out
}

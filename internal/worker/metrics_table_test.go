package worker_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"github.com/temporal-sidecar/sidecar/internal/frontend"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	nexuspb "go.temporal.io/api/nexus/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// coreMetric is one row of sdk-core's metric table: its name (with the
// temporal_ prefix), its Prometheus type, the label sets its series carry
// (each sorted) and, for a duration histogram, its first default bucket in
// milliseconds, the unit the core SDKs' Prometheus exporter uses by default.
// seen says the workload below produces it.
type coreMetric struct {
	name    string
	kind    dto.MetricType
	labels  [][]string
	firstMs float64
	seen    bool
}

// sdkCoreMetrics is taken from temporalio/sdk-core (3e6ca9f):
// crates/sdk-core/src/telemetry/metrics.rs (names, and the attributes each
// call site adds: workflow_type from the run cache, activity_type,
// workflow_type and eager on activity_task_received, failure_reason, the
// poller_type and worker_type of the gauges), crates/client/src/metrics.rs
// (request metrics: operation; task_queue when the request names one;
// status_code on failures), crates/common/src/telemetry/metrics.rs (the
// default buckets) and crates/common/src/telemetry.rs (service_name on
// every series). The sidecar labels every worker series with namespace and
// task_queue, as a core worker's MetricsContext does.
func sdkCoreMetrics() []coreMetric {
	worker := func(extra ...string) [][]string {
		l := append([]string{"namespace", "service_name", "task_queue"}, extra...)
		slices.Sort(l)
		return [][]string{l}
	}
	request := func(extra ...string) [][]string {
		var out [][]string
		for _, tq := range [][]string{nil, {"task_queue"}} {
			l := append(append([]string{"namespace", "operation", "service_name"}, extra...), tq...)
			slices.Sort(l)
			out = append(out, l)
		}
		return out
	}
	const (
		counter   = dto.MetricType_COUNTER
		histogram = dto.MetricType_HISTOGRAM
		gauge     = dto.MetricType_GAUGE
	)
	types := []string{"workflow_type"}
	acts := []string{"activity_type", "workflow_type"}
	return []coreMetric{
		{"temporal_request", counter, request(), 0, true},
		{"temporal_request_failure", counter, request("status_code"), 0, true},
		{"temporal_request_latency", histogram, request(), 50, true},
		{"temporal_long_request", counter, request(), 0, true},
		{"temporal_long_request_failure", counter, request("status_code"), 0, false},
		{"temporal_long_request_latency", histogram, request(), 50, true},
		{"temporal_worker_start", counter, worker(), 0, true},
		{"temporal_num_pollers", gauge, worker("poller_type"), 0, true},
		{"temporal_worker_task_slots_available", gauge, worker("worker_type"), 0, true},
		{"temporal_worker_task_slots_used", gauge, worker("worker_type"), 0, true},
		{"temporal_sticky_cache_hit", counter, worker(), 0, true},
		{"temporal_sticky_cache_miss", counter, worker(), 0, true},
		{"temporal_sticky_cache_size", gauge, worker(), 0, true},
		{"temporal_sticky_cache_total_forced_eviction", counter, worker(), 0, true},
		{"temporal_workflow_task_queue_poll_succeed", counter, worker(), 0, true},
		{"temporal_workflow_task_queue_poll_empty", counter, worker(), 0, false}, // after a minute's empty poll
		{"temporal_workflow_task_schedule_to_start_latency", histogram, worker(), 100, true},
		{"temporal_workflow_task_execution_latency", histogram, worker(types...), 1, true},
		{"temporal_workflow_task_replay_latency", histogram, worker(types...), 1, true},
		{"temporal_workflow_task_execution_failed", counter, worker("workflow_type", "failure_reason"), 0, true},
		{"temporal_workflow_completed", counter, worker(types...), 0, true},
		{"temporal_workflow_failed", counter, worker(types...), 0, true},
		{"temporal_workflow_canceled", counter, worker(types...), 0, true},
		{"temporal_workflow_continue_as_new", counter, worker(types...), 0, true},
		{"temporal_workflow_endtoend_latency", histogram, worker(types...), 100, true},
		{"temporal_activity_poll_no_task", counter, worker(), 0, false}, // after a minute's empty poll
		{"temporal_activity_task_received", counter, worker("activity_type", "workflow_type", "eager"), 0, true},
		{"temporal_activity_schedule_to_start_latency", histogram, worker(), 100, true},
		{"temporal_activity_execution_latency", histogram, worker(acts...), 50, true},
		{"temporal_activity_execution_failed", counter, worker(acts...), 0, true},
		{"temporal_activity_succeed_endtoend_latency", histogram, worker(acts...), 50, true},
		{"temporal_local_activity_total", counter, worker(acts...), 0, true},
		{"temporal_local_activity_execution_latency", histogram, worker(acts...), 50, true},
		{"temporal_local_activity_execution_failed", counter, worker(acts...), 0, true},
		{"temporal_local_activity_execution_cancelled", counter, worker(acts...), 0, true},
		{"temporal_local_activity_succeed_endtoend_latency", histogram, worker(acts...), 50, true},
		{"temporal_nexus_poll_no_task", counter, worker(), 0, false}, // after a minute's empty poll
		{"temporal_nexus_task_schedule_to_start_latency", histogram, worker(), 50, true},
		{"temporal_nexus_task_execution_latency", histogram, worker(), 50, true},
		{"temporal_nexus_task_endtoend_latency", histogram, worker(), 50, true},
		{"temporal_nexus_task_execution_failed", counter, worker("failure_reason"), 0, true},
	}
}

// failWorkflow fails the workflow at once.
var failWorkflow script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	if act.GetJobs()[0].GetInitializeWorkflow() == nil {
		return nil
	}
	return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_FailWorkflowExecution{FailWorkflowExecution: &bridgev1.FailWorkflowExecution{
		Failure: &bridgev1.Failure{Message: "failing on purpose"}}}}}
}

// countdown continues as new until its input is empty.
var countdown script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	if act.GetJobs()[0].GetInitializeWorkflow() == nil {
		return nil
	}
	if len(st.input[0]) == 0 {
		return []*bridgev1.WorkflowCommand{complete("liftoff")}
	}
	return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_ContinueAsNewWorkflowExecution{
		ContinueAsNewWorkflowExecution: &bridgev1.ContinueAsNewWorkflowExecution{Arguments: []*bridgev1.Payload{js(st.input[0][1:])}}}}}
}

// TestMetricsMatchSdkCoresTable runs a workload through a real app on the
// bridge against the dev server (workflows completing, failing, cancelled,
// continued as new and failing their task; activities and local activities
// succeeding, failing and cancelled; Nexus operations succeeding and
// failing), scrapes /metrics as cmd/sidecar serves it, and checks every
// standard metric's name, type, label set and unit against sdk-core's table.
func TestMetricsMatchSdkCoresTable(t *testing.T) {
	srv := devserver.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fe, err := frontend.Dial(ctx, config.Frontend{Address: srv.Address(), Namespace: srv.Namespace(), ConnectTimeout: 10 * time.Second}, "metrics-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fe.Close() })
	root := prometheus.NewRegistry()
	fe.OnCall(telemetry.NewFrontendMetrics(root, srv.Namespace(), config.Default().Telemetry.MetricsDurationUnit).Request)
	gatherers := prometheus.Gatherers{root}
	instrument := func(o *worker.Options) {
		reg := prometheus.NewRegistry()
		gatherers = append(gatherers, reg)
		o.Service = fe.WorkflowService()
		o.MaxCachedWorkflows = 0 // every task after the first replays
		o.MaxConcurrentLocalActivities = 10
		o.Metrics = telemetry.NewWorkerMetrics(reg, o.Namespace, o.TaskQueue, config.Default().Telemetry.MetricsDurationUnit)
	}
	callers, handlers := newEnv(t, instrument), newEnv(t, instrument)
	endpoint := "ep-" + handlers.queue[len(handlers.queue)-8:]
	if _, err := callers.client.OperatorService().CreateNexusEndpoint(context.Background(), &operatorservice.CreateNexusEndpointRequest{Spec: &nexuspb.EndpointSpec{
		Name: endpoint, Target: &nexuspb.EndpointTarget{Variant: &nexuspb.EndpointTarget_Worker_{Worker: &nexuspb.EndpointTarget_Worker{
			Namespace: srv.Namespace(), TaskQueue: handlers.queue}}}}}); err != nil {
		t.Fatal(err)
	}
	handlers.nexusHandler()
	callers.workflowApp(map[string]script{"EchoTwice": echoTwice, "Outcome": activityOutcome, "Fail": failWorkflow,
		"Countdown": countdown, "Collect": collect, "Local": localScript, "LocalOutcome": localOutcome, "Caller": caller})

	// A call the server refuses: a request failure with its status code.
	_, _ = fe.WorkflowService().DescribeNamespace(context.Background(), &workflowservice.DescribeNamespaceRequest{Namespace: "no-such-namespace-" + callers.queue})
	// A type no app registered: its workflow task fails.
	unregistered := callers.startWorkflow("Unregistered")
	t.Cleanup(func() {
		_ = callers.client.TerminateWorkflow(context.Background(), unregistered.GetID(), "", "test over")
	})
	collecting := callers.startWorkflow("Collect")
	runs := []struct {
		typ  string
		args []any
		want string // "" for a workflow that fails
	}{
		{"EchoTwice", nil, "ab"},
		{"Outcome", []any{"Boom", ""}, "failed:Boom:Boom"},
		{"Fail", nil, ""},
		{"Countdown", []any{"xx"}, "liftoff"},
		{"Local", []any{"Echo"}, "local"},
		{"LocalOutcome", []any{"Hang", "", "start"}, "failed:TIMEOUT_TYPE_START_TO_CLOSE"},
		{"LocalOutcome", []any{"Slow", "CANCELLATION_TYPE_TRY_CANCEL", ""}, "cancelled"},
		{"Caller", []any{endpoint, "echo", "hi", ""}, "completed:hi"},
		{"Caller", []any{endpoint, "broken", "hi", ""}, "failed:broken:handler error (BAD_REQUEST): cannot handle this:"},
	}
	for _, r := range runs {
		out, err := result(t, callers.startWorkflow(r.typ, r.args...))
		if (r.want == "") != (err != nil) || (err == nil && out != r.want) {
			t.Fatalf("%s%v = %q, %v; want %q", r.typ, r.args, out, err, r.want)
		}
	}
	waitQuery(t, callers, collecting.GetID(), 0)
	if err := callers.client.CancelWorkflow(context.Background(), collecting.GetID(), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := result(t, collecting); err == nil {
		t.Fatal("the cancelled workflow completed")
	}

	h := httptest.NewServer(telemetry.Handler(gatherers, func() telemetry.Readiness { return telemetry.Readiness{Ready: true} }))
	defer h.Close()
	table := sdkCoreMetrics()
	var families map[string]*dto.MetricFamily
	waitFor(t, "every metric of the workload on /metrics", func() bool {
		resp, err := http.Get(h.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err = parser.TextToMetricFamilies(strings.NewReader(string(body)))
		if err != nil {
			t.Fatalf("/metrics does not parse: %v", err)
		}
		for _, m := range table {
			if f := families[m.name]; m.seen && (f == nil || len(f.GetMetric()) == 0) {
				return false
			}
		}
		return families["temporal_workflow_task_execution_failed"] != nil
	})
	for _, m := range table {
		t.Run(m.name, func(t *testing.T) {
			f := families[m.name]
			if f == nil {
				if m.seen {
					t.Fatal("not on /metrics")
				}
				return
			}
			if f.GetType() != m.kind {
				t.Errorf("type %v, sdk-core's is %v", f.GetType(), m.kind)
			}
			for _, s := range f.GetMetric() {
				var names []string
				for _, l := range s.GetLabel() {
					names = append(names, l.GetName())
					if l.GetName() == "service_name" && l.GetValue() != telemetry.ServiceName {
						t.Errorf("service_name %q", l.GetValue())
					}
				}
				slices.Sort(names)
				if !slices.ContainsFunc(m.labels, func(want []string) bool { return slices.Equal(want, names) }) {
					t.Errorf("series labelled %v, sdk-core's are %v", names, m.labels)
				}
				if m.firstMs > 0 {
					if b := s.GetHistogram().GetBucket(); len(b) == 0 || b[0].GetUpperBound() != m.firstMs {
						t.Errorf("first bucket %v, sdk-core's is %v ms", b[:min(1, len(b))], m.firstMs)
					}
				}
			}
		})
	}
	// Label values sdk-core gives, where the workload decides them.
	for _, want := range []struct{ name, label, value string }{
		{"temporal_workflow_task_execution_failed", "failure_reason", "WorkflowError"},
		{"temporal_workflow_failed", "workflow_type", "Fail"},
		{"temporal_workflow_canceled", "workflow_type", "Collect"},
		{"temporal_workflow_continue_as_new", "workflow_type", "Countdown"},
		{"temporal_activity_execution_failed", "activity_type", "Boom"},
		{"temporal_activity_task_received", "eager", "false"},
		{"temporal_local_activity_execution_failed", "activity_type", "Hang"},
		{"temporal_local_activity_execution_cancelled", "activity_type", "Slow"},
		{"temporal_nexus_task_execution_failed", "failure_reason", "handler_error_BAD_REQUEST"},
		{"temporal_request_failure", "status_code", "NOT_FOUND"},
		{"temporal_long_request", "operation", "PollNexusTaskQueue"},
	} {
		found := false
		for _, s := range families[want.name].GetMetric() {
			for _, l := range s.GetLabel() {
				found = found || (l.GetName() == want.label && l.GetValue() == want.value)
			}
		}
		if !found {
			t.Errorf("no %s{%s=%q}", want.name, want.label, want.value)
		}
	}
}

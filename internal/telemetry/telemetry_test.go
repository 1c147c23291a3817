package telemetry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
)

func TestHandlerEndpoints(t *testing.T) {
	var readyErr error
	srv := httptest.NewServer(Handler(NewRegistry(), func() Readiness {
		if readyErr != nil {
			return Readiness{Reason: readyErr.Error()}
		}
		return Readiness{Ready: true, TaskQueues: []QueueStatus{{Name: "orders", Apps: 1, Polling: true}}}
	}))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name     string
		path     string
		readyErr error
		code     int
		body     string
	}{
		{"liveness", "/healthz", errors.New("frontend down"), 200, "ok"},
		{"ready names the queues", "/readyz", nil, 200, `{"ready":true,"task_queues":[{"name":"orders","apps":1,"polling":true}]}`},
		{"not ready says why", "/readyz", errors.New("frontend unreachable"), 503, `{"ready":false,"reason":"frontend unreachable"}`},
		{"metrics", "/metrics", nil, 200, "go_goroutines"},
		{"unknown path", "/nope", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readyErr = tt.readyErr
			code, body := get(tt.path)
			if code != tt.code || !strings.Contains(body, tt.body) {
				t.Fatalf("GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.code, tt.body)
			}
		})
	}
}

func TestLoggerFormats(t *testing.T) {
	tests := []struct{ format, want string }{
		{"json", `"msg":"hello"`},
		{"text", "msg=hello"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		NewLogger(&buf, slog.LevelInfo, tt.format).Info("hello")
		NewLogger(&buf, slog.LevelInfo, tt.format).Debug("hidden")
		if !strings.Contains(buf.String(), tt.want) || strings.Contains(buf.String(), "hidden") {
			t.Errorf("%s log = %q", tt.format, buf.String())
		}
	}
}

// recv takes one value from c, failing the test if none comes in time.
func recv[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

func TestReadinessProbePacesByReadinessAndBoundsEachProbe(t *testing.T) {
	var mu sync.Mutex
	var readyErr error
	setReady := func(err error) { mu.Lock(); readyErr = err; mu.Unlock() }
	waits := make(chan time.Duration, 1)
	ticks := make(chan time.Time)
	probes := make(chan time.Duration)
	p := ReadinessProbe{
		Ready: func() error { mu.Lock(); defer mu.Unlock(); return readyErr },
		Probe: func(ctx context.Context) error {
			dl, ok := ctx.Deadline()
			if !ok {
				dl = time.Now().Add(time.Hour)
			}
			probes <- time.Until(dl)
			return errors.New("the outcome is the client's business")
		},
		Interval: 3 * time.Second, Retry: time.Second, Timeout: 2 * time.Second,
		after: func(d time.Duration) <-chan time.Time { waits <- d; return ticks },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()

	// Each step is one look at Ready: whether it probed.
	down := errors.New("down")
	steps := []struct {
		name  string
		ready error
		probe bool
	}{
		{"ready, 1st look", nil, false},
		{"ready, 2nd look", nil, false},
		{"ready, 3rd look: Interval has passed", nil, true},
		{"ready again, 1st look", nil, false},
		{"down: probe at once", down, true},
		{"still down: probe on every look", down, true},
		{"back: the count starts afresh", nil, false},
		{"ready, 2nd look", nil, false},
		{"ready, 3rd look", nil, true},
	}
	for _, s := range steps {
		if d := recv(t, waits, "a wait before "+s.name); d < 900*time.Millisecond || d > 1100*time.Millisecond {
			t.Errorf("%s: waited %v, want Retry ±10%%", s.name, d)
		}
		setReady(s.ready)
		ticks <- time.Now()
		if !s.probe {
			continue
		}
		if left := recv(t, probes, "a probe at "+s.name); left <= 0 || left > p.Timeout {
			t.Errorf("%s: probe deadline %v away, want within (0, %v]", s.name, left, p.Timeout)
		}
	}
	// An unexpected probe would block Run before its next wait.
	recv(t, waits, "the wait after the last step")
	cancel()
	recv(t, done, "return from Run after cancel")
}

func TestReadinessProbeStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() {
		ReadinessProbe{Ready: func() error { return nil }, Probe: func(context.Context) error {
			t.Error("probed after the context ended")
			return nil
		}, Interval: time.Hour, Retry: time.Hour, Timeout: time.Second}.Run(ctx)
		close(done)
	}()
	recv(t, done, "return from Run")
}

func scrape(t *testing.T, g prometheus.Gatherer) string {
	t.Helper()
	srv := httptest.NewServer(Handler(g, func() Readiness { return Readiness{Ready: true} }))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestRequestsAreCountedAsSdkCoreCountsThem(t *testing.T) {
	reg := NewRegistry()
	m := NewFrontendMetrics(reg, "default", Milliseconds)
	m.Request("RespondActivityTaskCompleted", false, "", 20*time.Millisecond, codes.OK)
	m.Request("RespondActivityTaskCompleted", false, "", 70*time.Millisecond, codes.InvalidArgument)
	m.Request("PollActivityTaskQueue", true, "orders", 2*time.Second, codes.Unavailable)
	body := scrape(t, reg)
	for _, want := range []string{
		`temporal_request{namespace="default",operation="RespondActivityTaskCompleted",service_name="temporal-core-sdk"} 2`,
		`temporal_request_failure{namespace="default",operation="RespondActivityTaskCompleted",service_name="temporal-core-sdk",status_code="INVALID_ARGUMENT"} 1`,
		// milliseconds, in sdk-core's default buckets
		`temporal_request_latency_bucket{namespace="default",operation="RespondActivityTaskCompleted",service_name="temporal-core-sdk",le="50"} 1`,
		`temporal_request_latency_sum{namespace="default",operation="RespondActivityTaskCompleted",service_name="temporal-core-sdk"} 90`,
		`temporal_long_request{namespace="default",operation="PollActivityTaskQueue",service_name="temporal-core-sdk",task_queue="orders"} 1`,
		`temporal_long_request_failure{namespace="default",operation="PollActivityTaskQueue",service_name="temporal-core-sdk",status_code="UNAVAILABLE",task_queue="orders"} 1`,
		`temporal_long_request_latency_count{namespace="default",operation="PollActivityTaskQueue",service_name="temporal-core-sdk",task_queue="orders"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, "temporal_request_failure{namespace=\"default\",operation=\"RespondActivityTaskCompleted\",service_name=\"temporal-core-sdk\",status_code=\"OK\"}") {
		t.Error("a success counted as a failure")
	}
}

// A queue the sidecar stopped serving leaves /metrics: a sidecar serving
// short-lived queues would otherwise keep a series for each forever.
func TestRequestsOfAForgottenQueueLeave(t *testing.T) {
	reg := NewRegistry()
	m := NewFrontendMetrics(reg, "default", Milliseconds)
	for _, q := range []string{"orders", "payments"} {
		m.Request("PollActivityTaskQueue", true, q, time.Second, codes.OK)
		m.Request("DescribeTaskQueue", false, q, time.Millisecond, codes.NotFound)
	}
	m.Request("GetSystemInfo", false, "", time.Millisecond, codes.OK)
	m.ForgetTaskQueue("orders")
	body := scrape(t, reg)
	if strings.Contains(body, `task_queue="orders"`) {
		t.Errorf("/metrics still has the forgotten queue:\n%s", body)
	}
	for _, want := range []string{`task_queue="payments"`, `operation="GetSystemInfo"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lost %s", want)
		}
	}
}

func TestDurationsAreMillisecondsOrSeconds(t *testing.T) {
	for _, tt := range []struct {
		unit, bucket, sum string
	}{
		{Milliseconds, `le="1"`, "1500"},
		{Seconds, `le="0.001"`, "1.5"},
	} {
		reg := prometheus.NewRegistry()
		m := NewWorkerMetrics(reg, "default", "orders", tt.unit)
		m.WorkflowTaskExecuted("Greet", 1500*time.Millisecond)
		body := scrape(t, reg)
		prefix := `temporal_workflow_task_execution_latency_`
		labels := `{namespace="default",service_name="temporal-core-sdk",task_queue="orders",workflow_type="Greet"`
		for _, want := range []string{prefix + "bucket" + labels + "," + tt.bucket + "} 0", prefix + "sum" + labels + "} " + tt.sum} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: /metrics lacks %s", tt.unit, want)
			}
		}
		if !strings.Contains(body, "temporal_worker_start{") {
			t.Errorf("%s: no temporal_worker_start", tt.unit)
		}
	}
}

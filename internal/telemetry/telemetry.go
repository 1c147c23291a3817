// Package telemetry sets up the sidecar's logging and its HTTP endpoint for
// metrics and health probes.
package telemetry

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewLogger returns the sidecar's logger. format is "json" or "text".
func NewLogger(w io.Writer, level slog.Level, format string) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// NewRegistry returns a Prometheus registry with the Go runtime and process
// collectors, the base every sidecar metric is added to.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves:
//   - /healthz: liveness; 200 while the process serves HTTP at all;
//   - /readyz: readiness as JSON; 200 when ready says so, else 503 with the reason;
//   - /metrics: what g gathers, in Prometheus text format.
func Handler(g prometheus.Gatherer, ready func() Readiness) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		r := ready()
		if !r.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(r)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}

// Readiness is the JSON body of /readyz.
type Readiness struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
	// TaskQueues are the queues served, each with its state.
	TaskQueues []QueueStatus `json:"task_queues,omitempty"`
}

// QueueStatus is one served task queue's state.
type QueueStatus struct {
	Name string `json:"name"`
	// DeploymentVersion is the version the queue is polled as when an app
	// registered its own ("deployment.build"); empty for the sidecar's.
	DeploymentVersion string `json:"deployment_version,omitempty"`
	// Apps is the number of app sessions registered on the queue.
	Apps int `json:"apps"`
	// Polling is true when the queue's pollers run and an app can take its
	// tasks; a queue whose apps all left is not polled.
	Polling bool   `json:"polling"`
	Reason  string `json:"reason,omitempty"`
	// HungApps are the apps holding a workflow activation past its
	// deadline; they get no new work until they answer.
	HungApps []string `json:"hung_apps,omitempty"`
}

// A ReadinessProbe keeps a passive readiness check current between the
// calls the worker makes anyway.
//
// Ready is the passive check, frontend.Client.Ready: it turns false when
// a call fails with Unavailable and true again only when a later call gets
// an answer. The worker's long polls answer only after up to a minute, so
// after an outage readiness would trail recovery by that much; and with no
// application connected nothing calls at all. Probe makes one cheap call
// (GetSystemInfo) through the same client, whose outcome Ready then shows.
//
// Ready is looked at every Retry, which costs nothing. The probe runs then
// while not ready, so recovery shows within about Retry, and every
// Interval while ready, so an outage shows even when nothing else calls.
type ReadinessProbe struct {
	Ready    func() error
	Probe    func(context.Context) error
	Interval time.Duration // between probes while ready
	Retry    time.Duration // between looks at Ready, and probes while not ready; ±10%
	Timeout  time.Duration // bounds one probe

	// after is time.After; tests replace it.
	after func(time.Duration) <-chan time.Time
}

// Run probes until ctx is done.
func (p ReadinessProbe) Run(ctx context.Context) {
	after := p.after
	if after == nil {
		after = time.After
	}
	// Every how many looks a ready frontend is probed.
	every := max(1, int(p.Interval/max(p.Retry, 1)))
	for n := 1; ; n++ {
		// Jitter keeps a fleet of sidecars from probing in step.
		wait := time.Duration(float64(p.Retry) * (0.9 + 0.2*rand.Float64()))
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
		if p.Ready() == nil && n < every {
			continue
		}
		n = 0
		pctx, cancel := context.WithTimeout(ctx, p.Timeout)
		_ = p.Probe(pctx) // its outcome reaches Ready through the client
		cancel()
	}
}

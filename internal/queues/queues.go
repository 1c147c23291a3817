// Package queues decides which task queues the sidecar serves. A queue's
// worker starts when the first app registers the queue, within the
// allow-list and the cap, and stops (ShutdownWorker) an idle timeout after
// its last app left, so an app restarting does not churn pollers. Every
// queue shares the sidecar's frontend connection and sticky cache.
//
// A worker serves one (task queue, worker deployment version) pair: apps
// that register other versions of their code on one queue get pollers of
// their own per version, as separate SDK workers would, since the server
// routes versioned tasks by the poller's version.
package queues

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/nexus"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	nexuspb "go.temporal.io/api/nexus/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Options configure a Set.
type Options struct {
	// Only, when set, is the one queue served (--task-queue); it runs from
	// Run to Shutdown, and a registration naming no queue gets it.
	Only string
	// Patterns allow queues by path.Match when Only is empty; none allows
	// every queue.
	Patterns []string
	// Max is the most queues served at once.
	Max int
	// IdleTimeout is how long a queue with no app left keeps its worker.
	IdleTimeout time.Duration
	// Grace bounds how long a stopping queue waits for its tasks in flight.
	Grace time.Duration
	// Deployment is the sidecar's own version (--deployment-name,
	// --build-id, --use-versioning); nil lets each app register its own.
	Deployment *bridgev1.WorkerDeployment
	// New assembles the worker of a queue, registering its metrics on reg.
	// dep is the version an app registered, nil for the sidecar's own.
	// The worker for replay-only sessions that name no queue is made with
	// an empty queue name and never polls.
	New func(taskQueue string, dep *bridgev1.WorkerDeployment, reg prometheus.Registerer) *worker.Worker
	// Forget, if set, is called with a task queue whose last worker
	// stopped, for what outlives the workers (sidecar-wide metrics
	// labelled with the queue).
	Forget func(taskQueue string)
	Logger *slog.Logger
}

// Set is the task queues being served. It routes bridge sessions to their
// queue's worker (bridge.Router) and gathers every queue's metrics
// (prometheus.Gatherer).
type Set struct {
	opts Options
	log  *slog.Logger

	ctx    context.Context // parent of every queue's polling
	cancel context.CancelFunc
	fatal  chan error // the first fatal polling error of any queue

	mu       sync.Mutex
	queues   map[key]*queue
	replay   *queue // replay-only sessions that name no queue
	stopping bool
	stopped  sync.WaitGroup // queues stopping on their own
}

// key names a worker: a task queue and the deployment version it polls as
// ("" for the sidecar's own).
type key struct{ name, version string }

// versionOf is dep's key part: Temporal's canonical "deployment.build"
// form, or the build alone for a build id without a deployment.
func versionOf(dep *bridgev1.WorkerDeployment) string {
	switch {
	case dep == nil:
		return ""
	case dep.GetDeploymentName() == "":
		return dep.GetBuildId()
	}
	return dep.GetDeploymentName() + "." + dep.GetBuildId()
}

// queue is one served task queue, as one deployment version.
type queue struct {
	key
	dep      *bridgev1.WorkerDeployment // the app's version; nil for the sidecar's
	w        *worker.Worker
	metrics  *prometheus.Registry
	sessions int         // app sessions registered on the queue
	idle     *time.Timer // stops the queue; set while sessions is 0
	cancel   context.CancelFunc
	ran      chan struct{} // closed when the worker's Run returned
}

// New returns a Set. Serve bridge sessions through it, then Run it.
func New(opts Options) *Set {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Set{opts: opts, log: opts.Logger, ctx: ctx, cancel: cancel, fatal: make(chan error, 1), queues: map[key]*queue{}}
}

// Run serves the configured queue, if any, until ctx ends or a queue stops
// polling for good, whose error it returns.
func (s *Set) Run(ctx context.Context) error {
	if s.opts.Only != "" {
		s.mu.Lock()
		if !s.stopping {
			k := key{name: s.opts.Only}
			s.queues[k] = s.start(k, nil)
		}
		s.mu.Unlock()
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.fatal:
		return err
	}
}

// Route implements bridge.Router: it finds the registration's queue,
// starting it within the allow-list and the cap.
func (s *Set) Route(reg *bridgev1.Register) (*bridge.Server, func(), error) {
	name := cmp.Or(reg.GetTaskQueue(), s.opts.Only)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, nil, status.Error(codes.Unavailable, "the sidecar is shutting down; connect to its replacement")
	}
	if name == "" {
		if !reg.GetReplayOnly() {
			return nil, nil, status.Errorf(codes.InvalidArgument,
				"register.task_queue is required: this sidecar serves the task queues its apps register (it was started without %s)", config.Ref("task-queue"))
		}
		if s.replay == nil {
			s.replay = &queue{w: s.opts.New("", nil, prometheus.NewRegistry())}
		}
		return s.replay.w.Bridge(), func() {}, nil
	}
	if err := s.allowed(name); err != nil {
		return nil, nil, err
	}
	dep, err := s.deployment(reg.GetDeployment())
	if err != nil {
		return nil, nil, err
	}
	k := key{name: name, version: versionOf(dep)}
	q := s.queues[k]
	if q == nil {
		if len(s.queues) >= s.opts.Max {
			return nil, nil, status.Errorf(codes.ResourceExhausted,
				"register.task_queue %q would be worker %d of this sidecar (one per task queue and deployment version), over %s = %d (serving %s); raise it, or serve the queue from another sidecar",
				name, len(s.queues)+1, config.Ref("max-task-queues"), s.opts.Max, s.namesLocked())
		}
		q = s.start(k, dep)
		s.queues[k] = q
	} else if err := sameUse(q, dep); err != nil {
		return nil, nil, err
	}
	q.sessions++
	if q.idle != nil {
		q.idle.Stop()
		q.idle = nil
	}
	return q.w.Bridge(), sync.OnceFunc(func() { s.release(q) }), nil
}

// deployment is the version a registration's worker polls as: nil for the
// sidecar's own, which a sidecar with --build-id insists on.
func (s *Set) deployment(dep *bridgev1.WorkerDeployment) (*bridgev1.WorkerDeployment, error) {
	own := s.opts.Deployment
	switch {
	case dep == nil:
		return nil, nil
	case own == nil:
		return dep, nil
	case dep.GetDeploymentName() == own.GetDeploymentName() && dep.GetBuildId() == own.GetBuildId() && dep.GetUseVersioning() == own.GetUseVersioning():
		return nil, nil
	}
	return nil, status.Errorf(codes.FailedPrecondition,
		"register.deployment (deployment %q, build %q, use_versioning %v) is not this sidecar's version (%s %q, %s %q, %s %v): a sidecar started with %s polls only as its own; register without a deployment, or start the sidecar without %s so that each app's version is polled",
		dep.GetDeploymentName(), dep.GetBuildId(), dep.GetUseVersioning(),
		config.Ref("deployment-name"), own.GetDeploymentName(), config.Ref("build-id"), own.GetBuildId(), config.Ref("use-versioning"), own.GetUseVersioning(),
		config.Ref("build-id"), config.Ref("build-id"))
}

// sameUse refuses a session of q's version that would poll it differently.
func sameUse(q *queue, dep *bridgev1.WorkerDeployment) error {
	if q.dep.GetUseVersioning() == dep.GetUseVersioning() && q.dep.GetDefaultVersioningBehavior() == dep.GetDefaultVersioningBehavior() {
		return nil
	}
	return status.Errorf(codes.FailedPrecondition,
		"register.deployment: task queue %q is polled as version %q with use_versioning %v and default_versioning_behavior %s by other apps; this app registers %v and %s; register the version as they do, or give it another build_id",
		q.name, q.version, q.dep.GetUseVersioning(), q.dep.GetDefaultVersioningBehavior(), dep.GetUseVersioning(), dep.GetDefaultVersioningBehavior())
}

// allowed refuses a queue outside --task-queue or --task-queues.
func (s *Set) allowed(name string) error {
	if s.opts.Only != "" {
		if name != s.opts.Only {
			return status.Errorf(codes.FailedPrecondition,
				"register.task_queue %q is not served here: this sidecar serves only %s = %q; point the app at a sidecar for %q, or start this one with %s instead",
				name, config.Ref("task-queue"), s.opts.Only, name, config.Ref("task-queues"))
		}
		return nil
	}
	if len(s.opts.Patterns) == 0 {
		return nil
	}
	for _, p := range s.opts.Patterns {
		if ok, _ := path.Match(p, name); ok { // config checked the patterns
			return nil
		}
	}
	return status.Errorf(codes.FailedPrecondition,
		"register.task_queue %q is not allowed: %s = %q does not match it; add it (or a pattern) there",
		name, config.Ref("task-queues"), strings.Join(s.opts.Patterns, ","))
}

// start assembles and runs a queue's worker. The caller holds mu.
func (s *Set) start(k key, dep *bridgev1.WorkerDeployment) *queue {
	reg := prometheus.NewRegistry()
	var metrics prometheus.Registerer = reg
	if k.version != "" {
		// Workers of one queue differ by version in their metrics.
		metrics = prometheus.WrapRegistererWith(prometheus.Labels{"deployment_version": k.version}, reg)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	q := &queue{key: k, dep: dep, w: s.opts.New(k.name, dep, metrics), metrics: reg, cancel: cancel, ran: make(chan struct{})}
	s.log.Info("serving task queue", "task_queue", k.name, "deployment_version", k.version)
	go func() {
		defer close(q.ran)
		if err := q.w.Run(ctx); err != nil {
			select {
			case s.fatal <- fmt.Errorf("task queue %q: %w", k.name, err):
			default:
			}
		}
	}()
	return q
}

// release ends one session of q; the last one starts its idle timeout,
// except on the configured queue, which is served until shutdown.
func (s *Set) release(q *queue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q.sessions--
	if q.sessions > 0 || s.stopping || q.key == (key{name: s.opts.Only}) {
		return
	}
	q.idle = time.AfterFunc(s.opts.IdleTimeout, func() { s.stopIdle(q) })
}

// stopIdle stops q if no app registered it again meanwhile.
func (s *Set) stopIdle(q *queue) {
	s.mu.Lock()
	if q.sessions > 0 || s.stopping || s.queues[q.key] != q {
		s.mu.Unlock()
		return
	}
	delete(s.queues, q.key)
	last := !slices.Contains(s.namesLocked(), q.name)
	s.stopped.Add(1)
	s.mu.Unlock()
	if last && s.opts.Forget != nil {
		defer s.opts.Forget(q.name)
	}
	defer s.stopped.Done()
	s.log.Info("task queue idle: stopping its pollers", "task_queue", q.name, "deployment_version", q.version, "idle_timeout", s.opts.IdleTimeout)
	if err := s.stop(context.Background(), q); err != nil {
		s.log.Warn("task queue stopped with tasks in flight", "task_queue", q.name, "err", err)
	}
}

// stop ends q's polling, tells the server the worker is gone and drains
// its tasks within Grace. Shutdown ends the polls itself, after
// ShutdownWorker: cancelling Run's context first would cancel them
// client-side, where one can race with the server handing it a task.
func (s *Set) stop(ctx context.Context, q *queue) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Grace)
	defer cancel()
	err := q.w.Shutdown(ctx, s.opts.Grace)
	q.cancel()
	<-q.ran
	return err
}

// Shutdown stops every queue at once: the server is told each worker is
// gone and polling ends, and tasks in flight get until ctx ends.
func (s *Set) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	all := make([]*queue, 0, len(s.queues)+1)
	for _, q := range s.queues {
		if q.idle != nil {
			q.idle.Stop()
		}
		all = append(all, q)
	}
	replay := s.replay
	s.mu.Unlock()
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, q := range all {
		wg.Go(func() {
			if err := s.stop(ctx, q); err != nil {
				errs[i] = fmt.Errorf("task queue %q: %w", q.name, err)
			}
		})
	}
	if replay != nil {
		wg.Go(func() { _ = replay.w.Bridge().Shutdown(ctx, s.opts.Grace) })
	}
	wg.Wait()
	s.stopped.Wait()
	s.cancel()
	return errors.Join(errs...)
}

// Names are the queues served now, sorted.
func (s *Set) Names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.namesLocked()
}

func (s *Set) namesLocked() []string {
	names := make([]string, 0, len(s.queues))
	for k := range s.queues {
		names = append(names, k.name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Ready reports every queue's state, and why the sidecar is not ready: no
// queue has an app, the configured queue has none, or a queue's polling
// stopped for good.
func (s *Set) Ready() ([]telemetry.QueueStatus, error) {
	s.mu.Lock()
	all := make([]*queue, 0, len(s.queues))
	for _, q := range s.queues {
		all = append(all, q)
	}
	s.mu.Unlock()
	slices.SortFunc(all, func(a, b *queue) int {
		return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.version, b.version))
	})
	out := make([]telemetry.QueueStatus, 0, len(all))
	var errs []error
	polled := 0
	for _, q := range all {
		st := telemetry.QueueStatus{Name: q.name, DeploymentVersion: q.version, Apps: q.w.Apps(), HungApps: q.w.HungApps()}
		if err := q.w.Ready(); err != nil {
			st.Reason = err.Error()
			if q.key == (key{name: s.opts.Only}) || q.w.Err() != nil {
				errs = append(errs, fmt.Errorf("task queue %q: %w", q.name, err))
			}
		} else {
			st.Polling = true
			polled++
		}
		out = append(out, st)
	}
	if polled == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no app is registered on the bridge"))
	}
	return out, errors.Join(errs...)
}

// Nexus finds a Nexus task in progress on any queue, for the client
// service's workflow-run operations (client.NexusTasks).
func (s *Set) Nexus() nexusTasks { return nexusTasks{s} }

type nexusTasks struct{ s *Set }

func (n nexusTasks) StartRequest(token []byte) (*nexuspb.StartOperationRequest, error) {
	n.s.mu.Lock()
	all := make([]*queue, 0, len(n.s.queues))
	for _, q := range n.s.queues {
		all = append(all, q)
	}
	n.s.mu.Unlock()
	for _, q := range all {
		r, err := q.w.Nexus().StartRequest(token)
		if !errors.Is(err, nexus.ErrNoTask) {
			return r, err
		}
	}
	return nil, nexus.ErrNoTask
}

// Gather implements prometheus.Gatherer over the metrics of every queue
// served now; a stopped queue's metrics go with it.
func (s *Set) Gather() ([]*dto.MetricFamily, error) {
	s.mu.Lock()
	gs := make(prometheus.Gatherers, 0, len(s.queues))
	for _, q := range s.queues {
		gs = append(gs, q.metrics)
	}
	s.mu.Unlock()
	return gs.Gather()
}

// Package worker assembles one Temporal worker for one task queue out of the
// bridge, the slot suppliers, the pollers and the dispatchers, and runs it from
// start to graceful shutdown.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/activity"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/nexus"
	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	"github.com/temporal-sidecar/sidecar/internal/workflow"
	deploymentpb "go.temporal.io/api/deployment/v1"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"golang.org/x/time/rate"
)

// Options configure a Worker.
type Options struct {
	Namespace string
	TaskQueue string
	Identity  string
	Service   workflowservice.WorkflowServiceClient
	Bridge    bridge.Options // Handler is set by the worker
	// ServerEndsPolls: the server answers a stopping worker's polls at
	// once after ShutdownWorker (the namespace's
	// worker_poll_complete_on_shutdown capability, which sdk-core reads
	// too), so Shutdown lets them end rather than cancelling them.
	ServerEndsPolls bool

	// BuildID, if set, is reported in every poll and task response, with
	// DeploymentName, as Temporal's SDKs report their worker deployment
	// version. UseVersioning makes the worker versioned: the server routes
	// tasks by deployment version, and each workflow task completion says
	// how its run moves between versions (the app's registered behavior
	// for the type, else DefaultVersioningBehavior).
	BuildID                   string
	DeploymentName            string
	UseVersioning             bool
	DefaultVersioningBehavior enumspb.VersioningBehavior

	MaxConcurrentWorkflowTasks int
	// WorkflowPollers covers the normal and sticky queues together; the
	// normal queue gets NonstickyToStickyPollRatio of them.
	WorkflowPollers            poller.Behaviour
	NonstickyToStickyPollRatio float64
	MaxCachedWorkflows         int // 0 turns sticky execution off
	// Cache, if set, is the sticky cache shared with the workers of other
	// task queues; its size then replaces MaxCachedWorkflows.
	Cache                        *workflow.Cache
	StickyScheduleToStartTimeout time.Duration

	MaxConcurrentNexusTasks int
	NexusPollers            poller.Behaviour

	MaxConcurrentActivities      int
	MaxConcurrentLocalActivities int
	ActivityPollers              poller.Behaviour
	// ActivitiesPerSecond limits activity tasks this worker starts; 0 means no limit.
	ActivitiesPerSecond float64
	// TaskQueueActivitiesPerSecond asks the server to limit the whole queue; 0 means no limit.
	TaskQueueActivitiesPerSecond float64
	NoRemoteActivities           bool
	// EagerActivities lets workflow task completions start activities on
	// this worker at once, without a poll.
	EagerActivities bool

	DefaultHeartbeatThrottle time.Duration
	MaxHeartbeatThrottle     time.Duration

	// WorkflowSlots, ActivitySlots, LocalActivitySlots and NexusSlots pick
	// each kind's slot supplier, as the SDKs' composite tuner does: fixed
	// (the zero value) or resource-based.
	WorkflowSlots, ActivitySlots, LocalActivitySlots, NexusSlots SlotOptions
	// Tuner gives the memory and CPU targets of the worker's
	// resource-based kinds, and measures the sidecar's own container (or
	// machine); nil is 0.8 and 0.9 on this machine's usage. The kinds share
	// one controller of the worker's own, which steers by the usage the
	// worker's apps report (bridge ResourceUsage) where they report it, and
	// by Tuner's measurement where they do not.
	Tuner *slots.Tuner
	// AppSlotReserveTimeout bounds the wait for an app's slot supplier to
	// answer a reserve before it is cancelled and asked again; 0 is
	// slots.DefaultReserveTimeout.
	AppSlotReserveTimeout time.Duration

	// Metrics, if set, receives the worker's metrics.
	Metrics *telemetry.WorkerMetrics
	Logger  *slog.Logger
}

// Worker is a running worker.
type Worker struct {
	opts       Options
	log        *slog.Logger
	bridge     *bridge.Server
	actSlots   slots.Counted
	actLimit   *rate.Limiter // ActivitiesPerSecond, for polls and eager starts alike; nil: unlimited
	activities *activity.Dispatcher
	wfSlots    slots.Counted
	workflows  *workflow.Engine
	nxSlots    slots.Counted
	nexus      *nexus.Dispatcher
	sticky     string // this process's sticky queue; empty when sticky execution is off

	// deployment is this worker's deployment version for polls and
	// responses; nil without a build ID.
	deployment *deploymentpb.WorkerDeploymentOptions

	// instanceKey identifies this worker process to the server in polls and
	// ShutdownWorker, so the server can end its outstanding polls at shutdown.
	instanceKey string

	laSlots slots.Counted
	// tuner steers the worker's resource-based kinds: Options.Tuner's
	// targets, on the usage the worker's apps report (ResourceUsage).
	tuner   *slots.Tuner
	pollers sync.Map // poller_type -> func() int, the polls in flight
	// appSuppliers holds the slot supplier of each session that serves
	// some kinds' slots (Register.slot_suppliers).
	appSuppliers sync.Map // *bridge.Session -> *slots.AppSupplier

	// stopPolls, closed by Shutdown, stops pollers from starting new polls
	// while the polls in flight end on their own (see stopPolling).
	stopPolls chan struct{}
	stopOnce  sync.Once

	mu       sync.Mutex
	fatal    error
	cancel   context.CancelFunc
	done     chan struct{}
	shutdown bool // ShutdownWorker was sent for the whole worker
}

// New assembles a Worker. Serve its Bridge on a gRPC server, then Run it.
func New(opts Options) *Worker {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Worker{opts: opts, log: opts.Logger, done: make(chan struct{}), stopPolls: make(chan struct{}), instanceKey: uuid.NewString()}
	w.deployment = deploymentOptions(opts)
	bo := opts.Bridge
	bo.Handler = w
	bo.RequireVersioningBehavior = opts.UseVersioning && opts.DefaultVersioningBehavior == enumspb.VERSIONING_BEHAVIOR_UNSPECIFIED
	w.bridge = bridge.New(bo)
	w.actSlots = w.appServed(task.Activity, w.slotsFor(opts.MaxConcurrentActivities, opts.ActivitySlots))
	w.activities = activity.New(activity.Options{
		Namespace:                opts.Namespace,
		TaskQueue:                opts.TaskQueue,
		Identity:                 opts.Identity,
		Service:                  opts.Service,
		Bridge:                   w.bridge,
		Slots:                    w.actSlots,
		DefaultHeartbeatThrottle: opts.DefaultHeartbeatThrottle,
		MaxHeartbeatThrottle:     opts.MaxHeartbeatThrottle,
		RoundTrip:                roundTrip(opts.Metrics, telemetry.Activity),
		Metrics:                  opts.Metrics,
		Deployment:               w.deployment,
		Logger:                   opts.Logger,
	})
	w.wfSlots = w.appServed(task.Workflow, w.slotsFor(opts.MaxConcurrentWorkflowTasks, opts.WorkflowSlots))
	w.laSlots = w.appServed(task.LocalActivity, w.slotsFor(max(1, opts.MaxConcurrentLocalActivities), opts.LocalActivitySlots))
	if opts.Cache == nil {
		opts.Cache = workflow.NewCache(opts.MaxCachedWorkflows)
	}
	w.opts.Cache = opts.Cache
	if opts.Cache.Size() > 0 {
		w.sticky = opts.Identity + "-" + w.instanceKey
	}
	if aps := opts.ActivitiesPerSecond; aps > 0 {
		w.actLimit = rate.NewLimiter(rate.Limit(aps), max(1, int(aps)))
	}
	var eagerActivities workflow.EagerActivities
	// A task-queue rate limit turns eager execution off, as in sdk-core: the
	// server enforces that limit on polls only.
	if opts.EagerActivities && !opts.NoRemoteActivities && opts.TaskQueueActivitiesPerSecond <= 0 {
		eagerActivities = &eager{slots: slots.NewCapped(w.actSlots, w.bridge), d: w.activities, limit: w.actLimit}
	}
	w.workflows = workflow.New(workflow.Options{
		Eager:                        eagerActivities,
		Namespace:                    opts.Namespace,
		TaskQueue:                    opts.TaskQueue,
		Identity:                     opts.Identity,
		StickyQueue:                  w.sticky,
		StickyScheduleToStartTimeout: opts.StickyScheduleToStartTimeout,
		Cache:                        opts.Cache,
		InstanceKey:                  w.instanceKey,
		Service:                      opts.Service,
		Bridge:                       w.bridge,
		Slots:                        w.wfSlots,
		LocalSlots:                   w.laSlots,
		RoundTrip:                    roundTrip(opts.Metrics, telemetry.Workflow),
		Metrics:                      opts.Metrics,
		Deployment:                   w.deployment,
		DefaultVersioningBehavior:    opts.DefaultVersioningBehavior,
		Logger:                       opts.Logger,
	})
	w.nxSlots = w.appServed(task.Nexus, w.slotsFor(max(1, opts.MaxConcurrentNexusTasks), opts.NexusSlots))
	w.nexus = nexus.New(nexus.Options{Namespace: opts.Namespace, Identity: opts.Identity, Service: opts.Service,
		Bridge: w.bridge, Slots: w.nxSlots, Logger: opts.Logger, Metrics: opts.Metrics})
	if opts.Metrics != nil {
		w.register(opts.Metrics)
	}
	return w
}

// deploymentOptions is the worker's deployment version as the server takes
// it in polls and responses: versioned with UseVersioning, else reported
// only (UNVERSIONED), as Temporal's SDKs report a build ID without
// versioning; nil without a build ID.
func deploymentOptions(opts Options) *deploymentpb.WorkerDeploymentOptions {
	if opts.BuildID == "" {
		return nil
	}
	mode := enumspb.WORKER_VERSIONING_MODE_UNVERSIONED
	if opts.UseVersioning {
		mode = enumspb.WORKER_VERSIONING_MODE_VERSIONED
	}
	return &deploymentpb.WorkerDeploymentOptions{DeploymentName: opts.DeploymentName, BuildId: opts.BuildID, WorkerVersioningMode: mode}
}

// SlotOptions choose one kind's slot supplier. The kind's MaxConcurrent*
// option is its number of slots when fixed, its maximum when resource-based.
type SlotOptions struct {
	// ResourceBased grows the kind's slots with Options.Tuner: Minimum are
	// always granted, then one more while memory and CPU allow, no sooner
	// than RampThrottle after the last. Otherwise the slots are fixed.
	ResourceBased bool
	Minimum       int
	RampThrottle  time.Duration
}

// slotsFor is a kind's slot supplier: fixed, or resource-based up to max.
func (w *Worker) slotsFor(max int, o SlotOptions) slots.Counted {
	if !o.ResourceBased {
		return slots.NewFixed(max)
	}
	if w.tuner == nil {
		base := w.opts.Tuner
		if base == nil {
			base = slots.NewTuner(0.8, 0.9, nil)
		}
		// The queue's own controller, on its apps' reported usage where
		// they report it, else on base's measurement of this container.
		w.tuner = base.ForApps(w.bridge)
	}
	return slots.NewResourceBased(w.tuner, min(o.Minimum, max), max, o.RampThrottle)
}

// WorkflowSlots is the workflow task slot supplier, for metrics and tests.
func (w *Worker) WorkflowSlots() slots.Counted { return w.wfSlots }

// Workflows is the workflow engine, for metrics and tests.
func (w *Worker) Workflows() *workflow.Engine { return w.workflows }

// StickyQueue is this process's sticky queue, or "" when sticky execution is off.
func (w *Worker) StickyQueue() string { return w.sticky }

// Bridge is the bridge server apps connect to.
func (w *Worker) Bridge() *bridge.Server { return w.bridge }

// ActivitySlots is the activity slot supplier, for metrics and tests.
func (w *Worker) ActivitySlots() slots.Counted { return w.actSlots }

// Activities is the activity dispatcher, for metrics and tests.
func (w *Worker) Activities() *activity.Dispatcher { return w.activities }

// Nexus is the Nexus task dispatcher.
func (w *Worker) Nexus() *nexus.Dispatcher { return w.nexus }

// Err is the fatal error that stopped polling, if any.
func (w *Worker) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fatal
}

// Ready reports why the worker cannot take work: polling stopped for good,
// or no app is connected to run tasks.
func (w *Worker) Ready() error {
	if err := w.Err(); err != nil {
		return fmt.Errorf("polling stopped: %w", err)
	}
	if w.Apps() == 0 { // a Replayer runs no tasks
		return errors.New("no app is registered on the bridge")
	}
	return nil
}

// HungApps names the apps holding a workflow activation past its deadline,
// which get no new work until they answer.
func (w *Worker) HungApps() []string {
	var out []string
	for _, ss := range w.bridge.Sessions() {
		if ss.Overdue() > 0 {
			out = append(out, ss.Identity()+" (session "+ss.ID()+")")
		}
	}
	return out
}

// Apps is the number of app sessions that take tasks (not replay-only).
func (w *Worker) Apps() int {
	n := 0
	for _, ss := range w.bridge.Sessions() {
		if !ss.ReplayOnly() {
			n++
		}
	}
	return n
}

// Run polls until ctx ends or Shutdown is called, then returns once every
// poller has stopped: at once when ctx ends (polls in flight are cancelled),
// once the polls in flight have ended after Shutdown. It returns a fatal
// polling error if one stopped it.
func (w *Worker) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	w.mu.Lock()
	w.cancel = cancel
	w.mu.Unlock()
	defer close(w.done)
	defer cancel()

	var wg sync.WaitGroup
	normal, sticky := splitPollers(w.opts.WorkflowPollers, w.opts.NonstickyToStickyPollRatio, w.sticky != "")
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.pollWorkflows(ctx, slots.NewCapped(w.wfSlots, w.bridge),
			&taskqueuepb.TaskQueue{Name: w.opts.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL}, normal)
	}()
	if w.sticky != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.pollWorkflows(ctx, slots.NewCapped(w.wfSlots, w.workflows.StickyGate()),
				&taskqueuepb.TaskQueue{Name: w.sticky, Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: w.opts.TaskQueue}, sticky)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.pollNexus(ctx)
	}()
	if !w.opts.NoRemoteActivities {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.pollActivities(ctx)
		}()
	}
	wg.Wait()
	return w.Err()
}

// splitPollers divides the workflow pollers between the normal and the
// sticky queue: the normal queue gets ratio of them, at least one each.
func splitPollers(b poller.Behaviour, ratio float64, sticky bool) (normal, stickyB poller.Behaviour) {
	if !sticky {
		return b, poller.Behaviour{}
	}
	part := func(n int) (int, int) {
		if n <= 1 {
			return 1, 1
		}
		k := max(1, int(float64(n)*ratio+0.5))
		return k, max(1, n-k)
	}
	normal, stickyB = b, b
	normal.Maximum, stickyB.Maximum = part(b.Maximum)
	if b.Autoscaling {
		normal.Minimum, stickyB.Minimum = part(b.Minimum)
		normal.Initial, stickyB.Initial = part(b.Initial)
	}
	return normal, stickyB
}

// fail records a fatal polling error and tells every app.
func (w *Worker) fail(err error) {
	w.mu.Lock()
	first := w.fatal == nil
	if first {
		w.fatal = err
	}
	w.mu.Unlock()
	if !first {
		return
	}
	w.log.Error("polling stopped for good", "err", err)
	for _, ss := range w.bridge.Sessions() {
		_ = ss.Send(workerError(err))
	}
}

func workerError(err error) *bridgev1.ConnectResponse {
	return &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_WorkerError{WorkerError: &bridgev1.WorkerError{
		Message: "the sidecar stopped polling: " + err.Error(), Fatal: true}}}
}

// pollDrain bounds how long Shutdown waits, after ShutdownWorker, for the
// polls in flight to end on their own before it cancels them, on a server
// that ends a stopping worker's polls (Options.ServerEndsPolls): it
// answers them at once, empty, so the wait there is a round trip. A server
// without it would hold them for its long-poll window (about a minute), so
// there, as sdk-core does, they are cancelled as soon as ShutdownWorker is
// sent.
// Two seconds leaves a loaded server room to answer, and a task matched
// just before ShutdownWorker arrived room to come back, while taking little
// of the graceful timeout (30s by default, and Kubernetes' own grace) that
// the apps need to drain; ctx bounds it too.
const pollDrain = 2 * time.Second

// Shutdown stops polling, tells the server this worker is gone, lets apps
// finish in-flight tasks until ctx ends, and closes the worker.
//
// Polls are not cancelled first: a poll cancelled client-side can race with
// the server handing it a task, which is then recorded as started and lost
// until its timeout. As sdk-core does, pollers start no new poll, then
// ShutdownWorker asks the server to end this worker instance's polls
// (normal and sticky queues alike), and the polls in flight get pollDrain
// to end on their own. A task one of them brings back takes the normal
// path: an app still connected runs it, or it is handed back to the server
// like any task no app can take.
func (w *Worker) Shutdown(ctx context.Context, grace time.Duration) error {
	w.stopPolling(ctx)
	// The bridge tells apps to finish up and waits for their credits to come
	// back; whatever is still running when ctx ends is failed for retry.
	var err error
	if w.bridge.Shutdown(ctx, grace) != nil {
		err = w.activities.Drain(ctx)
	}
	if werr := w.workflows.Wait(ctx); werr != nil {
		err = errors.Join(err, fmt.Errorf("at the graceful timeout: %w", werr))
	}
	w.workflows.Close()
	return err
}

// stopPolling stops the pollers in the order that loses no task: no new
// polls, ShutdownWorker (once per worker), then up to pollDrain (or until
// ctx ends) for the polls in flight to end before cancelling the rest. It
// returns once Run has returned, or at once if Run never started (its
// pollers then poll nothing).
func (w *Worker) stopPolling(ctx context.Context) {
	w.stopOnce.Do(func() {
		close(w.stopPolls)
		w.shutdownWorker()
	})
	w.mu.Lock()
	cancel := w.cancel
	w.mu.Unlock()
	if cancel == nil {
		return
	}
	wait := time.Duration(0)
	if w.opts.ServerEndsPolls {
		wait = pollDrain
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-w.done:
	case <-t.C:
		if wait > 0 {
			w.log.Info("polls still open after ShutdownWorker: cancelling them", "wait", wait)
		}
	case <-ctx.Done():
	}
	cancel()
	<-w.done
}

// shutdownWorker tells the server this worker is gone, so it stops routing
// to it at once rather than after a timeout, and ends its polls where the
// server does that.
func (w *Worker) shutdownWorker() {
	w.mu.Lock()
	w.shutdown = true
	w.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := w.opts.Service.ShutdownWorker(ctx, &workflowservice.ShutdownWorkerRequest{
		Namespace:         w.opts.Namespace,
		Identity:          w.opts.Identity,
		StickyTaskQueue:   w.sticky,
		Reason:            "graceful shutdown",
		WorkerInstanceKey: w.instanceKey,
		TaskQueue:         w.opts.TaskQueue,
		TaskQueueTypes:    []enumspb.TaskQueueType{enumspb.TASK_QUEUE_TYPE_WORKFLOW, enumspb.TASK_QUEUE_TYPE_ACTIVITY, enumspb.TASK_QUEUE_TYPE_NEXUS},
	})
	if err != nil {
		w.log.Warn("ShutdownWorker failed", "err", err)
	}
}

// Opened implements bridge.Handler.
func (w *Worker) Opened(ss *bridge.Session) {
	if err := w.Err(); err != nil {
		_ = ss.Send(workerError(err))
	}
}

// Received implements bridge.Handler.
func (w *Worker) Received(ss *bridge.Session, m *bridgev1.ConnectRequest) {
	switch msg := m.GetMessage().(type) {
	case *bridgev1.ConnectRequest_ActivityCompletion:
		if workflow.IsLocalToken(msg.ActivityCompletion.GetTaskToken()) {
			w.workflows.CompleteLocal(ss, msg.ActivityCompletion)
			return
		}
		w.activities.Complete(ss, msg.ActivityCompletion)
	case *bridgev1.ConnectRequest_ActivityHeartbeat:
		if workflow.IsLocalToken(msg.ActivityHeartbeat.GetTaskToken()) {
			return // local activities have no server-side heartbeat
		}
		w.activities.Heartbeat(ss, msg.ActivityHeartbeat)
	case *bridgev1.ConnectRequest_WorkflowCompletion:
		w.workflows.Complete(ss, msg.WorkflowCompletion)
	case *bridgev1.ConnectRequest_RequestEviction:
		w.workflows.RequestEviction(ss, msg.RequestEviction)
	case *bridgev1.ConnectRequest_NexusCompletion:
		w.nexus.Complete(ss, msg.NexusCompletion)
	case *bridgev1.ConnectRequest_SlotResponse:
		w.slotAnswer(ss, msg.SlotResponse)
	case *bridgev1.ConnectRequest_ReplayHistory:
		// A replay takes many round trips with the app; the session's
		// reader must go on receiving its completions meanwhile.
		go func() {
			if res := w.workflows.ReplayHistory(context.Background(), ss, msg.ReplayHistory); res != nil {
				_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_ReplayResult{ReplayResult: res}})
			}
		}()
	}
}

// Closed implements bridge.Handler.
func (w *Worker) Closed(ss *bridge.Session) {
	w.slotsClosed(ss)
	w.activities.SessionClosed(ss)
	w.workflows.SessionClosed(ss)
	if grace := w.opts.Bridge.HandbackGrace; grace >= 0 && w.sticky != "" && !ss.ReplayOnly() && w.Apps() == 0 {
		// The runs of this worker's sticky queue left with their apps. Once
		// the tasks held here are handed back, release the queue as SDKs do
		// at shutdown, so the server sends those runs' next tasks to the
		// normal queue at once rather than after the sticky timeout.
		time.AfterFunc(grace, func() {
			if w.Apps() == 0 && !w.shutDown() {
				w.releaseSticky()
			}
		})
	}
}

// shutDown reports whether ShutdownWorker was sent for the whole worker,
// which released its sticky queue too.
func (w *Worker) shutDown() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.shutdown
}

// releaseSticky tells the server this worker's sticky queue is gone; its
// polls on the normal queue go on (the server ends none of them).
func (w *Worker) releaseSticky() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := w.opts.Service.ShutdownWorker(ctx, &workflowservice.ShutdownWorkerRequest{
		Namespace: w.opts.Namespace, Identity: w.opts.Identity, StickyTaskQueue: w.sticky,
		Reason: "every app serving the task queue left"})
	if err != nil {
		w.log.Warn("ShutdownWorker for the sticky queue failed", "err", err)
		return
	}
	w.log.Info("every app left: sticky queue released", "sticky_queue", w.sticky)
}

// eager runs eagerly started activities like polled ones: on an activity
// slot with a claim on app capacity, through the dispatcher.
type eager struct {
	slots *slots.Capped
	d     *activity.Dispatcher
	// limit is the worker's ActivitiesPerSecond, shared with the activity
	// poller: an eager start takes a token now or is not asked for, and a
	// reservation the server leaves unused gives its token back.
	limit  *rate.Limiter
	tokens sync.Map // *slots.Permit -> *rate.Reservation
}

func (e *eager) TryReserve() (*slots.Permit, bool) {
	var r *rate.Reservation
	if e.limit != nil {
		if r = e.limit.Reserve(); !r.OK() || r.Delay() > 0 {
			r.Cancel()
			return nil, false
		}
	}
	p, ok := e.slots.TryReserve(slots.Info{Kind: task.Activity})
	switch {
	case !ok && r != nil:
		r.Cancel()
	case ok && r != nil:
		e.tokens.Store(p, r)
	}
	return p, ok
}

func (e *eager) Release(p *slots.Permit) {
	if r, ok := e.tokens.LoadAndDelete(p); ok {
		r.(*rate.Reservation).Cancel()
	}
	e.slots.Release(p)
}

func (e *eager) Deliver(ctx context.Context, t *workflowservice.PollActivityTaskQueueResponse, p *slots.Permit, ss *bridge.Session) {
	e.tokens.Delete(p)
	describeActivitySlot(t, &p.Info)
	e.slots.MarkUsed(p)
	go e.d.DeliverEager(ctx, t, p, ss)
}

// Package workflow turns workflow tasks into activations and completions
// into commands, as sdk-core does for Temporal's SDKs. It keeps runs in a
// sticky cache, replays history into the app when a run is not cached,
// matches the app's commands against history on replay, and answers queries.
package workflow

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/deadline"
	"github.com/temporal-sidecar/sidecar/internal/gopool"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	commonpb "go.temporal.io/api/common/v1"
	deploymentpb "go.temporal.io/api/deployment/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	protocolpb "go.temporal.io/api/protocol/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Options configure an Engine.
type Options struct {
	Namespace string
	TaskQueue string
	Identity  string
	// StickyQueue is this worker's sticky queue; empty turns sticky
	// execution off (a Cache of size 0).
	StickyQueue                  string
	StickyScheduleToStartTimeout time.Duration
	// Cache bounds the runs this engine keeps together with the engines
	// sharing it; nil gives the engine a cache of CacheSize runs of its own.
	Cache       *Cache
	CacheSize   int
	InstanceKey string
	Service     workflowservice.WorkflowServiceClient
	Bridge      *bridge.Server
	Slots       slots.Supplier
	// LocalSlots bounds the local activities running at once.
	LocalSlots slots.Supplier
	// RoundTrip, if set, is told how long each activation took the app.
	RoundTrip func(time.Duration)
	// Metrics, if set, receives sdk-core's workflow and local activity
	// metrics.
	Metrics *telemetry.WorkerMetrics
	// Eager, if set, runs activities the server hands out eagerly in its
	// answer to a workflow task completion.
	Eager EagerActivities
	// Deployment, if set, is this worker's deployment version, reported in
	// every workflow task response as Temporal's SDKs do.
	Deployment *deploymentpb.WorkerDeploymentOptions
	// DefaultVersioningBehavior is the versioning behavior of runs whose
	// type the app registered without one; sent only when Deployment is
	// versioned.
	DefaultVersioningBehavior enumspb.VersioningBehavior
	Logger                    *slog.Logger
}

// EagerActivities is where eagerly executed activities go: the activity
// slots (capped by app capacity) and the activity dispatcher, which runs each
// on the app that ran the workflow task (ss) while it is connected.
type EagerActivities interface {
	TryReserve() (*slots.Permit, bool)
	Release(*slots.Permit)
	Deliver(ctx context.Context, t *workflowservice.PollActivityTaskQueueResponse, p *slots.Permit, ss *bridge.Session)
}

// Engine runs workflow tasks.
type Engine struct {
	opts   Options
	log    *slog.Logger
	shared *Cache // the size this engine's runs count against

	mu    sync.Mutex
	cache map[string]*entry // run id -> cached run
	lru   *list.List        // of *entry, most recently used at the front
	// waiting is keyed by session as well as run: a replay may run a
	// history on one session while the same run is live on another.
	waiting      map[sessionRun]*waiter
	replaying    map[sessionRun]bool     // runs being replayed, by session
	replayIDs    map[sessionRun]bool     // ReplayHistory request ids in progress, by session
	localWaiting map[string]*localWaiter // by local activity task token
	filled       chan struct{}           // closed and replaced when a run enters the cache
	stats        CacheStats
	busy         sync.WaitGroup // tasks and replays in progress
	// tasks and replays count what busy waits for, for Wait's error.
	tasks, replays atomic.Int64
	// pool runs each task, on a goroutine whose stack grew for an
	// earlier one.
	pool *gopool.Pool
	// timers are the activations' deadlines, a few milliseconds coarse:
	// one timer per grain, not per activation.
	timers *deadline.Timers
	// version is this worker's deployment version, the live task's
	// (read only: every run shares it).
	version *deploymentpb.WorkerDeploymentVersion
	// stickyAttributes and stamp go in every completion, made once (read
	// only: every request shares them).
	stickyAttributes *taskqueuepb.StickyExecutionAttributes
	stamp            *commonpb.WorkerVersionStamp
}

// entry is a run and the app session that holds it.
type entry struct {
	mu      sync.Mutex // held while a task of the run is processed
	run     *run
	session *bridge.Session
	elem    *list.Element
	used    uint64 // Cache.tick at the last use, to order runs across engines
	held    bool   // a credit for the next activation is already reserved
	// localDone receives the outcomes of the run's local activities, which
	// may finish during a later workflow task than the one that started them.
	localDone *localOutcomes
	// live is the activation of the task being answered, for follow-ups.
	live *bridgev1.WorkflowActivation
	// activated is set once an activation was sent: the app holds the run.
	activated bool
	// taskStart is when the sidecar received the workflow task being
	// answered; activations are due by activationDeadline after it. Zero
	// for a replay an app asked for, which has no deadline.
	taskStart time.Time
	// overdue is set once the app let an activation of the run pass its
	// deadline: the run has left this session, which is sent its eviction
	// only once it answers.
	overdue bool
}

// waiter receives the completion of an activation in flight, or stands in
// for one the app holds past its deadline.
type waiter struct {
	session *bridge.Session
	ch      chan *bridgev1.WorkflowActivationCompletion
	sent    time.Time
	// late marks an activation past its deadline: its answer is refused and
	// its credit carries the run's eviction. evicting marks that eviction,
	// whose answer only returns the credit. blamed marks a late activation
	// counted against its app (see activateBy).
	late, evicting, blamed bool
	// gone is closed when a late or evicting waiter leaves the map.
	gone chan struct{}
}

// sessionRun names something (a run, a request) of one session.
type sessionRun struct {
	ss *bridge.Session
	id string
}

// New returns an Engine.
func New(opts Options) *Engine {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Cache == nil {
		opts.Cache = NewCache(opts.CacheSize)
	}
	e := &Engine{opts: opts, log: opts.Logger, shared: opts.Cache, cache: map[string]*entry{}, lru: list.New(), waiting: map[sessionRun]*waiter{}, pool: gopool.New(poolIdle), timers: deadline.NewTimers(deadlineGrain),
		version:   &deploymentpb.WorkerDeploymentVersion{DeploymentName: opts.Deployment.GetDeploymentName(), BuildId: opts.Deployment.GetBuildId()},
		replaying: map[sessionRun]bool{}, replayIDs: map[sessionRun]bool{},
		localWaiting: map[string]*localWaiter{}, filled: make(chan struct{})}
	e.stickyAttributes, e.stamp = e.newStickyAttributes(), e.newVersionStamp()
	e.shared.join(e)
	return e
}

// Close takes the engine out of its shared cache; call it once the engine's
// runs are gone (its apps left).
func (e *Engine) Close() { e.shared.leave(e) }

func newEntry(r *run, ss *bridge.Session) *entry {
	return &entry{run: r, session: ss, held: true, localDone: newLocalOutcomes()}
}

// CacheStats counts how tasks found the sticky cache.
type CacheStats struct {
	Hits, Misses, ForcedEvictions atomic.Uint64
}

// Stats returns the cache counters.
func (e *Engine) Stats() *CacheStats { return &e.stats }

// Cached is the number of runs in the sticky cache.
func (e *Engine) Cached() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.cache)
}

// Deliver takes a polled workflow task; the permit is released when the task
// (and any task the server returns in its place) has been answered.
func (e *Engine) Deliver(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, permit *slots.Permit) {
	e.busy.Add(1)
	e.tasks.Add(1)
	e.pool.Go(func() {
		defer e.busy.Done()
		defer e.tasks.Add(-1)
		defer e.opts.Slots.Release(permit)
		// A normal poll claimed app capacity; a sticky one did not (see StickyGate).
		claimed := !permit.Info.Sticky
		for t != nil {
			t = e.handle(ctx, t, time.Now(), &claimed)
		}
		if claimed {
			e.opts.Bridge.Return(task.Workflow)
		}
	})
}

// poolIdle is how long a goroutine that ran a task waits for another.
const poolIdle = 10 * time.Second

// deadlineGrain is how much later than its deadline an activation may be
// found overdue.
const deadlineGrain = 5 * time.Millisecond

// Wait waits until every delivered task and replay has been answered or
// ctx ends, and then says how many were left.
func (e *Engine) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { e.busy.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	// Counted, not read off done: a select on two ready channels picks
	// either, which once reported tasks running when none were.
	tasks, replays := e.tasks.Load(), e.replays.Load()
	if tasks == 0 && replays == 0 {
		return nil
	}
	return fmt.Errorf("%d workflow tasks and %d replays still running: %w", tasks, replays, ctx.Err())
}

var errSessionLost = errors.New("the app session holding the run ended")

// waitForApp bounds the wait for app capacity for a task that holds no claim.
const waitForApp = 10 * time.Second

// activationDeadline is how long after the sidecar received a workflow task
// its activations must be answered: 80% of the task's start-to-close timeout,
// the point where sdk-core heartbeats a task waiting on local activities.
// Past it the task cannot be answered reliably before the server times it out.
func activationDeadline(taskTimeout time.Duration) time.Duration { return taskTimeout * 4 / 5 }

// handle processes one task, received at received, and returns the task
// the server handed back in its place, if any.
func (e *Engine) handle(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, received time.Time, claimed *bool) *workflowservice.PollWorkflowTaskQueueResponse {
	if t.GetQuery() != nil {
		e.legacyQuery(ctx, t, received, claimed)
		return nil
	}
	for range 3 { // a lost app session moves the task to another app, a few times at most
		next, err := e.workflowTask(ctx, t, received, claimed)
		if !errors.Is(err, errSessionLost) {
			if err != nil {
				e.log.Warn("workflow task not completed", "run_id", t.GetWorkflowExecution().GetRunId(), "err", err)
			}
			return next
		}
		e.log.Info("app lost mid-task; replaying on another app", "run_id", t.GetWorkflowExecution().GetRunId())
	}
	e.failTask(ctx, t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
		"the apps running this workflow kept disconnecting mid-task")
	return nil
}

// acquire finds or creates the cache entry for the task's run, with a credit
// on its session and the entry locked.
func (e *Engine) acquire(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, claimed *bool) (*entry, error) {
	runID := t.GetWorkflowExecution().GetRunId()
	e.mu.Lock()
	ent := e.cache[runID]
	e.mu.Unlock()
	if ent != nil {
		ent.mu.Lock()
		if e.cached(ent) {
			err := e.creditOn(ctx, ent, claimed)
			if err == nil {
				ent.held = true
				e.touch(ent)
				e.stats.Hits.Add(1)
				return ent, nil
			}
			e.drop(ent)
		}
		ent.mu.Unlock()
	}

	if evs := t.GetHistory().GetEvents(); len(evs) > 0 && evs[0].GetEventId() > 1 {
		e.stats.Misses.Add(1) // a sticky task for a run no longer cached
	}
	typ := t.GetWorkflowType().GetName()
	var ss *bridge.Session
	var err error
	if *claimed {
		ss, err = e.opts.Bridge.Assign(ctx, task.Workflow, typ)
		*claimed = false
	} else {
		// A sticky task for a run no longer cached, a task the server handed
		// back, or one moved off a lost app: wait for app capacity, but not
		// past the default workflow task timeout, after which the server
		// retries the task anyway, nor past the hand-back grace once every
		// app left.
		wctx, cancel := context.WithTimeout(ctx, waitForApp)
		err := e.opts.Bridge.AcquireForTask(wctx, task.Workflow)
		cancel()
		if errors.Is(err, bridge.ErrNoApp) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("no app capacity for workflow type %q: %w", typ, err)
		}
		ss, err = e.opts.Bridge.Assign(ctx, task.Workflow, typ)
	}
	if err != nil {
		return nil, err
	}
	r := newRun(runID)
	r.workflowID = t.GetWorkflowExecution().GetWorkflowId()
	r.workflowType = typ
	r.taskQueue = e.opts.TaskQueue
	r.namespace = e.opts.Namespace
	ent = newEntry(r, ss)
	ent.mu.Lock()
	e.mu.Lock()
	if old := e.cache[runID]; old != nil {
		e.lru.Remove(old.elem) // replaced: its app is gone or its state was stale
	}
	ent.elem = e.lru.PushFront(ent)
	ent.used = e.shared.tick.Add(1)
	e.cache[runID] = ent
	close(e.filled)
	e.filled = make(chan struct{})
	e.mu.Unlock()
	return ent, nil
}

// creditOn takes a credit for the task on the session holding the run,
// ending the poll's claim if the task still has one.
func (e *Engine) creditOn(ctx context.Context, ent *entry, claimed *bool) error {
	if *claimed {
		*claimed = false
		return e.opts.Bridge.AssignTo(ctx, task.Workflow, ent.session)
	}
	return e.opts.Bridge.ReserveOn(ctx, task.Workflow, ent.session)
}

func (e *Engine) cached(ent *entry) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cache[ent.run.id] == ent
}

func (e *Engine) touch(ent *entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cache[ent.run.id] == ent {
		e.lru.MoveToFront(ent.elem)
		ent.used = e.shared.tick.Add(1)
	}
}

// drop removes an entry from the cache without telling the app (it is gone,
// or is told separately).
func (e *Engine) drop(ent *entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cache[ent.run.id] == ent {
		delete(e.cache, ent.run.id)
		e.lru.Remove(ent.elem)
	}
}

// workflowTask runs one workflow task through the app and answers the server.
func (e *Engine) workflowTask(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, received time.Time, claimed *bool) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	ent, events, err := e.prepare(ctx, t, claimed)
	switch {
	case errors.Is(err, bridge.ErrNotServed):
		e.failTask(ctx, t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
			fmt.Sprintf("workflow type %q is not registered by any app connected to this sidecar", t.GetWorkflowType().GetName()))
		return nil, nil
	case errors.Is(err, bridge.ErrShuttingDown):
		// Hand the task back at once rather than let it time out: the
		// server schedules it again for another worker.
		e.handBack(ctx, t, "the sidecar is shutting down")
		return nil, nil
	case errors.Is(err, bridge.ErrNoApp):
		e.handBack(ctx, t, "every app serving this task queue left this sidecar")
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer ent.mu.Unlock()
	defer e.releaseHeld(ent)
	// Until the task is answered, its app is not drained: a draining app
	// still resolves the task's local activities and the task completes.
	ss := ent.session
	ss.Hold()
	defer ss.Unhold()

	ent.taskStart = received
	started := time.Now()
	b, err := e.replay(ctx, ent, events, t.GetStartedEventId(), t.GetMessages())
	heartbeat := false
	if err == nil {
		heartbeat, err = e.awaitLocals(ctx, ent, started, ent.live, b)
	}
	if err == nil && len(t.GetQueries()) > 0 {
		err = e.queries(ctx, ent, t, b)
	}
	if err != nil {
		return nil, e.taskFailed(ctx, ent, t, err)
	}
	return e.respond(ctx, ent, t, b, heartbeat)
}

// prepare returns the task's run, locked and with a credit on its app, and
// the events it has not applied yet.
func (e *Engine) prepare(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, claimed *bool) (*entry, []*historypb.HistoryEvent, error) {
	for {
		ent, err := e.acquire(ctx, t, claimed)
		if err != nil {
			return nil, nil, err
		}
		events, err := e.history(ctx, t, ent.run.lastEventID+1)
		if err == nil {
			return ent, events, nil
		}
		if ent.run.lastEventID == 0 {
			e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_PAGINATION_OR_HISTORY_FETCH, err.Error())
			e.releaseHeld(ent)
			ent.mu.Unlock()
			return nil, nil, err
		}
		// The task does not continue the cached state (for example the
		// server sent a full history after a sticky timeout): start over.
		e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_UNHANDLED_COMMAND, "the task's history does not continue the cached run")
		e.releaseHeld(ent)
		ent.mu.Unlock()
	}
}

// replay applies events and runs an activation for each workflow task they
// contain. It returns the commands of the last one, the task being answered.
func (e *Engine) replay(ctx context.Context, ent *entry, events []*historypb.HistoryEvent, startedID int64, msgs []*protocolpb.Message) (*batch, error) {
	r := ent.run
	var pendingJobs []*bridgev1.WorkflowActivationJob
	var b *batch // made when needed: a sticky hit's is the live task's
	// Replay is timed from here to the live task, when there was history
	// to replay, as sdk-core times it.
	began, replayed := time.Now(), false
	for i, ev := range events {
		js, err := r.apply(ev)
		if err != nil {
			return nil, err
		}
		pendingJobs = append(pendingJobs, js...)
		if ev.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
			continue
		}
		r.taskActivations = 0
		live := ev.GetEventId() == startedID
		if live && replayed {
			e.opts.Metrics.WorkflowTaskReplayed(r.workflowType, time.Since(began))
		}
		replayed = replayed || !live
		if live {
			r.task, r.version = ev, e.version
			ent.live = activation(r, ev, false, nil)
			// Only the live task's commands are answered: a replayed task's
			// are in history already, matched by the events applied since.
			// A live task with no jobs (a NexusOperationCancelRequestCompleted
			// alone, say) answers with none.
			b = &batch{}
		}
		// A task that failed or timed out recorded nothing: its jobs carry
		// over to the next one.
		if !live && (i+1 >= len(events) || events[i+1].GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
			continue
		}
		if !live {
			// The flags this task recorded were on while it ran, as
			// sdk-core reads them ahead of replaying it; so was the build
			// of the worker that ran it.
			r.learnFlags(events[i+1])
			r.task, r.version = ev, completedVersion(events[i+1])
		}
		if live {
			ups, err := r.updateRequests(msgs)
			if err != nil {
				return nil, err
			}
			pendingJobs = append(pendingJobs, ups...)
		} else if ups := r.acceptedUpdates(events[i+1:]); len(pendingJobs)+len(ups) > 0 {
			// Look ahead at what this task recorded: patches it saw and
			// updates it accepted are announced before the workflow runs.
			pendingJobs = append(withPatches(pendingJobs, patchJobs(events[i+1:])), ups...)
		}
		var recorded []uint32
		if !live {
			recorded = r.learnMarkers(events[i+1:])
		}
		if len(pendingJobs) > 0 {
			b, err = e.activations(ctx, ent, activation(r, ev, !live, pendingJobs))
			if err != nil {
				return nil, err
			}
			pendingJobs = nil
		}
		if !live {
			if b == nil {
				b = &batch{}
			}
			if err := e.resolveRecorded(ctx, ent, activation(r, ev, true, nil), b, recorded); err != nil {
				return nil, err
			}
		}
	}
	if b == nil {
		b = &batch{}
	}
	return b, nil
}

// withPatches puts a replayed task's patches before its other jobs but after
// InitializeWorkflow, as sdk-core orders an activation's jobs (initialize,
// then patches, then the rest): Temporal's SDKs take the first job of an
// activation for a run they do not hold as its start.
func withPatches(jobs, patches []*bridgev1.WorkflowActivationJob) []*bridgev1.WorkflowActivationJob {
	if len(patches) == 0 {
		return jobs
	}
	n := slices.IndexFunc(jobs, func(j *bridgev1.WorkflowActivationJob) bool { return j.GetInitializeWorkflow() != nil }) + 1
	return slices.Concat(jobs[:n], patches, jobs[n:])
}

// activation builds an activation for the workflow task started at ev.
func activation(r *run, ev *historypb.HistoryEvent, replaying bool, jobs []*bridgev1.WorkflowActivationJob) *bridgev1.WorkflowActivation {
	a := ev.GetWorkflowTaskStartedEventAttributes()
	act := &bridgev1.WorkflowActivation{
		RunId:                  r.id,
		Timestamp:              ev.GetEventTime(),
		IsReplaying:            replaying,
		HistoryLength:          ev.GetEventId(),
		HistorySizeBytes:       a.GetHistorySizeBytes(),
		ContinueAsNewSuggested: a.GetSuggestContinueAsNew(),
		Jobs:                   jobs,
		AvailableInternalFlags: flagList(r.langFlags),
		BuildId:                r.version.GetBuildId(),
		DeploymentName:         r.version.GetDeploymentName(),
	}
	act.TargetWorkerDeploymentVersionChanged = a.GetTargetWorkerDeploymentVersionChanged()
	for _, reason := range a.GetSuggestContinueAsNewReasons() {
		act.SuggestContinueAsNewReasons = append(act.SuggestContinueAsNewReasons, bridgev1.SuggestContinueAsNewReason(reason))
	}
	return act
}

// queryActivation is an activation that only answers queries: it reads the
// history as of the run's last workflow task, as the workflow saw it then
// (workflow.info()'s history length, size and build id).
func queryActivation(r *run, at *timestamppb.Timestamp, jobs []*bridgev1.WorkflowActivationJob) *bridgev1.WorkflowActivation {
	act := &bridgev1.WorkflowActivation{RunId: r.id, Jobs: jobs}
	if r.task != nil {
		act = activation(r, r.task, false, jobs)
	}
	act.Timestamp = at
	return act
}

// completedVersion is the deployment version of the worker that completed
// a workflow task, in whichever field its server recorded it.
func completedVersion(ev *historypb.HistoryEvent) *deploymentpb.WorkerDeploymentVersion {
	a := ev.GetWorkflowTaskCompletedEventAttributes()
	if v := a.GetDeploymentVersion(); v.GetBuildId() != "" {
		return v
	}
	if v := a.GetWorkerDeploymentVersion(); v != "" {
		// "deployment.build", as servers of 1.27 wrote it.
		if name, id, ok := strings.Cut(v, "."); ok {
			return &deploymentpb.WorkerDeploymentVersion{DeploymentName: name, BuildId: id}
		}
	}
	if d := a.GetDeployment(); d.GetBuildId() != "" {
		return &deploymentpb.WorkerDeploymentVersion{DeploymentName: d.GetSeriesName(), BuildId: d.GetBuildId()}
	}
	return &deploymentpb.WorkerDeploymentVersion{BuildId: a.GetWorkerVersion().GetBuildId()}
}

// activations sends an activation and, while its commands resolve things at
// once, the follow-up activations, until the workflow is blocked.
func (e *Engine) activations(ctx context.Context, ent *entry, act *bridgev1.WorkflowActivation) (*batch, error) {
	b := &batch{}
	if err := e.activationsInto(ctx, ent, act, b); err != nil {
		return nil, err
	}
	return b, nil
}

// activationsInto is activations adding to an existing batch.
func (e *Engine) activationsInto(ctx context.Context, ent *entry, act *bridgev1.WorkflowActivation, b *batch) error {
	for {
		c, err := e.activate(ctx, ent, act)
		if err != nil {
			return err
		}
		ent.run.taskActivations++
		switch s := c.GetStatus().(type) {
		case *bridgev1.WorkflowActivationCompletion_Failed:
			return &appFailure{s.Failed}
		case *bridgev1.WorkflowActivationCompletion_Successful:
			if err := ent.run.take(s.Successful.GetCommands(), act.GetIsReplaying(), b); err != nil {
				return err
			}
			b.langFlags = append(b.langFlags, s.Successful.GetUsedInternalFlags()...)
			if vb := s.Successful.GetVersioningBehavior(); vb != bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_UNSPECIFIED {
				b.behavior = vb
			}
		default:
			return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
				"workflow_completion for run %s has no status: set successful or failed", ent.run.id)
		}
		if len(b.now) == 0 {
			return nil
		}
		act = followUp(act, b.now)
		b.now = nil
	}
}

// followUp is an activation within the same workflow task as act.
func followUp(act *bridgev1.WorkflowActivation, jobs []*bridgev1.WorkflowActivationJob) *bridgev1.WorkflowActivation {
	return &bridgev1.WorkflowActivation{
		RunId: act.GetRunId(), Timestamp: act.GetTimestamp(), IsReplaying: act.GetIsReplaying(),
		HistoryLength: act.GetHistoryLength(), HistorySizeBytes: act.GetHistorySizeBytes(),
		ContinueAsNewSuggested: act.GetContinueAsNewSuggested(), SuggestContinueAsNewReasons: act.GetSuggestContinueAsNewReasons(),
		AvailableInternalFlags:               act.GetAvailableInternalFlags(),
		TargetWorkerDeploymentVersionChanged: act.GetTargetWorkerDeploymentVersionChanged(),
		BuildId:                              act.GetBuildId(),
		DeploymentName:                       act.GetDeploymentName(),
		Jobs:                                 jobs,
	}
}

// appFailure is an activation the app failed.
type appFailure struct {
	f *bridgev1.WorkflowActivationFailure
}

func (e *appFailure) Error() string {
	return "the app failed the activation: " + e.f.GetFailure().GetMessage()
}

// activate sends one activation to the run's app and waits for its
// completion, until the activation's deadline (see activationDeadline).
func (e *Engine) activate(ctx context.Context, ent *entry, act *bridgev1.WorkflowActivation) (*bridgev1.WorkflowActivationCompletion, error) {
	var deadline time.Time
	if !ent.taskStart.IsZero() {
		deadline = ent.taskStart.Add(activationDeadline(ent.run.taskTimeout))
	}
	return e.activateBy(ctx, ent, act, deadline)
}

// activateBy is activate with the deadline given; zero means none.
func (e *Engine) activateBy(ctx context.Context, ent *entry, act *bridgev1.WorkflowActivation, deadline time.Time) (*bridgev1.WorkflowActivationCompletion, error) {
	ss := ent.session
	if !ent.held {
		if err := e.opts.Bridge.ReserveOn(ctx, task.Workflow, ss); err != nil {
			if errors.Is(err, bridge.ErrSessionClosed) {
				return nil, errSessionLost
			}
			return nil, err
		}
	}
	ent.held = false

	var expired <-chan struct{}
	if !deadline.IsZero() {
		expired = e.timers.After(deadline)
	}
	w := &waiter{session: ss, ch: make(chan *bridgev1.WorkflowActivationCompletion, 1)}
	key := sessionRun{ss, act.GetRunId()}
	for {
		e.mu.Lock()
		old := e.waiting[key]
		if old == nil || !old.late && !old.evicting {
			e.waiting[key] = w
			e.mu.Unlock()
			break
		}
		// The app still holds an earlier activation of the run that ran
		// out of time, or its eviction: one activation per run at a time.
		e.mu.Unlock()
		select {
		case <-old.gone:
			continue
		case <-ss.Done():
		case <-ctx.Done():
		case <-expired:
		}
		ss.Release(task.Workflow)
		return nil, errSessionLost
	}
	w.sent = time.Now()
	ent.activated = true
	overdue := false
	defer func() {
		if overdue { // the waiter stays, holding the credit, until the app answers
			return
		}
		e.mu.Lock()
		if e.waiting[key] == w {
			delete(e.waiting, key)
		}
		e.mu.Unlock()
		ss.Release(task.Workflow)
	}()
	if err := ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_WorkflowActivation{WorkflowActivation: act}}); err != nil {
		return nil, errSessionLost
	}
	for {
		select {
		case c := <-w.ch:
			e.answered(ss, w)
			return c, nil
		case <-ss.Done():
			return nil, errSessionLost
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-expired:
		}
		if isEviction(act) || !e.alone(ss, ent.run.workflowType) {
			break // the deadline holds
		}
		// No other app could take the run, so moving it gains nothing: as
		// under sdk-core, which sets no deadline of its own, the app keeps
		// the activation and the server's task timeout decides. A slow
		// first activation (temporalio's sandbox importing a large module)
		// may still beat the server's timeout. A nil channel never fires.
		expired = nil
	}
	e.mu.Lock()
	if e.waiting[key] != w { // answered as the deadline passed
		e.mu.Unlock()
		e.answered(ss, w)
		return <-w.ch, nil
	}
	// The app is blamed only if it had a fair share of the time: a task
	// that waited for the run (held by a hung app) or for capacity may
	// reach a healthy app with little of its time left. Nor is it blamed
	// for an eviction it has not acknowledged: no task waits on one, and
	// temporalio holds a deadlocked run's eviction for as long as the
	// run's thread is stuck, while its other runs go on; the credit stays
	// taken until it answers, as sdk-core keeps the run's slot.
	held := time.Since(w.sent)
	w.late, w.blamed, overdue = true, held >= activationDeadline(ent.run.taskTimeout)/2 && !isEviction(act), true
	w.gone = make(chan struct{})
	e.mu.Unlock()
	// The run leaves the app now: its next task goes to another app, and
	// this one is told to drop it once it answers (see Complete).
	ent.overdue = true
	e.drop(ent)
	ent.run.stopLocals()
	err := &DeadlineError{RunID: ent.run.id, App: ss.Identity(), After: held, TaskTimeout: ent.run.taskTimeout}
	if isEviction(act) {
		return nil, err // evict logs it
	}
	if !w.blamed {
		e.log.Info("workflow task out of time before its app could answer; retrying it", "run_id", ent.run.id,
			"session", ss.ID(), "app", ss.Identity(), "held", held.Round(time.Millisecond), "workflow_task_timeout", ent.run.taskTimeout)
		return nil, err
	}
	e.log.Warn("app missed an activation deadline; moving the run to another app", "run_id", ent.run.id,
		"session", ss.ID(), "app", ss.Identity(), "held", held.Round(time.Millisecond), "workflow_task_timeout", ent.run.taskTimeout)
	e.opts.Bridge.MissedDeadline(ss, "activation of run "+ent.run.id)
	return nil, err
}

// alone says whether no app but the one of ss serves workflow type typ.
func (e *Engine) alone(ss *bridge.Session, typ string) bool {
	for _, o := range e.opts.Bridge.Sessions() {
		if o != ss && !o.ReplayOnly() && o.Serves(task.Workflow, typ) {
			return false
		}
	}
	return true
}

// isEviction says whether act is a run's eviction (RemoveFromCache, alone).
func isEviction(act *bridgev1.WorkflowActivation) bool {
	return len(act.GetJobs()) == 1 && act.GetJobs()[0].GetRemoveFromCache() != nil
}

// answered records an activation answered in time.
func (e *Engine) answered(ss *bridge.Session, w *waiter) {
	ss.AnsweredInTime()
	if e.opts.RoundTrip != nil {
		e.opts.RoundTrip(time.Since(w.sent))
	}
}

// DeadlineError is an activation its app did not answer by its deadline.
type DeadlineError struct {
	RunID, App  string
	After       time.Duration
	TaskTimeout time.Duration
}

func (e *DeadlineError) Error() string {
	return fmt.Sprintf("app %s did not answer the activation of run %s within its deadline, 80%% of the workflow task timeout %s after the task arrived (it held it %s); the run moves to another app",
		e.App, e.RunID, e.TaskTimeout, e.After.Round(time.Millisecond))
}

func (e *Engine) releaseHeld(ent *entry) {
	if ent.held {
		ent.held = false
		ent.session.Release(task.Workflow)
	}
}

// Complete hands an app's completion to the task waiting for it.
func (e *Engine) Complete(ss *bridge.Session, c *bridgev1.WorkflowActivationCompletion) {
	key := sessionRun{ss, c.GetRunId()}
	e.mu.Lock()
	w := e.waiting[key]
	delete(e.waiting, key)
	if w != nil && w.late {
		// Its credit carries the run's eviction, the app's next activation
		// of the run, sent now that it answered the last one.
		e.waiting[key] = &waiter{session: ss, evicting: true, sent: time.Now(), gone: make(chan struct{})}
	}
	if w != nil && w.gone != nil {
		close(w.gone)
	}
	e.mu.Unlock()
	switch {
	case w == nil:
		_ = ss.Send(bridge.UnknownTask(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{WorkflowCompletion: c}}))
	case w.late:
		refused := bridge.UnknownTask(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{WorkflowCompletion: c}})
		refused.GetCompletionError().Message = fmt.Sprintf(
			"the activation of run %q was answered %s after it was sent, past its deadline (80%% of the workflow task timeout): the task was failed and the run moved to another app; drop the run (its eviction follows)",
			c.GetRunId(), time.Since(w.sent).Round(time.Millisecond))
		_ = ss.Send(refused)
		if w.blamed {
			ss.AnsweredLate()
		}
		_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_WorkflowActivation{WorkflowActivation: evictionOf(c.GetRunId(),
			bridgev1.EvictionReason_EVICTION_REASON_FATAL, "the activation before this one was answered past its deadline; the run moved to another app")}})
	case w.evicting:
		ss.Release(task.Workflow)
	default:
		w.ch <- c
	}
}

// evictionOf is the activation that tells an app to drop a run.
func evictionOf(runID string, reason bridgev1.EvictionReason, msg string) *bridgev1.WorkflowActivation {
	return &bridgev1.WorkflowActivation{RunId: runID, Jobs: []*bridgev1.WorkflowActivationJob{{
		Variant: &bridgev1.WorkflowActivationJob_RemoveFromCache{RemoveFromCache: &bridgev1.RemoveFromCache{Message: msg, Reason: reason}}}}}
}

// SessionClosed forgets the runs a lost app held. Tasks in progress on it
// notice on their own and move to another app.
func (e *Engine) SessionClosed(ss *bridge.Session) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, ent := range e.cache {
		if ent.session == ss {
			delete(e.cache, id)
			e.lru.Remove(ent.elem)
		}
	}
	for key, w := range e.waiting {
		if key.ss == ss && (w.late || w.evicting) {
			delete(e.waiting, key)
			close(w.gone)
		}
	}
}

// evict removes the run from the cache and tells its app, which answers
// with an empty completion. The caller holds ent.mu.
func (e *Engine) evict(ctx context.Context, ent *entry, reason bridgev1.EvictionReason, msg string) {
	// The entry stays in the cache until the app has acknowledged, so a task
	// for the run arriving meanwhile waits on its lock instead of starting a
	// second stream of activations for the same run.
	defer e.drop(ent)
	ent.run.stopLocals()
	e.log.Debug("evicting run", "run_id", ent.run.id, "reason", reason.String(), "message", msg)
	if ent.overdue {
		return // the app is sent the eviction once it answers (see Complete)
	}
	select {
	case <-ent.session.Done():
		return
	default:
	}
	// An eviction is due within the same time as a task's activations,
	// counted from now: it may follow a task that used its own.
	var deadline time.Time
	if !ent.taskStart.IsZero() {
		deadline = time.Now().Add(activationDeadline(ent.run.taskTimeout))
	}
	if _, err := e.activateBy(ctx, ent, evictionOf(ent.run.id, reason, msg), deadline); err != nil && !errors.Is(err, errSessionLost) {
		e.log.Warn("eviction not acknowledged in time; the run's app credit stays taken until the app answers", "run_id", ent.run.id,
			"session", ent.session.ID(), "app", ent.session.Identity(), "err", err)
	}
}

// StickyGate is the capacity sticky polls are capped by: some while the cache
// holds a run, none otherwise, since only a cached run gets sticky tasks.
// Sticky polls claim no app capacity: their task goes to the app that holds
// the run, waiting for its credit, so they never starve the normal queue of
// the claims it needs for new runs.
func (e *Engine) StickyGate() slots.Capacity { return stickyGate{e} }

type stickyGate struct{ e *Engine }

func (g stickyGate) TryAcquire(task.Kind) bool { return g.e.Cached() > 0 }

func (g stickyGate) Acquire(ctx context.Context, k task.Kind) error {
	for {
		g.e.mu.Lock()
		ch, n := g.e.filled, len(g.e.cache)
		g.e.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (g stickyGate) Return(task.Kind) {}

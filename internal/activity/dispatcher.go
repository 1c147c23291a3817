// Package activity runs activity tasks through the bridge: it routes each
// task to an app that registered its type, keeps heartbeats within
// Temporal's throttle, enforces local deadlines, delivers cancellations and
// maps completions to the Respond* calls. It owns every activity from the
// moment a poll returns it until the server has been answered.
package activity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/deadline"
	"github.com/temporal-sidecar/sidecar/internal/gopool"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	deploymentpb "go.temporal.io/api/deployment/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Options configure a Dispatcher.
type Options struct {
	Namespace string
	TaskQueue string
	Identity  string
	Service   workflowservice.WorkflowServiceClient
	Bridge    *bridge.Server
	Slots     slots.Supplier // the supplier the pollers reserved from
	// Heartbeats go to the server at most once per throttle interval:
	// 0.8 x the heartbeat timeout, capped at MaxHeartbeatThrottle, or
	// DefaultHeartbeatThrottle when the activity has no heartbeat timeout.
	DefaultHeartbeatThrottle time.Duration
	MaxHeartbeatThrottle     time.Duration
	// RoundTrip, if set, is told how long each activity took the app.
	RoundTrip func(time.Duration)
	// Metrics, if set, receives sdk-core's activity metrics.
	Metrics *telemetry.WorkerMetrics
	// Deployment, if set, is this worker's deployment version, reported in
	// every response as Temporal's SDKs do.
	Deployment *deploymentpb.WorkerDeploymentOptions
	Logger     *slog.Logger
}

// Dispatcher tracks running activities by task token.
type Dispatcher struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	running map[string]*run
	idle    chan struct{} // closed while running is empty

	rpc  *deadline.Shared // bounds each Respond call by rpcTimeout, without a timer per call
	pool *gopool.Pool     // runs each task, on a goroutine whose stack grew for an earlier one
}

// New returns a Dispatcher.
func New(opts Options) *Dispatcher {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	idle := make(chan struct{})
	close(idle)
	return &Dispatcher{opts: opts, log: opts.Logger, running: map[string]*run{}, idle: idle,
		rpc: deadline.New(rpcTimeout, rpcTimeout/100), pool: gopool.New(10 * time.Second)}
}

// run is one activity attempt between its poll and the server's answer.
type run struct {
	token    []byte
	sent     time.Time // when the task went to the app
	start    *bridgev1.StartActivity
	session  *bridge.Session
	permit   *slots.Permit
	deadline *time.Timer
	hb       *heartbeats
	// answered takes the app's result to the goroutine that delivered the
	// task, which answers the server; nil when another path (lost) did.
	// Only the path that took the run sends, so it never blocks.
	answered chan *bridgev1.ActivityExecutionResult

	mu        sync.Mutex
	cancelled bool // a cancel was sent to the app: only then may it answer cancelled
	timedOut  bool // the local deadline passed: the server times the attempt out itself
	done      bool // answered; late timers do nothing
}

// Deliver takes a polled activity task: on a goroutine of the dispatcher's,
// it hands the task to an app and answers the server with the app's result.
// It returns at once. The permit is released when the server has been
// answered.
func (d *Dispatcher) Deliver(ctx context.Context, t *workflowservice.PollActivityTaskQueueResponse, permit *slots.Permit) {
	d.pool.Go(func() { d.deliver(ctx, t, permit, nil) })
}

// assign ends the task's claim of app capacity with a credit on the app to
// (an eager task's), else on any app serving typ, waiting for one no later
// than dl (unless zero).
func (d *Dispatcher) assign(ctx context.Context, dl time.Time, typ string, to *bridge.Session) (*bridge.Session, error) {
	if to != nil {
		if !dl.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl)
			defer cancel()
		}
		err := d.opts.Bridge.AssignTo(ctx, task.Activity, to)
		if !errors.Is(err, bridge.ErrSessionClosed) {
			return to, err
		}
		// The app left: claim again, for any app serving the type.
		if err := d.opts.Bridge.AcquireForTask(ctx, task.Activity); err != nil {
			return nil, err
		}
	}
	return d.opts.Bridge.AssignBy(ctx, dl, task.Activity, typ)
}

// DeliverEager is Deliver for a task the server handed out eagerly, in its
// answer to a workflow task completion: it runs on the app that ran that
// workflow task (ss), as sdk-core runs an eager activity in the worker that
// scheduled it, or on any app serving its type if that one left.
func (d *Dispatcher) DeliverEager(ctx context.Context, t *workflowservice.PollActivityTaskQueueResponse, permit *slots.Permit, ss *bridge.Session) {
	d.pool.Go(func() { d.deliver(ctx, t, permit, ss) })
}

// deliver runs t on an app; for an eager task, on the app to, if still there.
func (d *Dispatcher) deliver(ctx context.Context, t *workflowservice.PollActivityTaskQueueResponse, permit *slots.Permit, to *bridge.Session) {
	eager := to != nil
	start := startActivity(t, d.opts.Namespace, d.opts.TaskQueue)
	d.opts.Metrics.ActivityReceived(start.GetActivityType(), start.GetWorkflowType(), eager)
	// If every app left after the poll was claimed, wait for one to come
	// back rather than burn the attempt, but not past the attempt's deadline,
	// when the server retries it anyway.
	dl, hasDeadline := localDeadline(start)
	ss, err := d.assign(ctx, dl, start.GetActivityType(), to)
	if err != nil {
		switch {
		case errors.Is(err, bridge.ErrNotServed):
			d.respondFailed(t.GetTaskToken(), notRegistered(start.GetActivityType()), nil)
		case errors.Is(err, bridge.ErrShuttingDown):
			d.respondFailed(t.GetTaskToken(), workerLost("the sidecar is shutting down"), nil)
		case errors.Is(err, bridge.ErrNoApp):
			d.respondFailed(t.GetTaskToken(), workerLost("every app serving this task queue left the sidecar"), nil)
		default:
			d.log.Warn("no app took the activity before its deadline; the server will retry it",
				"activity_id", start.GetActivityId(), "activity_type", start.GetActivityType())
		}
		d.opts.Slots.Release(permit)
		return
	}
	r := &run{token: t.GetTaskToken(), start: start, session: ss, permit: permit, sent: time.Now(),
		answered: make(chan *bridgev1.ActivityExecutionResult, 1)}
	r.hb = newHeartbeats(d, r, throttle(start.GetHeartbeatTimeout().AsDuration(), d.opts.DefaultHeartbeatThrottle, d.opts.MaxHeartbeatThrottle))
	d.track(r)
	if hasDeadline {
		r.deadline = time.AfterFunc(time.Until(dl), func() {
			r.mu.Lock()
			r.timedOut = true
			r.mu.Unlock()
			d.cancel(r, apiconv.CancelActivity(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_TIMED_OUT, "the activity passed its start-to-close or schedule-to-close deadline"))
		})
	}
	err = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_ActivityTask{ActivityTask: &bridgev1.ActivityTask{
		TaskToken: r.token, Variant: &bridgev1.ActivityTask_Start{Start: start}}}})
	if err != nil {
		d.lost(r)
		return
	}
	// The Respond call runs here, not on a goroutine of its own per task
	// (off the session's reader, so one slow call does not hold up the
	// app's other completions): this one's stack has grown already.
	if res := <-r.answered; res != nil {
		d.answer(r, res)
	}
}

func (d *Dispatcher) track(r *run) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.running) == 0 {
		d.idle = make(chan struct{})
	}
	d.running[string(r.token)] = r
}

// take removes the run so exactly one path answers the server.
func (d *Dispatcher) take(token []byte, ss *bridge.Session) *run {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.running[string(token)]
	if r == nil || (ss != nil && r.session != ss) {
		return nil
	}
	delete(d.running, string(token))
	if len(d.running) == 0 {
		close(d.idle)
	}
	r.mu.Lock()
	r.done = true
	r.mu.Unlock()
	if r.deadline != nil {
		r.deadline.Stop()
	}
	r.hb.stop()
	return r
}

func (d *Dispatcher) lookup(token []byte, ss *bridge.Session) *run {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.running[string(token)]
	if r == nil || r.session != ss {
		return nil
	}
	return r
}

// finish releases what the run held.
func (d *Dispatcher) finish(r *run) {
	r.session.Release(task.Activity)
	d.opts.Slots.Release(r.permit)
}

// Complete handles an app's activity completion.
func (d *Dispatcher) Complete(ss *bridge.Session, c *bridgev1.ActivityTaskCompletion) {
	if c.GetResult().GetStatus() == nil {
		sendError(ss, c.GetTaskToken(), bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_MALFORMED,
			"activity_completion.result has no status: set completed, failed, cancelled or will_complete_async; the task is still running")
		return
	}
	r := d.take(c.GetTaskToken(), ss)
	if r == nil {
		_ = ss.Send(bridge.UnknownTask(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{ActivityCompletion: c}}))
		return
	}
	took := time.Since(r.sent)
	if d.opts.RoundTrip != nil {
		d.opts.RoundTrip(took)
	}
	d.record(r, c.GetResult(), took)
	r.answered <- c.GetResult() // to deliver, which answers the server
}

// answer tells the server the app's result, and releases what the run held.
func (d *Dispatcher) answer(r *run, res *bridgev1.ActivityExecutionResult) {
	defer d.finish(r)
	if err := d.respond(r, res); err != nil {
		d.log.Warn("server refused activity completion", "activity_id", r.start.GetActivityId(), "activity_type", r.start.GetActivityType(), "err", err)
		sendError(r.session, r.token, bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_SERVER_REJECTED,
			fmt.Sprintf("the server refused the completion of activity %q: %v", r.start.GetActivityId(), err))
	}
}

// record gives sdk-core's activity metrics an app's answer: a failure
// unless benign, and for a success the time since the activity was
// scheduled.
func (d *Dispatcher) record(r *run, res *bridgev1.ActivityExecutionResult, took time.Duration) {
	if d.opts.Metrics == nil {
		return
	}
	failed := false
	var succeededAfter time.Duration
	switch s := res.GetStatus().(type) {
	case *bridgev1.ActivityExecutionResult_Completed:
		if st := r.start.GetScheduledTime(); st != nil {
			succeededAfter = max(time.Since(st.AsTime()), 1)
		}
	case *bridgev1.ActivityExecutionResult_Failed:
		failed = s.Failed.GetFailure().GetApplicationFailureInfo().GetCategory() != bridgev1.ApplicationErrorCategory_APPLICATION_ERROR_CATEGORY_BENIGN
	}
	d.opts.Metrics.ActivityCompleted(r.start.GetActivityType(), r.start.GetWorkflowType(), took, failed, succeededAfter)
}

func (d *Dispatcher) respond(r *run, res *bridgev1.ActivityExecutionResult) error {
	r.mu.Lock()
	late := r.timedOut
	r.mu.Unlock()
	if late {
		// The server has timed the attempt out (and may have retried it);
		// a result now would only be refused.
		d.log.Debug("dropping the result of an activity past its deadline", "activity_id", r.start.GetActivityId())
		return nil
	}
	ctx := d.rpc.Context()
	svc := d.opts.Service
	details := r.hb.latestDetails()
	switch s := res.GetStatus().(type) {
	case *bridgev1.ActivityExecutionResult_Completed:
		var result *bridgev1.Payload = s.Completed.GetResult()
		req := &workflowservice.RespondActivityTaskCompletedRequest{Namespace: d.opts.Namespace, TaskToken: r.token, Identity: d.opts.Identity,
			DeploymentOptions: d.opts.Deployment}
		if result != nil {
			req.Result = apiconv.Payloads([]*bridgev1.Payload{result})
		}
		_, err := svc.RespondActivityTaskCompleted(ctx, req)
		return err
	case *bridgev1.ActivityExecutionResult_Failed:
		if given := s.Failed.GetLastHeartbeatDetails(); len(given) > 0 {
			details = given
		}
		return d.respondFailedCtx(ctx, r.token, applicationFailure(apiconv.Failure(s.Failed.GetFailure())), details)
	case *bridgev1.ActivityExecutionResult_Cancelled:
		r.mu.Lock()
		asked := r.cancelled
		r.mu.Unlock()
		if !asked && r.session.Draining() {
			// An app shutting down cancels what its graceful timeout did not
			// let finish, as sdk-core does; like sdk-core, report a retryable
			// failure so the next attempt starts at once rather than after
			// the attempt times out.
			return d.respondFailedCtx(ctx, r.token, workerShutdownFailure, details)
		}
		if !asked {
			// Temporal only records a cancellation it asked for; anything
			// else is the activity failing. The app's cancellation is not
			// kept as the cause: SDKs read a cancelled cause as cancellation.
			c := s.Cancelled.GetFailure()
			f := &failurepb.Failure{
				Message:    "the activity reported cancelled, but no cancellation was requested: " + c.GetMessage(),
				Source:     c.GetSource(),
				StackTrace: c.GetStackTrace(),
				FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
					Type: "CancelledWithoutRequest", Details: apiconv.Payloads(c.GetCanceledFailureInfo().GetDetails().GetPayloads())}},
			}
			return d.respondFailedCtx(ctx, r.token, f, details)
		}
		if details != nil {
			// Flush the last progress so a retry after the cancel resumes from it.
			if _, err := svc.RecordActivityTaskHeartbeat(ctx, &workflowservice.RecordActivityTaskHeartbeatRequest{
				Namespace: d.opts.Namespace, TaskToken: r.token, Identity: d.opts.Identity, Details: apiconv.Payloads(details)}); err != nil {
				d.log.Debug("flushing heartbeat before cancel failed", "err", err)
			}
		}
		_, err := svc.RespondActivityTaskCanceled(ctx, &workflowservice.RespondActivityTaskCanceledRequest{
			Namespace: d.opts.Namespace, TaskToken: r.token, Identity: d.opts.Identity, DeploymentOptions: d.opts.Deployment,
			Details: apiconv.Payloads(s.Cancelled.GetFailure().GetCanceledFailureInfo().GetDetails().GetPayloads())})
		return err
	case *bridgev1.ActivityExecutionResult_WillCompleteAsync:
		return nil // the app completes it later by task token; the slot is free now
	}
	return nil
}

// workerShutdownFailure fails an attempt its app gave up on while shutting
// down, in sdk-core's words, so that SDKs and users see what they see natively.
var workerShutdownFailure = &failurepb.Failure{
	Message: "Worker is shutting down and this activity did not complete in time",
	FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
		Type: "WorkerShutdown"}},
}

func (d *Dispatcher) respondFailed(token []byte, f *failurepb.Failure, details []*bridgev1.Payload) {
	if err := d.respondFailedCtx(d.rpc.Context(), token, f, details); err != nil {
		d.log.Warn("failing activity task failed", "err", err)
	}
}

func (d *Dispatcher) respondFailedCtx(ctx context.Context, token []byte, f *failurepb.Failure, details []*bridgev1.Payload) error {
	_, err := d.opts.Service.RespondActivityTaskFailed(ctx, &workflowservice.RespondActivityTaskFailedRequest{
		Namespace: d.opts.Namespace, TaskToken: token, Identity: d.opts.Identity, Failure: f, DeploymentOptions: d.opts.Deployment,
		LastHeartbeatDetails: apiconv.Payloads(details)})
	return err
}

// Heartbeat handles an app's heartbeat.
func (d *Dispatcher) Heartbeat(ss *bridge.Session, h *bridgev1.ActivityHeartbeat) {
	r := d.lookup(h.GetTaskToken(), ss)
	if r == nil {
		_ = ss.Send(bridge.UnknownTask(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityHeartbeat{ActivityHeartbeat: h}}))
		return
	}
	if r.start.GetIsLocal() {
		return // local activities have no server-side heartbeat
	}
	r.hb.record(h.GetDetails())
}

// cancel asks the app to stop the activity, once.
func (d *Dispatcher) cancel(r *run, c *bridgev1.CancelActivity) {
	r.mu.Lock()
	if r.cancelled || r.done {
		r.mu.Unlock()
		return
	}
	r.cancelled = true
	r.mu.Unlock()
	d.log.Info("cancelling activity", "activity_id", r.start.GetActivityId(), "reason", c.GetReason().String())
	_ = r.session.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_ActivityTask{ActivityTask: &bridgev1.ActivityTask{
		TaskToken: r.token, Variant: &bridgev1.ActivityTask_Cancel{Cancel: c}}}})
}

// SessionClosed fails every activity the session was running with a
// retryable error, so the server retries them at once instead of waiting for
// a timeout.
func (d *Dispatcher) SessionClosed(ss *bridge.Session) {
	d.mu.Lock()
	var lost []*run
	for _, r := range d.running {
		if r.session == ss {
			lost = append(lost, r)
		}
	}
	d.mu.Unlock()
	for _, r := range lost {
		d.lost(r)
	}
}

func (d *Dispatcher) lost(r *run) {
	if r = d.take(r.token, r.session); r == nil {
		return // answered meanwhile
	}
	r.answered <- nil // deliver has nothing to answer
	d.respondFailed(r.token, workerLost(fmt.Sprintf("app %s disconnected while running the activity", r.session.Identity())), r.hb.latestDetails())
	d.finish(r)
}

// Running is the number of activities between poll and answer.
func (d *Dispatcher) Running() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.running)
}

// Drain waits until every running activity has been answered. When ctx ends
// first, the remaining activities are cancelled with reason WORKER_SHUTDOWN and
// failed as "worker process lost", so the server retries them elsewhere at once.
func (d *Dispatcher) Drain(ctx context.Context) error {
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
	}
	d.mu.Lock()
	var left []*run
	for _, r := range d.running {
		left = append(left, r)
	}
	d.mu.Unlock()
	if len(left) == 0 { // idle as ctx ended: select picked either
		return nil
	}
	for _, r := range left {
		d.cancel(r, apiconv.CancelActivity(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN, "the sidecar is shutting down and the graceful timeout passed"))
		d.lost(r)
	}
	return fmt.Errorf("graceful timeout passed with %d activities running; they were failed for retry", len(left))
}

func sendError(ss *bridge.Session, token []byte, kind bridgev1.CompletionErrorKind, msg string) {
	_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CompletionError{CompletionError: &bridgev1.CompletionError{
		Task: &bridgev1.CompletionError_TaskToken{TaskToken: token}, Kind: kind, Message: msg}}})
}

// applicationFailure shapes an app's failure the way the server requires an
// activity failure to be: an application failure. One of another kind keeps
// its meaning as the cause.
func applicationFailure(f *failurepb.Failure) *failurepb.Failure {
	switch {
	case f == nil:
		return &failurepb.Failure{Message: "the activity failed without saying why", Source: "TemporalSidecar",
			FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}}
	case f.GetApplicationFailureInfo() != nil:
		return f
	case f.GetFailureInfo() == nil:
		f.FailureInfo = &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}
		return f
	default:
		return &failurepb.Failure{Message: f.GetMessage(), Source: f.GetSource(), StackTrace: f.GetStackTrace(), Cause: f,
			FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}}
	}
}

// rpcTimeout bounds one Respond or heartbeat call.
const rpcTimeout = 10 * time.Second

// notRegistered is the retryable failure Temporal's SDKs report for an
// activity type no worker process registered.
func notRegistered(activityType string) *failurepb.Failure {
	return &failurepb.Failure{
		Message: fmt.Sprintf("activity type %q is not registered by any app connected to this sidecar", activityType),
		Source:  "TemporalSidecar",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: "NotFoundError"}},
	}
}

// workerLost is the retryable failure for an activity whose app went away.
func workerLost(why string) *failurepb.Failure {
	return &failurepb.Failure{
		Message: "worker process lost: " + why,
		Source:  "TemporalSidecar",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: "WorkerProcessLost"}},
	}
}

// isGone reports whether a heartbeat error means the server no longer knows
// the activity.
func isGone(err error) bool {
	return status.Code(err) == codes.NotFound
}

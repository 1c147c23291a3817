package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	querypb "go.temporal.io/api/query/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// newStickyAttributes is what every task's completion asks of the sticky
// queue; nil without one.
func (e *Engine) newStickyAttributes() *taskqueuepb.StickyExecutionAttributes {
	if e.opts.StickyQueue == "" {
		return nil
	}
	return &taskqueuepb.StickyExecutionAttributes{
		WorkerTaskQueue:        &taskqueuepb.TaskQueue{Name: e.opts.StickyQueue, Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: e.opts.TaskQueue},
		ScheduleToStartTimeout: durationpb.New(e.opts.StickyScheduleToStartTimeout),
	}
}

// respond completes the workflow task with the app's commands and returns the
// task the server handed back, if any.
// With heartbeat, local activities are still running: the server is asked
// for a new task at once, in which waiting for them goes on.
func (e *Engine) respond(ctx context.Context, ent *entry, t *workflowservice.PollWorkflowTaskQueueResponse, b *batch, heartbeat bool) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	req := &workflowservice.RespondWorkflowTaskCompletedRequest{
		Namespace:                  e.opts.Namespace,
		TaskToken:                  t.GetTaskToken(),
		Commands:                   b.out,
		Identity:                   e.opts.Identity,
		ReturnNewWorkflowTask:      true,
		ForceCreateNewWorkflowTask: heartbeat,
		QueryResults:               queryResults(b.answers),
		Messages:                   b.messages,
		WorkerInstanceKey:          e.opts.InstanceKey,
		DeploymentOptions:          e.opts.Deployment,
		WorkerVersionStamp:         e.versionStamp(),
		VersioningBehavior:         e.versioningBehavior(ent.session, t.GetWorkflowType().GetName(), b.behavior),
	}
	core, lang := ent.run.newCoreFlags(b.out), ent.run.newLangFlags(b.langFlags)
	if len(core)+len(lang) > 0 {
		req.SdkMetadata = &sdkpb.WorkflowTaskCompletedMetadata{CoreUsedFlags: core, LangUsedFlags: lang}
	}
	req.StickyAttributes = e.stickyAttributes
	permits := e.requestEager(ent.session, b.out)
	resp, err := e.opts.Service.RespondWorkflowTaskCompleted(ctx, req)
	e.runEager(ctx, ent.session, resp.GetActivityTasks(), permits)
	if err != nil {
		// The task timed out, the run was closed meanwhile, or the server
		// found a command invalid: what the app holds may be ahead of history.
		e.tellApp(ent, bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_SERVER_REJECTED,
			"the server refused the workflow task completion: "+err.Error())
		e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_TASK_NOT_FOUND, "the server refused the workflow task completion: "+err.Error())
		return nil, err
	}
	e.recordCompleted(ent, b.out)
	if reset := resp.GetResetHistoryEventId(); reset > 0 {
		// The server dropped this speculative task (an update was rejected
		// and nothing else happened): forget its two task events, so the
		// next task continues the cached run.
		ent.run.lastEventID = t.GetStartedEventId() - 2
	}
	switch {
	case ent.run.closed:
		e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_COMPLETED, "the workflow closed")
	case e.shared.Size() == 0:
		e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_CACHE_FULL, "sticky execution is off (max cached workflows is 0)")
	case e.shared.over():
		go e.shared.shrink(context.WithoutCancel(ctx))
	}
	return resp.GetWorkflowTask(), nil
}

func queryResults(answers []*bridgev1.QueryResult) map[string]*querypb.WorkflowQueryResult {
	if len(answers) == 0 {
		return nil
	}
	out := make(map[string]*querypb.WorkflowQueryResult, len(answers))
	for _, a := range answers {
		out[a.GetQueryId()] = queryResult(a)
	}
	return out
}

func queryResult(a *bridgev1.QueryResult) *querypb.WorkflowQueryResult {
	if f := a.GetFailed(); f != nil {
		return &querypb.WorkflowQueryResult{ResultType: enumspb.QUERY_RESULT_TYPE_FAILED, ErrorMessage: f.GetMessage(), Failure: apiconv.Failure(f)}
	}
	return &querypb.WorkflowQueryResult{ResultType: enumspb.QUERY_RESULT_TYPE_ANSWERED,
		Answer: apiconv.Payloads([]*bridgev1.Payload{a.GetSucceeded()})}
}

// queries asks the app the queries that came with the task, once the
// workflow has caught up, and adds the answers to b.
func (e *Engine) queries(ctx context.Context, ent *entry, t *workflowservice.PollWorkflowTaskQueueResponse, b *batch) error {
	var jobs []*bridgev1.WorkflowActivationJob
	for id, q := range t.GetQueries() {
		jobs = append(jobs, queryJob(id, q))
	}
	qb, err := e.activations(ctx, ent, queryActivation(ent.run, t.GetStartedTime(), jobs))
	if err != nil {
		return err
	}
	if len(qb.out) > 0 {
		return malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
			"an activation with only queries produced %d commands; answering a query must not change the workflow", len(qb.out))
	}
	b.answers = append(b.answers, qb.answers...)
	return nil
}

func queryJob(id string, q *querypb.WorkflowQuery) *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_QueryWorkflow{QueryWorkflow: &bridgev1.QueryWorkflow{
		QueryId: id, QueryType: q.GetQueryType(), Arguments: apiconv.BridgePayloads(q.GetQueryArgs()),
		Headers: apiconv.BridgePayloadMap(q.GetHeader().GetFields())}}}
}

// taskFailed reports a workflow task that could not be completed: to the
// app (why), to the server (with the cause), and evicts the run. The server
// hears first, as sdk-core reports a failed task before it evicts: an app
// may be slow to acknowledge the eviction, or never do (temporalio keeps a
// deadlocked run's eviction until its thread returns), and the task must
// not time out meanwhile.
func (e *Engine) taskFailed(ctx context.Context, ent *entry, t *workflowservice.PollWorkflowTaskQueueResponse, err error) error {
	var (
		nd  *NondeterminismError
		bad *MalformedError
		app *appFailure
		dl  *DeadlineError
	)
	switch {
	case errors.As(err, &dl):
		// As Temporal's SDKs fail a task whose workflow code deadlocked:
		// the server retries it at once, and the run is no longer on the
		// hung app, so the retry goes to another.
		e.failTask(ctx, t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE, dl.Error())
	case errors.As(err, &nd):
		e.tellApp(ent, bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_NONDETERMINISM, nd.Error())
		f := &failurepb.Failure{Message: nd.Error(), Source: "TemporalSidecar",
			FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}}
		e.failNondeterministic(ctx, ent.session, t, f)
		e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_NONDETERMINISM, nd.Error())
	case errors.As(err, &bad):
		e.tellApp(ent, bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_MALFORMED, bad.Error())
		e.failTask(ctx, t, bad.Cause, bad.Error())
		e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_FATAL, bad.Error())
	case errors.As(err, &app):
		switch cause := enumspb.WorkflowTaskFailedCause(app.f.GetCause()); cause {
		case enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR:
			e.failNondeterministic(ctx, ent.session, t, apiconv.Failure(app.f.GetFailure()))
		case enumspb.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED:
			cause = enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE
			fallthrough
		default:
			e.failTaskWith(ctx, t, cause, apiconv.Failure(app.f.GetFailure()))
		}
		e.evict(ctx, ent, bridgev1.EvictionReason_EVICTION_REASON_WORKFLOW_EXECUTION_ERROR, app.Error())
	case errors.Is(err, errSessionLost):
		e.drop(ent)
		return err
	default:
		e.evict(context.WithoutCancel(ctx), ent, bridgev1.EvictionReason_EVICTION_REASON_FATAL, err.Error())
		return err
	}
	return nil
}

// failNondeterministic fails a task whose run went nondeterministic, or, on
// its first attempt and when the app registered that nondeterminism fails
// the workflow (for its type or all), the workflow execution itself with the
// same failure, as sdk-core does for workflow_failure_errors.
func (e *Engine) failNondeterministic(ctx context.Context, ss *bridge.Session, t *workflowservice.PollWorkflowTaskQueueResponse, f *failurepb.Failure) {
	if t.GetAttempt() > 1 || !ss.NondeterminismFailsWorkflow(t.GetWorkflowType().GetName()) {
		e.failTaskWith(ctx, t, enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR, f)
		return
	}
	e.log.Warn("failing the workflow for nondeterminism, as its app registered", "run_id", t.GetWorkflowExecution().GetRunId(), "message", f.GetMessage())
	_, err := e.opts.Service.RespondWorkflowTaskCompleted(context.WithoutCancel(ctx), &workflowservice.RespondWorkflowTaskCompletedRequest{
		Namespace: e.opts.Namespace, TaskToken: t.GetTaskToken(), Identity: e.opts.Identity,
		Commands: []*commandpb.Command{{CommandType: enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
			Attributes: &commandpb.Command_FailWorkflowExecutionCommandAttributes{
				FailWorkflowExecutionCommandAttributes: &commandpb.FailWorkflowExecutionCommandAttributes{Failure: f}}}},
		WorkerInstanceKey: e.opts.InstanceKey, DeploymentOptions: e.opts.Deployment, WorkerVersionStamp: e.versionStamp()})
	if err != nil {
		e.log.Warn("failing the workflow for nondeterminism failed", "run_id", t.GetWorkflowExecution().GetRunId(), "err", err)
		return
	}
	e.opts.Metrics.WorkflowClosed(t.GetWorkflowType().GetName(), telemetry.WorkflowFailed, 0)
}

// recordCompleted records a completed workflow task in the metrics: how long
// it took from its poll, and the outcome of a run it closed, as sdk-core
// counts them (a failure the workflow marked benign is not counted).
func (e *Engine) recordCompleted(ent *entry, cmds []*commandpb.Command) {
	m := e.opts.Metrics
	if m == nil {
		return
	}
	r := ent.run
	m.WorkflowTaskExecuted(r.workflowType, time.Since(ent.taskStart))
	for _, c := range cmds {
		var outcome string
		switch c.GetCommandType() {
		case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
			outcome = telemetry.WorkflowCompleted
		case enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
			if c.GetFailWorkflowExecutionCommandAttributes().GetFailure().GetApplicationFailureInfo().GetCategory() ==
				enumspb.APPLICATION_ERROR_CATEGORY_BENIGN {
				return
			}
			outcome = telemetry.WorkflowFailed
		case enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
			outcome = telemetry.WorkflowCanceled
		case enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
			outcome = telemetry.WorkflowContinueAsNew
		default:
			continue
		}
		var ran time.Duration
		if !r.started.IsZero() {
			ran = time.Since(r.started)
		}
		m.WorkflowClosed(r.workflowType, outcome, ran)
		return
	}
}

// failureReason is a workflow task failure's cause as sdk-core labels it.
func failureReason(cause enumspb.WorkflowTaskFailedCause) string {
	switch cause {
	case enumspb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR:
		return telemetry.ReasonNondeterminism
	case enumspb.WORKFLOW_TASK_FAILED_CAUSE_GRPC_MESSAGE_TOO_LARGE:
		return telemetry.ReasonMessageTooLarge
	}
	return telemetry.ReasonWorkflow
}

func (e *Engine) tellApp(ent *entry, kind bridgev1.CompletionErrorKind, msg string) {
	_ = ent.session.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CompletionError{CompletionError: &bridgev1.CompletionError{
		Task: &bridgev1.CompletionError_RunId{RunId: ent.run.id}, Kind: kind, Message: msg}}})
}

func (e *Engine) failTask(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, cause enumspb.WorkflowTaskFailedCause, msg string) {
	e.failTaskWith(ctx, t, cause, &failurepb.Failure{Message: msg, Source: "TemporalSidecar",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}})
}

// handBack fails a task no app here can run, whatever its attempt, so the
// server schedules it again at once (off this worker's sticky queue, which
// a failure clears) instead of after its timeout.
func (e *Engine) handBack(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, why string) {
	e.log.Info("handing a workflow task back to the server", "run_id", t.GetWorkflowExecution().GetRunId(), "attempt", t.GetAttempt(), "reason", why)
	_, err := e.opts.Service.RespondWorkflowTaskFailed(context.WithoutCancel(ctx), &workflowservice.RespondWorkflowTaskFailedRequest{
		Namespace: e.opts.Namespace, TaskToken: t.GetTaskToken(), Cause: enumspb.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
		Failure: &failurepb.Failure{Message: why, Source: "TemporalSidecar",
			FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}},
		Identity: e.opts.Identity, DeploymentOptions: e.opts.Deployment, WorkerVersion: e.versionStamp()})
	if err != nil {
		e.log.Warn("RespondWorkflowTaskFailed failed", "err", err)
	}
}

// failTaskWith fails the workflow task on its first attempt only, as
// Temporal's SDKs do: later attempts would only repeat the same failure in
// history; they time out instead and are retried.
func (e *Engine) failTaskWith(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, cause enumspb.WorkflowTaskFailedCause, f *failurepb.Failure) {
	e.log.Warn("workflow task failed", "run_id", t.GetWorkflowExecution().GetRunId(), "attempt", t.GetAttempt(),
		"cause", cause.String(), "message", f.GetMessage())
	e.opts.Metrics.WorkflowTaskFailed(t.GetWorkflowType().GetName(), failureReason(cause))
	if t.GetAttempt() > 1 {
		return
	}
	_, err := e.opts.Service.RespondWorkflowTaskFailed(context.WithoutCancel(ctx), &workflowservice.RespondWorkflowTaskFailedRequest{
		Namespace: e.opts.Namespace, TaskToken: t.GetTaskToken(), Cause: cause, Failure: f, Identity: e.opts.Identity,
		DeploymentOptions: e.opts.Deployment, WorkerVersion: e.versionStamp()})
	if err != nil {
		e.log.Warn("RespondWorkflowTaskFailed failed", "err", err)
	}
}

// legacyQuery answers a query task. A run that is not cached is replayed
// into an app only to answer it, then evicted, so the cache is unchanged.
func (e *Engine) legacyQuery(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, received time.Time, claimed *bool) {
	answer, err := e.query(ctx, t, received, claimed)
	req := &workflowservice.RespondQueryTaskCompletedRequest{Namespace: e.opts.Namespace, TaskToken: t.GetTaskToken()}
	var app *appFailure
	switch {
	case errors.As(err, &app):
		// As sdk-core answers a legacy query whose activation failed: with
		// the app's failure as it is, and the cause the app gave.
		f := app.f.GetFailure()
		if f == nil {
			f = &bridgev1.Failure{}
		}
		r := queryResult(&bridgev1.QueryResult{Variant: &bridgev1.QueryResult_Failed{Failed: f}})
		req.CompletedType, req.ErrorMessage, req.Failure = r.GetResultType(), r.GetErrorMessage(), r.GetFailure()
		req.Cause = enumspb.WorkflowTaskFailedCause(app.f.GetCause())
	case err != nil:
		req.CompletedType = enumspb.QUERY_RESULT_TYPE_FAILED
		req.ErrorMessage = err.Error()
		req.Failure = &failurepb.Failure{Message: err.Error(), Source: "TemporalSidecar"}
	default:
		r := queryResult(answer)
		req.CompletedType, req.QueryResult, req.ErrorMessage, req.Failure = r.GetResultType(), r.GetAnswer(), r.GetErrorMessage(), r.GetFailure()
	}
	if _, err := e.opts.Service.RespondQueryTaskCompleted(context.WithoutCancel(ctx), req); err != nil {
		e.log.Warn("RespondQueryTaskCompleted failed", "run_id", t.GetWorkflowExecution().GetRunId(), "err", err)
	}
}

const legacyQueryID = "legacy_query"

func (e *Engine) query(ctx context.Context, t *workflowservice.PollWorkflowTaskQueueResponse, received time.Time, claimed *bool) (*bridgev1.QueryResult, error) {
	ent, err := e.acquire(ctx, t, claimed)
	if err != nil {
		return nil, err
	}
	defer ent.mu.Unlock()
	defer e.releaseHeld(ent)
	// A query task has no timeout of its own; its client waits about as
	// long as a workflow task's, so its activations are due as a task's.
	ent.taskStart = received
	if ent.run.lastEventID == 0 {
		// Not cached: replay only to answer, then evict so the cache is as
		// it was. The run sits in the cache meanwhile, so a workflow task
		// for it waits rather than racing the replay.
		defer e.evict(context.WithoutCancel(ctx), ent, bridgev1.EvictionReason_EVICTION_REASON_QUERY_ONLY, "replayed only to answer a query")
		events, err := e.history(ctx, t, 1)
		if err == nil {
			_, err = e.replay(ctx, ent, events, -1, nil)
		}
		if err != nil {
			return nil, err
		}
	}
	b, err := e.activations(ctx, ent, queryActivation(ent.run, timestamppb.Now(),
		[]*bridgev1.WorkflowActivationJob{queryJob(legacyQueryID, t.GetQuery())}))
	if err != nil {
		return nil, err
	}
	for _, a := range b.answers {
		if a.GetQueryId() == legacyQueryID {
			return a, nil
		}
	}
	return nil, fmt.Errorf("the app answered the query activation without a respond_to_query for query_id %q", legacyQueryID)
}

// maxEager bounds the activities requested eagerly per workflow task, as
// Temporal's SDKs do, so one workflow cannot take every activity slot.
const maxEager = 3

// requestEager marks activities for eager execution when they run on this
// worker's queue, the app that ran the workflow task (ss) serves their type
// and has room for them, and a slot is free for them now: as in sdk-core, an
// eager activity runs in the worker that scheduled it.
func (e *Engine) requestEager(ss *bridge.Session, cmds []*commandpb.Command) []*slots.Permit {
	var permits []*slots.Permit
	for _, c := range cmds {
		a := c.GetScheduleActivityTaskCommandAttributes()
		if a == nil || !a.GetRequestEagerExecution() { // not an activity, or the app opted out in take
			continue
		}
		ok := e.opts.Eager != nil && a.GetTaskQueue().GetName() == e.opts.TaskQueue && len(permits) < maxEager &&
			ss.Serves(task.Activity, a.GetActivityType().GetName()) && ss.Free(task.Activity) > len(permits)
		if ok {
			var p *slots.Permit
			if p, ok = e.opts.Eager.TryReserve(); ok {
				permits = append(permits, p)
			}
		}
		a.RequestEagerExecution = ok
	}
	return permits
}

// runEager hands the activities the server started eagerly to the dispatcher,
// for the app that ran the workflow task (ss), and frees the slots it did not
// use.
func (e *Engine) runEager(ctx context.Context, ss *bridge.Session, tasks []*workflowservice.PollActivityTaskQueueResponse, permits []*slots.Permit) {
	for i, p := range permits {
		if i < len(tasks) {
			e.opts.Eager.Deliver(context.WithoutCancel(ctx), tasks[i], p, ss)
			continue
		}
		e.opts.Eager.Release(p)
	}
}

// versioningBehavior is what a versioned worker reports for a run of type
// typ: the behavior the task's completions declared (as Temporal's SDKs
// declare it with each completion, from the workflow's definition), else
// the one its app registered for the type, else the sidecar's default. An
// unversioned worker reports none: UNSPECIFIED tells the server that
// versioning is off.
func (e *Engine) versioningBehavior(ss *bridge.Session, typ string, declared bridgev1.VersioningBehavior) enumspb.VersioningBehavior {
	if e.opts.Deployment.GetWorkerVersioningMode() != enumspb.WORKER_VERSIONING_MODE_VERSIONED {
		return enumspb.VERSIONING_BEHAVIOR_UNSPECIFIED
	}
	// The protocol's values match Temporal's.
	if declared != bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_UNSPECIFIED {
		return enumspb.VersioningBehavior(declared)
	}
	if b := enumspb.VersioningBehavior(ss.VersioningBehavior(typ)); b != enumspb.VERSIONING_BEHAVIOR_UNSPECIFIED {
		return b
	}
	return e.opts.DefaultVersioningBehavior
}

// versionStamp is the build ID in the form servers record in history
// (WorkflowTaskCompleted.worker_version): the deprecated field, which
// Temporal's SDKs still set beside deployment_options; nil without one.
func (e *Engine) versionStamp() *commonpb.WorkerVersionStamp { return e.stamp }

// newVersionStamp is the version stamp of every task's completion.
func (e *Engine) newVersionStamp() *commonpb.WorkerVersionStamp {
	d := e.opts.Deployment
	if d.GetBuildId() == "" {
		return nil
	}
	return &commonpb.WorkerVersionStamp{BuildId: d.GetBuildId(),
		UseVersioning: d.GetWorkerVersioningMode() == enumspb.WORKER_VERSIONING_MODE_VERSIONED}
}

package worker_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	sidecarclient "github.com/temporal-sidecar/sidecar/internal/client"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"github.com/temporal-sidecar/sidecar/internal/frontend"
	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"
)

// Small history pages make every long history in these tests need paging.
func TestMain(m *testing.M) {
	devserver.Main(m, devserver.Options{DynamicConfig: map[string]string{
		"limit.historyMaxPageSize":            "20",
		"matching.historyMaxPageSize":         "20",
		"system.enableActivityEagerExecution": "true",
	}, Args: []string{"--search-attribute", "CustomKeywordField=Keyword"}})
}

// counting wraps the real WorkflowService to count calls.
type counting struct {
	workflowservice.WorkflowServiceClient
	heartbeats   atomic.Int64
	polls        atomic.Int64 // activity polls started
	polledTasks  atomic.Int64 // activity polls that brought a task
	inFlight     atomic.Int64 // activity polls open now
	maxFlight    atomic.Int64 // most activity polls open at once
	shutdowns    atomic.Int64
	historyPages atomic.Int64
	taskAnswers  atomic.Int64 // workflow tasks completed or failed
}

func (c *counting) RespondWorkflowTaskCompleted(ctx context.Context, in *workflowservice.RespondWorkflowTaskCompletedRequest, opts ...grpc.CallOption) (*workflowservice.RespondWorkflowTaskCompletedResponse, error) {
	c.taskAnswers.Add(1)
	return c.WorkflowServiceClient.RespondWorkflowTaskCompleted(ctx, in, opts...)
}

func (c *counting) RespondWorkflowTaskFailed(ctx context.Context, in *workflowservice.RespondWorkflowTaskFailedRequest, opts ...grpc.CallOption) (*workflowservice.RespondWorkflowTaskFailedResponse, error) {
	c.taskAnswers.Add(1)
	return c.WorkflowServiceClient.RespondWorkflowTaskFailed(ctx, in, opts...)
}

func (c *counting) GetWorkflowExecutionHistory(ctx context.Context, in *workflowservice.GetWorkflowExecutionHistoryRequest, opts ...grpc.CallOption) (*workflowservice.GetWorkflowExecutionHistoryResponse, error) {
	c.historyPages.Add(1)
	return c.WorkflowServiceClient.GetWorkflowExecutionHistory(ctx, in, opts...)
}

func (c *counting) PollActivityTaskQueue(ctx context.Context, in *workflowservice.PollActivityTaskQueueRequest, opts ...grpc.CallOption) (*workflowservice.PollActivityTaskQueueResponse, error) {
	c.polls.Add(1)
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for m := c.maxFlight.Load(); n > m && !c.maxFlight.CompareAndSwap(m, n); m = c.maxFlight.Load() {
	}
	resp, err := c.WorkflowServiceClient.PollActivityTaskQueue(ctx, in, opts...)
	if len(resp.GetTaskToken()) > 0 {
		c.polledTasks.Add(1)
	}
	return resp, err
}

func (c *counting) ShutdownWorker(ctx context.Context, in *workflowservice.ShutdownWorkerRequest, opts ...grpc.CallOption) (*workflowservice.ShutdownWorkerResponse, error) {
	c.shutdowns.Add(1)
	return c.WorkflowServiceClient.ShutdownWorker(ctx, in, opts...)
}

func (c *counting) RecordActivityTaskHeartbeat(ctx context.Context, in *workflowservice.RecordActivityTaskHeartbeatRequest, opts ...grpc.CallOption) (*workflowservice.RecordActivityTaskHeartbeatResponse, error) {
	c.heartbeats.Add(1)
	return c.WorkflowServiceClient.RecordActivityTaskHeartbeat(ctx, in, opts...)
}

type env struct {
	t          *testing.T
	queue      string
	w          *worker.Worker
	svc        *counting
	target     string
	client     client.Client
	sdkStarted bool
}

// newEnv runs a sidecar worker for a fresh task queue against the shared dev
// server, and a Go SDK worker that runs the test workflows (and no activities).
func newEnv(t *testing.T, mod func(*worker.Options)) *env {
	t.Helper()
	return newEnvOn(t, devserver.Shared(t), mod)
}

// newEnvOn is newEnv against srv.
func newEnvOn(t *testing.T, srv *devserver.Server, mod func(*worker.Options)) *env {
	t.Helper()
	queue := devserver.TaskQueue(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fe, err := frontend.Dial(ctx, config.Frontend{Address: srv.Address(), Namespace: srv.Namespace(), ConnectTimeout: 10 * time.Second}, "sidecar-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fe.Close() })
	svc := &counting{WorkflowServiceClient: fe.WorkflowService()}
	opts := worker.Options{
		Namespace: srv.Namespace(), TaskQueue: queue, Identity: "sidecar-test", Service: svc,
		Bridge: bridge.Options{Namespace: srv.Namespace(), TaskQueue: queue, Identity: "sidecar-test",
			HandbackGrace: 10 * time.Second}, // long enough for a test's next app
		MaxConcurrentActivities:      10,
		ActivityPollers:              poller.Behaviour{Maximum: 2},
		MaxConcurrentWorkflowTasks:   10,
		MaxConcurrentNexusTasks:      10,
		NexusPollers:                 poller.Behaviour{Maximum: 2},
		WorkflowPollers:              poller.Behaviour{Maximum: 3},
		NonstickyToStickyPollRatio:   0.2,
		MaxCachedWorkflows:           10,
		StickyScheduleToStartTimeout: 10 * time.Second,
		DefaultHeartbeatThrottle:     30 * time.Second,
		MaxHeartbeatThrottle:         60 * time.Second,
		Logger:                       testLogger(),
	}
	if mod != nil {
		mod(&opts)
	}
	w := worker.New(opts)
	g := bridge.NewGRPCServer(bridge.Security{}, 4<<20)
	w.Bridge().Register(g)
	// As cmd/sidecar serves it, for apps that start workflows (Nexus handlers).
	sidecarclient.New(sidecarclient.Options{Service: svc, Namespace: srv.Namespace(), TaskQueue: queue, Identity: "sidecar-test",
		Nexus: w.Nexus()}).Register(g)
	sock := filepath.Join(t.TempDir(), "b.sock")
	l, err := bridge.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(l)
	runCtx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { defer close(ran); _ = w.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-ran; g.Stop() })

	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &env{t: t, queue: queue, w: w, svc: svc, target: "unix://" + sock, client: c}
}

// app connects a test app that serves the named activity types.
func (e *env) app(capacity uint32, types ...string) *bridgetest.App {
	e.t.Helper()
	reg := &bridgev1.Register{ProtocolVersion: 1, Identity: "app@" + e.t.Name(), SdkName: "bridgetest", TaskQueue: e.queue,
		Capacity: &bridgev1.Capacity{Activities: capacity, LocalActivities: 1}}
	for _, n := range types {
		reg.Activities = append(reg.Activities, &bridgev1.ActivityRegistration{Name: n})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := bridgetest.Dial(ctx, e.target, reg)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(a.Close)
	return a
}

// Call is what RunActivity runs.
type Call struct {
	Type           string
	Arg            string
	StartToClose   time.Duration
	Heartbeat      time.Duration
	MaxAttempts    int32
	CancelOnSignal bool
}

// RunActivity runs one activity; with CancelOnSignal it cancels the activity
// when the "cancel" signal arrives and waits for the cancellation to complete.
func RunActivity(ctx workflow.Context, c Call) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: c.StartToClose, HeartbeatTimeout: c.Heartbeat, WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: c.MaxAttempts, InitialInterval: 100 * time.Millisecond},
	})
	actx, cancel := workflow.WithCancel(ctx)
	if c.CancelOnSignal {
		workflow.Go(ctx, func(ctx workflow.Context) {
			workflow.GetSignalChannel(ctx, "cancel").Receive(ctx, nil)
			cancel()
		})
	}
	var out string
	err := workflow.ExecuteActivity(actx, c.Type, c.Arg).Get(ctx, &out)
	return out, err
}

// sdkWorkflows starts, once, a Go SDK worker that runs RunActivity (and no
// activities) on the test's queue. Tests of the sidecar's own workflow
// engine do without it, so that no other worker takes their workflow tasks.
func (e *env) sdkWorkflows() {
	e.t.Helper()
	if e.sdkStarted {
		return
	}
	e.sdkStarted = true
	sw := sdkworker.New(e.client, e.queue, sdkworker.Options{LocalActivityWorkerOnly: true})
	sw.RegisterWorkflow(RunActivity)
	if err := sw.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(sw.Stop)
}

func (e *env) start(c Call) client.WorkflowRun {
	e.t.Helper()
	e.sdkWorkflows()
	if c.StartToClose == 0 {
		c.StartToClose = time.Minute
	}
	run, err := e.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: e.queue, WorkflowExecutionTimeout: 2 * time.Minute}, RunActivity, c)
	if err != nil {
		e.t.Fatal(err)
	}
	return run
}

func result(t *testing.T, run client.WorkflowRun) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out string
	err := run.Get(ctx, &out)
	return out, err
}

func next(t *testing.T, a *bridgetest.App) *bridgev1.ActivityTask {
	t.Helper()
	task, err := a.NextActivity(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// waitIdle waits until every activity and workflow slot, and every app's
// credit, is back.
func (e *env) waitIdle(apps ...*bridgetest.App) {
	e.t.Helper()
	waitFor(e.t, "every slot and credit released", func() bool {
		for _, ss := range e.w.Bridge().Sessions() {
			for k := range task.NumKinds {
				if ss.Outstanding(k) > 0 {
					return false
				}
			}
		}
		return e.w.ActivitySlots().InUse() == 0 && e.w.Activities().Running() == 0 && e.w.WorkflowSlots().InUse() == 0
	})
}

func TestActivityResultReachesWorkflow(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Echo")
	run := e.start(Call{Type: "Echo", Arg: "hello"})
	task := next(t, a)
	s := task.GetStart()
	if s.GetActivityType() != "Echo" || s.GetWorkflowType() != "RunActivity" || s.GetAttempt() != 1 || len(s.GetInput()) != 1 ||
		s.GetWorkflowExecution().GetWorkflowId() != run.GetID() || s.GetStartToCloseTimeout().AsDuration() != time.Minute {
		t.Fatalf("start = %v", s)
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(s.GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "hello" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

func TestActivityFailureKeepsTypeAndRetryability(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Charge")
	run := e.start(Call{Type: "Charge", MaxAttempts: 5})
	task := next(t, a)
	err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Failed(&bridgev1.Failure{Message: "card declined",
		FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "Declined", NonRetryable: true}}}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = result(t, run)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != "Declined" || !appErr.NonRetryable() || !strings.Contains(appErr.Error(), "card declined") {
		t.Fatalf("workflow error = %v, want non-retryable Declined", err)
	}
	e.waitIdle()
}

func TestUnregisteredActivityTypeFailsRetryably(t *testing.T) {
	e := newEnv(t, nil)
	e.app(4, "Echo")
	run := e.start(Call{Type: "Missing", MaxAttempts: 1})
	_, err := result(t, run)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != "NotFoundError" || appErr.NonRetryable() ||
		!strings.Contains(appErr.Error(), `activity type "Missing" is not registered by any app connected to this sidecar`) {
		t.Fatalf("workflow error = %v", err)
	}
	e.waitIdle()
}

func TestLostAppActivityIsRetriedAtOnceOnAnotherApp(t *testing.T) {
	e := newEnv(t, nil)
	first := e.app(1, "Echo")
	run := e.start(Call{Type: "Echo", Arg: "again", StartToClose: 10 * time.Minute, MaxAttempts: 3})
	next(t, first)
	second := e.app(1, "Echo")
	first.Close() // the app crashes with the task in hand
	task := next(t, second)
	if task.GetStart().GetAttempt() != 2 {
		t.Fatalf("attempt = %d, want 2", task.GetStart().GetAttempt())
	}
	if err := second.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "again" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

func TestWorkflowCancellationReachesAppThroughHeartbeat(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Slow")
	run := e.start(Call{Type: "Slow", Heartbeat: 2 * time.Second, CancelOnSignal: true})
	task := next(t, a)
	if err := e.client.SignalWorkflow(context.Background(), run.GetID(), "", "cancel", nil); err != nil {
		t.Fatal(err)
	}
	// Heartbeat until the cancel arrives, as an activity would.
	var cancelTask *bridgev1.ActivityTask
	deadline := time.Now().Add(30 * time.Second)
	for cancelTask == nil {
		if err := a.Heartbeat(task.GetTaskToken()); err != nil {
			t.Fatal(err)
		}
		if tk, err := a.NextActivity(200 * time.Millisecond); err == nil {
			cancelTask = tk
		} else if time.Now().After(deadline) {
			t.Fatal("no cancel delivered")
		}
	}
	if c := cancelTask.GetCancel(); c.GetReason() != bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_CANCELLED {
		t.Fatalf("cancel = %v", cancelTask)
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Cancelled()); err != nil {
		t.Fatal(err)
	}
	_, err := result(t, run)
	var canceled *temporal.CanceledError
	if !errors.As(err, &canceled) {
		t.Fatalf("workflow error = %v, want cancelled", err)
	}
	e.waitIdle()
}

func TestHeartbeatsAreThrottledAndCoalesced(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Chatty")
	run := e.start(Call{Type: "Chatty", Heartbeat: 10 * time.Second}) // throttle: 8s
	task := next(t, a)
	for i := range 100 {
		if err := a.Heartbeat(task.GetTaskToken(), &bridgev1.Payload{Data: []byte{byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	// The first heartbeat goes out at once; the other 99 fall in its window.
	// Failing now flushes the latest details with the failure.
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Failed(&bridgev1.Failure{Message: "stop",
		FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{NonRetryable: true}}})); err != nil {
		t.Fatal(err)
	}
	if _, err := result(t, run); err == nil {
		t.Fatal("workflow succeeded, want failure")
	}
	if n := e.svc.heartbeats.Load(); n != 1 {
		t.Fatalf("heartbeats sent to the server = %d, want 1", n)
	}
	e.waitIdle()
}

// An activity the app reports cancelled without a cancel request is a
// failure; while the app drains (it is shutting down and gave up on the
// activity at its graceful timeout) it is sdk-core's retryable
// WorkerShutdown failure.
func TestCancelledWithoutRequestIsAFailure(t *testing.T) {
	tests := []struct {
		name     string
		draining bool
		typ, msg string
	}{
		{"running", false, "CancelledWithoutRequest", "the activity reported cancelled, but no cancellation was requested"},
		{"draining", true, "WorkerShutdown", "Worker is shutting down and this activity did not complete in time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			a := e.app(4, "Echo")
			run := e.start(Call{Type: "Echo", MaxAttempts: 1})
			task := next(t, a)
			if tt.draining {
				if err := a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Drain{Drain: &bridgev1.Drain{}}}); err != nil {
					t.Fatal(err)
				}
				ss := e.w.Bridge().Sessions()[0]
				waitFor(t, "the session drains", ss.Draining)
			}
			if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Cancelled()); err != nil {
				t.Fatal(err)
			}
			_, err := result(t, run)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != tt.typ || !strings.Contains(appErr.Error(), tt.msg) {
				t.Fatalf("workflow error = %v, want an ApplicationError %s: %s", err, tt.typ, tt.msg)
			}
			if appErr.NonRetryable() {
				t.Errorf("%s failure is non-retryable; the next attempt must start at once", tt.typ)
			}
			e.waitIdle()
		})
	}
}

func TestMalformedCompletionIsRejectedAndTaskKeepsRunning(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Echo")
	run := e.start(Call{Type: "Echo", Arg: "x"})
	task := next(t, a)
	if err := a.CompleteActivity(task.GetTaskToken(), &bridgev1.ActivityExecutionResult{}); err != nil {
		t.Fatal(err)
	}
	m, err := a.Next(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ce := m.GetCompletionError()
	if ce.GetKind() != bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_MALFORMED ||
		!strings.Contains(ce.GetMessage(), "activity_completion.result has no status") {
		t.Fatalf("got %v", m)
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "x" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	// A second answer for the same task names a task that is gone.
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(nil)); err != nil {
		t.Fatal(err)
	}
	if m, err := a.Next(30 * time.Second); err != nil || m.GetCompletionError().GetKind() != bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_UNKNOWN_TASK {
		t.Fatalf("got %v, %v", m, err)
	}
	e.waitIdle()
}

func TestLocalDeadlineCancelsActivityInApp(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Stuck")
	e.start(Call{Type: "Stuck", StartToClose: time.Second, MaxAttempts: 1})
	task := next(t, a)
	c := next(t, a)
	if c.GetCancel().GetReason() != bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_TIMED_OUT || string(c.GetTaskToken()) != string(task.GetTaskToken()) {
		t.Fatalf("got %v", c)
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Cancelled()); err != nil {
		t.Fatal(err)
	}
	e.waitIdle()
}

func TestWillCompleteAsyncFreesTheSlot(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(1, "Async")
	run := e.start(Call{Type: "Async"})
	task := next(t, a)
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.WillCompleteAsync()); err != nil {
		t.Fatal(err)
	}
	e.waitIdle()
	if err := e.client.CompleteActivity(context.Background(), task.GetTaskToken(), "later", nil); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "later" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
}

func TestNoMoreTasksThanTheAppOffered(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(2, "Echo")
	runs := []client.WorkflowRun{e.start(Call{Type: "Echo", Arg: "1"}), e.start(Call{Type: "Echo", Arg: "2"}), e.start(Call{Type: "Echo", Arg: "3"})}
	t1, t2 := next(t, a), next(t, a)
	if tk, err := a.NextActivity(500 * time.Millisecond); err == nil {
		t.Fatalf("third task %v delivered beyond capacity 2", tk)
	}
	for _, tk := range []*bridgev1.ActivityTask{t1, t2, nil} {
		if tk == nil {
			tk = next(t, a) // the third arrives once a credit is free
		}
		if err := a.CompleteActivity(tk.GetTaskToken(), bridgetest.Completed(tk.GetStart().GetInput()[0])); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range runs {
		if _, err := result(t, r); err != nil {
			t.Fatal(err)
		}
	}
	e.waitIdle()
}

type quiet struct{}

func (quiet) Debug(string, ...interface{}) {}
func (quiet) Info(string, ...interface{})  {}
func (quiet) Warn(string, ...interface{})  {}
func (quiet) Error(string, ...interface{}) {}

func TestFatalPollErrorStopsPollingAndTellsApps(t *testing.T) {
	// The server refuses reserved task queue names with InvalidArgument: a
	// fault no retry can fix.
	var queue string
	e := newEnv(t, func(o *worker.Options) {
		queue = "/_sys/" + o.TaskQueue
		o.TaskQueue, o.Bridge.TaskQueue = queue, queue
	})
	e.queue = queue
	a := e.app(1, "Echo")
	m, err := a.Next(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	we := m.GetWorkerError()
	if !we.GetFatal() || !strings.Contains(we.GetMessage(), "the sidecar stopped polling") {
		t.Fatalf("got %v, want a fatal worker error", m)
	}
	if err := e.w.Err(); err == nil {
		t.Fatal("worker reports no fatal error")
	}
	e.waitIdle()
}

func TestRetryableFailureRetriesWithLatestHeartbeatDetails(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Resumable")
	run := e.start(Call{Type: "Resumable", Heartbeat: 10 * time.Second, MaxAttempts: 3})
	first := next(t, a)
	// The first heartbeat goes to the server at once; the second is held by
	// the throttle and must be flushed with the failure.
	for _, d := range []string{"step-1", "step-2"} {
		if err := a.Heartbeat(first.GetTaskToken(), &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"` + d + `"`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.CompleteActivity(first.GetTaskToken(), bridgetest.Failed(&bridgev1.Failure{Message: "flaky",
		FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &bridgev1.ApplicationFailureInfo{Type: "Flaky"}}})); err != nil {
		t.Fatal(err)
	}
	second := next(t, a)
	s := second.GetStart()
	if s.GetAttempt() != 2 || len(s.GetHeartbeatDetails()) != 1 || string(s.GetHeartbeatDetails()[0].GetData()) != `"step-2"` {
		t.Fatalf("second attempt %d with details %v, want attempt 2 resuming from step-2", s.GetAttempt(), s.GetHeartbeatDetails())
	}
	if err := a.CompleteActivity(second.GetTaskToken(), bridgetest.Completed(s.GetHeartbeatDetails()[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "step-2" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

func TestTimedOutActivityDropsLateResult(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Late")
	run := e.start(Call{Type: "Late", StartToClose: time.Second, MaxAttempts: 1})
	task := next(t, a)
	if c := next(t, a); c.GetCancel().GetReason() != bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_TIMED_OUT {
		t.Fatalf("got %v, want a timed-out cancel", c)
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	_, err := result(t, run)
	var timeout *temporal.TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("workflow error = %v, want a timeout", err)
	}
	e.waitIdle()
}

func TestNoAppNoPollAndNoTaskConsumed(t *testing.T) {
	e := newEnv(t, nil)
	run := e.start(Call{Type: "Echo", Arg: "patient"})
	// Wait until the server holds the activity, scheduled and not started.
	waitPending(t, e, run.GetID())
	if n := e.svc.polls.Load(); n != 0 {
		t.Fatalf("%d activity polls with no app connected", n)
	}
	a := e.app(1, "Echo")
	task := next(t, a)
	if task.GetStart().GetAttempt() != 1 {
		t.Fatalf("attempt %d: the task was consumed before an app connected", task.GetStart().GetAttempt())
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "patient" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

func TestWorkerRateLimitSpacesTaskStarts(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.ActivitiesPerSecond = 2 }) // burst 2, then one per 500ms
	a := e.app(10, "Echo")
	var runs []client.WorkflowRun
	for range 5 {
		runs = append(runs, e.start(Call{Type: "Echo", Arg: "x"}))
	}
	var first time.Time
	for i := range 5 {
		task := next(t, a)
		if i == 0 {
			first = time.Now()
		}
		if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
			t.Fatal(err)
		}
	}
	// Five tasks at two per second with a burst of two need at least 1.5s
	// between the first and the last; the bound only fails if the limit is ignored.
	if spread := time.Since(first); spread < time.Second {
		t.Fatalf("5 tasks delivered within %v at 2/s", spread)
	}
	for _, r := range runs {
		if _, err := result(t, r); err != nil {
			t.Fatal(err)
		}
	}
	e.waitIdle()
}

func TestAutoscalingAddsPollersUnderLoad(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) {
		o.ActivityPollers = poller.Behaviour{Autoscaling: true, Minimum: 1, Initial: 1, Maximum: 8}
	})
	// Build a backlog first (no app, no poll), so the server sees tasks
	// waiting and suggests more pollers once polling starts.
	var runs []client.WorkflowRun
	for range 40 {
		runs = append(runs, e.start(Call{Type: "Echo", Arg: "x"}))
	}
	waitPending(t, e, runs[len(runs)-1].GetID())
	a := e.app(50, "Echo")
	go func() {
		for {
			task, err := a.NextActivity(time.Minute)
			if err != nil {
				return
			}
			_ = a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0]))
		}
	}()
	for _, r := range runs {
		if _, err := result(t, r); err != nil {
			t.Fatal(err)
		}
	}
	if m := e.svc.maxFlight.Load(); m < 2 {
		t.Fatalf("at most %d activity polls open at once; autoscaling never added a poller", m)
	}
	e.waitIdle()
}

// waitPending waits until the workflow has a pending activity.
func waitPending(t *testing.T, e *env, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := e.client.DescribeWorkflowExecution(context.Background(), id, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(d.GetPendingActivities()) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("activity never scheduled")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLogger discards logs unless SIDECAR_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("SIDECAR_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func TestTaskPolledAfterTheLastAppLeftWaitsForTheNextApp(t *testing.T) {
	e := newEnv(t, nil)
	first := e.app(1, "Echo")
	waitFor(t, "a poll claimed for the first app", func() bool { return e.svc.inFlight.Load() > 0 })
	first.Close()
	waitFor(t, "the first app gone", func() bool { return len(e.w.Bridge().Sessions()) == 0 })
	run := e.start(Call{Type: "Echo", Arg: "later", MaxAttempts: 1})
	waitPending(t, e, run.GetID())
	second := e.app(1, "Echo")
	task := next(t, second)
	if task.GetStart().GetAttempt() != 1 {
		t.Fatalf("attempt %d: the task was failed while no app was connected", task.GetStart().GetAttempt())
	}
	if err := second.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "later" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

func TestHeartbeatRightBeforeFailureIsKept(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(4, "Resumable")
	for i := range 5 { // the race this guards against lost details often, not always
		run := e.start(Call{Type: "Resumable", Heartbeat: 10 * time.Second, MaxAttempts: 2})
		first := next(t, a)
		detail := &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"at-` + strconv.Itoa(i) + `"`)}
		if err := a.Heartbeat(first.GetTaskToken(), detail); err != nil {
			t.Fatal(err)
		}
		if err := a.CompleteActivity(first.GetTaskToken(), bridgetest.Failed(&bridgev1.Failure{Message: "flaky"})); err != nil {
			t.Fatal(err)
		}
		second := next(t, a)
		if d := second.GetStart().GetHeartbeatDetails(); len(d) != 1 || string(d[0].GetData()) != string(detail.GetData()) {
			t.Fatalf("run %d: retry got details %v, want %s", i, d, detail.GetData())
		}
		if err := a.CompleteActivity(second.GetTaskToken(), bridgetest.Completed(detail)); err != nil {
			t.Fatal(err)
		}
		if _, err := result(t, run); err != nil {
			t.Fatal(err)
		}
	}
	e.waitIdle()
}

func TestFailureCarriesTheDetailsItNames(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(1, "Resumable")
	run := e.start(Call{Type: "Resumable", Heartbeat: 10 * time.Second, MaxAttempts: 2})
	first := next(t, a)
	sent := &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"sent"`)}
	named := &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"named"`)}
	if err := a.Heartbeat(first.GetTaskToken(), sent); err != nil {
		t.Fatal(err)
	}
	// The failure's own details win over the last heartbeat.
	if err := a.CompleteActivity(first.GetTaskToken(), &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Failed{
		Failed: &bridgev1.ActivityExecutionFailed{Failure: &bridgev1.Failure{Message: "flaky"}, LastHeartbeatDetails: []*bridgev1.Payload{named}}}}); err != nil {
		t.Fatal(err)
	}
	second := next(t, a)
	if d := second.GetStart().GetHeartbeatDetails(); len(d) != 1 || string(d[0].GetData()) != `"named"` {
		t.Fatalf("retry got details %v, want the failure's", d)
	}
	if err := a.CompleteActivity(second.GetTaskToken(), bridgetest.Completed(named)); err != nil {
		t.Fatal(err)
	}
	if _, err := result(t, run); err != nil {
		t.Fatal(err)
	}
	e.waitIdle()
}

func TestShutdownDrainsThenTellsTheServer(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(2, "Echo")
	run := e.start(Call{Type: "Echo", Arg: "last"})
	task := next(t, a)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done <- e.w.Shutdown(ctx, 30*time.Second)
	}()
	// The app is told, finishes its task, and is drained.
	m, err := a.Next(30 * time.Second)
	if err != nil || m.GetShutdown() == nil {
		t.Fatalf("got %v, %v; want a shutdown notice", m, err)
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "last" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	if n := e.svc.shutdowns.Load(); n != 1 {
		t.Fatalf("ShutdownWorker called %d times, want 1", n)
	}
}

func TestTaskQueueRateLimitReachesTheServer(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.TaskQueueActivitiesPerSecond = 7.5 })
	e.app(1, "Echo") // an app makes the sidecar poll, and the poll carries the limit
	waitFor(t, "the server to report the worker's queue rate limit", func() bool {
		d, err := e.client.WorkflowService().DescribeTaskQueue(context.Background(), &workflowservice.DescribeTaskQueueRequest{
			Namespace: "default", TaskQueue: &taskqueuepb.TaskQueue{Name: e.queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY, ReportConfig: true})
		return err == nil && d.GetEffectiveRateLimit().GetRequestsPerSecond() == 7.5
	})
}

func TestPausedActivityIsCancelledInTheApp(t *testing.T) {
	e := newEnv(t, nil)
	a := e.app(2, "Slow")
	run := e.start(Call{Type: "Slow", Heartbeat: 2 * time.Second, MaxAttempts: 3})
	defer e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over")
	task := next(t, a)
	if _, err := e.client.WorkflowService().PauseActivity(context.Background(), &workflowservice.PauseActivityRequest{
		Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: run.GetID()},
		Activity: &workflowservice.PauseActivityRequest_Id{Id: task.GetStart().GetActivityId()}, Reason: "operator"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := a.Heartbeat(task.GetTaskToken()); err != nil {
			t.Fatal(err)
		}
		if c, err := a.NextActivity(200 * time.Millisecond); err == nil {
			if c.GetCancel().GetReason() != bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_PAUSED {
				t.Fatalf("got %v, want a paused cancel", c)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the app was never told the activity was paused")
		}
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Cancelled()); err != nil {
		t.Fatal(err)
	}
	e.waitIdle()
}

func TestResourceBasedTunerRunsWork(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) {
		o.Tuner = slots.NewTuner(1, 1, nil)
		rb := worker.SlotOptions{ResourceBased: true, Minimum: 1, RampThrottle: 50 * time.Millisecond}
		o.WorkflowSlots, o.ActivitySlots, o.LocalActivitySlots, o.NexusSlots = rb, rb, rb, rb
	})
	e.workflowApp(map[string]script{"EchoTwice": echoTwice})
	if out, err := result(t, e.startWorkflow("EchoTwice")); err != nil || out != "ab" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	e.waitIdle()
}

package queues_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"github.com/temporal-sidecar/sidecar/internal/frontend"
	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/queues"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	"github.com/temporal-sidecar/sidecar/internal/workflow"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	sdkworkflow "go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

func TestMain(m *testing.M) { devserver.Main(m, devserver.Options{}) }

// recording wraps the real WorkflowService to see polls and ShutdownWorker
// per task queue.
type recording struct {
	workflowservice.WorkflowServiceClient
	mu        sync.Mutex
	polls     map[string]int // activity and workflow polls started, by queue
	shutdowns map[string]int // ShutdownWorker calls, by queue
}

func (r *recording) count(m map[string]int, q string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m[q]++
}

func (r *recording) get(m map[string]int, q string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return m[q]
}

func (r *recording) PollActivityTaskQueue(ctx context.Context, in *workflowservice.PollActivityTaskQueueRequest, opts ...grpc.CallOption) (*workflowservice.PollActivityTaskQueueResponse, error) {
	r.count(r.polls, in.GetTaskQueue().GetName())
	return r.WorkflowServiceClient.PollActivityTaskQueue(ctx, in, opts...)
}

func (r *recording) PollWorkflowTaskQueue(ctx context.Context, in *workflowservice.PollWorkflowTaskQueueRequest, opts ...grpc.CallOption) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	r.count(r.polls, cmpOr(in.GetTaskQueue().GetNormalName(), in.GetTaskQueue().GetName()))
	return r.WorkflowServiceClient.PollWorkflowTaskQueue(ctx, in, opts...)
}

func (r *recording) ShutdownWorker(ctx context.Context, in *workflowservice.ShutdownWorkerRequest, opts ...grpc.CallOption) (*workflowservice.ShutdownWorkerResponse, error) {
	r.count(r.shutdowns, in.GetTaskQueue())
	return r.WorkflowServiceClient.ShutdownWorker(ctx, in, opts...)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sidecar is a Set served on a unix socket, as cmd/sidecar wires it.
type sidecar struct {
	set    *queues.Set
	svc    *recording
	target string
	client client.Client
}

func newSidecar(t *testing.T, mod func(*queues.Options)) *sidecar {
	return newSidecarWithCache(t, 10, mod)
}

// newSidecarWithCache is newSidecar with a sticky cache of size runs
// shared by every queue.
func newSidecarWithCache(t *testing.T, size int, mod func(*queues.Options)) *sidecar {
	t.Helper()
	srv := devserver.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fe, err := frontend.Dial(ctx, config.Frontend{Address: srv.Address(), Namespace: srv.Namespace(), ConnectTimeout: 10 * time.Second}, "queues-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fe.Close() })
	rec := &recording{WorkflowServiceClient: fe.WorkflowService(), polls: map[string]int{}, shutdowns: map[string]int{}}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cache := workflow.NewCache(size)
	opts := queues.Options{
		Max:         100,
		IdleTimeout: 200 * time.Millisecond,
		Grace:       5 * time.Second,
		Logger:      log,
		New: func(q string, dep *bridgev1.WorkerDeployment, reg prometheus.Registerer) *worker.Worker {
			return worker.New(worker.Options{
				Namespace: srv.Namespace(), TaskQueue: q, Identity: "queues-test", Service: rec,
				BuildID: dep.GetBuildId(), DeploymentName: dep.GetDeploymentName(), UseVersioning: dep.GetUseVersioning(),
				DefaultVersioningBehavior:    enumspb.VersioningBehavior(dep.GetDefaultVersioningBehavior()),
				Bridge:                       bridge.Options{Namespace: srv.Namespace(), TaskQueue: q, Identity: "queues-test"},
				Metrics:                      telemetry.NewWorkerMetrics(reg, srv.Namespace(), q, telemetry.Milliseconds),
				MaxConcurrentActivities:      10,
				ActivityPollers:              poller.Behaviour{Maximum: 2},
				MaxConcurrentWorkflowTasks:   10,
				MaxConcurrentNexusTasks:      10,
				NexusPollers:                 poller.Behaviour{Maximum: 1},
				WorkflowPollers:              poller.Behaviour{Maximum: 2},
				NonstickyToStickyPollRatio:   0.5,
				Cache:                        cache,
				StickyScheduleToStartTimeout: 10 * time.Second,
				DefaultHeartbeatThrottle:     30 * time.Second,
				MaxHeartbeatThrottle:         60 * time.Second,
				Logger:                       log,
			})
		},
	}
	if mod != nil {
		mod(&opts)
	}
	set := queues.New(opts)
	g := bridge.NewGRPCServer(bridge.Security{}, 4<<20)
	bridge.NewService(bridge.ServiceOptions{Namespace: srv.Namespace(), Router: set, Logger: log}).Register(g)
	sock := filepath.Join(t.TempDir(), "b.sock")
	l, err := bridge.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(l)
	runCtx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- set.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		<-ran
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = set.Shutdown(ctx)
		g.Stop()
	})
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &sidecar{set: set, svc: rec, target: "unix://" + sock, client: c}
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

func (s *sidecar) dial(t *testing.T, reg *bridgev1.Register) *bridgetest.App {
	t.Helper()
	a, err := s.tryDial(reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func (s *sidecar) tryDial(reg *bridgev1.Register) (*bridgetest.App, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reg.ProtocolVersion = 1
	if reg.Identity == "" {
		reg.Identity = "app"
	}
	return bridgetest.Dial(ctx, s.target, reg)
}

func activityApp(queue string, types ...string) *bridgev1.Register {
	reg := &bridgev1.Register{TaskQueue: queue, Capacity: &bridgev1.Capacity{Activities: 4}}
	for _, n := range types {
		reg.Activities = append(reg.Activities, &bridgev1.ActivityRegistration{Name: n})
	}
	return reg
}

func workflowApp(queue string, types ...string) *bridgev1.Register {
	reg := &bridgev1.Register{TaskQueue: queue, Capacity: &bridgev1.Capacity{WorkflowActivations: 4}}
	for _, n := range types {
		reg.Workflows = append(reg.Workflows, &bridgev1.WorkflowRegistration{Name: n})
	}
	return reg
}

func js(v any) *bridgev1.Payload {
	b, _ := json.Marshal(v)
	return &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: b}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorkflowOnOneQueueCallsActivitiesOnAnother(t *testing.T) {
	s := newSidecar(t, nil)
	wfQueue, actQueue := devserver.TaskQueue(t)+"-wf", devserver.TaskQueue(t)+"-act"
	wf := s.dial(t, workflowApp(wfQueue, "Caller"))
	act := s.dial(t, activityApp(actQueue, "Shout"))
	if got := []string{wf.Registered.GetTaskQueue(), act.Registered.GetTaskQueue()}; !slices.Equal(got, []string{wfQueue, actQueue}) {
		t.Fatalf("Registered.task_queue = %q, want %q", got, []string{wfQueue, actQueue})
	}

	// The activity app answers on its queue.
	go func() {
		for task := range act.Activities {
			if st := task.GetStart(); st != nil {
				var in string
				_ = json.Unmarshal(st.GetInput()[0].GetData(), &in)
				_ = act.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(js(strings.ToUpper(in))))
			}
		}
	}()
	run, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: wfQueue}, "Caller")
	if err != nil {
		t.Fatal(err)
	}
	// The workflow schedules the activity on the other queue and returns
	// its result.
	for done := false; !done; {
		a, err := wf.NextActivation(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var cmds []*bridgev1.WorkflowCommand
		for _, j := range a.GetJobs() {
			switch {
			case j.GetInitializeWorkflow() != nil:
				cmds = append(cmds, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{
					Seq: 1, ActivityType: "Shout", TaskQueue: actQueue, Arguments: []*bridgev1.Payload{js("hello")},
					StartToCloseTimeout: durationpb.New(time.Minute)}}})
			case j.GetResolveActivity() != nil:
				res := j.GetResolveActivity().GetResult().GetCompleted().GetResult()
				cmds = append(cmds, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CompleteWorkflowExecution{
					CompleteWorkflowExecution: &bridgev1.CompleteWorkflowExecution{Result: res}}})
			case j.GetRemoveFromCache() != nil:
				done = true
			}
		}
		if err := wf.CompleteActivation(a.GetRunId(), cmds...); err != nil {
			t.Fatal(err)
		}
	}
	var got string
	if err := run.Get(context.Background(), &got); err != nil || got != "HELLO" {
		t.Fatalf("workflow result = %q, %v; want HELLO", got, err)
	}
	if names := s.set.Names(); !slices.Contains(names, wfQueue) || !slices.Contains(names, actQueue) {
		t.Errorf("queues served = %q, want both %q and %q", names, wfQueue, actQueue)
	}
	qs, err := s.set.Ready()
	if err != nil || len(qs) != 2 || !qs[0].Polling || !qs[1].Polling {
		t.Errorf("Ready() = %+v, %v; want both queues polling", qs, err)
	}
}

// TwoCalls runs Echo on queue q, waits for the "next" signal, and runs it
// again: the second call is scheduled while no app serves q.
func TwoCalls(ctx sdkworkflow.Context, q string) (string, error) {
	ctx = sdkworkflow.WithActivityOptions(ctx, sdkworkflow.ActivityOptions{TaskQueue: q, StartToCloseTimeout: time.Minute})
	var a, b string
	if err := sdkworkflow.ExecuteActivity(ctx, "Echo", "one").Get(ctx, &a); err != nil {
		return "", err
	}
	sdkworkflow.GetSignalChannel(ctx, "next").Receive(ctx, nil)
	if err := sdkworkflow.ExecuteActivity(ctx, "Echo", "two").Get(ctx, &b); err != nil {
		return "", err
	}
	return a + b, nil
}

// echo answers one activity task with its input.
func echo(t *testing.T, a *bridgetest.App) {
	t.Helper()
	task, err := a.NextActivity(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.CompleteActivity(task.GetTaskToken(), bridgetest.Completed(task.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
}

func TestQueueStopsAfterItsLastAppLeavesAndRestartsForTheNext(t *testing.T) {
	s := newSidecar(t, func(o *queues.Options) { o.IdleTimeout = 500 * time.Millisecond })
	q := devserver.TaskQueue(t)
	w := sdkworker.New(s.client, q+"-wf", sdkworker.Options{})
	w.RegisterWorkflow(TwoCalls)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	a := s.dial(t, activityApp(q, "Echo"))
	run, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: q + "-wf"}, TwoCalls, q)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, a)

	a.Close()
	waitFor(t, "ShutdownWorker for the idle queue", func() bool { return s.svc.get(s.svc.shutdowns, q) == 1 })
	if slices.Contains(s.set.Names(), q) {
		t.Errorf("queues served after the idle timeout = %q, still has %q", s.set.Names(), q)
	}
	polls := s.svc.get(s.svc.polls, q)

	// The second activity is scheduled while nothing serves the queue.
	if err := s.client.SignalWorkflow(context.Background(), run.GetID(), "", "next", nil); err != nil {
		t.Fatal(err)
	}
	// Polls ended with the worker: another queue's start and first polls
	// give the stopped one time to show a stray poll.
	other := s.dial(t, activityApp(q+"-other", "Echo"))
	waitFor(t, "another queue is polled", func() bool { return s.svc.get(s.svc.polls, q+"-other") > 0 })
	if now := s.svc.get(s.svc.polls, q); now != polls {
		t.Errorf("polls of the stopped queue went from %d to %d", polls, now)
	}
	other.Close()

	// The next app on the queue starts it again and gets the waiting task.
	echo(t, s.dial(t, activityApp(q, "Echo")))
	var got string
	if err := run.Get(context.Background(), &got); err != nil || got != "onetwo" {
		t.Fatalf("workflow result = %q, %v; want onetwo", got, err)
	}
}

func TestAppReturningWithinTheIdleTimeoutKeepsThePollers(t *testing.T) {
	s := newSidecar(t, func(o *queues.Options) { o.IdleTimeout = time.Hour })
	q := devserver.TaskQueue(t)
	s.dial(t, activityApp(q, "Echo")).Close()
	s.dial(t, activityApp(q, "Echo"))
	waitFor(t, "the queue is polled", func() bool { return s.svc.get(s.svc.polls, q) > 0 })
	if n := s.svc.get(s.svc.shutdowns, q); n != 0 {
		t.Errorf("ShutdownWorker sent %d times for a queue whose app came back", n)
	}
	if names := s.set.Names(); !slices.Equal(names, []string{q}) {
		t.Errorf("queues = %q, want [%q]", names, q)
	}
}

func TestRegistrationsOutsideTheAllowListOrOverTheCapAreRefused(t *testing.T) {
	shop := func(build string, versioned bool) *bridgev1.WorkerDeployment {
		return &bridgev1.WorkerDeployment{DeploymentName: "shop", BuildId: build, UseVersioning: versioned}
	}
	tests := []struct {
		name  string
		opts  func(*queues.Options)
		reg   func(q string) *bridgev1.Register
		code  codes.Code
		want  string
		first func(r *bridgev1.Register) // the app registered before, if it differs
	}{
		{"queue outside --task-queue", func(o *queues.Options) { o.Only = "orders" },
			func(q string) *bridgev1.Register { return activityApp("payments", "Echo") },
			codes.FailedPrecondition,
			`register.task_queue "payments" is not served here: this sidecar serves only --task-queue (SIDECAR_TASK_QUEUE) = "orders"; point the app at a sidecar for "payments", or start this one with --task-queues (SIDECAR_TASK_QUEUES) instead`, nil},
		{"queue outside --task-queues", func(o *queues.Options) { o.Patterns = []string{"orders", "pay-*"} },
			func(q string) *bridgev1.Register { return activityApp("shipping", "Echo") },
			codes.FailedPrecondition,
			`register.task_queue "shipping" is not allowed: --task-queues (SIDECAR_TASK_QUEUES) = "orders,pay-*" does not match it; add it (or a pattern) there`, nil},
		{"queue over --max-task-queues", func(o *queues.Options) { o.Max = 1 },
			func(q string) *bridgev1.Register { return activityApp(q+"-second", "Echo") },
			codes.ResourceExhausted,
			`would be worker 2 of this sidecar (one per task queue and deployment version), over --max-task-queues (SIDECAR_MAX_TASK_QUEUES) = 1`, nil},
		{"no queue without --task-queue", nil,
			func(q string) *bridgev1.Register { return activityApp("", "Echo") },
			codes.InvalidArgument,
			"register.task_queue is required: this sidecar serves the task queues its apps register (it was started without --task-queue (SIDECAR_TASK_QUEUE))", nil},
		{"another namespace", nil,
			func(q string) *bridgev1.Register { r := activityApp(q, "Echo"); r.Namespace = "elsewhere"; return r },
			codes.FailedPrecondition,
			`register.namespace "elsewhere" is not the sidecar's namespace "default"; a sidecar works in the one namespace of its --namespace (TEMPORAL_NAMESPACE)`, nil},
		{"another version than the sidecar's --build-id", func(o *queues.Options) { o.Deployment = shop("1.0", false) },
			func(q string) *bridgev1.Register {
				r := activityApp(q, "Echo")
				r.Deployment = shop("2.0", false)
				return r
			},
			codes.FailedPrecondition,
			`register.deployment (deployment "shop", build "2.0", use_versioning false) is not this sidecar's version (--deployment-name (SIDECAR_DEPLOYMENT_NAME) "shop", --build-id (SIDECAR_BUILD_ID) "1.0", --use-versioning (SIDECAR_USE_VERSIONING) false): a sidecar started with --build-id (SIDECAR_BUILD_ID) polls only as its own`, nil},
		{"one version polled two ways", nil,
			func(q string) *bridgev1.Register {
				r := activityApp(q, "Echo")
				r.Deployment = shop("1.0", true)
				return r
			},
			codes.FailedPrecondition,
			`is polled as version "shop.1.0" with use_versioning false and default_versioning_behavior VERSIONING_BEHAVIOR_UNSPECIFIED by other apps; this app registers true and VERSIONING_BEHAVIOR_UNSPECIFIED`,
			func(r *bridgev1.Register) { r.Deployment = shop("1.0", false) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSidecar(t, tt.opts)
			q := devserver.TaskQueue(t)
			// A queue already served is not disturbed by the refusal.
			first := activityApp(q, "Echo")
			if tt.name == "queue outside --task-queue" {
				first.TaskQueue = "orders"
			}
			if tt.name == "queue outside --task-queues" {
				first.TaskQueue = "pay-" + q
			}
			if tt.first != nil {
				tt.first(first)
			}
			good := s.dial(t, first)
			_, err := s.tryDial(tt.reg(q))
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.want) {
				t.Fatalf("registration error = %v\nwant %s containing %q", err, tt.code, tt.want)
			}
			if n := len(s.set.Names()); n != 1 {
				t.Errorf("queues served after the refusal = %q, want just the first", s.set.Names())
			}
			if err := good.Heartbeat([]byte("none")); err != nil {
				t.Errorf("the registered app's stream broke: %v", err)
			}
		})
	}
}

func TestFiftyQueuesComeAndGoWithFlatGoroutinesAndMemory(t *testing.T) {
	s := newSidecar(t, func(o *queues.Options) { o.IdleTimeout = 0 })
	base := devserver.TaskQueue(t)
	cycle := func(round int) {
		apps := make([]*bridgetest.App, 50)
		for i := range apps {
			a, err := s.tryDial(activityApp(fmt.Sprintf("%s-%d-%d", base, round, i), "Echo"))
			if err != nil {
				t.Fatal(err)
			}
			apps[i] = a
		}
		waitFor(t, "fifty queues served", func() bool { return len(s.set.Names()) == 50 })
		for _, a := range apps {
			a.Close()
		}
		waitFor(t, "every queue stopped", func() bool { return len(s.set.Names()) == 0 })
		queues.WaitStopped(s.set)
	}
	measure := func() (int, uint64) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapInuse
	}
	cycle(0) // warm up: connections, pools, the first allocations
	g0, h0 := measure()
	for round := 1; round <= 3; round++ {
		cycle(round)
	}
	// Goroutines of closed streams and stopped pollers end shortly after,
	// and what they held goes with them: a leak never gets back down.
	var g1 int
	var h1 uint64
	back := func() bool { g1, h1 = measure(); return g1 <= g0+10 && h1 <= h0+8<<20 }
	deadline := time.Now().Add(30 * time.Second)
	for !back() && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if g1 > g0+10 || h1 > h0+8<<20 {
		t.Errorf("after three rounds of fifty queues: goroutines %d -> %d, heap in use %d -> %d bytes", g0, g1, h0, h1)
	}
	t.Logf("after warm-up: %d goroutines, %d KiB heap; after three more rounds: %d goroutines, %d KiB heap", g0, h0>>10, g1, h1>>10)
	if n := s.svc.get(s.svc.shutdowns, fmt.Sprintf("%s-3-49", base)); n != 1 {
		t.Errorf("ShutdownWorker for a released queue sent %d times, want 1", n)
	}
}

func TestStickyCacheIsSharedAcrossQueues(t *testing.T) {
	// One cached run across both queues: a run on the second queue evicts
	// the first queue's, least recently used, as one SDK process's cache
	// would.
	s := newSidecarWithCache(t, 1, nil)
	qa, qb := devserver.TaskQueue(t)+"-a", devserver.TaskQueue(t)+"-b"
	a := s.dial(t, workflowApp(qa, "Wait"))
	b := s.dial(t, workflowApp(qb, "Wait"))
	first := func(app *bridgetest.App, q string) string {
		t.Helper()
		if _, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: q}, "Wait"); err != nil {
			t.Fatal(err)
		}
		act, err := app.NextActivation(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.CompleteActivation(act.GetRunId()); err != nil { // waits for a signal that never comes
			t.Fatal(err)
		}
		return act.GetRunId()
	}
	runA := first(a, qa)
	first(b, qb)
	evict, err := a.NextActivation(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rm := evict.GetJobs()[0].GetRemoveFromCache()
	if evict.GetRunId() != runA || rm.GetReason() != bridgev1.EvictionReason_EVICTION_REASON_CACHE_FULL {
		t.Fatalf("queue A's app got %v, want its run %s evicted with CACHE_FULL", evict, runA)
	}
	if err := a.CompleteActivation(runA); err != nil {
		t.Fatal(err)
	}
}

// waitActivation is the app's next activation.
func waitActivation(t *testing.T, a *bridgetest.App) *bridgev1.WorkflowActivation {
	t.Helper()
	act, err := a.NextActivation(30 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return act
}

// Each app registering its own deployment version on one queue gets a
// worker polling as that version, as two SDK workers of different builds
// would: the server routes each new run to the current version's pollers,
// and activations carry the build that runs them.
func TestEachDeploymentVersionOfAQueueIsPolledAsItself(t *testing.T) {
	s := newSidecar(t, nil)
	q := devserver.TaskQueue(t)
	name := strings.ReplaceAll(q, ".", "-")
	versioned := func(build string) *bridgev1.Register {
		r := workflowApp(q, "Wait")
		r.Deployment = &bridgev1.WorkerDeployment{DeploymentName: name, BuildId: build, UseVersioning: true,
			DefaultVersioningBehavior: bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_PINNED}
		return r
	}
	v1, v2 := s.dial(t, versioned("1.0")), s.dial(t, versioned("2.0"))
	current := func(build string) {
		t.Helper()
		// The server knows a version once its pollers have polled.
		var err error
		waitFor(t, "version "+build+" made current", func() bool {
			_, err = s.client.WorkflowService().SetWorkerDeploymentCurrentVersion(context.Background(),
				&workflowservice.SetWorkerDeploymentCurrentVersionRequest{Namespace: "default", DeploymentName: name, BuildId: build})
			return err == nil
		})
	}
	start := func(app *bridgetest.App, build string) {
		t.Helper()
		if _, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: q}, "Wait"); err != nil {
			t.Fatal(err)
		}
		act := waitActivation(t, app)
		if act.GetBuildId() != build {
			t.Errorf("activation build_id = %q, want %q", act.GetBuildId(), build)
		}
		if err := app.CompleteActivation(act.GetRunId()); err != nil {
			t.Fatal(err)
		}
	}
	current("1.0")
	start(v1, "1.0")
	current("2.0")
	start(v2, "2.0")

	qs, err := s.set.Ready()
	var versions []string
	for _, st := range qs {
		versions = append(versions, st.DeploymentVersion)
	}
	if err != nil || !slices.Equal(versions, []string{name + ".1.0", name + ".2.0"}) {
		t.Errorf("Ready() = %+v, %v; want the queue twice, as %s.1.0 and %s.2.0", qs, err, name, name)
	}
	if names := s.set.Names(); !slices.Equal(names, []string{q}) {
		t.Errorf("Names() = %q, want the queue once", names)
	}
	mfs, err := s.set.Gather()
	if err != nil {
		t.Fatalf("gathering the metrics of two versions of one queue: %v", err)
	}
	seen := map[string]bool{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "deployment_version" {
					seen[l.GetValue()] = true
				}
			}
		}
	}
	if !seen[name+".1.0"] || !seen[name+".2.0"] {
		t.Errorf("deployment_version labels in the metrics = %v, want both versions", seen)
	}
}

// A run moved to a worker of another build (unversioned, as an SDK worker's
// build id) replays with the build that ran each task and runs its new
// task as the new build; a query reads the last task's build and history
// length, as workflow.info() does under Temporal's SDKs.
func TestActivationsCarryTheBuildOfTheWorkerThatRanTheTask(t *testing.T) {
	s := newSidecar(t, nil)
	q := devserver.TaskQueue(t)
	app := func(build string) *bridgev1.Register {
		r := workflowApp(q, "Wait")
		r.Deployment = &bridgev1.WorkerDeployment{BuildId: build}
		return r
	}
	old := s.dial(t, app("1.0"))
	run, err := s.client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: q}, "Wait")
	if err != nil {
		t.Fatal(err)
	}
	first := waitActivation(t, old)
	if first.GetBuildId() != "1.0" || first.GetIsReplaying() {
		t.Fatalf("first activation: build_id %q, replaying %v; want 1.0, live", first.GetBuildId(), first.GetIsReplaying())
	}
	if err := old.CompleteActivation(first.GetRunId()); err != nil {
		t.Fatal(err)
	}
	old.Close()
	waitFor(t, "the old build's worker stopped", func() bool { return len(s.set.Names()) == 0 })
	if _, err := s.client.WorkflowService().ResetStickyTaskQueue(context.Background(), &workflowservice.ResetStickyTaskQueueRequest{
		Namespace: "default", Execution: &commonpb.WorkflowExecution{WorkflowId: run.GetID()}}); err != nil {
		t.Fatal(err)
	}

	next := s.dial(t, app("2.0"))
	if err := s.client.SignalWorkflow(context.Background(), run.GetID(), "", "go", nil); err != nil {
		t.Fatal(err)
	}
	replayed := waitActivation(t, next)
	if replayed.GetBuildId() != "1.0" || !replayed.GetIsReplaying() {
		t.Errorf("replayed activation: build_id %q, replaying %v; want 1.0, replaying", replayed.GetBuildId(), replayed.GetIsReplaying())
	}
	if err := next.CompleteActivation(replayed.GetRunId()); err != nil {
		t.Fatal(err)
	}
	live := waitActivation(t, next)
	if live.GetBuildId() != "2.0" || live.GetIsReplaying() || live.GetJobs()[0].GetSignalWorkflow() == nil {
		t.Errorf("signal's activation: build_id %q, replaying %v, jobs %v; want 2.0, live, the signal", live.GetBuildId(), live.GetIsReplaying(), live.GetJobs())
	}
	if err := next.CompleteActivation(live.GetRunId()); err != nil {
		t.Fatal(err)
	}

	// A query reads the run as of its last task.
	got := make(chan error, 1)
	go func() {
		_, err := s.client.QueryWorkflow(context.Background(), run.GetID(), "", "info")
		got <- err
	}()
	query := waitActivation(t, next)
	qj := query.GetJobs()[0].GetQueryWorkflow()
	if qj == nil || query.GetBuildId() != "2.0" || query.GetHistoryLength() != live.GetHistoryLength() || query.GetHistorySizeBytes() == 0 {
		t.Errorf("query activation: build_id %q, history length %d, size %d, jobs %v; want 2.0, %d, the task's size, a query",
			query.GetBuildId(), query.GetHistoryLength(), query.GetHistorySizeBytes(), query.GetJobs(), live.GetHistoryLength())
	}
	if qj != nil {
		if err := next.CompleteActivation(query.GetRunId(), &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RespondToQuery{
			RespondToQuery: &bridgev1.QueryResult{QueryId: qj.GetQueryId(), Variant: &bridgev1.QueryResult_Succeeded{Succeeded: js("ok")}}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-got; err != nil {
		t.Errorf("query: %v", err)
	}
}

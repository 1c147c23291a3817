package bridge

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const testQueue = "orders"

// serve starts a bridge on a unix socket in a temp dir and returns a client
// connection to it.
func serve(t *testing.T, opts Options, sec Security) (*Server, *grpc.ClientConn) {
	t.Helper()
	if opts.TaskQueue == "" {
		opts.TaskQueue = testQueue
	}
	opts.Namespace = "default"
	opts.Identity = "sidecar-test"
	srv := New(opts)
	g := NewGRPCServer(sec, 4<<20)
	srv.Register(g)
	path := filepath.Join(t.TempDir(), "bridge.sock")
	l, err := Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(l)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient("unix://"+path, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return srv, conn
}

func validRegister() *bridgev1.Register {
	return &bridgev1.Register{
		ProtocolVersion: ProtocolVersion,
		Identity:        "1@app",
		SdkName:         "test",
		TaskQueue:       testQueue,
		Workflows:       []*bridgev1.WorkflowRegistration{{Name: "Checkout"}},
		Activities:      []*bridgev1.ActivityRegistration{{Name: "Charge"}},
		Capacity:        &bridgev1.Capacity{WorkflowActivations: 2, Activities: 3, LocalActivities: 1},
	}
}

type stream = grpc.BidiStreamingClient[bridgev1.ConnectRequest, bridgev1.ConnectResponse]

func connect(t *testing.T, ctx context.Context, conn *grpc.ClientConn, first *bridgev1.ConnectRequest) stream {
	t.Helper()
	st, err := bridgev1.NewBridgeServiceClient(conn).Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first != nil {
		if err := st.Send(first); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func register(r *bridgev1.Register) *bridgev1.ConnectRequest {
	return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Register{Register: r}}
}

// registered connects, registers and returns the stream after Registered.
func registered(t *testing.T, conn *grpc.ClientConn, r *bridgev1.Register) (stream, *bridgev1.Registered) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	st := connect(t, ctx, conn, register(r))
	m, err := st.Recv()
	if err != nil {
		t.Fatalf("registration failed: %v", err)
	}
	if m.GetRegistered() == nil {
		t.Fatalf("first response = %v, want registered", m)
	}
	return st, m.GetRegistered()
}

func TestRegistrationIsAnsweredWithSidecarFacts(t *testing.T) {
	caps := &bridgev1.Capabilities{StickyExecution: true, ServerVersion: "1.29.1"}
	limits := &bridgev1.Limits{MaxMessageBytes: 4 << 20, MaxCachedWorkflows: 10}
	_, conn := serve(t, Options{Capabilities: caps, Limits: limits, Version: "v0.1.0"}, Security{})
	_, got := registered(t, conn, validRegister())
	if got.GetProtocolVersion() != ProtocolVersion || got.GetNamespace() != "default" || got.GetTaskQueue() != testQueue ||
		got.GetSidecarIdentity() != "sidecar-test" || got.GetSidecarVersion() != "v0.1.0" || got.GetSessionId() == "" {
		t.Errorf("registered = %v", got)
	}
	if got.GetCapabilities().GetServerVersion() != "1.29.1" || got.GetLimits().GetMaxCachedWorkflows() != 10 {
		t.Errorf("capabilities/limits not passed on: %v", got)
	}
}

func TestBadRegistrationEndsStreamWithClearError(t *testing.T) {
	mod := func(f func(r *bridgev1.Register)) *bridgev1.ConnectRequest {
		r := validRegister()
		f(r)
		return register(r)
	}
	tests := []struct {
		name  string
		first *bridgev1.ConnectRequest
		code  codes.Code
		msg   string
	}{
		{"newer protocol version", mod(func(r *bridgev1.Register) { r.ProtocolVersion = 2 }), codes.FailedPrecondition,
			"bridge protocol version 2 is not supported: this sidecar speaks version 1"},
		{"missing protocol version", mod(func(r *bridgev1.Register) { r.ProtocolVersion = 0 }), codes.InvalidArgument,
			"register.protocol_version is required; this sidecar speaks bridge protocol version 1"},
		{"missing identity", mod(func(r *bridgev1.Register) { r.Identity = "" }), codes.InvalidArgument,
			"register.identity is required"},
		{"other task queue", mod(func(r *bridgev1.Register) { r.TaskQueue = "payments" }), codes.InvalidArgument,
			`register.task_queue "payments" does not match the sidecar's task queue "orders"`},
		{"no work", mod(func(r *bridgev1.Register) { r.Workflows, r.Activities = nil, nil }), codes.InvalidArgument,
			"the registration offers no work"},
		{"duplicate workflow", mod(func(r *bridgev1.Register) {
			r.Workflows = append(r.Workflows, &bridgev1.WorkflowRegistration{Name: "Checkout"})
		}), codes.InvalidArgument, `register.workflows lists "Checkout" twice`},
		{"empty activity name", mod(func(r *bridgev1.Register) {
			r.Activities = append(r.Activities, &bridgev1.ActivityRegistration{})
		}), codes.InvalidArgument, "register.activities[1].name is empty"},
		{"zero workflow capacity", mod(func(r *bridgev1.Register) { r.Capacity.WorkflowActivations = 0 }), codes.InvalidArgument,
			"register.capacity.workflow_activations must be at least 1 when workflow types are registered"},
		{"zero activity capacity", mod(func(r *bridgev1.Register) { r.Capacity.Activities, r.Capacity.LocalActivities = 0, 0 }), codes.InvalidArgument,
			"register.capacity.activities (or local_activities, for an app that runs its activities only as local activities) must be at least 1 when activity types are registered"},
		{"replay-only session with activities", mod(func(r *bridgev1.Register) { r.ReplayOnly = true }), codes.InvalidArgument,
			"register.replay_only: a replay-only session runs no activities or Nexus operations"},
		{"replay-only session without workflows", mod(func(r *bridgev1.Register) { r.ReplayOnly, r.Workflows = true, nil }), codes.InvalidArgument,
			"register.replay_only: a replay-only session replays workflow code; register at least one workflow type"},
		{"core messages the sidecar does not speak", mod(func(r *bridgev1.Register) { r.CoreProtocolVersion = 1 }), codes.FailedPrecondition,
			"register.core_protocol_version 1: this sidecar does not speak sdk-core's messages"},
		{"another namespace", mod(func(r *bridgev1.Register) { r.Namespace = "billing" }), codes.FailedPrecondition,
			`register.namespace "billing" is not the sidecar's namespace "default"`},
		{"deployment without build id", mod(func(r *bridgev1.Register) {
			r.Deployment = &bridgev1.WorkerDeployment{DeploymentName: "shop"}
		}), codes.InvalidArgument, "register.deployment.build_id is required: name the build of the app's code"},
		{"versioning without deployment name", mod(func(r *bridgev1.Register) {
			r.Deployment = &bridgev1.WorkerDeployment{BuildId: "1.0", UseVersioning: true}
		}), codes.InvalidArgument, "register.deployment.deployment_name is required with use_versioning"},
		{"default behavior without versioning", mod(func(r *bridgev1.Register) {
			r.Deployment = &bridgev1.WorkerDeployment{DeploymentName: "shop", BuildId: "1.0",
				DefaultVersioningBehavior: bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_PINNED}
		}), codes.InvalidArgument, "register.deployment.default_versioning_behavior VERSIONING_BEHAVIOR_PINNED needs use_versioning"},
		{"deployment name with a dot", mod(func(r *bridgev1.Register) {
			r.Deployment = &bridgev1.WorkerDeployment{DeploymentName: "shop.eu", BuildId: "1.0"}
		}), codes.InvalidArgument, `register.deployment.deployment_name "shop.eu" must not contain '.'`},
		{"completion before register", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Drain{Drain: &bridgev1.Drain{}}},
			codes.InvalidArgument, "the first message on a Connect stream must be register, got drain"},
	}
	_, conn := serve(t, Options{}, Security{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := connect(t, ctx, conn, tt.first).Recv()
			if status.Code(err) != tt.code || !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Fatalf("got %v, want %s containing %q", err, tt.code, tt.msg)
			}
		})
	}
}

// A core message on a session that registered the bridge protocol's own
// messages ends it with an error naming the message.
func TestCoreMessageOnANativeSessionEndsIt(t *testing.T) {
	_, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	if err := st.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_CoreWorkflowCompletion{CoreWorkflowCompletion: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := st.Recv()
		if err == nil {
			continue
		}
		want := "core_workflow_completion needs a session registered with core_protocol_version"
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), want) {
			t.Fatalf("stream ended with %v, want InvalidArgument containing %q", err, want)
		}
		break
	}
}

// A versioned sidecar with no default behavior refuses a workflow type
// without one, naming the type and the flag, as Temporal's SDKs refuse such a
// worker; with a behavior on every type (or a replay-only session) it accepts.
func TestVersionedSidecarRefusesWorkflowWithoutVersioningBehavior(t *testing.T) {
	_, conn := serve(t, Options{RequireVersioningBehavior: true}, Security{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pinned := bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_PINNED
	for _, tt := range []struct {
		name string
		mod  func(r *bridgev1.Register)
		msg  string
	}{
		{"registered type", func(r *bridgev1.Register) {
			r.Workflows = append(r.Workflows, &bridgev1.WorkflowRegistration{Name: "Refund", VersioningBehavior: pinned})
		}, `register.workflows[0].versioning_behavior: workflow type "Checkout" has no versioning behavior, and the sidecar runs with --use-versioning and no --default-versioning-behavior; declare one (pinned or auto-upgrade) for the type, or start the sidecar with --default-versioning-behavior`},
		{"dynamic workflow", func(r *bridgev1.Register) {
			r.Workflows[0].VersioningBehavior = pinned
			r.DynamicWorkflow = true
		}, "register.dynamic_workflow_versioning_behavior: the dynamic workflow has no versioning behavior"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := validRegister()
			tt.mod(r)
			_, err := connect(t, ctx, conn, register(r)).Recv()
			if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), tt.msg) {
				t.Fatalf("got %v, want FailedPrecondition containing %q", err, tt.msg)
			}
		})
	}
	r := validRegister()
	r.Workflows[0].VersioningBehavior = bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_AUTO_UPGRADE
	r.DynamicWorkflow, r.DynamicWorkflowVersioningBehavior = true, pinned
	if _, reg := registered(t, conn, r); reg == nil {
		t.Fatal("a registration with a behavior on every workflow was refused")
	}
	if _, reg := registered(t, conn, &bridgev1.Register{ProtocolVersion: ProtocolVersion, Identity: "1@replayer",
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Checkout"}}, ReplayOnly: true,
		Capacity: &bridgev1.Capacity{WorkflowActivations: 1}}); reg == nil {
		t.Fatal("a replay-only registration was refused: replay sends no completion to the server")
	}
}

func TestSilentAppIsDisconnectedAfterRegisterTimeout(t *testing.T) {
	_, conn := serve(t, Options{RegisterTimeout: 100 * time.Millisecond}, Security{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := connect(t, ctx, conn, nil).Recv()
	if status.Code(err) != codes.DeadlineExceeded || !strings.Contains(err.Error(), "no register message within 100ms") {
		t.Fatalf("got %v", err)
	}
}

func TestSecondRegisterEndsStream(t *testing.T) {
	_, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	if err := st.Send(register(validRegister())); err != nil {
		t.Fatal(err)
	}
	_, err := st.Recv()
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "register was already received") {
		t.Fatalf("got %v", err)
	}
}

func TestCompletionForUnknownTaskGetsCompletionError(t *testing.T) {
	_, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	tests := []struct {
		name string
		m    *bridgev1.ConnectRequest
		want string
	}{
		{"workflow", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{
			WorkflowCompletion: &bridgev1.WorkflowActivationCompletion{RunId: "r1"}}},
			`no workflow activation for run "r1" is outstanding`},
		{"activity", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{
			ActivityCompletion: &bridgev1.ActivityTaskCompletion{TaskToken: []byte("t")}}},
			"no activity task with this task_token is outstanding"},
		{"heartbeat", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityHeartbeat{
			ActivityHeartbeat: &bridgev1.ActivityHeartbeat{TaskToken: []byte("t")}}},
			"no running activity with this task_token"},
		{"nexus", &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_NexusCompletion{
			NexusCompletion: &bridgev1.NexusTaskCompletion{TaskToken: []byte("t")}}},
			"no Nexus task with this task_token is outstanding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := st.Send(tt.m); err != nil {
				t.Fatal(err)
			}
			m, err := st.Recv()
			if err != nil {
				t.Fatal(err)
			}
			ce := m.GetCompletionError()
			if ce.GetKind() != bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_UNKNOWN_TASK || !strings.Contains(ce.GetMessage(), tt.want) {
				t.Fatalf("got %v, want unknown task %q", m, tt.want)
			}
		})
	}
}

// waitSessions waits until the server has n sessions.
func waitSessions(t *testing.T, srv *Server, n int) []*Session {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		ch := srv.Changed()
		if ss := srv.Sessions(); len(ss) == n {
			return ss
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("sessions = %d, want %d", len(srv.Sessions()), n)
		}
	}
}

func TestPickHonoursCreditsAndTypes(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	registered(t, conn, validRegister()) // 3 activity credits
	waitSessions(t, srv, 1)

	if s := srv.Pick(task.Activity, "Refund"); s != nil {
		t.Fatal("picked a session for an activity type nobody registered")
	}
	var got []*Session
	for range 3 {
		s := srv.Pick(task.Activity, "Charge")
		if s == nil {
			t.Fatalf("no session after %d picks, want 3 credits", len(got))
		}
		got = append(got, s)
	}
	if s := srv.Pick(task.Activity, "Charge"); s != nil {
		t.Fatal("picked beyond the offered capacity")
	}
	got[0].Release(task.Activity)
	if s := srv.Pick(task.Activity, "Charge"); s == nil {
		t.Fatal("a released credit was not reusable")
	}
	if n := got[0].Outstanding(task.Activity); n != 3 {
		t.Fatalf("outstanding = %d, want 3", n)
	}
}

func TestPickPrefersSessionWithMostFreeCredits(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	small := validRegister()
	small.Identity, small.Capacity.Activities = "small", 1
	big := validRegister()
	big.Identity, big.Capacity.Activities = "big", 5
	registered(t, conn, small)
	registered(t, conn, big)
	waitSessions(t, srv, 2)
	for i := range 4 {
		if s := srv.Pick(task.Activity, "Charge"); s.Identity() != "big" {
			t.Fatalf("pick %d went to %s with fewer free credits", i, s.Identity())
		}
	}
	// Now both have one free credit; both must be used before exhaustion.
	seen := map[string]bool{}
	for range 2 {
		seen[srv.Pick(task.Activity, "Charge").Identity()] = true
	}
	if !seen["big"] || !seen["small"] || srv.Pick(task.Activity, "Charge") != nil {
		t.Fatalf("last credits went to %v", seen)
	}
}

func TestReplayOnlySessionIsNeverPickedNorPolledFor(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	r := validRegister()
	// A Replayer need not know the task queue.
	r.ReplayOnly, r.Activities, r.TaskQueue, r.Capacity.Activities = true, nil, "", 0
	registered(t, conn, r)
	waitSessions(t, srv, 1)
	if s := srv.Pick(task.Workflow, "Checkout"); s != nil {
		t.Fatal("picked a replay-only session for a task from the server")
	}
	if srv.TryAcquire(task.Workflow) {
		t.Fatal("a replay-only session's capacity was claimed for a poll")
	}
	if s := srv.Sessions(); len(s) != 1 || !s[0].ReplayOnly() || s[0].Free(task.Workflow) != 2 {
		t.Fatalf("sessions = %v, want the replay-only one with its 2 credits for its own replays", s)
	}
}

func TestDisconnectedSessionIsNeverPicked(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	waitSessions(t, srv, 1)
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("stream end = %v, want EOF", err)
	}
	waitSessions(t, srv, 0)
	if s := srv.Pick(task.Workflow, "Checkout"); s != nil {
		t.Fatal("picked a closed session")
	}
}

func TestCapacityUpdateChangesCredits(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	ss := waitSessions(t, srv, 1)[0]
	ch := srv.Changed()
	if err := st.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Capacity{Capacity: &bridgev1.Capacity{
		WorkflowActivations: 7, Activities: 9, LocalActivities: 1}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("capacity change not applied")
	}
	if ss.Free(task.Activity) != 9 || ss.Free(task.Workflow) != 7 {
		t.Fatalf("free = %d activities, %d workflows", ss.Free(task.Activity), ss.Free(task.Workflow))
	}

	// Local activities alone keep the session's activity types served;
	// neither is refused, with the same words as at registration.
	ch = srv.Changed()
	if err := st.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Capacity{Capacity: &bridgev1.Capacity{
		WorkflowActivations: 1, LocalActivities: 1}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("capacity change not applied")
	}
	if ss.Free(task.Activity) != 0 || ss.Free(task.LocalActivity) != 1 {
		t.Fatalf("free = %d activities, %d local activities; want 0 and 1", ss.Free(task.Activity), ss.Free(task.LocalActivity))
	}
	if err := st.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Capacity{Capacity: &bridgev1.Capacity{
		WorkflowActivations: 1}}}); err != nil {
		t.Fatal(err)
	}
	_, err := st.Recv()
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(),
		"capacity.activities (or local_activities, for an app that runs its activities only as local activities) must be at least 1 when activity types are registered; send drain to stop receiving work") {
		t.Fatalf("got %v", err)
	}
}

func TestDrainAnswersDrainedOnceNothingIsOutstanding(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	waitSessions(t, srv, 1)
	ss := srv.Pick(task.Activity, "Charge")
	if err := st.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Drain{Drain: &bridgev1.Drain{}}}); err != nil {
		t.Fatal(err)
	}
	// A draining session takes no new work.
	deadline := time.Now().Add(10 * time.Second)
	for ss.Free(task.Workflow) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("drain not applied")
		}
		time.Sleep(time.Millisecond)
	}
	if srv.Pick(task.Workflow, "Checkout") != nil {
		t.Fatal("picked a draining session")
	}
	ss.Release(task.Activity)
	m, err := st.Recv()
	if err != nil || m.GetDrained() == nil {
		t.Fatalf("got %v, %v; want drained", m, err)
	}
}

// A workflow task in progress on a run the session holds (Hold), between
// activations while its local activities run, keeps a draining session from
// being Drained until the task is answered: the app still gets the
// activation resolving them.
func TestDrainWaitsForTheWorkflowTasksTheSessionHolds(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	waitSessions(t, srv, 1)
	ss := srv.Pick(task.Activity, "Charge")
	ss.Hold()
	if err := st.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Drain{Drain: &bridgev1.Drain{}}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !ss.Draining() {
		if time.Now().After(deadline) {
			t.Fatal("drain not applied")
		}
		time.Sleep(time.Millisecond)
	}
	ss.Release(task.Activity) // the local activity answered: nothing outstanding, the task still open
	if err := srv.ReserveOn(context.Background(), task.Workflow, ss); err != nil {
		t.Fatalf("the activation resolving it: %v", err)
	}
	want := &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_WorkflowActivation{WorkflowActivation: &bridgev1.WorkflowActivation{RunId: "r"}}}
	if err := ss.Send(want); err != nil {
		t.Fatal(err)
	}
	ss.Release(task.Workflow)
	if m, err := st.Recv(); err != nil || m.GetWorkflowActivation().GetRunId() != "r" {
		t.Fatalf("got %v, %v; want the activation, not drained", m, err)
	}
	ss.Unhold() // the task was answered
	if m, err := st.Recv(); err != nil || m.GetDrained() == nil {
		t.Fatalf("got %v, %v; want drained", m, err)
	}
}

func TestShutdownNotifiesAndWaitsForOutstandingWork(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	st, _ := registered(t, conn, validRegister())
	waitSessions(t, srv, 1)
	ss := srv.Pick(task.Workflow, "Checkout")

	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(context.Background(), 5*time.Second) }()
	m, err := st.Recv()
	if err != nil || m.GetShutdown().GetGracePeriod().AsDuration() != 5*time.Second {
		t.Fatalf("got %v, %v; want shutdown notice with 5s grace", m, err)
	}
	select {
	case err := <-done:
		t.Fatalf("shutdown returned %v with work outstanding", err)
	default:
	}
	ss.Release(task.Workflow)
	if m, err := st.Recv(); err != nil || m.GetDrained() == nil {
		t.Fatalf("got %v, %v; want drained", m, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	resp, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("health after shutdown = %v, %v", resp, err)
	}
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	registered(t, conn, validRegister())
	waitSessions(t, srv, 1)
	srv.Pick(task.Workflow, "Checkout")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx, time.Second); err != context.DeadlineExceeded {
		t.Fatalf("shutdown = %v, want deadline exceeded", err)
	}
}

func TestHealthServesBridgeService(t *testing.T) {
	_, conn := serve(t, Options{}, Security{})
	h := healthpb.NewHealthClient(conn)
	for _, svc := range []string{"", bridgev1.BridgeService_ServiceDesc.ServiceName} {
		resp, err := h.Check(context.Background(), &healthpb.HealthCheckRequest{Service: svc})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("health %q = %v, %v", svc, resp, err)
		}
	}
}

func TestTokenIsRequiredWhenSet(t *testing.T) {
	_, conn := serve(t, Options{}, Security{Token: "s3cret"})
	tests := []struct {
		name string
		md   metadata.MD
		want string
	}{
		{"missing", nil, `the bridge requires a token: send metadata "authorization: Bearer <token>"`},
		{"wrong", metadata.Pairs("authorization", "Bearer nope"), "the bridge token is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := metadata.NewOutgoingContext(context.Background(), tt.md)
			_, err := registered2(ctx, conn)
			if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	ctx := metadata.NewOutgoingContext(context.Background(), metadata.Pairs("authorization", "Bearer s3cret"))
	if m, err := registered2(ctx, conn); err != nil || m.GetRegistered() == nil {
		t.Fatalf("with the right token: %v, %v", m, err)
	}
}

func registered2(ctx context.Context, conn *grpc.ClientConn) (*bridgev1.ConnectResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := bridgev1.NewBridgeServiceClient(conn).Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.Send(register(validRegister())); err != nil && err != io.EOF {
		return nil, err
	}
	return st.Recv()
}

func TestNewSessionsAreRefusedDuringShutdown(t *testing.T) {
	srv, conn := serve(t, Options{}, Security{})
	if err := srv.Shutdown(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	_, err := registered2(context.Background(), conn)
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "the sidecar is shutting down") {
		t.Fatalf("got %v, want unavailable", err)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) { devserver.Main(m, devserver.Options{}) }

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the sidecar once per test run: the tests drive the real
// process, as a pod would.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sidecar-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sidecar")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running sidecar process.
type proc struct {
	cmd    *exec.Cmd
	socket string
	stderr *syncBuffer
	exited chan struct{}
	err    error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the sidecar with args; env holds extra KEY=VALUE pairs. The
// process sees none of the developer's TEMPORAL_* or SIDECAR_* variables
// and no default env-config file, so only what the test sets applies.
func start(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{socket: filepath.Join(t.TempDir(), "bridge.sock"), stderr: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(binary(t), append([]string{"--bridge-listen", "unix:" + p.socket, "--http-listen", ""}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEMPORAL_") && !strings.HasPrefix(kv, "SIDECAR_") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, "XDG_CONFIG_HOME="+t.TempDir())
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("sidecar stderr:\n%s", p.stderr.String())
		}
	})
	return p
}

// startReady starts a sidecar against the shared dev server and waits until
// its bridge answers health checks.
func startReady(t *testing.T, queue string, args ...string) (*proc, *grpc.ClientConn) {
	t.Helper()
	srv := devserver.Shared(t)
	p := start(t, nil, append([]string{"--address", srv.Address(), "--namespace", srv.Namespace(), "--task-queue", queue}, args...)...)
	return p, serving(t, p)
}

// serving waits until the bridge of p answers health checks and returns a
// connection to it.
func serving(t *testing.T, p *proc) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("unix://"+p.socket, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := healthpb.NewHealthClient(conn)
	for {
		resp, err := h.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true))
		if err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return conn
		}
		select {
		case <-p.exited:
			t.Fatalf("sidecar exited before serving: %v\n%s", p.err, p.stderr.String())
		case <-ctx.Done():
			t.Fatalf("bridge not serving: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("sidecar did not exit; stderr:\n%s", p.stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

func register(queue string, version uint32) *bridgev1.ConnectRequest {
	return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Register{Register: &bridgev1.Register{
		ProtocolVersion: version,
		Identity:        "test@host",
		SdkName:         "go-test",
		TaskQueue:       queue,
		Activities:      []*bridgev1.ActivityRegistration{{Name: "Echo"}},
		Capacity:        &bridgev1.Capacity{Activities: 4, LocalActivities: 4},
	}}}
}

func connect(t *testing.T, conn *grpc.ClientConn, first *bridgev1.ConnectRequest) grpc.BidiStreamingClient[bridgev1.ConnectRequest, bridgev1.ConnectResponse] {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	st, err := bridgev1.NewBridgeServiceClient(conn).Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// io.EOF means the sidecar already ended the stream (it refused the
	// call); Recv reports why.
	if err := st.Send(first); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return st
}

func TestAppRegistersWithRealSidecar(t *testing.T) {
	queue := devserver.TaskQueue(t)
	p, conn := startReady(t, queue)
	m, err := connect(t, conn, register(queue, 1)).Recv()
	if err != nil {
		t.Fatal(err)
	}
	r := m.GetRegistered()
	if r == nil || r.GetNamespace() != "default" || r.GetTaskQueue() != queue || r.GetProtocolVersion() != 1 {
		t.Fatalf("registered = %v", m)
	}
	if r.GetCapabilities().GetServerVersion() == "" {
		t.Error("registered carries no server version from GetSystemInfo")
	}
	// All of these work against the dev server; the reply must say so.
	if c := r.GetCapabilities(); !c.GetLocalActivities() || !c.GetNexus() || !c.GetUpdates() ||
		!c.GetStickyExecution() || !c.GetEagerActivities() || !c.GetClientService() || !c.GetReplay() {
		t.Errorf("capabilities = %v, want local activities, Nexus, updates, sticky, eager, client service and replay", c)
	}
	if r.GetLimits().GetMaxConcurrent().GetActivities() != 200 {
		t.Errorf("limits = %v, want default max concurrent activities 200", r.GetLimits())
	}
	fi, err := os.Stat(p.socket)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %o, want 600", fi.Mode().Perm())
	}
}

// A task-queue rate limit turns eager activities off (as sdk-core does),
// and the registration reply says so.
func TestTaskQueueRateLimitTurnsEagerActivitiesOff(t *testing.T) {
	queue := devserver.TaskQueue(t)
	_, conn := startReady(t, queue, "--task-queue-activities-per-second", "5")
	m, err := connect(t, conn, register(queue, 1)).Recv()
	if err != nil {
		t.Fatal(err)
	}
	if c := m.GetRegistered().GetCapabilities(); c == nil || c.GetEagerActivities() {
		t.Fatalf("capabilities = %v, want eager activities off", c)
	}
}

func TestWrongProtocolVersionIsRefusedClearly(t *testing.T) {
	queue := devserver.TaskQueue(t)
	_, conn := startReady(t, queue)
	_, err := connect(t, conn, register(queue, 7)).Recv()
	if status.Code(err) != codes.FailedPrecondition ||
		!strings.Contains(err.Error(), "bridge protocol version 7 is not supported: this sidecar speaks version 1") {
		t.Fatalf("got %v", err)
	}
}

func TestStartupFailuresExitWithClearErrors(t *testing.T) {
	srv := devserver.Shared(t)
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unreachable frontend", nil,
			[]string{"--address", "127.0.0.1:1", "--task-queue", "q", "--connect-timeout", "3s"},
			exitFrontend, "cannot reach Temporal frontend at 127.0.0.1:1"},
		{"unknown namespace", nil,
			[]string{"--address", srv.Address(), "--namespace", "no-such-namespace", "--task-queue", "q"},
			exitFrontend, `namespace "no-such-namespace" not found`},
		{"one queue and patterns", nil,
			[]string{"--address", srv.Address(), "--task-queue", "q", "--task-queues", "q-*"},
			exitConfig, "--task-queue (SIDECAR_TASK_QUEUE) and --task-queues (SIDECAR_TASK_QUEUES) exclude each other"},
		{"bad env value names the variable", []string{"SIDECAR_MAX_CACHED_WORKFLOWS=lots"},
			[]string{"--address", srv.Address(), "--task-queue", "q"},
			exitConfig, "SIDECAR_MAX_CACHED_WORKFLOWS"},
		{"named env-config file missing", []string{"TEMPORAL_CONFIG_FILE=/nonexistent/temporal.toml"},
			[]string{"--address", srv.Address(), "--task-queue", "q"},
			exitConfig, `cannot read --config-file (TEMPORAL_CONFIG_FILE) "/nonexistent/temporal.toml": no such file or directory`},
		{"profile not in the env-config file", nil,
			[]string{"--config-file", "testdata/temporal.toml", "--profile", "staging", "--task-queue", "q"},
			exitConfig, `cannot use --profile (TEMPORAL_PROFILE) "staging": --config-file (TEMPORAL_CONFIG_FILE) "testdata/temporal.toml" has no such profile, only broken, default`},
		{"invalid value in the profile names file and line", []string{"TEMPORAL_PROFILE=broken", "TEMPORAL_CONFIG_FILE=testdata/temporal.toml"},
			[]string{"--task-queue", "q"},
			exitConfig, `invalid value "localhost" for --address (address of profile "broken", testdata/temporal.toml line 6): must be host:port or a gRPC target such as dns:///host:port`},
		{"public bridge address without security", nil,
			[]string{"--address", srv.Address(), "--task-queue", "q", "--bridge-listen", "0.0.0.0:7777"},
			exitConfig, "--bridge-listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.env, tt.args...)
			if code := p.wait(t); code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.code, p.stderr.String())
			}
			if !strings.Contains(p.stderr.String(), tt.want) {
				t.Fatalf("stderr does not contain %q:\n%s", tt.want, p.stderr.String())
			}
		})
	}
}

func TestSIGTERMNotifiesAppsAndExitsZero(t *testing.T) {
	queue := devserver.TaskQueue(t)
	p, conn := startReady(t, queue, "--graceful-shutdown-timeout", "7s")
	st := connect(t, conn, register(queue, 1))
	if m, err := st.Recv(); err != nil || m.GetRegistered() == nil {
		t.Fatalf("register: %v %v", m, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	m, err := st.Recv()
	if err != nil || m.GetShutdown().GetGracePeriod().AsDuration() != 7*time.Second {
		t.Fatalf("got %v, %v; want a shutdown notice with 7s grace", m, err)
	}
	if m, err := st.Recv(); err != nil || m.GetDrained() == nil {
		t.Fatalf("got %v, %v; want drained", m, err)
	}
	if err := st.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, p.stderr.String())
	}
}

func TestHelpListsGroupedOptions(t *testing.T) {
	p := start(t, nil, "--help")
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	var out bytes.Buffer
	if code := run([]string{"--help"}, nil, &out, &out, nil); code != exitOK {
		t.Fatalf("run --help = %d", code)
	}
	for _, want := range []string{"Frontend", "Worker", "Bridge", "TEMPORAL_ADDRESS", "--task-queue"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// Echo runs the activity "Echo" on the sidecar's queue.
func Echo(ctx workflow.Context, s string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	var out string
	err := workflow.ExecuteActivity(ctx, "Echo", s).Get(ctx, &out)
	return out, err
}

// activityInFlight starts a sidecar, an app and a workflow, and returns once
// the app holds the workflow's activity task.
func activityInFlight(t *testing.T, args ...string) (*proc, grpc.BidiStreamingClient[bridgev1.ConnectRequest, bridgev1.ConnectResponse], *bridgev1.ActivityTask, client.WorkflowRun) {
	t.Helper()
	queue := devserver.TaskQueue(t)
	p, conn := startReady(t, queue, args...)
	st := connect(t, conn, register(queue, 1))
	if m, err := st.Recv(); err != nil || m.GetRegistered() == nil {
		t.Fatalf("register: %v %v", m, err)
	}
	srv := devserver.Shared(t)
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	w := sdkworker.New(c, queue, sdkworker.Options{LocalActivityWorkerOnly: true})
	w.RegisterWorkflow(Echo)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	run, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{TaskQueue: queue}, Echo, "drained")
	if err != nil {
		t.Fatal(err)
	}
	m, err := st.Recv()
	if err != nil || m.GetActivityTask().GetStart() == nil {
		t.Fatalf("got %v, %v; want an activity task", m, err)
	}
	return p, st, m.GetActivityTask(), run
}

func TestSIGTERMDrainsInFlightActivityThenExitsZero(t *testing.T) {
	p, st, task, run := activityInFlight(t, "--graceful-shutdown-timeout", "30s")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if m, err := st.Recv(); err != nil || m.GetShutdown() == nil {
		t.Fatalf("got %v, %v; want a shutdown notice", m, err)
	}
	// The app finishes the task it holds; the sidecar reports it and drains.
	err := st.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{ActivityCompletion: &bridgev1.ActivityTaskCompletion{
		TaskToken: task.GetTaskToken(), Result: &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Completed{
			Completed: &bridgev1.ActivityExecutionCompleted{Result: task.GetStart().GetInput()[0]}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := st.Recv(); err != nil || m.GetDrained() == nil {
		t.Fatalf("got %v, %v; want drained", m, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out string
	if err := run.Get(ctx, &out); err != nil || out != "drained" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	_ = st.CloseSend()
	if code := p.wait(t); code != exitOK {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func TestSecondSignalForcesExit(t *testing.T) {
	p, st, _, _ := activityInFlight(t, "--graceful-shutdown-timeout", "5m")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if m, err := st.Recv(); err != nil || m.GetShutdown() == nil {
		t.Fatalf("got %v, %v; want a shutdown notice", m, err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != exitFailure {
		t.Fatalf("exit code %d, want %d for a forced exit", code, exitFailure)
	}
	if !strings.Contains(p.stderr.String(), "second signal") {
		t.Fatalf("stderr does not explain the forced exit:\n%s", p.stderr.String())
	}
}

type quiet struct{}

func (quiet) Debug(string, ...interface{}) {}
func (quiet) Info(string, ...interface{})  {}
func (quiet) Warn(string, ...interface{})  {}
func (quiet) Error(string, ...interface{}) {}

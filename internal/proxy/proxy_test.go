package proxy

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/errordetails/v1"
	"go.temporal.io/api/operatorservice/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	sdkclient "go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/client"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"github.com/temporal-sidecar/sidecar/internal/frontend"
)

// other is a namespace that exists on the server but is not the sidecar's,
// so a refusal is the proxy's and not the server's NotFound.
const other = "other"

func TestMain(m *testing.M) { devserver.Main(m, devserver.Options{Namespaces: []string{other}}) }

// env is a bridge server on loopback TCP serving the proxy and, beside it,
// the ClientService, in front of the shared dev server's "default" namespace.
type env struct {
	addr string // the bridge
	conn *grpc.ClientConn
	ws   workflowservice.WorkflowServiceClient // through the proxy
	srv  *devserver.Server
}

func newEnv(t *testing.T) *env { return newEnvWith(t, func(*Proxy) {}) }

// newEnvWith is newEnv with mod applied to the proxy.
func newEnvWith(t *testing.T, mod func(*Proxy)) *env {
	t.Helper()
	srv := devserver.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fe, err := frontend.Dial(ctx, config.Frontend{Address: srv.Address(), Namespace: srv.Namespace(), ConnectTimeout: time.Minute}, "proxy-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fe.Close() })
	g := bridge.NewGRPCServer(bridge.Security{}, 128<<20)
	p := New(fe, srv.Namespace())
	mod(p)
	p.Register(g)
	client.New(client.Options{Service: fe.WorkflowService(), Namespace: srv.Namespace(), TaskQueue: "unused", Identity: "proxy-test"}).Register(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &env{addr: lis.Addr().String(), conn: conn, ws: workflowservice.NewWorkflowServiceClient(conn), srv: srv}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// startOpen starts a workflow that no worker serves, directly on the
// server, and returns its id.
func startOpen(t *testing.T, srv *devserver.Server) string {
	t.Helper()
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	id := strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000000")
	if _, err := c.ExecuteWorkflow(ctx(t), sdkclient.StartWorkflowOptions{ID: id, TaskQueue: devserver.TaskQueue(t)}, "Unserved"); err != nil {
		t.Fatal(err)
	}
	return id
}

// cli finds the temporal CLI as the devserver package does: $TEMPORAL_CLI,
// the repository's bin/, then $PATH.
func cli(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TEMPORAL_CLI"); p != "" {
		return p
	}
	if p, err := filepath.Abs("../../bin/temporal"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("temporal")
	if err != nil {
		t.Fatalf("temporal CLI not found (set $TEMPORAL_CLI or run %s)", devserver.Install)
	}
	return p
}

// run runs the CLI against the bridge, ignoring the developer's CLI config.
func (e *env) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	args = append(args, "--address", e.addr, "--disable-config-file", "--disable-config-env", "--color", "never")
	cmd := exec.CommandContext(ctx(t), cli(t), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func TestTemporalCLIWorksThroughTheProxy(t *testing.T) {
	e := newEnv(t)
	id := startOpen(t, e.srv)

	t.Run("workflow list", func(t *testing.T) {
		// Visibility is eventually consistent: wait until the server lists
		// the new workflow, then ask the CLI.
		eventually(t, "the server lists "+id, func() bool {
			r, err := e.ws.ListWorkflowExecutions(ctx(t), &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowId = '" + id + "'"})
			return err == nil && len(r.GetExecutions()) == 1
		})
		out, errOut, err := e.run(t, "workflow", "list")
		if err != nil {
			t.Fatalf("temporal workflow list: %v\n%s%s", err, out, errOut)
		}
		if !strings.Contains(out, id) {
			t.Errorf("temporal workflow list does not show %s:\n%s", id, out)
		}
	})
	t.Run("workflow describe", func(t *testing.T) {
		out, errOut, err := e.run(t, "workflow", "describe", "-w", id)
		if err != nil {
			t.Fatalf("temporal workflow describe: %v\n%s%s", err, out, errOut)
		}
		for _, want := range []string{id, "Unserved", "default"} {
			if !strings.Contains(out, want) {
				t.Errorf("describe output does not show %q:\n%s", want, out)
			}
		}
	})
	t.Run("another namespace is refused", func(t *testing.T) {
		out, errOut, err := e.run(t, "workflow", "list", "--namespace", other)
		if err == nil {
			t.Fatalf("temporal workflow list --namespace %s succeeded:\n%s", other, out)
		}
		// The CLI logs the message with its quotes escaped.
		for _, want := range []string{"proxy of Temporal's API serves namespace", "ListWorkflowExecutions request is for namespace"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr does not say %q:\n%s", want, errOut)
			}
		}
	})
}

func TestRequestsAreConfinedToTheSidecarsNamespace(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		call func(context.Context) error
		code codes.Code
		msg  []string
	}{{
		name: "the sidecar's namespace passes",
		call: func(c context.Context) error {
			r, err := e.ws.DescribeNamespace(c, &workflowservice.DescribeNamespaceRequest{Namespace: "default"})
			return wantNamespace(r, err, "default")
		},
	}, {
		name: "an empty namespace means the sidecar's",
		call: func(c context.Context) error {
			r, err := e.ws.DescribeNamespace(c, &workflowservice.DescribeNamespaceRequest{})
			return wantNamespace(r, err, "default")
		},
	}, {
		name: "another namespace is PermissionDenied",
		call: func(c context.Context) error {
			_, err := e.ws.DescribeNamespace(c, &workflowservice.DescribeNamespaceRequest{Namespace: other})
			return err
		},
		code: codes.PermissionDenied,
		msg:  []string{`serves namespace "default" only`, `DescribeNamespace request is for namespace "other"`},
	}, {
		name: "another namespace in a workflow call is PermissionDenied",
		call: func(c context.Context) error {
			_, err := e.ws.ListWorkflowExecutions(c, &workflowservice.ListWorkflowExecutionsRequest{Namespace: other})
			return err
		},
		code: codes.PermissionDenied,
		msg:  []string{`namespace "other"`},
	}, {
		name: "the namespace field is found wherever the request keeps it",
		call: func(c context.Context) error {
			// Field 4 here, not 1.
			_, err := e.ws.RespondActivityTaskCompleted(c, &workflowservice.RespondActivityTaskCompletedRequest{Namespace: other, TaskToken: []byte("t")})
			return err
		},
		code: codes.PermissionDenied,
		msg:  []string{`namespace "other"`},
	}, {
		name: "listing every namespace is PermissionDenied",
		call: func(c context.Context) error {
			_, err := e.ws.ListNamespaces(c, &workflowservice.ListNamespacesRequest{})
			return err
		},
		code: codes.PermissionDenied,
		msg:  []string{"ListNamespaces is not confined to one namespace"},
	}, {
		name: "server-wide information passes",
		call: func(c context.Context) error {
			r, err := e.ws.GetSystemInfo(c, &workflowservice.GetSystemInfoRequest{})
			if err == nil && r.GetServerVersion() == "" {
				return status.Error(codes.Internal, "GetSystemInfo answered no server version")
			}
			return err
		},
	}, {
		name: "a malformed request is InvalidArgument",
		call: func(c context.Context) error {
			return e.conn.Invoke(c, "/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace", &frame{b: []byte{0x0a, 0x05, 'd'}}, new(frame))
		},
		code: codes.InvalidArgument,
		msg:  []string{"DescribeNamespace request is not a valid protobuf message"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(ctx(t))
			st := status.Convert(err)
			if st.Code() != tc.code {
				t.Fatalf("got %v, want %v", err, tc.code)
			}
			for _, m := range tc.msg {
				if !strings.Contains(st.Message(), m) {
					t.Errorf("message %q does not mention %q", st.Message(), m)
				}
			}
		})
	}
}

func wantNamespace(r *workflowservice.DescribeNamespaceResponse, err error, name string) error {
	if err == nil && r.GetNamespaceInfo().GetName() != name {
		return status.Errorf(codes.Internal, "described namespace %q, want %q", r.GetNamespaceInfo().GetName(), name)
	}
	return err
}

func TestServerErrorsPassThroughWithTheirDetails(t *testing.T) {
	e := newEnv(t)
	start := &workflowservice.StartWorkflowExecutionRequest{
		WorkflowId:   "dup-" + time.Now().Format("150405.000000000"),
		WorkflowType: &commonpb.WorkflowType{Name: "Unserved"},
		TaskQueue:    &taskqueuepb.TaskQueue{Name: devserver.TaskQueue(t)},
		RequestId:    "first",
	}
	first, err := e.ws.StartWorkflowExecution(ctx(t), start)
	if err != nil {
		t.Fatal(err)
	}
	start.RequestId = "second"
	_, err = e.ws.StartWorkflowExecution(ctx(t), start)
	st := status.Convert(err)
	if st.Code() != codes.AlreadyExists {
		t.Fatalf("got %v, want AlreadyExists", err)
	}
	var found bool
	for _, d := range st.Details() {
		if f, ok := d.(*errordetails.WorkflowExecutionAlreadyStartedFailure); ok && f.GetRunId() == first.GetRunId() {
			found = true
		}
	}
	if !found {
		t.Errorf("details %v, want the server's WorkflowExecutionAlreadyStartedFailure for run %s", st.Details(), first.GetRunId())
	}
}

// Greet answers queries and updates and returns a greeting.
func Greet(ctx workflow.Context, name string) (string, error) {
	greeting := "hello"
	if err := workflow.SetQueryHandler(ctx, "greeting", func() (string, error) { return greeting, nil }); err != nil {
		return "", err
	}
	if err := workflow.SetUpdateHandler(ctx, "set", func(ctx workflow.Context, g string) (string, error) {
		greeting = g
		return "set", nil
	}); err != nil {
		return "", err
	}
	workflow.GetSignalChannel(ctx, "go").Receive(ctx, nil)
	return greeting + " " + name, nil
}

func TestGoSDKClientWorksThroughTheProxy(t *testing.T) {
	e := newEnv(t)
	tq := devserver.TaskQueue(t)
	// The worker talks to the server directly; the client only through the bridge.
	direct, err := sdkclient.Dial(sdkclient.Options{HostPort: e.srv.Address(), Namespace: e.srv.Namespace(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(direct.Close)
	w := sdkworker.New(direct, tq, sdkworker.Options{})
	w.RegisterWorkflow(Greet)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	// No namespace: the SDK's default, "default", is the sidecar's.
	c, err := sdkclient.Dial(sdkclient.Options{HostPort: e.addr, Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	run, err := c.ExecuteWorkflow(ctx(t), sdkclient.StartWorkflowOptions{ID: "greet-" + tq, TaskQueue: tq}, Greet, "proxy")
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.UpdateWorkflow(ctx(t), sdkclient.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), UpdateName: "set", Args: []any{"hi"}, WaitForStage: sdkclient.WorkflowUpdateStageCompleted})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Get(ctx(t), nil); err != nil {
		t.Fatal(err)
	}
	v, err := c.QueryWorkflow(ctx(t), run.GetID(), "", "greeting")
	if err != nil {
		t.Fatal(err)
	}
	var g string
	if err := v.Get(&g); err != nil || g != "hi" {
		t.Fatalf("query answered %q, %v; want hi", g, err)
	}
	if err := c.SignalWorkflow(ctx(t), run.GetID(), "", "go", nil); err != nil {
		t.Fatal(err)
	}
	var out string
	if err := run.Get(ctx(t), &out); err != nil || out != "hi proxy" {
		t.Fatalf("result %q, %v; want hi proxy", out, err)
	}
}

func TestOtherServicesOnTheBridgeAreUnaffected(t *testing.T) {
	e := newEnv(t)
	id := startOpen(t, e.srv)
	// The ClientService beside the proxy still decodes its own messages.
	d, err := bridgev1.NewClientServiceClient(e.conn).DescribeWorkflow(ctx(t), &bridgev1.DescribeWorkflowRequest{
		Execution: &bridgev1.WorkflowExecution{WorkflowId: id}})
	if err != nil || d.GetExecution().GetWorkflowId() != id {
		t.Fatalf("ClientService.DescribeWorkflow = %v, %v", d, err)
	}
	// Temporal services other than WorkflowService and OperatorService are not proxied.
	_, err = healthpb.NewHealthClient(e.conn).Check(ctx(t), &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("grpc.health.v1 call: %v, want Unimplemented", err)
	}
}

// OperatorService's calls that name a namespace are served for the
// sidecar's, as SDK test helpers use them to add search attributes; the
// cluster-wide ones are refused.
func TestOperatorServiceIsConfinedToTheSidecarsNamespace(t *testing.T) {
	e := newEnv(t)
	ops := operatorservice.NewOperatorServiceClient(e.conn)
	const key = "ProxyAddedKeyword"
	if _, err := ops.AddSearchAttributes(ctx(t), &operatorservice.AddSearchAttributesRequest{Namespace: "default",
		SearchAttributes: map[string]enumspb.IndexedValueType{key: enumspb.INDEXED_VALUE_TYPE_KEYWORD}}); err != nil {
		t.Fatalf("AddSearchAttributes: %v", err)
	}
	eventually(t, "the search attribute is listed", func() bool {
		r, err := ops.ListSearchAttributes(ctx(t), &operatorservice.ListSearchAttributesRequest{})
		return err == nil && r.GetCustomAttributes()[key] == enumspb.INDEXED_VALUE_TYPE_KEYWORD
	})
	_, err := ops.ListSearchAttributes(ctx(t), &operatorservice.ListSearchAttributesRequest{Namespace: other})
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), `request is for namespace "other"`) {
		t.Errorf("ListSearchAttributes for another namespace: %v, want PermissionDenied naming it", err)
	}
	_, err = ops.ListNexusEndpoints(ctx(t), &operatorservice.ListNexusEndpointsRequest{})
	if st := status.Convert(err); st.Code() != codes.PermissionDenied || !strings.Contains(st.Message(), "ListNexusEndpoints is not confined to one namespace") {
		t.Errorf("ListNexusEndpoints: %v, want PermissionDenied", err)
	}
}

// An unconfined proxy forwards what a confined one refuses (another
// namespace, Nexus endpoints), and still fills in the sidecar's namespace
// where a request names none.
func TestUnconfinedProxyForwardsCallsBeyondTheNamespace(t *testing.T) {
	e := newEnvWith(t, func(p *Proxy) { p.Unconfined() })
	ops := operatorservice.NewOperatorServiceClient(e.conn)
	if _, err := ops.ListSearchAttributes(ctx(t), &operatorservice.ListSearchAttributesRequest{Namespace: other}); err != nil {
		t.Errorf("ListSearchAttributes for another namespace: %v", err)
	}
	if _, err := ops.ListNexusEndpoints(ctx(t), &operatorservice.ListNexusEndpointsRequest{}); err != nil {
		t.Errorf("ListNexusEndpoints: %v", err)
	}
	r, err := e.ws.DescribeNamespace(ctx(t), &workflowservice.DescribeNamespaceRequest{})
	if err != nil || r.GetNamespaceInfo().GetName() != e.srv.Namespace() {
		t.Errorf("DescribeNamespace naming none = %v, %v; want the sidecar's namespace", r.GetNamespaceInfo().GetName(), err)
	}
}

// eventually retries cond until it holds or the test's minute is up.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	c := ctx(t)
	for !cond() {
		select {
		case <-c.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

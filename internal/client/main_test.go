package client_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	sdkclient "go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/client"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"github.com/temporal-sidecar/sidecar/internal/frontend"
)

// searchAttribute is registered on the dev server for the tests.
const searchAttribute = "ClientTestKeyword"

func TestMain(m *testing.M) {
	devserver.Main(m, devserver.Options{Args: []string{"--search-attribute", searchAttribute + "=Keyword"}})
}

// env is a client service on a unix socket in front of the shared dev
// server, a bridge client of it, and a Go SDK worker serving the test
// workflows on the service's default task queue.
type env struct {
	cs  bridgev1.ClientServiceClient
	sdk sdkclient.Client
	tq  string
}

func newEnv(t *testing.T, opts client.Options) *env {
	t.Helper()
	srv := devserver.Shared(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fe, err := frontend.Dial(ctx, config.Frontend{Address: srv.Address(), Namespace: srv.Namespace(), ConnectTimeout: time.Minute}, "client-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fe.Close() })

	e := &env{tq: devserver.TaskQueue(t)}
	opts.Service, opts.Namespace, opts.TaskQueue, opts.Identity = fe.WorkflowService(), srv.Namespace(), e.tq, "client-test"
	g := bridge.NewGRPCServer(bridge.Security{}, 128<<20)
	client.New(opts).Register(g)
	// A short directory: a socket path may not exceed 108 bytes.
	dir, err := os.MkdirTemp("", "cs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "bridge.sock")
	lis, err := bridge.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	e.cs = bridgev1.NewClientServiceClient(conn)

	e.sdk, err = sdkclient.Dial(sdkclient.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.sdk.Close)
	w := sdkworker.New(e.sdk, e.tq, sdkworker.Options{})
	for _, wf := range []any{Ledger, Countdown, Fail, Async} {
		w.RegisterWorkflow(wf)
	}
	w.RegisterActivityWithOptions(Pending, activity.RegisterOptions{Name: "Pending"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return e
}

// ctx bounds one test's calls; nothing here should take a minute.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// workflowID is unique to the test and the call.
func workflowID(t *testing.T, name string) string {
	return fmt.Sprintf("%s-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), name, time.Now().UnixNano())
}

// start starts wfType with args on the env's queue and returns the run id.
func (e *env) start(t *testing.T, id, wfType string, args ...any) string {
	t.Helper()
	resp, err := e.cs.StartWorkflow(ctx(t), &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{
		WorkflowId: id, WorkflowType: wfType, Args: payloads(t, args...)}})
	if err != nil {
		t.Fatalf("StartWorkflow %s: %v", wfType, err)
	}
	return resp.GetRunId()
}

// entries queries a Ledger's entries.
func (e *env) entries(t *testing.T, id string) []string {
	t.Helper()
	resp, err := e.cs.QueryWorkflow(ctx(t), &bridgev1.QueryWorkflowRequest{
		Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, QueryType: "entries"})
	if err != nil {
		t.Fatalf("QueryWorkflow entries: %v", err)
	}
	var got []string
	decode(t, resp.GetResult().GetPayloads()[0], &got)
	return got
}

// result waits for the workflow's outcome.
func (e *env) result(t *testing.T, id, runID string) *bridgev1.GetWorkflowResultResponse {
	t.Helper()
	resp, err := e.cs.GetWorkflowResult(ctx(t), &bridgev1.GetWorkflowResultRequest{
		Execution: &bridgev1.WorkflowExecution{WorkflowId: id, RunId: runID}})
	if err != nil {
		t.Fatalf("GetWorkflowResult: %v", err)
	}
	return resp
}

// eventually retries cond until it holds or the test's minute is up; the
// server applies signals and cancellations asynchronously.
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

func payloads(t *testing.T, vs ...any) []*bridgev1.Payload {
	t.Helper()
	var out []*bridgev1.Payload
	for _, v := range vs {
		p, err := converter.GetDefaultDataConverter().ToPayload(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, apiconv.BridgePayload(p))
	}
	return out
}

func decode(t *testing.T, p *bridgev1.Payload, v any) {
	t.Helper()
	if err := converter.GetDefaultDataConverter().FromPayload(apiconv.Payload(p), v); err != nil {
		t.Fatalf("decoding %v: %v", p, err)
	}
}

// decoded is the string in a single-payload result.
func decoded(t *testing.T, ps *bridgev1.Payloads) string {
	t.Helper()
	if len(ps.GetPayloads()) != 1 {
		t.Fatalf("got %d payloads, want 1: %v", len(ps.GetPayloads()), ps)
	}
	var s string
	decode(t, ps.GetPayloads()[0], &s)
	return s
}

// wantCode fails unless err is a status with code and a message holding every part.
func wantCode(t *testing.T, err error, code codes.Code, parts ...string) *status.Status {
	t.Helper()
	st := status.Convert(err)
	if err == nil || st.Code() != code {
		t.Fatalf("got %v, want %v", err, code)
	}
	for _, p := range parts {
		if !strings.Contains(st.Message(), p) {
			t.Errorf("message %q does not mention %q", st.Message(), p)
		}
	}
	return st
}

// quiet keeps the SDK's logs out of test output.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

var _ sdklog.Logger = quiet{}

// finish signals a Ledger to return.
func (e *env) finish(t *testing.T, id string) {
	t.Helper()
	if _, err := e.cs.SignalWorkflow(ctx(t), &bridgev1.SignalWorkflowRequest{
		Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, SignalName: "finish"}); err != nil {
		t.Fatalf("SignalWorkflow finish: %v", err)
	}
}

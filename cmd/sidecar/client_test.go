package main

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

func TestClientServiceIsServedOnTheBridge(t *testing.T) {
	queue := devserver.TaskQueue(t)
	_, conn := startReady(t, queue, "--blob-size-limit", "1000")
	ctx := t.Context()

	m, err := connect(t, conn, register(queue, 1)).Recv()
	if err != nil {
		t.Fatal(err)
	}
	if !m.GetRegistered().GetCapabilities().GetClientService() {
		t.Errorf("capabilities %v do not announce the client service", m.GetRegistered().GetCapabilities())
	}

	cs := bridgev1.NewClientServiceClient(conn)
	id := "cmd-" + queue
	if _, err := cs.StartWorkflow(ctx, &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{WorkflowId: id, WorkflowType: "Unserved"}}); err != nil {
		t.Fatal(err)
	}
	d, err := cs.DescribeWorkflow(ctx, &bridgev1.DescribeWorkflowRequest{Execution: &bridgev1.WorkflowExecution{WorkflowId: id}})
	if err != nil {
		t.Fatal(err)
	}
	if d.GetTaskQueue() != queue {
		t.Errorf("started on task queue %q, want the sidecar's %q", d.GetTaskQueue(), queue)
	}

	_, err = cs.SignalWorkflow(ctx, &bridgev1.SignalWorkflowRequest{Execution: &bridgev1.WorkflowExecution{WorkflowId: id},
		SignalName: "s", Args: []*bridgev1.Payload{{Data: make([]byte, 2000)}}})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(status.Convert(err).Message(), "limit of 1000 bytes") {
		t.Errorf("a 2000-byte signal with --blob-size-limit 1000: %v, want ResourceExhausted naming the limit", err)
	}

	_, err = workflowservice.NewWorkflowServiceClient(conn).GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("WorkflowService without --workflow-service-proxy: %v, want Unimplemented", err)
	}
}

func TestWorkflowServiceProxyFlagServesWorkflowService(t *testing.T) {
	queue := devserver.TaskQueue(t)
	_, conn := startReady(t, queue, "--workflow-service-proxy")
	ws := workflowservice.NewWorkflowServiceClient(conn)
	info, err := ws.GetSystemInfo(t.Context(), &workflowservice.GetSystemInfoRequest{})
	if err != nil || info.GetServerVersion() == "" {
		t.Fatalf("GetSystemInfo through the proxy = %v, %v", info, err)
	}
	_, err = ws.DescribeNamespace(t.Context(), &workflowservice.DescribeNamespaceRequest{Namespace: "elsewhere"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("another namespace through the proxy: %v, want PermissionDenied", err)
	}
}

func TestSIGTERMEndsClientWaitsInsteadOfHoldingShutdown(t *testing.T) {
	queue := devserver.TaskQueue(t)
	// A graceful timeout longer than p.wait's deadline: exiting in time
	// shows the wait did not hold the shutdown.
	p, conn := startReady(t, queue, "--graceful-shutdown-timeout", "10m")
	cs := bridgev1.NewClientServiceClient(conn)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	id := "cmd-wait-" + queue
	// Nothing runs the workflow, so an update to it waits.
	if _, err := cs.StartWorkflow(ctx, &bridgev1.StartWorkflowRequest{Options: &bridgev1.WorkflowOptions{WorkflowId: id, WorkflowType: "Unserved"}}); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() {
		_, err := cs.UpdateWorkflow(ctx, &bridgev1.UpdateWorkflowRequest{
			Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, UpdateName: "u", UpdateId: "u1"})
		errs <- err
	}()

	// The update is in flight once the server has admitted it.
	srv := devserver.Shared(t)
	c, err := client.Dial(client.Options{HostPort: srv.Address(), Namespace: srv.Namespace(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for {
		pctx, pcancel := context.WithTimeout(ctx, time.Second)
		_, err := c.WorkflowService().PollWorkflowExecutionUpdate(pctx, &workflowservice.PollWorkflowExecutionUpdateRequest{
			Namespace:  srv.Namespace(),
			UpdateRef:  &updatepb.UpdateRef{WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: id}, UpdateId: "u1"},
			WaitPolicy: &updatepb.WaitPolicy{LifecycleStage: enumspb.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED},
		})
		pcancel()
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the update was never admitted: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if st := status.Convert(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "shutting down") {
			t.Errorf("the waiting update got %v, want Unavailable saying the sidecar is shutting down", err)
		}
	case <-ctx.Done():
		t.Fatal("the waiting update did not end")
	}
	if code := p.wait(t); code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, p.stderr.String())
	}
}

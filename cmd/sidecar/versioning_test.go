package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	deploymentpb "go.temporal.io/api/deployment/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// registerWorkflow registers one workflow type with no versioning behavior.
func registerWorkflow(queue string) *bridgev1.ConnectRequest {
	return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Register{Register: &bridgev1.Register{
		ProtocolVersion: 1, Identity: "test@host", SdkName: "go-test", TaskQueue: queue,
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Greet"}},
		Capacity:  &bridgev1.Capacity{WorkflowActivations: 4},
	}}}
}

// The versioning flags reach the worker: with no default behavior a
// versioned sidecar refuses a workflow type without one, naming the flag;
// with a default it accepts it and polls as its deployment version.
func TestVersioningFlagsReachTheWorker(t *testing.T) {
	queue := devserver.TaskQueue(t)
	deployment := strings.ReplaceAll(queue, ".", "-")
	versioned := []string{"--use-versioning", "--deployment-name", deployment, "--build-id", "v1"}

	_, conn := startReady(t, queue, versioned...)
	_, err := connect(t, conn, registerWorkflow(queue)).Recv()
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(),
		`workflow type "Greet" has no versioning behavior, and the sidecar runs with --use-versioning and no --default-versioning-behavior`) {
		t.Fatalf("register = %v, want FailedPrecondition naming the type and the flag", err)
	}

	_, conn = startReady(t, queue, append(versioned, "--default-versioning-behavior", "auto-upgrade")...)
	if m, err := connect(t, conn, registerWorkflow(queue)).Recv(); err != nil || m.GetRegistered() == nil {
		t.Fatalf("register with a default behavior: %v %v", m, err)
	}
	c, err := client.Dial(client.Options{HostPort: devserver.Shared(t).Address(), Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		d, err := c.WorkflowService().DescribeWorkerDeployment(ctx, &workflowservice.DescribeWorkerDeploymentRequest{
			Namespace: "default", DeploymentName: deployment})
		if err == nil && slices.ContainsFunc(d.GetWorkerDeploymentInfo().GetVersionSummaries(),
			func(v *deploymentpb.WorkerDeploymentInfo_WorkerDeploymentVersionSummary) bool {
				return v.GetDeploymentVersion().GetBuildId() == "v1"
			}) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deployment %q never listed version v1 (the sidecar did not poll as it): %v", deployment, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

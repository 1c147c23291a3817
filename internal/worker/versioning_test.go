package worker_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	deploymentpb "go.temporal.io/api/deployment/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
)

// workflowTaskCompleted is the first WorkflowTaskCompleted event of a run.
func workflowTaskCompleted(t *testing.T, e *env, id, runID string) *historypb.WorkflowTaskCompletedEventAttributes {
	t.Helper()
	for _, ev := range history(t, e, id, runID) {
		if a := ev.GetWorkflowTaskCompletedEventAttributes(); a != nil {
			return a
		}
	}
	t.Fatal("no WorkflowTaskCompleted event in history")
	return nil
}

// A versioned sidecar polls as its deployment version; once that version is
// current, a PINNED workflow type runs on it, and the server records the
// version and the behavior the app registered for the type.
func TestVersionedWorkerRunsPinnedWorkflowOnItsVersion(t *testing.T) {
	var deployment string
	e := newEnv(t, func(o *worker.Options) {
		deployment = strings.ReplaceAll(o.TaskQueue, ".", "-")
		o.DeploymentName, o.BuildID, o.UseVersioning = deployment, "v1", true
	})
	e.scriptedApp(&bridgev1.Register{ProtocolVersion: 1, Identity: "wfapp@" + t.Name(), SdkName: "bridgetest", TaskQueue: e.queue,
		Workflows: []*bridgev1.WorkflowRegistration{{Name: "Timer", VersioningBehavior: bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_PINNED}},
		Capacity:  &bridgev1.Capacity{WorkflowActivations: 10}}, map[string]script{"Timer": timerThenDone})

	// The version exists once the server has seen the worker poll.
	svc := e.client.WorkflowService()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		d, err := svc.DescribeWorkerDeployment(ctx, &workflowservice.DescribeWorkerDeploymentRequest{Namespace: "default", DeploymentName: deployment})
		if err == nil && slices.ContainsFunc(d.GetWorkerDeploymentInfo().GetVersionSummaries(),
			func(v *deploymentpb.WorkerDeploymentInfo_WorkerDeploymentVersionSummary) bool {
				return v.GetDeploymentVersion().GetBuildId() == "v1"
			}) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deployment %q never listed version v1: %v", deployment, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := svc.SetWorkerDeploymentCurrentVersion(ctx, &workflowservice.SetWorkerDeploymentCurrentVersionRequest{
		Namespace: "default", DeploymentName: deployment, BuildId: "v1", Identity: "test"}); err != nil {
		t.Fatal(err)
	}

	run := e.startWorkflow("Timer")
	if out, err := result(t, run); err != nil || out != "fired" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	wtc := workflowTaskCompleted(t, e, run.GetID(), run.GetRunID())
	if v := wtc.GetDeploymentVersion(); v.GetDeploymentName() != deployment || v.GetBuildId() != "v1" {
		t.Errorf("WorkflowTaskCompleted.deployment_version = %v, want %s/v1", v, deployment)
	}
	if b := wtc.GetVersioningBehavior(); b != enumspb.VERSIONING_BEHAVIOR_PINNED {
		t.Errorf("WorkflowTaskCompleted.versioning_behavior = %v, want PINNED", b)
	}
	desc, err := e.client.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatal(err)
	}
	vi := desc.GetWorkflowExecutionInfo().GetVersioningInfo()
	if vi.GetBehavior() != enumspb.VERSIONING_BEHAVIOR_PINNED || vi.GetDeploymentVersion().GetBuildId() != "v1" ||
		vi.GetDeploymentVersion().GetDeploymentName() != deployment {
		t.Errorf("versioning info = %v, want PINNED on %s/v1", vi, deployment)
	}
}

// Without versioning, a build ID is still reported, as Temporal's SDKs do.
func TestUnversionedWorkerReportsBuildID(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.BuildID = "b7" })
	e.workflowApp(map[string]script{"Timer": timerThenDone})
	run := e.startWorkflow("Timer")
	if out, err := result(t, run); err != nil || out != "fired" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
	wtc := workflowTaskCompleted(t, e, run.GetID(), run.GetRunID())
	if got := wtc.GetWorkerVersion().GetBuildId(); got != "b7" {
		t.Errorf("WorkflowTaskCompleted.worker_version = %v, want build ID b7", wtc.GetWorkerVersion())
	}
	if b := wtc.GetVersioningBehavior(); b != enumspb.VERSIONING_BEHAVIOR_UNSPECIFIED {
		t.Errorf("WorkflowTaskCompleted.versioning_behavior = %v, want UNSPECIFIED", b)
	}
}

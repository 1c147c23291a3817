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
// current, a PINNED workflow runs on it, and the server records the version
// and the run's behavior: the one the app's completion declares (as
// Temporal's SDKs declare it, from the workflow's definition), else the one
// it registered for the type, else the sidecar's default.
func TestVersionedWorkerRunsPinnedWorkflowOnItsVersion(t *testing.T) {
	pinned, auto := bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_PINNED, bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_AUTO_UPGRADE
	tests := []struct {
		name                 string
		registered, declared bridgev1.VersioningBehavior
		fallback             enumspb.VersioningBehavior // --default-versioning-behavior
	}{
		{"registered for the type", pinned, 0, enumspb.VERSIONING_BEHAVIOR_UNSPECIFIED},
		{"declared by the completion over the default", 0, pinned, enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE},
		{"declared by the completion over the registration", auto, pinned, enumspb.VERSIONING_BEHAVIOR_UNSPECIFIED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deployment string
			e := newEnv(t, func(o *worker.Options) {
				deployment = strings.ReplaceAll(o.TaskQueue, ".", "-")
				o.DeploymentName, o.BuildID, o.UseVersioning, o.DefaultVersioningBehavior = deployment, "v1", true, tt.fallback
			})
			app := e.scriptedApp(&bridgev1.Register{ProtocolVersion: 1, Identity: "wfapp@" + t.Name(), SdkName: "bridgetest", TaskQueue: e.queue,
				Workflows: []*bridgev1.WorkflowRegistration{{Name: "Timer", VersioningBehavior: tt.registered}},
				Capacity:  &bridgev1.Capacity{WorkflowActivations: 10}}, map[string]script{"Timer": timerThenDone})
			app.declare(tt.declared)
			makeCurrent(t, e, deployment, "v1")

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
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			desc, err := e.client.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
			if err != nil {
				t.Fatal(err)
			}
			vi := desc.GetWorkflowExecutionInfo().GetVersioningInfo()
			if vi.GetBehavior() != enumspb.VERSIONING_BEHAVIOR_PINNED || vi.GetDeploymentVersion().GetBuildId() != "v1" ||
				vi.GetDeploymentVersion().GetDeploymentName() != deployment {
				t.Errorf("versioning info = %v, want PINNED on %s/v1", vi, deployment)
			}
		})
	}
}

// makeCurrent waits until the server lists the deployment's version (it
// exists once the server has seen the worker poll) and makes it current.
func makeCurrent(t *testing.T, e *env, deployment, buildID string) {
	t.Helper()
	svc := e.client.WorkflowService()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		d, err := svc.DescribeWorkerDeployment(ctx, &workflowservice.DescribeWorkerDeploymentRequest{Namespace: "default", DeploymentName: deployment})
		if err == nil && slices.ContainsFunc(d.GetWorkerDeploymentInfo().GetVersionSummaries(),
			func(v *deploymentpb.WorkerDeploymentInfo_WorkerDeploymentVersionSummary) bool {
				return v.GetDeploymentVersion().GetBuildId() == buildID
			}) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("deployment %q never listed version %s: %v", deployment, buildID, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	if _, err := svc.SetWorkerDeploymentCurrentVersion(ctx, &workflowservice.SetWorkerDeploymentCurrentVersionRequest{
		Namespace: "default", DeploymentName: deployment, BuildId: buildID, Identity: "test"}); err != nil {
		t.Fatal(err)
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

// Package client implements sidecar.bridge.v1.ClientService: the small API
// an app uses to drive workflows (start, signal, query, update,
// update-with-start, wait for a result, cancel, terminate, describe,
// complete activities asynchronously) without Temporal credentials or Temporal's API stubs.
//
// Each call becomes one or more WorkflowService calls in the sidecar's
// namespace with the sidecar's identity. The server decides; this package
// translates messages, fills in what the SDKs fill in (request and update
// ids, the default task queue), waits where the SDKs wait (update stages,
// workflow results), and keeps the server's errors: the status code,
// message and details go back to the app unchanged, except where this
// package documents otherwise (a failed query). It checks only what the
// server cannot check as well, or would check too late: required fields,
// and payloads over the server's blob size limit.
package client

import (
	"context"

	nexuspb "go.temporal.io/api/nexus/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

// DefaultBlobSizeLimit is the Temporal server's default limit on one
// payload blob (dynamic config limit.blobSize.error): 2 MiB.
const DefaultBlobSizeLimit = 2 << 20

// Options configure a Service.
type Options struct {
	// Service is the frontend client, frontend.Client.WorkflowService().
	Service workflowservice.WorkflowServiceClient
	// Namespace is the sidecar's; every call is made in it.
	Namespace string
	// TaskQueue is the sidecar's --task-queue, where workflows start when the
	// app names none; empty requires the app to name one.
	TaskQueue string
	// Identity is reported to the server as the caller.
	Identity string
	// BlobSizeLimit is the server's limit on one payload blob in bytes;
	// larger requests are refused before they are sent. Zero means
	// DefaultBlobSizeLimit.
	BlobSizeLimit int
	// Nexus finds the Nexus task a workflow is started for
	// (StartWorkflowRequest.nexus_task_token). Nil when the sidecar handles
	// no Nexus tasks.
	Nexus NexusTasks
	// Context, once done, ends the calls that wait on a workflow
	// (GetWorkflowResult, UpdateWorkflow, UpdateWithStartWorkflow) with
	// UNAVAILABLE, so a sidecar shutting down is not held up by them for its
	// whole graceful timeout and the app calls again, on the next sidecar.
	// Nil means never.
	Context context.Context
}

// NexusTasks finds Nexus start requests in progress by task token:
// nexus.Dispatcher.
type NexusTasks interface {
	StartRequest(token []byte) (*nexuspb.StartOperationRequest, error)
}

// Service is the ClientService.
type Service struct {
	bridgev1.UnimplementedClientServiceServer

	svc       workflowservice.WorkflowServiceClient
	namespace string
	taskQueue string
	identity  string
	blobLimit int
	stopping  context.Context
	nexus     NexusTasks
}

// New returns the service described by opts.
func New(opts Options) *Service {
	if opts.BlobSizeLimit <= 0 {
		opts.BlobSizeLimit = DefaultBlobSizeLimit
	}
	return &Service{
		svc:       opts.Service,
		namespace: opts.Namespace,
		taskQueue: opts.TaskQueue,
		identity:  opts.Identity,
		blobLimit: opts.BlobSizeLimit,
		stopping:  opts.Context,
		nexus:     opts.Nexus,
	}
}

// Register adds the service to s, typically the bridge's gRPC server.
func (s *Service) Register(r grpc.ServiceRegistrar) { bridgev1.RegisterClientServiceServer(r, s) }

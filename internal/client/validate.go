package client

import (
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

// Requests are checked here only for what the server would refuse with a
// message in its own terms (its field names, not the bridge's) or would
// not refuse at all (an empty workflow type starts nothing useful). Every
// message names the request and the field, as the app wrote it.

// invalid is an InvalidArgument error about field of req.
func invalid(req proto.Message, field, problem string) error {
	return status.Errorf(codes.InvalidArgument, "%s.%s %s", req.ProtoReflect().Descriptor().Name(), field, problem)
}

func required(req proto.Message, field string) error { return invalid(req, field, "is required") }

// checkExecution checks the execution field every call on an existing
// workflow carries.
func checkExecution(req proto.Message, e *bridgev1.WorkflowExecution) error {
	if e == nil {
		return required(req, "execution")
	}
	if e.GetWorkflowId() == "" {
		return required(req, "execution.workflow_id")
	}
	return nil
}

// checkWorkflowOptions checks what a new run needs.
func (s *Service) checkWorkflowOptions(req proto.Message, o *bridgev1.WorkflowOptions) error {
	if o == nil {
		return required(req, "options")
	}
	if o.GetTaskQueue() == "" && s.taskQueue == "" {
		return invalid(req, "options.task_queue", "is required: this sidecar serves the task queues its apps register (it has no --task-queue to default to)")
	}
	if o.GetWorkflowId() == "" {
		return required(req, "options.workflow_id")
	}
	if o.GetWorkflowType() == "" {
		return required(req, "options.workflow_type")
	}
	for _, d := range []struct {
		field string
		d     *durationpb.Duration
	}{
		{"options.execution_timeout", o.GetExecutionTimeout()},
		{"options.run_timeout", o.GetRunTimeout()},
		{"options.task_timeout", o.GetTaskTimeout()},
		{"options.start_delay", o.GetStartDelay()},
	} {
		if err := checkDuration(req, d.field, d.d); err != nil {
			return err
		}
	}
	return nil
}

// checkDuration accepts unset (the server's default) and any valid duration >= 0.
func checkDuration(req proto.Message, field string, d *durationpb.Duration) error {
	if d == nil {
		return nil
	}
	if err := d.CheckValid(); err != nil {
		return invalid(req, field, "is not a valid duration: "+err.Error())
	}
	if d.AsDuration() < 0 {
		return invalid(req, field, fmt.Sprintf("must not be negative, got %v", d.AsDuration()))
	}
	return nil
}

// execution converts a checked execution.
func execution(e *bridgev1.WorkflowExecution) *commonpb.WorkflowExecution {
	return &commonpb.WorkflowExecution{WorkflowId: e.GetWorkflowId(), RunId: e.GetRunId()}
}

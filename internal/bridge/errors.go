package bridge

import (
	"fmt"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

// UnknownTask is the answer to a completion or heartbeat for a task that is
// not outstanding on the session: answered already, timed out, or never sent.
func UnknownTask(m *bridgev1.ConnectRequest) *bridgev1.ConnectResponse {
	e := &bridgev1.CompletionError{Kind: bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_UNKNOWN_TASK}
	switch msg := m.GetMessage().(type) {
	case *bridgev1.ConnectRequest_WorkflowCompletion:
		e.Task = &bridgev1.CompletionError_RunId{RunId: msg.WorkflowCompletion.GetRunId()}
		e.Message = fmt.Sprintf("no workflow activation for run %q is outstanding on this session; answer each activation once, with its run_id", msg.WorkflowCompletion.GetRunId())
	case *bridgev1.ConnectRequest_ActivityCompletion:
		e.Task = &bridgev1.CompletionError_TaskToken{TaskToken: msg.ActivityCompletion.GetTaskToken()}
		e.Message = "no activity task with this task_token is outstanding on this session; it was answered already, timed out, or never sent"
	case *bridgev1.ConnectRequest_ActivityHeartbeat:
		e.Task = &bridgev1.CompletionError_TaskToken{TaskToken: msg.ActivityHeartbeat.GetTaskToken()}
		e.Message = "no running activity with this task_token on this session; heartbeat only between an activity task's start and its completion"
	case *bridgev1.ConnectRequest_NexusCompletion:
		e.Task = &bridgev1.CompletionError_TaskToken{TaskToken: msg.NexusCompletion.GetTaskToken()}
		e.Message = "no Nexus task with this task_token is outstanding on this session; it was answered already, timed out, or never sent"
	case *bridgev1.ConnectRequest_RequestEviction:
		e.Task = &bridgev1.CompletionError_RunId{RunId: msg.RequestEviction.GetRunId()}
		e.Message = fmt.Sprintf("request_eviction: run %q is not cached on this session; it was evicted already, or never sent to it", msg.RequestEviction.GetRunId())
	default:
		e.Message = fmt.Sprintf("%s is not a completion", kindOf(m))
	}
	return &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CompletionError{CompletionError: e}}
}

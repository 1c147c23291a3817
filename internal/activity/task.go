package activity

import (
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"go.temporal.io/api/workflowservice/v1"
)

// startActivity turns a polled task into the bridge's StartActivity.
func startActivity(t *workflowservice.PollActivityTaskQueueResponse, namespace, queue string) *bridgev1.StartActivity {
	ns := t.GetWorkflowNamespace()
	if ns == "" {
		ns = namespace
	}
	s := &bridgev1.StartActivity{
		WorkflowNamespace:           ns,
		WorkflowType:                t.GetWorkflowType().GetName(),
		ActivityId:                  t.GetActivityId(),
		ActivityType:                t.GetActivityType().GetName(),
		Headers:                     apiconv.BridgePayloadMap(t.GetHeader().GetFields()),
		Input:                       apiconv.BridgePayloads(t.GetInput()),
		HeartbeatDetails:            apiconv.BridgePayloads(t.GetHeartbeatDetails()),
		ScheduledTime:               t.GetScheduledTime(),
		CurrentAttemptScheduledTime: t.GetCurrentAttemptScheduledTime(),
		StartedTime:                 t.GetStartedTime(),
		Attempt:                     uint32(t.GetAttempt()),
		ScheduleToCloseTimeout:      t.GetScheduleToCloseTimeout(),
		StartToCloseTimeout:         t.GetStartToCloseTimeout(),
		HeartbeatTimeout:            t.GetHeartbeatTimeout(),
		TaskQueue:                   queue,
	}
	if e := t.GetWorkflowExecution(); e != nil {
		s.WorkflowExecution = &bridgev1.WorkflowExecution{WorkflowId: e.GetWorkflowId(), RunId: e.GetRunId()}
	}
	if p := t.GetRetryPolicy(); p != nil {
		s.RetryPolicy = apiconv.Recode(p, &bridgev1.RetryPolicy{})
	}
	if p := t.GetPriority(); p != nil {
		s.Priority = apiconv.Recode(p, &bridgev1.Priority{})
	}
	return s
}

// localDeadline is when the attempt must end, by the tighter of its
// start-to-close and schedule-to-close timeouts. It is measured on the local
// clock from now, using only durations from the server, so clock skew between
// the sidecar and the server does not move it.
func localDeadline(s *bridgev1.StartActivity) (time.Time, bool) {
	now := time.Now()
	var best time.Duration
	if d := s.GetStartToCloseTimeout().AsDuration(); d > 0 {
		best = d
	}
	if d := s.GetScheduleToCloseTimeout().AsDuration(); d > 0 && s.GetScheduledTime() != nil && s.GetStartedTime() != nil {
		left := d - s.GetStartedTime().AsTime().Sub(s.GetScheduledTime().AsTime())
		if best == 0 || left < best {
			best = left
		}
	}
	if best == 0 {
		return time.Time{}, false
	}
	return now.Add(best), true
}

// throttle is the shortest gap between two heartbeats sent to the server,
// as Temporal's SDKs compute it.
func throttle(heartbeatTimeout, def, maximum time.Duration) time.Duration {
	if heartbeatTimeout <= 0 {
		return min(def, maximum)
	}
	return min(heartbeatTimeout*4/5, maximum)
}

package worker

import (
	"context"
	"errors"
	"time"

	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"golang.org/x/time/rate"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// longPollTimeout exceeds the server's long-poll window (about 60s), so an
// empty poll ends with an empty response, not a client deadline.
const longPollTimeout = 70 * time.Second

// polled is what every poll response has.
type polled interface {
	GetTaskToken() []byte
	GetPollerScalingDecision() *taskqueuepb.PollerScalingDecision
}

// pollSpec is one kind of poll: what it reserves, how it polls, where its
// tasks go.
type pollSpec[T polled] struct {
	name    string // poller_type, as Temporal's metrics name it
	kind    string // telemetry kind for poll counters
	slot    slots.Info
	slots   slots.Supplier
	behave  poller.Behaviour
	limiter *rate.Limiter
	poll    func(context.Context) (T, error)
	deliver func(T, *slots.Permit)
	waited  func(T) time.Duration // schedule-to-start, for the metric
	// describe records what task occupies a slot (slots.Info.Type and
	// Operation) before the slot is marked used.
	describe func(T, *slots.Info)
}

// runPoller polls with spec until ctx ends or Shutdown stops polling; a
// fatal error stops the worker.
func runPoller[T polled](ctx context.Context, w *Worker, spec pollSpec[T]) {
	p, err := poller.New(poller.Options[T]{
		Name: spec.name, Slot: spec.slot, Slots: usedOnDelivery{spec.slots}, Behaviour: spec.behave, Limiter: spec.limiter,
		Poll: func(ctx context.Context) (T, bool, *taskqueuepb.PollerScalingDecision, error) {
			ctx, cancel := context.WithTimeout(ctx, longPollTimeout)
			defer cancel()
			t, err := spec.poll(ctx)
			if err != nil {
				return t, false, nil, err
			}
			ok := len(t.GetTaskToken()) > 0
			w.opts.Metrics.Poll(spec.kind, ok)
			if ok && spec.waited != nil {
				w.opts.Metrics.ScheduleToStart(spec.kind, spec.waited(t))
			}
			return t, ok, t.GetPollerScalingDecision(), nil
		},
		Deliver: func(t T, p *slots.Permit) {
			if spec.describe != nil {
				spec.describe(t, &p.Info)
			}
			spec.slots.MarkUsed(p)
			spec.deliver(t, p)
		},
		Stop:   w.stopPolls,
		Fatal:  w.fail,
		Logger: w.log,
	})
	if err == nil {
		w.pollers.Store(spec.name, p.Pollers)
		err = p.Run(ctx)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		w.fail(err)
	}
}

func (w *Worker) pollActivities(ctx context.Context) {
	req := &workflowservice.PollActivityTaskQueueRequest{
		Namespace:         w.opts.Namespace,
		TaskQueue:         &taskqueuepb.TaskQueue{Name: w.opts.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Identity:          w.opts.Identity,
		WorkerInstanceKey: w.instanceKey,
		DeploymentOptions: w.deployment,
	}
	if tq := w.opts.TaskQueueActivitiesPerSecond; tq > 0 {
		req.TaskQueueMetadata = &taskqueuepb.TaskQueueMetadata{MaxTasksPerSecond: wrapperspb.Double(tq)}
	}
	runPoller(ctx, w, pollSpec[*workflowservice.PollActivityTaskQueueResponse]{
		name: "activity_task", kind: telemetry.Activity, slot: slots.Info{Kind: task.Activity},
		slots: slots.NewCapped(w.actSlots, w.bridge), behave: w.opts.ActivityPollers, limiter: w.actLimit,
		poll: func(ctx context.Context) (*workflowservice.PollActivityTaskQueueResponse, error) {
			return w.opts.Service.PollActivityTaskQueue(ctx, req)
		},
		// The task is ours now; it must reach an app even if polling stops.
		deliver: func(t *workflowservice.PollActivityTaskQueueResponse, p *slots.Permit) {
			go w.activities.Deliver(context.WithoutCancel(ctx), t, p)
		},
		waited: func(t *workflowservice.PollActivityTaskQueueResponse) time.Duration {
			return t.GetStartedTime().AsTime().Sub(t.GetCurrentAttemptScheduledTime().AsTime())
		},
		describe: describeActivitySlot,
	})
}

func (w *Worker) pollWorkflows(ctx context.Context, supplier slots.Supplier, queue *taskqueuepb.TaskQueue, b poller.Behaviour) {
	sticky := queue.GetKind() == enumspb.TASK_QUEUE_KIND_STICKY
	name := "workflow_task"
	if sticky {
		name = "sticky_workflow_task"
	}
	req := &workflowservice.PollWorkflowTaskQueueRequest{
		Namespace:         w.opts.Namespace,
		TaskQueue:         queue,
		Identity:          w.opts.Identity,
		WorkerInstanceKey: w.instanceKey,
		DeploymentOptions: w.deployment,
	}
	runPoller(ctx, w, pollSpec[*workflowservice.PollWorkflowTaskQueueResponse]{
		name: name, kind: telemetry.Workflow, slot: slots.Info{Kind: task.Workflow, Sticky: sticky}, slots: supplier, behave: b,
		poll: func(ctx context.Context) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
			return w.opts.Service.PollWorkflowTaskQueue(ctx, req)
		},
		deliver: func(t *workflowservice.PollWorkflowTaskQueueResponse, p *slots.Permit) {
			w.workflows.Deliver(context.WithoutCancel(ctx), t, p)
		},
		waited: func(t *workflowservice.PollWorkflowTaskQueueResponse) time.Duration {
			return t.GetStartedTime().AsTime().Sub(t.GetScheduledTime().AsTime())
		},
		describe: describeWorkflowSlot,
	})
}

func (w *Worker) pollNexus(ctx context.Context) {
	req := &workflowservice.PollNexusTaskQueueRequest{
		Namespace:         w.opts.Namespace,
		TaskQueue:         &taskqueuepb.TaskQueue{Name: w.opts.TaskQueue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		Identity:          w.opts.Identity,
		WorkerInstanceKey: w.instanceKey,
		DeploymentOptions: w.deployment,
	}
	runPoller(ctx, w, pollSpec[*workflowservice.PollNexusTaskQueueResponse]{
		name: "nexus_task", kind: telemetry.Nexus, slot: slots.Info{Kind: task.Nexus},
		slots: slots.NewCapped(w.nxSlots, w.bridge), behave: w.opts.NexusPollers,
		poll: func(ctx context.Context) (*workflowservice.PollNexusTaskQueueResponse, error) {
			return w.opts.Service.PollNexusTaskQueue(ctx, req)
		},
		deliver: func(t *workflowservice.PollNexusTaskQueueResponse, p *slots.Permit) {
			go w.nexus.Deliver(context.WithoutCancel(ctx), t, p)
		},
		describe: describeNexusSlot,
	})
}

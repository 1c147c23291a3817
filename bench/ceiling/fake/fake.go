// Package fake is an in-process Temporal frontend for measuring the
// sidecar's own ceiling: it answers every poll at once from a generator, so
// the sidecar and the bridge, not a server, are the bottleneck.
//
// It implements only the WorkflowService calls a worker makes. Anything else
// panics (the embedded interface is nil), which would be a sign that the
// worker does something the benchmark does not model.
//
// Task tokens carry the moment the task was handed out, so a round trip
// (hand-out to the matching Respond call) is measured without any lookup.
package fake

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// WorkflowType and ActivityType are the types the generated tasks name.
const (
	WorkflowType = "Bench"
	ActivityType = "Echo"
)

// RunState is what a plan sees of a run when deciding its next task.
type RunState struct {
	Run         uint64 // the run's number, from 1 in the order runs started
	Tasks       int    // workflow tasks of the run completed so far
	SinceResume int    // ... since the plan was last changed by Resume
	Events      int64  // history events so far, with the completed task's WorkflowTaskCompleted and command events
}

// Step is a plan's decision about a run's next workflow task.
type Step struct {
	Signals  int  // WorkflowExecutionSignaled events the task carries
	Measured bool // count the task and record its round trip
	Park     bool // hand out nothing more until Resume
}

// Plan decides what follows a completed workflow task of a run that is
// still open. nil parks every run after its first task.
type Plan func(RunState) Step

// Options configure a Frontend.
type Options struct {
	Namespace string
	// Activities makes activity polls return a task at once.
	Activities bool
	// NewRuns makes normal-queue workflow polls return the first task of a
	// new run (WorkflowExecutionStarted, WorkflowTaskScheduled,
	// WorkflowTaskStarted), MaxRuns of them (0: no limit).
	NewRuns bool
	MaxRuns int
	// FirstMeasured counts first tasks as measured tasks.
	FirstMeasured bool
	// Plan decides the sticky tasks that follow a run's first task.
	Plan Plan
	// PayloadBytes is the size of activity inputs and signal payloads.
	PayloadBytes int
	// FireTimers fires every timer a task starts in the run's next task.
	FireTimers bool
}

// Counters are what the fake observed. Read them with Snapshot.
type Counters struct {
	ActivitiesHanded   int64
	ActivitiesDone     int64 // RespondActivityTaskCompleted
	ActivitiesFailed   int64 // RespondActivityTaskFailed or Canceled
	Heartbeats         int64
	WorkflowHanded     int64
	WorkflowDone       int64 // RespondWorkflowTaskCompleted
	WorkflowMeasured   int64 // ... of tasks marked measured
	WorkflowFailed     int64 // RespondWorkflowTaskFailed
	HistoryFetches     int64 // GetWorkflowExecutionHistory: a sticky cache miss
	RunsStarted        int64
	FirstTasksDone     int64 // runs whose first task was completed
	RunsClosed         int64
	RunsParked         int64 // parked now
	UnsupportedCommand int64
}

// Frontend is the fake WorkflowService.
type Frontend struct {
	workflowservice.WorkflowServiceClient // nil: calls not implemented here panic

	opts    Options
	epoch   time.Time
	started chan struct{}
	payload *commonpb.Payloads
	Latency *Recorder

	actSeq  atomic.Uint64
	taskSeq atomic.Uint64

	actHanded, actDone, actFailed, heartbeats atomic.Int64
	wfHanded, wfDone, wfMeasured, wfFailed    atomic.Int64
	historyFetches, runsStarted, runsClosed   atomic.Int64
	runsParked, unsupported, firstDone        atomic.Int64
	lastFailure                               atomic.Pointer[string]
	shutdowns                                 atomic.Int64

	mu      sync.Mutex
	plan    Plan
	runs    map[uint64]*run // runs that may get another task
	parked  map[uint64]*run
	ready   chan *run // runs whose next task is built, for sticky polls
	created int
}

// run is the fake's state of one workflow run: only what the next task needs.
type run struct {
	num     uint64
	id, wid string
	tasks   int
	resumed int                       // tasks at the last Resume
	last    int64                     // the last event id handed out or queued
	started int64                     // the last WorkflowTaskStarted event id
	carry   []*historypb.HistoryEvent // WorkflowTaskCompleted and command events for the next task
	fire    []*historypb.HistoryEvent // TimerStarted events whose timers fire in the next task
	next    *workflowservice.PollWorkflowTaskQueueResponse
}

// New returns a Frontend. Polls block until Start.
func New(opts Options) *Frontend {
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	if opts.PayloadBytes == 0 {
		opts.PayloadBytes = 32
	}
	data := make([]byte, opts.PayloadBytes)
	for i := range data {
		data[i] = 'x'
	}
	data[0], data[len(data)-1] = '"', '"'
	queue := opts.MaxRuns
	if queue <= 0 {
		queue = 1 << 16
	}
	return &Frontend{
		opts:    opts,
		epoch:   time.Now(),
		started: make(chan struct{}),
		payload: &commonpb.Payloads{Payloads: []*commonpb.Payload{{
			Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: data}}},
		Latency: &Recorder{},
		plan:    opts.Plan,
		runs:    map[uint64]*run{},
		parked:  map[uint64]*run{},
		ready:   make(chan *run, queue),
	}
}

// Start lets polls return tasks.
func (f *Frontend) Start() { close(f.started) }

// Snapshot returns the counters now.
func (f *Frontend) Snapshot() Counters {
	return Counters{
		ActivitiesHanded: f.actHanded.Load(), ActivitiesDone: f.actDone.Load(), ActivitiesFailed: f.actFailed.Load(),
		Heartbeats: f.heartbeats.Load(), WorkflowHanded: f.wfHanded.Load(), WorkflowDone: f.wfDone.Load(),
		WorkflowMeasured: f.wfMeasured.Load(), WorkflowFailed: f.wfFailed.Load(), HistoryFetches: f.historyFetches.Load(),
		RunsStarted: f.runsStarted.Load(), FirstTasksDone: f.firstDone.Load(), RunsClosed: f.runsClosed.Load(), RunsParked: f.runsParked.Load(),
		UnsupportedCommand: f.unsupported.Load(),
	}
}

// LastFailure is the message of the last workflow task failure, if any.
func (f *Frontend) LastFailure() string {
	if p := f.lastFailure.Load(); p != nil {
		return *p
	}
	return ""
}

// Resume sets a new plan and gives every parked run its next task.
func (f *Frontend) Resume(p Plan) { f.ResumeWhere(nil, p) }

// ResumeWhere sets a new plan and gives the parked runs that match (all,
// with a nil match) their next task. Runs are numbered from 1 in the order
// they started.
func (f *Frontend) ResumeWhere(match func(run uint64) bool, p Plan) {
	f.mu.Lock()
	f.plan = p
	var resumed []*run
	for num, r := range f.parked {
		if match == nil || match(num) {
			resumed = append(resumed, r)
			delete(f.parked, num)
		}
	}
	f.mu.Unlock()
	for _, r := range resumed {
		f.runsParked.Add(-1)
		f.mu.Lock()
		r.resumed = r.tasks
		step := f.decide(r)
		f.mu.Unlock()
		f.schedule(r, step)
	}
}

// Forget drops every parked run and every map the fake kept of runs, so
// what stays on the heap afterwards is the worker's.
func (f *Frontend) Forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runsParked.Add(-int64(len(f.parked)))
	f.parked = map[uint64]*run{}
	runs := make(map[uint64]*run, len(f.runs))
	for k, v := range f.runs {
		runs[k] = v
	}
	f.runs = runs
}

// token layout: kind(1) flags(1) pad(6) run(8) seq(8) handed-out nanoseconds since epoch(8).
const tokenLen = 32

const (
	kindActivity = 'A'
	kindWorkflow = 'W'
	flagMeasured = 1
	flagFirst    = 2
)

func (f *Frontend) token(kind byte, measured, first bool, runNum, seq uint64) []byte {
	b := make([]byte, tokenLen)
	b[0] = kind
	if measured {
		b[1] |= flagMeasured
	}
	if first {
		b[1] |= flagFirst
	}
	binary.LittleEndian.PutUint64(b[8:], runNum)
	binary.LittleEndian.PutUint64(b[16:], seq)
	binary.LittleEndian.PutUint64(b[24:], uint64(time.Since(f.epoch)))
	return b
}

// stamp sets the hand-out moment of a token to now.
func (f *Frontend) stamp(tok []byte) {
	binary.LittleEndian.PutUint64(tok[24:], uint64(time.Since(f.epoch)))
}

func (f *Frontend) roundTrip(tok []byte) time.Duration {
	if len(tok) != tokenLen {
		return -1
	}
	return time.Since(f.epoch) - time.Duration(binary.LittleEndian.Uint64(tok[24:]))
}

func tokenRun(tok []byte) uint64 { return binary.LittleEndian.Uint64(tok[8:]) }
func measured(tok []byte) bool   { return len(tok) == tokenLen && tok[1]&flagMeasured != 0 }

// wait blocks until Start, or returns ctx's error.
func (f *Frontend) wait(ctx context.Context) error {
	select {
	case <-f.started:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PollActivityTaskQueue hands out an activity task at once.
func (f *Frontend) PollActivityTaskQueue(ctx context.Context, in *workflowservice.PollActivityTaskQueueRequest, _ ...grpc.CallOption) (*workflowservice.PollActivityTaskQueueResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if !f.opts.Activities {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	seq := f.actSeq.Add(1)
	now := timestamppb.Now()
	f.actHanded.Add(1)
	return &workflowservice.PollActivityTaskQueueResponse{
		TaskToken:         f.token(kindActivity, true, false, 0, seq),
		WorkflowNamespace: f.opts.Namespace,
		WorkflowType:      &commonpb.WorkflowType{Name: WorkflowType},
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "wf-act", RunId: "run-act"},
		ActivityType:      &commonpb.ActivityType{Name: ActivityType},
		ActivityId:        strconv.FormatUint(seq, 10),
		Input:             f.payload,
		ScheduledTime:     now, StartedTime: now, CurrentAttemptScheduledTime: now,
		Attempt:                1,
		ScheduleToCloseTimeout: durationpb.New(0),
		StartToCloseTimeout:    durationpb.New(time.Minute),
		HeartbeatTimeout:       durationpb.New(0),
	}, nil
}

// RespondActivityTaskCompleted counts a completed activity and its round trip.
func (f *Frontend) RespondActivityTaskCompleted(_ context.Context, in *workflowservice.RespondActivityTaskCompletedRequest, _ ...grpc.CallOption) (*workflowservice.RespondActivityTaskCompletedResponse, error) {
	f.actDone.Add(1)
	f.Latency.Add(0, f.roundTrip(in.GetTaskToken()))
	return &workflowservice.RespondActivityTaskCompletedResponse{}, nil
}

// RespondActivityTaskFailed counts a failed activity.
func (f *Frontend) RespondActivityTaskFailed(_ context.Context, in *workflowservice.RespondActivityTaskFailedRequest, _ ...grpc.CallOption) (*workflowservice.RespondActivityTaskFailedResponse, error) {
	f.actFailed.Add(1)
	return &workflowservice.RespondActivityTaskFailedResponse{}, nil
}

// RespondActivityTaskCanceled counts a cancelled activity.
func (f *Frontend) RespondActivityTaskCanceled(_ context.Context, in *workflowservice.RespondActivityTaskCanceledRequest, _ ...grpc.CallOption) (*workflowservice.RespondActivityTaskCanceledResponse, error) {
	f.actFailed.Add(1)
	return &workflowservice.RespondActivityTaskCanceledResponse{}, nil
}

// RecordActivityTaskHeartbeat counts a heartbeat.
func (f *Frontend) RecordActivityTaskHeartbeat(_ context.Context, in *workflowservice.RecordActivityTaskHeartbeatRequest, _ ...grpc.CallOption) (*workflowservice.RecordActivityTaskHeartbeatResponse, error) {
	f.heartbeats.Add(1)
	return &workflowservice.RecordActivityTaskHeartbeatResponse{}, nil
}

// PollWorkflowTaskQueue hands out a new run's first task on the normal
// queue, and a cached run's next task on the sticky queue.
func (f *Frontend) PollWorkflowTaskQueue(ctx context.Context, in *workflowservice.PollWorkflowTaskQueueRequest, _ ...grpc.CallOption) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if in.GetTaskQueue().GetKind() == enumspb.TASK_QUEUE_KIND_STICKY {
		select {
		case r := <-f.ready:
			t := r.next
			r.next = nil
			f.stamp(t.TaskToken)
			f.wfHanded.Add(1)
			return t, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if r := f.newRun(); r != nil {
		f.wfHanded.Add(1)
		return f.firstTask(r), nil
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func (f *Frontend) newRun() *run {
	if !f.opts.NewRuns {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.opts.MaxRuns > 0 && f.created >= f.opts.MaxRuns {
		return nil
	}
	f.created++
	num := uint64(f.created)
	r := &run{num: num, id: fmt.Sprintf("run-%08d-0000-0000-0000-000000000000", num), wid: "wf-" + strconv.FormatUint(num, 10)}
	if f.opts.Plan != nil || f.plan != nil {
		f.runs[num] = r // it will get more tasks
	}
	f.runsStarted.Add(1)
	return r
}

func (f *Frontend) firstTask(r *run) *workflowservice.PollWorkflowTaskQueueResponse {
	now := timestamppb.Now()
	r.tasks, r.last, r.started = 0, 3, 3
	events := []*historypb.HistoryEvent{
		{EventId: 1, EventTime: now, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
				WorkflowType:             &commonpb.WorkflowType{Name: WorkflowType},
				TaskQueue:                nil,
				Input:                    f.payload,
				WorkflowExecutionTimeout: durationpb.New(0),
				WorkflowRunTimeout:       durationpb.New(0),
				WorkflowTaskTimeout:      durationpb.New(10 * time.Second),
				OriginalExecutionRunId:   r.id,
				FirstExecutionRunId:      r.id,
				Identity:                 "bench-client",
				Attempt:                  1,
			}}},
		wftScheduled(2, now),
		wftStarted(3, 2, now),
	}
	return &workflowservice.PollWorkflowTaskQueueResponse{
		TaskToken:         f.token(kindWorkflow, f.opts.FirstMeasured, true, r.num, f.taskSeq.Add(1)),
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: r.wid, RunId: r.id},
		WorkflowType:      &commonpb.WorkflowType{Name: WorkflowType},
		StartedEventId:    3,
		Attempt:           1,
		History:           &historypb.History{Events: events},
		ScheduledTime:     now,
		StartedTime:       now,
	}
}

func wftScheduled(id int64, now *timestamppb.Timestamp) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventId: id, EventTime: now, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
			StartToCloseTimeout: durationpb.New(10 * time.Second), Attempt: 1}}}
}

func wftStarted(id, scheduled int64, now *timestamppb.Timestamp) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventId: id, EventTime: now, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
			ScheduledEventId: scheduled, Identity: "sidecar", HistorySizeBytes: id * 200}}}
}

// RespondWorkflowTaskCompleted counts the task and turns its commands into
// the events the next task of the run starts with.
func (f *Frontend) RespondWorkflowTaskCompleted(_ context.Context, in *workflowservice.RespondWorkflowTaskCompletedRequest, _ ...grpc.CallOption) (*workflowservice.RespondWorkflowTaskCompletedResponse, error) {
	tok := in.GetTaskToken()
	f.wfDone.Add(1)
	if len(tok) == tokenLen && tok[1]&flagFirst != 0 {
		f.firstDone.Add(1)
	}
	if measured(tok) {
		f.wfMeasured.Add(1)
		f.Latency.Add(tokenRun(tok), f.roundTrip(tok))
	}
	f.mu.Lock()
	r := f.runs[tokenRun(tok)]
	if r == nil {
		f.mu.Unlock()
		f.closeRun(in.GetCommands())
		return &workflowservice.RespondWorkflowTaskCompletedResponse{}, nil
	}
	now := timestamppb.Now()
	r.tasks++
	completed := r.last + 1
	r.carry = append(r.carry[:0], &historypb.HistoryEvent{EventId: completed, EventTime: now, EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
		Attributes: &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
			ScheduledEventId: r.started - 1, StartedEventId: r.started, Identity: in.GetIdentity()}}})
	r.last = completed
	closed := false
	for _, c := range in.GetCommands() {
		ev := &historypb.HistoryEvent{EventId: r.last + 1, EventTime: now}
		switch c.GetCommandType() {
		case enumspb.COMMAND_TYPE_START_TIMER:
			a := c.GetStartTimerCommandAttributes()
			ev.EventType = enumspb.EVENT_TYPE_TIMER_STARTED
			ev.Attributes = &historypb.HistoryEvent_TimerStartedEventAttributes{TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{
				TimerId: a.GetTimerId(), StartToFireTimeout: a.GetStartToFireTimeout(), WorkflowTaskCompletedEventId: completed}}
			if f.opts.FireTimers {
				r.fire = append(r.fire, ev)
			}
		case enumspb.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
			a := c.GetScheduleActivityTaskCommandAttributes()
			ev.EventType = enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
			ev.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
				ActivityId: a.GetActivityId(), ActivityType: a.GetActivityType(), TaskQueue: a.GetTaskQueue(), Input: a.GetInput(),
				StartToCloseTimeout: a.GetStartToCloseTimeout(), WorkflowTaskCompletedEventId: completed}}
		case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
			enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
			closed = true
		default:
			f.unsupported.Add(1)
			closed = true
		}
		if closed {
			break
		}
		r.carry = append(r.carry, ev)
		r.last++
	}
	if closed {
		delete(f.runs, r.num)
		f.mu.Unlock()
		f.runsClosed.Add(1)
		return &workflowservice.RespondWorkflowTaskCompletedResponse{}, nil
	}
	step := f.decide(r)
	f.mu.Unlock()
	f.schedule(r, step)
	return &workflowservice.RespondWorkflowTaskCompletedResponse{}, nil
}

func (f *Frontend) closeRun(cmds []*commandpb.Command) {
	for _, c := range cmds {
		switch c.GetCommandType() {
		case enumspb.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
			enumspb.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION, enumspb.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
			f.runsClosed.Add(1)
			return
		}
	}
}

// decide asks the plan about the run's next task; the caller holds mu.
func (f *Frontend) decide(r *run) Step {
	if f.plan == nil {
		return Step{Park: true}
	}
	return f.plan(RunState{Run: r.num, Tasks: r.tasks, SinceResume: r.tasks - r.resumed, Events: r.last})
}

// schedule builds the run's next task and queues it for a sticky poll, or
// parks the run.
func (f *Frontend) schedule(r *run, s Step) {
	if s.Park {
		f.mu.Lock()
		delete(f.runs, r.num)
		f.parked[r.num] = r
		f.mu.Unlock()
		f.runsParked.Add(1)
		return
	}
	now := timestamppb.Now()
	events := make([]*historypb.HistoryEvent, 0, len(r.carry)+s.Signals+len(r.fire)+2)
	events = append(events, r.carry...)
	r.carry = r.carry[:0]
	id := r.last
	for range s.Signals {
		id++
		events = append(events, &historypb.HistoryEvent{EventId: id, EventTime: now, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
				SignalName: "poke", Input: f.payload, Identity: "bench-client"}}})
	}
	for _, t := range r.fire {
		id++
		events = append(events, &historypb.HistoryEvent{EventId: id, EventTime: now, EventType: enumspb.EVENT_TYPE_TIMER_FIRED,
			Attributes: &historypb.HistoryEvent_TimerFiredEventAttributes{TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{
				TimerId: t.GetTimerStartedEventAttributes().GetTimerId(), StartedEventId: t.GetEventId()}}})
	}
	r.fire = r.fire[:0]
	events = append(events, wftScheduled(id+1, now), wftStarted(id+2, id+1, now))
	prev := r.started
	r.started = id + 2
	r.last = id + 2
	r.next = &workflowservice.PollWorkflowTaskQueueResponse{
		TaskToken:              f.token(kindWorkflow, s.Measured, false, r.num, f.taskSeq.Add(1)),
		WorkflowExecution:      &commonpb.WorkflowExecution{WorkflowId: r.wid, RunId: r.id},
		WorkflowType:           &commonpb.WorkflowType{Name: WorkflowType},
		PreviousStartedEventId: prev,
		StartedEventId:         r.started,
		Attempt:                1,
		History:                &historypb.History{Events: events},
		ScheduledTime:          now,
		StartedTime:            now,
	}
	f.mu.Lock()
	f.runs[r.num] = r
	f.mu.Unlock()
	f.ready <- r
}

// RespondWorkflowTaskFailed counts a failed workflow task; the run gets no
// more tasks.
func (f *Frontend) RespondWorkflowTaskFailed(_ context.Context, in *workflowservice.RespondWorkflowTaskFailedRequest, _ ...grpc.CallOption) (*workflowservice.RespondWorkflowTaskFailedResponse, error) {
	f.wfFailed.Add(1)
	msg := in.GetCause().String() + ": " + in.GetFailure().GetMessage()
	f.lastFailure.Store(&msg)
	f.mu.Lock()
	delete(f.runs, tokenRun(in.GetTaskToken()))
	f.mu.Unlock()
	return &workflowservice.RespondWorkflowTaskFailedResponse{}, nil
}

// GetWorkflowExecutionHistory is only called on a sticky cache miss, which
// the benchmark's workloads never cause; it is counted and refused.
func (f *Frontend) GetWorkflowExecutionHistory(_ context.Context, in *workflowservice.GetWorkflowExecutionHistoryRequest, _ ...grpc.CallOption) (*workflowservice.GetWorkflowExecutionHistoryResponse, error) {
	f.historyFetches.Add(1)
	return nil, status.Error(codes.Unavailable, "the fake frontend keeps no history: a sticky cache miss")
}

// ShutdownWorker answers at once.
func (f *Frontend) ShutdownWorker(context.Context, *workflowservice.ShutdownWorkerRequest, ...grpc.CallOption) (*workflowservice.ShutdownWorkerResponse, error) {
	f.shutdowns.Add(1)
	return &workflowservice.ShutdownWorkerResponse{}, nil
}

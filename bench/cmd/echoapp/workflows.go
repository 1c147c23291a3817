package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/internal/workloads"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// workflows holds the app's cached workflow runs: the state a scripted
// workflow needs between activations. The sidecar sends at most one
// activation per run at a time, so a run's state is only touched by one
// goroutine at once; the map is shared.
type workflows struct {
	mu          sync.Mutex
	runs        map[string]*wfRun
	activations atomic.Int64
	evictions   atomic.Int64
}

// wfRun is one cached workflow run.
type wfRun struct {
	typ string
	// Chain
	k    int
	next uint32 // seq of the next activity
	// TimerSignal
	fired, signalled bool
	signal           *bridgev1.Payload
	done             bool
}

func newWorkflows() *workflows { return &workflows{runs: map[string]*wfRun{}} }

func (w *workflows) cached() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.runs)
}

// activity options of Chain, as the Go SDK workflow sets them: one attempt.
var (
	startToClose = durationpb.New(30 * time.Second)
	oneAttempt   = &bridgev1.RetryPolicy{MaximumAttempts: 1}
)

// activate turns one activation into commands, or into a failure of the
// activation (a job the app cannot make sense of).
func (w *workflows) activate(act *bridgev1.WorkflowActivation) ([]*bridgev1.WorkflowCommand, *bridgev1.Failure) {
	w.activations.Add(1)
	id := act.GetRunId()
	jobs := act.GetJobs()
	// An eviction comes alone: forget the run and answer with nothing.
	for _, j := range jobs {
		if j.GetRemoveFromCache() != nil {
			w.evictions.Add(1)
			w.mu.Lock()
			delete(w.runs, id)
			w.mu.Unlock()
			return nil, nil
		}
	}
	w.mu.Lock()
	r := w.runs[id]
	w.mu.Unlock()
	var cmds []*bridgev1.WorkflowCommand
	for _, j := range jobs {
		if init := j.GetInitializeWorkflow(); init != nil {
			var err error
			r, cmds, err = initialize(init)
			if err != nil {
				return nil, &bridgev1.Failure{Message: err.Error()}
			}
			w.mu.Lock()
			w.runs[id] = r
			w.mu.Unlock()
			continue
		}
		if r == nil {
			return nil, &bridgev1.Failure{Message: "echoapp: activation for a run the app does not hold"}
		}
		switch {
		case j.GetResolveActivity() != nil:
			res := j.GetResolveActivity()
			done := res.GetResult().GetCompleted()
			if done == nil {
				// The activity failed or was cancelled: so does the workflow.
				f := res.GetResult().GetFailed().GetFailure()
				if f == nil {
					f = res.GetResult().GetCancelled().GetFailure()
				}
				cmds = append(cmds, failWorkflow(&bridgev1.Failure{Message: fmt.Sprintf("activity %d did not complete", res.GetSeq()), Cause: f}))
				continue
			}
			if int(res.GetSeq()) < r.k {
				cmds = append(cmds, r.schedule(done.GetResult()))
			} else {
				cmds = append(cmds, completeWorkflow(done.GetResult()))
			}
		case j.GetFireTimer() != nil:
			r.fired = true
		case j.GetSignalWorkflow() != nil:
			s := j.GetSignalWorkflow()
			if s.GetSignalName() == workloads.Signal && !r.signalled {
				r.signalled = true
				if in := s.GetInput(); len(in) > 0 {
					r.signal = in[0]
				}
			}
		}
	}
	if r != nil && r.typ == workloads.TimerSignal && r.fired && r.signalled && !r.done {
		r.done = true
		cmds = append(cmds, completeWorkflow(r.signal))
	}
	return cmds, nil
}

// initialize starts a run from its InitializeWorkflow job.
func initialize(init *bridgev1.InitializeWorkflow) (*wfRun, []*bridgev1.WorkflowCommand, error) {
	args := init.GetArguments()
	r := &wfRun{typ: init.GetWorkflowType()}
	switch r.typ {
	case workloads.Chain: // Chain(k int, input string)
		if len(args) != 2 {
			return nil, nil, fmt.Errorf("echoapp: Chain takes 2 arguments, got %d", len(args))
		}
		if err := json.Unmarshal(args[0].GetData(), &r.k); err != nil {
			return nil, nil, fmt.Errorf("echoapp: Chain's k: %w", err)
		}
		if r.k <= 0 {
			return r, []*bridgev1.WorkflowCommand{completeWorkflow(args[1])}, nil
		}
		return r, []*bridgev1.WorkflowCommand{r.schedule(args[1])}, nil
	case workloads.TimerSignal: // TimerSignal(ms int)
		var ms int64
		if len(args) != 1 {
			return nil, nil, fmt.Errorf("echoapp: TimerSignal takes 1 argument, got %d", len(args))
		}
		if err := json.Unmarshal(args[0].GetData(), &ms); err != nil {
			return nil, nil, fmt.Errorf("echoapp: TimerSignal's ms: %w", err)
		}
		return r, []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_StartTimer{StartTimer: &bridgev1.StartTimer{
			Seq: 1, StartToFireTimeout: durationpb.New(time.Duration(ms) * time.Millisecond)}}}}, nil
	}
	return nil, nil, fmt.Errorf("echoapp: unknown workflow type %q", r.typ)
}

// schedule is the command for Chain's next Echo activity, on input.
func (r *wfRun) schedule(input *bridgev1.Payload) *bridgev1.WorkflowCommand {
	r.next++
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{
		Seq: r.next, ActivityType: workloads.Echo, Arguments: []*bridgev1.Payload{input},
		StartToCloseTimeout: startToClose, RetryPolicy: oneAttempt}}}
}

func completeWorkflow(result *bridgev1.Payload) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CompleteWorkflowExecution{
		CompleteWorkflowExecution: &bridgev1.CompleteWorkflowExecution{Result: result}}}
}

func failWorkflow(f *bridgev1.Failure) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_FailWorkflowExecution{
		FailWorkflowExecution: &bridgev1.FailWorkflowExecution{Failure: f}}}
}

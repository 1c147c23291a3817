package main

import (
	"testing"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

func payload(s string) *bridgev1.Payload {
	return &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(s)}
}

func activation(run string, jobs ...*bridgev1.WorkflowActivationJob) *bridgev1.WorkflowActivation {
	return &bridgev1.WorkflowActivation{RunId: run, Jobs: jobs}
}

func initJob(typ string, args ...*bridgev1.Payload) *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_InitializeWorkflow{
		InitializeWorkflow: &bridgev1.InitializeWorkflow{WorkflowType: typ, Arguments: args}}}
}

func resolved(seq uint32, result *bridgev1.Payload) *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveActivity{ResolveActivity: &bridgev1.ResolveActivity{
		Seq: seq, Result: &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Completed{
			Completed: &bridgev1.ActivityResolutionCompleted{Result: result}}}}}}
}

func evict() *bridgev1.WorkflowActivationJob {
	return &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_RemoveFromCache{RemoveFromCache: &bridgev1.RemoveFromCache{}}}
}

func TestChain(t *testing.T) {
	w := newWorkflows()
	in := payload(`"hi"`)
	cmds, fail := w.activate(activation("r1", initJob("Chain", payload("3"), in)))
	if fail != nil || len(cmds) != 1 || cmds[0].GetScheduleActivity().GetSeq() != 1 ||
		cmds[0].GetScheduleActivity().GetActivityType() != "Echo" || cmds[0].GetScheduleActivity().GetArguments()[0] != in ||
		cmds[0].GetScheduleActivity().GetRetryPolicy().GetMaximumAttempts() != 1 {
		t.Fatalf("start: %v, %v", cmds, fail)
	}
	for seq := uint32(1); seq <= 2; seq++ {
		cmds, fail = w.activate(activation("r1", resolved(seq, in)))
		if fail != nil || len(cmds) != 1 || cmds[0].GetScheduleActivity().GetSeq() != seq+1 {
			t.Fatalf("after activity %d: %v, %v", seq, cmds, fail)
		}
	}
	last := payload(`"last"`)
	cmds, fail = w.activate(activation("r1", resolved(3, last)))
	if fail != nil || len(cmds) != 1 || cmds[0].GetCompleteWorkflowExecution().GetResult() != last {
		t.Fatalf("after the last activity: %v, %v", cmds, fail)
	}
	cmds, fail = w.activate(activation("r1", evict()))
	if fail != nil || len(cmds) != 0 || w.cached() != 0 {
		t.Fatalf("eviction: %v, %v, %d cached", cmds, fail, w.cached())
	}
	// An activation for a run the app no longer holds fails.
	if _, fail = w.activate(activation("r1", resolved(1, in))); fail == nil {
		t.Fatal("an activation for an evicted run was answered")
	}
	// A failed activity fails the workflow.
	w.activate(activation("r2", initJob("Chain", payload("2"), in)))
	cmds, _ = w.activate(activation("r2", &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveActivity{
		ResolveActivity: &bridgev1.ResolveActivity{Seq: 1, Result: &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{
			Failed: &bridgev1.ActivityResolutionFailed{Failure: &bridgev1.Failure{Message: "boom"}}}}}}}))
	if len(cmds) != 1 || cmds[0].GetFailWorkflowExecution().GetFailure().GetCause().GetMessage() != "boom" {
		t.Fatalf("failed activity: %v", cmds)
	}
}

func TestTimerSignal(t *testing.T) {
	for _, signalFirst := range []bool{true, false} {
		w := newWorkflows()
		cmds, fail := w.activate(activation("r", initJob("TimerSignal", payload("100"))))
		if fail != nil || len(cmds) != 1 || cmds[0].GetStartTimer().GetSeq() != 1 || cmds[0].GetStartTimer().GetStartToFireTimeout().AsDuration().Milliseconds() != 100 {
			t.Fatalf("start: %v, %v", cmds, fail)
		}
		v := payload(`"go!"`)
		signal := &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_SignalWorkflow{SignalWorkflow: &bridgev1.SignalWorkflow{
			SignalName: "go", Input: []*bridgev1.Payload{v}}}}
		fire := &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_FireTimer{FireTimer: &bridgev1.FireTimer{Seq: 1}}}
		first, second := signal, fire
		if !signalFirst {
			first, second = fire, signal
		}
		if cmds, _ = w.activate(activation("r", first)); len(cmds) != 0 {
			t.Fatalf("completed after one of timer and signal: %v", cmds)
		}
		cmds, _ = w.activate(activation("r", second))
		if len(cmds) != 1 || cmds[0].GetCompleteWorkflowExecution().GetResult() != v {
			t.Fatalf("after both: %v", cmds)
		}
	}
	// Both in one activation, with the start (a replay after eviction).
	w := newWorkflows()
	cmds, _ := w.activate(activation("r", initJob("TimerSignal", payload("100")),
		&bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_SignalWorkflow{SignalWorkflow: &bridgev1.SignalWorkflow{SignalName: "go"}}}))
	if len(cmds) != 1 || cmds[0].GetStartTimer() == nil {
		t.Fatalf("start with a signal: %v", cmds)
	}
}

func TestUnknownWorkflowFailsActivation(t *testing.T) {
	if _, fail := newWorkflows().activate(activation("r", initJob("Nope"))); fail == nil {
		t.Fatal("an unknown workflow type was accepted")
	}
}

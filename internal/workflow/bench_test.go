package workflow

import (
	"fmt"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// These guard the sidecar-side cost of one workflow task, without I/O:
// applying a history batch and building its activation (run.apply,
// activation), and validating the app's completion (run.take). A sticky hit
// must cost the same whatever the history length.

var (
	benchNow     = timestamppb.New(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	benchPayload = &commonpb.Payloads{Payloads: []*commonpb.Payload{{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"hello, benchmark"`)}}}
)

func benchEvent(id int64, t enumspb.EventType) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventId: id, EventTime: benchNow, EventType: t}
}

// benchFirstTask is a new run's first workflow task: started, scheduled, started.
func benchFirstTask(runID string) []*historypb.HistoryEvent {
	started := benchEvent(1, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
	started.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
		WorkflowType: &commonpb.WorkflowType{Name: "Bench"}, Input: benchPayload,
		WorkflowTaskTimeout: durationpb.New(10 * time.Second), OriginalExecutionRunId: runID, FirstExecutionRunId: runID,
		Identity: "bench", Attempt: 1}}
	return []*historypb.HistoryEvent{started, benchWFTScheduled(2), benchWFTStarted(3)}
}

func benchWFTScheduled(id int64) *historypb.HistoryEvent {
	ev := benchEvent(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
	ev.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
		StartToCloseTimeout: durationpb.New(10 * time.Second), Attempt: 1}}
	return ev
}

func benchWFTStarted(id int64) *historypb.HistoryEvent {
	ev := benchEvent(id, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED)
	ev.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
		ScheduledEventId: id - 1, HistorySizeBytes: id * 200}}
	return ev
}

func benchSignal(id int64) *historypb.HistoryEvent {
	ev := benchEvent(id, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
	ev.Attributes = &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{
		SignalName: "poke", Input: benchPayload, Identity: "bench"}}
	return ev
}

func benchTimerStarted(id int64, seq uint32) *historypb.HistoryEvent {
	ev := benchEvent(id, enumspb.EVENT_TYPE_TIMER_STARTED)
	ev.Attributes = &historypb.HistoryEvent_TimerStartedEventAttributes{TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{
		TimerId: timerID(seq), StartToFireTimeout: durationpb.New(time.Hour), WorkflowTaskCompletedEventId: id - 1}}
	return ev
}

func benchStartTimer(seq uint32) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_StartTimer{StartTimer: &bridgev1.StartTimer{
		Seq: seq, StartToFireTimeout: durationpb.New(time.Hour)}}}
}

// benchApply applies a task's events and builds its activation, as replay does.
func benchApply(tb testing.TB, r *run, events []*historypb.HistoryEvent) *bridgev1.WorkflowActivation {
	var jobs []*bridgev1.WorkflowActivationJob
	for _, ev := range events {
		js, err := r.apply(ev)
		if err != nil {
			tb.Fatal(err)
		}
		jobs = append(jobs, js...)
	}
	return activation(r, events[len(events)-1], false, jobs)
}

// benchStickyRun is a run whose first task started timer 1, grown with
// signal-only tasks to about n events. It returns the run and the next timer seq.
func benchStickyRun(tb testing.TB, n int) (*run, uint32) {
	r := newRun("run-bench")
	r.workflowID, r.workflowType, r.taskQueue, r.namespace = "wf-bench", "Bench", "q", "default"
	benchApply(tb, r, benchFirstTask(r.id))
	seq := uint32(1)
	if err := r.take([]*bridgev1.WorkflowCommand{benchStartTimer(seq)}, false, &batch{}); err != nil {
		tb.Fatal(err)
	}
	for r.lastEventID < int64(n) {
		id := r.lastEventID
		events := []*historypb.HistoryEvent{benchEvent(id+1, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), benchTimerStarted(id+2, seq)}
		id += 2
		for range min(500, max(1, n-int(id)-2)) {
			id++
			events = append(events, benchSignal(id))
		}
		events = append(events, benchWFTScheduled(id+1), benchWFTStarted(id+2))
		benchApply(tb, r, events)
		seq++
		if err := r.take([]*bridgev1.WorkflowCommand{benchStartTimer(seq)}, false, &batch{}); err != nil {
			tb.Fatal(err)
		}
	}
	return r, seq
}

// BenchmarkActivationFirstTask is a new run: its three first events applied
// and its activation (InitializeWorkflow) built.
func BenchmarkActivationFirstTask(b *testing.B) {
	events := benchFirstTask("run-bench")
	b.ReportAllocs()
	for b.Loop() {
		r := newRun("run-bench")
		r.workflowID, r.workflowType, r.taskQueue, r.namespace = "wf-bench", "Bench", "q", "default"
		if act := benchApply(b, r, events); len(act.GetJobs()) != 1 {
			b.Fatalf("jobs = %d, want 1", len(act.GetJobs()))
		}
	}
}

// BenchmarkStickyHit is one sticky-hit workflow task of a cached run: the
// previous task's WorkflowTaskCompleted and TimerStarted matched against the
// command it issued, one signal, the new task's events, the activation built,
// and the app's next StartTimer validated. Its cost must not depend on the
// history length.
func BenchmarkStickyHit(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("history=%d", n), func(b *testing.B) {
			r, seq := benchStickyRun(b, n)
			completed := benchEvent(0, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
			timer := benchTimerStarted(0, 0)
			signal := benchSignal(0)
			scheduled, started := benchWFTScheduled(0), benchWFTStarted(0)
			events := []*historypb.HistoryEvent{completed, timer, signal, scheduled, started}
			cmd := benchStartTimer(0)
			b.ReportAllocs()
			for b.Loop() {
				id := r.lastEventID
				for i, ev := range events {
					ev.EventId = id + 1 + int64(i)
				}
				timer.GetTimerStartedEventAttributes().TimerId = timerID(seq)
				if act := benchApply(b, r, events); len(act.GetJobs()) != 1 {
					b.Fatalf("jobs = %d, want 1 (the signal)", len(act.GetJobs()))
				}
				seq++
				cmd.GetStartTimer().Seq = seq
				if err := r.take([]*bridgev1.WorkflowCommand{cmd}, false, &batch{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTake is validating one completion's commands and turning them into
// Temporal commands.
func BenchmarkTake(b *testing.B) {
	arg := &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"hello"`)}
	cases := []struct {
		name string
		cmds func(seq uint32) []*bridgev1.WorkflowCommand
	}{
		{"start_timer", func(seq uint32) []*bridgev1.WorkflowCommand {
			return []*bridgev1.WorkflowCommand{benchStartTimer(seq)}
		}},
		{"schedule_activity", func(seq uint32) []*bridgev1.WorkflowCommand {
			return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{
				Seq: seq, ActivityType: "Echo", Arguments: []*bridgev1.Payload{arg}, StartToCloseTimeout: durationpb.New(time.Minute)}}}}
		}},
		{"complete_workflow", func(uint32) []*bridgev1.WorkflowCommand {
			return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_CompleteWorkflowExecution{
				CompleteWorkflowExecution: &bridgev1.CompleteWorkflowExecution{Result: arg}}}}
		}},
	}
	const perRun = 256 // commands taken on one run before a fresh one
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Commands are built ahead, outside the timer; each run takes
			// perRun of them (one, for a command that closes the run).
			n := perRun
			if c.name == "complete_workflow" {
				n = 1
			}
			var runs []*run
			var cmds [][]*bridgev1.WorkflowCommand
			refill := func() {
				runs, cmds = runs[:0], cmds[:0]
				for i := range perRun {
					if i%n == 0 {
						r := newRun("run-bench")
						r.workflowType, r.taskQueue = "Bench", "q"
						runs = append(runs, r)
					}
					cmds = append(cmds, c.cmds(uint32(i+1)))
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % perRun
				if k == 0 {
					b.StopTimer()
					refill()
					b.StartTimer()
				}
				if err := runs[k/n].take(cmds[k], false, &batch{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

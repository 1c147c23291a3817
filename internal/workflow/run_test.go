package workflow

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// history builds events with ids from 1.
func history(evs ...*historypb.HistoryEvent) []*historypb.HistoryEvent {
	for i, ev := range evs {
		ev.EventId = int64(i + 1)
	}
	return evs
}

func ev(t enumspb.EventType) *historypb.HistoryEvent { return &historypb.HistoryEvent{EventType: t} }

func started() *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType: &commonpb.WorkflowType{Name: "W"}, OriginalExecutionRunId: "run-1", WorkflowTaskTimeout: durationpb.New(5 * time.Second)}}}
}

func timerStarted(id string) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_TIMER_STARTED,
		Attributes: &historypb.HistoryEvent_TimerStartedEventAttributes{TimerStartedEventAttributes: &historypb.TimerStartedEventAttributes{TimerId: id}}}
}

func timerFired(id string) *historypb.HistoryEvent {
	return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_TIMER_FIRED,
		Attributes: &historypb.HistoryEvent_TimerFiredEventAttributes{TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{TimerId: id}}}
}

func timerCmd(seq uint32) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_StartTimer{StartTimer: &bridgev1.StartTimer{Seq: seq, StartToFireTimeout: durationpb.New(time.Second)}}}
}

func activityCmd(seq uint32) *bridgev1.WorkflowCommand {
	return &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{
		Seq: seq, ActivityType: "A", StartToCloseTimeout: durationpb.New(time.Second)}}}
}

// A run that started a timer in its first task and saw it fire.
var timerHistory = history(started(), ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED), ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED),
	ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED), timerStarted("1"), timerFired("1"),
	ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED), ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED))

// replayFirstTask applies the first task's events, takes cmds as its
// commands, then applies the rest; it returns the jobs of the second task.
func replayFirstTask(t *testing.T, cmds ...*bridgev1.WorkflowCommand) ([]*bridgev1.WorkflowActivationJob, error) {
	t.Helper()
	r := newRun("run-1")
	for _, e := range timerHistory[:3] {
		if _, err := r.apply(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.take(cmds, false, &batch{}); err != nil {
		return nil, err
	}
	var jobs []*bridgev1.WorkflowActivationJob
	for _, e := range timerHistory[3:] {
		js, err := r.apply(e)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, js...)
	}
	return jobs, nil
}

func TestReplayMatchesCommandsAgainstHistory(t *testing.T) {
	tests := []struct {
		name string
		cmds []*bridgev1.WorkflowCommand
		err  string
	}{
		{"same command replays", []*bridgev1.WorkflowCommand{timerCmd(1)}, ""},
		{"other command kind", []*bridgev1.WorkflowCommand{activityCmd(1)},
			"the workflow issued ScheduleActivityTask (seq 1), but history has TimerStarted (event 5)"},
		{"other timer", []*bridgev1.WorkflowCommand{timerCmd(2)},
			`the workflow issued StartTimer "2" (seq 2), but history has TimerStarted "1" (event 5)`},
		{"missing command", nil, "history has TimerStarted (event 5), but the workflow issued no command for it"},
		{"extra command", []*bridgev1.WorkflowCommand{timerCmd(1), activityCmd(1)},
			"the workflow issued ScheduleActivityTask (seq 1), which history does not have: event 6 is TimerFired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jobs, err := replayFirstTask(t, tt.cmds...)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(jobs) != 1 || jobs[0].GetFireTimer().GetSeq() != 1 {
					t.Fatalf("jobs = %v, want the timer firing", jobs)
				}
				return
			}
			var nd *NondeterminismError
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("err = %v, want %q", err, tt.err)
			}
			if !errors.As(err, &nd) {
				t.Fatalf("err %T is not a NondeterminismError", err)
			}
		})
	}
}

func TestFirstTaskInitializesWithSeedAndTimeout(t *testing.T) {
	r := newRun("run-1")
	jobs, err := r.apply(timerHistory[0])
	if err != nil {
		t.Fatal(err)
	}
	init := jobs[0].GetInitializeWorkflow()
	if init.GetWorkflowType() != "W" || init.GetRandomnessSeed() != seed("run-1") || r.taskTimeout != 5*time.Second {
		t.Fatalf("initialize = %v, task timeout %v", init, r.taskTimeout)
	}
}

func TestEventsMustBeContiguous(t *testing.T) {
	r := newRun("run-1")
	if _, err := r.apply(timerHistory[1]); err == nil || !strings.Contains(err.Error(), "history event 2 follows event 0: events are missing") {
		t.Fatalf("err = %v", err)
	}
}

func TestRecordedReturnsOnlyTheTasksCommandEvents(t *testing.T) {
	got := recorded(timerHistory[2:])
	if len(got) != 1 || got[0].GetEventType() != enumspb.EVENT_TYPE_TIMER_STARTED {
		t.Fatalf("recorded = %v", got)
	}
	if recorded(timerHistory[:3]) != nil {
		t.Fatal("a task that has not completed recorded nothing")
	}
}

func TestStartAndCancelInOneTaskSendsNothing(t *testing.T) {
	r := newRun("run-1")
	b := &batch{}
	cancel := &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CancelTimer{CancelTimer: &bridgev1.CancelTimer{Seq: 1}}}
	if err := r.take([]*bridgev1.WorkflowCommand{timerCmd(1), cancel}, false, b); err != nil {
		t.Fatal(err)
	}
	if len(b.out) != 0 || len(r.pending) != 0 {
		t.Fatalf("out %v, pending %v: a timer started and cancelled in one task must not reach the server", b.out, r.pending)
	}
}

func TestBackoffMarkerReplaysTheRecordedOriginalScheduleTime(t *testing.T) {
	r := newRun("run-1")
	first := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	l := &local{cmd: &bridgev1.ScheduleLocalActivity{Seq: 1, ActivityType: "A"}, attempt: 1, scheduled: first}
	a := r.markerFor(1, l, &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Backoff{Backoff: &bridgev1.DoBackoff{
		Attempt: 2, BackoffDuration: durationpb.New(1500 * time.Millisecond), OriginalScheduleTime: timestamppb.New(first)}}}).GetRecordMarkerCommandAttributes()
	marker := &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_MARKER_RECORDED, Attributes: &historypb.HistoryEvent_MarkerRecordedEventAttributes{
		MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{MarkerName: a.GetMarkerName(), Details: a.GetDetails(), Failure: a.GetFailure()}}}
	// A replay schedules the first attempt again, later.
	replayed := &local{cmd: l.cmd, attempt: 1, scheduled: first.Add(time.Hour)}
	b := r.resolutionFromMarker(replayed, 1, marker).GetBackoff()
	if b.GetAttempt() != 2 || b.GetBackoffDuration().AsDuration() != 1500*time.Millisecond || !b.GetOriginalScheduleTime().AsTime().Equal(first) {
		t.Fatalf("replayed backoff = %v; want attempt 2 after 1.5s, first scheduled %v", b, first)
	}
}

func TestLocalOutcomesNeverBlockAndKeepOrder(t *testing.T) {
	o := newLocalOutcomes()
	// More outcomes than any channel buffer the engine used to have, with
	// no reader: an evicted run's attempts still finish.
	for seq := uint32(1); seq <= 100; seq++ {
		o.add(localResult{seq: seq})
	}
	for want := uint32(1); want <= 100; want++ {
		select {
		case <-o.ready:
		default:
			t.Fatalf("no ready token with outcome %d queued", want)
		}
		got, ok := o.take()
		if !ok || got.seq != want {
			t.Fatalf("take = %d, %v; want %d", got.seq, ok, want)
		}
	}
	if _, ok := o.take(); ok {
		t.Fatal("take found an outcome in an empty queue")
	}
}

// Each sdk-core flag is recorded once per run, as core records it: not
// again in later completions, nor when the history (perhaps written by
// Temporal's SDK before a hand-off) already has it.
func TestCoreFlagsAreRecordedOncePerRun(t *testing.T) {
	changeVersion := changeVersionCommand([]string{"p"})
	timer := &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_START_TIMER}
	completedWith := func(flags ...uint32) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
			Attributes: &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
				SdkMetadata: &sdkpb.WorkflowTaskCompletedMetadata{CoreUsedFlags: flags}}}}
	}
	for _, tt := range []struct {
		name    string
		history []*historypb.HistoryEvent
		tasks   [][]*commandpb.Command
		want    [][]uint32
	}{
		{"new run: ids and types checked and closing commands moved last from the first task, upserts on patch from the first patch",
			history(started()), [][]*commandpb.Command{{timer}, {timer}, {changeVersion}, {changeVersion}},
			[][]uint32{{idAndTypeFlag, moveTerminalFlag}, nil, {upsertOnPatchFlag}, nil}},
		{"history that has the flags already",
			history(started(), ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED), ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED), completedWith(1, 2, 3)),
			[][]*commandpb.Command{{changeVersion}}, [][]uint32{nil}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRun("run-1")
			for _, e := range tt.history {
				if _, err := r.apply(e); err != nil {
					t.Fatal(err)
				}
			}
			for i, cmds := range tt.tasks {
				if got := r.newCoreFlags(cmds); !slices.Equal(got, tt.want[i]) {
					t.Fatalf("task %d records flags %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestLocalMarkerDataReadsSDKCoreAndLegacyFormats(t *testing.T) {
	tests := []struct {
		name, data           string
		backoff              time.Duration
		scheduled, completed time.Time
	}{
		// As temporalio 1.35 (sdk-core) recorded it.
		{"sdk-core", `{"seq":2,"attempt":2,"activity_id":"2","activity_type":"flaky","complete_time":{"seconds":1795605537,"nanos":508852650},"backoff":{"seconds":3,"nanos":0},"original_schedule_time":{"seconds":1795605535,"nanos":991478913},"activation_index":1}`,
			3 * time.Second, time.Unix(1795605535, 991478913), time.Unix(1795605537, 508852650)},
		{"sdk-core without backoff", `{"seq":3,"attempt":3,"activity_id":"3","activity_type":"flaky","complete_time":{"seconds":1795605540,"nanos":526092243},"backoff":null,"original_schedule_time":{"seconds":1795605535,"nanos":991478913},"activation_index":1}`,
			0, time.Unix(1795605535, 991478913), time.Unix(1795605540, 526092243)},
		// As sidecars before sdk-core's format recorded it.
		{"legacy strings", `{"seq":2,"attempt":2,"activity_id":"2","activity_type":"flaky","complete_time":"2026-11-25T10:00:01.5Z","backoff":"1.5s","original_schedule_time":"2026-11-25T10:00:00Z"}`,
			1500 * time.Millisecond, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 10, 0, 1, 5e8, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d localMarkerData
			if err := json.Unmarshal([]byte(tt.data), &d); err != nil {
				t.Fatal(err)
			}
			var backoff time.Duration
			if d.Backoff != nil {
				backoff = d.Backoff.duration()
			}
			if backoff != tt.backoff || !d.OriginalScheduleTime.time().Equal(tt.scheduled) || !d.CompleteTime.time().Equal(tt.completed) {
				t.Fatalf("read backoff %v, scheduled %v, completed %v; want %v, %v, %v", backoff, d.OriginalScheduleTime.time(),
					d.CompleteTime.time(), tt.backoff, tt.scheduled, tt.completed)
			}
		})
	}
}

func TestLocalMarkerDataIsWrittenAsSDKCoreWritesIt(t *testing.T) {
	d := localMarkerData{Seq: 1, Attempt: 1, ActivityID: "1", ActivityType: "flaky", CompleteTime: timeOf(time.Unix(10, 5)),
		Backoff: durationOf(1500 * time.Millisecond), OriginalScheduleTime: timeOf(time.Unix(9, 0)), ActivationIndex: 1}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"seq":1,"attempt":1,"activity_id":"1","activity_type":"flaky","complete_time":{"seconds":10,"nanos":5},"backoff":{"seconds":1,"nanos":500000000},"original_schedule_time":{"seconds":9,"nanos":0},"activation_index":1}`
	if string(b) != want {
		t.Fatalf("marker data\n%s\nwant\n%s", b, want)
	}
}

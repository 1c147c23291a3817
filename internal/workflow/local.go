package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	commandpb "go.temporal.io/api/command/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// localMarker is the marker name Temporal's core-based SDKs record for a
// local activity's outcome.
const localMarker = "core_local_activity"

// localTokenPrefix marks the task tokens of local activities, which the
// sidecar makes up: the server never sees them.
const localTokenPrefix = "local-activity/"

// IsLocalToken reports whether a task token belongs to a local activity.
func IsLocalToken(token []byte) bool { return strings.HasPrefix(string(token), localTokenPrefix) }

// localMarkerData is core's LocalActivityMarkerData, as JSON.
type localMarkerData struct {
	Seq                  uint32     `json:"seq"`
	Attempt              uint32     `json:"attempt"`
	ActivityID           string     `json:"activity_id"`
	ActivityType         string     `json:"activity_type"`
	CompleteTime         *protoTime `json:"complete_time"`
	Backoff              *protoTime `json:"backoff"` // a duration, in the same shape
	OriginalScheduleTime *protoTime `json:"original_schedule_time"`
	// Which activation of its workflow task resolved the activity.
	ActivationIndex uint32 `json:"activation_index"`
}

// protoTime is a google.protobuf Timestamp or Duration as sdk-core writes
// it in marker data: {"seconds": 1, "nanos": 500000000}.
type protoTime struct {
	Seconds int64 `json:"seconds"`
	Nanos   int32 `json:"nanos"`
}

func timeOf(t time.Time) *protoTime {
	return &protoTime{Seconds: t.Unix(), Nanos: int32(t.Nanosecond())}
}

func durationOf(d time.Duration) *protoTime {
	return &protoTime{Seconds: int64(d / time.Second), Nanos: int32(d % time.Second)}
}

func (p *protoTime) time() time.Time { return time.Unix(p.Seconds, int64(p.Nanos)) }

func (p *protoTime) duration() time.Duration {
	return time.Duration(p.Seconds)*time.Second + time.Duration(p.Nanos)
}

// UnmarshalJSON also reads the strings sidecars before sdk-core's format
// wrote ("2026-11-25T10:00:00Z", "1.5s"), so their histories still replay.
func (p *protoTime) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) != nil {
		type plain protoTime
		return json.Unmarshal(b, (*plain)(p))
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		*p = *timeOf(t)
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("marker time %q is neither a timestamp nor a duration", s)
	}
	*p = *durationOf(d)
	return nil
}

// local is a local activity the run scheduled.
type local struct {
	cmd      *bridgev1.ScheduleLocalActivity
	metadata *sdkpb.UserMetadata // the command's user metadata, for the marker
	// lastFailure is the failure of the attempt that ended in a DoBackoff.
	lastFailure *failurepb.Failure
	attempt     uint32
	scheduled   time.Time // when the first attempt was scheduled
	running     bool
	resolved    bool
	cancel      context.CancelFunc
	// lastResult is the outcome of a successful attempt, set by attemptLocal.
	lastResult *bridgev1.ActivityResolution
}

// localResult is a finished local activity, with what to record for it.
type localResult struct {
	seq     uint32
	attempt uint32
	res     *bridgev1.ActivityResolution
}

func localMarkerOf(ev *historypb.HistoryEvent) (localMarkerData, bool) {
	a := ev.GetMarkerRecordedEventAttributes()
	if a.GetMarkerName() != localMarker {
		return localMarkerData{}, false
	}
	var d localMarkerData
	ps := a.GetDetails()["data"].GetPayloads()
	if len(ps) == 0 || json.Unmarshal(ps[0].GetData(), &d) != nil {
		return localMarkerData{}, false
	}
	return d, true
}

// resolutionFromMarker rebuilds a local activity's outcome from its marker.
func (r *run) resolutionFromMarker(l *local, seq uint32, ev *historypb.HistoryEvent) *bridgev1.ActivityResolution {
	d, _ := localMarkerOf(ev)
	a := ev.GetMarkerRecordedEventAttributes()
	if d.Backoff != nil {
		// The recorded time, not l's: a replay schedules the first attempt anew.
		scheduled := l.scheduled
		if d.OriginalScheduleTime != nil {
			scheduled = d.OriginalScheduleTime.time()
		}
		return &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Backoff{Backoff: &bridgev1.DoBackoff{
			Attempt: d.Attempt + 1, BackoffDuration: durationpb.New(d.Backoff.duration()), OriginalScheduleTime: timestamppb.New(scheduled)}}}
	}
	if f := a.GetFailure(); f != nil {
		if f.GetCause().GetCanceledFailureInfo() != nil {
			return &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Cancelled{Cancelled: &bridgev1.ActivityResolutionCancelled{Failure: apiconv.BridgeFailure(f)}}}
		}
		return &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{Failed: &bridgev1.ActivityResolutionFailed{Failure: apiconv.BridgeFailure(f)}}}
	}
	var result *bridgev1.Payload
	if ps := apiconv.BridgePayloads(a.GetDetails()["result"]); len(ps) > 0 {
		result = ps[0]
	}
	return &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Completed{Completed: &bridgev1.ActivityResolutionCompleted{Result: result}}}
}

// markerFor is the marker command that records a local activity's outcome.
func (r *run) markerFor(seq uint32, l *local, res *bridgev1.ActivityResolution) *commandpb.Command {
	d := localMarkerData{Seq: seq, Attempt: l.attempt, ActivityID: localID(l.cmd), ActivityType: l.cmd.GetActivityType(),
		CompleteTime: timeOf(time.Now()), OriginalScheduleTime: timeOf(l.scheduled), ActivationIndex: r.taskActivations}
	attrs := &commandpb.RecordMarkerCommandAttributes{MarkerName: localMarker, Details: map[string]*commonpb.Payloads{}}
	switch s := res.GetStatus().(type) {
	case *bridgev1.ActivityResolution_Completed:
		if p := s.Completed.GetResult(); p != nil {
			attrs.Details["result"] = apiconv.Payloads([]*bridgev1.Payload{p})
		}
	case *bridgev1.ActivityResolution_Failed:
		attrs.Failure = apiconv.Failure(s.Failed.GetFailure())
	case *bridgev1.ActivityResolution_Cancelled:
		attrs.Failure = apiconv.Failure(s.Cancelled.GetFailure())
	case *bridgev1.ActivityResolution_Backoff:
		d.Backoff = durationOf(s.Backoff.GetBackoffDuration().AsDuration())
		// As sdk-core records it: the failure of the attempt that backs off.
		attrs.Failure = l.lastFailure
		if attrs.Failure == nil {
			attrs.Failure = &failurepb.Failure{Message: "local activity will retry after a backoff timer",
				FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{}}}
		}
	}
	data, _ := json.Marshal(d)
	attrs.Details["data"] = &commonpb.Payloads{Payloads: []*commonpb.Payload{{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: data}}}
	cmd := &commandpb.Command{CommandType: enumspb.COMMAND_TYPE_RECORD_MARKER,
		Attributes: &commandpb.Command_RecordMarkerCommandAttributes{RecordMarkerCommandAttributes: attrs}}
	// Also when it resolves later, in another activation than its command's.
	cmd.UserMetadata = l.metadata
	return cmd
}

func localID(c *bridgev1.ScheduleLocalActivity) string {
	if c.GetActivityId() != "" {
		return c.GetActivityId()
	}
	return strconv.FormatUint(uint64(c.GetSeq()), 10)
}

// takeLocal handles ScheduleLocalActivity and RequestCancelLocalActivity.
// On replay a scheduled local activity resolves from its marker at once;
// live ones are started by the engine after the activation.
func (r *run) takeLocal(i int, c *bridgev1.WorkflowCommand, b *batch, add func(uint32, *commandpb.Command)) (bool, error) {
	switch v := c.GetVariant().(type) {
	case *bridgev1.WorkflowCommand_ScheduleLocalActivity:
		s := v.ScheduleLocalActivity
		switch {
		case r.locals[s.GetSeq()] != nil:
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES, "commands[%d].schedule_local_activity.seq %d is already used", i, s.GetSeq())
		case s.GetActivityType() == "":
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES, "commands[%d].schedule_local_activity.activity_type is empty", i)
		case s.GetScheduleToCloseTimeout().AsDuration() <= 0 && s.GetStartToCloseTimeout().AsDuration() <= 0:
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
				"commands[%d].schedule_local_activity needs schedule_to_close_timeout or start_to_close_timeout", i)
		}
		l := &local{cmd: s, metadata: userMetadata(c), attempt: max(1, s.GetAttempt()), scheduled: time.Now()}
		if t := s.GetOriginalScheduleTime(); t != nil {
			l.scheduled = t.AsTime()
		}
		r.locals[s.GetSeq()] = l
		if ev := r.localHistory[s.GetSeq()]; ev != nil {
			r.resolveLocal(s.GetSeq(), l, r.resolutionFromMarker(l, s.GetSeq(), ev), b, add)
		}
	case *bridgev1.WorkflowCommand_RequestCancelLocalActivity:
		seq := v.RequestCancelLocalActivity.GetSeq()
		l := r.locals[seq]
		if l == nil {
			return true, malformed(enumspb.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
				"commands[%d].request_cancel_local_activity.seq %d names a local activity that was never scheduled", i, seq)
		}
		if l.resolved {
			return true, nil
		}
		switch l.cmd.GetCancellationType() {
		case bridgev1.CancellationType_CANCELLATION_TYPE_ABANDON:
			// Resolved at once; the attempt runs on and its outcome is dropped.
		case bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED:
			if l.running {
				// Resolved by awaitLocals once the app has answered the cancel.
				l.cancel()
				return true, nil
			}
		default:
			if l.cancel != nil {
				l.cancel()
			}
		}
		cause := &failurepb.Failure{Message: "local activity cancelled", FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{}}}
		r.resolveLocal(seq, l, &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Cancelled{Cancelled: &bridgev1.ActivityResolutionCancelled{
			Failure: r.localFailure(l, cause)}}}, b, add)
	default:
		return false, nil
	}
	return true, nil
}

// resolveLocal records a local activity's outcome and tells the workflow.
func (r *run) resolveLocal(seq uint32, l *local, res *bridgev1.ActivityResolution, b *batch, add func(uint32, *commandpb.Command)) {
	l.resolved = true
	add(seq, r.markerFor(seq, l, res))
	b.now = append(b.now, &bridgev1.WorkflowActivationJob{Variant: &bridgev1.WorkflowActivationJob_ResolveActivity{
		ResolveActivity: &bridgev1.ResolveActivity{Seq: seq, Result: res, IsLocal: true}}})
}

// localFailure wraps a local activity's failure as an ActivityFailure.
func (r *run) localFailure(l *local, cause *failurepb.Failure) *bridgev1.Failure {
	return apiconv.BridgeFailure(&failurepb.Failure{Message: "local activity error", Source: "TemporalSidecar", Cause: cause,
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
			ActivityType: &commonpb.ActivityType{Name: l.cmd.GetActivityType()}, ActivityId: localID(l.cmd)}}})
}

// sameLocal checks a local activity marker command against its event.
func sameLocal(p pending, ev *historypb.HistoryEvent) error {
	got, ok := localMarkerOf(ev)
	if !ok {
		return nil
	}
	var want localMarkerData
	if ps := p.cmd.GetRecordMarkerCommandAttributes().GetDetails()["data"].GetPayloads(); len(ps) > 0 {
		_ = json.Unmarshal(ps[0].GetData(), &want)
	}
	if got.Seq != want.Seq || got.ActivityType != want.ActivityType {
		return nondeterminism("the workflow ran local activity %s (seq %d), but history has local activity %s (seq %d, event %d)",
			want.ActivityType, want.Seq, got.ActivityType, got.Seq, ev.GetEventId())
	}
	return nil
}

// startLocals starts the local activities the workflow scheduled and that
// are neither resolved nor running. Their results arrive on ent.localDone.
func (e *Engine) startLocals(ent *entry) {
	for seq, l := range ent.run.locals {
		if l.resolved || l.running {
			continue
		}
		l.running = true
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel = cancel
		go func() {
			attempt, res := e.runLocal(ctx, ent.run, seq, l)
			ent.localDone.add(localResult{seq: seq, attempt: attempt, res: res})
		}()
	}
}

// adder adds a command the sidecar makes itself (a local activity's marker)
// to the task's answer.
func (r *run) adder(b *batch) func(uint32, *commandpb.Command) {
	return func(seq uint32, cmd *commandpb.Command) {
		b.out = append(b.out, cmd)
		r.pending = append(r.pending, pending{cmd: cmd, seq: seq})
	}
}

// learnMarkers makes the local activity markers a replayed task recorded
// (its commands: the events up to the next task) known to the run, and
// returns their seqs in history order. Markers of later tasks stay unknown
// until their task, as they were in the original run: a local activity that
// finished during a later task (the first one heartbeating while it ran)
// resolves there, after that task's own jobs, not as soon as the workflow
// schedules it.
func (r *run) learnMarkers(commands []*historypb.HistoryEvent) []uint32 {
	var seqs []uint32
	for _, ev := range commands {
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED {
			break
		}
		if d, ok := localMarkerOf(ev); ok {
			r.localHistory[d.Seq] = ev
			seqs = append(seqs, d.Seq)
		}
	}
	return seqs
}

// resolveRecorded resolves, one follow-up activation each and in history
// order, the local activities whose markers (seqs) the replayed task act
// belongs to recorded but that an earlier task scheduled: the original run
// saw each finish after the task's first activation. Those the task itself
// scheduled are resolved already.
func (e *Engine) resolveRecorded(ctx context.Context, ent *entry, act *bridgev1.WorkflowActivation, b *batch, seqs []uint32) error {
	r := ent.run
	for _, seq := range seqs {
		l := r.locals[seq]
		if l == nil || l.resolved {
			continue
		}
		r.resolveLocal(seq, l, r.resolutionFromMarker(l, seq, r.localHistory[seq]), b, r.adder(b))
		jobs := b.now
		b.now = nil
		if err := e.activationsInto(ctx, ent, followUp(act, jobs), b); err != nil {
			return err
		}
	}
	return nil
}

// localOutcomes queues the outcomes of a run's local activities. Adding
// never blocks: an attempt may end after its run left the cache (evicted, or
// abandoned by the workflow), when nobody reads them any more.
type localOutcomes struct {
	mu    sync.Mutex
	queue []localResult
	ready chan struct{} // holds a token while the queue is not empty
}

func newLocalOutcomes() *localOutcomes { return &localOutcomes{ready: make(chan struct{}, 1)} }

func (o *localOutcomes) add(r localResult) {
	o.mu.Lock()
	o.queue = append(o.queue, r)
	o.mu.Unlock()
	o.signal()
}

// take removes the oldest outcome, if any.
func (o *localOutcomes) take() (localResult, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) == 0 {
		return localResult{}, false
	}
	r := o.queue[0]
	o.queue = o.queue[1:]
	if len(o.queue) > 0 {
		o.signal()
	}
	return r, true
}

func (o *localOutcomes) signal() {
	select {
	case o.ready <- struct{}{}:
	default:
	}
}

// runningLocals counts local activities still running.
func (r *run) runningLocals() int {
	n := 0
	for _, l := range r.locals {
		if l.running && !l.resolved {
			n++
		}
	}
	return n
}

// awaitLocals keeps the workflow task open while local activities run,
// resolving each into the workflow as it finishes. When the task has been
// open for 80% of its timeout it returns heartbeat true: the caller
// completes the task asking for a new one, and waiting goes on there.
//
// Once the workflow has closed (a follow-up activation completed it), the
// task is answered at once and the local activities still running are
// cancelled, as sdk-core cancels every local activity of a run that issued
// its closing command: an outcome that came later could only add a marker
// after the closing command, which the server refuses.
func (e *Engine) awaitLocals(ctx context.Context, ent *entry, started time.Time, act *bridgev1.WorkflowActivation, b *batch) (heartbeat bool, err error) {
	r := ent.run
	defer func() {
		if r.closed {
			r.stopLocals()
		}
	}()
	if r.closed {
		return false, nil
	}
	e.startLocals(ent)
	deadline := started.Add(r.taskTimeout * 4 / 5)
	for !r.closed && r.runningLocals() > 0 {
		timer := time.NewTimer(time.Until(deadline))
		select {
		case <-ent.localDone.ready:
			timer.Stop()
			done, ok := ent.localDone.take()
			if !ok {
				continue
			}
			l := r.locals[done.seq]
			l.running = false
			if l.resolved {
				continue // cancelled meanwhile; already resolved
			}
			l.attempt = done.attempt
			r.resolveLocal(done.seq, l, done.res, b, r.adder(b))
			jobs := b.now
			b.now = nil
			if err := e.activationsInto(ctx, ent, followUp(act, jobs), b); err != nil {
				return false, err
			}
			e.startLocals(ent)
		case <-timer.C:
			return true, nil
		case <-ctx.Done():
			timer.Stop()
			return false, ctx.Err()
		}
	}
	return false, nil
}

// stopLocals cancels the run's running local activities (the run is leaving
// the cache).
func (r *run) stopLocals() {
	for _, l := range r.locals {
		if l.running && l.cancel != nil {
			l.cancel()
		}
	}
}

// runLocal runs a local activity in an app, retrying locally while the next
// backoff is within the local retry threshold.
func (e *Engine) runLocal(ctx context.Context, r *run, seq uint32, l *local) (uint32, *bridgev1.ActivityResolution) {
	c := l.cmd
	attempt := l.attempt
	for {
		f := e.attemptLocal(ctx, r, seq, l, attempt)
		switch {
		case f == nil:
			return attempt, l.lastResult
		case ctx.Err() != nil:
			return attempt, &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Cancelled{Cancelled: &bridgev1.ActivityResolutionCancelled{
				Failure: r.localFailure(l, &failurepb.Failure{Message: "local activity cancelled",
					FailureInfo: &failurepb.Failure_CanceledFailureInfo{CanceledFailureInfo: &failurepb.CanceledFailureInfo{}}})}}}
		}
		backoff, retry := nextBackoff(c.GetRetryPolicy(), attempt, f)
		if s2c := c.GetScheduleToCloseTimeout().AsDuration(); s2c > 0 && time.Since(l.scheduled)+backoff >= s2c {
			retry = false
		}
		if !retry {
			return attempt, &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Failed{Failed: &bridgev1.ActivityResolutionFailed{
				Failure: r.localFailure(l, f)}}}
		}
		threshold := c.GetLocalRetryThreshold().AsDuration()
		if threshold <= 0 {
			threshold = time.Minute
		}
		if backoff > threshold {
			// Too long to hold the workflow task: the workflow sleeps on a
			// durable timer and schedules the next attempt itself.
			l.lastFailure = f
			return attempt, &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Backoff{Backoff: &bridgev1.DoBackoff{
				Attempt: attempt + 1, BackoffDuration: durationpb.New(backoff), OriginalScheduleTime: timestamppb.New(l.scheduled)}}}
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
		}
		attempt++
	}
}

// nextBackoff applies a retry policy (Temporal's defaults for unset fields)
// to a failed attempt.
func nextBackoff(p *bridgev1.RetryPolicy, attempt uint32, f *failurepb.Failure) (time.Duration, bool) {
	if info := f.GetApplicationFailureInfo(); info != nil {
		if info.GetNonRetryable() || slices.Contains(p.GetNonRetryableErrorTypes(), info.GetType()) {
			return 0, false
		}
		if d := info.GetNextRetryDelay().AsDuration(); d > 0 {
			return d, p.GetMaximumAttempts() == 0 || int32(attempt) < p.GetMaximumAttempts()
		}
	}
	if p.GetMaximumAttempts() > 0 && int32(attempt) >= p.GetMaximumAttempts() {
		return 0, false
	}
	initial := p.GetInitialInterval().AsDuration()
	if initial <= 0 {
		initial = time.Second
	}
	coeff := p.GetBackoffCoefficient()
	if coeff < 1 {
		coeff = 2
	}
	maxInterval := p.GetMaximumInterval().AsDuration()
	if maxInterval <= 0 {
		maxInterval = 100 * initial
	}
	d := time.Duration(float64(initial) * math.Pow(coeff, float64(attempt-1)))
	return min(d, maxInterval), true
}

// attemptLocal runs one attempt in an app. It returns nil on success (the
// result is in l.lastResult) or the attempt's failure.
func (e *Engine) attemptLocal(ctx context.Context, r *run, seq uint32, l *local, attempt uint32) (failed *failurepb.Failure) {
	c := l.cmd
	// sdk-core's local activity metrics, for an attempt an app was sent.
	var sent time.Time
	cancelled := false
	defer func() {
		if sent.IsZero() {
			return
		}
		outcome, since := telemetry.LocalSucceeded, time.Since(l.scheduled)
		switch {
		case failed == nil:
		case cancelled:
			outcome = telemetry.LocalCancelled
		case failed.GetApplicationFailureInfo().GetCategory() == enumspb.APPLICATION_ERROR_CATEGORY_BENIGN:
			outcome = -1 // neither succeeded nor counted as failed, as in sdk-core
		default:
			outcome = telemetry.LocalFailed
		}
		e.opts.Metrics.LocalActivityCompleted(c.GetActivityType(), r.workflowType, time.Since(sent), outcome, since)
	}()
	permit, err := e.opts.LocalSlots.Reserve(ctx, slots.Info{Kind: task.LocalActivity})
	if err != nil {
		return &failurepb.Failure{Message: "cancelled before it started"}
	}
	defer e.opts.LocalSlots.Release(permit)
	if err := e.opts.Bridge.Acquire(ctx, task.LocalActivity); err != nil {
		return &failurepb.Failure{Message: "cancelled before an app took it"}
	}
	ss, err := e.opts.Bridge.Assign(ctx, task.LocalActivity, c.GetActivityType())
	if errors.Is(err, bridge.ErrNotServed) {
		return &failurepb.Failure{Message: fmt.Sprintf("activity type %q is not registered by any app connected to this sidecar", c.GetActivityType()),
			FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "NotFoundError"}}}
	}
	if err != nil {
		return &failurepb.Failure{Message: "cancelled before an app took it"}
	}
	defer ss.Release(task.LocalActivity)
	permit.Info.Type = c.GetActivityType() // an app's slot supplier learns which activity uses its slot
	e.opts.LocalSlots.MarkUsed(permit)

	token := []byte(fmt.Sprintf("%s%s/%d/%d", localTokenPrefix, r.id, seq, attempt))
	w := &localWaiter{session: ss, ch: make(chan *bridgev1.ActivityExecutionResult, 1)}
	e.mu.Lock()
	e.localWaiting[string(token)] = w
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.localWaiting, string(token))
		e.mu.Unlock()
	}()
	now := time.Now()
	start := &bridgev1.StartActivity{
		WorkflowNamespace: r.namespace, WorkflowType: r.workflowType,
		WorkflowExecution: &bridgev1.WorkflowExecution{WorkflowId: r.workflowID, RunId: r.id},
		ActivityId:        localID(c), ActivityType: c.GetActivityType(), Headers: c.GetHeaders(), Input: c.GetArguments(),
		ScheduledTime: timestamppb.New(l.scheduled), CurrentAttemptScheduledTime: timestamppb.New(now), StartedTime: timestamppb.New(now),
		Attempt: attempt, ScheduleToCloseTimeout: c.GetScheduleToCloseTimeout(), StartToCloseTimeout: c.GetStartToCloseTimeout(),
		RetryPolicy: c.GetRetryPolicy(), IsLocal: true, TaskQueue: r.taskQueue,
	}
	if err := ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_ActivityTask{ActivityTask: &bridgev1.ActivityTask{
		TaskToken: token, Variant: &bridgev1.ActivityTask_Start{Start: start}}}}); err != nil {
		return workerLostFailure()
	}
	sent = now
	e.opts.Metrics.LocalActivityStarted(c.GetActivityType(), r.workflowType)
	limit, kind := c.GetStartToCloseTimeout().AsDuration(), enumspb.TIMEOUT_TYPE_START_TO_CLOSE
	if s2c := c.GetScheduleToCloseTimeout().AsDuration(); s2c > 0 && (limit <= 0 || time.Until(l.scheduled.Add(s2c)) < limit) {
		limit, kind = time.Until(l.scheduled.Add(s2c)), enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE
	}
	timeout := time.NewTimer(limit)
	defer timeout.Stop()
	cancelApp := func(reason bridgev1.ActivityCancelReason) {
		_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_ActivityTask{ActivityTask: &bridgev1.ActivityTask{
			TaskToken: token, Variant: &bridgev1.ActivityTask_Cancel{Cancel: apiconv.CancelActivity(reason, "")}}}})
	}
	select {
	case res := <-w.ch:
		switch s := res.GetStatus().(type) {
		case *bridgev1.ActivityExecutionResult_Completed:
			l.lastResult = &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Completed{Completed: &bridgev1.ActivityResolutionCompleted{
				Result: s.Completed.GetResult()}}}
			return nil
		case *bridgev1.ActivityExecutionResult_Failed:
			if f := apiconv.Failure(s.Failed.GetFailure()); f != nil {
				return f
			}
			return &failurepb.Failure{Message: "the local activity failed without saying why"}
		default:
			return &failurepb.Failure{Message: "the local activity answered " + string(res.ProtoReflect().WhichOneof(res.ProtoReflect().Descriptor().Oneofs().ByName("status")).Name()) +
				", which a local activity cannot"}
		}
	case <-timeout.C:
		cancelApp(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_TIMED_OUT)
		return &failurepb.Failure{Message: "local activity timed out", FailureInfo: &failurepb.Failure_TimeoutFailureInfo{
			TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: kind}}}
	case <-ss.Done():
		return workerLostFailure()
	case <-ctx.Done():
		cancelApp(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_CANCELLED)
		if c.GetCancellationType() == bridgev1.CancellationType_CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED {
			// The workflow waits until the app has stopped the attempt (or
			// it finished anyway, which the workflow then sees).
			select {
			case res := <-w.ch:
				if done := res.GetCompleted(); done != nil {
					l.lastResult = &bridgev1.ActivityResolution{Status: &bridgev1.ActivityResolution_Completed{Completed: &bridgev1.ActivityResolutionCompleted{
						Result: done.GetResult()}}}
					return nil
				}
			case <-timeout.C:
			case <-ss.Done():
			}
		}
		cancelled = true
		return &failurepb.Failure{Message: "local activity cancelled"}
	}
}

func workerLostFailure() *failurepb.Failure {
	return &failurepb.Failure{Message: "worker process lost: the app running the local activity disconnected",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: "WorkerProcessLost"}}}
}

type localWaiter struct {
	session *bridge.Session
	ch      chan *bridgev1.ActivityExecutionResult
}

// CompleteLocal hands an app's answer to a local activity attempt to the
// engine. Heartbeats of local activities are accepted and ignored.
func (e *Engine) CompleteLocal(ss *bridge.Session, c *bridgev1.ActivityTaskCompletion) {
	e.mu.Lock()
	w := e.localWaiting[string(c.GetTaskToken())]
	if w != nil && w.session == ss {
		delete(e.localWaiting, string(c.GetTaskToken()))
	} else {
		w = nil
	}
	e.mu.Unlock()
	if w == nil {
		_ = ss.Send(bridge.UnknownTask(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{ActivityCompletion: c}}))
		return
	}
	w.ch <- c.GetResult()
}

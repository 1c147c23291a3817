package kit

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordedHistory is a run of kit.workflow("kit") recorded from the
// Python client through the sidecar (temporal workflow show --output json).
//
//go:embed testdata/kit_workflow_history.json
var recordedHistory string

// expectedCommands are the commands kit.workflow issues, one activation
// after another: a 100ms timer, kit.echo, then completion with its result.
var expectedCommands = []string{"start_timer", "schedule_activity:" + Echo, "complete_workflow_execution"}

type scenario struct {
	name string
	// applies says why the scenario does not apply to the registration
	// ("" when it does).
	applies func(reg *bridgev1.Register) string
	run     func(ctx context.Context, r *rig) (string, error)
}

func always(*bridgev1.Register) string { return "" }

func servesActivities(reg *bridgev1.Register) string {
	if len(reg.GetActivities()) == 0 && !reg.GetDynamicActivity() {
		return "the app registers no activity types"
	}
	return ""
}

func servesWorkflows(reg *bridgev1.Register) string {
	if len(reg.GetWorkflows()) == 0 && !reg.GetDynamicWorkflow() {
		return "the app registers no workflow types"
	}
	return ""
}

func servesAny(reg *bridgev1.Register) string {
	if servesActivities(reg) != "" && servesWorkflows(reg) != "" {
		return "the app registers neither activities nor workflows"
	}
	return ""
}

func scenarios() []scenario {
	return []scenario{
		{"register", always, scRegister},
		{"activity: echo", servesActivities, scEcho},
		{"activity: application failure", servesActivities, scFailRetryable},
		{"activity: non-retryable failure", servesActivities, scFailNonRetryable},
		{"activity: heartbeat details", servesActivities, scHeartbeat},
		{"activity: cancellation", servesActivities, scCancel},
		{"activity: capacity", servesActivities, scCapacity},
		{"workflow: live run", servesWorkflows, scWorkflow},
		{"workflow: replay recorded history", servesWorkflows, scReplay},
		{"workflow: replay nondeterminism", servesWorkflows, scReplayNondeterminism},
		{"sidecar restart: drain, reconnect", servesAny, scSidecarRestart},
		{"app shutdown: drain", servesAny, scAppDrain},
		{"protocol: no completion errors", always, scNoCompletionErrors},
	}
}

// ---------------------------------------------------------------- helpers

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

func payloadJSON(p *bridgev1.Payload) string {
	if p == nil {
		return "<none>"
	}
	return string(p.GetData())
}

var runSeq int

func runID(name string) string {
	runSeq++
	return fmt.Sprintf("kit-%s-%d-%d", strings.ReplaceAll(name, ".", "-"), runSeq, time.Now().UnixNano()%1e6)
}

// started is an activity start the sidecar sent to the app.
type started struct {
	at    time.Time
	token string
	start *bridgev1.StartActivity
	s     *session
}

// starts returns the activity starts of one driver run.
func starts(evs []event, wfID string) []started {
	var out []started
	for _, e := range evs {
		if t := e.resp.GetActivityTask(); t != nil && t.GetStart() != nil &&
			t.GetStart().GetWorkflowExecution().GetWorkflowId() == wfID {
			out = append(out, started{at: e.at, token: string(t.GetTaskToken()), start: t.GetStart(), s: e.session})
		}
	}
	return out
}

// completion returns the app's answer to an activity task and when it came.
func completion(evs []event, token string) (*bridgev1.ActivityExecutionResult, time.Time) {
	for _, e := range evs {
		if c := e.req.GetActivityCompletion(); c != nil && string(c.GetTaskToken()) == token {
			return c.GetResult(), e.at
		}
	}
	return nil, time.Time{}
}

func statusName(r *bridgev1.ActivityExecutionResult) string {
	switch r.GetStatus().(type) {
	case *bridgev1.ActivityExecutionResult_Completed:
		return "completed"
	case *bridgev1.ActivityExecutionResult_Failed:
		return "failed"
	case *bridgev1.ActivityExecutionResult_Cancelled:
		return "cancelled"
	case *bridgev1.ActivityExecutionResult_WillCompleteAsync:
		return "will_complete_async"
	}
	return "none"
}

func requireType(r *rig, name string) error {
	reg := r.proxy.live()
	if reg == nil {
		return errors.New("no app session is registered")
	}
	if reg.register.GetDynamicActivity() || slices.ContainsFunc(reg.register.GetActivities(),
		func(a *bridgev1.ActivityRegistration) bool { return a.GetName() == name }) {
		return nil
	}
	return fmt.Errorf("the app does not register activity type %q (the kit's contract: %s)", name, strings.Join(ActivityTypes, ", "))
}

func one(out []outcome) (outcome, error) {
	if len(out) != 1 {
		return outcome{}, fmt.Errorf("driver returned %d outcomes, want 1", len(out))
	}
	return out[0], nil
}

func errString(e *errInfo) string {
	if e == nil {
		return "success"
	}
	b, _ := json.Marshal(e)
	return string(b)
}

// ---------------------------------------------------------------- scenarios

func scRegister(ctx context.Context, r *rig) (string, error) {
	ok := r.proxy.waitFor(ctx, 30*time.Second, func([]event) bool { return r.proxy.live() != nil || r.app.exited() })
	s := r.proxy.live()
	if !ok || s == nil {
		evs, _ := r.proxy.snapshot()
		why := "no session registered within 30s"
		for _, e := range evs {
			if e.req.GetRegister() != nil && e.session.ended {
				why = fmt.Sprintf("the sidecar refused the registration: %v", e.session.end)
			}
		}
		if r.app.exited() {
			code, _ := r.app.wait(0)
			why += fmt.Sprintf("; the app exited with status %d", code)
		}
		return "", fmt.Errorf("%s; app log:\n%s", why, r.app.tail(15))
	}
	reg := s.register
	var names []string
	for _, a := range reg.GetActivities() {
		names = append(names, a.GetName())
	}
	for _, w := range reg.GetWorkflows() {
		names = append(names, "wf:"+w.GetName())
	}
	c := reg.GetCapacity()
	detail := fmt.Sprintf("%s %s; %s; capacity activities=%d workflow_activations=%d", reg.GetSdkName(), reg.GetSdkVersion(),
		strings.Join(names, " "), c.GetActivities(), c.GetWorkflowActivations())
	if servesActivities(reg) == "" && !reg.GetDynamicActivity() {
		var missing []string
		for _, t := range ActivityTypes {
			if requireType(r, t) != nil {
				missing = append(missing, t)
			}
		}
		if len(missing) > 0 {
			return detail, fmt.Errorf("activity types missing from the registration: %s (registered: %s)", strings.Join(missing, ", "), strings.Join(names, " "))
		}
	}
	if servesWorkflows(reg) == "" && !reg.GetDynamicWorkflow() &&
		!slices.ContainsFunc(reg.GetWorkflows(), func(w *bridgev1.WorkflowRegistration) bool { return w.GetName() == Workflow }) {
		return detail, fmt.Errorf("workflow type %q missing from the registration", Workflow)
	}
	return detail, nil
}

func scEcho(ctx context.Context, r *rig) (string, error) {
	if err := requireType(r, Echo); err != nil {
		return "", err
	}
	in := `{"greeting":"héllo, kit ✓","n":[1,2.5,-3],"nested":{"ok":true,"none":null}}`
	out, err := r.drive.run(ctx, runID(Echo), call{Queue: r.queue, Type: Echo, Args: []json.RawMessage{raw(in)},
		StartToClose: 10 * time.Second, MaxAttempts: 1}, 30*time.Second)
	if err != nil {
		return "", err
	}
	o, err := one(out)
	if err != nil {
		return "", err
	}
	if o.Err != nil {
		return "", fmt.Errorf("kit.echo failed: %s", errString(o.Err))
	}
	if !jsonEqual(o.Result, []byte(in)) {
		return "", fmt.Errorf("kit.echo returned %s, want its argument %s", o.Result, in)
	}
	return "result equals the argument", nil
}

// failArgs are kit.fail's arguments: message, type, non_retryable, then
// the failure's details, passed through as they are.
func failArgs(msg, typ string, nonRetryable bool, details ...string) []json.RawMessage {
	m, _ := json.Marshal(msg)
	t, _ := json.Marshal(typ)
	args := []json.RawMessage{m, t, raw(fmt.Sprint(nonRetryable))}
	for _, d := range details {
		args = append(args, raw(d))
	}
	return args
}

func checkFailure(ctx context.Context, r *rig, nonRetryable bool) (string, error) {
	if err := requireType(r, Fail); err != nil {
		return "", err
	}
	msg, typ, details := "kit: the failure's message", "KitRetryableError", []string{`{"detail":1,"list":["a","b"]}`, `"second detail"`}
	wantState, wantAttempts := "MaximumAttemptsReached", 2
	if nonRetryable {
		typ, details, wantState, wantAttempts = "KitNonRetryableError", []string{`{"detail":2}`, `[3,4]`}, "NonRetryableFailure", 1
	}
	id := runID(Fail)
	out, err := r.drive.run(ctx, id, call{Queue: r.queue, Type: Fail, Args: failArgs(msg, typ, nonRetryable, details...),
		StartToClose: 10 * time.Second, MaxAttempts: 2 + map[bool]int32{true: 1}[nonRetryable]}, 30*time.Second)
	if err != nil {
		return "", err
	}
	o, err := one(out)
	if err != nil {
		return "", err
	}
	e := o.Err
	var problems []string
	switch {
	case e == nil:
		return "", fmt.Errorf("kit.fail succeeded with %s", o.Result)
	case e.Kind != "application":
		return "", fmt.Errorf("kit.fail ended as %s, want an application failure", errString(e))
	}
	if e.Message != msg {
		problems = append(problems, fmt.Sprintf("message %q, want %q", e.Message, msg))
	}
	if e.Type != typ {
		problems = append(problems, fmt.Sprintf("type %q, want %q", e.Type, typ))
	}
	if e.NonRetryable != nonRetryable {
		problems = append(problems, fmt.Sprintf("non_retryable %v, want %v", e.NonRetryable, nonRetryable))
	}
	if len(e.Details) != len(details) || !jsonEqual(e.Details[0], []byte(details[0])) || !jsonEqual(e.Details[1], []byte(details[1])) {
		problems = append(problems, fmt.Sprintf("details %s, want [%s]", e.Details, strings.Join(details, " ")))
	}
	if !strings.EqualFold(strings.ReplaceAll(e.RetryState, "_", ""), "RetryState"+wantState) && !strings.Contains(strings.ReplaceAll(strings.ToLower(e.RetryState), "_", ""), strings.ToLower(wantState)) {
		problems = append(problems, fmt.Sprintf("retry state %s, want %s", e.RetryState, wantState))
	}
	evs, _ := r.proxy.snapshot()
	if n := len(starts(evs, id)); n != wantAttempts {
		problems = append(problems, fmt.Sprintf("%d attempts reached the app, want %d", n, wantAttempts))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	return fmt.Sprintf("type, message, details, non_retryable=%v as sent; %d attempt(s)", nonRetryable, wantAttempts), nil
}

func scFailRetryable(ctx context.Context, r *rig) (string, error) { return checkFailure(ctx, r, false) }
func scFailNonRetryable(ctx context.Context, r *rig) (string, error) {
	return checkFailure(ctx, r, true)
}

func scHeartbeat(ctx context.Context, r *rig) (string, error) {
	if err := requireType(r, Heartbeat); err != nil {
		return "", err
	}
	id := runID(Heartbeat)
	out, err := r.drive.run(ctx, id, call{Queue: r.queue, Type: Heartbeat, Args: []json.RawMessage{raw("5")},
		StartToClose: 20 * time.Second, Heartbeat: 10 * time.Second, MaxAttempts: 2}, 40*time.Second)
	if err != nil {
		return "", err
	}
	o, err := one(out)
	if err != nil {
		return "", err
	}
	if o.Err != nil {
		return "", fmt.Errorf("kit.heartbeat failed: %s", errString(o.Err))
	}
	if !jsonEqual(o.Result, []byte("5")) {
		return "", fmt.Errorf("kit.heartbeat's second attempt returned %s, want 5: the details of the first attempt's last heartbeat", o.Result)
	}
	evs, _ := r.proxy.snapshot()
	st := starts(evs, id)
	if len(st) != 2 {
		return "", fmt.Errorf("%d attempts reached the app, want 2", len(st))
	}
	beats := 0
	for _, e := range evs {
		if h := e.req.GetActivityHeartbeat(); h != nil && string(h.GetTaskToken()) == st[0].token {
			beats++
		}
	}
	if beats == 0 {
		return "", errors.New("the first attempt sent no activity_heartbeat")
	}
	hd := st[1].start.GetHeartbeatDetails()
	if len(hd) == 0 || !jsonEqual(hd[0].GetData(), []byte("5")) {
		return "", fmt.Errorf("the second attempt's heartbeat_details are %v, want [5]", hd)
	}
	return fmt.Sprintf("%d heartbeats; the retry got heartbeat_details [5] and returned them", beats), nil
}

func scCancel(ctx context.Context, r *rig) (string, error) {
	if err := requireType(r, WaitCancel); err != nil {
		return "", err
	}
	id := runID(WaitCancel)
	out, err := r.drive.run(ctx, id, call{Queue: r.queue, Type: WaitCancel, StartToClose: 30 * time.Second,
		Heartbeat: 2 * time.Second, MaxAttempts: 1, CancelAfter: time.Second}, 40*time.Second)
	if err != nil {
		return "", err
	}
	o, err := one(out)
	if err != nil {
		return "", err
	}
	evs, _ := r.proxy.snapshot()
	st := starts(evs, id)
	if len(st) != 1 {
		return "", fmt.Errorf("%d attempts reached the app, want 1", len(st))
	}
	var cancelAt time.Time
	var reason bridgev1.ActivityCancelReason
	for _, e := range evs {
		if t := e.resp.GetActivityTask(); t != nil && t.GetCancel() != nil && string(t.GetTaskToken()) == st[0].token {
			cancelAt, reason = e.at, t.GetCancel().GetReason()
		}
	}
	res, at := completion(evs, st[0].token)
	switch {
	case cancelAt.IsZero():
		return "", fmt.Errorf("the sidecar sent no cancel for the activity (the workflow saw %s); does the app heartbeat?", errString(o.Err))
	case res == nil:
		return "", errors.New("the app never answered the cancelled activity")
	case statusName(res) != "cancelled":
		return "", fmt.Errorf("the app answered the cancel with %s, want cancelled", statusName(res))
	case o.Err == nil || o.Err.Kind != "canceled":
		return "", fmt.Errorf("the workflow saw %s, want a cancellation", errString(o.Err))
	}
	return fmt.Sprintf("cancel (%s) answered with cancelled in %s", strings.TrimPrefix(reason.String(), "ACTIVITY_CANCEL_REASON_"),
		at.Sub(cancelAt).Round(time.Millisecond)), nil
}

func scCapacity(ctx context.Context, r *rig) (string, error) {
	if err := requireType(r, Sleep); err != nil {
		return "", err
	}
	s := r.proxy.live()
	offered := int(s.register.GetCapacity().GetActivities())
	evs, _ := r.proxy.snapshot()
	for _, e := range evs {
		if c := e.req.GetCapacity(); c != nil && e.session == s {
			offered = int(c.GetActivities())
		}
	}
	if offered == 0 {
		return "", errors.New("the app offers no activity capacity")
	}
	k := min(offered, 8)
	n := 2*k + 1
	const ms = 500
	id := runID(Sleep)
	t0 := time.Now()
	out, err := r.drive.run(ctx, id, call{Queue: r.queue, Type: Sleep, Args: []json.RawMessage{raw(fmt.Sprint(ms))}, Count: n,
		StartToClose: 30 * time.Second, MaxAttempts: 1}, 60*time.Second)
	if err != nil {
		return "", err
	}
	took := time.Since(t0)
	for i, o := range out {
		if o.Err != nil {
			return "", fmt.Errorf("kit.sleep #%d failed: %s", i, errString(o.Err))
		}
	}
	evs, _ = r.proxy.snapshot()
	mine := map[string]bool{}
	for _, st := range starts(evs, id) {
		mine[st.token] = true
	}
	cur, peak := 0, 0
	for _, e := range evs {
		if t := e.resp.GetActivityTask(); t != nil && t.GetStart() != nil && mine[string(t.GetTaskToken())] {
			cur++
			peak = max(peak, cur)
		}
		if c := e.req.GetActivityCompletion(); c != nil && mine[string(c.GetTaskToken())] {
			cur--
		}
	}
	detail := fmt.Sprintf("%d × kit.sleep(%dms), capacity %d: at most %d outstanding, %s in all", n, ms, offered, peak, took.Round(100*time.Millisecond))
	switch {
	case peak > offered:
		return detail, fmt.Errorf("%d activities were outstanding at once on a session that offered %d", peak, offered)
	case peak < k:
		return detail, fmt.Errorf("at most %d of %d activities ran at once with capacity %d", peak, n, offered)
	case k > 1 && took > time.Duration(n)*ms*time.Millisecond*3/4:
		return detail, fmt.Errorf("took %s: the app ran the activities one at a time, not %d at once", took, k)
	}
	return detail, nil
}

// commandNames flattens the commands the app answered a run's activations
// with, skipping empty answers (evictions).
func commandNames(evs []event, runID string) (names []string, activations, answers int, firstJob string, replaying bool) {
	replaying = true
	for _, e := range evs {
		if a := e.resp.GetWorkflowActivation(); a != nil && a.GetRunId() == runID {
			if activations == 0 && len(a.GetJobs()) > 0 {
				firstJob = jobName(a.GetJobs()[0])
			}
			if a.GetJobs()[0].GetRemoveFromCache() == nil && !a.GetIsReplaying() {
				replaying = false
			}
			activations++
		}
		if c := e.req.GetWorkflowCompletion(); c != nil && c.GetRunId() == runID {
			answers++
			for _, cmd := range c.GetSuccessful().GetCommands() {
				n := string(cmd.ProtoReflect().WhichOneof(cmd.ProtoReflect().Descriptor().Oneofs().ByName("variant")).Name())
				if sa := cmd.GetScheduleActivity(); sa != nil {
					n += ":" + sa.GetActivityType()
				}
				names = append(names, n)
			}
			if f := c.GetFailed(); f != nil {
				names = append(names, "failed("+f.GetFailure().GetMessage()+")")
			}
		}
	}
	return
}

func jobName(j *bridgev1.WorkflowActivationJob) string {
	r := j.ProtoReflect()
	if f := r.WhichOneof(r.Descriptor().Oneofs().ByName("variant")); f != nil {
		return string(f.Name())
	}
	return "?"
}

func scWorkflow(ctx context.Context, r *rig) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	run, err := r.drive.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: runID(Workflow), TaskQueue: r.queue,
		WorkflowExecutionTimeout: time.Minute}, Workflow, "kit")
	if err != nil {
		return "", err
	}
	var res string
	if err := run.Get(ctx, &res); err != nil {
		return "", fmt.Errorf("kit.workflow: %w", err)
	}
	if res != "kit" {
		return "", fmt.Errorf("kit.workflow returned %q, want \"kit\"", res)
	}
	if path := os.Getenv("KIT_RECORD_HISTORY"); path != "" {
		if err := record(ctx, r, run, path); err != nil {
			return "", err
		}
	}
	// The eviction that follows completion may still be on its way.
	r.proxy.waitFor(ctx, 2*time.Second, func(evs []event) bool {
		_, a, b, _, _ := commandNames(evs, run.GetRunID())
		return a == b
	})
	evs, _ := r.proxy.snapshot()
	names, acts, answers, first, _ := commandNames(evs, run.GetRunID())
	switch {
	case first != "initialize_workflow":
		return "", fmt.Errorf("the run's first activation began with %s, want initialize_workflow", first)
	case acts != answers:
		return "", fmt.Errorf("%d activations, %d completions: answer each activation exactly once", acts, answers)
	case !slices.Equal(names, expectedCommands):
		return "", fmt.Errorf("commands %v, want %v", names, expectedCommands)
	}
	return fmt.Sprintf("%d activations; commands %s", acts, strings.Join(names, ", ")), nil
}

// record writes the run's history in Temporal's JSON form: how
// testdata/kit_workflow_history.json was made (KIT_RECORD_HISTORY=path).
func record(ctx context.Context, r *rig, run client.WorkflowRun, path string) error {
	h := &historypb.History{}
	it := r.drive.c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return err
		}
		h.Events = append(h.Events, e)
	}
	b, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// replay injects a ReplayHistory on the app's session and returns the result
// and the commands the app answered the replay's activations with.
func replay(ctx context.Context, r *rig, id, history string) (*bridgev1.ReplayResult, []string, bool, error) {
	s := r.proxy.live()
	if s == nil {
		return nil, nil, false, errors.New("no app session is registered")
	}
	err := s.inject(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ReplayHistory{ReplayHistory: &bridgev1.ReplayHistory{
		RequestId: id, WorkflowId: "kit-replay", History: &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Json{Json: history}}}}})
	if err != nil {
		return nil, nil, false, err
	}
	if !r.proxy.waitFor(ctx, 20*time.Second, func([]event) bool { return r.proxy.replayResult(id) != nil }) {
		return nil, nil, false, errors.New("no replay_result within 20s: did the app answer the replay's activations?")
	}
	res := r.proxy.replayResult(id)
	evs, _ := r.proxy.snapshot()
	names, _, _, _, replaying := commandNames(evs, res.GetRunId())
	return res, names, replaying, nil
}

func scReplay(ctx context.Context, r *rig) (string, error) {
	res, names, replaying, err := replay(ctx, r, injectedPrefix+runID("replay"), recordedHistory)
	if err != nil {
		return "", err
	}
	if f := res.GetFailure(); f != nil {
		return "", fmt.Errorf("replay failed: %s: %s (event %d)", f.GetKind(), f.GetMessage(), f.GetEventId())
	}
	if !slices.Equal(names, expectedCommands) {
		return "", fmt.Errorf("commands %v, want %v", names, expectedCommands)
	}
	if !replaying {
		return "", errors.New("an activation of the replay had is_replaying false")
	}
	return "commands match the recorded history; every activation is_replaying", nil
}

func scReplayNondeterminism(ctx context.Context, r *rig) (string, error) {
	changed := strings.ReplaceAll(recordedHistory, `"`+Echo+`"`, `"kit.changed"`)
	if changed == recordedHistory {
		return "", errors.New("the recorded history names no kit.echo")
	}
	res, _, _, err := replay(ctx, r, injectedPrefix+runID("nondeterminism"), changed)
	if err != nil {
		return "", err
	}
	if f := res.GetFailure(); f == nil || f.GetKind() != bridgev1.ReplayFailureKind_REPLAY_FAILURE_KIND_NONDETERMINISM {
		return "", fmt.Errorf("replay of a history whose activity type changed ended with %v, want NONDETERMINISM", f)
	}
	// The app must still serve after the failed replay's eviction.
	if s := r.proxy.live(); s == nil {
		return "", errors.New("the app's session ended after the failed replay")
	}
	return "NONDETERMINISM: " + firstLine(res.GetFailure().GetMessage()), nil
}

// work starts a unit of work that takes about 1.5s in the app: kit.sleep
// for an activity app, kit.workflow otherwise. It returns the driver run
// and the activity start's token ("" for a workflow).
func work(ctx context.Context, r *rig, name string) (wait func() error, token string, err error) {
	if servesActivities(r.proxy.live().register) != "" {
		run, err := r.drive.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: runID(name), TaskQueue: r.queue,
			WorkflowExecutionTimeout: time.Minute}, Workflow, "kit")
		if err != nil {
			return nil, "", err
		}
		return func() error { var s string; return run.Get(ctx, &s) }, "", nil
	}
	id := runID(name)
	run, err := r.drive.start(ctx, id, call{Queue: r.queue, Type: Sleep, Args: []json.RawMessage{raw("1500")},
		StartToClose: 30 * time.Second, MaxAttempts: 1})
	if err != nil {
		return nil, "", err
	}
	if !r.proxy.waitFor(ctx, 15*time.Second, func(evs []event) bool { return len(starts(evs, id)) > 0 }) {
		return nil, "", errors.New("kit.sleep never reached the app")
	}
	evs, _ := r.proxy.snapshot()
	wait = func() error {
		var out []outcome
		if err := run.Get(ctx, &out); err != nil {
			return err
		}
		o, err := one(out)
		if err == nil && o.Err != nil {
			err = fmt.Errorf("kit.sleep ended with %s", errString(o.Err))
		}
		return err
	}
	return wait, starts(evs, id)[0].token, nil
}

func sawResp(evs []event, s *session, pick func(*bridgev1.ConnectResponse) bool) bool {
	return slices.ContainsFunc(evs, func(e event) bool { return e.session == s && e.resp != nil && pick(e.resp) })
}

func scSidecarRestart(ctx context.Context, r *rig) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	s := r.proxy.live()
	wait, token, err := work(ctx, r, "restart")
	if err != nil {
		return "", err
	}
	t0 := time.Now()
	r.sidecar.signal(syscall.SIGTERM)
	code, exited := r.sidecar.wait(30 * time.Second)
	evs, _ := r.proxy.snapshot()
	var problems []string
	if !sawResp(evs, s, func(m *bridgev1.ConnectResponse) bool { return m.GetShutdown() != nil }) {
		problems = append(problems, "the session got no shutdown notice")
	}
	if token != "" {
		if res, _ := completion(evs, token); statusName(res) != "completed" {
			problems = append(problems, fmt.Sprintf("the running activity ended %s during the drain, want completed", statusName(res)))
		}
	}
	switch {
	case !exited:
		return "", fmt.Errorf("the sidecar did not exit within 30s of SIGTERM; %s", strings.Join(problems, "; "))
	case code != 0:
		problems = append(problems, fmt.Sprintf("the sidecar exited with status %d", code))
	}
	drained := time.Since(t0)
	if exited && drained > 8*time.Second {
		problems = append(problems, fmt.Sprintf("the sidecar took %s to exit: the app kept its stream open after drained, so the sidecar waited out its graceful timeout (close the stream once drained follows a shutdown notice)", drained.Round(100*time.Millisecond)))
	}
	if err := wait(); err != nil {
		problems = append(problems, fmt.Sprintf("the work in flight at SIGTERM did not complete: %v", err))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	if err := r.startSidecar(ctx); err != nil {
		return "", err
	}
	t1 := time.Now()
	if !r.proxy.waitFor(ctx, 45*time.Second, func([]event) bool { l := r.proxy.live(); return l != nil && l != s }) {
		return "", errors.New("the app did not register again within 45s of the sidecar's restart")
	}
	back := time.Since(t1)
	wait, _, err = work(ctx, r, "after-restart")
	if err != nil {
		return "", err
	}
	if err := wait(); err != nil {
		return "", fmt.Errorf("work after the reconnect: %w", err)
	}
	return fmt.Sprintf("drained and exited 0 in %s; the app registered again %s after the restart and ran work",
		drained.Round(100*time.Millisecond), back.Round(100*time.Millisecond)), nil
}

func scAppDrain(ctx context.Context, r *rig) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	s := r.proxy.live()
	wait, token, err := work(ctx, r, "drain")
	if err != nil {
		return "", err
	}
	r.app.signal(syscall.SIGTERM)
	code, exited := r.app.wait(30 * time.Second)
	evs, _ := r.proxy.snapshot()
	var problems []string
	if !slices.ContainsFunc(evs, func(e event) bool { return e.session == s && e.req.GetDrain() != nil }) {
		problems = append(problems, "the app sent no drain before leaving")
	}
	if token != "" {
		if res, _ := completion(evs, token); statusName(res) != "completed" {
			problems = append(problems, fmt.Sprintf("the running activity ended %s, want completed", statusName(res)))
		}
	}
	switch {
	case !exited:
		problems = append(problems, "the app did not exit within 30s of SIGTERM")
	case code != 0:
		problems = append(problems, fmt.Sprintf("the app exited with status %d", code))
	}
	if err := wait(); err != nil && token != "" {
		problems = append(problems, fmt.Sprintf("the activity in flight at SIGTERM did not complete: %v", err))
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	got := "drain sent"
	if sawResp(evs, s, func(m *bridgev1.ConnectResponse) bool { return m.GetDrained() != nil }) {
		got += ", drained received"
	}
	return got + ", work in flight finished, exit 0", nil
}

func scNoCompletionErrors(_ context.Context, r *rig) (string, error) {
	evs, _ := r.proxy.snapshot()
	var errs []string
	for _, e := range evs {
		if ce := e.resp.GetCompletionError(); ce != nil {
			errs = append(errs, fmt.Sprintf("%s: %s", ce.GetKind(), ce.GetMessage()))
		}
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("the sidecar refused %d messages:\n%s", len(errs), strings.Join(errs, "\n"))
	}
	return fmt.Sprintf("%d messages over %d sessions, none refused", len(evs), r.proxy.sessionCount()), nil
}

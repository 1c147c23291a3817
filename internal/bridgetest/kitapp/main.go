// Command kitapp is the Go test app (internal/bridgetest) serving the client
// kit's conventional types (docs/PROTOCOL.md, "The client kit"): the
// activities kit.echo, kit.fail, kit.heartbeat, kit.wait_cancel and
// kit.sleep, and the workflow kit.workflow as a scripted state machine
// over activation jobs. It is what `sidecar-kit check` runs to prove the
// kit against a Go app:
//
//	bin/sidecar-kit check -- go run ./internal/bridgetest/kitapp
//
// It connects to $TEMPORAL_SIDECAR, registers $TASK_QUEUE with
// $KIT_ACTIVITY_CAPACITY activities, reconnects when the session ends, and
// on SIGTERM sends Drain, lets running activities finish, and exits 0 once
// the sidecar answers Drained.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"google.golang.org/protobuf/types/known/durationpb"
)

func main() {
	bridge := env("TEMPORAL_SIDECAR", "unix:///tmp/temporal-sidecar.sock")
	capacity, _ := strconv.Atoi(env("KIT_ACTIVITY_CAPACITY", "100"))
	host, _ := os.Hostname()
	reg := &bridgev1.Register{
		ProtocolVersion: 1,
		Identity:        fmt.Sprintf("%d@%s", os.Getpid(), host),
		SdkName:         "bridgetest-kitapp",
		SdkVersion:      "0",
		TaskQueue:       env("TASK_QUEUE", "kit"),
		Workflows:       []*bridgev1.WorkflowRegistration{{Name: "kit.workflow"}},
		Capacity:        &bridgev1.Capacity{Activities: uint32(capacity), WorkflowActivations: 10},
	}
	for _, t := range []string{"kit.echo", "kit.fail", "kit.heartbeat", "kit.wait_cancel", "kit.sleep"} {
		reg.Activities = append(reg.Activities, &bridgev1.ActivityRegistration{Name: t})
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	backoff := 100 * time.Millisecond
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		app, err := bridgetest.Dial(ctx, bridge, reg)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "kitapp: connecting to %s: %v; retrying in %s\n", bridge, err, backoff)
			select {
			case <-stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		fmt.Println("kitapp: registered, session", app.Registered.GetSessionId())
		if drained := serve(app, stop); drained {
			return // exit 0
		}
		fmt.Fprintln(os.Stderr, "kitapp: the session ended; reconnecting")
	}
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// serve answers one session until it ends: false when it ended on its own
// (reconnect), true when it ended after a stop signal and drain (exit).
func serve(app *bridgetest.App, stop <-chan os.Signal) bool {
	defer app.Close()
	var mu sync.Mutex
	running := map[string]context.CancelFunc{}
	defer func() {
		mu.Lock()
		for _, c := range running {
			c() // the sidecar has failed them for retry already
		}
		mu.Unlock()
	}()
	wf := workflows{}
	stopping := false
	drained := make(chan struct{})
	go func() {
		for {
			m, err := app.Next(time.Hour)
			if err != nil {
				return
			}
			switch {
			case m.GetDrained() != nil:
				close(drained)
				return
			case m.GetCompletionError() != nil:
				fmt.Fprintln(os.Stderr, "kitapp: completion error:", m.GetCompletionError())
			case m.GetShutdown() != nil:
				fmt.Println("kitapp: the sidecar is shutting down")
			}
		}
	}()
	for {
		select {
		case t := <-app.Activities:
			token := string(t.GetTaskToken())
			if c := t.GetCancel(); c != nil {
				mu.Lock()
				if cancel := running[token]; cancel != nil {
					cancel()
				}
				mu.Unlock()
				continue
			}
			ctx, cancel := context.WithCancel(context.Background())
			mu.Lock()
			running[token] = cancel
			mu.Unlock()
			go func() {
				res := runActivity(ctx, app, t)
				mu.Lock()
				delete(running, token)
				mu.Unlock()
				cancel()
				_ = app.CompleteActivity(t.GetTaskToken(), res)
			}()
		case act := <-app.Activations:
			cmds, fail := wf.activate(act)
			if fail != nil {
				_ = app.FailActivation(act.GetRunId(), fail)
			} else {
				_ = app.CompleteActivation(act.GetRunId(), cmds...)
			}
		case <-stop:
			stopping = true
			_ = app.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Drain{Drain: &bridgev1.Drain{}}})
			// Keep serving (running activities finish, cancels still arrive)
			// until the sidecar says nothing is outstanding.
			go func() {
				select {
				case <-drained:
				case <-time.After(30 * time.Second):
					app.Close()
				}
			}()
		case <-drained:
			// After our Drain, or after the sidecar's shutdown notice: nothing
			// is outstanding, so close the stream (the sidecar's exit waits
			// for it) and, unless stopping, reconnect to its replacement.
			return stopping
		case <-app.Done():
			return stopping
		}
	}
}

func jsonPayload(v any) *bridgev1.Payload {
	b, _ := json.Marshal(v)
	return &bridgev1.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: b}
}

func appFailure(msg, typ string, nonRetryable bool, details ...*bridgev1.Payload) *bridgev1.Failure {
	info := &bridgev1.ApplicationFailureInfo{Type: typ, NonRetryable: nonRetryable}
	if len(details) > 0 {
		info.Details = &bridgev1.Payloads{Payloads: details}
	}
	return &bridgev1.Failure{Message: msg, Source: "bridgetest-kitapp",
		FailureInfo: &bridgev1.Failure_ApplicationFailureInfo{ApplicationFailureInfo: info}}
}

// runActivity runs one kit activity; ctx is cancelled when the sidecar
// cancels it.
func runActivity(ctx context.Context, app *bridgetest.App, t *bridgev1.ActivityTask) *bridgev1.ActivityExecutionResult {
	s := t.GetStart()
	in := s.GetInput()
	arg := func(i int, v any) error {
		if i >= len(in) {
			return fmt.Errorf("argument %d missing", i)
		}
		return json.Unmarshal(in[i].GetData(), v)
	}
	wait := func(d time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	switch s.GetActivityType() {
	case "kit.echo":
		var p *bridgev1.Payload
		if len(in) > 0 {
			p = in[0]
		}
		return bridgetest.Completed(p)
	case "kit.fail":
		var msg, typ string
		var nonRetryable bool
		if err := errorsJoin(arg(0, &msg), arg(1, &typ), arg(2, &nonRetryable)); err != nil {
			return bridgetest.Failed(appFailure("kit.fail: "+err.Error(), "KitBadArguments", true))
		}
		return bridgetest.Failed(appFailure(msg, typ, nonRetryable, in[3:]...))
	case "kit.heartbeat":
		if s.GetAttempt() > 1 {
			var p *bridgev1.Payload
			if hd := s.GetHeartbeatDetails(); len(hd) > 0 {
				p = hd[0]
			}
			return bridgetest.Completed(p)
		}
		var n int
		_ = arg(0, &n)
		for i := 1; i <= n; i++ {
			_ = app.Heartbeat(t.GetTaskToken(), jsonPayload(i))
			if !wait(50 * time.Millisecond) {
				return bridgetest.Cancelled()
			}
		}
		return bridgetest.Failed(appFailure("kit.heartbeat: the first attempt fails so the retry sees its heartbeat details", "", false))
	case "kit.wait_cancel":
		for range 250 {
			_ = app.Heartbeat(t.GetTaskToken())
			if !wait(100 * time.Millisecond) {
				return bridgetest.Cancelled()
			}
		}
		return bridgetest.Failed(appFailure("kit.wait_cancel: no cancellation within 25s", "", true))
	case "kit.sleep":
		var ms int
		_ = arg(0, &ms)
		if !wait(time.Duration(ms) * time.Millisecond) {
			return bridgetest.Cancelled()
		}
		return bridgetest.Completed(nil)
	}
	return bridgetest.Failed(appFailure("unknown activity type "+s.GetActivityType(), "", true))
}

func errorsJoin(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// workflows is kit.workflow as a state machine over jobs: initialize ->
// a 100ms timer; timer fired -> kit.echo(arg); activity resolved ->
// complete with its result. A run evicted and activated again starts over
// from initialize_workflow, replaying to the same commands.
type workflows struct {
	mu   sync.Mutex
	args map[string]*bridgev1.Payload
}

func (w *workflows) activate(act *bridgev1.WorkflowActivation) ([]*bridgev1.WorkflowCommand, *bridgev1.Failure) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.args == nil {
		w.args = map[string]*bridgev1.Payload{}
	}
	run := act.GetRunId()
	var cmds []*bridgev1.WorkflowCommand
	for _, j := range act.GetJobs() {
		switch {
		case j.GetRemoveFromCache() != nil:
			delete(w.args, run)
			return nil, nil
		case j.GetInitializeWorkflow() != nil:
			init := j.GetInitializeWorkflow()
			if init.GetWorkflowType() != "kit.workflow" {
				return nil, appFailure("unknown workflow type "+init.GetWorkflowType(), "", false)
			}
			var p *bridgev1.Payload
			if a := init.GetArguments(); len(a) > 0 {
				p = a[0]
			}
			w.args[run] = p
			cmds = append(cmds, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_StartTimer{StartTimer: &bridgev1.StartTimer{
				Seq: 1, StartToFireTimeout: durationpb.New(100 * time.Millisecond)}}})
		case j.GetFireTimer() != nil:
			var args []*bridgev1.Payload
			if p := w.args[run]; p != nil {
				args = []*bridgev1.Payload{p}
			}
			cmds = append(cmds, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_ScheduleActivity{ScheduleActivity: &bridgev1.ScheduleActivity{
				Seq: 1, ActivityType: "kit.echo", Arguments: args, StartToCloseTimeout: durationpb.New(10 * time.Second)}}})
		case j.GetResolveActivity() != nil:
			r := j.GetResolveActivity().GetResult()
			if c := r.GetCompleted(); c != nil {
				cmds = append(cmds, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CompleteWorkflowExecution{
					CompleteWorkflowExecution: &bridgev1.CompleteWorkflowExecution{Result: c.GetResult()}}})
			} else {
				f := r.GetFailed().GetFailure()
				if f == nil {
					f = r.GetCancelled().GetFailure()
				}
				cmds = append(cmds, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_FailWorkflowExecution{
					FailWorkflowExecution: &bridgev1.FailWorkflowExecution{Failure: f}}})
			}
		case j.GetQueryWorkflow() != nil:
			q := j.GetQueryWorkflow()
			cmds = append(cmds, &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_RespondToQuery{RespondToQuery: &bridgev1.QueryResult{
				QueryId: q.GetQueryId(), Variant: &bridgev1.QueryResult_Failed{Failed: &bridgev1.Failure{Message: "kit.workflow has no query " + q.GetQueryType()}}}}})
		}
	}
	return cmds, nil
}

package kit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// driverWorkflow is the Go SDK workflow that schedules the app's
// activities. It runs on a queue of its own (the app's queue plus
// "-driver"), so the app under test only ever sees activity tasks.
const driverWorkflow = "kit.Driver"

// call is what the driver schedules: count copies of one activity, at once.
type call struct {
	Queue        string
	Type         string
	Args         []json.RawMessage
	Count        int
	StartToClose time.Duration
	Heartbeat    time.Duration
	MaxAttempts  int32
	// CancelAfter, if set, requests cancellation of the activities this long
	// after scheduling them, waiting for the app to confirm it.
	CancelAfter time.Duration
}

// outcome is how one activity ended, as the workflow saw it.
type outcome struct {
	Result json.RawMessage `json:",omitempty"`
	Err    *errInfo        `json:",omitempty"`
}

type errInfo struct {
	Kind         string // application, canceled, timeout, other
	Message      string
	Type         string
	NonRetryable bool
	Details      []json.RawMessage
	RetryState   string
}

func driver(ctx workflow.Context, c call) ([]outcome, error) {
	ao := workflow.ActivityOptions{
		TaskQueue:           c.Queue,
		StartToCloseTimeout: c.StartToClose,
		HeartbeatTimeout:    c.Heartbeat,
		WaitForCancellation: true,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond, BackoffCoefficient: 1,
			MaximumAttempts: c.MaxAttempts},
	}
	actx, cancel := workflow.WithCancel(workflow.WithActivityOptions(ctx, ao))
	args := make([]any, len(c.Args))
	for i, a := range c.Args {
		args[i] = a
	}
	n := max(c.Count, 1)
	futures := make([]workflow.Future, n)
	for i := range n {
		futures[i] = workflow.ExecuteActivity(actx, c.Type, args...)
	}
	if c.CancelAfter > 0 {
		_ = workflow.Sleep(ctx, c.CancelAfter)
		cancel()
	}
	out := make([]outcome, n)
	for i, f := range futures {
		var raw json.RawMessage
		if err := f.Get(ctx, &raw); err != nil {
			out[i].Err = describe(err)
			continue
		}
		out[i].Result = raw
	}
	return out, nil
}

func describe(err error) *errInfo {
	e := &errInfo{Kind: "other", Message: err.Error()}
	var act *temporal.ActivityError
	if errors.As(err, &act) {
		e.RetryState = act.RetryState().String()
	}
	var app *temporal.ApplicationError
	var canceled *temporal.CanceledError
	var timeout *temporal.TimeoutError
	switch {
	case errors.As(err, &app):
		e.Kind, e.Message, e.Type, e.NonRetryable = "application", app.Message(), app.Type(), app.NonRetryable()
		if app.HasDetails() {
			var d0, d1 json.RawMessage
			if app.Details(&d0, &d1) == nil {
				e.Details = []json.RawMessage{d0, d1}
			} else if app.Details(&d0) == nil {
				e.Details = []json.RawMessage{d0}
			}
		}
	case errors.As(err, &canceled):
		e.Kind = "canceled"
	case errors.As(err, &timeout):
		e.Kind, e.Message = "timeout", timeout.TimeoutType().String()
	}
	return e
}

// drive is the kit's Go SDK client and the driver's worker.
type drive struct {
	c     client.Client
	w     worker.Worker
	queue string // the driver workflow's queue
}

func startDriver(address, namespace, appQueue string) (*drive, error) {
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace, Logger: logger, Identity: "sidecar-kit"})
	if err != nil {
		return nil, fmt.Errorf("connecting the kit's Go SDK client to %s: %w", address, err)
	}
	d := &drive{c: c, queue: appQueue + "-driver"}
	d.w = worker.New(c, d.queue, worker.Options{DisableEagerActivities: true, LocalActivityWorkerOnly: false})
	d.w.RegisterWorkflowWithOptions(driver, workflow.RegisterOptions{Name: driverWorkflow})
	if err := d.w.Start(); err != nil {
		c.Close()
		return nil, err
	}
	return d, nil
}

func (d *drive) close() {
	d.w.Stop()
	d.c.Close()
}

// start starts a driver run and returns it without waiting.
func (d *drive) start(ctx context.Context, id string, c call) (client.WorkflowRun, error) {
	return d.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: d.queue,
		WorkflowExecutionTimeout: 2 * time.Minute}, driverWorkflow, c)
}

// run runs a driver run to its end.
func (d *drive) run(ctx context.Context, id string, c call, timeout time.Duration) ([]outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := d.start(ctx, id, c)
	if err != nil {
		return nil, err
	}
	var out []outcome
	if err := r.Get(ctx, &out); err != nil {
		return nil, fmt.Errorf("driver workflow %s: %w", id, err)
	}
	return out, nil
}

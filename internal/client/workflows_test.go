package client_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The workflows and activity below run in a Go SDK worker: an independent
// implementation on the other side of the server from the client service.

// Ledger keeps a list of entries. The "add" signal and the "append" update
// add one (the update's validator refuses an empty one); the "entries" query
// returns them and the "explode" query always fails. It returns the entries
// joined with commas when signalled "finish", and honours cancellation.
func Ledger(ctx workflow.Context, first string) (string, error) {
	var entries []string
	if first != "" {
		entries = append(entries, first)
	}
	if err := workflow.SetQueryHandler(ctx, "entries", func() ([]string, error) { return entries, nil }); err != nil {
		return "", err
	}
	if err := workflow.SetQueryHandler(ctx, "explode", func() (string, error) {
		return "", errors.New("the ledger refuses to answer")
	}); err != nil {
		return "", err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, "append",
		func(ctx workflow.Context, e string) (int, error) {
			entries = append(entries, e)
			return len(entries), nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, e string) error {
			if e == "" {
				return errors.New("an entry must not be empty")
			}
			return nil
		}},
	); err != nil {
		return "", err
	}
	add, finish := workflow.GetSignalChannel(ctx, "add"), workflow.GetSignalChannel(ctx, "finish")
	for done := false; !done; {
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(add, func(c workflow.ReceiveChannel, _ bool) {
			var e string
			c.Receive(ctx, &e)
			entries = append(entries, e)
		})
		sel.AddReceive(finish, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); done = true })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) { done = true })
		sel.Select(ctx)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return strings.Join(entries, ","), nil
}

// Countdown continues as new until n reaches zero.
func Countdown(ctx workflow.Context, n int) (string, error) {
	if n > 0 {
		return "", workflow.NewContinueAsNewError(ctx, Countdown, n-1)
	}
	return "liftoff", nil
}

// Fail fails with an application error of type "Boom".
func Fail(ctx workflow.Context, msg string) error {
	return temporal.NewApplicationError(msg, "Boom")
}

// Async runs the "Pending" activity, which completes asynchronously, and
// reports how it ended. The "cancel-activity" signal cancels the activity
// and waits for it to acknowledge.
func Async(ctx workflow.Context) (string, error) {
	actx, cancel := workflow.WithCancel(ctx)
	actx = workflow.WithActivityOptions(actx, workflow.ActivityOptions{
		ActivityID:          "pending",
		StartToCloseTimeout: time.Hour,
		WaitForCancellation: true,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	f := workflow.ExecuteActivity(actx, "Pending")
	workflow.Go(ctx, func(ctx workflow.Context) {
		workflow.GetSignalChannel(ctx, "cancel-activity").Receive(ctx, nil)
		cancel()
	})
	var out string
	err := f.Get(ctx, &out)
	var canceled *temporal.CanceledError
	var app *temporal.ApplicationError
	switch {
	case err == nil:
		return "completed: " + out, nil
	case errors.As(err, &canceled):
		return "cancelled", nil
	case errors.As(err, &app):
		return "failed: " + app.Message(), nil
	}
	return "", err
}

// tokens hands each Pending activity's task token to the test, by workflow id.
var tokens sync.Map // workflow id -> chan []byte

func tokenChan(workflowID string) chan []byte {
	c, _ := tokens.LoadOrStore(workflowID, make(chan []byte, 1))
	return c.(chan []byte)
}

// Pending leaves its completion to the test.
func Pending(ctx context.Context) (string, error) {
	info := activity.GetInfo(ctx)
	tokenChan(info.WorkflowExecution.ID) <- info.TaskToken
	return "", activity.ErrResultPending
}

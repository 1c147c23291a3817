// Package workloads holds the names and the Go SDK definitions of the
// end-to-end benchmark's workflows, shared by the benchmark driver and the
// Go SDK contender (bench/cmd/goworker). The other contenders implement the
// same logic: bench/cmd/echoapp as scripted activations over the bridge,
// bench/python/*.py in Python.
package workloads

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Type names on the wire.
const (
	// Chain(k int, input string) string runs k Echo activities one after
	// another, each on the previous one's result, and returns the last result.
	Chain = "Chain"
	// TimerSignal(ms int) string sleeps on a timer of ms milliseconds, waits
	// for the signal Signal and returns its value.
	TimerSignal = "TimerSignal"
	// EchoChain(k int, input string) int is the activity-only workload's
	// workflow, run by the driver: k Echo activities, returns k.
	EchoChain = "EchoChain"
	// Echo(s string) string returns its input.
	Echo = "Echo"
	// Signal is the signal TimerSignal waits for.
	Signal = "go"
)

// activityOptions gives activities one attempt, so a lost or failed task
// fails the workflow and shows in the results instead of hiding in a retry.
func activityOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
}

// ChainWorkflow is Chain for the Go SDK.
func ChainWorkflow(ctx workflow.Context, k int, input string) (string, error) {
	ctx = activityOptions(ctx)
	out := input
	for range k {
		if err := workflow.ExecuteActivity(ctx, Echo, out).Get(ctx, &out); err != nil {
			return "", err
		}
	}
	return out, nil
}

// TimerSignalWorkflow is TimerSignal for the Go SDK.
func TimerSignalWorkflow(ctx workflow.Context, ms int) (string, error) {
	ch := workflow.GetSignalChannel(ctx, Signal)
	if err := workflow.Sleep(ctx, time.Duration(ms)*time.Millisecond); err != nil {
		return "", err
	}
	var v string
	ch.Receive(ctx, &v)
	return v, nil
}

// EchoChainWorkflow is EchoChain: the workflow side of the activity-only
// workload, run in the driver. It checks each result is the input.
func EchoChainWorkflow(ctx workflow.Context, k int, input string) (int, error) {
	ctx = activityOptions(ctx)
	for i := range k {
		var out string
		if err := workflow.ExecuteActivity(ctx, Echo, input).Get(ctx, &out); err != nil {
			return i, err
		}
		if out != input {
			return i, temporal.NewNonRetryableApplicationError(fmt.Sprintf("Echo returned %q, want %q", out, input), "BadEcho", nil)
		}
	}
	return k, nil
}

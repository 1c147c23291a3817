// Package bridgetest is a minimal app process for tests and benchmarks: it
// connects to a sidecar over the bridge protocol, registers, and exposes what
// it receives on channels so a test can answer each task as it wishes.
package bridgetest

import (
	"context"
	"fmt"
	"sync"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge/codec"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// App is one connected app session.
type App struct {
	Registered *bridgev1.Registered
	// Activities receives activity tasks (starts and cancels).
	Activities chan *bridgev1.ActivityTask
	// Activations receives workflow activations.
	Activations chan *bridgev1.WorkflowActivation
	// Other receives everything else the sidecar sends after registration.
	Other chan *bridgev1.ConnectResponse

	conn   *grpc.ClientConn
	stream grpc.BidiStreamingClient[bridgev1.ConnectRequest, bridgev1.ConnectResponse]
	cancel context.CancelFunc
	sendMu sync.Mutex
	done   chan struct{}
	err    error
}

// Dial connects to the bridge at target (for example "unix:///tmp/s.sock")
// and registers. It returns once the sidecar has answered.
func Dial(ctx context.Context, target string, reg *bridgev1.Register) (*App, error) {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(codec.CallOption()))
	if err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	stream, err := bridgev1.NewBridgeServiceClient(conn).Connect(sctx, grpc.WaitForReady(true))
	if err != nil {
		cancel()
		conn.Close()
		return nil, err
	}
	a := &App{
		Activities:  make(chan *bridgev1.ActivityTask, 1024),
		Activations: make(chan *bridgev1.WorkflowActivation, 1024),
		Other:       make(chan *bridgev1.ConnectResponse, 1024),
		conn:        conn, stream: stream, cancel: cancel, done: make(chan struct{}),
	}
	if err := a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Register{Register: reg}}); err != nil {
		a.Close()
		return nil, err
	}
	first := make(chan error, 1)
	go func() {
		m, err := stream.Recv()
		if err == nil && m.GetRegistered() == nil {
			err = fmt.Errorf("bridgetest: first message was %v, not registered", m)
		}
		if err == nil {
			a.Registered = m.GetRegistered()
		}
		first <- err
	}()
	select {
	case err = <-first:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	go a.read()
	return a, nil
}

func (a *App) read() {
	defer close(a.done)
	for {
		m, err := a.stream.Recv()
		if err != nil {
			a.err = err
			return
		}
		if t := m.GetActivityTask(); t != nil {
			a.Activities <- t
			continue
		}
		if act := m.GetWorkflowActivation(); act != nil {
			a.Activations <- act
			continue
		}
		a.Other <- m
	}
}

// Send sends one message to the sidecar.
func (a *App) Send(m *bridgev1.ConnectRequest) error {
	a.sendMu.Lock()
	defer a.sendMu.Unlock()
	return a.stream.Send(m)
}

// CompleteActivity answers an activity task.
func (a *App) CompleteActivity(token []byte, r *bridgev1.ActivityExecutionResult) error {
	return a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{
		ActivityCompletion: &bridgev1.ActivityTaskCompletion{TaskToken: token, Result: r}}})
}

// Heartbeat records progress of a running activity.
func (a *App) Heartbeat(token []byte, details ...*bridgev1.Payload) error {
	return a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityHeartbeat{
		ActivityHeartbeat: &bridgev1.ActivityHeartbeat{TaskToken: token, Details: details}}})
}

// CompleteActivation answers a workflow activation with commands.
func (a *App) CompleteActivation(runID string, cmds ...*bridgev1.WorkflowCommand) error {
	return a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{WorkflowCompletion: &bridgev1.WorkflowActivationCompletion{
		RunId: runID, Status: &bridgev1.WorkflowActivationCompletion_Successful{Successful: &bridgev1.WorkflowActivationSuccess{Commands: cmds}}}}})
}

// FailActivation answers a workflow activation with a failure.
func (a *App) FailActivation(runID string, f *bridgev1.Failure) error {
	return a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_WorkflowCompletion{WorkflowCompletion: &bridgev1.WorkflowActivationCompletion{
		RunId: runID, Status: &bridgev1.WorkflowActivationCompletion_Failed{Failed: &bridgev1.WorkflowActivationFailure{Failure: f}}}}})
}

// NextActivation waits for the next workflow activation.
func (a *App) NextActivation(timeout time.Duration) (*bridgev1.WorkflowActivation, error) {
	select {
	case act := <-a.Activations:
		return act, nil
	case <-a.done:
		return nil, fmt.Errorf("bridgetest: stream ended: %v", a.err)
	case <-time.After(timeout):
		return nil, fmt.Errorf("bridgetest: no workflow activation within %s", timeout)
	}
}

// NextActivity waits for the next activity task.
func (a *App) NextActivity(timeout time.Duration) (*bridgev1.ActivityTask, error) {
	select {
	case t := <-a.Activities:
		return t, nil
	case <-a.done:
		return nil, fmt.Errorf("bridgetest: stream ended: %v", a.err)
	case <-time.After(timeout):
		return nil, fmt.Errorf("bridgetest: no activity task within %s", timeout)
	}
}

// Next waits for the next non-activity message.
func (a *App) Next(timeout time.Duration) (*bridgev1.ConnectResponse, error) {
	select {
	case m := <-a.Other:
		return m, nil
	case <-a.done:
		return nil, fmt.Errorf("bridgetest: stream ended: %v", a.err)
	case <-time.After(timeout):
		return nil, fmt.Errorf("bridgetest: no message within %s", timeout)
	}
}

// Done is closed when the stream has ended; Err then says how.
func (a *App) Done() <-chan struct{} { return a.done }

// Err is how the stream ended, once Done is closed.
func (a *App) Err() error {
	<-a.done
	return a.err
}

// Close ends the session abruptly, as a crashing app would.
func (a *App) Close() {
	a.cancel()
	a.conn.Close()
}

// Completed is a successful activity result.
func Completed(p *bridgev1.Payload) *bridgev1.ActivityExecutionResult {
	return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Completed{
		Completed: &bridgev1.ActivityExecutionCompleted{Result: p}}}
}

// Failed is a failed activity result.
func Failed(f *bridgev1.Failure) *bridgev1.ActivityExecutionResult {
	return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Failed{
		Failed: &bridgev1.ActivityExecutionFailed{Failure: f}}}
}

// Cancelled is a cancelled activity result.
func Cancelled() *bridgev1.ActivityExecutionResult {
	return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Cancelled{
		Cancelled: &bridgev1.ActivityExecutionCancelled{Failure: &bridgev1.Failure{Message: "cancelled",
			FailureInfo: &bridgev1.Failure_CanceledFailureInfo{CanceledFailureInfo: &bridgev1.CanceledFailureInfo{}}}}}}
}

// WillCompleteAsync is the result of an activity completed later by task token.
func WillCompleteAsync() *bridgev1.ActivityExecutionResult {
	return &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_WillCompleteAsync{
		WillCompleteAsync: &bridgev1.WillCompleteAsync{}}}
}

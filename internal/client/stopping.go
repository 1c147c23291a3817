package client

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errStopping is the cause of a wait ended by the sidecar shutting down.
var errStopping = errors.New("the sidecar is shutting down")

// waiting returns a context for a call that may wait on a workflow for
// long: it also ends when the sidecar begins to shut down. Call the
// returned function when the call is over.
func (s *Service) waiting(ctx context.Context) (context.Context, func()) {
	if s.stopping == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.stopping, func() { cancel(errStopping) })
	return ctx, func() { stop(); cancel(nil) }
}

// stopped turns err into UNAVAILABLE if the wait in ctx ended because the
// sidecar is shutting down: the call is safe to make again, and the app
// should, on the sidecar that replaces this one.
func stopped(ctx context.Context, err error) error {
	if err != nil && errors.Is(context.Cause(ctx), errStopping) {
		return status.Error(codes.Unavailable, errStopping.Error()+": call again to carry on waiting")
	}
	return err
}

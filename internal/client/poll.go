package client

import (
	"context"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// pollTimeout bounds one long-poll call to the server (an update, a
// history read waiting for the close event). The server answers before it,
// with what it has so far, so the caller's loop can ask again; the bound
// only matters if that answer is lost.
const pollTimeout = 70 * time.Second

// pollOnce makes one long-poll call bounded by pollTimeout, and
// turns that bound running out, while the caller still waits, into an
// empty answer so the caller's loop asks again.
func pollOnce[T any](ctx context.Context, call func(context.Context) (*T, error)) (*T, error) {
	pctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	resp, err := call(pctx)
	if err != nil && ctx.Err() == nil && status.Code(err) == codes.DeadlineExceeded && pctx.Err() != nil {
		return new(T), nil
	}
	return resp, err
}

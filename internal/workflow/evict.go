package workflow

import (
	"cmp"
	"context"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
)

// RequestEviction evicts a run the session holds, at the app's request, as
// sdk-core's request_workflow_eviction does: once the task the run is in
// (if any) has finished, the app gets the run's RemoveFromCache. A run the
// session does not hold gets a CompletionError.
func (e *Engine) RequestEviction(ss *bridge.Session, r *bridgev1.RequestEviction) {
	e.mu.Lock()
	ent := e.cache[r.GetRunId()]
	e.mu.Unlock()
	if ent == nil || ent.session != ss {
		_ = ss.Send(bridge.UnknownTask(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_RequestEviction{RequestEviction: r}}))
		return
	}
	msg := cmp.Or(r.GetMessage(), "the app asked for the run's eviction")
	// The entry's lock is held while a task of the run runs; waiting for it
	// must not hold up the session's reader.
	go func() {
		ent.mu.Lock()
		defer ent.mu.Unlock()
		if e.cached(ent) {
			e.evict(context.Background(), ent, bridgev1.EvictionReason_EVICTION_REASON_APP_REQUESTED, msg)
		}
	}()
}

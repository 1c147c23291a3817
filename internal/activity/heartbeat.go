package activity

import (
	"context"
	"sync"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/apiconv"
	"go.temporal.io/api/workflowservice/v1"
)

// heartbeats throttles one activity's heartbeats: the first goes to the server
// at once, later ones within the throttle interval are coalesced to the latest
// details and sent when the interval ends.
type heartbeats struct {
	d        *Dispatcher
	r        *run
	interval time.Duration

	mu       sync.Mutex
	latest   []*bridgev1.Payload
	recorded bool // some details were recorded
	unsent   bool // latest has not been sent yet
	inWindow bool // a heartbeat went out less than interval ago
	timer    *time.Timer
	stopped  bool
}

func newHeartbeats(d *Dispatcher, r *run, interval time.Duration) *heartbeats {
	return &heartbeats{d: d, r: r, interval: interval}
}

func (h *heartbeats) record(details []*bridgev1.Payload) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	h.latest, h.recorded = details, true
	if h.inWindow {
		h.unsent = true
		return
	}
	h.inWindow = true
	h.timer = time.AfterFunc(h.interval, h.flush)
	go h.send(details)
}

// flush ends a throttle window: it sends the coalesced details, if any, and
// opens a new window for them.
func (h *heartbeats) flush() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		return
	}
	if !h.unsent {
		h.inWindow = false
		return
	}
	details := h.latest
	h.unsent = false
	h.timer = time.AfterFunc(h.interval, h.flush)
	go h.send(details)
}

// latestDetails returns the last details recorded, sent or not, for the
// final answer to carry: a heartbeat still in flight may reach the server
// after the answer, too late to count.
func (h *heartbeats) latestDetails() []*bridgev1.Payload {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.recorded {
		return nil
	}
	return h.latest
}

func (h *heartbeats) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	if h.timer != nil {
		h.timer.Stop()
	}
}

func (h *heartbeats) send(details []*bridgev1.Payload) {
	d, r := h.d, h.r
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	resp, err := d.opts.Service.RecordActivityTaskHeartbeat(ctx, &workflowservice.RecordActivityTaskHeartbeatRequest{
		Namespace: d.opts.Namespace, TaskToken: r.token, Identity: d.opts.Identity, Details: apiconv.Payloads(details)})
	switch {
	case isGone(err):
		d.cancel(r, apiconv.CancelActivity(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_NOT_FOUND, "the server no longer knows this activity (timed out, or its workflow closed)"))
	case err != nil:
		d.log.Warn("heartbeat failed", "activity_id", r.start.GetActivityId(), "err", err)
	default:
		if c := heartbeatCancel(resp); c != nil {
			d.cancel(r, c)
		}
	}
}

// heartbeatCancel is the cancellation a heartbeat's answer asks for, nil for
// none. As sdk-core: the primary reason is cancellation over reset over
// pause, and the details carry every one that holds.
func heartbeatCancel(resp *workflowservice.RecordActivityTaskHeartbeatResponse) *bridgev1.CancelActivity {
	var c *bridgev1.CancelActivity
	switch {
	case resp.GetCancelRequested():
		c = apiconv.CancelActivity(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_CANCELLED, "the workflow requested cancellation")
	case resp.GetActivityReset():
		c = apiconv.CancelActivity(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_RESET, "the activity was reset")
	case resp.GetActivityPaused():
		c = apiconv.CancelActivity(bridgev1.ActivityCancelReason_ACTIVITY_CANCEL_REASON_PAUSED, "the activity was paused")
	default:
		return nil
	}
	c.Details.IsCancelled, c.Details.IsReset, c.Details.IsPaused = resp.GetCancelRequested(), resp.GetActivityReset(), resp.GetActivityPaused()
	return c
}

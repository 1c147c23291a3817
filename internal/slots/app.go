package slots

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/task"
)

// Bounds on waiting for an app's slot supplier (documented with
// SlotRequest in bridge.proto).
const (
	// DefaultReserveTimeout is how long a reserve waits for the app's
	// answer before the sidecar cancels it and asks again. A supplier may
	// block as long as it likes; the bound is for an app that stopped
	// answering, whose request would otherwise be waited on for ever.
	DefaultReserveTimeout = 30 * time.Second
	// DefaultTryReserveTimeout is how long a try-reserve waits; no answer
	// by then is no slot.
	DefaultTryReserveTimeout = time.Second
	// reserveRetryMin and reserveRetryMax bound the pause before a reserve
	// the supplier failed is asked again. sdk-core asks again at once; over
	// the bridge a supplier that always fails would then spin the stream.
	reserveRetryMin = 100 * time.Millisecond
	reserveRetryMax = 10 * time.Second
)

// errGone is a reservation that failed because its app's session ended.
var errGone = errors.New("slots: the app serving the slots left")

// requestIDs numbers slot requests across every app and kind, so a session
// that supplies several kinds sees each request id once.
var requestIDs atomic.Uint64

// AppSupplier is one app session's own slot supplier (a Temporal SDK's
// CustomSlotSupplier) reached over the bridge: it sends the session
// SlotRequests and routes the SlotResponses it answers with.
type AppSupplier struct {
	name string // for logs: the app and its session
	send func(*bridgev1.SlotRequest) error
	done chan struct{}
	log  *slog.Logger

	mu      sync.Mutex
	waiting map[uint64]chan *bridgev1.SlotResponse
	closed  bool
}

// NewAppSupplier returns the supplier of an app session whose messages
// send queues; name identifies it in logs.
func NewAppSupplier(name string, send func(*bridgev1.SlotRequest) error, log *slog.Logger) *AppSupplier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &AppSupplier{name: name, send: send, done: make(chan struct{}), log: log.With("slot_supplier", name),
		waiting: map[uint64]chan *bridgev1.SlotResponse{}}
}

// Close ends the supplier when its session ends: every wait on it fails.
func (a *AppSupplier) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.closed {
		a.closed = true
		close(a.done)
	}
}

// Answer routes a SlotResponse to the reservation waiting for it. A permit
// for a request nobody waits for any more (cancelled, timed out) is
// released at once, so the app's supplier gets its slot back.
func (a *AppSupplier) Answer(r *bridgev1.SlotResponse) {
	a.mu.Lock()
	ch := a.waiting[r.GetRequestId()]
	delete(a.waiting, r.GetRequestId())
	a.mu.Unlock()
	if ch != nil {
		ch <- r // buffered: one answer per request
		return
	}
	if p := r.GetPermit(); p != nil {
		a.log.Debug("a slot was granted after the sidecar stopped waiting for it; releasing it", "request_id", r.GetRequestId())
		a.release(r.GetRequestId(), p.GetData(), nil)
	}
}

func (a *AppSupplier) await(id uint64) (chan *bridgev1.SlotResponse, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return nil, false
	}
	ch := make(chan *bridgev1.SlotResponse, 1)
	a.waiting[id] = ch
	return ch, true
}

// giveUp stops waiting for request id and tells the app so; an answer
// already on its way is released by Answer.
func (a *AppSupplier) giveUp(id uint64, ch chan *bridgev1.SlotResponse) {
	a.mu.Lock()
	_, waiting := a.waiting[id]
	delete(a.waiting, id)
	a.mu.Unlock()
	if !waiting { // answered meanwhile: give a granted slot back
		if r := <-ch; r.GetPermit() != nil {
			a.release(id, r.GetPermit().GetData(), nil)
		}
		return
	}
	_ = a.send(&bridgev1.SlotRequest{RequestId: id, Request: &bridgev1.SlotRequest_Cancel{Cancel: &bridgev1.SlotCancel{}}})
}

// reserve asks the app for a slot until it grants one, ctx ends (ctx's
// error) or the app leaves (errGone). A request unanswered within timeout
// is cancelled and asked again; a failed one is logged and asked again
// after a pause, as sdk-core retries a failing reserve_slot.
func (a *AppSupplier) reserve(ctx context.Context, rc *bridgev1.SlotReserveContext, timeout time.Duration) (uint64, []byte, error) {
	pause := reserveRetryMin
	for {
		id := requestIDs.Add(1)
		ch, ok := a.await(id)
		if !ok {
			return 0, nil, errGone
		}
		if err := a.send(&bridgev1.SlotRequest{RequestId: id, Request: &bridgev1.SlotRequest_Reserve{Reserve: rc}}); err != nil {
			a.giveUp(id, ch)
			return 0, nil, errGone
		}
		t := time.NewTimer(timeout)
		select {
		case r := <-ch:
			t.Stop()
			if p := r.GetPermit(); p != nil {
				return id, p.GetData(), nil
			}
			why := r.GetError()
			if why == "" {
				why = "it answered a reserve with no slot (reserve waits for a slot; only try_reserve may refuse)"
			}
			a.log.Warn("the app's slot supplier failed to reserve a slot; asking again", "kind", rc.GetSlotKind(), "error", why, "retry_in", pause)
		case <-t.C:
			a.giveUp(id, ch)
			a.log.Warn("the app's slot supplier did not answer a reserve; cancelled it and asking again", "kind", rc.GetSlotKind(), "waited", timeout)
			continue
		case <-ctx.Done():
			t.Stop()
			a.giveUp(id, ch)
			return 0, nil, ctx.Err()
		case <-a.done:
			t.Stop()
			return 0, nil, errGone
		}
		select {
		case <-time.After(pause):
			pause = min(2*pause, reserveRetryMax)
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-a.done:
			return 0, nil, errGone
		}
	}
}

// tryReserve asks the app for a slot it has free now, waiting at most
// timeout for the answer.
func (a *AppSupplier) tryReserve(rc *bridgev1.SlotReserveContext, timeout time.Duration) (uint64, []byte, bool) {
	id := requestIDs.Add(1)
	ch, ok := a.await(id)
	if !ok {
		return 0, nil, false
	}
	if a.send(&bridgev1.SlotRequest{RequestId: id, Request: &bridgev1.SlotRequest_TryReserve{TryReserve: rc}}) != nil {
		a.giveUp(id, ch)
		return 0, nil, false
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if p := r.GetPermit(); p != nil {
			return id, p.GetData(), true
		}
		if e := r.GetError(); e != "" {
			a.log.Warn("the app's slot supplier failed to try-reserve a slot: no slot", "kind", rc.GetSlotKind(), "error", e)
		}
	case <-t.C:
		a.giveUp(id, ch)
		a.log.Warn("the app's slot supplier did not answer a try-reserve in time: no slot", "kind", rc.GetSlotKind(), "waited", timeout)
	case <-a.done:
	}
	return 0, nil, false
}

func (a *AppSupplier) markUsed(id uint64, permit []byte, info *bridgev1.SlotInfo) {
	_ = a.send(&bridgev1.SlotRequest{RequestId: id, Request: &bridgev1.SlotRequest_MarkUsed{MarkUsed: &bridgev1.SlotMarkUsed{Permit: permit, SlotInfo: info}}})
}

func (a *AppSupplier) release(id uint64, permit []byte, info *bridgev1.SlotInfo) {
	_ = a.send(&bridgev1.SlotRequest{RequestId: id, Request: &bridgev1.SlotRequest_Release{Release: &bridgev1.SlotRelease{Permit: permit, SlotInfo: info}}})
}

// AppOptions configure an AppServed.
type AppOptions struct {
	Kind task.Kind
	// Fallback hands out the kind's slots while no app serves them.
	Fallback Counted
	// The reserve context's worker fields.
	TaskQueue, Identity, BuildID, DeploymentName string
	// ReserveTimeout and TryReserveTimeout default to DefaultReserveTimeout
	// and DefaultTryReserveTimeout.
	ReserveTimeout, TryReserveTimeout time.Duration
	// OneAhead keeps one slot reserved ahead of need, as sdk-core does for
	// local activities: it reserves before a local activity waits for one.
	OneAhead bool
	Logger   *slog.Logger
}

// AppServed is a kind's Supplier for one worker: while an app session
// serves the kind's slots (Attach), every slot comes from that app's
// supplier; otherwise from Fallback. Pollers use it like any Supplier.
type AppServed struct {
	o   AppOptions
	log *slog.Logger

	mu      sync.Mutex
	app     *AppSupplier
	changed chan struct{} // closed and replaced when app changes
	stop    context.CancelFunc
	ahead   chan appGrant // OneAhead: the slot reserved ahead

	held    sync.Map // *Permit -> appGrant, permits the app granted
	granted atomic.Int64
	inUse   atomic.Int64
}

type appGrant struct {
	app    *AppSupplier
	id     uint64
	permit []byte
}

// NewAppServed returns a kind's Supplier that an app may serve.
func NewAppServed(o AppOptions) *AppServed {
	if o.ReserveTimeout <= 0 {
		o.ReserveTimeout = DefaultReserveTimeout
	}
	if o.TryReserveTimeout <= 0 {
		o.TryReserveTimeout = DefaultTryReserveTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &AppServed{o: o, log: o.Logger, changed: make(chan struct{}), ahead: make(chan appGrant)}
}

// ErrSupplied is Attach's error when another app already serves the kind.
type ErrSupplied struct{ By string }

func (e *ErrSupplied) Error() string { return "the slots are already served by " + e.By }

// Attach makes a the kind's supplier. It fails while another app serves
// the kind.
func (s *AppServed) Attach(a *AppSupplier) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app != nil {
		return &ErrSupplied{By: s.app.name}
	}
	s.app = a
	if s.o.OneAhead {
		ctx, cancel := context.WithCancel(context.Background())
		s.stop = cancel
		go s.reserveAhead(ctx, a)
	}
	s.notifyLocked()
	s.log.Info("the app's slot supplier serves the kind's slots", "kind", s.o.Kind.String(), "app", a.name)
	return nil
}

// Detach stops taking slots from a, if it serves the kind; the slots it
// granted are released to it as usual (while its session lasts).
func (s *AppServed) Detach(a *AppSupplier) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app != a {
		return
	}
	s.app = nil
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
	s.notifyLocked()
	s.log.Info("the app serving the kind's slots left; the sidecar's own supplier serves them", "kind", s.o.Kind.String(), "app", a.name)
}

// Served reports whether an app serves the kind's slots now.
func (s *AppServed) Served() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app != nil
}

func (s *AppServed) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *AppServed) current() (*AppSupplier, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app, s.changed
}

func (s *AppServed) reserveContext(info Info) *bridgev1.SlotReserveContext {
	return &bridgev1.SlotReserveContext{SlotKind: SlotKind(info.Kind), TaskQueue: s.o.TaskQueue,
		WorkerIdentity: s.o.Identity, WorkerBuildId: s.o.BuildID, WorkerDeploymentName: s.o.DeploymentName, IsSticky: info.Sticky}
}

// reserveAhead keeps one slot reserved from a for the next Reserve until
// ctx ends (a was detached).
func (s *AppServed) reserveAhead(ctx context.Context, a *AppSupplier) {
	rc := s.reserveContext(Info{Kind: s.o.Kind})
	for {
		id, permit, err := a.reserve(ctx, rc, s.o.ReserveTimeout)
		if err != nil {
			return
		}
		select {
		case s.ahead <- appGrant{a, id, permit}:
		case <-ctx.Done():
			a.release(id, permit, nil)
			return
		}
	}
}

// Reserve implements Supplier.
func (s *AppServed) Reserve(ctx context.Context, info Info) (*Permit, error) {
	for {
		a, changed := s.current()
		if a == nil {
			p, err := s.reserveFallback(ctx, info, changed)
			if p != nil || err != nil {
				return p, err
			}
			continue // an app began serving the kind
		}
		var g appGrant
		var err error
		if s.o.OneAhead {
			select {
			case g = <-s.ahead:
			case <-changed:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		} else {
			g.app = a
			g.id, g.permit, err = a.reserve(ctx, s.reserveContext(info), s.o.ReserveTimeout)
			if errors.Is(err, errGone) {
				// The session ended before the worker detached it.
				select {
				case <-changed:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				continue
			}
			if err != nil {
				return nil, err
			}
		}
		return s.hold(info, g), nil
	}
}

// reserveFallback reserves from Fallback until ctx ends or an app attaches
// (nil, nil).
func (s *AppServed) reserveFallback(ctx context.Context, info Info, changed <-chan struct{}) (*Permit, error) {
	// A fixed supplier waits on its semaphore and changed together: no
	// context and goroutine to watch for an app (one per poll).
	if f, ok := s.o.Fallback.(*Fixed); ok {
		return f.reserveUnless(ctx, info, changed)
	}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-changed:
			cancel()
		case <-fctx.Done():
		}
	}()
	p, err := s.o.Fallback.Reserve(fctx, info)
	if err != nil && ctx.Err() == nil {
		return nil, nil
	}
	return p, err
}

func (s *AppServed) hold(info Info, g appGrant) *Permit {
	p := &Permit{Info: info}
	s.held.Store(p, g)
	s.granted.Add(1)
	return p
}

// TryReserve implements Supplier.
func (s *AppServed) TryReserve(info Info) (*Permit, bool) {
	a, _ := s.current()
	if a == nil {
		return s.o.Fallback.TryReserve(info)
	}
	id, permit, ok := a.tryReserve(s.reserveContext(info), s.o.TryReserveTimeout)
	if !ok {
		return nil, false
	}
	return s.hold(info, appGrant{a, id, permit}), true
}

// MarkUsed implements Supplier: the app learns which task occupies the slot.
func (s *AppServed) MarkUsed(p *Permit) {
	v, ok := s.held.Load(p)
	if !ok {
		s.o.Fallback.MarkUsed(p)
		return
	}
	if p.used.Swap(true) {
		return
	}
	s.inUse.Add(1)
	g := v.(appGrant)
	g.app.markUsed(g.id, g.permit, SlotInfo(p.Info))
}

// Release implements Supplier.
func (s *AppServed) Release(p *Permit) {
	v, ok := s.held.LoadAndDelete(p)
	if !ok {
		s.o.Fallback.Release(p)
		return
	}
	if p.released.Swap(true) {
		panic("slots: permit released twice")
	}
	s.granted.Add(-1)
	var info *bridgev1.SlotInfo
	if p.used.Load() {
		s.inUse.Add(-1)
		info = SlotInfo(p.Info)
	}
	g := v.(appGrant)
	g.app.release(g.id, g.permit, info)
}

// Available implements Counted: the fallback's free slots, or 0 while an
// app serves the kind (its supplier does not say how many it has free).
func (s *AppServed) Available() int {
	if s.Served() {
		return 0
	}
	return s.o.Fallback.Available()
}

// InUse implements Counted: slots occupied by a task, from either supplier.
func (s *AppServed) InUse() int { return s.o.Fallback.InUse() + int(s.inUse.Load()) }

// SlotKind is a task kind's slot kind on the bridge.
func SlotKind(k task.Kind) bridgev1.SlotKind {
	switch k {
	case task.Workflow:
		return bridgev1.SlotKind_SLOT_KIND_WORKFLOW
	case task.Activity:
		return bridgev1.SlotKind_SLOT_KIND_ACTIVITY
	case task.LocalActivity:
		return bridgev1.SlotKind_SLOT_KIND_LOCAL_ACTIVITY
	case task.Nexus:
		return bridgev1.SlotKind_SLOT_KIND_NEXUS
	}
	return bridgev1.SlotKind_SLOT_KIND_UNSPECIFIED
}

// KindOf is the task kind of a bridge slot kind; false for UNSPECIFIED or
// an unknown value.
func KindOf(k bridgev1.SlotKind) (task.Kind, bool) {
	for _, t := range []task.Kind{task.Workflow, task.Activity, task.LocalActivity, task.Nexus} {
		if SlotKind(t) == k {
			return t, true
		}
	}
	return 0, false
}

// SlotInfo is the bridge's description of the task occupying a slot.
func SlotInfo(i Info) *bridgev1.SlotInfo {
	out := &bridgev1.SlotInfo{SlotKind: SlotKind(i.Kind)}
	switch i.Kind {
	case task.Workflow:
		out.WorkflowType, out.IsSticky = i.Type, i.Sticky
	case task.Activity, task.LocalActivity:
		out.ActivityType = i.Type
	case task.Nexus:
		out.NexusService, out.NexusOperation = i.Type, i.Operation
	}
	return out
}

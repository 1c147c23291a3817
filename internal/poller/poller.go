// Package poller runs the long-poll loops that bring tasks from the Temporal
// frontend: workflow (normal and sticky), activity and Nexus. It knows
// nothing about what it polls; the caller supplies one Poll call and a
// Deliver function, and the package supplies slots, rate limiting, error
// backoff and Temporal's two poller behaviours, simple maximum and
// autoscaling.
package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/temporal-sidecar/sidecar/internal/slots"
)

// Behaviour decides how many pollers run, as Temporal's PollerBehavior does
// in the SDKs.
type Behaviour struct {
	// Autoscaling lets the server's scaling decisions move the number of
	// pollers between Minimum and Maximum, starting at Initial. Without it
	// exactly Maximum pollers run, and Minimum and Initial are ignored.
	Autoscaling bool
	// Zero means the default: 1, 5 and 100 when autoscaling (Initial no
	// more than Maximum); Maximum 5 otherwise.
	Minimum, Initial, Maximum int
}

// limits returns the bounds and starting number of pollers.
func (b Behaviour) limits() (minimum, initial, maximum int, err error) {
	if b.Minimum < 0 || b.Initial < 0 || b.Maximum < 0 {
		return 0, 0, 0, fmt.Errorf("poller counts cannot be negative, got Minimum %d, Initial %d, Maximum %d", b.Minimum, b.Initial, b.Maximum)
	}
	if !b.Autoscaling {
		maximum = cmpOr(b.Maximum, 5)
		return maximum, maximum, maximum, nil
	}
	maximum = cmpOr(b.Maximum, 100)
	minimum = cmpOr(b.Minimum, 1)
	initial = b.Initial
	if initial == 0 {
		initial = max(minimum, min(5, maximum))
	}
	if minimum > initial || initial > maximum {
		return 0, 0, 0, fmt.Errorf("autoscaling pollers need Minimum <= Initial <= Maximum, got %d, %d, %d", minimum, initial, maximum)
	}
	return minimum, initial, maximum, nil
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Options configures one poller.
type Options[T any] struct {
	// Name is the poller's name in logs and errors, e.g. "activity" or
	// "workflow-sticky". It defaults to the slot's kind.
	Name string
	// Slot is what each poll reserves from Slots. A slot is reserved before
	// every poll: no slot, no poll.
	Slot  slots.Info
	Slots slots.Supplier
	// Behaviour sets the number of pollers.
	Behaviour Behaviour
	// Poll does one long poll. The caller builds the request and puts a
	// timeout on ctx if it wants one. ok=false is an empty poll; scaling is
	// the response's poller_scaling_decision, and may be nil. ok, t and
	// scaling are ignored when err is not nil. A DeadlineExceeded error
	// counts as an empty poll: a long poll running out of time is normal.
	Poll func(ctx context.Context) (t T, ok bool, scaling *taskqueuepb.PollerScalingDecision, err error)
	// Deliver hands a task over. Its permit is already marked used, and the
	// receiver owns releasing it. Deliver runs on the poller's goroutine,
	// so it should queue the task rather than process it. A task a poll
	// brings back while Run is stopping is still delivered: the server has
	// handed it out, and dropping it would leave it to time out.
	Deliver func(t T, p *slots.Permit)
	// Limiter, if set, is waited on before each poll, holding the slot:
	// the worker-side limit on tasks per second.
	Limiter *rate.Limiter
	// Stop, if set, ends polling gracefully once closed: no poller reserves
	// a slot, waits on the limiter or starts a poll after that, while the
	// polls in flight go on until they end by themselves or ctx ends, and
	// what they bring is delivered; Run returns once they have ended. A
	// worker that stops closes Stop, tells the server with ShutdownWorker
	// (a server that cancels a stopping worker's polls then answers them
	// at once, empty), and cancels ctx only after a bound: a poll
	// cancelled client-side can race with the server handing it a task,
	// which is then lost until it times out.
	Stop <-chan struct{}
	// Fatal, if set, is called once, after all pollers have stopped, when
	// polling stopped for good because of an error retrying cannot fix.
	Fatal  func(error)
	Logger *slog.Logger
}

// Backoff bounds. They follow sdk-core's long-poll retry policy, with a
// slower start when the server says it is overloaded.
const (
	backoffBase          = 200 * time.Millisecond
	backoffBaseExhausted = time.Second
	backoffCap           = 10 * time.Second
)

// Poller runs a set of long-poll goroutines. Create it with New; run it
// once with Run.
type Poller[T any] struct {
	o                Options[T]
	log              *slog.Logger
	minimum, maximum int
	sleep            func(ctx context.Context, d time.Duration) error // replaced in tests
	polling          atomic.Int64
	lastErr          atomic.Pointer[error]
	started          atomic.Bool
	grow             chan struct{} // the target rose: start pollers
	stop             context.CancelFunc
	fatalOnce        sync.Once
	fatalErr         error // set once by fail; Run reads it after the pollers stop

	mu          sync.Mutex
	target      int  // pollers wanted
	running     int  // poller goroutines alive
	sawDecision bool // the server has sent a scaling decision
}

// New checks o and returns a Poller for it.
func New[T any](o Options[T]) (*Poller[T], error) {
	if o.Name == "" {
		o.Name = o.Slot.Kind.String()
	}
	if o.Poll == nil || o.Deliver == nil || o.Slots == nil {
		return nil, fmt.Errorf("poller %q: Options need Poll, Deliver and Slots", o.Name)
	}
	minimum, initial, maximum, err := o.Behaviour.limits()
	if err != nil {
		return nil, fmt.Errorf("poller %q: %w", o.Name, err)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Poller[T]{
		o:       o,
		log:     log.With("poller", o.Name),
		minimum: minimum,
		maximum: maximum,
		target:  initial,
		sleep:   sleep,
		grow:    make(chan struct{}, 1),
	}, nil
}

// Run polls until ctx ends, Options.Stop closes or an error retrying
// cannot fix. It returns after every poller has stopped and released every
// slot that is not held by a delivered task: nil when ctx ended or Stop
// closed, the error otherwise.
func Run[T any](ctx context.Context, o Options[T]) error {
	p, err := New(o)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

// Pollers is the number of polls in flight, for the temporal_num_pollers
// metric.
func (p *Poller[T]) Pollers() int { return int(p.polling.Load()) }

// Err is the error of the latest poll if it failed, and nil once a poll
// succeeds, empty or not. Readiness uses it to report a frontend outage.
func (p *Poller[T]) Err() error {
	if e := p.lastErr.Load(); e != nil {
		return *e
	}
	return nil
}

// targetPollers is the number of pollers currently wanted.
func (p *Poller[T]) targetPollers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.target
}

// Run polls until ctx ends, Options.Stop closes or an error retrying
// cannot fix; see the package-level Run. A Poller runs once.
func (p *Poller[T]) Run(ctx context.Context) error {
	if p.started.Swap(true) {
		return fmt.Errorf("poller %q: Run called twice; make a new Poller", p.o.Name)
	}
	ctx, p.stop = context.WithCancel(ctx)
	defer p.stop()
	// wait is what pollers wait on before a poll (a slot, the limiter, a
	// backoff): it ends with ctx and when Stop closes. The polls themselves
	// run on ctx, so that Stop lets them end on their own.
	wait, endWait := context.WithCancel(ctx)
	defer endWait()
	if p.o.Stop != nil {
		select {
		case <-p.o.Stop: // stopped before it started: poll nothing
			endWait()
		default:
			go func() {
				select {
				case <-p.o.Stop:
					endWait()
				case <-wait.Done():
				}
			}()
		}
	}
	var wg sync.WaitGroup
	for {
		p.mu.Lock()
		for p.running < p.target {
			p.running++
			wg.Go(func() { p.loop(ctx, wait) })
		}
		p.mu.Unlock()
		select {
		case <-p.grow:
		case <-wait.Done():
			wg.Wait()
			if p.fatalErr != nil {
				p.log.Error("Polling stopped for good", "error", p.fatalErr)
				if p.o.Fatal != nil {
					p.o.Fatal(p.fatalErr)
				}
			}
			return p.fatalErr
		}
	}
}

// loop is one poller: reserve a slot, wait on the limiter, poll, hand the
// task over or give the slot back, and back off after errors. It waits on
// wait before each poll and polls on ctx (see Run).
func (p *Poller[T]) loop(ctx, wait context.Context) {
	var b backoff
	for !p.halted(ctx, wait) && !p.retire() {
		permit, err := p.o.Slots.Reserve(wait, p.o.Slot)
		if err != nil {
			if p.halted(ctx, wait) {
				return
			}
			if !p.pause(wait, &b, false, "Reserving a slot failed", err) {
				return
			}
			continue
		}
		// Scaled down while waiting for the slot: don't poll with it.
		if p.retire() {
			p.o.Slots.Release(permit)
			return
		}
		if p.o.Limiter != nil {
			if err := p.o.Limiter.Wait(wait); err != nil {
				p.o.Slots.Release(permit)
				if p.halted(ctx, wait) {
					return
				}
				// A limiter with a zero burst never lets anything through;
				// say so now and then rather than spin.
				if !p.pause(wait, &b, false, "Waiting on the tasks-per-second limiter failed", err) {
					return
				}
				continue
			}
		}
		if p.halted(ctx, wait) { // stopped while waiting: start no new poll
			p.o.Slots.Release(permit)
			return
		}

		p.polling.Add(1)
		t, ok, scaling, err := p.o.Poll(ctx)
		p.polling.Add(-1)

		switch {
		case err == nil && ok:
			b.reset()
			p.lastErr.Store(nil)
			p.o.Slots.MarkUsed(permit)
			p.report(outcomeTask, scaling)
			p.o.Deliver(t, permit)
		case err == nil || timedOut(err):
			b.reset()
			p.lastErr.Store(nil)
			p.o.Slots.Release(permit)
			p.report(outcomeEmpty, scaling)
		default:
			p.o.Slots.Release(permit)
			if p.halted(ctx, wait) {
				// Cancelled by Run's ctx, or failed after Stop: shutting
				// down, not failing.
				return
			}
			if fatal(err) {
				p.fail(err)
				return
			}
			p.lastErr.Store(&err)
			exhausted := status.Code(err) == codes.ResourceExhausted
			if exhausted {
				p.report(outcomeExhausted, nil)
			} else {
				p.report(outcomeError, nil)
			}
			if !p.pause(wait, &b, exhausted, "Poll failed", err) {
				return
			}
		}
	}
}

// halted reports whether pollers must start no new poll: ctx or wait
// ended, or Stop is closed. Each is read itself: a context's children, and
// wait after Stop, end a moment after it.
func (p *Poller[T]) halted(ctx, wait context.Context) bool {
	if ctx.Err() != nil || wait.Err() != nil {
		return true
	}
	select {
	case <-p.o.Stop:
		return true
	default:
		return false
	}
}

// pause logs err and sleeps for the next backoff. It reports false if ctx
// ended meanwhile.
func (p *Poller[T]) pause(ctx context.Context, b *backoff, exhausted bool, msg string, err error) bool {
	d := b.next(exhausted)
	p.log.Warn(msg+", retrying", "error", err, "attempt", b.failures, "retry_in", d)
	return p.sleep(ctx, d) == nil
}

// retire ends this poller if there are more than the target.
func (p *Poller[T]) retire() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running > p.target {
		p.running--
		return true
	}
	return false
}

// fail stops every poller because of err.
func (p *Poller[T]) fail(err error) {
	p.fatalOnce.Do(func() {
		p.fatalErr = fatalError(p.o.Name, err)
		p.stop()
	})
}

type outcome int

const (
	outcomeTask outcome = iota
	outcomeEmpty
	outcomeExhausted
	outcomeError
)

// report moves the target number of pollers after a poll, as the SDKs'
// autoscaler does. Empty polls and errors only scale down once the server
// has sent a scaling decision: a server that never sends one would
// otherwise see pollers fall to Minimum and never rise again.
func (p *Poller[T]) report(o outcome, scaling *taskqueuepb.PollerScalingDecision) {
	if !p.o.Behaviour.Autoscaling {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	target := p.target
	switch {
	case scaling != nil:
		p.sawDecision = true
		delta := int(scaling.GetPollRequestDeltaSuggestion())
		// More pollers only help while they bring tasks; an empty poll
		// says the ones running are enough.
		if delta < 0 || o == outcomeTask {
			target += delta
		}
	case !p.sawDecision:
	case o == outcomeEmpty, o == outcomeError:
		target--
	case o == outcomeExhausted:
		target /= 2
	}
	target = min(max(target, p.minimum), p.maximum)
	if target > p.target {
		select {
		case p.grow <- struct{}{}:
		default:
		}
	}
	p.target = target
}

// timedOut reports whether err is a long poll running out of time, which
// is an empty poll rather than a failure.
func timedOut(err error) bool {
	return status.Code(err) == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded)
}

// fatal reports whether err means polling cannot succeed however often it
// is retried. These are the codes sdk-core does not retry on long polls;
// everything else, Canceled included, may pass.
func fatal(err error) bool {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.PermissionDenied,
		codes.FailedPrecondition, codes.Unauthenticated, codes.Unimplemented:
		return true
	}
	return false
}

// fatalError says what to check for a fatal poll error.
func fatalError(name string, err error) error {
	var hint string
	switch status.Code(err) {
	case codes.NotFound:
		hint = "check that the namespace exists"
	case codes.PermissionDenied, codes.Unauthenticated:
		hint = "check the API key or client certificate, and its access to the namespace"
	case codes.Unimplemented:
		hint = "the Temporal server does not support this call; upgrade it or turn the feature off"
	case codes.FailedPrecondition:
		hint = "check that the namespace is active in this cluster"
	default:
		hint = "check the namespace, task queue and worker options"
	}
	return fmt.Errorf("%s poller stopped: %w (%s)", name, err, hint)
}

// backoff is one poller's delay between failed polls: exponential from
// backoffBase (backoffBaseExhausted when the server is overloaded) up to
// backoffCap, with equal jitter so pollers spread out yet every delay is at
// least half the nominal one.
type backoff struct{ failures int }

func (b *backoff) reset() { b.failures = 0 }

func (b *backoff) next(exhausted bool) time.Duration {
	base := backoffBase
	if exhausted {
		base = backoffBaseExhausted
	}
	d := backoffCap
	if b.failures < 16 { // 2^16 times any base is past the cap
		d = min(base<<b.failures, backoffCap)
	}
	b.failures++
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or for ctx to end.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

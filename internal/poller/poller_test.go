package poller

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
)

// The fakes below stand in for the frontend because these tests are about
// faults and scaling decisions a real server cannot be made to produce on
// demand.

// reply is one poll's result.
type reply struct {
	task    int
	ok      bool
	scaling *taskqueuepb.PollerScalingDecision
	err     error
}

func taskReply(delta int32) reply {
	return reply{task: 1, ok: true, scaling: &taskqueuepb.PollerScalingDecision{PollRequestDeltaSuggestion: delta}}
}

func errReply(c codes.Code) reply { return reply{err: status.Error(c, "injected "+c.String())} }

// fakePoll answers poll n with answer(ctx, n) when that reports true;
// otherwise the poll waits for a reply on replies or for ctx, like a long
// poll on an idle task queue.
type fakePoll struct {
	answer    func(ctx context.Context, n int64) (reply, bool)
	replies   chan reply
	calls     atomic.Int64
	inPoll    atomic.Int64
	maxInPoll atomic.Int64
}

func (f *fakePoll) poll(ctx context.Context) (int, bool, *taskqueuepb.PollerScalingDecision, error) {
	n := f.calls.Add(1) - 1
	in := f.inPoll.Add(1)
	defer f.inPoll.Add(-1)
	for m := f.maxInPoll.Load(); in > m && !f.maxInPoll.CompareAndSwap(m, in); m = f.maxInPoll.Load() {
	}
	if f.answer != nil {
		if r, ok := f.answer(ctx, n); ok {
			return r.task, r.ok, r.scaling, r.err
		}
	}
	select {
	case r := <-f.replies:
		return r.task, r.ok, r.scaling, r.err
	case <-ctx.Done():
		// What grpc-go returns for a call whose context ended.
		return 0, false, nil, status.FromContextError(ctx.Err()).Err()
	}
}

func always(r reply) func(context.Context, int64) (reply, bool) {
	return func(context.Context, int64) (reply, bool) { return r, true }
}

// countingSlots counts reservations, releases and pollers waiting in
// Reserve.
type countingSlots struct {
	*slots.Fixed
	waiting, reserved, released atomic.Int64
}

func (c *countingSlots) Reserve(ctx context.Context, info slots.Info) (*slots.Permit, error) {
	c.waiting.Add(1)
	defer c.waiting.Add(-1)
	p, err := c.Fixed.Reserve(ctx, info)
	if err == nil {
		c.reserved.Add(1)
	}
	return p, err
}

func (c *countingSlots) Release(p *slots.Permit) {
	c.released.Add(1)
	c.Fixed.Release(p)
}

// receiver takes delivered tasks, and keeps their permits if keep is set.
type receiver struct {
	slots     slots.Supplier
	keep      bool
	mu        sync.Mutex
	delivered int
	held      []*slots.Permit
	unused    int // permits delivered without MarkUsed
}

func (r *receiver) deliver(_ int, p *slots.Permit) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delivered++
	if !p.Used() {
		r.unused++
	}
	if r.keep {
		r.held = append(r.held, p)
		return
	}
	r.slots.Release(p)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered
}

// release releases one held permit, or all of them when all is set.
func (r *receiver) release(all bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.held) > 0 {
		r.slots.Release(r.held[0])
		r.held = r.held[1:]
		if !all {
			return
		}
	}
}

// sleeps records the backoff delays asked for, without waiting them out.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// syncBuffer is a log destination safe for concurrent pollers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is one poller wired to fakes.
type env struct {
	f      *fakePoll
	s      *countingSlots
	r      *receiver
	sleeps *sleeps
	log    *syncBuffer
	p      *Poller[int]

	fatals   atomic.Int64
	fatalErr atomic.Pointer[error]
	cancel   context.CancelFunc
	done     chan error
}

// newEnv builds a poller with size slots; edit adjusts its options.
func newEnv(t *testing.T, size int, edit func(*Options[int])) *env {
	t.Helper()
	e := &env{
		f:      &fakePoll{replies: make(chan reply)},
		s:      &countingSlots{Fixed: slots.NewFixed(size)},
		sleeps: &sleeps{},
		log:    &syncBuffer{},
	}
	e.r = &receiver{slots: e.s}
	o := Options[int]{
		Name:    "test",
		Slot:    slots.Info{Kind: task.Activity},
		Slots:   e.s,
		Poll:    e.f.poll,
		Deliver: e.r.deliver,
		Fatal: func(err error) {
			e.fatals.Add(1)
			e.fatalErr.Store(&err)
		},
		Logger: slog.New(slog.NewTextHandler(e.log, nil)),
	}
	if edit != nil {
		edit(&o)
	}
	p, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p.sleep = e.sleeps.sleep
	e.p = p
	return e
}

func (e *env) start() {
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan error, 1)
	go func() { e.done <- e.p.Run(ctx) }()
}

// wait returns Run's result, failing the test if Run does not return.
func (e *env) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-e.done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func (e *env) stop(t *testing.T) error {
	t.Helper()
	e.cancel()
	return e.wait(t)
}

// checkNoLeak checks, after Run returned, that every slot is free or held
// by a task the receiver still holds (preheld: by the test itself).
func (e *env) checkNoLeak(t *testing.T, preheld int) {
	t.Helper()
	e.r.mu.Lock()
	held, unused := len(e.r.held), e.r.unused
	e.r.mu.Unlock()
	if unused != 0 {
		t.Errorf("%d tasks delivered with permits not marked used", unused)
	}
	if got, want := e.s.Available(), e.s.Size()-held-preheld; got != want {
		t.Errorf("after Run: %d slots available, want %d (%d held by delivered tasks, %d by the test)", got, want, held, preheld)
	}
	if got := e.s.InUse(); got != held {
		t.Errorf("after Run: %d slots in use, want %d held by delivered tasks", got, held)
	}
	if n := e.p.Pollers(); n != 0 {
		t.Errorf("after Run: Pollers() = %d, want 0", n)
	}
	if n := e.f.inPoll.Load(); n != 0 {
		t.Errorf("after Run: %d polls still in flight", n)
	}
	e.r.release(true)
	if got, want := e.s.Available(), e.s.Size()-preheld; got != want {
		t.Errorf("after the receiver released its tasks: %d slots available, want %d", got, want)
	}
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSlotsNeverLeak(t *testing.T) {
	tests := []struct {
		name    string
		size    int
		preheld int // slots the test holds itself
		keep    bool
		answer  func(context.Context, int64) (reply, bool)
		limiter *rate.Limiter
		ready   func(e *env) bool // when to cancel
	}{
		{
			name:   "empty polls give their slot back",
			size:   5,
			answer: always(reply{}),
			ready:  func(e *env) bool { return e.f.calls.Load() >= 50 },
		},
		{
			name:   "failed polls give their slot back",
			size:   5,
			answer: always(errReply(codes.Unavailable)),
			ready:  func(e *env) bool { return e.f.calls.Load() >= 50 },
		},
		{
			name:   "tasks the receiver released",
			size:   5,
			answer: always(reply{task: 1, ok: true}),
			ready:  func(e *env) bool { return e.r.count() >= 50 },
		},
		{
			name:   "tasks the receiver still holds",
			size:   3,
			keep:   true,
			answer: always(reply{task: 1, ok: true}),
			ready:  func(e *env) bool { return e.r.count() == 3 && e.s.waiting.Load() == 5 },
		},
		{
			name:  "cancelled mid-poll",
			size:  10,
			ready: func(e *env) bool { return e.f.inPoll.Load() == 5 },
		},
		{
			name:    "cancelled while waiting for a slot",
			size:    2,
			preheld: 2,
			ready:   func(e *env) bool { return e.s.waiting.Load() == 5 },
		},
		{
			name:    "cancelled while waiting on the limiter",
			size:    10,
			answer:  always(reply{}),
			limiter: rate.NewLimiter(rate.Every(time.Hour), 1),
			ready:   func(e *env) bool { return e.f.calls.Load() == 1 && e.p.o.Limiter.Tokens() < -4.5 },
		},
		{
			name: "a task a poll brings back during shutdown is delivered",
			size: 10,
			keep: true,
			answer: func(ctx context.Context, _ int64) (reply, bool) {
				<-ctx.Done()
				return reply{task: 1, ok: true}, true
			},
			ready: func(e *env) bool { return e.f.inPoll.Load() == 5 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.size, func(o *Options[int]) { o.Limiter = tt.limiter })
			e.f.answer = tt.answer
			e.r.keep = tt.keep
			var mine []*slots.Permit
			for range tt.preheld {
				p, _ := e.s.Fixed.TryReserve(slots.Info{})
				mine = append(mine, p)
			}
			e.start()
			waitFor(t, "the pollers are busy", func() bool { return tt.ready(e) })
			if err := e.stop(t); err != nil {
				t.Fatalf("Run returned %v after cancel, want nil", err)
			}
			e.checkNoLeak(t, tt.preheld)
			if r, rel := e.s.reserved.Load(), e.s.released.Load(); r != rel {
				t.Errorf("%d slots reserved through the supplier but %d released", r, rel)
			}
			for _, p := range mine {
				e.s.Fixed.Release(p)
			}
			if e.fatals.Load() != 0 {
				t.Errorf("Fatal called on an ordinary shutdown")
			}
		})
	}
}

func TestNoPollWithoutSlot(t *testing.T) {
	e := newEnv(t, 3, nil)
	e.f.answer = always(reply{task: 1, ok: true})
	e.r.keep = true
	e.start()

	// Three tasks fill the three slots; then all five pollers must wait
	// for a slot, and none may poll.
	waitFor(t, "3 tasks delivered and 5 pollers waiting for a slot", func() bool {
		return e.r.count() == 3 && e.s.waiting.Load() == 5
	})
	if n := e.f.calls.Load(); n != 3 {
		t.Fatalf("%d polls with 3 slots all held by delivered tasks, want 3", n)
	}

	// One slot freed allows exactly one more poll.
	e.r.release(false)
	waitFor(t, "a 4th task delivered and 5 pollers waiting again", func() bool {
		return e.r.count() == 4 && e.s.waiting.Load() == 5
	})
	if n := e.f.calls.Load(); n != 4 {
		t.Fatalf("%d polls after one slot was freed, want 4", n)
	}
	if err := e.stop(t); err != nil {
		t.Fatal(err)
	}
	e.checkNoLeak(t, 0)
}

func TestSimpleMaximumNeverExceeded(t *testing.T) {
	tests := []struct {
		name    string
		maximum int
		want    int
	}{
		{"one poller", 1, 1},
		{"three pollers", 3, 3},
		{"default is five", 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 100, func(o *Options[int]) { o.Behaviour.Maximum = tt.maximum })
			// A burst of tasks, empty polls and scaling decisions, which
			// simple maximum ignores, then an idle queue.
			e.f.answer = func(_ context.Context, n int64) (reply, bool) {
				switch {
				case n >= 300:
					return reply{}, false
				case n%3 == 0:
					return taskReply(5), true
				case n%3 == 1:
					return reply{scaling: &taskqueuepb.PollerScalingDecision{PollRequestDeltaSuggestion: -5}}, true
				default:
					return reply{}, true
				}
			}
			e.start()
			waitFor(t, "the burst is polled and the pollers are idle", func() bool {
				return e.f.calls.Load() > 300 && e.f.inPoll.Load() == int64(tt.want) && e.p.Pollers() == tt.want
			})
			if got := e.f.maxInPoll.Load(); got != int64(tt.want) {
				t.Errorf("%d concurrent polls at most, want exactly %d", got, tt.want)
			}
			if err := e.stop(t); err != nil {
				t.Fatal(err)
			}
			e.checkNoLeak(t, 0)
		})
	}
}

func TestAutoscalingTarget(t *testing.T) {
	type step struct {
		o     outcome
		delta *int32 // a scaling decision, if any
	}
	d := func(v int32) *int32 { return &v }
	tasked := func(delta int32) step { return step{outcomeTask, d(delta)} }
	empty := step{o: outcomeEmpty}
	auto := Behaviour{Autoscaling: true, Minimum: 2, Initial: 5, Maximum: 10}
	tests := []struct {
		name      string
		behaviour Behaviour
		steps     []step
		want      int
	}{
		{"starts at Initial", auto, nil, 5},
		{"positive suggestion with a task scales up", auto, []step{tasked(2)}, 7},
		{"positive suggestion on an empty poll is ignored", auto, []step{{outcomeEmpty, d(3)}}, 5},
		{"negative suggestion scales down", auto, []step{tasked(-2)}, 3},
		{"negative suggestion on an empty poll scales down", auto, []step{{outcomeEmpty, d(-1)}}, 4},
		{"empty poll scales down by one", auto, []step{tasked(0), empty, empty}, 3},
		{"empty poll before any decision keeps the target", auto, []step{empty, empty}, 5},
		{"resource exhausted halves", auto, []step{tasked(1), {o: outcomeExhausted}}, 3},
		{"resource exhausted before any decision keeps the target", auto, []step{{o: outcomeExhausted}}, 5},
		{"other error scales down by one", auto, []step{tasked(0), {o: outcomeError}}, 4},
		{"clamped to Maximum", auto, []step{tasked(100)}, 10},
		{"clamped to Minimum by suggestions", auto, []step{tasked(-100)}, 2},
		{"clamped to Minimum by empty polls", auto, []step{tasked(0), empty, empty, empty, empty, empty}, 2},
		{"clamped to Minimum by resource exhausted", auto, []step{tasked(0), {o: outcomeExhausted}, {o: outcomeExhausted}}, 2},
		{"simple maximum ignores decisions", Behaviour{Maximum: 4}, []step{tasked(3), tasked(-3), empty, {o: outcomeExhausted}}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 1, func(o *Options[int]) { o.Behaviour = tt.behaviour })
			for _, s := range tt.steps {
				var sc *taskqueuepb.PollerScalingDecision
				if s.delta != nil {
					sc = &taskqueuepb.PollerScalingDecision{PollRequestDeltaSuggestion: *s.delta}
				}
				e.p.report(s.o, sc)
			}
			if got := e.p.targetPollers(); got != tt.want {
				t.Errorf("target %d pollers, want %d", got, tt.want)
			}
		})
	}
}

func TestAutoscalingPollersFollowTarget(t *testing.T) {
	e := newEnv(t, 100, func(o *Options[int]) {
		o.Behaviour = Behaviour{Autoscaling: true, Minimum: 1, Initial: 2, Maximum: 4}
	})
	e.start()
	settle := func(target, polling int) {
		t.Helper()
		waitFor(t, "target and polls settle", func() bool {
			return e.p.targetPollers() == target && e.p.Pollers() == polling && e.f.inPoll.Load() == int64(polling)
		})
	}
	settle(2, 2)

	// A task with a suggestion to add 5 pollers: up to Maximum.
	e.f.replies <- taskReply(5)
	settle(4, 4)

	// ResourceExhausted halves the target; the poller that saw it stops,
	// the others stop as their polls come back.
	e.f.replies <- errReply(codes.ResourceExhausted)
	settle(2, 3)
	e.f.replies <- reply{}
	settle(1, 2)
	e.f.replies <- reply{}
	settle(1, 1)

	// Empty polls never take it below Minimum.
	for range 3 {
		e.f.replies <- reply{}
		settle(1, 1)
	}
	if got := e.f.maxInPoll.Load(); got > 4 {
		t.Errorf("%d concurrent polls, above Maximum 4", got)
	}
	if err := e.stop(t); err != nil {
		t.Fatal(err)
	}
	e.checkNoLeak(t, 0)
}

func TestFatalErrorStopsPolling(t *testing.T) {
	for _, c := range []codes.Code{
		codes.NotFound, codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated,
		codes.Unimplemented, codes.FailedPrecondition, codes.AlreadyExists,
	} {
		t.Run(c.String(), func(t *testing.T) {
			e := newEnv(t, 10, nil)
			e.start()
			waitFor(t, "5 polls in flight", func() bool { return e.f.inPoll.Load() == 5 })
			injected := status.Error(c, "injected")
			e.f.replies <- reply{err: injected}

			// Run stops by itself; the other four polls are cancelled.
			err := e.wait(t)
			if !errors.Is(err, injected) || status.Code(err) != c {
				t.Fatalf("Run returned %v, want it to wrap the %v error", err, c)
			}
			if !strings.Contains(err.Error(), "test poller stopped") {
				t.Errorf("error %q does not name the poller", err)
			}
			if n := e.fatals.Load(); n != 1 {
				t.Fatalf("Fatal called %d times, want once", n)
			}
			if got := *e.fatalErr.Load(); got != err {
				t.Errorf("Fatal got %v, Run returned %v", got, err)
			}
			if !strings.Contains(e.log.String(), "level=ERROR") {
				t.Errorf("no error logged; log:\n%s", e.log)
			}
			if n := e.f.calls.Load(); n != 5 {
				t.Errorf("%d polls, want the 5 that were in flight and no more", n)
			}
			e.checkNoLeak(t, 0)
			e.cancel()
		})
	}
}

func TestFatalErrorOnEveryPollerCallsFatalOnce(t *testing.T) {
	e := newEnv(t, 10, nil)
	e.f.answer = always(errReply(codes.NotFound))
	e.start()
	if err := e.wait(t); status.Code(err) != codes.NotFound {
		t.Fatalf("Run returned %v, want NotFound", err)
	}
	if n := e.fatals.Load(); n != 1 {
		t.Errorf("Fatal called %d times, want once", n)
	}
	e.checkNoLeak(t, 0)
	e.cancel()
}

func TestRetryableErrorsKeepPolling(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantSleep bool // backs off before the next poll
	}{
		{"Unavailable", status.Error(codes.Unavailable, "connection refused"), true},
		{"Internal", status.Error(codes.Internal, "x"), true},
		{"ResourceExhausted", status.Error(codes.ResourceExhausted, "x"), true},
		{"Aborted", status.Error(codes.Aborted, "x"), true},
		{"Canceled while running", status.Error(codes.Canceled, "connection closing"), true},
		{"error without a gRPC status", errors.New("something broke"), true},
		{"server DeadlineExceeded is an empty poll", status.Error(codes.DeadlineExceeded, "x"), false},
		{"local timeout is an empty poll", context.DeadlineExceeded, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, 10, nil)
			e.f.answer = always(reply{err: tt.err})
			e.start()
			waitFor(t, "50 polls", func() bool { return e.f.calls.Load() >= 50 })
			if err := e.stop(t); err != nil {
				t.Fatalf("Run returned %v, want nil", err)
			}
			if n := e.fatals.Load(); n != 0 {
				t.Errorf("Fatal called for %v", tt.err)
			}
			slept, calls := len(e.sleeps.get()), int(e.f.calls.Load())
			if tt.wantSleep {
				// Every failed poll but those cut short by the cancel backs off.
				if slept < calls-5 {
					t.Errorf("%d backoffs after %d failed polls", slept, calls)
				}
				if !errors.Is(e.p.Err(), tt.err) {
					t.Errorf("Err() = %v, want %v", e.p.Err(), tt.err)
				}
			} else {
				if slept != 0 {
					t.Errorf("%d backoffs, want none", slept)
				}
				if e.p.Err() != nil {
					t.Errorf("Err() = %v, want nil", e.p.Err())
				}
			}
			e.checkNoLeak(t, 0)
		})
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name string
		code codes.Code
		base time.Duration
	}{
		{"ordinary errors", codes.Unavailable, 200 * time.Millisecond},
		{"resource exhausted starts higher", codes.ResourceExhausted, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const failures = 20
			e := newEnv(t, 1, func(o *Options[int]) { o.Behaviour.Maximum = 1 })
			// 20 failures, a success, 2 failures, then an idle queue.
			e.f.answer = func(_ context.Context, n int64) (reply, bool) {
				switch {
				case n < failures:
					return errReply(tt.code), true
				case n == failures:
					return reply{}, true
				case n < failures+3:
					return errReply(tt.code), true
				}
				return reply{}, false
			}
			e.start()
			waitFor(t, "22 backoffs", func() bool { return len(e.sleeps.get()) == failures+2 })
			if err := e.stop(t); err != nil {
				t.Fatal(err)
			}
			d := e.sleeps.get()
			if d[0] < tt.base/2 || d[0] > tt.base {
				t.Errorf("first backoff %v, want within [%v, %v]", d[0], tt.base/2, tt.base)
			}
			for i := 1; i < failures; i++ {
				// Below the cap every delay is at least the one before; at
				// the cap they are jittered within [5s, 10s].
				if tt.base<<i <= 10*time.Second && d[i] < d[i-1] {
					t.Errorf("backoff %d is %v, shorter than the one before, %v: %v", i, d[i], d[i-1], d[:failures])
				}
				if d[i] > 10*time.Second {
					t.Errorf("backoff %d is %v, above the 10s cap", i, d[i])
				}
			}
			if d[3] < 2*d[0] {
				t.Errorf("backoffs do not grow: %v", d[:4])
			}
			if last := d[failures-1]; last < 5*time.Second || last > 10*time.Second {
				t.Errorf("backoff after %d failures %v, want capped within [5s, 10s]", failures, last)
			}
			if after := d[failures]; after < tt.base/2 || after > tt.base {
				t.Errorf("first backoff after a successful poll %v, want reset to within [%v, %v]", after, tt.base/2, tt.base)
			}
			e.checkNoLeak(t, 0)
		})
	}
}

func TestLimiterHonoured(t *testing.T) {
	// Three polls allowed at once, then one an hour.
	lim := rate.NewLimiter(rate.Every(time.Hour), 3)
	e := newEnv(t, 10, func(o *Options[int]) { o.Limiter = lim })
	e.f.answer = always(reply{})
	e.start()
	// Each poller waiting on the limiter holds a reservation, so the tokens
	// go negative by one per waiting poller.
	waitFor(t, "3 polls and 5 pollers waiting on the limiter", func() bool {
		return e.f.calls.Load() == 3 && lim.Tokens() < -4.5
	})
	if n := e.f.calls.Load(); n != 3 {
		t.Errorf("%d polls with a burst of 3, want 3", n)
	}
	if err := e.stop(t); err != nil {
		t.Fatal(err)
	}
	e.checkNoLeak(t, 0)
}

func TestNewRejectsBadOptions(t *testing.T) {
	ok := func(o *Options[int]) {}
	tests := []struct {
		name string
		edit func(*Options[int])
		want string
	}{
		{"no Poll", func(o *Options[int]) { o.Poll = nil }, "need Poll, Deliver and Slots"},
		{"no Slots", func(o *Options[int]) { o.Slots = nil }, "need Poll, Deliver and Slots"},
		{"negative maximum", func(o *Options[int]) { o.Behaviour.Maximum = -1 }, "cannot be negative"},
		{"minimum above maximum", func(o *Options[int]) {
			o.Behaviour = Behaviour{Autoscaling: true, Minimum: 5, Maximum: 2}
		}, "Minimum <= Initial <= Maximum, got 5, 5, 2"},
		{"initial above maximum", func(o *Options[int]) {
			o.Behaviour = Behaviour{Autoscaling: true, Initial: 20, Maximum: 10}
		}, "Minimum <= Initial <= Maximum, got 1, 20, 10"},
		{"valid", ok, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options[int]{
				Name:  "activity",
				Slots: slots.NewFixed(1),
				Poll: func(context.Context) (int, bool, *taskqueuepb.PollerScalingDecision, error) {
					return 0, false, nil, nil
				},
				Deliver: func(int, *slots.Permit) {},
			}
			tt.edit(&o)
			_, err := New(o)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBehaviourDefaults(t *testing.T) {
	tests := []struct {
		name                       string
		b                          Behaviour
		wantMin, wantInit, wantMax int
	}{
		{"simple maximum", Behaviour{}, 5, 5, 5},
		{"simple maximum set", Behaviour{Maximum: 2, Minimum: 9}, 2, 2, 2},
		{"autoscaling", Behaviour{Autoscaling: true}, 1, 5, 100},
		{"autoscaling small maximum", Behaviour{Autoscaling: true, Maximum: 3}, 1, 3, 3},
		{"autoscaling large minimum", Behaviour{Autoscaling: true, Minimum: 8}, 8, 8, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, init, hi, err := tt.b.limits()
			if err != nil {
				t.Fatal(err)
			}
			if lo != tt.wantMin || init != tt.wantInit || hi != tt.wantMax {
				t.Errorf("limits %d/%d/%d, want %d/%d/%d", lo, init, hi, tt.wantMin, tt.wantInit, tt.wantMax)
			}
		})
	}
}

func TestRunTwice(t *testing.T) {
	e := newEnv(t, 1, nil)
	e.start()
	waitFor(t, "the first Run started", e.p.started.Load)
	if err := e.p.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "Run called twice") {
		t.Errorf("second Run returned %v, want an error", err)
	}
	if err := e.stop(t); err != nil {
		t.Fatal(err)
	}
}

// answerPolls answers n polls in flight with r, failing the test if fewer
// than n are waiting for an answer.
func answerPolls(t *testing.T, e *env, n int, r reply) {
	t.Helper()
	for i := range n {
		select {
		case e.f.replies <- r:
		case <-time.After(10 * time.Second):
			t.Fatalf("poll %d of %d was not in flight to answer", i+1, n)
		}
	}
}

func TestStopEndsPollingButLetsPollsInFlightEnd(t *testing.T) {
	tests := []struct {
		name          string
		size          int
		preheld       int
		keep          bool
		answer        func(context.Context, int64) (reply, bool)
		limiter       *rate.Limiter
		stopEarly     bool              // Stop closed before Run starts
		ready         func(e *env) bool // when to close Stop
		after         func(t *testing.T, e *env)
		wantCalls     int64
		wantDelivered int
	}{
		{
			name:      "polls in flight end empty and no new poll starts",
			size:      10,
			ready:     func(e *env) bool { return e.f.inPoll.Load() == 5 },
			after:     func(t *testing.T, e *env) { answerPolls(t, e, 5, reply{}) },
			wantCalls: 5,
		},
		{
			name:          "tasks the polls in flight bring back are delivered",
			size:          10,
			keep:          true,
			ready:         func(e *env) bool { return e.f.inPoll.Load() == 5 },
			after:         func(t *testing.T, e *env) { answerPolls(t, e, 5, reply{task: 1, ok: true}) },
			wantCalls:     5,
			wantDelivered: 5,
		},
		{
			name:  "polls failing after Stop are neither retried nor fatal",
			size:  10,
			ready: func(e *env) bool { return e.f.inPoll.Load() == 5 },
			after: func(t *testing.T, e *env) {
				answerPolls(t, e, 2, errReply(codes.Unavailable))
				answerPolls(t, e, 3, errReply(codes.PermissionDenied))
			},
			wantCalls: 5,
		},
		{
			name:  "cancelling ctx after Stop ends the polls still in flight",
			size:  10,
			ready: func(e *env) bool { return e.f.inPoll.Load() == 5 },
			after: func(t *testing.T, e *env) {
				answerPolls(t, e, 2, reply{})
				e.cancel()
			},
			wantCalls: 5,
		},
		{
			name:    "pollers waiting for a slot start no poll",
			size:    2,
			preheld: 2,
			ready:   func(e *env) bool { return e.s.waiting.Load() == 5 },
		},
		{
			name:      "pollers waiting on the limiter start no poll",
			size:      10,
			answer:    always(reply{}),
			limiter:   rate.NewLimiter(rate.Every(time.Hour), 1),
			ready:     func(e *env) bool { return e.f.calls.Load() == 1 && e.p.o.Limiter.Tokens() < -4.5 },
			wantCalls: 1,
		},
		{
			name:      "Stop closed before Run polls nothing",
			size:      10,
			stopEarly: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop := make(chan struct{})
			e := newEnv(t, tt.size, func(o *Options[int]) { o.Limiter, o.Stop = tt.limiter, stop })
			e.f.answer = tt.answer
			e.r.keep = tt.keep
			var mine []*slots.Permit
			for range tt.preheld {
				p, _ := e.s.Fixed.TryReserve(slots.Info{})
				mine = append(mine, p)
			}
			if tt.stopEarly {
				close(stop)
			}
			e.start()
			defer e.cancel()
			if !tt.stopEarly {
				waitFor(t, "the pollers are busy", func() bool { return tt.ready(e) })
				close(stop)
			}
			if tt.after != nil {
				tt.after(t, e)
			}
			if err := e.wait(t); err != nil {
				t.Fatalf("Run returned %v after Stop, want nil", err)
			}
			if n := e.f.calls.Load(); n != tt.wantCalls {
				t.Errorf("%d polls, want %d: none may start after Stop", n, tt.wantCalls)
			}
			if n := e.r.count(); n != tt.wantDelivered {
				t.Errorf("%d tasks delivered, want %d", n, tt.wantDelivered)
			}
			if e.fatals.Load() != 0 {
				t.Errorf("Fatal called on a graceful stop")
			}
			e.checkNoLeak(t, tt.preheld)
			for _, p := range mine {
				e.s.Fixed.Release(p)
			}
		})
	}
}

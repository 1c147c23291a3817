package bridge

import (
	"errors"
	"sync"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/task"
)

// ErrSessionClosed is returned by Send after the app disconnected.
var ErrSessionClosed = errors.New("bridge: session closed")

// outboxSize bounds the messages queued for one app. Credits already bound
// tasks; the slack is for evictions, cancels and errors that need no credit.
const outboxSize = 256

// Session is one connected app process, from a successful registration to the
// end of its stream.
type Session struct {
	id  string
	reg *bridgev1.Register

	// types[k] holds the type names the app serves for kind k (service
	// names for Nexus). dynamic[k] means any name.
	types   [task.NumKinds]map[string]struct{}
	dynamic [task.NumKinds]bool

	core    CoreCodec // converts to and from sdk-core's messages; nil for a native session
	out     chan *bridgev1.ConnectResponse
	done    chan struct{}
	changed func() // tells the server that free credits changed

	mu          sync.Mutex
	capacity    [task.NumKinds]uint32
	outstanding [task.NumKinds]uint32
	draining    bool // no new credits; send Drained when outstanding reaches 0
	// tasks counts workflow tasks in progress on runs the session holds
	// (see Hold): a draining session is not Drained before they are answered.
	tasks   int
	drained bool // Drained was sent
	closed  bool
	// overdue counts tasks the app holds past their deadline; while any is,
	// the session gets no new work (see Server.MissedDeadline).
	overdue int
	missed  int // deadlines missed since the app last answered one in time

	abort func(error) // ends the session with an error for the app; set by Serve
}

func newSession(id string, reg *bridgev1.Register, changed func()) *Session {
	s := &Session{
		id:      id,
		reg:     reg,
		out:     make(chan *bridgev1.ConnectResponse, outboxSize),
		done:    make(chan struct{}),
		changed: changed,
	}
	for k := range s.types {
		s.types[k] = map[string]struct{}{}
	}
	for _, w := range reg.GetWorkflows() {
		s.types[task.Workflow][w.GetName()] = struct{}{}
	}
	for _, a := range reg.GetActivities() {
		s.types[task.Activity][a.GetName()] = struct{}{}
		s.types[task.LocalActivity][a.GetName()] = struct{}{}
	}
	for _, n := range reg.GetNexusServices() {
		s.types[task.Nexus][n.GetName()] = struct{}{}
	}
	s.dynamic[task.Workflow] = reg.GetDynamicWorkflow()
	s.dynamic[task.Activity] = reg.GetDynamicActivity()
	s.dynamic[task.LocalActivity] = reg.GetDynamicActivity()
	s.setCapacity(reg.GetCapacity())
	return s
}

// ID identifies the session in logs and metrics.
func (s *Session) ID() string { return s.id }

// Identity is the app's identity from its registration.
func (s *Session) Identity() string { return s.reg.GetIdentity() }

// ReplayOnly reports a session that only replays histories it sends: it
// gets no task from the server, and its capacity does not count toward
// polling.
func (s *Session) ReplayOnly() bool { return s.reg.GetReplayOnly() }

// Registration is what the app registered. Callers must not modify it.
func (s *Session) Registration() *bridgev1.Register { return s.reg }

// Serves reports whether the app runs tasks of this kind and type.
func (s *Session) Serves(k task.Kind, name string) bool {
	if s.dynamic[k] {
		return true
	}
	_, ok := s.types[k][name]
	return ok
}

// VersioningBehavior is the versioning behavior the app registered for
// workflow type name (its dynamic workflow's for a type it did not
// register), or UNSPECIFIED.
func (s *Session) VersioningBehavior(name string) bridgev1.VersioningBehavior {
	for _, w := range s.reg.GetWorkflows() {
		if w.GetName() == name {
			return w.GetVersioningBehavior()
		}
	}
	return s.reg.GetDynamicWorkflowVersioningBehavior()
}

// NondeterminismFailsWorkflow reports whether nondeterminism fails runs of
// workflow type name instead of their task, as the app registered.
func (s *Session) NondeterminismFailsWorkflow(name string) bool {
	if s.reg.GetNondeterminismFailsWorkflow() {
		return true
	}
	for _, w := range s.reg.GetWorkflows() {
		if w.GetName() == name {
			return w.GetNondeterminismFailsWorkflow()
		}
	}
	return false
}

// ServesKind reports whether the app runs any task of this kind.
func (s *Session) ServesKind(k task.Kind) bool {
	return s.dynamic[k] || len(s.types[k]) > 0
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Free is the number of tasks of kind k the session can take now.
func (s *Session) Free(k task.Kind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.free(k)
}

func (s *Session) free(k task.Kind) int {
	if s.draining || s.closed || s.overdue > 0 || s.outstanding[k] >= s.capacity[k] {
		return 0
	}
	return int(s.capacity[k] - s.outstanding[k])
}

// Draining reports a session that asked to drain, or was told the sidecar
// is shutting down: it finishes what it has and gets no new work.
func (s *Session) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// Outstanding is the number of tasks of kind k sent and not yet answered.
func (s *Session) Outstanding(k task.Kind) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.outstanding[k])
}

// Reserve takes one credit of kind k. It fails when the app offered no more,
// is draining, or has gone. Every successful Reserve is paired with a Release.
func (s *Session) Reserve(k task.Kind) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.free(k) == 0 {
		return false
	}
	s.outstanding[k]++
	return true
}

// reserveContinuing takes a credit for work that continues a task the session
// already has (the next activation of a run it holds, or its eviction): a
// draining session still finishes what it started.
func (s *Session) reserveContinuing(k task.Kind) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.outstanding[k] >= s.capacity[k] {
		return false
	}
	s.outstanding[k]++
	return true
}

// Release returns a credit taken by Reserve, once its task was answered or
// abandoned.
func (s *Session) Release(k task.Kind) {
	s.mu.Lock()
	if s.outstanding[k] == 0 {
		s.mu.Unlock()
		panic("bridge: Release of " + k.String() + " without Reserve")
	}
	s.outstanding[k]--
	notify := s.drainDone()
	s.mu.Unlock()
	s.changed()
	if notify {
		_ = s.Send(drainedMsg) // fails only if the app is gone
	}
}

// Hold marks a workflow task in progress on a run the session holds, from
// the task's arrival to its answer to the server; Unhold ends it. Between
// the task's activations (while its local activities run) no credit is
// taken, yet the session is not drained: it still gets the activations
// resolving them, and the task is completed before Drained, as sdk-core
// completes its outstanding workflow tasks before a worker shuts down.
func (s *Session) Hold() {
	s.mu.Lock()
	s.tasks++
	s.mu.Unlock()
}

// Unhold ends a Hold.
func (s *Session) Unhold() {
	s.mu.Lock()
	if s.tasks == 0 {
		s.mu.Unlock()
		panic("bridge: Unhold without Hold")
	}
	s.tasks--
	notify := s.drainDone()
	s.mu.Unlock()
	if notify {
		_ = s.Send(drainedMsg) // fails only if the app is gone
	}
}

var drainedMsg = &bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_Drained{Drained: &bridgev1.Drained{}}}

// drain stops new credits. Drained is sent once nothing is outstanding.
func (s *Session) drain() {
	s.mu.Lock()
	s.draining = true
	notify := s.drainDone()
	s.mu.Unlock()
	s.changed()
	if notify {
		_ = s.Send(drainedMsg) // fails only if the app is gone
	}
}

// drainDone reports, once, that a draining session has nothing outstanding.
// The caller holds mu and sends Drained after unlocking.
func (s *Session) drainDone() bool {
	if !s.draining || s.drained || s.tasks > 0 {
		return false
	}
	for _, n := range s.outstanding {
		if n > 0 {
			return false
		}
	}
	s.drained = true
	return true
}

func (s *Session) setCapacity(c *bridgev1.Capacity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capacity = [task.NumKinds]uint32{
		task.Workflow:      c.GetWorkflowActivations(),
		task.Activity:      c.GetActivities(),
		task.LocalActivity: c.GetLocalActivities(),
		task.Nexus:         c.GetNexusTasks(),
	}
}

// Overdue is the number of tasks the app holds past their deadline.
func (s *Session) Overdue() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.overdue
}

// AnsweredLate records the late answer of a task counted by
// Server.MissedDeadline: the session may take new work again once none is
// overdue.
func (s *Session) AnsweredLate() {
	s.mu.Lock()
	s.overdue--
	s.mu.Unlock()
	s.changed()
}

// AnsweredInTime ends a run of missed deadlines.
func (s *Session) AnsweredInTime() {
	s.mu.Lock()
	s.missed = 0
	s.mu.Unlock()
}

// Send queues a message for the app. It blocks while the outbox is full and
// fails once the session has ended, so a caller never waits on a dead app.
func (s *Session) Send(m *bridgev1.ConnectResponse) error {
	select {
	case <-s.done:
		return ErrSessionClosed
	default:
	}
	select {
	case s.out <- m:
		return nil
	case <-s.done:
		return ErrSessionClosed
	}
}

// close marks the session ended. It returns false if it already was.
func (s *Session) close() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.closed = true
	close(s.done)
	return true
}

// Package bridge serves the bridge protocol: it accepts app sessions, checks
// their registrations, keeps their credits and carries tasks to them and
// completions back. What a completion means is decided by its Handler.
package bridge

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Handler receives what sessions send. The sidecar's dispatcher implements it;
// the bridge never interprets completions itself.
type Handler interface {
	// Opened is called once a session has registered, before any message of
	// it is received.
	Opened(s *Session)
	// Received is called, in order, for every completion and heartbeat of a
	// session. It must not block for long: it runs on the session's reader.
	Received(s *Session, m *bridgev1.ConnectRequest)
	// Closed is called once when the session has ended. Its outstanding work
	// must be re-dispatched or failed by the handler.
	Closed(s *Session)
}

// Admitter is a Handler that may refuse a session the bridge's own checks
// accepted, for a reason only it knows (another session already serves
// its slot supplier's kinds, say). Admit runs before the session can take
// work; a refused session ends with Admit's error and is never Opened or
// Closed.
type Admitter interface {
	Admit(s *Session) error
}

// Options configure a Server.
type Options struct {
	Namespace       string
	TaskQueue       string
	Identity        string // the sidecar's worker identity
	Version         string // the sidecar's version
	Capabilities    *bridgev1.Capabilities
	Limits          *bridgev1.Limits
	RegisterTimeout time.Duration // how long an app has to send Register; default 10s
	// HandbackGrace is how long a task taken for this queue waits for an
	// app once no app serving its kind is connected, so a restarting app
	// still finds it; then Assign fails with ErrNoApp and the task goes
	// back to the server. Negative waits until the caller's deadline.
	HandbackGrace time.Duration
	// MaxMissedDeadlines closes a session whose app misses this many task
	// deadlines in a row (see MissedDeadline); 0 never closes one.
	MaxMissedDeadlines int
	// RequireVersioningBehavior refuses a registration whose workflow types
	// (or dynamic workflow) lack a versioning behavior: the sidecar uses
	// versioning and has no default behavior.
	RequireVersioningBehavior bool
	// Core converts the messages of sessions registered with
	// core_protocol_version; nil refuses such sessions.
	Core    CoreCodec
	Handler Handler // default: every completion refers to an unknown task
	Logger  *slog.Logger
}

// Server implements BridgeService.
type Server struct {
	bridgev1.UnimplementedBridgeServiceServer

	opts   Options
	log    *slog.Logger
	health *health.Server

	mu       sync.Mutex
	sessions map[string]*Session
	claimed  [task.NumKinds]int       // capacity claimed by pollers, not yet assigned to a session
	shutdown *bridgev1.ShutdownNotice // set once shutdown began
	changed  chan struct{}            // closed and replaced when sessions change
	// watched: Changed handed out changed since it was last replaced. A
	// channel nobody holds need not be: credits change on every task.
	watched bool
	// left[k] is when the last session serving kind k ended; zero while
	// one is connected.
	left [task.NumKinds]time.Time

	missedDeadlines atomic.Uint64 // by every session, for metrics
	usages          sync.Map      // *Session -> usage, its app's last ResourceUsage report
}

// New returns a Server. Register it on a grpc.Server with Register.
func New(opts Options) *Server {
	if opts.RegisterTimeout == 0 {
		opts.RegisterTimeout = 10 * time.Second
	}
	if opts.Handler == nil {
		opts.Handler = unknownTasks{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		health:   health.NewServer(),
		sessions: map[string]*Session{},
		changed:  make(chan struct{}),
	}
	now := time.Now() // a task taken before any app registered waits the grace too
	for k := range s.left {
		s.left[k] = now
	}
	s.health.SetServingStatus(bridgev1.BridgeService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	return s
}

// Register adds BridgeService and grpc.health.v1.Health to g.
func (s *Server) Register(g *grpc.Server) {
	bridgev1.RegisterBridgeServiceServer(g, s)
	healthpb.RegisterHealthServer(g, s.health)
}

// Health is the health service, so the wiring can report the sidecar's
// readiness (for example frontend reachability) on the bridge listener.
func (s *Server) Health() *health.Server { return s.health }

// Sessions returns the sessions connected now.
func (s *Server) Sessions() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		out = append(out, ss)
	}
	return out
}

// Changed returns a channel closed at the next session connect or disconnect,
// for callers that wait for capacity to appear or go.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.watched = true
	return s.changed
}

// Pick reserves a credit of kind k on the session that serves name and has the
// most free credits, and returns it. It returns nil if no session can take the
// task now. Replay-only sessions take no tasks.
func (s *Server) Pick(k task.Kind, name string) *Session {
	for {
		var best *Session
		bestFree := 0
		s.mu.Lock()
		for _, ss := range s.sessions {
			if ss.ReplayOnly() || !ss.Serves(k, name) {
				continue
			}
			if f := ss.Free(k); f > bestFree {
				best, bestFree = ss, f
			}
		}
		s.mu.Unlock()
		if best == nil {
			return nil
		}
		if best.Reserve(k) {
			return best
		}
		// Another caller took the last credit between Free and Reserve.
	}
}

// MissedDeadline records that the app of ss let a task (what names it)
// pass its deadline. The caller keeps the task's credit taken until the app
// answers (Session.AnsweredLate) or leaves, and meanwhile the session gets
// no new work, so the task's next attempt goes to another app. A session
// missing MaxMissedDeadlines in a row is closed: its app is hung.
func (s *Server) MissedDeadline(ss *Session, what string) {
	s.missedDeadlines.Add(1)
	ss.mu.Lock()
	ss.overdue++
	ss.missed++
	missed := ss.missed
	ss.mu.Unlock()
	s.notify()
	log := s.log.With("session", ss.id, "app", ss.Identity())
	if limit := s.opts.MaxMissedDeadlines; limit > 0 && missed >= limit {
		log.Error("closing the session of a hung app", "missed_deadlines", missed, "last", what)
		ss.abort(status.Errorf(codes.DeadlineExceeded,
			"the app missed %d task deadlines in a row (the last: %s), so the sidecar closed its session and moved its work to other apps; answer every workflow activation within 80%% of its workflow task timeout, or raise %s",
			missed, what, config.Ref("max-missed-deadlines")))
		return
	}
	log.Warn("app missed a task deadline; it gets no new work until it answers", "missed_deadlines", missed, "task", what)
}

// MissedDeadlines counts the task deadlines apps missed.
func (s *Server) MissedDeadlines() uint64 { return s.missedDeadlines.Load() }

// Shutdown tells every session the sidecar is stopping, stops new credits,
// and waits until every session has nothing outstanding or ctx ends.
// Health turns NOT_SERVING at once.
func (s *Server) Shutdown(ctx context.Context, grace time.Duration) error {
	s.health.Shutdown()
	notice := &bridgev1.ShutdownNotice{GracePeriod: durationpb.New(grace)}
	s.mu.Lock()
	s.shutdown = notice
	s.mu.Unlock()
	for _, ss := range s.Sessions() {
		_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_Shutdown{Shutdown: notice}})
		ss.drain()
	}
	for {
		idle := true
		for _, ss := range s.Sessions() {
			for k := range task.NumKinds {
				if ss.Outstanding(k) > 0 {
					idle = false
				}
			}
		}
		if idle {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Changed():
		case <-time.After(50 * time.Millisecond): // outstanding counts change without a session change
		}
	}
}

// Connect serves one app session of this server's task queue.
func (s *Server) Connect(stream grpc.BidiStreamingServer[bridgev1.ConnectRequest, bridgev1.ConnectResponse]) error {
	if s.shutdownNotice() != nil {
		return unavailableShutdown
	}
	reg, err := awaitRegister(stream, s.opts.RegisterTimeout)
	if err != nil {
		return err
	}
	return s.Serve(stream, reg)
}

var unavailableShutdown = status.Error(codes.Unavailable, "the sidecar is shutting down; connect to its replacement")

// Serve runs a session whose registration was already read from stream:
// it checks the registration against this server, then carries tasks and
// completions until the stream ends.
func (s *Server) Serve(stream grpc.BidiStreamingServer[bridgev1.ConnectRequest, bridgev1.ConnectResponse], reg *bridgev1.Register) error {
	if s.shutdownNotice() != nil {
		return unavailableShutdown
	}
	if err := s.admit(reg); err != nil {
		s.log.Warn("registration refused", "app", reg.GetIdentity(), "err", err)
		return err
	}
	ss := newSession(newID(), reg, s.notify)
	if reg.GetCoreProtocolVersion() != 0 {
		ss.core = s.opts.Core
	}
	ctx, cancel := context.WithCancelCause(stream.Context())
	defer cancel(nil)
	ss.abort = cancel
	// Registered is queued before the session can be picked for a task, so
	// it is always the app's first message.
	_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_Registered{Registered: s.registered(ss)}})
	if a, ok := s.opts.Handler.(Admitter); ok {
		if err := a.Admit(ss); err != nil { // the writer never ran: Registered is not sent
			s.log.Warn("registration refused", "app", reg.GetIdentity(), "err", err)
			return err
		}
	}
	s.add(ss)
	log := s.log.With("session", ss.id, "app", reg.GetIdentity(), "sdk", reg.GetSdkName()+"/"+reg.GetSdkVersion())
	log.Info("app registered", "task_queue", s.opts.TaskQueue, "core_protocol_version", reg.GetCoreProtocolVersion(),
		"workflows", len(reg.GetWorkflows()), "activities", len(reg.GetActivities()), "nexus_services", len(reg.GetNexusServices()))

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.write(ctx, cancel, stream, ss, log)
	}()

	s.opts.Handler.Opened(ss)
	if notice := s.shutdownNotice(); notice != nil { // shutdown began while it registered
		_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_Shutdown{Shutdown: notice}})
		ss.drain()
	}

	// The reader runs on its own so that a writer that gives up ends the
	// session too: returning ends the stream, and with it the reader's Recv.
	readDone := make(chan error, 1)
	go func() { readDone <- s.read(stream, ss) }()
	var err error
	select {
	case err = <-readDone:
	case <-ctx.Done():
		if err = context.Cause(ctx); errors.Is(err, context.Canceled) {
			// The stream ended, so the reader returns at once, with why
			// if gRPC ended it (a message over the limit): nil if the app
			// went away.
			err = <-readDone
		}
	}
	cancel(err)
	s.remove(ss)
	<-writerDone
	s.opts.Handler.Closed(ss)
	if err != nil {
		log.Warn("app session ended with an error", "err", err)
		return err
	}
	log.Info("app disconnected")
	return nil
}

// admit checks a registration against what this server serves.
func (s *Server) admit(reg *bridgev1.Register) error {
	if err := checkRegister(reg, s.opts.Namespace); err != nil {
		return err
	}
	if err := checkQueue(reg, s.opts.TaskQueue); err != nil {
		return err
	}
	if err := checkCore(reg, s.opts.Core); err != nil {
		return err
	}
	if s.opts.RequireVersioningBehavior && !reg.GetReplayOnly() {
		return checkVersioningBehaviors(reg)
	}
	return nil
}

// awaitRegister reads the first message, which must be a Register.
func awaitRegister(stream grpc.BidiStreamingServer[bridgev1.ConnectRequest, bridgev1.ConnectResponse], timeout time.Duration) (*bridgev1.Register, error) {
	type result struct {
		m   *bridgev1.ConnectRequest
		err error
	}
	got := make(chan result, 1)
	go func() {
		m, err := stream.Recv()
		got <- result{m, err}
	}()
	var r result
	select {
	case r = <-got:
	case <-time.After(timeout):
		return nil, status.Errorf(codes.DeadlineExceeded,
			"no register message within %s of connecting; the first message on a Connect stream must be register", timeout)
	}
	if r.err != nil {
		return nil, r.err
	}
	reg := r.m.GetRegister()
	if reg == nil {
		return nil, invalid("the first message on a Connect stream must be register, got %s", kindOf(r.m))
	}
	return reg, nil
}

func (s *Server) registered(ss *Session) *bridgev1.Registered {
	return &bridgev1.Registered{
		ProtocolVersion: ProtocolVersion,
		SessionId:       ss.id,
		SidecarIdentity: s.opts.Identity,
		SidecarVersion:  s.opts.Version,
		Namespace:       s.opts.Namespace,
		TaskQueue:       cmp.Or(ss.reg.GetTaskQueue(), s.opts.TaskQueue),
		Capabilities:    s.opts.Capabilities,
		Limits:          s.opts.Limits,
	}
}

// read receives until the app closes its side or the stream breaks. Session
// control messages are handled here; the rest go to the Handler.
func (s *Server) read(stream grpc.BidiStreamingServer[bridgev1.ConnectRequest, bridgev1.ConnectResponse], ss *Session) error {
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			switch status.Code(err) {
			case codes.Canceled:
				return nil // the app went away; not an error of the session
			case codes.ResourceExhausted: // gRPC already told the app, with the sizes
				return fmt.Errorf("%w; the app sent a message over the bridge's limit: send less per message, or raise %s", err, config.Ref("bridge-max-message-size"))
			}
			return err
		}
		switch msg := m.GetMessage().(type) {
		case *bridgev1.ConnectRequest_Register:
			return invalid("register was already received on this stream; open a new Connect stream to register again")
		case *bridgev1.ConnectRequest_Capacity:
			if err := checkCapacity(ss, msg.Capacity); err != nil {
				return err
			}
			ss.setCapacity(msg.Capacity)
			s.notify()
		case *bridgev1.ConnectRequest_Drain:
			ss.drain()
		case *bridgev1.ConnectRequest_ResourceUsage:
			if err := checkUsage(msg.ResourceUsage); err != nil {
				return err
			}
			if s.setUsage(ss, msg.ResourceUsage, time.Now()) {
				s.log.Info("the app reports its memory and CPU use; resource-based slot suppliers steer by the apps' reports",
					"session", ss.id, "app", ss.Identity())
			}
		case *bridgev1.ConnectRequest_SlotResponse:
			if len(ss.reg.GetSlotSuppliers()) == 0 {
				return invalid("slot_response answers a slot request, which the sidecar sends only to a session that registered slot_suppliers")
			}
			s.opts.Handler.Received(ss, m)
		case nil:
			return invalid("received an empty ConnectRequest; set one of its message fields")
		case *bridgev1.ConnectRequest_CoreWorkflowCompletion, *bridgev1.ConnectRequest_CoreActivityCompletion,
			*bridgev1.ConnectRequest_CoreActivityHeartbeat, *bridgev1.ConnectRequest_CoreNexusCompletion:
			if ss.core == nil {
				return invalid("%s needs a session registered with core_protocol_version; this one speaks the bridge protocol's own messages", kindOf(m))
			}
			s.receiveCore(ss, m)
		default:
			s.opts.Handler.Received(ss, m)
		}
	}
}

// receiveCore converts a core session's completion or heartbeat into the
// bridge protocol's and hands it on. One that cannot be honoured goes back
// to the app as a CompletionError, after what it converted to (a failure
// of the task, say) was handed on.
func (s *Server) receiveCore(ss *Session, m *bridgev1.ConnectRequest) {
	conv, err := ss.core.Decode(m)
	if conv != nil {
		s.opts.Handler.Received(ss, conv)
	}
	if err != nil {
		ce := &bridgev1.CompletionError{Message: err.Error(), Kind: bridgev1.CompletionErrorKind_COMPLETION_ERROR_KIND_MALFORMED}
		switch {
		case conv.GetWorkflowCompletion() != nil:
			ce.Task = &bridgev1.CompletionError_RunId{RunId: conv.GetWorkflowCompletion().GetRunId()}
		case conv.GetActivityCompletion() != nil:
			ce.Task = &bridgev1.CompletionError_TaskToken{TaskToken: conv.GetActivityCompletion().GetTaskToken()}
		case conv.GetActivityHeartbeat() != nil:
			ce.Task = &bridgev1.CompletionError_TaskToken{TaskToken: conv.GetActivityHeartbeat().GetTaskToken()}
		case conv.GetNexusCompletion() != nil:
			ce.Task = &bridgev1.CompletionError_TaskToken{TaskToken: conv.GetNexusCompletion().GetTaskToken()}
		}
		_ = ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_CompletionError{CompletionError: ce}})
	}
}

// write sends queued messages until the session ends, in the core form on
// a core session. A send error ends the session; so does a message the
// codec cannot express, so that the session's work moves to another app
// instead of waiting for an answer that cannot come.
func (s *Server) write(ctx context.Context, cancel context.CancelCauseFunc, stream grpc.BidiStreamingServer[bridgev1.ConnectRequest, bridgev1.ConnectResponse], ss *Session, log *slog.Logger) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-ss.out:
			if ss.core != nil {
				var err error
				if m, err = ss.core.Encode(m); err != nil {
					log.Error("cannot express a message in sdk-core's form; ending the session", "err", err)
					cancel(status.Errorf(codes.Internal, "the sidecar cannot express a message in core protocol version %d: %v", ss.core.Version(), err))
					return
				}
			}
			if err := stream.Send(m); err != nil {
				cancel(err)
				return
			}
		}
	}
}

func (s *Server) add(ss *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[ss.id] = ss
	if !ss.ReplayOnly() {
		for k := range task.NumKinds {
			if ss.ServesKind(k) {
				s.left[k] = time.Time{}
			}
		}
	}
	s.notifyLocked()
}

func (s *Server) remove(ss *Session) {
	ss.close()
	s.usages.Delete(ss)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, ss.id)
	for k := range task.NumKinds {
		if _, kind := s.servedLocked(k, ""); !kind && s.left[k].IsZero() {
			s.left[k] = time.Now()
		}
	}
	s.notifyLocked()
}

// handbackIn is how long a task of kind k may still wait for an app: 0
// while an app serving k is connected (no limit), negative once the grace
// since the last one left is over.
func (s *Server) handbackIn(k task.Kind) time.Duration {
	if s.opts.HandbackGrace < 0 {
		return 0
	}
	s.mu.Lock()
	left := s.left[k]
	s.mu.Unlock()
	if left.IsZero() {
		return 0
	}
	if d := time.Until(left.Add(s.opts.HandbackGrace)); d > 0 {
		return d
	}
	return -1
}

func (s *Server) shutdownNotice() *bridgev1.ShutdownNotice {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.shutdown
}

func (s *Server) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notifyLocked()
}

func (s *Server) notifyLocked() {
	if !s.watched {
		return
	}
	close(s.changed)
	s.changed = make(chan struct{})
	s.watched = false
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// unknownTasks is the Handler of a sidecar that dispatches nothing: every
// completion or heartbeat names a task that was never sent.
type unknownTasks struct{}

func (unknownTasks) Opened(*Session) {}
func (unknownTasks) Closed(*Session) {}

func (unknownTasks) Received(ss *Session, m *bridgev1.ConnectRequest) {
	_ = ss.Send(UnknownTask(m))
}

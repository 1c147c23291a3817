package bridge

import (
	"log/slog"
	"sync/atomic"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Router finds the Server of a registration's task queue, starting the
// queue if need be. release is called once when the session has ended, so
// the router knows when a queue has no app left.
type Router interface {
	Route(reg *bridgev1.Register) (srv *Server, release func(), err error)
}

// ServiceOptions configure a Service.
type ServiceOptions struct {
	Namespace       string
	Router          Router
	RegisterTimeout time.Duration // how long an app has to send Register; default 10s
	Logger          *slog.Logger
}

// Service is BridgeService for a sidecar that serves many task queues: it
// reads each session's registration and hands the session to the Server of
// its queue, which the Router finds.
type Service struct {
	bridgev1.UnimplementedBridgeServiceServer

	opts     ServiceOptions
	log      *slog.Logger
	health   *health.Server
	stopping atomic.Bool
}

// NewService returns a Service. Register it on a grpc.Server with Register.
func NewService(opts ServiceOptions) *Service {
	if opts.RegisterTimeout == 0 {
		opts.RegisterTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{opts: opts, log: opts.Logger, health: health.NewServer()}
	s.health.SetServingStatus(bridgev1.BridgeService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	return s
}

// Register adds BridgeService and grpc.health.v1.Health to g.
func (s *Service) Register(g *grpc.Server) {
	bridgev1.RegisterBridgeServiceServer(g, s)
	healthpb.RegisterHealthServer(g, s.health)
}

// Stop refuses new sessions and turns health NOT_SERVING; the queues' own
// Servers drain the sessions they have.
func (s *Service) Stop() {
	s.stopping.Store(true)
	s.health.Shutdown()
}

// Connect reads the session's registration and serves it on its queue.
func (s *Service) Connect(stream grpc.BidiStreamingServer[bridgev1.ConnectRequest, bridgev1.ConnectResponse]) error {
	if s.stopping.Load() {
		return unavailableShutdown
	}
	reg, err := awaitRegister(stream, s.opts.RegisterTimeout)
	if err != nil {
		return err
	}
	// A registration that is wrong on its own starts no queue.
	if err := checkRegister(reg, s.opts.Namespace); err != nil {
		s.log.Warn("registration refused", "app", reg.GetIdentity(), "err", err)
		return err
	}
	srv, release, err := s.opts.Router.Route(reg)
	if err != nil {
		s.log.Warn("registration refused", "app", reg.GetIdentity(), "task_queue", reg.GetTaskQueue(), "err", err)
		return err
	}
	defer release()
	return srv.Serve(stream, reg)
}

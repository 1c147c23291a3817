// Command sidecar is a Temporal worker that serves application processes in
// any language over a local gRPC bridge.
//
// Exit codes: 0 after a clean shutdown (SIGTERM or SIGINT), 1 on a runtime
// failure or a forced exit (a second signal), 2 on invalid configuration,
// 3 when the Temporal frontend or namespace cannot be reached at start-up.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"github.com/prometheus/client_golang/prometheus"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/client"
	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/coreconv"
	"github.com/temporal-sidecar/sidecar/internal/frontend"
	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/proxy"
	"github.com/temporal-sidecar/sidecar/internal/queues"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/telemetry"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	"github.com/temporal-sidecar/sidecar/internal/workflow"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// /readyz follows the frontend between the worker's own calls with a
// GetSystemInfo this often while ready, and while not (telemetry.ReadinessProbe).
const (
	readinessProbeInterval = 10 * time.Second
	readinessProbeRetry    = time.Second
	readinessProbeTimeout  = 5 * time.Second
)

const (
	exitOK       = 0
	exitFailure  = 1
	exitConfig   = 2
	exitFrontend = 3
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr, sigs))
}

// run is the sidecar with environ as its environment ("KEY=value" strings).
func run(args []string, environ []string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	cfg, err := config.ParseEnviron(args, environ)
	if errors.Is(err, flag.ErrHelp) {
		config.Usage(stdout)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "sidecar: invalid configuration:\n%v\n", err)
		return exitConfig
	}
	log := telemetry.NewLogger(stderr, cfg.Telemetry.Level(), cfg.Telemetry.LogFormat)
	if cfg.Frontend.ConfigFile != "" {
		log.Info("read Temporal env-config", "file", cfg.Frontend.ConfigFile, "profile", cfg.Frontend.Profile)
	}

	// A signal during start-up aborts it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()

	fe, err := frontend.Dial(ctx, cfg.Frontend, cfg.Worker.Identity, log)
	if err != nil {
		if ctx.Err() != nil {
			return exitOK // stopped by a signal while starting
		}
		log.Error("cannot start", "err", err)
		fmt.Fprintf(stderr, "sidecar: %v\n", err)
		if _, bad := errors.AsType[*frontend.ConfigError](err); bad {
			return exitConfig
		}
		return exitFrontend
	}
	defer fe.Close()

	sec := bridge.Security{Token: cfg.Bridge.Token}
	if cfg.Bridge.TLS.Enabled() {
		if sec.TLS, err = bridge.ServerTLS(cfg.Bridge.TLS.CertPath, cfg.Bridge.TLS.KeyPath, cfg.Bridge.TLS.ClientCAPath); err != nil {
			fmt.Fprintf(stderr, "sidecar: %v\n", err)
			return exitConfig
		}
	}
	lis, err := bridge.Listen(cfg.Bridge.Endpoint())
	if err != nil {
		fmt.Fprintf(stderr, "sidecar: %v\n", err)
		return exitFailure
	}
	w := cfg.Worker
	registry := telemetry.NewRegistry()
	requests := telemetry.NewFrontendMetrics(registry, cfg.Frontend.Namespace, cfg.Telemetry.MetricsDurationUnit)
	fe.OnCall(requests.Request)
	// The resource-based targets, and the measurement of the sidecar's own
	// container that every queue shares; each queue's worker steers its
	// resource-based kinds with one controller of its own, on its apps'
	// reported usage where they report it (worker.Options.Tuner).
	var tuner *slots.Tuner
	for _, k := range []config.SlotKind{w.WorkflowTaskSlots, w.ActivityTaskSlots, w.LocalActivitySlots, w.NexusTaskSlots} {
		if k.Supplier == "resource-based" && tuner == nil {
			tuner = slots.NewTuner(w.TunerTargetMemory, w.TunerTargetCPU, nil)
		}
	}
	cache := workflow.NewCache(w.MaxCachedWorkflows) // one sticky cache for every queue
	own := ownDeployment(w)
	newWorker := func(taskQueue string, dep *bridgev1.WorkerDeployment, reg prometheus.Registerer) *worker.Worker {
		if dep == nil {
			dep = own
		}
		return worker.New(worker.Options{
			Tuner:              tuner,
			WorkflowSlots:      slotOptions(w.WorkflowTaskSlots),
			ActivitySlots:      slotOptions(w.ActivityTaskSlots),
			LocalActivitySlots: slotOptions(w.LocalActivitySlots),
			NexusSlots:         slotOptions(w.NexusTaskSlots),
			Metrics:            telemetry.NewWorkerMetrics(reg, cfg.Frontend.Namespace, taskQueue, cfg.Telemetry.MetricsDurationUnit),
			Namespace:          cfg.Frontend.Namespace,
			TaskQueue:          taskQueue,
			Identity:           w.Identity,
			Service:            fe.WorkflowService(),
			// Read once at start-up, as sdk-core reads it.
			ServerEndsPolls: fe.NamespaceInfo().GetCapabilities().GetWorkerPollCompleteOnShutdown(),

			BuildID:                   dep.GetBuildId(),
			DeploymentName:            dep.GetDeploymentName(),
			UseVersioning:             dep.GetUseVersioning(),
			DefaultVersioningBehavior: enumspb.VersioningBehavior(dep.GetDefaultVersioningBehavior()), // the protocol's values are Temporal's

			Bridge: bridge.Options{
				Namespace: cfg.Frontend.Namespace,
				TaskQueue: taskQueue,
				Identity:  w.Identity,
				Version:   version,
				Capabilities: &bridgev1.Capabilities{
					StickyExecution:      w.MaxCachedWorkflows > 0,
					EagerActivities:      w.EagerActivities && !w.NoRemoteActivities && w.TaskQueueActivitiesPerSecond <= 0,
					LocalActivities:      true,
					Nexus:                fe.Capabilities().GetNexus(),
					Updates:              updates(fe.NamespaceInfo().GetCapabilities()),
					ClientService:        true,
					Replay:               true,
					WorkflowServiceProxy: cfg.Bridge.WorkflowServiceProxy,
					ServerVersion:        fe.ServerVersion(),
				},
				Limits: &bridgev1.Limits{
					MaxMessageBytes:    uint32(cfg.Bridge.MaxMessageSize),
					MaxCachedWorkflows: uint32(w.MaxCachedWorkflows),
					MaxConcurrent: &bridgev1.Capacity{
						WorkflowActivations: uint32(w.MaxConcurrentWorkflowTasks),
						Activities:          uint32(w.MaxConcurrentActivities),
						LocalActivities:     uint32(w.MaxConcurrentLocalActivities),
						NexusTasks:          uint32(w.MaxConcurrentNexusTasks),
					},
					GracefulShutdownTimeout: durationpb.New(w.GracefulShutdownTimeout),
					MaxPayloadBlobBytes:     uint32(cfg.Frontend.BlobSizeLimit),
				},
				MaxMissedDeadlines: w.MaxMissedDeadlines,
				HandbackGrace:      w.HandbackGrace(),
				Core:               coreconv.Codec{}, // Temporal's own SDKs, through adapters
				Logger:             log,
			},
			MaxConcurrentWorkflowTasks:   w.MaxConcurrentWorkflowTasks,
			WorkflowPollers:              pollers(w.WorkflowTaskPollers, w.MaxWorkflowTaskPollers),
			NonstickyToStickyPollRatio:   w.NonstickyToStickyPollRatio,
			Cache:                        cache,
			StickyScheduleToStartTimeout: w.StickyScheduleToStartTimeout,
			MaxConcurrentNexusTasks:      w.MaxConcurrentNexusTasks,
			NexusPollers:                 pollers(w.NexusTaskPollers, w.MaxNexusTaskPollers),
			MaxConcurrentActivities:      w.MaxConcurrentActivities,
			MaxConcurrentLocalActivities: w.MaxConcurrentLocalActivities,
			ActivityPollers:              pollers(w.ActivityTaskPollers, w.MaxActivityTaskPollers),
			ActivitiesPerSecond:          w.ActivitiesPerSecond,
			TaskQueueActivitiesPerSecond: w.TaskQueueActivitiesPerSecond,
			NoRemoteActivities:           w.NoRemoteActivities,
			EagerActivities:              w.EagerActivities,
			DefaultHeartbeatThrottle:     w.DefaultHeartbeatThrottleInterval,
			MaxHeartbeatThrottle:         w.MaxHeartbeatThrottleInterval,
			Logger:                       log.With("task_queue", taskQueue),
		})
	}
	set := queues.New(queues.Options{
		Only:        w.TaskQueue,
		Patterns:    w.Patterns(),
		Max:         w.MaxTaskQueues,
		IdleTimeout: w.TaskQueueIdleTimeout,
		Grace:       w.GracefulShutdownTimeout,
		Deployment:  own,
		New:         newWorker,
		Forget:      requests.ForgetTaskQueue,
		Logger:      log,
	})
	svc := bridge.NewService(bridge.ServiceOptions{Namespace: cfg.Frontend.Namespace, Router: set, Logger: log})
	g := bridge.NewGRPCServer(sec, cfg.Bridge.MaxMessageSize)
	svc.Register(g)
	client.New(client.Options{
		Service:       fe.WorkflowService(),
		Namespace:     cfg.Frontend.Namespace,
		TaskQueue:     w.TaskQueue,
		Identity:      w.Identity,
		BlobSizeLimit: cfg.Frontend.BlobSizeLimit,
		Nexus:         set.Nexus(),
		Context:       ctx, // cancelled by the first signal
	}).Register(g)
	if cfg.Bridge.WorkflowServiceProxy {
		p := proxy.New(fe, cfg.Frontend.Namespace)
		if cfg.Bridge.ProxyUnconfined {
			p.Unconfined()
		}
		p.Register(g)
		log.Info("serving Temporal's WorkflowService on the bridge", "namespace", cfg.Frontend.Namespace)
	}
	served := make(chan error, 1)
	go func() { served <- g.Serve(lis) }()

	var httpSrv *http.Server
	if addr := cfg.Telemetry.Listen; addr != "" {
		hl, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintf(stderr, "sidecar: cannot listen on --http-listen %s: %v\n", addr, err)
			g.Stop()
			return exitFailure
		}
		httpSrv = &http.Server{Handler: telemetry.Handler(prometheus.Gatherers{registry, set}, func() telemetry.Readiness {
			qs, err := set.Ready()
			if ferr := fe.Ready(); ferr != nil {
				err = ferr
			}
			if err != nil {
				return telemetry.Readiness{Reason: err.Error(), TaskQueues: qs}
			}
			return telemetry.Readiness{Ready: true, TaskQueues: qs}
		}), ReadHeaderTimeout: 10 * time.Second}
		go httpSrv.Serve(hl)
		go telemetry.ReadinessProbe{
			Ready: fe.Ready,
			Probe: func(ctx context.Context) error {
				// One attempt: the probe has its own pace, and a retry
				// waiting out its backoff would only hide a recovery.
				_, err := fe.WorkflowService().GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{}, retry.Disable())
				return err
			},
			Interval: readinessProbeInterval,
			Retry:    readinessProbeRetry,
			Timeout:  readinessProbeTimeout,
		}.Run(ctx)
		log.Info("telemetry listening", "addr", hl.Addr().String())
	}

	running := make(chan error, 1)
	go func() { running <- set.Run(ctx) }()

	queuesServed := "those apps register"
	if w.TaskQueue != "" {
		queuesServed = w.TaskQueue
	} else if w.TaskQueues != "" {
		queuesServed = "those apps register matching " + w.TaskQueues
	}
	log.Info("sidecar ready", "bridge", lis.Addr().String(), "frontend", cfg.Frontend.Address,
		"namespace", cfg.Frontend.Namespace, "task_queues", queuesServed, "server_version", fe.ServerVersion())

	select {
	case <-ctx.Done():
	case err := <-served:
		log.Error("bridge stopped", "err", err)
		return exitFailure
	case err := <-running:
		// A fatal polling error (for example the namespace was deleted).
		// The apps were told; exit so the orchestrator restarts or alerts.
		log.Error("worker stopped", "err", err)
		cancel()
		shutdown(log, svc, set, g, httpSrv, w.GracefulShutdownTimeout)
		return exitFailure
	}

	// Graceful shutdown; a second signal forces the exit.
	log.Info("shutting down", "graceful_timeout", w.GracefulShutdownTimeout)
	forced := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			close(forced)
		case <-served:
		}
	}()
	done := make(chan struct{})
	go func() {
		defer close(done)
		shutdown(log, svc, set, g, httpSrv, w.GracefulShutdownTimeout)
	}()
	select {
	case <-done:
		log.Info("stopped")
		return exitOK
	case <-forced:
		log.Warn("second signal: exiting without finishing in-flight work")
		return exitFailure
	}
}

// shutdown follows DESIGN.md: stop polling, let apps finish in-flight
// tasks within the graceful timeout, then close the listeners.
func shutdown(log *slog.Logger, svc *bridge.Service, set *queues.Set, g interface {
	GracefulStop()
	Stop()
}, httpSrv *http.Server, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	svc.Stop()
	if err := set.Shutdown(ctx); err != nil {
		log.Warn("graceful timeout passed with tasks still in flight", "err", err)
	}
	stopped := make(chan struct{})
	go func() { g.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-ctx.Done():
		g.Stop()
	}
	if httpSrv != nil {
		_ = httpSrv.Close()
	}
}

// versioningBehaviors maps --default-versioning-behavior's values (checked
// by config) to Temporal's.
var versioningBehaviors = map[string]enumspb.VersioningBehavior{
	"unspecified":  enumspb.VERSIONING_BEHAVIOR_UNSPECIFIED,
	"pinned":       enumspb.VERSIONING_BEHAVIOR_PINNED,
	"auto-upgrade": enumspb.VERSIONING_BEHAVIOR_AUTO_UPGRADE,
}

// pollers is a task kind's poller behaviour: k's, with max its simple
// maximum (--max-*-task-pollers).
func pollers(k config.PollerKind, max int) poller.Behaviour {
	if k.Behavior == "autoscaling" {
		return poller.Behaviour{Autoscaling: true, Minimum: k.AutoscalingMinimum,
			Initial: k.AutoscalingInitial, Maximum: k.AutoscalingMaximum}
	}
	return poller.Behaviour{Maximum: max}
}

// slotOptions is a task kind's slot supplier (--*-slot-supplier).
func slotOptions(k config.SlotKind) worker.SlotOptions {
	return worker.SlotOptions{ResourceBased: k.Supplier == "resource-based", Minimum: k.Minimum, RampThrottle: k.RampThrottle}
}

// ownDeployment is the version of --deployment-name, --build-id and
// --use-versioning; nil without --build-id, so that apps register theirs.
func ownDeployment(w config.Worker) *bridgev1.WorkerDeployment {
	if w.BuildID == "" {
		return nil
	}
	return &bridgev1.WorkerDeployment{DeploymentName: w.DeploymentName, BuildId: w.BuildID, UseVersioning: w.UseVersioning,
		DefaultVersioningBehavior: bridgev1.VersioningBehavior(versioningBehaviors[w.DefaultVersioningBehavior])}
}

// updates says whether the namespace takes workflow updates, as
// DescribeNamespace reports it (the sidecar itself supports them).
func updates(c *namespacepb.NamespaceInfo_Capabilities) bool {
	return c.GetSyncUpdate() || c.GetAsyncUpdate()
}

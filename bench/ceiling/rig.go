package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/temporal-sidecar/sidecar/bench/ceiling/fake"
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
)

const (
	namespace = "default"
	taskQueue = "ceiling"
	// maxMessageBytes is the sidecar's own bridge message limit (cmd/sidecar).
	maxMessageBytes = 128 << 20
)

// rigConfig is one sidecar, its fake frontend and its apps.
type rigConfig struct {
	transport  string // "unix" or "tcp"
	sessions   int    // app sessions connected
	capacity   uint32 // per session, for the kinds it serves
	appWorkers int    // goroutines answering per session
	activities bool   // apps serve activities (and activity polling is on)
	workflows  bool   // apps serve workflows
	// closeOnInit: the app completes a run in its first activation;
	// otherwise it starts a timer then, and on later activations starts
	// one timer or nothing.
	closeOnInit bool
	childApp    bool // run the apps in a child process (heap measurements)

	maxActivities, maxWorkflowTasks  int
	activityPollers, workflowPollers int
	cache                            int

	fake fake.Options
}

// rig is a running sidecar worker with a fake frontend and connected apps.
type rig struct {
	cfg    rigConfig
	fake   *fake.Frontend
	w      *worker.Worker
	g      *grpc.Server
	target string
	dir    string
	apps   []*app
	child  *exec.Cmd
	stdin  interface{ Close() error }
	ran    chan struct{}
}

func startRig(cfg rigConfig) (*rig, error) {
	f := fake.New(cfg.fake)
	w := worker.New(worker.Options{
		Namespace: namespace, TaskQueue: taskQueue, Identity: "ceiling", Service: f,
		Bridge: bridge.Options{Namespace: namespace, TaskQueue: taskQueue, Identity: "ceiling", Version: "bench",
			Capabilities: &bridgev1.Capabilities{StickyExecution: cfg.cache > 0},
			Limits:       &bridgev1.Limits{MaxMessageBytes: maxMessageBytes, MaxCachedWorkflows: uint32(cfg.cache)}},
		MaxConcurrentWorkflowTasks:   max(1, cfg.maxWorkflowTasks),
		WorkflowPollers:              poller.Behaviour{Maximum: max(1, cfg.workflowPollers)},
		NonstickyToStickyPollRatio:   0.2,
		MaxCachedWorkflows:           cfg.cache,
		StickyScheduleToStartTimeout: 10 * time.Second,
		MaxConcurrentActivities:      max(1, cfg.maxActivities),
		ActivityPollers:              poller.Behaviour{Maximum: max(1, cfg.activityPollers)},
		NoRemoteActivities:           !cfg.activities,
		DefaultHeartbeatThrottle:     30 * time.Second,
		MaxHeartbeatThrottle:         60 * time.Second,
	})
	g := bridge.NewGRPCServer(bridge.Security{}, maxMessageBytes)
	w.Bridge().Register(g)
	r := &rig{cfg: cfg, fake: f, w: w, g: g, ran: make(chan struct{})}
	var l net.Listener
	var err error
	switch cfg.transport {
	case "unix":
		if r.dir, err = os.MkdirTemp("", "ceiling-"); err != nil {
			return nil, err
		}
		sock := filepath.Join(r.dir, "b.sock")
		l, err = bridge.Listen("unix", sock)
		r.target = "unix://" + sock
	case "tcp":
		l, err = bridge.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			r.target = l.Addr().String()
		}
	default:
		err = fmt.Errorf("unknown transport %q", cfg.transport)
	}
	if err != nil {
		return nil, err
	}
	go func() { _ = g.Serve(l) }()
	go func() { defer close(r.ran); _ = w.Run(context.Background()) }()

	if cfg.childApp {
		if err := r.startChild(); err != nil {
			r.close()
			return nil, err
		}
	} else {
		for i := range cfg.sessions {
			a, err := dialApp(r.target, i, cfg)
			if err != nil {
				r.close()
				return nil, err
			}
			r.apps = append(r.apps, a)
		}
	}
	// Wait until the bridge has every session, so the run starts with all of them.
	deadline := time.Now().Add(10 * time.Second)
	for len(w.Bridge().Sessions()) < cfg.sessions {
		if time.Now().After(deadline) {
			r.close()
			return nil, fmt.Errorf("only %d of %d app sessions connected", len(w.Bridge().Sessions()), cfg.sessions)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return r, nil
}

// startChild runs the apps in a child process: this binary with -child-app.
func (r *rig) startChild() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	c := r.cfg
	cmd := exec.Command(exe, "-child-app", r.target, "-child-sessions", fmt.Sprint(c.sessions),
		"-child-capacity", fmt.Sprint(c.capacity), "-child-workers", fmt.Sprint(c.appWorkers))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	r.child, r.stdin = cmd, in
	return nil
}

// close shuts the worker down gracefully, then the apps and the server. It
// returns what went wrong in the worker's shutdown, for the report.
func (r *rig) close() (note string) {
	// Short: a clean shutdown here takes milliseconds; a longer one is a
	// finding, reported, and need not stretch the benchmark.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	t0 := time.Now()
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			if os.Getenv("CEILING_DEBUG") != "" {
				f, _ := os.Create("/tmp/ceiling-stuck.txt")
				_ = pprof.Lookup("goroutine").WriteTo(f, 2)
				f.Close()
			}
		}
	}()
	err := r.w.Shutdown(ctx, 2*time.Second)
	close(done)
	if d := time.Since(t0); d > 2*time.Second || err != nil {
		note = fmt.Sprintf("worker shutdown took %s: %v", d.Round(time.Millisecond), err)
		logf("%s", note)
	}
	<-r.ran
	for _, a := range r.apps {
		a.stop()
	}
	if r.child != nil {
		_ = r.stdin.Close()
		done := make(chan struct{})
		go func() { _ = r.child.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = r.child.Process.Kill()
			<-done
		}
	}
	r.g.Stop()
	if r.dir != "" {
		_ = os.RemoveAll(r.dir)
	}
	return note
}

// appErrors sums the completion errors the apps received: each is a bug in
// the benchmark's workload or in the sidecar.
func (r *rig) appErrors() (n int64, last string) {
	for _, a := range r.apps {
		n += a.errors.Load()
		if p := a.lastErr.Load(); p != nil {
			last = *p
		}
	}
	return n, last
}

// app is one bridge session answering as fast as it can.
type app struct {
	*bridgetest.App
	quit    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	turns   map[string]int // activations answered per run
	errors  atomic.Int64
	lastErr atomic.Pointer[string]
}

func dialApp(target string, i int, cfg rigConfig) (*app, error) {
	reg := &bridgev1.Register{ProtocolVersion: 1, Identity: fmt.Sprintf("ceiling-app-%d", i), SdkName: "ceiling", SdkVersion: "1",
		TaskQueue: taskQueue, Capacity: &bridgev1.Capacity{}}
	if cfg.activities {
		reg.Activities = []*bridgev1.ActivityRegistration{{Name: fake.ActivityType}}
		reg.Capacity.Activities, reg.Capacity.LocalActivities = cfg.capacity, 1
	}
	if cfg.workflows {
		reg.Workflows = []*bridgev1.WorkflowRegistration{{Name: fake.WorkflowType}}
		reg.Capacity.WorkflowActivations = cfg.capacity
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := bridgetest.Dial(ctx, target, reg)
	if err != nil {
		return nil, fmt.Errorf("app %d: %w", i, err)
	}
	a := &app{App: b, quit: make(chan struct{}), turns: map[string]int{}}
	for range max(1, cfg.appWorkers) {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.serve(cfg.closeOnInit)
		}()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for {
			select {
			case m := <-a.Other:
				if ce := m.GetCompletionError(); ce != nil {
					a.errors.Add(1)
					msg := ce.GetKind().String() + ": " + ce.GetMessage()
					a.lastErr.Store(&msg)
				}
			case <-a.quit:
				return
			}
		}
	}()
	return a, nil
}

func (a *app) stop() {
	close(a.quit)
	a.Close()
	a.wg.Wait()
}

// serve answers activity tasks and activations until stopped.
func (a *app) serve(closeOnInit bool) {
	// Send errors mean the session ended; the loop then waits for quit.
	for {
		select {
		case t := <-a.Activities:
			if st := t.GetStart(); st != nil {
				var p *bridgev1.Payload
				if in := st.GetInput(); len(in) > 0 {
					p = in[0]
				}
				_ = a.CompleteActivity(t.GetTaskToken(), bridgetest.Completed(p))
			}
		case act := <-a.Activations:
			_ = a.CompleteActivation(act.GetRunId(), a.answer(act, closeOnInit)...)
		case <-a.quit:
			return
		}
	}
}

var completeCmd = &bridgev1.WorkflowCommand{Variant: &bridgev1.WorkflowCommand_CompleteWorkflowExecution{
	CompleteWorkflowExecution: &bridgev1.CompleteWorkflowExecution{Result: &bridgev1.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"done"`)}}}}

var timerDuration = durationpb.New(time.Hour)

// answer is the benchmark workflow: the first activation completes the run
// (closeOnInit) or starts a timer; later ones start a timer and do nothing
// by turns. An eviction is acknowledged with no commands. The app's only
// state is a counter per run.
func (a *app) answer(act *bridgev1.WorkflowActivation, closeOnInit bool) []*bridgev1.WorkflowCommand {
	timer := func() []*bridgev1.WorkflowCommand {
		return []*bridgev1.WorkflowCommand{{Variant: &bridgev1.WorkflowCommand_StartTimer{StartTimer: &bridgev1.StartTimer{
			Seq: uint32(act.GetHistoryLength()), StartToFireTimeout: timerDuration}}}}
	}
	init := false
	for _, j := range act.GetJobs() {
		if j.GetRemoveFromCache() != nil {
			a.mu.Lock()
			delete(a.turns, act.GetRunId())
			a.mu.Unlock()
			return nil
		}
		if j.GetInitializeWorkflow() != nil {
			init = true
		}
	}
	if init && closeOnInit {
		return []*bridgev1.WorkflowCommand{completeCmd}
	}
	a.mu.Lock()
	n := a.turns[act.GetRunId()]
	a.turns[act.GetRunId()] = n + 1
	a.mu.Unlock()
	if n%2 == 0 {
		return timer()
	}
	return nil
}

// childMain is the app process for heap measurements: it connects sessions
// serving the benchmark workflow and answers until its stdin closes.
func childMain(target string, sessions, capacity, workers int) int {
	cfg := rigConfig{workflows: true, capacity: uint32(capacity), appWorkers: workers}
	var apps []*app
	for i := range sessions {
		a, err := dialApp(target, i, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ceiling child:", err)
			return 1
		}
		apps = append(apps, a)
	}
	buf := make([]byte, 1)
	for {
		if _, err := os.Stdin.Read(buf); err != nil {
			break
		}
	}
	for _, a := range apps {
		a.stop()
	}
	return 0
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// A spec is one case: a batch of workflows, the apps and sidecar flags it
// starts with, and the fault applied while the batch runs.
type spec struct {
	id, name      string
	workflows     int
	steps, stepMS int
	apps          int
	sidecarArgs   []string
	// fault runs once the batch started; it returns notes for the table.
	fault func(r *rig) (string, error)
	// timeout bounds the wait for the batch after the fault.
	timeout time.Duration
}

func cases(short bool) []spec {
	scale := func(s, f int) int {
		if short {
			return s
		}
		return f
	}
	soak := 10 * time.Minute
	if short {
		soak = 30 * time.Second
	}
	return []spec{
		{id: "app-kill", name: "app SIGKILLed repeatedly", workflows: scale(30, 100), steps: 6, stepMS: 300, apps: 2,
			fault: func(r *rig) (string, error) {
				kills := scale(5, 30)
				for i := range kills {
					a := r.apps[i%len(r.apps)]
					if err := waitFor(30*time.Second, "the app running", func() bool { return a.current() != nil }); err != nil {
						return "", err
					}
					a.current().kill()
					time.Sleep(time.Second) // the fault's rhythm, not a wait for a condition
				}
				return fmt.Sprintf("%d SIGKILLs", kills), nil
			}},
		{id: "sidecar-kill", name: "sidecar SIGKILLed and restarted", workflows: scale(30, 100), steps: 6, stepMS: 300, apps: 2,
			fault: func(r *rig) (string, error) {
				kills := scale(2, 5)
				for range kills {
					time.Sleep(2 * time.Second)
					r.sidecar.kill()
					if err := r.startSidecar(); err != nil {
						return "", err
					}
				}
				return fmt.Sprintf("%d SIGKILLs", kills), nil
			}},
		{id: "sigterm-short", name: "SIGTERM, activities shorter than the grace", workflows: scale(20, 60), steps: 3, stepMS: 1000, apps: 1,
			sidecarArgs: []string{"--graceful-shutdown-timeout", "5s"}, fault: sigterm},
		{id: "sigterm-long", name: "SIGTERM, activities longer than the grace", workflows: scale(10, 30), steps: 2, stepMS: 5000, apps: 1,
			sidecarArgs: []string{"--graceful-shutdown-timeout", "2s"}, fault: sigterm},
		{id: "server-restart", name: "server restarted twice", workflows: scale(30, 100), steps: 6, stepMS: 300, apps: 1,
			fault: func(r *rig) (string, error) {
				for range 2 {
					time.Sleep(2 * time.Second)
					if err := r.server.Stop(); err != nil {
						return "", err
					}
					if err := r.startServer(context.Background()); err != nil {
						return "", err
					}
				}
				return "same port and database", nil
			}},
		{id: "hung-beside", name: "hung app beside a healthy app", workflows: scale(20, 60), steps: 4, stepMS: 300, apps: 2,
			fault: func(r *rig) (string, error) {
				time.Sleep(time.Second)
				hung := r.apps[0].current()
				hung.signal(syscall.SIGSTOP)
				return "one app SIGSTOPped (connected, never answering)", nil
			}},
		{id: "hung-after", name: "hung app, a healthy app after it", workflows: scale(20, 60), steps: 4, stepMS: 300, apps: 1,
			fault: func(r *rig) (string, error) {
				time.Sleep(time.Second)
				r.apps[0].current().signal(syscall.SIGSTOP)
				time.Sleep(2 * time.Second)
				r.startApp()
				return "the only app SIGSTOPped, a second started 2s later", nil
			}},
		{id: "hostile", name: "hostile and oversize bridge messages", workflows: scale(20, 60), steps: 4, stepMS: 300, apps: 1,
			fault: hostile},
		{id: "soak", name: fmt.Sprintf("soak (%s)", soak), workflows: 0, steps: 4, stepMS: 100, apps: 2,
			fault: func(r *rig) (string, error) { return "", nil }, timeout: soak},
	}
}

func sigterm(r *rig) (string, error) {
	time.Sleep(1500 * time.Millisecond)
	r.sidecar.signal(syscall.SIGTERM)
	code := r.sidecar.wait(60 * time.Second)
	if err := r.startSidecar(); err != nil {
		return "", err
	}
	if code != 0 {
		return "", fmt.Errorf("the sidecar exited %d on SIGTERM, want 0", code)
	}
	return "exit 0, restarted", nil
}

// hostile sends what a broken or malicious process on the socket might:
// raw garbage, protocol violations, completions for tasks never sent, and
// 100 MB messages, four at a time, while the batch runs.
func hostile(r *rig) (string, error) {
	s := r.sample()
	for range 50 { // not gRPC at all
		c, err := net.Dial("unix", r.sock)
		if err != nil {
			return "", err
		}
		junk := make([]byte, 4096)
		_, _ = rand.Read(junk)
		_, _ = c.Write(junk)
		c.Close()
	}
	conn, err := grpc.NewClient("unix://"+r.sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	bridge := bridgev1.NewBridgeServiceClient(conn)
	session := func(msgs ...*bridgev1.ConnectRequest) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		st, err := bridge.Connect(ctx)
		if err != nil {
			return
		}
		for _, m := range msgs {
			if st.Send(m) != nil {
				break
			}
		}
		_ = st.CloseSend()
		for {
			if _, err := st.Recv(); err != nil {
				return
			}
		}
	}
	reg := &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_Register{Register: &bridgev1.Register{
		ProtocolVersion: 1, Identity: "hostile", TaskQueue: r.queue, Activities: []*bridgev1.ActivityRegistration{{Name: "Nope"}},
		Capacity: &bridgev1.Capacity{Activities: 1}}}}
	unknown := func(n int) *bridgev1.ConnectRequest {
		return &bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_ActivityCompletion{ActivityCompletion: &bridgev1.ActivityTaskCompletion{
			TaskToken: []byte("never-sent"), Result: &bridgev1.ActivityExecutionResult{Status: &bridgev1.ActivityExecutionResult_Completed{
				Completed: &bridgev1.ActivityExecutionCompleted{Result: &bridgev1.Payload{Data: bytes.Repeat([]byte{'x'}, n)}}}}}}}
	}
	for range 50 { // protocol violations
		session(unknown(10))                       // no register first
		session(reg, reg)                          // registered twice
		session(reg, &bridgev1.ConnectRequest{})   // an empty message
		session(reg, unknown(100), unknown(1<<20)) // completions for tasks never sent
	}
	var wg sync.WaitGroup
	for range 4 { // oversize, concurrently
		wg.Go(func() {
			for range 3 {
				session(reg, unknown(100<<20))
			}
		})
	}
	wg.Wait()
	peak := s.end()
	note := fmt.Sprintf("peak sidecar RSS %d MiB", peak>>20)
	if peak > 64<<20 {
		return note, fmt.Errorf("the sidecar's RSS peaked at %d MiB, over 64 MiB", peak>>20)
	}
	return note, nil
}

// runCase runs one case on a fresh task queue, sidecar and apps.
func (r *rig) runCase(ctx context.Context, c spec) (res result) {
	res = result{id: c.id, name: c.name, workflows: c.workflows}
	begin := time.Now()
	defer func() { res.took = time.Since(begin) }()
	r.queue = fmt.Sprintf("chaos-%s-%d", c.id, time.Now().UnixNano()%1e6)
	defer r.stopCase()
	if res.err = r.startSidecar(c.sidecarArgs...); res.err != nil {
		return res
	}
	for range c.apps {
		r.startApp()
	}
	if c.id == "soak" {
		return r.soak(c, res)
	}
	if res.err = r.startWorkflows(r.queue, 0, c.workflows, c.steps, c.stepMS); res.err != nil {
		return res
	}
	res.notes, res.err = c.fault(r)
	timeout := c.timeout
	if timeout == 0 {
		timeout = 3 * time.Minute
	}
	cnt, err := r.check(r.queue, c.workflows, timeout)
	if res.err == nil {
		res.err = err
	}
	res.completed, res.lost, res.stuck, res.lostIDs, res.stuckIDs = cnt.Completed, cnt.Lost, cnt.Stuck, cnt.LostIDs, cnt.StuckIDs
	return res
}

// soak starts batches for the case's duration, sampling the sidecar's RSS
// and goroutines, then checks every batch.
func (r *rig) soak(c spec, res result) result {
	const batch = 10
	end := time.Now().Add(c.timeout)
	rss0, gor0 := r.rss(), r.metric("go_goroutines")
	s := r.sample()
	var gorPeak float64
	for time.Now().Before(end) {
		if res.err = r.startWorkflows(r.queue, res.workflows, batch, c.steps, c.stepMS); res.err != nil {
			return res
		}
		res.workflows += batch
		gorPeak = max(gorPeak, r.metric("go_goroutines"))
		time.Sleep(2 * time.Second) // the soak's load rhythm
	}
	cnt, err := r.check(r.queue, res.workflows, 3*time.Minute)
	if err != nil && res.err == nil {
		res.err = err
	}
	res.completed, res.lost, res.stuck, res.lostIDs, res.stuckIDs = cnt.Completed, cnt.Lost, cnt.Stuck, cnt.LostIDs, cnt.StuckIDs
	peak := s.end()
	res.notes = fmt.Sprintf("RSS %d MiB at start, %d MiB peak, %d MiB at end; goroutines %.0f at start, %.0f peak, %.0f at end",
		rss0>>20, peak>>20, r.rss()>>20, gor0, gorPeak, r.metric("go_goroutines"))
	return res
}

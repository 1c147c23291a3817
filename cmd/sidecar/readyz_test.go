package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get returns the status and body of GET url.
func get(url string) (int, string, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// readyz waits until GET /readyz answers code with a body containing want.
func readyz(t *testing.T, p *proc, url string, code int, want string) {
	t.Helper()
	var last string
	err := eventually(45*time.Second, func() error {
		select {
		case <-p.exited:
			return fmt.Errorf("sidecar exited: %v", p.err)
		default:
		}
		got, body, err := get(url)
		if err != nil {
			return err
		}
		last = fmt.Sprintf("%d %q", got, body)
		if got != code || !strings.Contains(body, want) {
			return fmt.Errorf("GET /readyz = %s", last)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("waiting for /readyz %d containing %q: %v", code, want, err)
	}
}

// TestReadyzFollowsTheFrontend cuts the sidecar off from a real frontend
// and restores it, with an app connected so pollers are running: /readyz
// goes 503 naming the frontend, then 200 again, and the process lives on.
func TestReadyzFollowsTheFrontend(t *testing.T) {
	srv := devserver.Shared(t)
	proxy := newFrontProxy(t, srv.Address(), nil)
	queue := devserver.TaskQueue(t)
	httpAddr := freeAddr(t)
	p := start(t, nil, "--address", proxy.Addr(), "--task-queue", queue, "--http-listen", httpAddr)
	conn := serving(t, p)
	st := connect(t, conn, register(queue, 1))
	if m, err := st.Recv(); err != nil || m.GetRegistered() == nil {
		t.Fatalf("register: %v %v", m, err)
	}
	url := "http://" + httpAddr + "/readyz"
	readyz(t, p, url, http.StatusOK, "ready")

	for round := 1; round <= 2; round++ {
		proxy.Cut()
		readyz(t, p, url, http.StatusServiceUnavailable, `"ready":false`)
		_, body, _ := get(url)
		if !strings.Contains(body, "Temporal frontend at "+proxy.Addr()) {
			t.Errorf("round %d: /readyz body %q does not name the frontend", round, body)
		}
		if code, _, err := get("http://" + httpAddr + "/healthz"); err != nil || code != http.StatusOK {
			t.Errorf("round %d: /healthz during the outage = %d, %v; want 200: liveness must not follow the frontend", round, code, err)
		}

		proxy.Restore()
		readyz(t, p, url, http.StatusOK, "ready")
	}
}

// TestReadyzFollowsTheFrontendWithoutApps checks the same with no app
// connected: nothing polls then, so only the sidecar's own probe notices;
// /readyz names the frontend while it is away, and the missing app after.
func TestReadyzFollowsTheFrontendWithoutApps(t *testing.T) {
	srv := devserver.Shared(t)
	proxy := newFrontProxy(t, srv.Address(), nil)
	httpAddr := freeAddr(t)
	p := start(t, nil, "--address", proxy.Addr(), "--task-queue", devserver.TaskQueue(t), "--http-listen", httpAddr)
	serving(t, p)
	url := "http://" + httpAddr + "/readyz"
	// Ready means able to run work: with no app connected it is not.
	readyz(t, p, url, http.StatusServiceUnavailable, "no app is registered on the bridge")
	proxy.Cut()
	readyz(t, p, url, http.StatusServiceUnavailable, "Temporal frontend at "+proxy.Addr())
	proxy.Restore()
	readyz(t, p, url, http.StatusServiceUnavailable, "no app is registered on the bridge")
}

// TestReadyzAndMetricsNameEveryQueueServed runs a sidecar with no
// --task-queue: each app's queue shows in /readyz and, labelled, in
// /metrics while served, and leaves both once its app is gone past the
// idle timeout.
func TestReadyzAndMetricsNameEveryQueueServed(t *testing.T) {
	srv := devserver.Shared(t)
	httpAddr := freeAddr(t)
	p := start(t, nil, "--address", srv.Address(), "--http-listen", httpAddr, "--task-queue-idle-timeout", "100ms")
	conn := serving(t, p)
	base := devserver.TaskQueue(t)
	url := "http://" + httpAddr
	readyz(t, p, url+"/readyz", http.StatusServiceUnavailable, "no app is registered on the bridge")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var streams []context.CancelFunc
	for _, q := range []string{base + "-a", base + "-b"} {
		sctx, stop := context.WithCancel(ctx)
		st, err := bridgev1.NewBridgeServiceClient(conn).Connect(sctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Send(register(q, 1)); err != nil {
			t.Fatal(err)
		}
		if m, err := st.Recv(); err != nil || m.GetRegistered().GetTaskQueue() != q {
			t.Fatalf("register %s: %v %v", q, m, err)
		}
		streams = append(streams, stop)
	}
	both := fmt.Sprintf(`"task_queues":[{"name":%q,"apps":1,"polling":true},{"name":%q,"apps":1,"polling":true}]`, base+"-a", base+"-b")
	readyz(t, p, url+"/readyz", http.StatusOK, both)
	_, metrics, err := get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{base + "-a", base + "-b"} {
		want := fmt.Sprintf(`temporal_worker_task_slots_available{namespace="default",service_name="temporal-core-sdk",task_queue=%q,worker_type="ActivityWorker"}`, q)
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	streams[0]() // the first queue's only app leaves
	readyz(t, p, url+"/readyz", http.StatusOK, fmt.Sprintf(`"task_queues":[{"name":%q,"apps":1,"polling":true}]`, base+"-b"))
	if _, metrics, _ = get(url + "/metrics"); strings.Contains(metrics, base+"-a") {
		t.Errorf("/metrics still has the stopped queue %s", base+"-a")
	}
}

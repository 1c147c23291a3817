package devserver

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

const extraNS = "devserver-extra"

// The shared server is started with an extra namespace and a dynamic config
// value that flips a default, so the tests can see both options arrive.
func TestMain(m *testing.M) {
	Main(m, Options{
		Namespaces: []string{extraNS},
		DynamicConfig: map[string]string{
			"system.enableEagerWorkflowStart":     "false", // default true
			"system.enableActivityEagerExecution": "true",
		},
	})
}

func client(t *testing.T, addr string) workflowservice.WorkflowServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return workflowservice.NewWorkflowServiceClient(conn)
}

func TestSharedServer(t *testing.T) {
	srv := Shared(t)
	c := client(t, srv.Address())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	info, err := c.GetSystemInfo(ctx, &workflowservice.GetSystemInfoRequest{})
	if err != nil {
		t.Fatalf("GetSystemInfo: %v", err)
	}
	t.Logf("server version %s", info.GetServerVersion())

	tests := []struct {
		ns       string
		notFound bool
	}{
		{ns: srv.Namespace()},
		{ns: extraNS},
		{ns: "devserver-never-created", notFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.ns, func(t *testing.T) {
			resp, err := c.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: tt.ns})
			if tt.notFound {
				if status.Code(err) != codes.NotFound {
					t.Fatalf("DescribeNamespace(%q) = %v, want NotFound", tt.ns, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DescribeNamespace(%q): %v", tt.ns, err)
			}
			if got := resp.GetNamespaceInfo().GetName(); got != tt.ns {
				t.Errorf("name = %q, want %q", got, tt.ns)
			}
			if resp.GetNamespaceInfo().GetCapabilities().GetEagerWorkflowStart() {
				t.Error("EagerWorkflowStart capability is on; Options.DynamicConfig did not reach the server")
			}
		})
	}
}

// TestStartStop checks that a server is usable for workflows as soon as
// Start returns (history and matching, not just the frontend), and that Stop
// really takes it down.
func TestStartStop(t *testing.T) {
	begin := time.Now()
	srv, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Start took %v", time.Since(begin))
	t.Cleanup(func() { srv.Stop() })
	if srv.Address() == Shared(t).Address() {
		t.Fatalf("second server reused the shared address %s", srv.Address())
	}

	c := client(t, srv.Address())
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tq := TaskQueue(t)
	_, err = c.StartWorkflowExecution(ctx, &workflowservice.StartWorkflowExecutionRequest{
		Namespace:    srv.Namespace(),
		WorkflowId:   tq,
		WorkflowType: &commonpb.WorkflowType{Name: "Probe"},
		TaskQueue:    &taskqueuepb.TaskQueue{Name: tq},
		RequestId:    tq,
	})
	if err != nil {
		t.Fatalf("StartWorkflowExecution right after Start: %v", err)
	}
	task, err := c.PollWorkflowTaskQueue(ctx, &workflowservice.PollWorkflowTaskQueueRequest{
		Namespace: srv.Namespace(),
		TaskQueue: &taskqueuepb.TaskQueue{Name: tq},
		Identity:  t.Name(),
	})
	if err != nil || len(task.GetTaskToken()) == 0 {
		t.Fatalf("PollWorkflowTaskQueue = %v, %v; want the probe's first task", task, err)
	}

	begin = time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	t.Logf("Stop took %v", time.Since(begin))

	// The listener may linger briefly after the process is reaped; wait for
	// connections to be refused rather than assuming it is instant.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", srv.Address(), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections after Stop", srv.Address())
		}
		time.Sleep(pollInterval)
	}

	for i := range 2 {
		if err := srv.Stop(); err != nil {
			t.Errorf("Stop #%d after stop: %v", i+2, err)
		}
	}
}

func TestStartError(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "temporal-not-exec")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin, err := findBinary("")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		opts   Options
		env    map[string]string
		is     error    // want errors.Is(err, is) if non-nil
		substr []string // want each in err.Error()
	}{
		{
			name:   "missing Options.Binary",
			opts:   Options{Binary: filepath.Join(dir, "nope")},
			is:     ErrNotFound,
			substr: []string{Install, "Options.Binary"},
		},
		{
			name:   "non-executable Options.Binary",
			opts:   Options{Binary: notExec},
			is:     ErrNotFound,
			substr: []string{Install},
		},
		{
			name:   "missing TEMPORAL_CLI",
			env:    map[string]string{"TEMPORAL_CLI": filepath.Join(dir, "nope")},
			is:     ErrNotFound,
			substr: []string{Install, "$TEMPORAL_CLI"},
		},
		{
			name:   "nothing installed",
			env:    map[string]string{"TEMPORAL_CLI": "", "PATH": dir, "GOBIN": "", "GOPATH": dir, "HOME": dir},
			is:     ErrNotFound,
			substr: []string{Install, filepath.Join(dir, "bin", "temporal"), filepath.Join(dir, "go", "bin", "temporal")},
		},
		{
			name:   "server exits early",
			opts:   Options{Binary: bin, Args: []string{"--no-such-flag"}},
			substr: []string{"exited before it was ready", "no-such-flag"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			srv, err := Start(t.Context(), tt.opts)
			if err == nil {
				srv.Stop()
				t.Fatal("Start succeeded, want error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			for _, s := range tt.substr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error does not mention %q:\n%v", s, err)
				}
			}
		})
	}
}

func TestTaskQueue(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9._-]+-[0-9a-f]{8}$`)
	tests := []struct{ name, prefix string }{
		{"plain", "TestTaskQueue-plain-"},
		{"spaces and/slashes", "TestTaskQueue-spaces_and-slashes-"},
		{strings.Repeat("x", 200), "TestTaskQueue-xxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := TaskQueue(t), TaskQueue(t)
			if a == b {
				t.Errorf("TaskQueue returned %q twice", a)
			}
			if !valid.MatchString(a) || !strings.HasPrefix(a, tt.prefix) || len(a) > 64+9 {
				t.Errorf("TaskQueue = %q, want sanitized %q... of at most 73 bytes", a, tt.prefix)
			}
		})
	}
}

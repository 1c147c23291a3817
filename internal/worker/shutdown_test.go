package worker_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// pollLog wraps the real WorkflowService to record, in order, when each
// poll starts and how it ends, and each ShutdownWorker call.
//
// With endPolls it also plays the part of a server that answers a
// stopping worker's polls (frontend.enableCancelWorkerPollsOnShutdown,
// Temporal 1.31 and later, Temporal Cloud): once ShutdownWorker with the
// worker's instance key is answered, the polls in flight get an empty
// response. The pinned dev server (1.29.1) ignores that setting; it only
// ends the polls of the sticky queue it unloads.
type pollLog struct {
	workflowservice.WorkflowServiceClient
	endPolls bool
	// afterShutdown, if set, runs once ShutdownWorker is answered, before
	// the worker goes on: while its polls in flight are still open.
	afterShutdown func()
	mu            sync.Mutex
	events        []pollEvent
	ended         chan struct{} // closed once ShutdownWorker ends the polls (endPolls)
}

type pollEvent struct {
	id       int    // the poll's number, for "start" and "end"
	what     string // "start", "end" or "shutdown"
	poll     string // activity, workflow or sticky
	err      error  // how the poll ended
	task     bool   // the poll brought a task
	shutdown *workflowservice.ShutdownWorkerRequest
}

func newPollLog(svc workflowservice.WorkflowServiceClient, endPolls bool) *pollLog {
	return &pollLog{WorkflowServiceClient: svc, endPolls: endPolls, ended: make(chan struct{})}
}

func (l *pollLog) add(ev pollEvent) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ev.what == "start" {
		ev.id = len(l.events)
	}
	l.events = append(l.events, ev)
	return ev.id
}

// record runs one poll, recording its start and end; with endPolls it ends
// with empty once ShutdownWorker has ended the worker's polls, unless the
// server answered it first.
func record[T interface{ GetTaskToken() []byte }](l *pollLog, ctx context.Context, poll string, empty T, call func(context.Context) (T, error)) (T, error) {
	id := l.add(pollEvent{what: "start", poll: poll})
	type result struct {
		resp T
		err  error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		resp, err := call(ctx)
		done <- result{resp, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-l.ended:
		// The server answers: the call underneath goes, unless it brought
		// a task meanwhile.
		cancel()
		if r = <-done; r.err != nil || len(r.resp.GetTaskToken()) == 0 {
			r = result{resp: empty}
		}
	}
	l.add(pollEvent{id: id, what: "end", poll: poll, err: r.err, task: len(r.resp.GetTaskToken()) > 0})
	return r.resp, r.err
}

func (l *pollLog) PollActivityTaskQueue(ctx context.Context, in *workflowservice.PollActivityTaskQueueRequest, opts ...grpc.CallOption) (*workflowservice.PollActivityTaskQueueResponse, error) {
	return record(l, ctx, "activity", &workflowservice.PollActivityTaskQueueResponse{}, func(ctx context.Context) (*workflowservice.PollActivityTaskQueueResponse, error) {
		return l.WorkflowServiceClient.PollActivityTaskQueue(ctx, in, opts...)
	})
}

func (l *pollLog) PollWorkflowTaskQueue(ctx context.Context, in *workflowservice.PollWorkflowTaskQueueRequest, opts ...grpc.CallOption) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
	poll := "workflow"
	if in.GetTaskQueue().GetKind() == enumspb.TASK_QUEUE_KIND_STICKY {
		poll = "sticky"
	}
	return record(l, ctx, poll, &workflowservice.PollWorkflowTaskQueueResponse{}, func(ctx context.Context) (*workflowservice.PollWorkflowTaskQueueResponse, error) {
		return l.WorkflowServiceClient.PollWorkflowTaskQueue(ctx, in, opts...)
	})
}

func (l *pollLog) ShutdownWorker(ctx context.Context, in *workflowservice.ShutdownWorkerRequest, opts ...grpc.CallOption) (*workflowservice.ShutdownWorkerResponse, error) {
	l.add(pollEvent{what: "shutdown", shutdown: in})
	resp, err := l.WorkflowServiceClient.ShutdownWorker(ctx, in, opts...)
	if err == nil && l.endPolls && in.GetWorkerInstanceKey() != "" {
		close(l.ended)
	}
	if l.afterShutdown != nil {
		l.afterShutdown()
	}
	return resp, err
}

// snapshot is the events so far.
func (l *pollLog) snapshot() []pollEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]pollEvent(nil), l.events...)
}

// open is the number of polls of each kind in flight now.
func (l *pollLog) open() map[string]int {
	n := map[string]int{}
	for _, ev := range l.snapshot() {
		switch ev.what {
		case "start":
			n[ev.poll]++
		case "end":
			n[ev.poll]--
		}
	}
	return n
}

// cancelled reports whether err is a poll cancelled client-side.
func cancelled(err error) bool {
	return errors.Is(err, context.Canceled) || status.Code(err) == codes.Canceled
}

func TestShutdownTellsTheServerBeforeAnyPollIsCancelled(t *testing.T) {
	tests := []struct {
		name string
		// serverEndsPolls: the server answers a stopping worker's polls
		// at once, empty, so none is cancelled client-side.
		serverEndsPolls bool
	}{
		{
			name:            "polls in flight end with the empty response of a server that ends a stopping worker's polls",
			serverEndsPolls: true,
		},
		{
			name: "on a server that does not, the worker stops, cancelling its polls only after ShutdownWorker",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := devserver.Shared(t)
			var log *pollLog
			e := newEnvOn(t, srv, func(o *worker.Options) {
				// A server that has the feature does it itself; the
				// pinned one needs the wrapper to play that part.
				log = newPollLog(o.Service, tt.serverEndsPolls && !endsPolls(t, o.Service, srv.Namespace()))
				o.Service = log
				o.ServerEndsPolls = tt.serverEndsPolls
			})
			e.workflowApp(map[string]script{"Collect": collect})
			run := e.startWorkflow("Collect") // stays open, cached: the sticky queue is polled
			t.Cleanup(func() { _ = e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") })
			waitFor(t, "activity, workflow and sticky polls in flight", func() bool {
				n := log.open()
				return n["activity"] > 0 && n["workflow"] > 0 && n["sticky"] > 0
			})

			done := make(chan error, 1)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				done <- e.w.Shutdown(ctx, 30*time.Second)
			}()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("Shutdown: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the worker did not stop")
			}

			events := log.snapshot()
			shutdownAt := -1
			for i, ev := range events {
				if ev.what != "shutdown" {
					continue
				}
				if shutdownAt >= 0 {
					t.Fatalf("ShutdownWorker sent twice: %+v and %+v", events[shutdownAt].shutdown, ev.shutdown)
				}
				shutdownAt = i
				req := ev.shutdown
				if req.GetWorkerInstanceKey() == "" || req.GetStickyTaskQueue() != e.w.StickyQueue() || req.GetTaskQueue() != e.queue {
					t.Errorf("ShutdownWorker(instance key %q, sticky queue %q, task queue %q), want an instance key, %q and %q",
						req.GetWorkerInstanceKey(), req.GetStickyTaskQueue(), req.GetTaskQueue(), e.w.StickyQueue(), e.queue)
				}
			}
			if shutdownAt < 0 {
				t.Fatal("ShutdownWorker never sent")
			}
			inFlight := map[string]int{} // polls open when ShutdownWorker was sent
			for i, ev := range events {
				switch {
				case i < shutdownAt && ev.what == "end" && cancelled(ev.err):
					t.Errorf("a %s poll was cancelled client-side before ShutdownWorker", ev.poll)
				case i > shutdownAt && ev.what == "start":
					t.Errorf("a %s poll started after ShutdownWorker", ev.poll)
				case i > shutdownAt && ev.what == "end" && ev.id < shutdownAt:
					inFlight[ev.poll]++
					if tt.serverEndsPolls && (ev.err != nil || ev.task) {
						t.Errorf("a %s poll in flight at ShutdownWorker ended with (task %v, %v), want the server's empty response", ev.poll, ev.task, ev.err)
					}
				}
			}
			for _, poll := range []string{"activity", "workflow", "sticky"} {
				if inFlight[poll] == 0 {
					t.Errorf("no %s poll was in flight at ShutdownWorker and ended after it (%v)", poll, inFlight)
				}
			}
			if n := log.open(); n["activity"]+n["workflow"]+n["sticky"] != 0 {
				t.Errorf("polls still open after Shutdown: %v", n)
			}
		})
	}
}

// tasks is the number of polls of kind poll that brought a task.
func (l *pollLog) tasks(poll string) int {
	n := 0
	for _, ev := range l.snapshot() {
		if ev.what == "end" && ev.poll == poll && ev.task {
			n++
		}
	}
	return n
}

// done completes a workflow at once with "done".
var done script = func(st *wfState, act *bridgev1.WorkflowActivation) []*bridgev1.WorkflowCommand {
	for _, j := range act.GetJobs() {
		if j.GetInitializeWorkflow() != nil {
			return []*bridgev1.WorkflowCommand{complete("done")}
		}
	}
	return nil
}

func TestATaskPolledWhileTheWorkerStopsIsNotLost(t *testing.T) {
	tests := []struct {
		name string
		// appLeaves: the app leaves before the worker stops, so no app
		// can take the task.
		appLeaves bool
		// check waits until the run's task was dealt with.
		check func(t *testing.T, e *env, run client.WorkflowRun)
	}{
		{
			name: "a workflow task runs on the app still connected",
			check: func(t *testing.T, e *env, run client.WorkflowRun) {
				if out, err := result(t, run); err != nil || out != "done" {
					t.Fatalf("workflow = %q, %v", out, err)
				}
			},
		},
		{
			name:      "a workflow task no app can take is handed back to the server",
			appLeaves: true,
			check: func(t *testing.T, e *env, run client.WorkflowRun) {
				// Failed, so the server retries it at once, rather than
				// timed out after the task's 10s.
				e.firstEvent(run.GetID(), enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log *pollLog
			e := newEnv(t, func(o *worker.Options) {
				o.Bridge.HandbackGrace = handbackGrace
				log = newPollLog(o.Service, false) // the pinned server holds the polls open until cancelled
				o.Service = log
				o.ServerEndsPolls = true // so the worker waits for its polls: the task comes back on one
			})
			app := e.workflowApp(map[string]script{"Done": done})
			waitFor(t, "a workflow poll in flight", func() bool { return log.open()["workflow"] > 0 })
			if tt.appLeaves {
				app.Close()
				waitFor(t, "the app gone", func() bool { return e.w.Apps() == 0 })
			}
			// The task is scheduled after ShutdownWorker, while the poll
			// that takes it is still open.
			var run client.WorkflowRun
			log.afterShutdown = func() {
				run = e.startWorkflow("Done")
				waitFor(t, "a workflow poll to bring the task", func() bool { return log.tasks("workflow") > 0 })
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := e.w.Shutdown(ctx, 30*time.Second); err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
			if run == nil {
				t.Fatal("ShutdownWorker was never sent")
			}
			t.Cleanup(func() { _ = e.client.TerminateWorkflow(context.Background(), run.GetID(), "", "test over") })
			tt.check(t, e, run)
		})
	}
}

// endsPolls reports whether the server answers a stopping worker's polls
// (it says so in the namespace's capabilities, as sdk-core reads them).
func endsPolls(t *testing.T, svc workflowservice.WorkflowServiceClient, namespace string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := svc.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	return d.GetNamespaceInfo().GetCapabilities().GetWorkerPollCompleteOnShutdown()
}

package worker_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridgetest"
	"github.com/temporal-sidecar/sidecar/internal/poller"
	"github.com/temporal-sidecar/sidecar/internal/worker"
	"go.temporal.io/sdk/client"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// appSupplier is a test app's slot supplier: it grants at most limit slots
// at once, holding later reserves until a slot is released, and records
// what the sidecar tells it.
type appSupplier struct {
	t     *testing.T
	a     *bridgetest.App
	limit int
	// silent, if set, leaves a reserve unanswered (it says so by returning true).
	silent func(id uint64) bool

	mu       sync.Mutex
	granted  map[uint64]bool // request ids holding a slot
	pending  []uint64        // reserves waiting for a slot
	reserves []*bridgev1.SlotReserveContext
	used     []*bridgev1.SlotRequest
	released []*bridgev1.SlotRequest
	cancels  []uint64
	changed  chan struct{}
}

func serveSlots(t *testing.T, a *bridgetest.App, limit int, silent func(uint64) bool) *appSupplier {
	s := &appSupplier{t: t, a: a, limit: limit, silent: silent, granted: map[uint64]bool{}, changed: make(chan struct{}, 1)}
	go func() {
		for {
			select {
			case m := <-a.Other:
				if r := m.GetSlotRequest(); r != nil {
					s.handle(r)
				}
			case <-a.Done():
				return
			}
		}
	}()
	return s
}

func (s *appSupplier) grant(id uint64) {
	s.granted[id] = true
	_ = s.a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_SlotResponse{SlotResponse: &bridgev1.SlotResponse{
		RequestId: id, Result: &bridgev1.SlotResponse_Permit{Permit: &bridgev1.SlotPermit{Data: []byte(strconv.FormatUint(id, 10))}}}}})
}

func (s *appSupplier) handle(r *bridgev1.SlotRequest) {
	s.mu.Lock()
	defer func() {
		s.mu.Unlock()
		select {
		case s.changed <- struct{}{}:
		default:
		}
	}()
	id := r.GetRequestId()
	switch {
	case r.GetReserve() != nil:
		s.reserves = append(s.reserves, r.GetReserve())
		switch {
		case s.silent != nil && s.silent(id):
		case len(s.granted) < s.limit:
			s.grant(id)
		default:
			s.pending = append(s.pending, id)
		}
	case r.GetTryReserve() != nil:
		_ = s.a.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_SlotResponse{SlotResponse: &bridgev1.SlotResponse{
			RequestId: id, Result: &bridgev1.SlotResponse_NoSlot{NoSlot: true}}}})
	case r.GetCancel() != nil:
		s.cancels = append(s.cancels, id)
		for i, p := range s.pending {
			if p == id {
				s.pending = append(s.pending[:i], s.pending[i+1:]...)
				break
			}
		}
	case r.GetMarkUsed() != nil:
		if string(r.GetMarkUsed().GetPermit()) != strconv.FormatUint(id, 10) {
			s.t.Errorf("mark_used of request %d carries permit %q", id, r.GetMarkUsed().GetPermit())
		}
		s.used = append(s.used, r)
	case r.GetRelease() != nil:
		if string(r.GetRelease().GetPermit()) != strconv.FormatUint(id, 10) {
			s.t.Errorf("release of request %d carries permit %q", id, r.GetRelease().GetPermit())
		}
		s.released = append(s.released, r)
		if s.granted[id] {
			delete(s.granted, id)
			if len(s.pending) > 0 {
				next := s.pending[0]
				s.pending = s.pending[1:]
				s.grant(next)
			}
		}
	}
}

// wait waits until cond holds under the supplier's lock.
func (s *appSupplier) wait(what string, cond func() bool) {
	s.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		ok := cond()
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-s.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			s.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func supplierApp(t *testing.T, e *env, capacity uint32, kinds ...bridgev1.SlotKind) (*bridgetest.App, error) {
	reg := &bridgev1.Register{ProtocolVersion: 1, Identity: "supplier@" + t.Name(), SdkName: "bridgetest", TaskQueue: e.queue,
		Capacity:      &bridgev1.Capacity{Activities: capacity},
		Activities:    []*bridgev1.ActivityRegistration{{Name: "Echo"}},
		SlotSuppliers: kinds}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := bridgetest.Dial(ctx, e.target, reg)
	if err == nil {
		t.Cleanup(a.Close)
	}
	return a, err
}

// The app's slot supplier, not the sidecar's own slots (10) nor the app's
// capacity (10), decides how many activities run at once: it grants two, so
// two tasks are in flight until one is released. Each reserve carries the
// worker's context, each used slot's mark-used and release name the task.
func TestAppServedSlotsBoundTasksInFlight(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) { o.ActivityPollers = poller.Behaviour{Maximum: 2} })
	a, err := supplierApp(t, e, 10, bridgev1.SlotKind_SLOT_KIND_ACTIVITY)
	if err != nil {
		t.Fatal(err)
	}
	s := serveSlots(t, a, 2, nil)
	var runs []client.WorkflowRun
	for i := range 4 {
		runs = append(runs, e.start(Call{Type: "Echo", Arg: strconv.Itoa(i)}))
	}
	t1, t2 := next(t, a), next(t, a)
	if tk, err := a.NextActivity(time.Second); err == nil {
		t.Fatalf("a third task %v ran while the app's supplier granted two slots", tk.GetStart().GetActivityId())
	}
	s.wait("two slots marked used", func() bool { return len(s.used) == 2 })
	s.mu.Lock()
	for _, u := range s.used {
		if i := u.GetMarkUsed().GetSlotInfo(); i.GetSlotKind() != bridgev1.SlotKind_SLOT_KIND_ACTIVITY || i.GetActivityType() != "Echo" {
			t.Errorf("mark_used slot info = %v", i)
		}
	}
	for _, rc := range s.reserves {
		if rc.GetSlotKind() != bridgev1.SlotKind_SLOT_KIND_ACTIVITY || rc.GetTaskQueue() != e.queue || rc.GetWorkerIdentity() != "sidecar-test" || rc.GetIsSticky() {
			t.Errorf("reserve context = %v", rc)
		}
	}
	s.mu.Unlock()

	complete := func(tk *bridgev1.ActivityTask) {
		t.Helper()
		if err := a.CompleteActivity(tk.GetTaskToken(), bridgetest.Completed(tk.GetStart().GetInput()[0])); err != nil {
			t.Fatal(err)
		}
	}
	complete(t1)
	t3 := next(t, a) // the released slot lets the next task in
	if tk, err := a.NextActivity(500 * time.Millisecond); err == nil {
		t.Fatalf("a third task %v ran while the app's supplier granted two slots", tk.GetStart().GetActivityId())
	}
	complete(t2)
	t4 := next(t, a)
	complete(t3)
	complete(t4)
	for _, r := range runs {
		if _, err := result(t, r); err != nil {
			t.Fatal(err)
		}
	}
	s.wait("four used slots released with their slot info", func() bool {
		n := 0
		for _, r := range s.released {
			if r.GetRelease().GetSlotInfo().GetActivityType() == "Echo" {
				n++
			}
		}
		return n == 4
	})
	e.waitIdle()
}

// A reserve the app never answers is cancelled after the bound and asked
// again; the slot the app grants for it late is released at once, with no
// slot info, and polling goes on with the slot granted for the new request.
func TestUnansweredSlotReservationTimesOutAndIsReleased(t *testing.T) {
	e := newEnv(t, func(o *worker.Options) {
		o.ActivityPollers = poller.Behaviour{Maximum: 1}
		o.AppSlotReserveTimeout = 300 * time.Millisecond
	})
	a, err := supplierApp(t, e, 10, bridgev1.SlotKind_SLOT_KIND_ACTIVITY)
	if err != nil {
		t.Fatal(err)
	}
	var first uint64
	var mu sync.Mutex
	s := serveSlots(t, a, 1, func(id uint64) bool {
		mu.Lock()
		defer mu.Unlock()
		if first == 0 {
			first = id
			return true
		}
		return false
	})
	s.wait("the unanswered reserve cancelled and a new one granted", func() bool {
		return len(s.cancels) == 1 && len(s.granted) == 1 && len(s.reserves) == 2
	})
	s.mu.Lock()
	if s.cancels[0] != first {
		t.Errorf("cancelled request %d, not the unanswered %d", s.cancels[0], first)
	}
	s.mu.Unlock()
	// The app answers the cancelled request after all: the slot comes back.
	s.mu.Lock()
	s.limit = 2
	s.grant(first)
	s.mu.Unlock()
	s.wait("the late slot released", func() bool {
		for _, r := range s.released {
			if r.GetRequestId() == first {
				if r.GetRelease().GetSlotInfo() != nil {
					t.Errorf("the late slot's release carries slot info %v", r.GetRelease().GetSlotInfo())
				}
				return true
			}
		}
		return false
	})
	run := e.start(Call{Type: "Echo", Arg: "after"})
	tk := next(t, a)
	if err := a.CompleteActivity(tk.GetTaskToken(), bridgetest.Completed(tk.GetStart().GetInput()[0])); err != nil {
		t.Fatal(err)
	}
	if out, err := result(t, run); err != nil || out != "after" {
		t.Fatalf("workflow = %q, %v", out, err)
	}
}

// What the sidecar does not take is refused with a message that says why.
func TestSlotSupplierRefusals(t *testing.T) {
	e := newEnv(t, nil)
	first, err := supplierApp(t, e, 4, bridgev1.SlotKind_SLOT_KIND_ACTIVITY)
	if err != nil {
		t.Fatal(err)
	}
	serveSlots(t, first, 4, nil)

	_, err = supplierApp(t, e, 4, bridgev1.SlotKind_SLOT_KIND_ACTIVITY)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "already served by the slot supplier of app supplier@") {
		t.Fatalf("a second supplier of activity slots: %v", err)
	}
	// An app without a supplier of its own shares the first one's.
	plain := e.app(4, "Echo")
	_ = plain

	for _, c := range []struct {
		kinds []bridgev1.SlotKind
		want  string
	}{
		{[]bridgev1.SlotKind{bridgev1.SlotKind_SLOT_KIND_NEXUS}, "register.capacity offers none of that work"},
		{[]bridgev1.SlotKind{bridgev1.SlotKind_SLOT_KIND_UNSPECIFIED}, "name a slot kind"},
		{[]bridgev1.SlotKind{bridgev1.SlotKind_SLOT_KIND_WORKFLOW, bridgev1.SlotKind_SLOT_KIND_WORKFLOW}, "lists SLOT_KIND_WORKFLOW twice"},
	} {
		reg := &bridgev1.Register{ProtocolVersion: 1, Identity: "bad", TaskQueue: e.queue, DynamicWorkflow: true,
			Capacity: &bridgev1.Capacity{WorkflowActivations: 1}, SlotSuppliers: c.kinds}
		if _, err := bridgetest.Dial(context.Background(), e.target, reg); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), c.want) {
			t.Errorf("slot_suppliers %v: %v, want InvalidArgument with %q", c.kinds, err, c.want)
		}
	}
	replay := &bridgev1.Register{ProtocolVersion: 1, Identity: "replayer", ReplayOnly: true, DynamicWorkflow: true,
		Capacity: &bridgev1.Capacity{WorkflowActivations: 1}, SlotSuppliers: []bridgev1.SlotKind{bridgev1.SlotKind_SLOT_KIND_WORKFLOW}}
	if _, err := bridgetest.Dial(context.Background(), e.target, replay); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "replay-only session takes no tasks") {
		t.Errorf("replay-only supplier: %v", err)
	}

	// A slot_response from a session with no supplier ends it.
	_ = plain.Send(&bridgev1.ConnectRequest{Message: &bridgev1.ConnectRequest_SlotResponse{SlotResponse: &bridgev1.SlotResponse{RequestId: 1}}})
	select {
	case <-plain.Done():
		if status.Code(plain.Err()) != codes.InvalidArgument || !strings.Contains(plain.Err().Error(), "registered slot_suppliers") {
			t.Errorf("slot_response without a supplier: %v", plain.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a slot_response without a supplier left the session open")
	}

	// Once the first supplier leaves, another app may serve the kind.
	first.Close()
	<-first.Done()
	waitFor(t, "the first supplier's session gone", func() bool { return len(e.w.Bridge().Sessions()) == 0 })
	if _, err := supplierApp(t, e, 4, bridgev1.SlotKind_SLOT_KIND_ACTIVITY); err != nil {
		t.Fatalf("a supplier after the first left: %v", err)
	}
}

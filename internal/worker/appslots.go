package worker

import (
	"fmt"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/bridge"
	"github.com/temporal-sidecar/sidecar/internal/slots"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// appServed wraps a kind's own supplier so that an app's slot supplier
// (Register.slot_suppliers) can serve the kind instead while its session
// lasts.
func (w *Worker) appServed(k task.Kind, own slots.Counted) slots.Counted {
	return slots.NewAppServed(slots.AppOptions{
		Kind: k, Fallback: own, TaskQueue: w.opts.TaskQueue, Identity: w.opts.Identity,
		BuildID: w.opts.BuildID, DeploymentName: w.opts.DeploymentName,
		ReserveTimeout: w.opts.AppSlotReserveTimeout, OneAhead: k == task.LocalActivity, Logger: w.log,
	})
}

// kindSlots is kind k's supplier.
func (w *Worker) kindSlots(k task.Kind) *slots.AppServed {
	var s slots.Counted
	switch k {
	case task.Workflow:
		s = w.wfSlots
	case task.Activity:
		s = w.actSlots
	case task.LocalActivity:
		s = w.laSlots
	case task.Nexus:
		s = w.nxSlots
	}
	a, _ := s.(*slots.AppServed)
	return a
}

// Admit implements bridge.Admitter: a session that registered
// slot_suppliers serves those kinds' slots for this worker, unless another
// session already does (one app-served supplier per kind and worker).
func (w *Worker) Admit(ss *bridge.Session) error {
	kinds := ss.Registration().GetSlotSuppliers()
	if len(kinds) == 0 {
		return nil
	}
	name := fmt.Sprintf("%s (session %s)", ss.Identity(), ss.ID())
	a := slots.NewAppSupplier(name, func(r *bridgev1.SlotRequest) error {
		return ss.Send(&bridgev1.ConnectResponse{Message: &bridgev1.ConnectResponse_SlotRequest{SlotRequest: r}})
	}, w.log)
	var attached []*slots.AppServed
	for _, sk := range kinds {
		k, _ := slots.KindOf(sk) // the bridge checked the kinds
		s := w.kindSlots(k)
		if s == nil {
			continue
		}
		if err := s.Attach(a); err != nil {
			for _, d := range attached {
				d.Detach(a)
			}
			a.Close()
			return status.Errorf(codes.FailedPrecondition,
				"register.slot_suppliers: the %s slots of task queue %q are already served by the slot supplier of app %s; the sidecar takes one app-served slot supplier per kind, task queue and deployment version. Run this app without its custom slot supplier for %s (it then shares the other app's), or give it its own sidecar or task queue",
				k, w.opts.TaskQueue, err.(*slots.ErrSupplied).By, k)
		}
		attached = append(attached, s)
	}
	w.appSuppliers.Store(ss, a)
	return nil
}

// slotAnswer routes an app's SlotResponse to its supplier.
func (w *Worker) slotAnswer(ss *bridge.Session, r *bridgev1.SlotResponse) {
	if a, ok := w.appSuppliers.Load(ss); ok {
		a.(*slots.AppSupplier).Answer(r)
	}
}

// slotsClosed ends the slot supplier of a session that ended: the kinds it
// served go back to the sidecar's own suppliers.
func (w *Worker) slotsClosed(ss *bridge.Session) {
	v, ok := w.appSuppliers.LoadAndDelete(ss)
	if !ok {
		return
	}
	a := v.(*slots.AppSupplier)
	for k := range task.NumKinds {
		if s := w.kindSlots(k); s != nil {
			s.Detach(a)
		}
	}
	a.Close()
}

// describeSlot records on the task's permit what occupies its slot, for a
// supplier that tells its app (SlotMarkUsed, SlotRelease).
func describeWorkflowSlot(t *workflowservice.PollWorkflowTaskQueueResponse, i *slots.Info) {
	i.Type = t.GetWorkflowType().GetName()
}

func describeActivitySlot(t *workflowservice.PollActivityTaskQueueResponse, i *slots.Info) {
	i.Type = t.GetActivityType().GetName()
}

func describeNexusSlot(t *workflowservice.PollNexusTaskQueueResponse, i *slots.Info) {
	if s := t.GetRequest().GetStartOperation(); s != nil {
		i.Type, i.Operation = s.GetService(), s.GetOperation()
	} else if c := t.GetRequest().GetCancelOperation(); c != nil {
		i.Type, i.Operation = c.GetService(), c.GetOperation()
	}
}

// usedOnDelivery defers a poller's MarkUsed to delivery, where the task is
// known and its permit can say what occupies the slot: the poller marks a
// permit used just before it delivers the task, and runPoller's delivery
// marks it with the task's description instead.
type usedOnDelivery struct{ slots.Supplier }

func (usedOnDelivery) MarkUsed(*slots.Permit) {}

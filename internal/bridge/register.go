package bridge

import (
	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/task"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"strings"
)

// ProtocolVersion is the bridge protocol version this sidecar speaks.
const ProtocolVersion = 1

// checkRegister validates an app's registration on its own and against the
// sidecar's namespace. Its errors are gRPC statuses whose messages tell the
// app's author what to fix.
func checkRegister(r *bridgev1.Register, namespace string) error {
	switch v := r.GetProtocolVersion(); {
	case v == 0:
		return status.Errorf(codes.InvalidArgument,
			"register.protocol_version is required; this sidecar speaks bridge protocol version %d", ProtocolVersion)
	case v != ProtocolVersion:
		return status.Errorf(codes.FailedPrecondition,
			"bridge protocol version %d is not supported: this sidecar speaks version %d; use a client library built for version %d or a sidecar that speaks %d",
			v, ProtocolVersion, ProtocolVersion, v)
	}
	if r.GetIdentity() == "" {
		return invalid("register.identity is required (for example \"<pid>@<host>\")")
	}
	if ns := r.GetNamespace(); ns != "" && ns != namespace {
		return status.Errorf(codes.FailedPrecondition,
			"register.namespace %q is not the sidecar's namespace %q; a sidecar works in the one namespace of its --namespace (TEMPORAL_NAMESPACE): point the app at a sidecar for %q",
			ns, namespace, ns)
	}
	if err := uniqueNames("register.workflows", r.GetWorkflows(), (*bridgev1.WorkflowRegistration).GetName); err != nil {
		return err
	}
	if err := uniqueNames("register.activities", r.GetActivities(), (*bridgev1.ActivityRegistration).GetName); err != nil {
		return err
	}
	if err := uniqueNames("register.nexus_services", r.GetNexusServices(), (*bridgev1.NexusServiceRegistration).GetName); err != nil {
		return err
	}
	if err := checkDeployment(r.GetDeployment()); err != nil {
		return err
	}
	wf := len(r.GetWorkflows()) > 0 || r.GetDynamicWorkflow()
	act := len(r.GetActivities()) > 0 || r.GetDynamicActivity()
	nx := len(r.GetNexusServices()) > 0
	if r.GetReplayOnly() {
		if !wf {
			return invalid("register.replay_only: a replay-only session replays workflow code; register at least one workflow type (or dynamic_workflow)")
		}
		if act || nx {
			return invalid("register.replay_only: a replay-only session runs no activities or Nexus operations; register them on a session without replay_only")
		}
	}
	if !wf && !act && !nx {
		return invalid("the registration offers no work: register at least one workflow type, activity type or Nexus service")
	}
	if err := checkOffer("register.capacity", wf, act, nx, r.GetCapacity(), ""); err != nil {
		return err
	}
	return checkSlotSuppliers(r)
}

// checkSlotSuppliers refuses slot_suppliers the sidecar cannot ask: an
// unknown or repeated kind, a kind the session takes no work of, or any on a
// replay-only session.
func checkSlotSuppliers(r *bridgev1.Register) error {
	kinds := r.GetSlotSuppliers()
	if len(kinds) > 0 && r.GetReplayOnly() {
		return invalid("register.slot_suppliers: a replay-only session takes no tasks, so it supplies no slots; register its slot supplier on a session that runs tasks")
	}
	c := r.GetCapacity()
	offered := map[bridgev1.SlotKind]uint32{
		bridgev1.SlotKind_SLOT_KIND_WORKFLOW:       c.GetWorkflowActivations(),
		bridgev1.SlotKind_SLOT_KIND_ACTIVITY:       c.GetActivities(),
		bridgev1.SlotKind_SLOT_KIND_LOCAL_ACTIVITY: c.GetLocalActivities(),
		bridgev1.SlotKind_SLOT_KIND_NEXUS:          c.GetNexusTasks(),
	}
	seen := map[bridgev1.SlotKind]bool{}
	for i, k := range kinds {
		n, known := offered[k]
		switch {
		case !known:
			return invalid("register.slot_suppliers[%d] is %s: name a slot kind (workflow, activity, local activity or Nexus)", i, k)
		case seen[k]:
			return invalid("register.slot_suppliers lists %s twice", k)
		case n == 0:
			return invalid("register.slot_suppliers[%d] is %s, but register.capacity offers none of that work: a session supplies slots only for the work it takes", i, k)
		}
		seen[k] = true
	}
	return nil
}

// checkDeployment refuses a version the server could not poll as, as
// Temporal's SDKs refuse such deployment options.
func checkDeployment(d *bridgev1.WorkerDeployment) error {
	switch {
	case d == nil:
		return nil
	case d.GetBuildId() == "":
		return invalid("register.deployment.build_id is required: name the build of the app's code (or leave register.deployment unset for the sidecar's --build-id)")
	case d.GetUseVersioning() && d.GetDeploymentName() == "":
		return invalid("register.deployment.deployment_name is required with use_versioning: the server routes versioned tasks by deployment and build")
	case !d.GetUseVersioning() && d.GetDefaultVersioningBehavior() != bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_UNSPECIFIED:
		return invalid("register.deployment.default_versioning_behavior %s needs use_versioning: an unversioned worker reports no versioning behavior", d.GetDefaultVersioningBehavior())
	case strings.Contains(d.GetDeploymentName(), "."):
		// The server's canonical version string joins the two with a dot.
		return invalid("register.deployment.deployment_name %q must not contain '.'", d.GetDeploymentName())
	}
	return nil
}

// checkQueue refuses a registration for another queue than taskQueue.
func checkQueue(r *bridgev1.Register, taskQueue string) error {
	if q := r.GetTaskQueue(); q != "" && q != taskQueue {
		return invalid("register.task_queue %q does not match the sidecar's task queue %q; point the app at a sidecar for %q or change the app's task queue", q, taskQueue, q)
	}
	return nil
}

// checkCore refuses a core protocol version the sidecar does not speak.
func checkCore(r *bridgev1.Register, core CoreCodec) error {
	v := r.GetCoreProtocolVersion()
	switch {
	case v == 0:
		return nil
	case core == nil:
		return status.Errorf(codes.FailedPrecondition,
			"register.core_protocol_version %d: this sidecar does not speak sdk-core's messages; register without core_protocol_version or use a sidecar that does", v)
	case v != core.Version():
		return status.Errorf(codes.FailedPrecondition,
			"register.core_protocol_version %d is not supported: this sidecar speaks core protocol version %d; use an adapter built for version %d",
			v, core.Version(), core.Version())
	}
	return nil
}

// checkCapacity validates a capacity change by the rules of registration.
func checkCapacity(s *Session, c *bridgev1.Capacity) error {
	return checkOffer("capacity", s.ServesKind(task.Workflow), s.ServesKind(task.Activity), s.ServesKind(task.Nexus), c,
		"; send drain to stop receiving work")
}

// checkOffer checks that capacity c offers work of every kind the app
// serves. Activity types with no remote capacity run only as local
// activities, as a worker with no_remote_activities does; local_activities
// may be 0 for an app that runs none.
func checkOffer(field string, wf, act, nx bool, c *bridgev1.Capacity, hint string) error {
	switch {
	case wf && c.GetWorkflowActivations() == 0:
		return invalid("%s.workflow_activations must be at least 1 when workflow types are registered%s", field, hint)
	case nx && c.GetNexusTasks() == 0:
		return invalid("%s.nexus_tasks must be at least 1 when Nexus services are registered%s", field, hint)
	case act && c.GetActivities() == 0 && c.GetLocalActivities() == 0:
		return invalid("%s.activities (or local_activities, for an app that runs its activities only as local activities) must be at least 1 when activity types are registered%s", field, hint)
	}
	return nil
}

// checkVersioningBehaviors refuses a workflow type with no versioning
// behavior when the sidecar uses versioning and has no default, as
// Temporal's SDKs refuse such a worker: the server needs every workflow task
// completion of a versioned worker to say whether the run is pinned.
func checkVersioningBehaviors(r *bridgev1.Register) error {
	const fix = "declare one (pinned or auto-upgrade) for the type, or start the sidecar with --default-versioning-behavior"
	for i, w := range r.GetWorkflows() {
		if w.GetVersioningBehavior() == bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_UNSPECIFIED {
			return status.Errorf(codes.FailedPrecondition,
				"register.workflows[%d].versioning_behavior: workflow type %q has no versioning behavior, and the sidecar runs with --use-versioning and no --default-versioning-behavior; %s",
				i, w.GetName(), fix)
		}
	}
	if r.GetDynamicWorkflow() && r.GetDynamicWorkflowVersioningBehavior() == bridgev1.VersioningBehavior_VERSIONING_BEHAVIOR_UNSPECIFIED {
		return status.Errorf(codes.FailedPrecondition,
			"register.dynamic_workflow_versioning_behavior: the dynamic workflow has no versioning behavior, and the sidecar runs with --use-versioning and no --default-versioning-behavior; %s",
			fix)
	}
	return nil
}

func uniqueNames[T any](field string, items []T, name func(T) string) error {
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		n := name(it)
		if n == "" {
			return invalid("%s[%d].name is empty", field, i)
		}
		if seen[n] {
			return invalid("%s lists %q twice", field, n)
		}
		seen[n] = true
	}
	return nil
}

func invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// kindOf names a ConnectRequest's message as the protocol does, for errors.
func kindOf(m *bridgev1.ConnectRequest) string {
	r := m.ProtoReflect()
	if f := r.WhichOneof(r.Descriptor().Oneofs().ByName("message")); f != nil {
		return string(f.Name())
	}
	return "an empty message"
}

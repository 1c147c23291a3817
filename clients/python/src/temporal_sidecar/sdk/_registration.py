"""A temporalio Worker's options as the sidecar's Register, and the options the
sidecar owns.

sdk-core takes its worker options from temporalio's ``WorkerConfig``; on the
sidecar some of them become the registration (types, capacity, identity,
versioning behaviours), some stay in the app (the cache bound, the graceful
shutdown timeout, both enforced by the adapter) and the rest are the
sidecar's flags (pollers, rate limits, sticky and heartbeat timing).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import nexusrpc
import temporalio.activity
import temporalio.bridge.worker
import temporalio.common
import temporalio.service
import temporalio.worker
import temporalio.workflow

from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2, common_pb2
from temporal_sidecar.sdk._version import CORE_PROTOCOL_VERSION, temporalio_version

logger = logging.getLogger("temporal_sidecar.sdk")

#: What the sidecar's bridge protocol calls this language layer (the SDK name
#: temporalio itself reports to the server).
SDK_NAME = "temporal-python"

#: temporalio's default for every max_concurrent_* (WorkerTuner.create_fixed).
_DEFAULT_SLOTS = 100

#: Options the sidecar sets for every app on a task queue, with the sidecar
#: flag that sets them. An app setting one differently gets a log line: the
#: sidecar's value is in force.
_SIDECAR_OWNED: Mapping[str, str] = {
    "max_concurrent_workflow_task_polls": "--max-workflow-task-pollers",
    "max_concurrent_activity_task_polls": "--max-activity-task-pollers",
    "workflow_task_poller_behavior": "--poller-behavior and --max-workflow-task-pollers",
    "activity_task_poller_behavior": "--poller-behavior and --max-activity-task-pollers",
    "nexus_task_poller_behavior": "--poller-behavior and --max-nexus-task-pollers",
    "nonsticky_to_sticky_poll_ratio": "--nonsticky-to-sticky-poll-ratio",
    "sticky_queue_schedule_to_start_timeout": "--sticky-schedule-to-start-timeout",
    "max_heartbeat_throttle_interval": "--max-heartbeat-throttle-interval",
    "default_heartbeat_throttle_interval": "--default-heartbeat-throttle-interval",
    "max_eager_activity_reservations_per_workflow_task": "--eager-activities",
    "use_worker_versioning": "--use-versioning (build-id based versioning is deprecated: use deployment_config)",
}

#: Options whose silent loss would surprise (a rate limit protects something
#: downstream): refused, naming the sidecar flag to set instead.
_REFUSED: Mapping[str, str] = {
    "max_activities_per_second": "--activities-per-second",
    "max_task_queue_activities_per_second": "--task-queue-activities-per-second",
}


class UnsupportedWorkerOption(ValueError):
    """A temporalio Worker option the sidecar cannot honour for this app."""


def _defaults() -> dict[str, Any]:
    return {
        k: p.default
        for k, p in inspect.signature(temporalio.worker.Worker.__init__).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def check_worker_config(config: Mapping[str, Any]) -> None:
    """Refuses, at Worker construction, the options the sidecar cannot honour."""
    for opt, flag in _REFUSED.items():
        if config.get(opt) is not None:
            raise UnsupportedWorkerOption(
                f"Worker({opt}={config.get(opt)!r}) cannot apply to a worker on the sidecar: the sidecar polls "
                f"for every app on the task queue, so set its {flag} flag instead and drop {opt}"
            )


def _bridge_suppliers(tuner: temporalio.worker.WorkerTuner) -> list[object]:
    holder = tuner._to_bridge_tuner()
    return [
        holder.workflow_slot_supplier,
        holder.activity_slot_supplier,
        holder.local_activity_slot_supplier,
        holder.nexus_slot_supplier,
    ]


#: The bridge's slot kinds, in the order of _bridge_suppliers and _slots.
_SLOT_KINDS = (
    bridge_pb2.SLOT_KIND_WORKFLOW,
    bridge_pb2.SLOT_KIND_ACTIVITY,
    bridge_pb2.SLOT_KIND_LOCAL_ACTIVITY,
    bridge_pb2.SLOT_KIND_NEXUS,
)

#: The capacity offered for a kind a custom slot supplier serves: the
#: supplier bounds the work, as it does on sdk-core, not the capacity.
_CUSTOM_SUPPLIER_CAPACITY = 10_000


def _custom_suppliers(config: Mapping[str, Any]) -> dict[int, temporalio.worker.CustomSlotSupplier]:
    """The tuner's custom slot suppliers, by the bridge's slot kind."""
    tuner = config.get("tuner")
    if tuner is None:
        return {}
    own = (
        tuner._get_workflow_task_slot_supplier(),
        tuner._get_activity_task_slot_supplier(),
        tuner._get_local_activity_task_slot_supplier(),
        tuner._get_nexus_slot_supplier(),
    )
    return {k: s for k, s in zip(_SLOT_KINDS, own) if isinstance(s, temporalio.worker.CustomSlotSupplier)}


def _slots(config: Mapping[str, Any]) -> tuple[list[int], bool]:
    """The app's slots per kind (workflow, activity, local activity, Nexus),
    and whether a resource-based supplier gave any of them (its maximum)."""
    tuner = config.get("tuner")
    if tuner is None:
        return [
            config.get("max_concurrent_workflow_tasks") or _DEFAULT_SLOTS,
            config.get("max_concurrent_activities") or _DEFAULT_SLOTS,
            config.get("max_concurrent_local_activities") or _DEFAULT_SLOTS,
            config.get("max_concurrent_nexus_tasks") or _DEFAULT_SLOTS,
        ], False
    out: list[int] = []
    resource_based = False
    for s in _bridge_suppliers(tuner):
        if isinstance(s, temporalio.bridge.worker.FixedSizeSlotSupplier):
            out.append(s.num_slots)
        elif isinstance(s, temporalio.bridge.worker.ResourceBasedSlotSupplier):
            out.append(s.maximum_slots)
            resource_based = True
        else:  # a custom supplier: the sidecar asks it for each slot
            out.append(_CUSTOM_SUPPLIER_CAPACITY)
    return out, resource_based


@dataclass
class AppSettings:
    """What the adapter enforces on the app's side, from the Worker's options."""

    task_queue: str
    namespace: str
    max_cached_workflows: int
    graceful_shutdown_timeout: timedelta
    # Logged once the sidecar's limits are known (see Registered).
    notes: list[str] = field(default_factory=list)
    resource_based: bool = False
    # The custom slot suppliers the sidecar asks, by slot kind (Register.slot_suppliers).
    slot_suppliers: dict[int, temporalio.worker.CustomSlotSupplier] = field(default_factory=dict)


def _versioning_behavior(b: temporalio.common.VersioningBehavior | None) -> Any:
    # temporalio's VersioningBehavior values are temporal.api's, as are the sidecar's.
    return int(b or 0)


def _deployment(config: Mapping[str, Any]) -> bridge_pb2.WorkerDeployment | None:
    """The Worker's deployment version, as temporalio gives it to sdk-core;
    None (the sidecar's own) when the Worker sets neither deployment_config
    nor build_id."""
    deployment = config.get("deployment_config")
    if deployment is not None:
        versioned = bool(deployment.use_worker_versioning)
        return bridge_pb2.WorkerDeployment(
            deployment_name=deployment.version.deployment_name,
            build_id=deployment.version.build_id,
            use_versioning=versioned,
            default_versioning_behavior=_versioning_behavior(deployment.default_versioning_behavior)
            if versioned
            else common_pb2.VERSIONING_BEHAVIOR_UNSPECIFIED,
        )
    if config.get("build_id"):
        return bridge_pb2.WorkerDeployment(build_id=config["build_id"])
    return None


def build_registration(worker: temporalio.worker.Worker, identity: str) -> tuple[bridge_pb2.Register, AppSettings]:
    """The Register a temporalio Worker's options make, and what the adapter keeps."""
    config: Mapping[str, Any] = worker.config(active_config=True)
    client = worker.client
    defaults = _defaults()

    deployment = config.get("deployment_config")
    default_behavior = temporalio.common.VersioningBehavior.UNSPECIFIED
    if deployment is not None and deployment.use_worker_versioning:
        default_behavior = deployment.default_versioning_behavior

    # Which nondeterminism fails the workflow rather than its task, as
    # temporalio computes it for sdk-core from workflow_failure_exception_types
    # (the Worker's and each workflow's).
    workflow_worker = getattr(worker, "_workflow_worker", None)
    nondeterminism_fails_all = bool(workflow_worker and workflow_worker.nondeterminism_as_workflow_fail())
    nondeterminism_fails_types: set[str] = (
        set(workflow_worker.nondeterminism_as_workflow_fail_for_types()) if workflow_worker else set()
    )

    workflows: list[bridge_pb2.WorkflowRegistration] = []
    dynamic_workflow = False
    dynamic_behavior = common_pb2.VERSIONING_BEHAVIOR_UNSPECIFIED
    for cls in config.get("workflows") or []:
        defn = temporalio.workflow._Definition.must_from_class(cls)
        behavior = defn.versioning_behavior or default_behavior
        if defn.name is None:
            dynamic_workflow = True
            # A dynamic workflow may choose its behaviour per run (dynamic_config);
            # the deployment's default covers the registration.
            dynamic_behavior = _versioning_behavior(behavior)
            continue
        workflows.append(
            bridge_pb2.WorkflowRegistration(
                name=defn.name,
                signals=sorted(k for k in defn.signals if k),
                queries=sorted(k for k in defn.queries if k),
                updates=sorted(k for k in defn.updates if k),
                versioning_behavior=_versioning_behavior(behavior),
                nondeterminism_fails_workflow=defn.name in nondeterminism_fails_types,
            )
        )

    activities: list[bridge_pb2.ActivityRegistration] = []
    dynamic_activity = False
    for fn in config.get("activities") or []:
        adefn = temporalio.activity._Definition.must_from_callable(fn)
        if adefn.name is None:
            dynamic_activity = True
        else:
            activities.append(bridge_pb2.ActivityRegistration(name=adefn.name))

    nexus_services: list[bridge_pb2.NexusServiceRegistration] = []
    for handler in config.get("nexus_service_handlers") or []:
        sdefn = nexusrpc.get_service_definition(type(handler))
        if sdefn is None:
            raise UnsupportedWorkerOption(f"{type(handler).__name__} is not a Nexus service handler")
        nexus_services.append(
            bridge_pb2.NexusServiceRegistration(name=sdefn.name, operations=sorted(sdefn.operation_definitions))
        )

    serves_workflows = bool(config.get("workflows"))
    serves_activities = bool(config.get("activities"))
    no_remote = bool(config.get("no_remote_activities"))
    slots, resource_based = _slots(config)
    capacity = bridge_pb2.Capacity(
        workflow_activations=slots[0] if serves_workflows else 0,
        # As temporalio tells sdk-core: remote activities only with activities
        # and not no_remote_activities; local ones only with workflows too.
        activities=slots[1] if serves_activities and not no_remote else 0,
        local_activities=slots[2] if serves_activities and serves_workflows else 0,
        nexus_tasks=slots[3] if nexus_services else 0,
    )
    # With no_remote_activities the types stay registered with no remote
    # capacity: the sidecar then sends this session their local activities only.
    offered = (capacity.workflow_activations, capacity.activities, capacity.local_activities, capacity.nexus_tasks)
    # The sidecar asks a custom supplier for the kinds this worker takes,
    # as sdk-core asks it for the kinds it polls.
    custom = {k: s for k, s in _custom_suppliers(config).items() if offered[_SLOT_KINDS.index(k)] > 0}

    register = bridge_pb2.Register(
        protocol_version=1,
        core_protocol_version=CORE_PROTOCOL_VERSION,
        identity=config.get("identity") or identity,
        sdk_name=SDK_NAME,
        sdk_version=temporalio_version(),
        task_queue=config["task_queue"],
        namespace=client.namespace,
        workflows=workflows,
        activities=activities,
        nexus_services=nexus_services,
        capacity=capacity,
        dynamic_workflow=dynamic_workflow,
        dynamic_activity=dynamic_activity,
        dynamic_workflow_versioning_behavior=dynamic_behavior,
        nondeterminism_fails_workflow=nondeterminism_fails_all,
        deployment=_deployment(config),
        slot_suppliers=[cast(Any, k) for k in sorted(custom)],
    )

    settings = AppSettings(
        task_queue=config["task_queue"],
        namespace=client.namespace,
        max_cached_workflows=int(config.get("max_cached_workflows", defaults.get("max_cached_workflows", 1000))),
        graceful_shutdown_timeout=config.get("graceful_shutdown_timeout") or timedelta(),
        resource_based=resource_based,
        slot_suppliers=custom,
    )
    for opt, flag in _SIDECAR_OWNED.items():
        if opt in config and opt in defaults and config[opt] != defaults[opt]:
            settings.notes.append(f"{opt}={config[opt]!r} is the sidecar's to set ({flag}); the sidecar's value is in force")
    if resource_based:
        settings.notes.append(
            "the Worker's resource-based tuner offers its maximum slots; the sidecar's --tuner decides how many are used"
        )
    return register, settings

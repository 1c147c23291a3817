"""Slot suppliers and worker tuners, in the shapes of temporalio's tuning API
(``temporalio.worker``'s ``WorkerTuner``, ``CustomSlotSupplier`` and friends).

Pass a :py:class:`WorkerTuner` as ``Worker(tuner=...)`` instead of the
``max_concurrent_*`` options. Per kind of task:

* :py:class:`FixedSizeSlotSupplier` offers ``num_slots`` tasks at once.
* :py:class:`ResourceBasedSlotSupplier` offers its ``maximum_slots``; how
  many of them are used is decided by the sidecar's own resource-based
  supplier (``--tuner resource-based`` or ``--*-slot-supplier resource-based``
  with its ``--tuner-target-*``), which steers by the memory and CPU this
  process reports (see :py:class:`temporal_sidecar.worker.Worker`). Its
  ``minimum_slots``, ``ramp_throttle`` and tuner targets are the sidecar's to set.
* A :py:class:`CustomSlotSupplier` decides every slot: the sidecar asks it
  before each poll of the kind (the bridge's ``SlotRequest``), and tells it
  when the slot is used and released, as sdk-core asks temporalio's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, TypeAlias

__all__ = [
    "ActivitySlotInfo",
    "CustomSlotSupplier",
    "FixedSizeSlotSupplier",
    "LocalActivitySlotInfo",
    "NexusSlotInfo",
    "ResourceBasedSlotConfig",
    "ResourceBasedSlotSupplier",
    "ResourceBasedTunerConfig",
    "SlotInfo",
    "SlotMarkUsedContext",
    "SlotPermit",
    "SlotReleaseContext",
    "SlotReserveContext",
    "SlotSupplier",
    "WorkerDeploymentVersion",
    "WorkerTuner",
    "WorkflowSlotInfo",
]


@dataclass(frozen=True)
class WorkerDeploymentVersion:
    """A worker deployment version, as temporalio.common's."""

    deployment_name: str
    build_id: str


class SlotPermit:
    """A permit to use a slot. Subclass it to carry your own data."""


@dataclass(frozen=True)
class SlotReserveContext:
    """What a slot is reserved for."""

    slot_type: Literal["workflow", "activity", "local-activity", "nexus"]
    task_queue: str
    worker_identity: str
    #: Deprecated in temporalio; use worker_deployment_version.
    worker_build_id: str
    worker_deployment_version: WorkerDeploymentVersion | None
    #: The slot is for a poll of the sticky queue (workflow tasks only).
    is_sticky: bool


@dataclass(frozen=True)
class WorkflowSlotInfo:
    """A workflow task occupies the slot."""

    workflow_type: str
    is_sticky: bool


@dataclass(frozen=True)
class ActivitySlotInfo:
    """An activity task occupies the slot."""

    activity_type: str


@dataclass(frozen=True)
class LocalActivitySlotInfo:
    """A local activity occupies the slot."""

    activity_type: str


@dataclass(frozen=True)
class NexusSlotInfo:
    """A Nexus task occupies the slot."""

    service: str
    operation: str


SlotInfo: TypeAlias = WorkflowSlotInfo | ActivitySlotInfo | LocalActivitySlotInfo | NexusSlotInfo


@dataclass(frozen=True)
class SlotMarkUsedContext:
    """A task now occupies the slot of ``permit``."""

    slot_info: SlotInfo
    permit: SlotPermit


@dataclass(frozen=True)
class SlotReleaseContext:
    """The slot of ``permit`` is free again; ``slot_info`` is None if no task used it."""

    slot_info: SlotInfo | None
    permit: SlotPermit


class CustomSlotSupplier(ABC):
    """Your own slot supplier, as temporalio's ``CustomSlotSupplier``.

    The worker calls it on its event loop. ``reserve_slot`` may wait as long
    as it likes (the sidecar cancels it when it stops waiting, and asks again
    if it raises); the other methods must not block."""

    @abstractmethod
    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        """Waits for a slot and returns its permit."""

    @abstractmethod
    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        """A slot's permit if one is free now, else None (eager activities)."""

    @abstractmethod
    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        """A task now occupies the slot."""

    @abstractmethod
    def release_slot(self, ctx: SlotReleaseContext) -> None:
        """The slot is free again."""


@dataclass(frozen=True)
class FixedSizeSlotSupplier:
    """At most ``num_slots`` tasks at once."""

    num_slots: int


@dataclass(frozen=True)
class ResourceBasedTunerConfig:
    """Memory and CPU targets, from 0 to 1. On the sidecar its own
    ``--tuner-target-memory`` and ``--tuner-target-cpu`` are in force."""

    target_memory_usage: float
    target_cpu_usage: float


@dataclass(frozen=True)
class ResourceBasedSlotConfig:
    """One kind's resource-based slots. The worker offers ``maximum_slots``
    (default 500); the sidecar's own per-kind options give the rest."""

    minimum_slots: int | None = None
    maximum_slots: int | None = None
    ramp_throttle: timedelta | None = None


@dataclass(frozen=True)
class ResourceBasedSlotSupplier:
    """Slots that follow memory and CPU use (see the module's doc)."""

    slot_config: ResourceBasedSlotConfig
    tuner_config: ResourceBasedTunerConfig


SlotSupplier: TypeAlias = FixedSizeSlotSupplier | ResourceBasedSlotSupplier | CustomSlotSupplier

#: The slots a resource-based supplier offers when it names no maximum, as temporalio.
_DEFAULT_RESOURCE_SLOTS_MAX = 500


class WorkerTuner(ABC):
    """A slot supplier per kind of task, as temporalio's ``WorkerTuner``."""

    @classmethod
    def create_resource_based(
        cls,
        *,
        target_memory_usage: float,
        target_cpu_usage: float,
        workflow_config: ResourceBasedSlotConfig | None = None,
        activity_config: ResourceBasedSlotConfig | None = None,
        local_activity_config: ResourceBasedSlotConfig | None = None,
        nexus_config: ResourceBasedSlotConfig | None = None,
    ) -> WorkerTuner:
        """Every kind resource-based."""
        t = ResourceBasedTunerConfig(target_memory_usage, target_cpu_usage)
        return _CompositeTuner(
            *(
                ResourceBasedSlotSupplier(c or ResourceBasedSlotConfig(), t)
                for c in (workflow_config, activity_config, local_activity_config, nexus_config)
            )
        )

    @classmethod
    def create_fixed(
        cls,
        *,
        workflow_slots: int | None = None,
        activity_slots: int | None = None,
        local_activity_slots: int | None = None,
        nexus_slots: int | None = None,
    ) -> WorkerTuner:
        """Every kind fixed-size; an unset number is 100."""
        return _CompositeTuner(
            *(
                FixedSizeSlotSupplier(n or 100)
                for n in (workflow_slots, activity_slots, local_activity_slots, nexus_slots)
            )
        )

    @classmethod
    def create_composite(
        cls,
        *,
        workflow_supplier: SlotSupplier,
        activity_supplier: SlotSupplier,
        local_activity_supplier: SlotSupplier,
        nexus_supplier: SlotSupplier,
    ) -> WorkerTuner:
        """A supplier of your choice per kind."""
        return _CompositeTuner(workflow_supplier, activity_supplier, local_activity_supplier, nexus_supplier)

    @abstractmethod
    def _get_workflow_task_slot_supplier(self) -> SlotSupplier: ...

    @abstractmethod
    def _get_activity_task_slot_supplier(self) -> SlotSupplier: ...

    @abstractmethod
    def _get_local_activity_task_slot_supplier(self) -> SlotSupplier: ...

    @abstractmethod
    def _get_nexus_slot_supplier(self) -> SlotSupplier: ...

    def _suppliers(self) -> tuple[SlotSupplier, SlotSupplier, SlotSupplier, SlotSupplier]:
        """Workflow, activity, local activity and Nexus suppliers."""
        return (
            self._get_workflow_task_slot_supplier(),
            self._get_activity_task_slot_supplier(),
            self._get_local_activity_task_slot_supplier(),
            self._get_nexus_slot_supplier(),
        )


@dataclass(frozen=True)
class _CompositeTuner(WorkerTuner):
    workflow_slot_supplier: SlotSupplier
    activity_slot_supplier: SlotSupplier
    local_activity_slot_supplier: SlotSupplier
    nexus_slot_supplier: SlotSupplier

    def _get_workflow_task_slot_supplier(self) -> SlotSupplier:
        return self.workflow_slot_supplier

    def _get_activity_task_slot_supplier(self) -> SlotSupplier:
        return self.activity_slot_supplier

    def _get_local_activity_task_slot_supplier(self) -> SlotSupplier:
        return self.local_activity_slot_supplier

    def _get_nexus_slot_supplier(self) -> SlotSupplier:
        return self.nexus_slot_supplier


def _offer(s: SlotSupplier, custom_capacity: int) -> int:
    """The capacity a worker offers for a kind its supplier s serves: a
    custom supplier bounds the work itself, so it gets custom_capacity."""
    if isinstance(s, FixedSizeSlotSupplier):
        return s.num_slots
    if isinstance(s, ResourceBasedSlotSupplier):
        return s.slot_config.maximum_slots or _DEFAULT_RESOURCE_SLOTS_MAX
    return custom_capacity

"""A temporalio Worker's custom slot suppliers, served to the sidecar.

The serving is temporal_sidecar._slots's, which the native worker shares;
here are only temporalio's context shapes: its SlotReserveContext (a
protocol there, whose worker_deployment_version is temporalio.common's) and
its SlotReleaseContext class. Slot infos and SlotMarkUsedContext are
temporal_sidecar.tuning's dataclasses, which have the attributes of
temporalio's protocols.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import cast

import temporalio.common
import temporalio.worker

from temporal_sidecar import _slots
from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2

logger = logging.getLogger("temporal_sidecar.sdk")


@dataclass(frozen=True)
class SlotReserveContext:
    """temporalio's ``SlotReserveContext``, from the sidecar's."""

    slot_type: str
    task_queue: str
    worker_identity: str
    worker_build_id: str
    worker_deployment_version: temporalio.common.WorkerDeploymentVersion | None
    is_sticky: bool


def reserve_context(rc: bridge_pb2.SlotReserveContext) -> temporalio.worker.SlotReserveContext:
    version = None
    if rc.worker_build_id:
        version = temporalio.common.WorkerDeploymentVersion(
            deployment_name=rc.worker_deployment_name, build_id=rc.worker_build_id
        )
    ctx = SlotReserveContext(
        slot_type=_slots.SLOT_TYPES.get(rc.slot_kind, "unknown"),
        task_queue=rc.task_queue,
        worker_identity=rc.worker_identity,
        worker_build_id=rc.worker_build_id,
        worker_deployment_version=version,
        is_sticky=rc.is_sticky,
    )
    # temporalio's is a protocol (sdk-core's object has the same attributes).
    return cast(temporalio.worker.SlotReserveContext, ctx)


class SlotSuppliers(_slots.SlotSuppliers):
    """Answers one session's slot requests with the Worker's custom suppliers."""

    def __init__(
        self,
        suppliers: Mapping[int, temporalio.worker.CustomSlotSupplier],
        send: Callable[[bridge_pb2.ConnectRequest], bool],
    ) -> None:
        super().__init__(
            suppliers,
            send,
            logger=logger,
            reserve_context=reserve_context,
            release_context=temporalio.worker.SlotReleaseContext,
        )

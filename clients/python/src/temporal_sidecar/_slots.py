"""Serves a session's slot requests with the app's custom slot suppliers.

When a worker's tuner has a custom slot supplier for a kind, its
registration lists that kind in ``slot_suppliers``; the sidecar then asks the
session before each poll of the kind (``SlotRequest``), and
:py:class:`SlotSuppliers` answers by calling the supplier, as temporalio's
Rust bridge calls it for sdk-core:

* ``reserve`` runs ``reserve_slot`` as an asyncio task; its permit (or its
  exception, logged as temporalio logs it) goes back in a ``SlotResponse``.
  The sidecar asks again after an exception, as sdk-core does. ``cancel``
  cancels the task, as sdk-core cancels the reserve future.
* ``try_reserve`` calls ``try_reserve_slot``; ``None`` or an exception is no
  slot.
* ``mark_used`` and ``release`` call ``mark_slot_used`` / ``release_slot``
  with the permit the supplier returned and the slot info; their exceptions
  are logged and ignored, as temporalio's are.

Permits are the user's objects and stay here, keyed by the request that
reserved them. When the session ends the sidecar can no longer release
them, so they are released here (with the slot info of a used one).

The native worker (:py:mod:`temporal_sidecar.tuning`'s shapes) and the
temporalio adapter (temporalio's) share this; they differ only in the
context objects the supplier is handed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from temporal_sidecar import tuning
from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2

#: The slot type names a SlotReserveContext carries.
SLOT_TYPES: Mapping[int, str] = {
    bridge_pb2.SLOT_KIND_WORKFLOW: "workflow",
    bridge_pb2.SLOT_KIND_ACTIVITY: "activity",
    bridge_pb2.SLOT_KIND_LOCAL_ACTIVITY: "local-activity",
    bridge_pb2.SLOT_KIND_NEXUS: "nexus",
}


def reserve_context(rc: bridge_pb2.SlotReserveContext) -> tuning.SlotReserveContext:
    version = None
    if rc.worker_build_id:
        version = tuning.WorkerDeploymentVersion(deployment_name=rc.worker_deployment_name, build_id=rc.worker_build_id)
    return tuning.SlotReserveContext(
        slot_type=SLOT_TYPES.get(rc.slot_kind, "unknown"),  # type: ignore[arg-type]
        task_queue=rc.task_queue,
        worker_identity=rc.worker_identity,
        worker_build_id=rc.worker_build_id,
        worker_deployment_version=version,
        is_sticky=rc.is_sticky,
    )


def slot_info(i: bridge_pb2.SlotInfo) -> tuning.SlotInfo | None:
    if i.slot_kind == bridge_pb2.SLOT_KIND_WORKFLOW:
        return tuning.WorkflowSlotInfo(workflow_type=i.workflow_type, is_sticky=i.is_sticky)
    if i.slot_kind == bridge_pb2.SLOT_KIND_ACTIVITY:
        return tuning.ActivitySlotInfo(activity_type=i.activity_type)
    if i.slot_kind == bridge_pb2.SLOT_KIND_LOCAL_ACTIVITY:
        return tuning.LocalActivitySlotInfo(activity_type=i.activity_type)
    if i.slot_kind == bridge_pb2.SLOT_KIND_NEXUS:
        return tuning.NexusSlotInfo(service=i.nexus_service, operation=i.nexus_operation)
    return None


@dataclass
class _Held:
    permit: Any
    supplier: Any
    info: Any = None  # the slot info once used


class SlotSuppliers:
    """Answers one session's slot requests with the worker's custom
    suppliers (by the bridge's slot kind); a new instance serves each
    session, since request ids are the sidecar's, per session.

    ``reserve_context`` and ``release_context`` make the contexts the
    suppliers are handed; the default are :py:mod:`temporal_sidecar.tuning`'s.
    """

    def __init__(
        self,
        suppliers: Mapping[int, Any],
        send: Callable[[bridge_pb2.ConnectRequest], Any],
        *,
        logger: logging.Logger,
        reserve_context: Callable[[bridge_pb2.SlotReserveContext], Any] = reserve_context,
        release_context: Callable[..., Any] = tuning.SlotReleaseContext,
    ) -> None:
        self._suppliers = suppliers
        self._send = send
        self._log = logger
        self._reserve_context = reserve_context
        self._release_context = release_context
        self._reserving: dict[int, asyncio.Task[Any]] = {}
        self._held: dict[int, _Held] = {}
        self._ended = False

    def handle(self, r: bridge_pb2.SlotRequest) -> None:
        kind = r.WhichOneof("request")
        if kind == "reserve":
            self._reserve(r.request_id, r.reserve)
        elif kind == "try_reserve":
            self._try_reserve(r.request_id, r.try_reserve)
        elif kind == "cancel":
            task = self._reserving.pop(r.request_id, None)
            if task is not None:
                task.cancel()
        elif kind == "mark_used":
            held = self._held.get(r.request_id)
            if held is None:
                self._log.warning("the sidecar marked used a slot this worker did not grant (request %d)", r.request_id)
                return
            held.info = slot_info(r.mark_used.slot_info)
            try:
                held.supplier.mark_slot_used(tuning.SlotMarkUsedContext(slot_info=held.info, permit=held.permit))
            except Exception:
                self._log.warning("Error in custom slot supplier `mark_slot_used`", exc_info=True)
        elif kind == "release":
            held = self._held.pop(r.request_id, None)
            if held is None:
                self._log.warning("the sidecar released a slot this worker did not grant (request %d)", r.request_id)
                return
            info = slot_info(r.release.slot_info) if r.release.HasField("slot_info") else None
            self._release(held, info)

    def _supplier(self, rc: bridge_pb2.SlotReserveContext) -> Any:
        s = self._suppliers.get(rc.slot_kind)
        if s is None:
            self._log.warning("the sidecar asked for a %s slot, which this worker does not supply", SLOT_TYPES.get(rc.slot_kind))
        return s

    def _answer(self, request_id: int, **result: Any) -> None:
        self._send(bridge_pb2.ConnectRequest(slot_response=bridge_pb2.SlotResponse(request_id=request_id, **result)))

    def _reserve(self, request_id: int, rc: bridge_pb2.SlotReserveContext) -> None:
        supplier = self._supplier(rc)
        if supplier is None:
            self._answer(request_id, error="this worker has no slot supplier for the kind")
            return
        task = asyncio.get_running_loop().create_task(supplier.reserve_slot(self._reserve_context(rc)))
        self._reserving[request_id] = task

        def done(t: asyncio.Task[Any]) -> None:
            if self._reserving.get(request_id) is t:
                del self._reserving[request_id]
            if t.cancelled():
                return  # the sidecar withdrew it, or the session ended
            err = t.exception()
            if err is not None:
                self._log.warning("Error in custom slot supplier `reserve_slot`", exc_info=err)
                if not self._ended:
                    self._answer(request_id, error=f"{type(err).__name__}: {err}")
                return
            self._granted(request_id, t.result(), supplier)

        task.add_done_callback(done)

    def _try_reserve(self, request_id: int, rc: bridge_pb2.SlotReserveContext) -> None:
        supplier = self._supplier(rc)
        if supplier is None:
            self._answer(request_id, no_slot=True)
            return
        try:
            permit = supplier.try_reserve_slot(self._reserve_context(rc))
        except Exception as err:
            self._log.warning("Error in custom slot supplier `try_reserve_slot`", exc_info=True)
            self._answer(request_id, error=f"{type(err).__name__}: {err}")
            return
        if permit is None:
            self._answer(request_id, no_slot=True)
            return
        self._granted(request_id, permit, supplier)

    def _granted(self, request_id: int, permit: Any, supplier: Any) -> None:
        held = _Held(permit=permit, supplier=supplier)
        if self._ended:  # nobody can use or release it: give it back now
            self._release(held, None)
            return
        self._held[request_id] = held
        self._answer(request_id, permit=bridge_pb2.SlotPermit())

    def _release(self, held: _Held, info: Any) -> None:
        try:
            held.supplier.release_slot(self._release_context(slot_info=info, permit=held.permit))
        except Exception:
            self._log.warning("Error in custom slot supplier `release_slot`", exc_info=True)

    def session_ended(self) -> None:
        """The sidecar forgot this session's slots: stop reserving, and
        release every slot it held, as sdk-core releases a permit it drops."""
        self._ended = True
        for task in self._reserving.values():
            task.cancel()
        self._reserving.clear()
        held, self._held = self._held, {}
        for h in held.values():
            self._release(h, h.info)

"""A temporalio Worker's custom slot suppliers on the real sidecar: the
sidecar asks the Worker's CustomSlotSupplier for each slot before it polls,
through temporal_sidecar.sdk, and the supplier decides how much runs at once,
as it does on sdk-core."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import temporalio.client
import temporalio.worker
from temporalio import activity, workflow
from temporalio.worker import (
    ActivitySlotInfo,
    CustomSlotSupplier,
    FixedSizeSlotSupplier,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
    WorkerTuner,
    WorkflowSlotInfo,
)

from conftest import NAMESPACE, DevServer, _free_port
from temporal_sidecar.sdk import SidecarPlugin
from test_sdk_e2e import SidecarProcess, start_sidecar

_running = 0
_most_running = 0


@activity.defn
async def busy(n: int) -> int:
    global _running, _most_running
    _running += 1
    _most_running = max(_most_running, _running)
    try:
        await asyncio.sleep(0.2)
    finally:
        _running -= 1
    return n


@workflow.defn(sandboxed=False)
class FanOut:
    @workflow.run
    async def run(self, n: int) -> int:
        got = await asyncio.gather(
            *(
                workflow.execute_activity(busy, i, start_to_close_timeout=timedelta(seconds=30))
                for i in range(n)
            )
        )
        return sum(got)


class Permit(SlotPermit):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n


class Recording(CustomSlotSupplier):
    """Grants at most ``limit`` slots at once and records every call."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self.held = 0
        self.most_held = 0
        self.reserved = 0
        self.reserves: list[SlotReserveContext] = []
        self.used: list[SlotMarkUsedContext] = []
        self.released: list[SlotReleaseContext] = []
        self._freed = asyncio.Event()

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        self.reserves.append(ctx)
        while self.limit is not None and self.held >= self.limit:
            self._freed.clear()
            await self._freed.wait()
        return self._grant()

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        self.reserves.append(ctx)
        if self.limit is not None and self.held >= self.limit:
            return None
        return self._grant()

    def _grant(self) -> SlotPermit:
        self.held += 1
        self.most_held = max(self.most_held, self.held)
        self.reserved += 1
        return Permit(self.reserved)

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        assert isinstance(ctx.permit, Permit)
        self.used.append(ctx)

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        assert isinstance(ctx.permit, Permit)
        self.released.append(ctx)
        self.held -= 1
        self._freed.set()


@pytest.fixture(scope="module")
def sidecar(dev_server: DevServer, sidecar_binary: Path, work_dir: Path) -> Iterator[SidecarProcess]:
    sc = start_sidecar(
        sidecar_binary, dev_server, f"127.0.0.1:{_free_port()}", work_dir / f"slots-sidecar-{uuid.uuid4().hex[:6]}.log"
    )
    yield sc
    sc.stop()


@pytest.fixture
async def app_client(sidecar: SidecarProcess) -> temporalio.client.Client:
    return await temporalio.client.Client.connect(
        "temporal.invalid:7233", namespace=NAMESPACE, plugins=[SidecarPlugin(sidecar.target)]
    )


async def test_the_worker_reports_its_memory_and_cpu(
    app_client: temporalio.client.Client, sidecar: SidecarProcess
) -> None:
    # For the sidecar's resource-based slot suppliers, as temporal_sidecar.Worker reports.
    tq = f"sdk-usage-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(app_client, task_queue=tq, activities=[busy], identity="usage-app"):

        def seen() -> bool:
            return any(
                "the app reports its memory and CPU use" in line and "usage-app" in line
                for line in sidecar.log.read_text(errors="replace").splitlines()
            )

        async def reported() -> None:
            while not seen():
                await asyncio.sleep(0.05)

        await asyncio.wait_for(reported(), 10)


async def test_the_workers_custom_slot_supplier_decides_what_runs_at_once(app_client: temporalio.client.Client) -> None:
    global _most_running
    _most_running = 0
    workflows, activities, local = Recording(), Recording(limit=2), Recording()
    tuner = WorkerTuner.create_composite(
        workflow_supplier=workflows,
        activity_supplier=activities,
        local_activity_supplier=local,
        nexus_supplier=FixedSizeSlotSupplier(10),
    )
    tq = f"sdk-slots-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(
        app_client, task_queue=tq, workflows=[FanOut], activities=[busy], tuner=tuner, identity="slots-app"
    ):
        got = await asyncio.wait_for(
            app_client.execute_workflow(FanOut.run, 8, id=f"fanout-{uuid.uuid4().hex[:8]}", task_queue=tq), 60
        )
        assert got == sum(range(8))
    # The sidecar has 200 activity slots and the app offers thousands: the
    # supplier's two are what held.
    assert _most_running == 2
    assert activities.most_held == 2

    assert {c.slot_type for c in activities.reserves} == {"activity"}
    assert all(c.task_queue == tq and c.worker_identity and not c.is_sticky for c in activities.reserves)
    assert len(activities.used) == 8
    assert all(isinstance(u.slot_info, ActivitySlotInfo) and u.slot_info.activity_type == "busy" for u in activities.used)
    used_releases = [r for r in activities.released if r.slot_info is not None]
    assert len(used_releases) == 8
    assert all(r.slot_info.activity_type == "busy" for r in used_releases)  # type: ignore[union-attr]
    # Every slot granted was given back once the worker stopped.
    assert activities.held == 0 and workflows.held == 0 and local.held == 0

    # Workflow slots: normal and sticky polls, the used ones with the type.
    assert {c.slot_type for c in workflows.reserves} == {"workflow"}
    assert {c.is_sticky for c in workflows.reserves} == {True, False}
    assert workflows.used and all(
        isinstance(u.slot_info, WorkflowSlotInfo) and u.slot_info.workflow_type == "FanOut" for u in workflows.used
    )
    # A local activity slot is reserved ahead, as sdk-core reserves one; none was used.
    assert {c.slot_type for c in local.reserves} == {"local-activity"}
    assert not local.used
    assert all(r.slot_info is None for r in local.released)


class Throwing(CustomSlotSupplier):
    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def _count(self, what: str) -> None:
        self.calls[what] = self.calls.get(what, 0) + 1

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        self._count("reserve")
        if self.calls["reserve"] < 3:
            raise ValueError("not yet")
        return SlotPermit()

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        raise ValueError("never")

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        self._count("used")
        raise ValueError("never")

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        self._count("release")
        raise ValueError("never")


async def test_a_failing_supplier_is_asked_again_and_its_errors_are_logged(
    app_client: temporalio.client.Client, caplog: Any
) -> None:
    supplier = Throwing()
    fixed = FixedSizeSlotSupplier(10)
    tuner = WorkerTuner.create_composite(
        workflow_supplier=fixed, activity_supplier=supplier, local_activity_supplier=fixed, nexus_supplier=fixed
    )
    tq = f"sdk-throwing-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(app_client, task_queue=tq, workflows=[FanOut], activities=[busy], tuner=tuner):
        got = await asyncio.wait_for(
            app_client.execute_workflow(FanOut.run, 1, id=f"throwing-{uuid.uuid4().hex[:8]}", task_queue=tq), 60
        )
    assert got == 0
    assert supplier.calls["reserve"] >= 3 and supplier.calls["used"] >= 1 and supplier.calls["release"] >= 1
    logged = caplog.text
    assert "Error in custom slot supplier `reserve_slot`" in logged
    assert "Error in custom slot supplier `mark_slot_used`" in logged
    assert "Error in custom slot supplier `release_slot`" in logged

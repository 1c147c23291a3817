"""temporal_sidecar's tuning API on the real sidecar: a composite tuner whose
custom activity supplier grants two slots keeps two activities in flight,
as temporalio's does on sdk-core; and the worker reports its memory and CPU
use to the sidecar."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from conftest import WfEnv
from temporal_sidecar import activity, workflow
from temporal_sidecar._usage import Sampler
from temporal_sidecar.tuning import (
    ActivitySlotInfo,
    CustomSlotSupplier,
    FixedSizeSlotSupplier,
    SlotMarkUsedContext,
    SlotPermit,
    SlotReleaseContext,
    SlotReserveContext,
    WorkerTuner,
)
from temporal_sidecar.worker import Worker

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


@workflow.defn
class FanOut:
    @workflow.run
    async def run(self, n: int) -> int:
        got = await asyncio.gather(
            *(workflow.execute_activity(busy, i, start_to_close_timeout=timedelta(seconds=30)) for i in range(n))
        )
        return sum(got)


class Permit(SlotPermit):
    def __init__(self, n: int) -> None:
        self.n = n


class Limited(CustomSlotSupplier):
    """Grants at most ``limit`` slots at once and records every call."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self.most_held = 0
        self.granted = 0
        self.reserves: list[SlotReserveContext] = []
        self.used: list[SlotMarkUsedContext] = []
        self.released: list[SlotReleaseContext] = []
        self._freed = asyncio.Event()

    async def reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit:
        self.reserves.append(ctx)
        while self.held >= self.limit:
            self._freed.clear()
            await self._freed.wait()
        return self._grant()

    def try_reserve_slot(self, ctx: SlotReserveContext) -> SlotPermit | None:
        self.reserves.append(ctx)
        return None if self.held >= self.limit else self._grant()

    def _grant(self) -> SlotPermit:
        self.held += 1
        self.most_held = max(self.most_held, self.held)
        self.granted += 1
        return Permit(self.granted)

    def mark_slot_used(self, ctx: SlotMarkUsedContext) -> None:
        self.used.append(ctx)

    def release_slot(self, ctx: SlotReleaseContext) -> None:
        assert isinstance(ctx.permit, Permit)
        self.released.append(ctx)
        self.held -= 1
        self._freed.set()


async def test_a_custom_activity_supplier_keeps_two_activities_in_flight(wf_env: WfEnv) -> None:
    global _most_running
    _most_running = 0
    activities = Limited(2)
    tuner = WorkerTuner.create_composite(
        workflow_supplier=FixedSizeSlotSupplier(10),
        activity_supplier=activities,
        local_activity_supplier=FixedSizeSlotSupplier(10),
        nexus_supplier=FixedSizeSlotSupplier(10),
    )
    async with Worker(
        wf_env.connection, task_queue=wf_env.task_queue, workflows=[FanOut], activities=[busy], tuner=tuner
    ):
        got = await asyncio.wait_for(
            wf_env.client.execute_workflow(FanOut.run, 8, id=f"fanout-{uuid.uuid4().hex[:8]}"), 60
        )
        assert got == sum(range(8))

        async def reported() -> None:
            while "the app reports its memory and CPU use" not in wf_env.sidecar.log.read_text(errors="replace"):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(reported(), 10)
    # The sidecar has 200 activity slots and the worker offers thousands:
    # the supplier's two are what held.
    assert _most_running == 2
    assert activities.most_held == 2
    assert len(activities.used) == 8
    assert all(u.slot_info == ActivitySlotInfo(activity_type="busy") for u in activities.used)
    assert activities.held == 0  # every slot released, the used ones with their task
    assert sum(r.slot_info is not None for r in activities.released) == 8
    rc = activities.reserves[0]
    assert (rc.slot_type, rc.task_queue, rc.is_sticky) == ("activity", wf_env.task_queue, False)


async def test_a_tuner_excludes_max_concurrent_options(wf_env: WfEnv) -> None:
    with pytest.raises(ValueError, match="either tuner or max_concurrent_activities"):
        Worker(
            wf_env.connection,
            task_queue=wf_env.task_queue,
            activities=[busy],
            tuner=WorkerTuner.create_fixed(activity_slots=2),
            max_concurrent_activities=3,
        )


def test_the_sampler_measures_this_process() -> None:
    s = Sampler()
    first = s.sample()
    assert 0 < first.memory_used_bytes < first.memory_limit_bytes
    assert first.cpu_unknown  # no interval yet
    sum(i * i for i in range(200_000))
    second = s.sample()
    assert not second.cpu_unknown and 0 <= second.cpu_usage <= 1

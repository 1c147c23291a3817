"""Plain temporalio workflows, activities and a Nexus handler, with nothing of
the sidecar in them: test_sdk_e2e.py runs them unchanged on the sidecar
through temporal_sidecar.sdk and replays their histories in temporalio's
own Replayer."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import nexusrpc
import nexusrpc.handler
from temporalio import activity, workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

# ---------------------------------------------------------------- activities


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name}"


@activity.defn
async def flaky_with_progress() -> str:
    """Fails its first attempt after a heartbeat; the retry starts from it."""
    info = activity.info()
    if info.attempt == 1:
        activity.heartbeat("progress-1")
        raise ApplicationError("first attempt fails")
    details = info.heartbeat_details
    return f"attempt {info.attempt} resumed from {details[0] if details else None}"


@activity.defn
def heartbeat_until_cancelled() -> str:
    """Threaded: heartbeats until the workflow cancels it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        activity.heartbeat()
        if activity.is_cancelled():
            raise CancelledError("cancelled as asked")
        time.sleep(0.05)
    return "never cancelled"


# ---------------------------------------------------------------- Nexus


@nexusrpc.service
class Echo:
    echo: nexusrpc.Operation[str, str]


@nexusrpc.handler.service_handler(service=Echo)
class EchoHandler:
    @nexusrpc.handler.sync_operation
    async def echo(self, ctx: nexusrpc.handler.StartOperationContext, text: str) -> str:
        return f"echo {text}"


# ---------------------------------------------------------------- workflows


@workflow.defn
class Child:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(milliseconds=10))
        return f"child {name}"


@workflow.defn
class Everything:
    """Timers, patches, an activity, a local activity, a child, a Nexus
    operation, signals, a query, a validated update, a retried activity with
    heartbeat details and a cancelled threaded activity."""

    def __init__(self) -> None:
        self._signals: list[str] = []
        self._approved_by = ""

    @workflow.signal
    def add(self, item: str) -> None:
        self._signals.append(item)

    @workflow.query
    def seen(self) -> list[str]:
        return list(self._signals)

    @workflow.update
    async def approve(self, who: str) -> str:
        self._approved_by = who
        return f"approved by {who}"

    @approve.validator
    def _validate_approve(self, who: str) -> None:
        if not who:
            raise ValueError("who must not be empty")

    @workflow.run
    async def run(self, endpoint: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        await workflow.sleep(timedelta(milliseconds=50))
        out["patched"] = workflow.patched("v2")
        timeout = timedelta(seconds=20)
        out["activity"] = await workflow.execute_activity(greet, "remote", start_to_close_timeout=timeout)
        out["local"] = await workflow.execute_local_activity(greet, "local", start_to_close_timeout=timeout)
        out["child"] = await workflow.execute_child_workflow(Child.run, "c", id=f"{workflow.info().workflow_id}-child")
        nexus = workflow.create_nexus_client(service=Echo, endpoint=endpoint)
        out["nexus"] = await nexus.execute_operation(Echo.echo, "n", schedule_to_close_timeout=timeout)
        await workflow.wait_condition(lambda: bool(self._approved_by) and len(self._signals) >= 2)
        out["signals"] = list(self._signals)
        out["approved_by"] = self._approved_by
        out["retried"] = await workflow.execute_activity(
            flaky_with_progress,
            start_to_close_timeout=timeout,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=3),
        )
        handle = workflow.start_activity(
            heartbeat_until_cancelled,
            start_to_close_timeout=timeout,
            heartbeat_timeout=timedelta(seconds=5),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.sleep(timedelta(milliseconds=300))
        handle.cancel()
        try:
            await handle
            out["cancelled"] = "not cancelled"
        except ActivityError as err:
            out["cancelled"] = type(err.cause).__name__
        return out


@workflow.defn
class Hello:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(milliseconds=10))
        remote = await workflow.execute_activity(greet, name, start_to_close_timeout=timedelta(seconds=20))
        local = await workflow.execute_local_activity(greet, "local", start_to_close_timeout=timedelta(seconds=20))
        return f"{remote}/{local}"


@workflow.defn
class CurrentBuild:
    """Returns the deployment version workflow.info() reports."""

    @workflow.run
    async def run(self) -> str:
        v = workflow.info().get_current_deployment_version()
        return f"{v.deployment_name}.{v.build_id}" if v else ""


@activity.defn
async def wait_for_release() -> str:
    """Holds until the test releases it, then returns."""
    started.set()
    await _release.wait()
    return "finished after shutdown began"


# The activity runs in the test's process and loop: the test watches it start
# and lets it finish.
started = asyncio.Event()
_release = asyncio.Event()


def release_activities() -> None:
    _release.set()


@workflow.defn
class WaitsForActivity:
    @workflow.run
    async def run(self) -> str:
        return await workflow.execute_activity(wait_for_release, start_to_close_timeout=timedelta(seconds=30))


@workflow.defn
class Drifting:
    """Sleeps only the first time it runs: replayed (with no cache), its
    commands no longer match its history, as code changed under a running
    workflow would."""

    @workflow.run
    async def run(self) -> str:
        if not workflow.unsafe.is_replaying():
            await workflow.sleep(timedelta(milliseconds=10))
        return "done"


@workflow.defn(failure_exception_types=[workflow.NondeterminismError])
class DriftingFailsOnNondeterminism(Drifting):
    @workflow.run
    async def run(self) -> str:
        return await super().run()


@workflow.defn
class LocalOnly:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_local_activity(greet, name, start_to_close_timeout=timedelta(seconds=20))


@workflow.defn
class ZeroSleep:
    """workflow.sleep(0) is a timer of zero duration (temporalio sends it;
    sdk-core and the server take it and fire it at once)."""

    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(0, summary="zero")
        await workflow.sleep(timedelta(milliseconds=10), summary="ten")
        return "woke"

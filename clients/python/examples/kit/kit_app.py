"""The client kit's conventional types on the Python client (temporal_sidecar):
what ``sidecar-kit check`` drives (docs/PROTOCOL.md, "The client kit").

    bin/sidecar-kit check -- .venv/bin/python clients/python/examples/kit/kit_app.py

The kit sets TEMPORAL_SIDECAR (the bridge), TASK_QUEUE and KIT_ACTIVITY_CAPACITY.
SIGTERM drains: running activities finish, then the process exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta
from typing import Any

from temporal_sidecar import activity, workflow
from temporal_sidecar.client import Client
from temporal_sidecar.exceptions import ApplicationError
from temporal_sidecar.worker import Worker


@activity.defn(name="kit.echo")
async def echo(value: Any) -> Any:
    return value


@activity.defn(name="kit.fail")
async def fail(message: str, type: str, non_retryable: bool, detail1: Any, detail2: Any) -> None:
    raise ApplicationError(message, detail1, detail2, type=type, non_retryable=non_retryable)


@activity.defn(name="kit.heartbeat")
async def heartbeat(n: int) -> Any:
    info = activity.info()
    if info.attempt > 1:
        return info.heartbeat_details[0] if info.heartbeat_details else None
    for i in range(1, n + 1):
        activity.heartbeat(i)
        await asyncio.sleep(0.05)
    raise ApplicationError("kit.heartbeat: the first attempt fails so the retry sees its heartbeat details")


@activity.defn(name="kit.wait_cancel")
async def wait_cancel() -> None:
    # Cancellation arrives as asyncio.CancelledError raised here; letting it
    # propagate answers the task as cancelled.
    for _ in range(250):
        activity.heartbeat()
        await asyncio.sleep(0.1)
    raise ApplicationError("kit.wait_cancel: no cancellation within 25s", non_retryable=True)


@activity.defn(name="kit.sleep")
async def sleep(ms: int) -> None:
    await asyncio.sleep(ms / 1000)


@workflow.defn(name="kit.workflow")
class KitWorkflow:
    @workflow.run
    async def run(self, arg: Any) -> Any:
        await asyncio.sleep(0.1)
        return await workflow.execute_activity("kit.echo", arg, start_to_close_timeout=timedelta(seconds=10))


async def main() -> None:
    client = await Client.connect(os.environ.get("TEMPORAL_SIDECAR", "unix:///tmp/temporal-sidecar.sock"))
    worker = Worker(
        client,
        task_queue=os.environ.get("TASK_QUEUE", "kit"),
        activities=[echo, fail, heartbeat, wait_cancel, sleep],
        workflows=[KitWorkflow],
        max_concurrent_activities=int(os.environ.get("KIT_ACTIVITY_CAPACITY", "100")),
        graceful_shutdown_timeout=timedelta(seconds=10),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print("kit app: registered", flush=True)
        await stop.wait()
    # Leaving the block drains: running activities finish, the session closes.


if __name__ == "__main__":
    asyncio.run(main())

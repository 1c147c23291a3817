"""The fault suite's app: a temporal_sidecar Worker running the Chaos
workflow (a chain of Step activities around a timer) on a sidecar.

It prints "ready" once registered and stops on SIGTERM; it reconnects by
itself when the sidecar goes away. Run it with the repository's
.venv/bin/python, where clients/python is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import timedelta

from temporal_sidecar import activity, workflow
from temporal_sidecar.connection import Connection
from temporal_sidecar.worker import Worker


@activity.defn(name="Step")
async def step(ms: int) -> int:
    await asyncio.sleep(ms / 1000)
    return ms


@workflow.defn(name="Chaos")
class Chaos:
    @workflow.run
    async def run(self, steps: int, step_ms: int) -> str:
        done = 0
        for i in range(steps):
            if i == steps // 2:
                await workflow.sleep(timedelta(milliseconds=100))
            # Retried without limit: a step lost with its app or sidecar
            # comes back; start-to-close bounds one held by a hung app.
            await workflow.execute_activity(
                "Step", step_ms, start_to_close_timeout=timedelta(milliseconds=step_ms + 5000), result_type=int
            )
            done += 1
        return f"ok:{done}"


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bridge", required=True)
    ap.add_argument("--task-queue", required=True)
    ap.add_argument("--capacity", type=int, default=50)
    a = ap.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="time=%(asctime)s level=%(levelname)s msg=%(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    conn = await Connection.connect(a.bridge)
    worker = Worker(
        conn,
        task_queue=a.task_queue,
        workflows=[Chaos],
        activities=[step],
        max_concurrent_activities=a.capacity,
        max_concurrent_workflow_tasks=a.capacity,
    )
    async with worker:
        print("ready", flush=True)
        await stop.wait()
    await conn.close()


if __name__ == "__main__":
    asyncio.run(main())

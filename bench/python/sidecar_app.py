"""The Python bridge app of the end-to-end benchmark: a temporal_sidecar
Worker, connected to a sidecar, running the benchmark's workflows (Chain,
TimerSignal; see bench/internal/workloads) and its activity (Echo), or with
--activities-only just the activity.

It prints "ready" on stdout once the sidecar accepted its registration and
stops on SIGTERM. Run it with the repository's .venv/bin/python, where
clients/python is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from datetime import timedelta

from temporal_sidecar import activity, workflow
from temporal_sidecar.common import RetryPolicy
from temporal_sidecar.connection import Connection
from temporal_sidecar.worker import Worker

COMPLETIONS: list[int] = []


@activity.defn(name="Echo")
async def echo(s: str) -> str:
    COMPLETIONS.append(time.time_ns())
    return s


@workflow.defn(name="Chain")
class Chain:
    @workflow.run
    async def run(self, k: int, input: str) -> str:
        out = input
        for _ in range(k):
            out = await workflow.execute_activity(
                "Echo",
                out,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1),
                result_type=str,
            )
        return out


@workflow.defn(name="TimerSignal")
class TimerSignal:
    def __init__(self) -> None:
        self.value: str | None = None

    @workflow.run
    async def run(self, ms: int) -> str:
        await workflow.sleep(timedelta(milliseconds=ms))
        await workflow.wait_condition(lambda: self.value is not None)
        assert self.value is not None
        return self.value

    @workflow.signal(name="go")
    def go(self, value: str) -> None:
        if self.value is None:
            self.value = value


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bridge", required=True, help="the sidecar's bridge address, e.g. unix:///tmp/s.sock")
    ap.add_argument("--task-queue", required=True)
    ap.add_argument("--capacity", type=int, default=100, help="max concurrent activities and workflow tasks")
    ap.add_argument("--activities-only", action="store_true")
    ap.add_argument("--timeline", default="", help="write the time of every activity completion here at exit")
    a = ap.parse_args()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="time=%(asctime)s level=%(levelname)s msg=%(message)s"
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    conn = await Connection.connect(a.bridge)
    worker = Worker(
        conn,
        task_queue=a.task_queue,
        workflows=[] if a.activities_only else [Chain, TimerSignal],
        activities=[echo],
        max_concurrent_activities=a.capacity,
        max_concurrent_workflow_tasks=a.capacity,
    )
    async with worker:
        print("ready", flush=True)
        await stop.wait()
    await conn.close()
    print(f"sidecar_app: answered {len(COMPLETIONS)} activities", file=sys.stderr)
    if a.timeline:
        with open(a.timeline, "w") as f:
            f.writelines(f"{t}\n" for t in COMPLETIONS)


if __name__ == "__main__":
    asyncio.run(main())

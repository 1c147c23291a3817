"""The Python half of the C++ polyglot example: a workflow on the Python
client (temporal_sidecar) that calls activities only the C++ worker
(examples/cpp) serves, on the same task queue of the same sidecar. The
sidecar routes each task by type; this app registers no activities.

    TEMPORAL_SIDECAR=unix:///tmp/temporal-sidecar.sock TASK_QUEUE=polyglot python workflow_app.py
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta

from temporal_sidecar import workflow
from temporal_sidecar.client import Client
from temporal_sidecar.common import RetryPolicy
from temporal_sidecar.worker import Worker


@workflow.defn(name="cpp.polyglot")
class Polyglot:
    @workflow.run
    async def run(self, text: str) -> dict[str, object]:
        timeout, retry = timedelta(seconds=10), RetryPolicy(maximum_attempts=2)
        # Both run in C++, at once.
        upper, words = await asyncio.gather(
            workflow.execute_activity("cpp.upper", text, start_to_close_timeout=timeout, retry_policy=retry),
            workflow.execute_activity("cpp.word_count", text, start_to_close_timeout=timeout, retry_policy=retry),
        )
        return {"upper": upper, "words": words}


async def main() -> None:
    client = await Client.connect(os.environ.get("TEMPORAL_SIDECAR", "unix:///tmp/temporal-sidecar.sock"))
    worker = Worker(client, task_queue=os.environ.get("TASK_QUEUE", "polyglot"), workflows=[Polyglot])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print("workflow app: registered", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())

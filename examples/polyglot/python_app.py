"""The Python half of the polyglot pod: a plain temporalio worker whose workflow
calls an activity that a TypeScript app serves (``ts_greet``), and whose
activity (``py_shout``) a TypeScript workflow calls. Both apps register on one
task queue of one sidecar, which routes each task by its type.

    TEMPORAL_SIDECAR_ADDRESS=127.0.0.1:7233 \\
        python -m temporal_sidecar.sdk run examples/polyglot/python_app.py TASK_QUEUE

Nothing here knows about the sidecar or TypeScript beyond the activity's name.
Its TypeScript partner is clients/typescript/src/examples/polyglot; ``make demo``
runs the two.
"""

import asyncio
import signal
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker


@activity.defn
async def py_shout(text: str) -> str:
    return f"{text.upper()} (from Python)"


@workflow.defn
class PyGreeter:
    @workflow.run
    async def run(self, name: str) -> str:
        # Served by the TypeScript app on the same task queue.
        greeting = await workflow.execute_activity(
            "ts_greet", name, start_to_close_timeout=timedelta(seconds=10), result_type=str
        )
        return f"{greeting} (via a Python workflow)"


async def main(task_queue: str) -> None:
    client = await Client.connect("localhost:7233")
    worker = Worker(client, task_queue=task_queue, workflows=[PyGreeter], activities=[py_shout])
    # Runs until SIGTERM or SIGINT, then shuts the worker down (draining) and exits 0.
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with worker:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "polyglot"))

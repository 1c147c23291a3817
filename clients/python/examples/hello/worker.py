"""Runs the workflow and the activity. The sidecar next to this process does
the polling and holds the Temporal credentials; this process only connects
to the sidecar's bridge socket.

    TEMPORAL_SIDECAR=unix:///tmp/temporal-sidecar.sock TASK_QUEUE=hello-task-queue python worker.py
"""

import asyncio
import logging
import os

from temporal_sidecar.client import Client  # temporalio: from temporalio.client import Client
from temporal_sidecar.worker import Worker  # temporalio: from temporalio.worker import Worker

from activities import say_hello
from workflows import GreetingWorkflow

# The sidecar's --bridge-listen and --task-queue.
SIDECAR = os.environ.get("TEMPORAL_SIDECAR", "unix:///tmp/temporal-sidecar.sock")
TASK_QUEUE = os.environ.get("TASK_QUEUE", "hello-task-queue")


async def main() -> None:
    logging.basicConfig(level=logging.INFO)
    client = await Client.connect(SIDECAR)  # temporalio: await Client.connect("localhost:7233")
    worker = Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=[GreetingWorkflow],
        activities=[say_hello],
    )
    async with worker:  # returns once the sidecar has registered the worker
        print("Worker started, ctrl+c to exit", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass

"""Starts GreetingWorkflow through the sidecar's client API and prints its result.

    TEMPORAL_SIDECAR=unix:///tmp/temporal-sidecar.sock TASK_QUEUE=hello-task-queue python starter.py
"""

import asyncio
import os
import uuid

from temporal_sidecar.client import Client  # temporalio: from temporalio.client import Client

from workflows import GreetingWorkflow

SIDECAR = os.environ.get("TEMPORAL_SIDECAR", "unix:///tmp/temporal-sidecar.sock")
TASK_QUEUE = os.environ.get("TASK_QUEUE", "hello-task-queue")


async def main() -> None:
    client = await Client.connect(SIDECAR)  # temporalio: await Client.connect("localhost:7233")
    result = await client.execute_workflow(
        GreetingWorkflow.run,
        "Temporal",
        id=f"hello-workflow-{uuid.uuid4()}",
        task_queue=TASK_QUEUE,
    )
    print(f"Result: {result}")


if __name__ == "__main__":
    asyncio.run(main())

"""A plain temporalio app: a workflow that calls one activity. Nothing in it
knows about the sidecar; run it on one with

    TEMPORAL_SIDECAR_ADDRESS=unix:///tmp/temporal-sidecar.sock \
        python -m temporal_sidecar.sdk run examples/temporalio/hello_activity.py

or natively, against a Temporal server at localhost:7233, with
``python examples/temporalio/hello_activity.py``.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker


@dataclass
class GreetingInput:
    greeting: str
    name: str


@activity.defn
async def compose_greeting(arg: GreetingInput) -> str:
    activity.logger.info("composing a greeting for %s", arg.name)
    return f"{arg.greeting}, {arg.name}!"


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            compose_greeting,
            GreetingInput("Hello", name),
            start_to_close_timeout=timedelta(seconds=10),
        )


async def main() -> None:
    client = await Client.connect("localhost:7233")
    async with Worker(
        client,
        task_queue="hello-activity-task-queue",
        workflows=[GreetingWorkflow],
        activities=[compose_greeting],
    ):
        result = await client.execute_workflow(
            GreetingWorkflow.run,
            "World",
            id=f"hello-activity-{uuid.uuid4()}",
            task_queue="hello-activity-task-queue",
        )
        print(f"Result: {result}")


if __name__ == "__main__":
    asyncio.run(main())

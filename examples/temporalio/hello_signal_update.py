"""A plain temporalio app with signals, a query and an update: the workflow
collects names by signal, answers who it has greeted by query, changes its
greeting by update (with a validator), and ends on a signal. Nothing in it
knows about the sidecar; run it on one with

    TEMPORAL_SIDECAR_ADDRESS=unix:///tmp/temporal-sidecar.sock \
        python -m temporal_sidecar.sdk run examples/temporalio/hello_signal_update.py
"""

import asyncio
import uuid

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker


@workflow.defn
class GreetingsWorkflow:
    def __init__(self) -> None:
        self._greeting = "Hello"
        self._names: list[str] = []
        self._done = False

    @workflow.run
    async def run(self) -> list[str]:
        await workflow.wait_condition(lambda: self._done)
        return [f"{self._greeting}, {n}!" for n in self._names]

    @workflow.signal
    def greet(self, name: str) -> None:
        self._names.append(name)

    @workflow.signal
    def finish(self) -> None:
        self._done = True

    @workflow.query
    def greeted(self) -> list[str]:
        return list(self._names)

    @workflow.update
    def set_greeting(self, greeting: str) -> str:
        previous, self._greeting = self._greeting, greeting
        return previous

    @set_greeting.validator
    def check_greeting(self, greeting: str) -> None:
        if not greeting:
            raise ValueError("a greeting cannot be empty")


async def main() -> None:
    client = await Client.connect("localhost:7233")
    async with Worker(client, task_queue="hello-signal-update-task-queue", workflows=[GreetingsWorkflow]):
        handle = await client.start_workflow(
            GreetingsWorkflow.run,
            id=f"hello-signal-update-{uuid.uuid4()}",
            task_queue="hello-signal-update-task-queue",
        )
        for name in ("Ada", "Grace"):
            await handle.signal(GreetingsWorkflow.greet, name)
        print(f"Greeted so far: {await handle.query(GreetingsWorkflow.greeted)}")
        previous = await handle.execute_update(GreetingsWorkflow.set_greeting, "Bonjour")
        print(f"Greeting changed from {previous!r}")
        try:
            await handle.execute_update(GreetingsWorkflow.set_greeting, "")
        except Exception as err:  # the validator refused it; the workflow goes on
            print(f"Empty greeting refused: {err}")
        await handle.signal(GreetingsWorkflow.finish)
        print(f"Result: {await handle.result()}")


if __name__ == "__main__":
    asyncio.run(main())

"""An app process that runs a workflow and its activity through the sidecar,
using only the generated bridge stubs: all any language needs to be a
Temporal worker.

    python greeter_app.py unix:///tmp/temporal-sidecar.sock greetings

It registers the workflow "Greeting" and the activity "compose_greeting".
The workflow is written by hand against activations here, to show the
protocol; the Python client's runtime (clients/python) hides all of this.
It exits when the sidecar shuts down.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

import grpc
from google.protobuf import duration_pb2

from temporal_sidecar.proto.sidecar.bridge.v1 import (
    activity_pb2,
    bridge_pb2,
    bridge_pb2_grpc,
    common_pb2,
    workflow_commands_pb2,
    workflow_completion_pb2,
)

JSON = {"encoding": b"json/plain"}


def payload(value: object) -> common_pb2.Payload:
    return common_pb2.Payload(metadata=JSON, data=json.dumps(value).encode())


def compose_greeting(greeting: str, name: str) -> str:
    return f"{greeting}, {name}! (composed by Python pid {os.getpid()})"


def run_activity(start: activity_pb2.StartActivity) -> activity_pb2.ActivityExecutionResult:
    try:
        result = compose_greeting(*[json.loads(p.data) for p in start.input])
        return activity_pb2.ActivityExecutionResult(
            completed=activity_pb2.ActivityExecutionCompleted(result=payload(result)))
    except Exception as e:  # noqa: BLE001 - every error becomes an activity failure
        return activity_pb2.ActivityExecutionResult(failed=activity_pb2.ActivityExecutionFailed(
            failure=common_pb2.Failure(message=str(e), application_failure_info=common_pb2.ApplicationFailureInfo(
                type=type(e).__name__))))


class Greeting:
    """The workflow: greet, then say goodbye, each by the activity; return both.

    A workflow is a deterministic function of its activations: the sidecar may
    replay them from history, and the same jobs must give the same commands.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.results: list[str] = []

    def schedule(self, seq: int, greeting: str) -> workflow_commands_pb2.WorkflowCommand:
        return workflow_commands_pb2.WorkflowCommand(schedule_activity=workflow_commands_pb2.ScheduleActivity(
            seq=seq, activity_type="compose_greeting", arguments=[payload(greeting), payload(self.name)],
            start_to_close_timeout=duration_pb2.Duration(seconds=10)))

    def start(self) -> list[workflow_commands_pb2.WorkflowCommand]:
        return [self.schedule(1, "Hello")]

    def resolved(self, seq: int, result: common_pb2.Payload) -> list[workflow_commands_pb2.WorkflowCommand]:
        self.results.append(json.loads(result.data))
        if seq == 1:
            return [self.schedule(2, "Goodbye")]
        return [workflow_commands_pb2.WorkflowCommand(complete_workflow_execution=workflow_commands_pb2.CompleteWorkflowExecution(
            result=payload("\n".join(self.results))))]


def activate(runs: dict[str, Greeting], act) -> workflow_completion_pb2.WorkflowActivationCompletion:  # type: ignore[no-untyped-def]
    commands: list[workflow_commands_pb2.WorkflowCommand] = []
    for job in act.jobs:
        kind = job.WhichOneof("variant")
        if kind == "remove_from_cache":
            runs.pop(act.run_id, None)
        elif kind == "initialize_workflow":
            wf = Greeting(json.loads(job.initialize_workflow.arguments[0].data))
            runs[act.run_id] = wf
            commands += wf.start()
        elif kind == "resolve_activity":
            r = job.resolve_activity
            commands += runs[act.run_id].resolved(r.seq, r.result.completed.result)
    return workflow_completion_pb2.WorkflowActivationCompletion(
        run_id=act.run_id, successful=workflow_completion_pb2.WorkflowActivationSuccess(commands=commands))


async def main(target: str, task_queue: str) -> None:
    outbox: asyncio.Queue[bridge_pb2.ConnectRequest | None] = asyncio.Queue()
    await outbox.put(bridge_pb2.ConnectRequest(register=bridge_pb2.Register(
        protocol_version=1,
        identity=f"{os.getpid()}@{socket.gethostname()}",
        sdk_name="greeter-example",
        sdk_version="0.1.0",
        task_queue=task_queue,
        workflows=[bridge_pb2.WorkflowRegistration(name="Greeting")],
        activities=[bridge_pb2.ActivityRegistration(name="compose_greeting")],
        capacity=bridge_pb2.Capacity(workflow_activations=10, activities=10, local_activities=10),
    )))

    async def requests():  # type: ignore[no-untyped-def]
        while (m := await outbox.get()) is not None:
            yield m

    runs: dict[str, Greeting] = {}
    async with grpc.aio.insecure_channel(target) as channel:
        async for msg in bridge_pb2_grpc.BridgeServiceStub(channel).Connect(requests()):
            kind = msg.WhichOneof("message")
            if kind == "registered":
                r = msg.registered
                print(f"app: registered with sidecar {r.sidecar_identity} (namespace {r.namespace}, "
                      f"task queue {r.task_queue}, server {r.capabilities.server_version})", flush=True)
            elif kind == "workflow_activation":
                act = msg.workflow_activation
                jobs = ", ".join(j.WhichOneof("variant") for j in act.jobs)
                print(f"app: activation for run {act.run_id[:8]}: {jobs}", flush=True)
                await outbox.put(bridge_pb2.ConnectRequest(workflow_completion=activate(runs, act)))
            elif kind == "activity_task" and msg.activity_task.WhichOneof("variant") == "start":
                t = msg.activity_task
                print(f"app: running activity {t.start.activity_type} attempt {t.start.attempt}", flush=True)
                await outbox.put(bridge_pb2.ConnectRequest(activity_completion=activity_pb2.ActivityTaskCompletion(
                    task_token=t.task_token, result=run_activity(t.start))))
            elif kind in ("shutdown", "drained"):
                print(f"app: sidecar says {kind}", flush=True)
                if kind == "drained":
                    await outbox.put(None)  # close our side; the sidecar ends the stream
            elif kind == "completion_error":
                print(f"app: sidecar rejected a completion: {msg.completion_error.message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

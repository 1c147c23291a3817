"""An app process that serves one activity through the sidecar, using only
the generated bridge stubs: what any language needs to join a Temporal worker.

    python greeter_app.py unix:///tmp/temporal-sidecar.sock greetings

It registers the activity "compose_greeting", answers each activity task with
a JSON greeting, and exits when the sidecar shuts down.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys

import grpc

from temporal_sidecar.proto.sidecar.bridge.v1 import (
    activity_pb2,
    bridge_pb2,
    bridge_pb2_grpc,
    common_pb2,
)

JSON = {"encoding": b"json/plain"}


def compose_greeting(greeting: str, name: str) -> str:
    return f"{greeting}, {name}! (from Python pid {os.getpid()})"


def run_activity(start: activity_pb2.StartActivity) -> activity_pb2.ActivityExecutionResult:
    try:
        args = [json.loads(p.data) for p in start.input]
        result = compose_greeting(*args)
        return activity_pb2.ActivityExecutionResult(
            completed=activity_pb2.ActivityExecutionCompleted(
                result=common_pb2.Payload(metadata=JSON, data=json.dumps(result).encode())
            )
        )
    except Exception as e:  # noqa: BLE001 - every error becomes an activity failure
        return activity_pb2.ActivityExecutionResult(
            failed=activity_pb2.ActivityExecutionFailed(
                failure=common_pb2.Failure(
                    message=str(e),
                    source="greeter_app.py",
                    application_failure_info=common_pb2.ApplicationFailureInfo(type=type(e).__name__),
                )
            )
        )


async def main(target: str, task_queue: str) -> None:
    outbox: asyncio.Queue[bridge_pb2.ConnectRequest | None] = asyncio.Queue()
    await outbox.put(
        bridge_pb2.ConnectRequest(
            register=bridge_pb2.Register(
                protocol_version=1,
                identity=f"{os.getpid()}@{socket.gethostname()}",
                sdk_name="greeter-example",
                sdk_version="0.1.0",
                task_queue=task_queue,
                activities=[bridge_pb2.ActivityRegistration(name="compose_greeting")],
                capacity=bridge_pb2.Capacity(activities=10, local_activities=10),
            )
        )
    )

    async def requests():  # type: ignore[no-untyped-def]
        while (m := await outbox.get()) is not None:
            yield m

    async with grpc.aio.insecure_channel(target) as channel:
        stream = bridge_pb2_grpc.BridgeServiceStub(channel).Connect(requests())
        async for msg in stream:
            kind = msg.WhichOneof("message")
            if kind == "registered":
                r = msg.registered
                print(f"app: registered with sidecar {r.sidecar_identity} (namespace {r.namespace}, "
                      f"task queue {r.task_queue}, server {r.capabilities.server_version})", flush=True)
            elif kind == "activity_task" and msg.activity_task.WhichOneof("variant") == "start":
                t = msg.activity_task
                print(f"app: running {t.start.activity_type} attempt {t.start.attempt}", flush=True)
                await outbox.put(bridge_pb2.ConnectRequest(
                    activity_completion=activity_pb2.ActivityTaskCompletion(
                        task_token=t.task_token, result=run_activity(t.start))))
            elif kind in ("shutdown", "drained"):
                print(f"app: sidecar says {kind}", flush=True)
                if kind == "drained":
                    await outbox.put(None)  # close our side; the sidecar ends the stream
            elif kind == "completion_error":
                print(f"app: sidecar rejected a completion: {msg.completion_error.message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""Starts the Greeting workflow through the sidecar's client API and prints
its result. The app holds no Temporal credentials: the sidecar forwards.

    python start_greeting.py unix:///tmp/temporal-sidecar.sock Temporal [task-queue]
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid

import grpc

from temporal_sidecar.proto.sidecar.bridge.v1 import client_pb2, client_pb2_grpc, common_pb2


async def main(target: str, name: str, task_queue: str) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        client = client_pb2_grpc.ClientServiceStub(channel)
        workflow_id = f"greeting-{uuid.uuid4()}"
        started = await client.StartWorkflow(client_pb2.StartWorkflowRequest(options=client_pb2.WorkflowOptions(
            workflow_id=workflow_id, workflow_type="Greeting", task_queue=task_queue,
            args=[common_pb2.Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(name).encode())])))
        print(f"client: started {workflow_id} (run {started.run_id})", flush=True)
        result = await client.GetWorkflowResult(client_pb2.GetWorkflowResultRequest(
            execution=common_pb2.WorkflowExecution(workflow_id=workflow_id)))
        if result.WhichOneof("outcome") != "result":
            raise SystemExit(f"client: workflow did not complete: {result}")
        print("client: workflow result:\n" + json.loads(result.result.payloads[0].data), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "greetings"))

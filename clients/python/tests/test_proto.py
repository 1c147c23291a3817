"""Smoke tests for the generated sidecar.bridge.v1 Python stubs."""

from __future__ import annotations

import pickle
from collections.abc import AsyncIterator

import grpc
from google.protobuf import duration_pb2

import temporal_sidecar
from temporal_sidecar.proto.sidecar.bridge.v1 import (
    bridge_pb2,
    bridge_pb2_grpc,
    client_pb2,
    client_pb2_grpc,
    common_pb2,
)


def test_version() -> None:
    assert isinstance(temporal_sidecar.__version__, str)
    assert temporal_sidecar.__version__


def test_round_trip_connect_request() -> None:
    req = bridge_pb2.ConnectRequest(
        register=bridge_pb2.Register(
            protocol_version=1,
            identity="1234@host-a",
            sdk_name="temporal-sidecar-python",
            sdk_version=temporal_sidecar.__version__,
            task_queue="tq",
            workflows=[bridge_pb2.WorkflowRegistration(name="Greet", signals=["s"])],
            activities=[bridge_pb2.ActivityRegistration(name="say")],
            capacity=bridge_pb2.Capacity(workflow_activations=10, activities=5),
        )
    )
    data = req.SerializeToString()
    decoded = bridge_pb2.ConnectRequest.FromString(data)
    assert decoded == req
    assert decoded.WhichOneof("message") == "register"
    assert decoded.register.workflows[0].signals == ["s"]


def test_round_trip_with_imported_types() -> None:
    """Messages from other files (common.proto, google/protobuf) resolve via the rewritten imports."""
    opts = client_pb2.WorkflowOptions(
        workflow_id="wf-1",
        workflow_type="Greet",
        args=[common_pb2.Payload(metadata={"encoding": b"json/plain"}, data=b'"world"')],
        execution_timeout=duration_pb2.Duration(seconds=60),
    )
    req = client_pb2.StartWorkflowRequest(options=opts)
    decoded = client_pb2.StartWorkflowRequest.FromString(req.SerializeToString())
    assert decoded == req
    assert decoded.options.args[0].metadata["encoding"] == b"json/plain"
    assert decoded.options.execution_timeout.ToSeconds() == 60
    # The generated classes share one descriptor pool and one module path.
    assert type(decoded.options.args[0]) is common_pb2.Payload
    assert common_pb2.Payload.__module__ == "temporal_sidecar.proto.sidecar.bridge.v1.common_pb2"
    assert pickle.loads(pickle.dumps(req)) == req


def test_service_descriptors() -> None:
    bridge = bridge_pb2.DESCRIPTOR.services_by_name["BridgeService"]
    assert bridge.full_name == "sidecar.bridge.v1.BridgeService"
    connect = bridge.methods_by_name["Connect"]
    assert connect.client_streaming and connect.server_streaming
    client = client_pb2.DESCRIPTOR.services_by_name["ClientService"]
    assert "StartWorkflow" in client.methods_by_name
    assert hasattr(client_pb2_grpc, "ClientServiceStub")


class _Bridge(bridge_pb2_grpc.BridgeServiceServicer):
    async def Connect(
        self,
        request_iterator: AsyncIterator[bridge_pb2.ConnectRequest],
        context: grpc.aio.ServicerContext[bridge_pb2.ConnectRequest, bridge_pb2.ConnectResponse],
    ) -> AsyncIterator[bridge_pb2.ConnectResponse]:
        async for req in request_iterator:
            if req.WhichOneof("message") == "register":
                yield bridge_pb2.ConnectResponse(
                    registered=bridge_pb2.Registered(
                        protocol_version=req.register.protocol_version,
                        session_id="s-1",
                        task_queue=req.register.task_queue,
                    )
                )
            elif req.WhichOneof("message") == "drain":
                yield bridge_pb2.ConnectResponse(drained=bridge_pb2.Drained())
                return


async def test_bidi_stream_over_loopback() -> None:
    server = grpc.aio.server()
    bridge_pb2_grpc.add_BridgeServiceServicer_to_server(_Bridge(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = bridge_pb2_grpc.BridgeServiceStub(channel)
            call = stub.Connect()
            await call.write(
                bridge_pb2.ConnectRequest(register=bridge_pb2.Register(protocol_version=1, task_queue="tq"))
            )
            first = await call.read()
            assert first.WhichOneof("message") == "registered"
            assert first.registered.session_id == "s-1"
            assert first.registered.task_queue == "tq"
            await call.write(bridge_pb2.ConnectRequest(drain=bridge_pb2.Drain()))
            second = await call.read()
            assert second.WhichOneof("message") == "drained"
            await call.done_writing()
            assert await call.code() == grpc.StatusCode.OK
    finally:
        await server.stop(None)

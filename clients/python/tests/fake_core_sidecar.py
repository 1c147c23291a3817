"""A stand-in for the sidecar's core protocol, for unit tests of the
temporalio adapter's forwarding (temporal_sidecar.sdk): a gRPC BridgeService
on a unix socket that records what the app sends and sends what the test
says. The real sidecar is tested end to end in test_sdk_e2e.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2, bridge_pb2_grpc


@dataclass
class FakeSession:
    register: bridge_pb2.Register
    received: asyncio.Queue[bridge_pb2.ConnectRequest] = field(default_factory=asyncio.Queue)
    outbox: asyncio.Queue[bridge_pb2.ConnectResponse | grpc.StatusCode | None] = field(default_factory=asyncio.Queue)
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, **kw: Any) -> None:
        self.outbox.put_nowait(bridge_pb2.ConnectResponse(**kw))

    def break_stream(self) -> None:
        """Ends the stream with UNAVAILABLE, as a crashed sidecar would."""
        self.outbox.put_nowait(grpc.StatusCode.UNAVAILABLE)

    async def next_request(self, kind: str, timeout: float = 10) -> bridge_pb2.ConnectRequest:
        """The next message of ``kind`` the app sent, skipping others."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            m = await asyncio.wait_for(self.received.get(), max(left, 0.001))
            if m.WhichOneof("message") == kind:
                return m

    def pending(self) -> list[bridge_pb2.ConnectRequest]:
        out = []
        while not self.received.empty():
            out.append(self.received.get_nowait())
        return out


class FakeSidecar(bridge_pb2_grpc.BridgeServiceServicer):
    def __init__(self) -> None:
        self.sessions: asyncio.Queue[FakeSession] = asyncio.Queue()
        self.refuse: tuple[grpc.StatusCode, str] | None = None
        self.limits = bridge_pb2.Limits(max_cached_workflows=1000, max_payload_blob_bytes=2 << 20)
        self.auto_drain = True  # answer Drain with Drained at once

    async def Connect(  # noqa: N802 - the gRPC method's name
        self, request_iterator: AsyncIterator[bridge_pb2.ConnectRequest], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[bridge_pb2.ConnectResponse]:
        first = await request_iterator.__anext__()
        if self.refuse is not None:
            await context.abort(self.refuse[0], self.refuse[1])
        session = FakeSession(register=first.register)

        async def read() -> None:
            async for m in request_iterator:
                session.received.put_nowait(m)
                if m.WhichOneof("message") == "drain" and self.auto_drain:
                    session.send(drained=bridge_pb2.Drained())
            session.outbox.put_nowait(None)  # the app half-closed

        reader = asyncio.create_task(read())
        self.sessions.put_nowait(session)
        try:
            yield bridge_pb2.ConnectResponse(
                registered=bridge_pb2.Registered(
                    protocol_version=1,
                    session_id=f"s{self.sessions.qsize()}",
                    sidecar_identity="fake-sidecar",
                    namespace=first.register.namespace or "default",
                    task_queue=first.register.task_queue,
                    limits=self.limits,
                )
            )
            while True:
                m = await session.outbox.get()
                if m is None:
                    return
                if isinstance(m, grpc.StatusCode):
                    await context.abort(m, "the fake sidecar broke the stream")
                yield m
        finally:
            reader.cancel()
            session.ended.set()

    async def next_session(self, timeout: float = 10) -> FakeSession:
        return await asyncio.wait_for(self.sessions.get(), timeout)


def _health(request: bytes, context: Any) -> bytes:
    return b"\x08\x01"  # SERVING


@contextlib.asynccontextmanager
async def serve_fake_sidecar(socket_path: Path) -> AsyncIterator[FakeSidecar]:
    server = grpc.aio.server()
    fake = FakeSidecar()
    bridge_pb2_grpc.add_BridgeServiceServicer_to_server(fake, server)  # type: ignore[no-untyped-call]
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(
                "grpc.health.v1.Health",
                {"Check": grpc.unary_unary_rpc_method_handler(_health)},
            ),
        )
    )
    server.add_insecure_port(f"unix:{socket_path}")
    await server.start()
    try:
        yield fake
    finally:
        await server.stop(None)

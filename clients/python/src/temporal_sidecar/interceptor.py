"""Activity interceptors, shaped like temporalio's
(:py:class:`temporalio.worker.Interceptor` and friends), so an activity
interceptor ports by changing its imports.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from temporal_sidecar.activity import Info
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

__all__ = [
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ExecuteActivityInput",
    "Interceptor",
]


class Interceptor:
    """A worker interceptor. Subclass it and pass instances in
    ``Worker(interceptors=[...])``; the first one is the outermost."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap the inbound interceptor of each activity attempt."""
        return next


@dataclass
class ExecuteActivityInput:
    """The input of :py:meth:`ActivityInboundInterceptor.execute_activity`."""

    fn: Callable[..., Any]
    args: Sequence[Any]
    executor: concurrent.futures.Executor | None
    """The executor a synchronous activity runs in; None for async activities."""
    headers: Mapping[str, common_pb2.Payload]


class ActivityInboundInterceptor:
    """Wraps the execution of an activity. Delegates to ``next`` by default."""

    def __init__(self, next: ActivityInboundInterceptor) -> None:
        self.next = next

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        """Called first, with the outbound interceptor; wrap it to intercept
        ``info()`` and ``heartbeat()`` calls of the activity."""
        self.next.init(outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Run the activity and return its result."""
        return await self.next.execute_activity(input)


class ActivityOutboundInterceptor:
    """Wraps the calls an activity makes. Delegates to ``next`` by default."""

    def __init__(self, next: ActivityOutboundInterceptor) -> None:
        self.next = next

    def info(self) -> Info:
        """Called for every :py:func:`temporal_sidecar.activity.info` call."""
        return self.next.info()

    def heartbeat(self, *details: Any) -> None:
        """Called for every :py:func:`temporal_sidecar.activity.heartbeat` call."""
        self.next.heartbeat(*details)

"""Runs the Nexus tasks the sidecar sends (the worker's Nexus half): each
start or cancel request goes to the ``nexusrpc`` handler of the registered
services, and its outcome becomes a ``NexusTaskCompletion``.

The design follows temporalio's ``_NexusWorker``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import nexusrpc
import nexusrpc.handler
from nexusrpc.handler import CancelOperationContext, StartOperationContext

from temporal_sidecar import nexus as _nexus
from temporal_sidecar.client import Client
from temporal_sidecar.connection import Connection
from temporal_sidecar.converter import DataConverter
from temporal_sidecar.exceptions import ApplicationError, CancelledError
from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2, common_pb2, nexus_pb2

logger = logging.getLogger("temporal_sidecar.worker")


class _TaskCancellation(nexusrpc.handler.OperationTaskCancellation):
    """Tells a handler its task was given up (deadline, sidecar, shutdown)."""

    def __init__(self) -> None:
        self._reason: str | None = None
        self._thread_event = threading.Event()
        self._async_event = asyncio.Event()

    def cancel(self, reason: str) -> None:  # called on the event loop
        if self._reason is None:
            self._reason = reason
        self._thread_event.set()
        self._async_event.set()

    def is_cancelled(self) -> bool:
        return self._thread_event.is_set()

    def cancellation_reason(self) -> str | None:
        return self._reason

    def wait_until_cancelled_sync(self, timeout: float | None = None) -> bool:
        return self._thread_event.wait(timeout)

    async def wait_until_cancelled(self) -> None:
        await self._async_event.wait()


@dataclass(eq=False)
class _RunningTask:
    token: bytes
    session: Any  # worker._Session
    what: str
    cancellation: _TaskCancellation = field(default_factory=_TaskCancellation)
    task: asyncio.Task[None] | None = None
    deadline_timer: asyncio.TimerHandle | None = None
    # Why it was cancelled: "sidecar" (cancel_task: answer nothing), "lost"
    # (the session ended: nothing to answer on), "deadline", "shutdown".
    cancelled_by: str | None = None

    def cancel(self, by: str, reason: str) -> None:
        if self.cancelled_by is None:
            self.cancelled_by = by
        self.cancellation.cancel(reason)
        if self.task is not None:
            self.task.cancel()


class _ContextExecutor(concurrent.futures.Executor):
    """Runs synchronous operation handlers with the caller's contextvars, so
    temporal_sidecar.nexus.info() works in them."""

    def __init__(self, executor: concurrent.futures.Executor) -> None:
        self._executor = executor

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        ctx = contextvars.copy_context()
        return self._executor.submit(ctx.run, fn, *args, **kwargs)


@dataclass
class _PayloadSerializer:
    """Decodes a start request's input payload with the data converter."""

    dc: DataConverter
    payload: common_pb2.Payload
    what: str

    async def serialize(self, value: Any) -> nexusrpc.Content:
        raise NotImplementedError("handlers do not serialize through the request's serializer")

    async def deserialize(self, content: nexusrpc.Content, as_type: type[Any] | None = None) -> Any:
        del content
        try:
            [value] = await self.dc.decode([self.payload], [as_type] if as_type is not None else None)
        except Exception as err:
            raise nexusrpc.HandlerError(
                f"the input of {self.what} could not be converted"
                + (f" to {getattr(as_type, '__name__', as_type)}" if as_type is not None else "")
                + f": {err}",
                type=nexusrpc.HandlerErrorType.BAD_REQUEST,
                retryable_override=False,
            ) from err
        return value


def _retry_behavior(err: nexusrpc.HandlerError) -> common_pb2.NexusHandlerErrorRetryBehavior:
    if err.retryable_override is None:
        return common_pb2.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_UNSPECIFIED
    if err.retryable_override:
        return common_pb2.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE
    return common_pb2.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE


def _as_handler_error(err: BaseException) -> nexusrpc.HandlerError:
    """What an exception from a handler means to the caller (as temporalio)."""
    if isinstance(err, nexusrpc.HandlerError):
        return err
    message = str(err) or type(err).__name__
    if isinstance(err, ApplicationError):
        he = nexusrpc.HandlerError(
            message, type=nexusrpc.HandlerErrorType.INTERNAL, retryable_override=False if err.non_retryable else None
        )
    else:
        he = nexusrpc.HandlerError(f"{type(err).__name__}: {message}", type=nexusrpc.HandlerErrorType.INTERNAL)
    he.__cause__ = err
    return he


class NexusWorker:
    """The Nexus services of one Worker."""

    def __init__(
        self,
        *,
        service_handlers: Sequence[Any],
        executor: concurrent.futures.Executor | None,
        connection: Connection,
        task_queue: str,
    ) -> None:
        try:
            self._handler = nexusrpc.handler.Handler(
                list(service_handlers), executor=_ContextExecutor(executor) if executor is not None else None
            )
        except RuntimeError as err:
            if "not an `async def`" in str(err):
                raise ValueError(
                    f"{err.args[0].split(', but')[0]}: a Nexus operation that is not async needs a "
                    "nexus_task_executor (a concurrent.futures.ThreadPoolExecutor) on the Worker"
                ) from None
            raise
        self._connection = connection
        self._dc = connection.data_converter
        self._task_queue = task_queue
        self._client: Client | None = None
        self.namespace = ""
        self.running: dict[bytes, _RunningTask] = {}
        self.shutting_down = False

    def registrations(self) -> list[bridge_pb2.NexusServiceRegistration]:
        return [
            bridge_pb2.NexusServiceRegistration(name=name, operations=sorted(sh.service.operation_definitions))
            for name, sh in self._handler.service_handlers.items()
        ]

    def client(self) -> Client:
        if self._client is None:
            self._client = Client(self._connection)
        return self._client

    # ------------------------------------------------------------ tasks

    def handle(self, session: Any, t: nexus_pb2.NexusTask) -> None:
        variant = t.WhichOneof("variant")
        if variant == "cancel_task":
            rt = self.running.get(t.task_token)
            if rt is not None:
                logger.debug("the sidecar gave up Nexus task %s: %s", rt.what, t.cancel_task.reason)
                rt.cancel("sidecar", t.cancel_task.reason or "the sidecar gave up the task")
            return
        if variant not in ("start_operation", "cancel_operation"):
            logger.warning("the sidecar sent a Nexus task with no request; ignoring it")
            return
        if t.task_token in self.running:
            logger.warning("the sidecar sent Nexus task %r twice; ignoring the second", t.task_token)
            return
        req = t.start_operation if variant == "start_operation" else t.cancel_operation
        verb = "start" if variant == "start_operation" else "cancel"
        rt = _RunningTask(token=t.task_token, session=session, what=f"{verb} {req.service}.{req.operation}")
        self.running[t.task_token] = rt
        loop = asyncio.get_running_loop()
        rt.task = loop.create_task(self._run(rt, t))
        if t.HasField("deadline"):
            left = t.deadline.ToNanoseconds() / 1e9 - time.time()
            rt.deadline_timer = loop.call_later(
                max(0.0, left), rt.cancel, "deadline", "the request's deadline passed"
            )
        if self.shutting_down:
            rt.cancel("shutdown", "the worker is shutting down")

    def session_lost(self, session: Any) -> None:
        for rt in list(self.running.values()):
            if rt.session is session:
                rt.cancel("lost", "the connection to the sidecar was lost")

    def cancel_all(self, reason: str) -> None:
        for rt in list(self.running.values()):
            rt.cancel("shutdown", reason)

    async def wait_idle(self, timeout: float) -> bool:
        tasks = [rt.task for rt in self.running.values() if rt.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        return not self.running

    async def _run(self, rt: _RunningTask, t: nexus_pb2.NexusTask) -> None:
        completion = nexus_pb2.NexusTaskCompletion(task_token=t.task_token)
        deadline = t.deadline.ToDatetime(tzinfo=timezone.utc) if t.HasField("deadline") else None
        try:
            try:
                if t.HasField("start_operation"):
                    await self._start(rt, t, deadline, completion)
                else:
                    await self._cancel(rt, t, deadline, completion)
            except asyncio.CancelledError:
                if rt.cancelled_by in (None, "sidecar", "lost"):
                    return  # nobody waits for an answer
                reason = rt.cancellation.cancellation_reason() or "cancelled"
                err = nexusrpc.HandlerError(
                    f"{rt.what}: {reason}",
                    type=nexusrpc.HandlerErrorType.REQUEST_TIMEOUT
                    if rt.cancelled_by == "deadline"
                    else nexusrpc.HandlerErrorType.UNAVAILABLE,
                )
                await self._handler_error(completion, err)
            except BaseException as err:  # noqa: BLE001 - every outcome becomes an answer
                he = _as_handler_error(err)
                level = logging.DEBUG if isinstance(err, nexusrpc.HandlerError) else logging.WARNING
                logger.log(level, "Nexus %s failed: %s", rt.what, he.message, exc_info=err)
                await self._handler_error(completion, he)
            if not rt.session.send(bridge_pb2.ConnectRequest(nexus_completion=completion)):
                logger.debug("Nexus %s finished after its session ended; its answer is dropped", rt.what)
        except Exception:  # noqa: BLE001 - building the answer failed: say so
            logger.exception("answering Nexus %s failed", rt.what)
            completion.Clear()
            completion.task_token = t.task_token
            completion.handler_error.error_type = "INTERNAL"
            completion.handler_error.failure.message = f"the worker failed to build the answer to {rt.what}"
            rt.session.send(bridge_pb2.ConnectRequest(nexus_completion=completion))
        finally:
            if rt.deadline_timer is not None:
                rt.deadline_timer.cancel()
            self.running.pop(rt.token, None)
            rt.task = None

    def _context(self, token: bytes, workflow_id: str = "") -> _nexus._OperationContext:
        return _nexus._OperationContext(
            info=_nexus.Info(namespace=self.namespace, task_queue=self._task_queue),
            client=self.client,
            task_token=token,
            workflow_id=workflow_id,
        )

    async def _start(
        self,
        rt: _RunningTask,
        t: nexus_pb2.NexusTask,
        deadline: datetime | None,
        completion: nexus_pb2.NexusTaskCompletion,
    ) -> None:
        s = t.start_operation
        ctx = StartOperationContext(
            service=s.service,
            operation=s.operation,
            headers=dict(t.headers),
            request_id=s.request_id,
            callback_url=s.callback or None,
            callback_headers=dict(s.callback_header),
            inbound_links=[nexusrpc.Link(url=link.url, type=link.type) for link in s.links],
            task_cancellation=rt.cancellation,
            request_deadline=deadline,
        )
        _nexus._current.set(self._context(t.task_token))
        what = f"Nexus operation {s.service}.{s.operation}"
        lazy = nexusrpc.LazyValue(serializer=_PayloadSerializer(self._dc, s.payload, what), headers={})
        try:
            result = await self._handler.start_operation(ctx, lazy)
        except nexusrpc.OperationError as err:
            cancelled = err.state == nexusrpc.OperationErrorState.CANCELED
            failure: BaseException
            if cancelled:
                failure = CancelledError(err.message)
            else:
                failure = ApplicationError(err.message, type="OperationError", non_retryable=True)
            failure.__cause__ = err.__cause__
            failure.__traceback__ = err.__traceback__
            completion.operation_error.cancelled = cancelled
            completion.operation_error.failure.CopyFrom(await self._dc.encode_failure(failure))
            return
        if isinstance(result, nexusrpc.handler.StartOperationResultAsync):
            if not result.token:
                raise nexusrpc.HandlerError(
                    f"{what} started asynchronously with an empty operation token",
                    type=nexusrpc.HandlerErrorType.INTERNAL,
                    retryable_override=False,
                )
            completion.async_started.operation_token = result.token
        elif isinstance(result, nexusrpc.handler.StartOperationResultSync):
            try:
                [payload] = await self._dc.encode([result.value])
            except Exception as err:
                raise nexusrpc.HandlerError(
                    f"the result of {what} ({type(result.value).__name__}) could not be converted: {err}",
                    type=nexusrpc.HandlerErrorType.INTERNAL,
                    retryable_override=False,
                ) from err
            completion.sync_result.CopyFrom(payload)
        else:
            raise nexusrpc.HandlerError(
                f"the start of {what} returned {type(result).__name__}; an operation handler's start must return "
                "nexusrpc.handler.StartOperationResultSync or StartOperationResultAsync",
                type=nexusrpc.HandlerErrorType.INTERNAL,
                retryable_override=False,
            )
        completion.links.extend(nexus_pb2.NexusLink(url=link.url, type=link.type) for link in ctx.outbound_links)

    async def _cancel(
        self,
        rt: _RunningTask,
        t: nexus_pb2.NexusTask,
        deadline: datetime | None,
        completion: nexus_pb2.NexusTaskCompletion,
    ) -> None:
        c = t.cancel_operation
        ctx = CancelOperationContext(
            service=c.service,
            operation=c.operation,
            headers=dict(t.headers),
            task_cancellation=rt.cancellation,
            request_deadline=deadline,
        )
        _nexus._current.set(self._context(t.task_token, c.workflow_id))
        await self._handler.cancel_operation(ctx, c.operation_token)
        completion.cancel_accepted.SetInParent()

    async def _handler_error(self, completion: nexus_pb2.NexusTaskCompletion, err: nexusrpc.HandlerError) -> None:
        token = completion.task_token
        completion.Clear()
        completion.task_token = token
        he = completion.handler_error
        he.error_type = err.raw_error_type or err.type.value
        he.retry_behavior = _retry_behavior(err)
        he.failure.CopyFrom(await self._dc.encode_failure(err))

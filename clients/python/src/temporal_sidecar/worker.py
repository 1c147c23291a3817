"""The worker, shaped like :py:class:`temporalio.worker.Worker`.

::

    async with Worker(conn, task_queue="orders", workflows=[OrderWorkflow],
                      activities=[charge, ship], activity_executor=ThreadPoolExecutor(10)):
        await stop.wait()

The worker opens one ``BridgeService.Connect`` stream to the sidecar,
registers its workflow and activity types, runs the tasks the sidecar sends
and answers each one. The sidecar does the polling, history replay, sticky
caching, heartbeat throttling and deadline keeping. Workflow activations run
on a deterministic event loop per run (see
:py:mod:`temporal_sidecar.workflow`), in the ``workflow_task_executor``.
If the stream breaks (the sidecar restarted, say) while the worker runs, it
reconnects with exponential backoff and registers again; the sidecar has
already failed the lost session's activities for retry and forgotten its
cached workflow runs, which are rebuilt by replay on their next task.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextvars
import ctypes
import functools
import logging
import random
import threading
import uuid
import warnings
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from types import TracebackType
from typing import Any, cast

import google.protobuf.message
import grpc
import grpc.aio

import temporal_sidecar
from temporal_sidecar import _slots, _usage
from temporal_sidecar import activity as _activity
from temporal_sidecar import workflow as _workflow
from temporal_sidecar._nexus_worker import NexusWorker
from temporal_sidecar._workflow_instance import WorkflowInstance
from temporal_sidecar.activity import ActivityCancellationDetails, Info, _CompleteAsyncError, _CompositeEvent
from temporal_sidecar.client import Client
from temporal_sidecar.common import Priority, RawValue, RetryPolicy
from temporal_sidecar.connection import Connection
from temporal_sidecar.exceptions import (
    ApplicationError,
    ApplicationErrorCategory,
    CancelledError,
    FatalWorkerError,
    RegistrationError,
    SidecarConnectionError,
    SidecarError,
)
from temporal_sidecar.interceptor import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)
from temporal_sidecar.proto.sidecar.bridge.v1 import (
    activity_pb2,
    bridge_pb2,
    common_pb2,
    history_pb2,
    workflow_activation_pb2,
    workflow_completion_pb2,
)
from temporal_sidecar.tuning import CustomSlotSupplier, WorkerTuner, _offer

__all__ = [
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ExecuteActivityInput",
    "Interceptor",
    "Replayer",
    "Worker",
    "WorkflowReplayResult",
    "WorkflowReplayResults",
]

logger = logging.getLogger(__name__)

#: The bridge protocol version this library speaks.
PROTOCOL_VERSION = 1
SDK_NAME = "temporal-sidecar-python"

_CONNECT = "/sidecar.bridge.v1.BridgeService/Connect"

# How long cancelled activities get to answer during shutdown, and how long the
# sidecar gets to confirm a drain, before the worker closes the stream anyway
# (the sidecar then fails whatever was still outstanding for retry).
_SHUTDOWN_STRAGGLER_TIMEOUT = 5.0

# Reconnect backoff: exponential with jitter between half and all of the step.
_BACKOFF_INITIAL = 0.1
_BACKOFF_MAX = 5.0

# Registration errors: the sidecar's answer will not change by retrying.
# RESOURCE_EXHAUSTED: the sidecar serves as many task queues as --max-task-queues allows.
_REGISTRATION_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
}
#: The capacity offered for a kind a custom slot supplier serves: the
#: supplier bounds the work, as it does on sdk-core, not the capacity.
_CUSTOM_CAPACITY = 10_000

#: The bridge's slot kinds, in the order of WorkerTuner._suppliers.
_SLOT_KINDS = (
    bridge_pb2.SLOT_KIND_WORKFLOW,
    bridge_pb2.SLOT_KIND_ACTIVITY,
    bridge_pb2.SLOT_KIND_LOCAL_ACTIVITY,
    bridge_pb2.SLOT_KIND_NEXUS,
)

_AUTH_CODES = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNIMPLEMENTED}



def _cancellation_details(cancel: activity_pb2.CancelActivity) -> ActivityCancellationDetails:
    r = cancel.reason
    return ActivityCancellationDetails(
        not_found=r == activity_pb2.ACTIVITY_CANCEL_REASON_NOT_FOUND,
        # An unset or unknown reason is taken as a cancellation request.
        cancel_requested=r
        not in (
            activity_pb2.ACTIVITY_CANCEL_REASON_NOT_FOUND,
            activity_pb2.ACTIVITY_CANCEL_REASON_TIMED_OUT,
            activity_pb2.ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN,
            activity_pb2.ACTIVITY_CANCEL_REASON_PAUSED,
            activity_pb2.ACTIVITY_CANCEL_REASON_RESET,
        ),
        timed_out=r == activity_pb2.ACTIVITY_CANCEL_REASON_TIMED_OUT,
        worker_shutdown=r == activity_pb2.ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN,
        paused=r == activity_pb2.ACTIVITY_CANCEL_REASON_PAUSED,
        reset=r == activity_pb2.ACTIVITY_CANCEL_REASON_RESET,
        message=cancel.message,
    )


_EOF: object = grpc.aio.EOF  # type: ignore[attr-defined]  # not in grpc-stubs


def _serialize(m: bridge_pb2.ConnectRequest) -> bytes:
    return m.SerializeToString()


class _SessionEnded(Exception):
    """The Connect stream ended; ``registered`` says whether it got that far."""

    def __init__(self, message: str, *, registered: bool) -> None:
        super().__init__(message)
        self.registered = registered


class _Session:
    """One Connect stream, from the Register to its end."""

    def __init__(self, call: grpc.aio.StreamStreamCall[bridge_pb2.ConnectRequest, bridge_pb2.ConnectResponse]) -> None:
        # Dropped when the session ends: a call object that stays referenced
        # keeps the channel's connection open after Connection.close().
        self.call: grpc.aio.StreamStreamCall[bridge_pb2.ConnectRequest, bridge_pb2.ConnectResponse] | None = call
        self.id = ""
        self.outbox: asyncio.Queue[bridge_pb2.ConnectRequest | None] = asyncio.Queue()
        self.closed = False  # the stream ended: nothing more can be sent
        self.write_closed = False  # our side was half-closed
        self.sidecar_shutting_down = False
        self.drain_sent = False
        self.drained = asyncio.Event()
        self.ended = asyncio.Event()

    def send(self, m: bridge_pb2.ConnectRequest) -> bool:
        if self.closed or self.write_closed:
            return False
        self.outbox.put_nowait(m)
        return True

    def close_write(self) -> None:
        if not self.closed and not self.write_closed:
            self.write_closed = True
            self.outbox.put_nowait(None)

    def cancel(self) -> None:
        if self.call is not None:
            self.call.cancel()

    def drain(self) -> None:
        if not self.drain_sent and self.send(bridge_pb2.ConnectRequest(drain=bridge_pb2.Drain())):
            self.drain_sent = True


class _ThreadExceptionRaiser:
    """Raises an exception asynchronously in the thread running a synchronous
    activity, as temporalio does; held back inside shield blocks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._thread_id: int | None = None
        self._pending: type[BaseException] | None = None
        self._shield_depth = 0

    @contextmanager
    def active_thread(self) -> Iterator[None]:
        with self._lock:
            self._thread_id = threading.get_ident()
            self._raise_if_pending()
        try:
            yield None
        finally:
            with self._lock:
                self._thread_id = None
                self._pending = None

    def raise_in_thread(self, exc_type: type[BaseException]) -> None:
        with self._lock:
            self._pending = exc_type
            self._raise_if_pending()

    @contextmanager
    def shielded(self) -> Iterator[None]:
        with self._lock:
            self._shield_depth += 1
        try:
            yield None
        finally:
            with self._lock:
                self._shield_depth -= 1
                self._raise_if_pending()

    def _raise_if_pending(self) -> None:
        if self._thread_id is None or self._shield_depth > 0 or self._pending is None:
            return
        n = ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread_id), ctypes.py_object(self._pending))
        if n > 1:  # cannot happen for one thread id; undo as the C API asks
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(self._thread_id), None)
        self._pending = None


@dataclass(eq=False)
class _RunningActivity:
    token: bytes
    session: _Session
    activity_type: str
    activity_id: str
    cancelled: _CompositeEvent
    task: asyncio.Task[None] | None = None
    local: bool = False  # a local activity: not cancelled at the graceful timeout
    info: Info | None = None
    sync: bool = False
    entered: bool = False  # _execute began: cancelling the task now reaches its try block
    done: bool = False  # the activity function has returned
    raiser: _ThreadExceptionRaiser | None = None
    cancel_details: ActivityCancellationDetails | None = None
    cancel_from_sidecar: bool = False  # the sidecar sent CancelActivity: a cancelled answer is valid
    last_heartbeat: asyncio.Future[None] | None = None

    def cancel(self, details: ActivityCancellationDetails, *, from_sidecar: bool) -> None:
        if self.cancel_details is None:
            self.cancel_details = details
            self.cancel_from_sidecar = from_sidecar
        elif from_sidecar:
            self.cancel_from_sidecar = True
        self.cancelled.set()
        if self.done:
            return
        if self.raiser is not None:
            self.raiser.raise_in_thread(CancelledError)
        if not self.sync and self.task is not None and self.entered:
            self.task.cancel()


@dataclass(eq=False)
class _Run:
    """A workflow run this worker holds (the sidecar's cache entry for it)."""

    instance: WorkflowInstance
    workflow_type: str
    workflow_id: str
    busy: bool = False  # an activation runs in the executor
    deadlocked: bool = False  # an activation never returned: the run is unusable
    dropped: bool = False  # its session ended while busy: tear down when the activation returns


# How long workflow code may run without yielding before its task is failed.
_DEADLOCK_TIMEOUT = 2.0

_PAYLOAD = "sidecar.bridge.v1.Payload"
# Left to the server as they are, as temporalio does: never passed through a codec.
_NO_CODEC_FIELDS = frozenset({"search_attributes", "headers"})


def _payloads_in(msg: google.protobuf.message.Message, out: list[common_pb2.Payload]) -> None:
    """Collects every Payload in msg (in place, to pass through a codec)."""
    for fd, value in msg.ListFields():
        mt = fd.message_type
        if mt is None or fd.name in _NO_CODEC_FIELDS:
            continue
        if mt.GetOptions().map_entry:
            vt = mt.fields_by_name["value"].message_type
            if vt is None:
                continue
            if vt.full_name == _PAYLOAD:
                out.extend(value.values())
            else:
                for v in value.values():
                    _payloads_in(v, out)
        elif mt.full_name == _PAYLOAD:
            if fd.is_repeated:
                out.extend(value)
            else:
                out.append(value)
        elif fd.is_repeated:
            for v in value:
                _payloads_in(v, out)
        else:
            _payloads_in(value, out)


async def _apply_codec(
    msg: google.protobuf.message.Message,
    fn: Callable[[Sequence[common_pb2.Payload]], Awaitable[list[common_pb2.Payload]]],
) -> None:
    payloads: list[common_pb2.Payload] = []
    _payloads_in(msg, payloads)
    if not payloads:
        return
    new = await fn(payloads)
    if len(new) != len(payloads):
        raise RuntimeError(f"the payload codec returned {len(new)} payloads for {len(payloads)}")
    for old, p in zip(payloads, new):
        old.CopyFrom(p)


class _Backoff:
    def __init__(self) -> None:
        self.attempt = 0

    def reset(self) -> None:
        self.attempt = 0

    def next(self) -> float:
        step = min(_BACKOFF_MAX, _BACKOFF_INITIAL * (2**self.attempt))
        self.attempt += 1
        return random.uniform(step / 2, step)


class Worker:
    """Runs workflows and activities for one task queue through a sidecar.

    Args:
        connection: The sidecar connection (:py:meth:`Connection.connect`),
            or a :py:class:`temporal_sidecar.client.Client` (its connection is
            used), as temporalio's Worker takes its client.
        task_queue: The task queue; it must be the sidecar's ``--task-queue``.
        workflows: Classes decorated with
            :py:func:`temporal_sidecar.workflow.defn`.
        activities: Functions decorated with
            :py:func:`temporal_sidecar.activity.defn`, async or not.
        activity_executor: Where synchronous activities run; required when
            there is one. Only :py:class:`concurrent.futures.ThreadPoolExecutor`
            is supported. The worker does not shut it down.
        workflow_task_executor: Where workflow activations run, one at a time
            per run. Defaults to a pool of ``max_concurrent_workflow_tasks``
            threads created and shut down by the worker.
        max_concurrent_activities: Activity tasks run at once; the sidecar
            never sends more.
        max_concurrent_local_activities: Local activity tasks run at once.
            Defaults to ``max_concurrent_activities``.
        max_concurrent_workflow_tasks: Workflow activations run at once
            (across runs); the sidecar never sends more.
        workflow_failure_exception_types: Exception types that fail the
            workflow (instead of the workflow task, which is retried) when
            workflow code raises them; :py:class:`temporal_sidecar.exceptions.FailureError`
            (``ApplicationError`` and friends) and ``asyncio.TimeoutError``
            always do. ``Exception`` turns every error into a workflow failure.
        graceful_shutdown_timeout: How long running activities may finish
            after :py:meth:`shutdown` before they are cancelled.
        interceptors: Activity interceptors; the first is the outermost.
        nexus_service_handlers: Instances of Nexus service handler classes
            (decorated with ``@nexusrpc.handler.service_handler``; see
            :py:mod:`temporal_sidecar.nexus`).
        nexus_task_executor: Where operation handlers that are not ``async``
            run; required when there is one. The worker does not shut it down.
        max_concurrent_nexus_tasks: Nexus tasks run at once; the sidecar
            never sends more.
        tuner: A slot supplier per kind of task
            (:py:class:`temporal_sidecar.tuning.WorkerTuner`), instead of the
            ``max_concurrent_*`` options, as temporalio's Worker takes one: a
            fixed-size supplier offers its slots, a resource-based one its
            maximum (the sidecar's own resource-based supplier decides how
            many are used), and the sidecar asks a
            :py:class:`~temporal_sidecar.tuning.CustomSlotSupplier` for each slot.
        identity: This worker in the sidecar's logs; defaults to the
            connection's identity.
        debug_mode: Turn off the deadlock detection of workflow code (for
            stepping through it in a debugger).

    The worker reports its memory and CPU use to the sidecar once a second
    (see :py:mod:`temporal_sidecar._usage`), which the sidecar's
    resource-based slot suppliers steer by.
    """

    def __init__(
        self,
        connection: Connection | Client,
        *,
        task_queue: str,
        workflows: Sequence[type] = (),
        activities: Sequence[Callable[..., Any]] = (),
        activity_executor: concurrent.futures.Executor | None = None,
        workflow_task_executor: concurrent.futures.ThreadPoolExecutor | None = None,
        max_concurrent_activities: int | None = None,
        max_concurrent_local_activities: int | None = None,
        max_concurrent_workflow_tasks: int | None = None,
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        graceful_shutdown_timeout: timedelta = timedelta(),
        interceptors: Sequence[Interceptor] = (),
        identity: str | None = None,
        debug_mode: bool = False,
        nexus_service_handlers: Sequence[Any] = (),
        nexus_task_executor: concurrent.futures.Executor | None = None,
        max_concurrent_nexus_tasks: int | None = None,
        tuner: WorkerTuner | None = None,
    ) -> None:
        # activity.client() returns it (async activities only, as temporalio).
        self._client = connection if isinstance(connection, Client) else None
        if isinstance(connection, Client):
            connection = connection.connection
        if not task_queue:
            raise ValueError("task_queue is required: pass the sidecar's --task-queue")
        if not activities and not workflows and not nexus_service_handlers:
            raise ValueError(
                "the worker has no workflows or activities (nor Nexus services): pass workflows=[...] with "
                "@workflow.defn classes, activities=[...] with @activity.defn functions and/or "
                "nexus_service_handlers=[...] with @nexusrpc.handler.service_handler instances (a sidecar "
                "refuses a registration that offers no work)"
            )
        # The slot suppliers the sidecar asks, by the bridge's slot kind.
        self._slot_suppliers: dict[int, CustomSlotSupplier] = {}
        self._slot_server: _slots.SlotSuppliers | None = None  # the live session's
        self._usage_reporter: asyncio.Task[None] | None = None  # the live session's
        if tuner is not None:
            given = [n for n, v in (("max_concurrent_activities", max_concurrent_activities),
                                    ("max_concurrent_local_activities", max_concurrent_local_activities),
                                    ("max_concurrent_workflow_tasks", max_concurrent_workflow_tasks),
                                    ("max_concurrent_nexus_tasks", max_concurrent_nexus_tasks)) if v is not None]  # fmt: skip
            if given:
                raise ValueError(f"pass either tuner or {', '.join(given)}, not both (as temporalio's Worker)")
            wf, act, local_act, nx = tuner._suppliers()
            max_concurrent_workflow_tasks, max_concurrent_activities = _offer(wf, _CUSTOM_CAPACITY), _offer(act, _CUSTOM_CAPACITY)
            max_concurrent_local_activities, max_concurrent_nexus_tasks = _offer(local_act, _CUSTOM_CAPACITY), _offer(nx, _CUSTOM_CAPACITY)
            self._slot_suppliers = {
                k: sup for k, sup in zip(_SLOT_KINDS, (wf, act, local_act, nx)) if isinstance(sup, CustomSlotSupplier)
            }
        max_concurrent_activities = 100 if max_concurrent_activities is None else max_concurrent_activities
        max_concurrent_workflow_tasks = 100 if max_concurrent_workflow_tasks is None else max_concurrent_workflow_tasks
        max_concurrent_nexus_tasks = 100 if max_concurrent_nexus_tasks is None else max_concurrent_nexus_tasks
        if max_concurrent_nexus_tasks < 1:
            raise ValueError("max_concurrent_nexus_tasks must be at least 1")
        if max_concurrent_activities < 1:
            raise ValueError("max_concurrent_activities must be at least 1")
        if max_concurrent_workflow_tasks < 1:
            raise ValueError("max_concurrent_workflow_tasks must be at least 1")
        local = max_concurrent_activities if max_concurrent_local_activities is None else max_concurrent_local_activities
        if local < 1:
            raise ValueError("max_concurrent_local_activities must be at least 1")
        if graceful_shutdown_timeout < timedelta():
            raise ValueError("graceful_shutdown_timeout cannot be negative")
        if activity_executor is not None and not isinstance(activity_executor, concurrent.futures.ThreadPoolExecutor):
            raise TypeError(
                "activity_executor must be a concurrent.futures.ThreadPoolExecutor "
                "(process pool executors are not supported)"
            )

        self._workflows: dict[str, _workflow._Definition] = {}
        self._dynamic_workflow: _workflow._Definition | None = None
        for cls in workflows:
            if not isinstance(cls, type):
                raise TypeError(f"workflow {cls!r} is not a class: pass @workflow.defn classes in workflows=[...]")
            wd = _workflow._Definition.must_from_class(cls)
            if wd.name is None:
                if self._dynamic_workflow is not None:
                    raise TypeError("more than one dynamic workflow")
                self._dynamic_workflow = wd
            elif wd.name in self._workflows:
                raise ValueError(
                    f"more than one workflow named {wd.name!r}: give one of them another name with "
                    "@workflow.defn(name=...)"
                )
            else:
                self._workflows[wd.name] = wd
        self._workflow_failure_types = tuple(workflow_failure_exception_types)
        self._max_concurrent_workflow_tasks = max_concurrent_workflow_tasks
        self._workflow_executor = workflow_task_executor
        self._own_workflow_executor = workflow_task_executor is None
        self._debug_mode = debug_mode
        self._runs: dict[str, _Run] = {}
        # A Replayer's worker (see _replay_worker): registered replay_only,
        # it only runs the histories it sends in ReplayHistory.
        self._replay_only = False
        self._replays: dict[str, asyncio.Future[history_pb2.ReplayResult]] = {}
        self._activations: set[asyncio.Task[None]] = set()

        self._activities: dict[str, _activity._Definition] = {}
        self._dynamic: _activity._Definition | None = None
        for fn in activities:
            if isinstance(fn, type):
                raise TypeError(f"activity {fn.__name__} is a class; register an instance's method or __call__")
            d = _activity._Definition.must_from_callable(fn)
            if d.name is None:
                if self._dynamic is not None:
                    raise TypeError("more than one dynamic activity")
                self._dynamic = d
            elif d.name in self._activities:
                raise ValueError(
                    f"more than one activity named {d.name!r}: give one of them another name with "
                    "@activity.defn(name=...)"
                )
            else:
                self._activities[d.name] = d
            if not d.is_async and activity_executor is None:
                raise ValueError(
                    f"activity {d.name or 'dynamic'!r} is not async, so the worker needs an activity_executor "
                    "(a concurrent.futures.ThreadPoolExecutor)"
                )
        if isinstance(activity_executor, concurrent.futures.ThreadPoolExecutor):
            workers = getattr(activity_executor, "_max_workers", None)
            if isinstance(workers, int) and workers < max_concurrent_activities and any(
                not d.is_async for d in self._all_definitions()
            ):
                warnings.warn(
                    f"activity_executor has {workers} threads, fewer than max_concurrent_activities "
                    f"({max_concurrent_activities}): synchronous activities beyond that wait for a thread"
                )

        self._connection = connection
        self._task_queue = task_queue
        self._nexus = (
            NexusWorker(
                service_handlers=nexus_service_handlers,
                executor=nexus_task_executor,
                connection=connection,
                task_queue=task_queue,
            )
            if nexus_service_handlers
            else None
        )
        self._max_concurrent_nexus = max_concurrent_nexus_tasks
        self._executor = activity_executor
        self._max_concurrent = max_concurrent_activities
        self._max_concurrent_local = local
        self._graceful_timeout = graceful_shutdown_timeout
        self._interceptors = list(interceptors)
        self._identity = identity or connection.identity
        self._data_converter = connection.data_converter
        self._connect: grpc.aio.StreamStreamMultiCallable[bridge_pb2.ConnectRequest, bridge_pb2.ConnectResponse] = (
            connection.channel.stream_stream(
                _CONNECT, request_serializer=_serialize, response_deserializer=bridge_pb2.ConnectResponse.FromString
            )
        )

        self._running: dict[bytes, _RunningActivity] = {}
        self._recent: collections.OrderedDict[bytes, tuple[str, str]] = collections.OrderedDict()
        self._session: _Session | None = None
        self._last_session: _Session | None = None
        self._started = False
        self._is_running = False
        self._is_shutdown = False
        self._shutdown_requested = False
        self._fatal: SidecarError | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shutdown_event: asyncio.Event | None = None
        self._worker_shutdown: _CompositeEvent | None = None
        self._registered_once: asyncio.Event | None = None
        self._run_done: asyncio.Event | None = None
        self._shutdown_task: asyncio.Task[None] | None = None
        self._run_task: asyncio.Task[None] | None = None
        self._deadline_passed = False

    def _all_definitions(self) -> list[_activity._Definition]:
        return list(self._activities.values()) + ([self._dynamic] if self._dynamic else [])

    # ------------------------------------------------------------ public API

    @property
    def task_queue(self) -> str:
        """The task queue."""
        return self._task_queue

    @property
    def identity(self) -> str:
        """This worker's identity."""
        return self._identity

    @property
    def is_running(self) -> bool:
        """True from :py:meth:`run` until it returns, reconnecting included."""
        return self._is_running

    @property
    def is_shutdown(self) -> bool:
        """True once :py:meth:`run` has returned."""
        return self._is_shutdown

    @property
    def is_connected(self) -> bool:
        """True while a registered session with the sidecar is open."""
        s = self._session
        return s is not None and bool(s.id) and not s.closed

    async def run(self) -> None:
        """Serve workflows and activities until :py:meth:`shutdown` is called.

        Raises:
            RegistrationError: the sidecar refused the registration.
            SidecarConnectionError: the sidecar refused this process's token.
            FatalWorkerError: the sidecar stopped polling for good.
        """
        if self._started:
            raise RuntimeError("the worker was already started; create a new Worker to run again")
        self._started = True
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._shutdown_event = asyncio.Event()
        self._worker_shutdown = _CompositeEvent(loop)
        self._registered_once = self._registered_once or asyncio.Event()
        self._run_done = self._run_done or asyncio.Event()
        self._is_running = True
        if self._workflow_executor is None and (self._workflows or self._dynamic_workflow is not None):
            self._workflow_executor = concurrent.futures.ThreadPoolExecutor(
                # A custom supplier's offer is large; temporalio's default pool is 500.
                min(self._max_concurrent_workflow_tasks, 500)
                if bridge_pb2.SLOT_KIND_WORKFLOW in self._slot_suppliers
                else self._max_concurrent_workflow_tasks,
                thread_name_prefix="temporal_sidecar_workflow",
            )
        try:
            if self._shutdown_requested:  # shutdown() raced run()
                self._shutdown_event.set()
                self._worker_shutdown.set()
            await self._run_loop()
        finally:
            self._is_running = False
            self._is_shutdown = True
            await self._wait_teardowns()
            if self._own_workflow_executor and self._workflow_executor is not None:
                self._workflow_executor.shutdown(wait=False)
            self._run_done.set()

    async def shutdown(self) -> None:
        """Stop taking tasks, let running activities finish within
        ``graceful_shutdown_timeout`` (then cancel them), and wait for
        :py:meth:`run` to return. Does not raise the errors ``run`` raises."""
        if not self._started:
            raise RuntimeError("the worker was never started")
        self._begin_shutdown()
        assert self._run_done is not None
        await self._run_done.wait()

    async def __aenter__(self) -> Worker:
        """Start :py:meth:`run` in the background and wait until the sidecar
        accepted the registration (or refused it: then raise)."""
        self._registered_once = asyncio.Event()
        self._run_done = asyncio.Event()
        self._run_task = asyncio.create_task(self.run())
        registered = asyncio.create_task(self._registered_once.wait())
        try:
            await asyncio.wait([self._run_task, registered], return_when=asyncio.FIRST_COMPLETED)
        finally:
            registered.cancel()
        if self._run_task.done():
            await self._run_task  # raises the reason
            raise RuntimeError("the worker stopped before it registered")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._run_task is None:
            return
        if not self._run_task.done():
            await self.shutdown()
        err = self._run_task.exception() if not self._run_task.cancelled() else None
        if err is not None and exc_type is None:
            raise err

    # ------------------------------------------------------------ session loop

    async def _run_loop(self) -> None:
        assert self._shutdown_event is not None
        backoff = _Backoff()
        try:
            while not self._shutdown_requested:
                try:
                    await self._run_session()
                    registered, why, level = True, "the sidecar drained and closed the session", logging.INFO
                except _SessionEnded as e:
                    registered, why, level = e.registered, str(e), logging.WARNING
                if self._fatal is not None or self._shutdown_requested:
                    break
                # A session that registered resets the backoff, unless the
                # sidecar was shutting down: it accepts and drains new sessions
                # until it exits, and reconnecting at once would spin.
                last = self._last_session
                if registered and last is not None and not last.sidecar_shutting_down:
                    backoff.reset()
                delay = backoff.next()
                logger.log(level, "%s; reconnecting to %s in %.2fs", why, self._connection.target, delay)
                try:
                    await asyncio.wait_for(self._shutdown_event.wait(), delay)
                except asyncio.TimeoutError:
                    pass
        finally:
            self._begin_shutdown()
            assert self._shutdown_task is not None
            await self._shutdown_task
        if self._fatal is not None:
            raise self._fatal

    def _register_message(self) -> bridge_pb2.ConnectRequest:
        m = self._register_without_suppliers()
        c = m.register.capacity
        offered: dict[int, int] = dict(zip(_SLOT_KINDS, (c.workflow_activations, c.activities, c.local_activities, c.nexus_tasks)))
        # The sidecar asks a custom supplier for the kinds this worker takes.
        kinds = [k for k in sorted(self._slot_suppliers) if offered[k] and not self._replay_only]
        m.register.slot_suppliers.extend(kinds)  # type: ignore[arg-type]
        return m

    def _register_without_suppliers(self) -> bridge_pb2.ConnectRequest:
        serves_activities = bool(self._activities) or self._dynamic is not None
        serves_workflows = bool(self._workflows) or self._dynamic_workflow is not None
        return bridge_pb2.ConnectRequest(
            register=bridge_pb2.Register(
                protocol_version=PROTOCOL_VERSION,
                identity=self._identity,
                sdk_name=SDK_NAME,
                sdk_version=temporal_sidecar.__version__,
                task_queue="" if self._replay_only else self._task_queue,
                replay_only=self._replay_only,
                workflows=[
                    bridge_pb2.WorkflowRegistration(
                        name=n,
                        signals=sorted(k for k in d.signals if k),
                        queries=sorted(k for k in d.queries if k),
                        updates=sorted(k for k in d.updates if k),
                        versioning_behavior=int(d.versioning_behavior),  # type: ignore[arg-type]
                    )
                    for n, d in self._workflows.items()
                ],
                activities=[bridge_pb2.ActivityRegistration(name=n) for n in self._activities],
                nexus_services=self._nexus.registrations() if self._nexus else [],
                capacity=bridge_pb2.Capacity(
                    activities=self._max_concurrent if serves_activities else 0,
                    local_activities=self._max_concurrent_local if serves_activities else 0,
                    workflow_activations=self._max_concurrent_workflow_tasks if serves_workflows else 0,
                    nexus_tasks=self._max_concurrent_nexus if self._nexus else 0,
                ),
                dynamic_activity=self._dynamic is not None,
                dynamic_workflow=self._dynamic_workflow is not None,
                dynamic_workflow_versioning_behavior=int(  # type: ignore[arg-type]
                    self._dynamic_workflow.versioning_behavior if self._dynamic_workflow is not None else 0
                ),
            )
        )

    async def _run_session(self) -> None:
        """Runs one Connect stream until it ends. Returns when it ended cleanly
        (the sidecar drained it); raises _SessionEnded when it broke, and the
        non-retryable errors as themselves."""
        call = self._connect(None, metadata=self._connection.metadata, wait_for_ready=False)
        session = _Session(call)
        self._session = session
        self._last_session = session
        writer = asyncio.create_task(self._write(session, call))
        registered = False
        try:
            session.send(self._register_message())
            while True:
                failed: tuple[grpc.StatusCode, str] | None = None
                try:
                    msg = await call.read()
                except grpc.aio.AioRpcError as err:
                    # Raised outside this block: the error's traceback would
                    # keep the call, and with it the connection, alive.
                    failed = (err.code(), err.details() or "")
                if failed is not None:
                    raise self._stream_error(failed[0], failed[1], registered)
                if msg is _EOF:
                    code = await call.code()
                    if code != grpc.StatusCode.OK:
                        raise self._stream_error(code, await call.details() or "", registered)
                    if not registered:
                        raise _SessionEnded(
                            "the sidecar ended the stream before accepting the registration", registered=False
                        )
                    if not session.drained.is_set():
                        raise _SessionEnded("the sidecar ended the session without draining it", registered=True)
                    return
                m = cast(bridge_pb2.ConnectResponse, msg)
                kind = m.WhichOneof("message")
                if not registered:
                    if kind != "registered":
                        raise RegistrationError(
                            f"the sidecar answered the registration with {kind}, not registered; "
                            "is it a sidecar that speaks bridge protocol version 1?"
                        )
                    registered = True
                    self._on_registered(session, m.registered)
                    continue
                self._handle(session, m)
        finally:
            session.closed = True
            session.ended.set()
            if self._session is session:
                self._session = None
            writer.cancel()
            call.cancel()
            # An error raised from here keeps this frame alive in its traceback.
            session.call = None
            del call, writer
            self._session_lost(session)

    def _stream_error(self, code: grpc.StatusCode, details: str, registered: bool) -> Exception:
        if code in _REGISTRATION_CODES:
            return RegistrationError(f"the sidecar refused the worker: {details}", code=code)
        if code in _AUTH_CODES:
            return SidecarConnectionError(
                f"the sidecar at {self._connection.target} refused the worker: {details}", code=code
            )
        return _SessionEnded(f"the stream to the sidecar broke ({code.name}: {details})", registered=registered)

    async def _write(
        self,
        session: _Session,
        call: grpc.aio.StreamStreamCall[bridge_pb2.ConnectRequest, bridge_pb2.ConnectResponse],
    ) -> None:
        try:
            while True:
                m = await session.outbox.get()
                if m is None:
                    await call.done_writing()
                    return
                await call.write(m)
        except asyncio.CancelledError:
            raise
        except Exception as err:  # noqa: BLE001 - the reader sees the stream's status
            logger.debug("writing to the sidecar failed: %s", err)

    def _on_registered(self, session: _Session, r: bridge_pb2.Registered) -> None:
        session.id = r.session_id
        if self._slot_suppliers:
            self._slot_server = _slots.SlotSuppliers(self._slot_suppliers, session.send, logger=logger)
        if not self._replay_only:
            self._usage_reporter = asyncio.get_running_loop().create_task(_usage.report(session.send))
        if self._nexus is not None:
            self._nexus.namespace = r.namespace
        logger.info(
            "worker registered with sidecar %s (session %s, namespace %s, task queue %s, %d workflows, %d activities)",
            r.sidecar_identity,
            r.session_id,
            r.namespace,
            r.task_queue,
            len(self._workflows) + (self._dynamic_workflow is not None),
            len(self._activities) + (self._dynamic is not None),
        )
        if r.protocol_version != PROTOCOL_VERSION:
            logger.warning(
                "the sidecar speaks bridge protocol version %d; this worker speaks %d",
                r.protocol_version,
                PROTOCOL_VERSION,
            )
        if self._replay_only and not r.capabilities.replay:
            # An older sidecar ignores replay_only and would send this
            # session live tasks: leave at once.
            if self._fatal is None:
                self._fatal = FatalWorkerError(
                    f"the sidecar {r.sidecar_identity} (version {r.sidecar_version or 'unknown'}) cannot replay "
                    "histories: use a sidecar whose capabilities include replay"
                )
            self._begin_shutdown()
        assert self._registered_once is not None
        self._registered_once.set()
        if self._shutdown_requested:
            session.drain()

    def _handle(self, session: _Session, m: bridge_pb2.ConnectResponse) -> None:
        kind = m.WhichOneof("message")
        if kind == "workflow_activation":
            assert self._loop is not None
            act = m.workflow_activation
            if len(act.jobs) == 1 and act.jobs[0].WhichOneof("variant") == "remove_from_cache":
                # Answered here, at once; the run's code unwinds afterwards.
                # (The run is out of self._runs: a new activation for it starts afresh.)
                evicted = self._evict(act.run_id, act.jobs[0].remove_from_cache)
                done = workflow_completion_pb2.WorkflowActivationCompletion(run_id=act.run_id)
                done.successful.SetInParent()
                self._send_completion(session, done)
                if evicted is not None:
                    self._teardown_later(evicted)
                return
            at = self._loop.create_task(self._activate(session, act))
            self._activations.add(at)
            at.add_done_callback(self._activations.discard)
        elif kind == "activity_task":
            t = m.activity_task
            variant = t.WhichOneof("variant")
            if variant == "start":
                self._start_activity(session, t.task_token, t.start)
            elif variant == "cancel":
                self._cancel_activity(t.task_token, t.cancel)
            else:
                logger.warning("the sidecar sent an activity task with no start or cancel")
        elif kind == "nexus_task" and self._nexus is not None:
            self._nexus.handle(session, m.nexus_task)
        elif kind == "completion_error" and m.completion_error.WhichOneof("task") == "run_id":
            self._workflow_completion_error(m.completion_error)
        elif kind == "completion_error":
            e = m.completion_error
            what = ""
            if e.WhichOneof("task") == "task_token":
                known = self._recent.get(e.task_token)
                ra = self._running.get(e.task_token)
                if ra is not None:
                    known = (ra.activity_type, ra.activity_id)
                if known is not None:
                    what = f" for activity {known[0]} (id {known[1]})"
            # An unknown task is usually benign: the activity timed out, or the
            # sidecar already failed it at its shutdown, before our answer came.
            level = logging.INFO if e.kind == bridge_pb2.COMPLETION_ERROR_KIND_UNKNOWN_TASK else logging.WARNING
            logger.log(
                level,
                "the sidecar did not accept a completion or heartbeat%s: %s (%s)",
                what,
                e.message,
                bridge_pb2.CompletionErrorKind.Name(e.kind),
            )
        elif kind == "shutdown":
            session.sidecar_shutting_down = True
            grace = m.shutdown.grace_period.ToTimedelta()
            logger.info(
                "the sidecar is shutting down; finishing %d running activities (grace period %s)",
                len(self._running),
                grace,
            )
        elif kind == "drained":
            session.drained.set()
            logger.debug("the sidecar drained session %s; closing it", session.id)
            session.close_write()
        elif kind == "worker_error":
            we = m.worker_error
            if we.fatal:
                logger.error("the sidecar stopped polling for good: %s", we.message)
                if self._fatal is None:
                    self._fatal = FatalWorkerError(f"the sidecar stopped polling for good: {we.message}")
                self._begin_shutdown()
            else:
                logger.warning("the sidecar reports: %s", we.message)
        elif kind == "replay_result":
            fut = self._replays.pop(m.replay_result.request_id, None)
            if fut is None or fut.done():
                logger.warning("the sidecar sent a replay result for request %r, which is not in progress", m.replay_result.request_id)
            else:
                fut.set_result(m.replay_result)
        elif kind == "slot_request" and self._slot_server is not None:
            self._slot_server.handle(m.slot_request)
        elif kind == "registered":
            logger.warning("the sidecar sent a second registered message; ignoring it")
        else:
            logger.debug("ignoring a %s message: this worker runs activities only", kind)

    def _session_lost(self, session: _Session) -> None:
        if self._usage_reporter is not None:
            self._usage_reporter.cancel()
            self._usage_reporter = None
        if self._slot_server is not None:
            self._slot_server.session_ended()
            self._slot_server = None
        self._drop_runs()
        if self._nexus is not None:
            self._nexus.session_lost(session)
        replays, self._replays = self._replays, {}
        for fut in replays.values():
            if not fut.done():
                fut.set_exception(
                    SidecarConnectionError("the session with the sidecar ended before the replay finished")
                )
        lost = [ra for ra in self._running.values() if ra.session is session and not ra.done]
        if not lost:
            return
        logger.warning(
            "the session with the sidecar ended with %d activities running; the sidecar failed them for retry, "
            "so they are cancelled here",
            len(lost),
        )
        for ra in lost:
            ra.cancel(
                ActivityCancellationDetails(lost=True, message="the connection to the sidecar was lost"),
                from_sidecar=False,
            )

    # ------------------------------------------------------------ workflows

    async def _replay(self, workflow_id: str, history: history_pb2.WorkflowHistory) -> history_pb2.ReplayResult:
        """Asks the sidecar to replay a history against this worker's
        workflows (the activations arrive like any other) and waits for
        the outcome.

        Raises:
            FatalWorkerError: the sidecar cannot replay.
            SidecarConnectionError: the session ended first.
        """
        if self._fatal is not None:
            raise self._fatal
        session = self._session
        if session is None or not session.id or session.closed:
            raise SidecarConnectionError("the worker has no session with the sidecar to replay on")
        request_id = str(uuid.uuid4())
        fut: asyncio.Future[history_pb2.ReplayResult] = asyncio.get_running_loop().create_future()
        self._replays[request_id] = fut
        req = history_pb2.ReplayHistory(request_id=request_id, workflow_id=workflow_id, history=history)
        if not session.send(bridge_pb2.ConnectRequest(replay_history=req)):
            self._replays.pop(request_id, None)
            raise SidecarConnectionError("the session with the sidecar ended before the replay was sent")
        return await fut

    async def _activate(self, session: _Session, act: workflow_activation_pb2.WorkflowActivation) -> None:
        run_id = act.run_id
        jobs = act.jobs
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "activation for run %s%s: %s",
                run_id,
                " (replaying)" if act.is_replaying else "",
                ", ".join(str(j.WhichOneof("variant")) for j in jobs),
            )
        dc = self._data_converter
        run = self._runs.get(run_id)
        starts_over = any(j.WhichOneof("variant") == "initialize_workflow" for j in jobs)
        if run is not None and run.busy:
            # The protocol allows one outstanding activation per run; the
            # sidecar broke that rule. Nothing sensible can be done with it.
            logger.error(
                "the sidecar sent an activation for run %s of workflow %s while the previous one is still "
                "running (a sidecar bug: one activation per run may be outstanding); failing it",
                run_id,
                run.workflow_type,
            )
            self._send_completion(
                session,
                await self._failed_completion(
                    run_id, RuntimeError("a second activation for a run whose activation is still running")
                ),
            )
            return
        if run is not None and starts_over:
            # The sidecar rebuilds the run from its start: drop what this worker held.
            logger.warning(
                "the sidecar started run %s of workflow %s over without evicting it first; replacing it",
                run_id,
                run.workflow_type,
            )
            self._runs.pop(run_id, None)
            self._teardown_later(run)
            run = None
        if run is not None:
            run.busy = True
        try:
            if dc.payload_codec is not None:
                await _apply_codec(act, dc.payload_codec.decode)
            if run is None:
                run = self._new_run(act)
                self._runs[run_id] = run
                run.busy = True
            if run.deadlocked:
                raise RuntimeError("an earlier activation of this run is still running (deadlocked)")
            completion = await self._run_activation(run, act)
            if dc.payload_codec is not None:
                await _apply_codec(completion, dc.payload_codec.encode)
        except asyncio.CancelledError:
            raise
        except BaseException as err:  # noqa: BLE001 - every outcome becomes an answer
            what = f"workflow {run.workflow_type} (id {run.workflow_id}, run {run_id})" if run else f"run {run_id}"
            logger.warning("failing the workflow task of %s: %s", what, err, exc_info=err)
            completion = await self._failed_completion(run_id, err)
        finally:
            if run is not None:
                run.busy = False
        if run is not None and run.dropped:
            self._teardown_later(run)
        self._send_completion(session, completion)

    def _send_completion(
        self, session: _Session, completion: workflow_completion_pb2.WorkflowActivationCompletion
    ) -> None:
        if not session.send(bridge_pb2.ConnectRequest(workflow_completion=completion)):
            logger.debug("dropping the completion of run %s: its session ended", completion.run_id)

    async def _failed_completion(
        self, run_id: str, err: BaseException
    ) -> workflow_completion_pb2.WorkflowActivationCompletion:
        done = workflow_completion_pb2.WorkflowActivationCompletion(run_id=run_id)
        try:
            done.failed.failure.CopyFrom(await self._data_converter.encode_failure(err))
        except Exception as inner:  # noqa: BLE001
            done.failed.failure.message = f"{err} (and converting it to a failure failed: {inner})"
            done.failed.failure.application_failure_info.SetInParent()
        if isinstance(err, _workflow.NondeterminismError):
            done.failed.cause = workflow_completion_pb2.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
        return done

    def _new_run(self, act: workflow_activation_pb2.WorkflowActivation) -> _Run:
        init = next(
            (j.initialize_workflow for j in act.jobs if j.WhichOneof("variant") == "initialize_workflow"), None
        )
        if init is None:
            raise RuntimeError(
                f"the sidecar sent an activation for run {act.run_id}, which this worker does not hold, "
                "without initialize_workflow"
            )
        defn = self._workflows.get(init.workflow_type, self._dynamic_workflow)
        if defn is None:
            raise ApplicationError(
                f"workflow type {init.workflow_type} is not registered on this worker; registered: "
                f"{', '.join(sorted(self._workflows))}",
                type="NotFoundError",
            )
        instance = WorkflowInstance(
            defn=defn,
            run_id=act.run_id,
            init=init,
            payload_converter=self._data_converter.payload_converter,
            failure_converter=self._data_converter.failure_converter,
            worker_failure_exception_types=self._workflow_failure_types,
        )
        return _Run(instance=instance, workflow_type=init.workflow_type, workflow_id=init.workflow_id)

    async def _run_activation(
        self, run: _Run, act: workflow_activation_pb2.WorkflowActivation
    ) -> workflow_completion_pb2.WorkflowActivationCompletion:
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._workflow_executor, run.instance.activate, act)
        if self._debug_mode:
            return await fut
        try:
            return await asyncio.wait_for(asyncio.shield(fut), _DEADLOCK_TIMEOUT)
        except asyncio.TimeoutError:
            run.deadlocked = True
            raise RuntimeError(
                f"potential deadlock detected: workflow {run.workflow_type} (id {run.workflow_id}) did not yield "
                f"within {_DEADLOCK_TIMEOUT:g} seconds. Workflow code must not block: no time.sleep, blocking I/O "
                "or thread locks; use workflow.sleep / asyncio primitives, and activities for I/O "
                "(Worker(debug_mode=True) turns this check off)"
            ) from None

    def _evict(self, run_id: str, why: workflow_activation_pb2.RemoveFromCache) -> _Run | None:
        """Forgets the run; returns it if its code should be unwound."""
        run = self._runs.pop(run_id, None)
        # Evictions that say something went wrong the app was not told otherwise
        # (for example the server refusing a completion) are worth a warning.
        notable = why.reason in (
            workflow_activation_pb2.EVICTION_REASON_TASK_NOT_FOUND,
            workflow_activation_pb2.EVICTION_REASON_FATAL,
            workflow_activation_pb2.EVICTION_REASON_PAGINATION_OR_HISTORY_FETCH,
            workflow_activation_pb2.EVICTION_REASON_UNHANDLED_COMMAND,
        )
        logger.log(
            logging.WARNING if notable else logging.DEBUG,
            "the sidecar evicted %s (%s): %s",
            f"workflow {run.workflow_type} (id {run.workflow_id}, run {run_id})" if run else f"run {run_id}",
            workflow_activation_pb2.EvictionReason.Name(why.reason),
            why.message,
        )
        if run is None:
            return None
        if run.deadlocked:
            logger.warning(
                "run %s of workflow %s was evicted while its code is still blocked; dropping it", run_id, run.workflow_type
            )
            return None
        if run.busy:  # cannot happen: an eviction comes alone, after the completion
            run.dropped = True
            return None
        return run

    async def _teardown(self, run: _Run) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(
                asyncio.shield(loop.run_in_executor(self._workflow_executor, run.instance.teardown)), _DEADLOCK_TIMEOUT
            )
        except Exception:  # noqa: BLE001 - an evicted run is dropped whatever happens
            logger.warning("tearing down run %s of workflow %s failed", run.instance._run_id, run.workflow_type, exc_info=True)

    def _teardown_later(self, run: _Run) -> None:
        if self._loop is None or run.deadlocked:
            return
        t = self._loop.create_task(self._teardown(run))
        self._activations.add(t)
        t.add_done_callback(self._activations.discard)

    def _drop_runs(self) -> None:
        """The session ended: the sidecar forgot its runs, so does the worker.
        Their next tasks start from history again."""
        runs, self._runs = self._runs, {}
        for run in runs.values():
            if run.busy:
                run.dropped = True
            else:
                self._teardown_later(run)

    def _workflow_completion_error(self, e: bridge_pb2.CompletionError) -> None:
        run = self._runs.get(e.run_id)
        what = f"workflow {run.workflow_type} (id {run.workflow_id}, run {e.run_id})" if run else f"run {e.run_id}"
        kind = bridge_pb2.CompletionErrorKind.Name(e.kind).removeprefix("COMPLETION_ERROR_KIND_")
        if e.kind == bridge_pb2.COMPLETION_ERROR_KIND_UNKNOWN_TASK:
            logger.info("the sidecar did not accept the workflow task completion of %s: %s (%s)", what, e.message, kind)
            return
        hint = ""
        if e.kind == bridge_pb2.COMPLETION_ERROR_KIND_NONDETERMINISM:
            hint = (
                "; the workflow code no longer matches the run's history: guard changes with workflow.patched() "
                "or keep the old code until such runs are done. The workflow task failed and is retried"
            )
        logger.warning("the sidecar reports %s for %s: %s%s", kind, what, e.message, hint)

    async def _wait_teardowns(self) -> None:
        pending = [t for t in self._activations if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=_SHUTDOWN_STRAGGLER_TIMEOUT)

    # ------------------------------------------------------------ shutdown

    def _begin_shutdown(self) -> None:
        if self._loop is None:  # not started yet: run() sees the flag
            self._shutdown_requested = True
            return
        if self._shutdown_task is not None:
            return
        self._shutdown_requested = True
        assert self._shutdown_event is not None and self._worker_shutdown is not None
        self._shutdown_event.set()
        self._worker_shutdown.set()
        if self._session is not None:
            self._session.drain()
        self._shutdown_task = self._loop.create_task(self._shutdown_sequence())

    async def _shutdown_sequence(self) -> None:
        graceful = self._graceful_timeout.total_seconds()
        if self._nexus is not None:  # activities run on meanwhile, within the same timeout
            started = asyncio.get_running_loop().time()
            await self._shutdown_nexus(graceful)
            graceful = max(0.0, graceful - (asyncio.get_running_loop().time() - started))
        # Local activities run on to their own timeouts, as sdk-core lets them:
        # the workflow tasks waiting on them complete before the sidecar
        # drains the session.
        if not await self._wait_idle(graceful):
            self._deadline_passed = True
            for ra in [ra for ra in self._running.values() if not ra.local]:
                ra.cancel(
                    ActivityCancellationDetails(
                        worker_shutdown=True,
                        message="the worker is shutting down and its graceful_shutdown_timeout passed",
                    ),
                    from_sidecar=False,
                )
            if not await self._wait_idle(_SHUTDOWN_STRAGGLER_TIMEOUT):
                logger.warning(
                    "%d activities did not stop after cancellation; leaving them behind "
                    "(the sidecar fails them for retry when the stream closes)",
                    len(self._running),
                )
        session = self._session
        if session is not None and not session.closed:
            session.drain()
            while True:
                try:
                    await asyncio.wait_for(session.ended.wait(), _SHUTDOWN_STRAGGLER_TIMEOUT)
                    break
                except asyncio.TimeoutError:
                    if any(ra.local and not ra.done for ra in self._running.values()):
                        continue  # the sidecar drains the session once their workflow tasks are answered
                    logger.warning("the sidecar did not confirm the drain in time; closing the stream")
                    session.cancel()
                    break

    async def _shutdown_nexus(self, graceful: float) -> None:
        assert self._nexus is not None
        self._nexus.shutting_down = True
        if await self._nexus.wait_idle(graceful):
            return
        self._nexus.cancel_all("the worker is shutting down and its graceful_shutdown_timeout passed")
        if not await self._nexus.wait_idle(_SHUTDOWN_STRAGGLER_TIMEOUT):
            logger.warning("%d Nexus tasks did not stop after cancellation; leaving them behind", len(self._nexus.running))

    async def _wait_idle(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while running := [ra for ra in self._running.values() if not ra.local]:
            tasks = [ra.task for ra in running if ra.task is not None]
            left = deadline - loop.time()
            if left <= 0:
                return False
            if not tasks:
                await asyncio.sleep(min(left, 0.05))
                continue
            await asyncio.wait(tasks, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        return True

    # ------------------------------------------------------------ activities

    def _start_activity(self, session: _Session, token: bytes, start: activity_pb2.StartActivity) -> None:
        assert self._loop is not None
        if token in self._running:
            logger.warning("the sidecar started activity %s twice; ignoring the second start", start.activity_id)
            return
        ra = _RunningActivity(
            token=token,
            session=session,
            activity_type=start.activity_type,
            activity_id=start.activity_id,
            cancelled=_CompositeEvent(self._loop),
            local=start.is_local,
        )
        self._running[token] = ra
        ra.task = self._loop.create_task(self._execute(ra, start))
        if self._deadline_passed and not ra.local:
            ra.cancel(
                ActivityCancellationDetails(
                    worker_shutdown=True, message="the worker is shutting down and its graceful_shutdown_timeout passed"
                ),
                from_sidecar=False,
            )

    def _cancel_activity(self, token: bytes, cancel: activity_pb2.CancelActivity) -> None:
        ra = self._running.get(token)
        if ra is None:
            logger.debug("the sidecar cancelled an activity that is not running (it finished meanwhile)")
            return
        logger.debug(
            "cancelling activity %s (%s): %s",
            ra.activity_id,
            activity_pb2.ActivityCancelReason.Name(cancel.reason),
            cancel.message,
        )
        ra.cancel(_cancellation_details(cancel), from_sidecar=True)

    async def _execute(self, ra: _RunningActivity, start: activity_pb2.StartActivity) -> None:
        dc = self._data_converter
        result = activity_pb2.ActivityExecutionResult()
        try:
            ra.entered = True
            try:
                value = await self._invoke(ra, start)
            finally:
                ra.done = True
            [payload] = await dc.encode([value])
            result.completed.result.CopyFrom(payload)
        except BaseException as err:  # noqa: BLE001 - every outcome becomes an answer
            try:
                await self._result_from_error(ra, err, result)
            except Exception as inner:  # noqa: BLE001
                _activity.logger.exception("building the failure of activity %s failed", ra.activity_id)
                result.Clear()
                result.failed.failure.message = f"building the failure failed: {inner} (original error: {err})"
                result.failed.failure.application_failure_info.SetInParent()
        finally:
            ra.done = True
        if ra.last_heartbeat is not None:
            try:
                await ra.last_heartbeat
            except Exception:  # noqa: BLE001
                logger.debug("the last heartbeat of activity %s failed", ra.activity_id, exc_info=True)
        if result.WhichOneof("status") is not None:
            sent = ra.session.send(
                bridge_pb2.ConnectRequest(
                    activity_completion=activity_pb2.ActivityTaskCompletion(task_token=ra.token, result=result)
                )
            )
            if not sent:
                logger.debug(
                    "activity %s finished after its session ended; its result is dropped "
                    "(the sidecar failed it for retry)",
                    ra.activity_id,
                )
        self._running.pop(ra.token, None)
        ra.task = None  # break the task -> context -> activity cycle so it is freed at once
        self._recent[ra.token] = (ra.activity_type, ra.activity_id)
        while len(self._recent) > 1024:
            self._recent.popitem(last=False)

    async def _result_from_error(
        self, ra: _RunningActivity, err: BaseException, result: activity_pb2.ActivityExecutionResult
    ) -> None:
        dc = self._data_converter
        cancel_error = isinstance(err, (asyncio.CancelledError, CancelledError))
        d = ra.cancel_details
        if isinstance(err, _CompleteAsyncError):
            _activity.logger.debug("activity %s will complete asynchronously", ra.activity_id)
            result.will_complete_async.SetInParent()
        elif cancel_error and d is not None and d.lost:
            result.Clear()  # nothing to answer: the session is gone
        elif cancel_error and d is not None and d.paused:
            result.failed.failure.CopyFrom(
                await dc.encode_failure(
                    ApplicationError("unhandled activity cancel error produced by activity pause", type="ActivityPause")
                )
            )
        elif cancel_error and d is not None and d.reset:
            result.failed.failure.CopyFrom(
                await dc.encode_failure(
                    ApplicationError("unhandled activity cancel error produced by activity reset", type="ActivityReset")
                )
            )
        elif cancel_error and d is not None and ra.cancel_from_sidecar:
            _activity.logger.debug("activity %s completing as cancelled", ra.activity_id)
            failure = await dc.encode_failure(CancelledError("Cancelled"))
            result.cancelled.failure.CopyFrom(failure)
        elif cancel_error and d is not None and d.worker_shutdown:
            # Cancelled by this worker's own shutdown: the sidecar asked for
            # nothing, so fail the attempt for an immediate retry elsewhere.
            result.failed.failure.CopyFrom(
                await dc.encode_failure(ApplicationError(d.message or "worker shutting down", type="WorkerShutdown"))
            )
        else:
            if isinstance(err, CancelledError):
                # A cancellation nobody requested is a failure to the server.
                wrapped = ApplicationError(err.message, *err.details, type="CancelledError")
                wrapped.__traceback__ = err.__traceback__
                err = wrapped
            benign = isinstance(err, ApplicationError) and err.category == ApplicationErrorCategory.BENIGN
            (_activity.logger.debug if benign else _activity.logger.warning)(
                "completing activity %s as failed", ra.activity_id, exc_info=err
            )
            result.failed.failure.CopyFrom(await dc.encode_failure(err))

    async def _invoke(self, ra: _RunningActivity, start: activity_pb2.StartActivity) -> Any:
        assert self._loop is not None and self._worker_shutdown is not None
        dc = self._data_converter
        defn = self._activities.get(start.activity_type, self._dynamic)
        if defn is None:
            raise ApplicationError(
                f"activity type {start.activity_type} is not registered on this worker; registered: "
                f"{', '.join(sorted(self._activities))}",
                type="NotFoundError",
            )
        ra.sync = not defn.is_async
        if defn.name is None:
            hints: list[Any] | None = [RawValue] * len(start.input)
        else:
            hints = defn.arg_types if defn.arg_types is not None and len(defn.arg_types) == len(start.input) else None
        try:
            args = await dc.decode(start.input, hints) if start.input else []
        except Exception as err:
            raise ApplicationError(f"failed decoding the arguments of activity {start.activity_type}: {err}") from err
        if defn.name is None:
            args = [args]
        try:
            heartbeat_details = await dc.decode(start.heartbeat_details) if start.heartbeat_details else []
        except Exception as err:
            raise ApplicationError("failed decoding heartbeat details", non_retryable=True) from err

        we = start.workflow_execution
        info = Info(
            activity_id=start.activity_id,
            activity_type=start.activity_type,
            attempt=start.attempt,
            current_attempt_scheduled_time=start.current_attempt_scheduled_time.ToDatetime(tzinfo=_UTC)
            if start.HasField("current_attempt_scheduled_time")
            else None,
            heartbeat_details=heartbeat_details,
            heartbeat_timeout=_nonzero(start.heartbeat_timeout) if start.HasField("heartbeat_timeout") else None,
            is_local=start.is_local,
            namespace=start.workflow_namespace,
            schedule_to_close_timeout=_nonzero(start.schedule_to_close_timeout)
            if start.HasField("schedule_to_close_timeout")
            else None,
            scheduled_time=start.scheduled_time.ToDatetime(tzinfo=_UTC) if start.HasField("scheduled_time") else None,
            start_to_close_timeout=_nonzero(start.start_to_close_timeout)
            if start.HasField("start_to_close_timeout")
            else None,
            started_time=start.started_time.ToDatetime(tzinfo=_UTC) if start.HasField("started_time") else None,
            task_queue=start.task_queue or self._task_queue,
            task_token=ra.token,
            workflow_id=we.workflow_id or None,
            workflow_namespace=start.workflow_namespace or None,
            workflow_run_id=we.run_id or None,
            workflow_type=start.workflow_type or None,
            retry_policy=RetryPolicy.from_proto(start.retry_policy) if start.HasField("retry_policy") else None,
            priority=Priority.from_proto(start.priority),
            headers=dict(start.headers),
        )
        ra.info = info
        if ra.sync and not defn.no_thread_cancel_exception:
            ra.raiser = _ThreadExceptionRaiser()

        def cancellation() -> ActivityCancellationDetails | None:
            return ra.cancel_details

        _activity._current.set(
            _activity._Context(
                info=lambda: info,
                heartbeat=None,
                cancelled=ra.cancelled,
                worker_shutdown=self._worker_shutdown,
                cancellation=cancellation,
                payload_converter=dc.payload_converter,
                shield=ra.raiser.shielded if ra.raiser is not None else None,
                client=None if ra.sync else self._client,
            )
        )
        _activity.logger.debug("starting activity %s attempt %d", start.activity_type, start.attempt)
        impl: ActivityInboundInterceptor = _InboundImpl(self, ra)
        for i in reversed(self._interceptors):
            impl = i.intercept_activity(impl)
        impl.init(_OutboundImpl(self, ra))
        if ra.cancelled.is_set() and not ra.sync:
            raise asyncio.CancelledError()  # cancelled before it started
        return await impl.execute_activity(
            ExecuteActivityInput(
                fn=defn.fn,
                args=args,
                executor=self._executor if ra.sync else None,
                headers=dict(start.headers),
            )
        )

    def _heartbeat(self, ra: _RunningActivity, details: Sequence[Any]) -> None:
        """Runs on the event loop."""
        if ra.done:
            return
        dc = self._data_converter
        if dc.payload_codec is None:
            self._send_heartbeat(ra, dc.payload_converter.to_payloads(details))
            return
        prev = ra.last_heartbeat

        async def encode_and_send() -> None:
            if prev is not None:  # keep heartbeats in order
                await asyncio.gather(prev, return_exceptions=True)
            self._send_heartbeat(ra, await dc.encode(details))

        ra.last_heartbeat = asyncio.ensure_future(encode_and_send())

    def _send_heartbeat(self, ra: _RunningActivity, payloads: Sequence[Any]) -> None:
        if not ra.session.send(
            bridge_pb2.ConnectRequest(
                activity_heartbeat=activity_pb2.ActivityHeartbeat(task_token=ra.token, details=payloads)
            )
        ):
            logger.debug("dropping a heartbeat of activity %s: its session ended", ra.activity_id)


_UTC = timezone.utc


def _nonzero(d: Any) -> timedelta | None:
    td: timedelta = d.ToTimedelta()
    return td if td else None


class _OutboundImpl(ActivityOutboundInterceptor):
    def __init__(self, worker: Worker, ra: _RunningActivity) -> None:  # noqa: D107 - no next: the innermost
        self._worker = worker
        self._ra = ra

    def info(self) -> Info:
        assert self._ra.info is not None
        return self._ra.info

    def heartbeat(self, *details: Any) -> None:
        self._worker._heartbeat(self._ra, details)


class _InboundImpl(ActivityInboundInterceptor):
    def __init__(self, worker: Worker, ra: _RunningActivity) -> None:  # noqa: D107 - no next: the innermost
        self._worker = worker
        self._ra = ra

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        ctx = _activity._Context.current()
        ctx.info = outbound.info
        ctx.heartbeat = outbound.heartbeat

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        fn = input.fn
        if not self._ra.sync:
            return await fn(*input.args)
        worker, ra = self._worker, self._ra
        loop = asyncio.get_running_loop()
        ctx = _activity._Context.current()
        on_loop_heartbeat = ctx.heartbeat
        assert on_loop_heartbeat is not None

        def heartbeat_from_thread(*details: Any) -> None:
            dc = worker._data_converter
            if dc.payload_codec is None:
                # Convert here so errors reach the caller; the send is queued
                # on the loop ahead of the completion, which keeps the order.
                payloads = dc.payload_converter.to_payloads(details)
                loop.call_soon_threadsafe(worker._send_heartbeat, ra, payloads)
            else:

                async def on_loop() -> None:
                    on_loop_heartbeat(*details)

                asyncio.run_coroutine_threadsafe(on_loop(), loop).result(10)

        thread_ctx = _activity._Context(
            info=ctx.info,
            heartbeat=heartbeat_from_thread,
            cancelled=ctx.cancelled,
            worker_shutdown=ctx.worker_shutdown,
            cancellation=ctx.cancellation,
            payload_converter=ctx.payload_converter,
            shield=ctx.shield,
        )
        call = functools.partial(_run_sync, thread_ctx, ra.raiser, fn, list(input.args))
        return await loop.run_in_executor(input.executor, contextvars.copy_context().run, call)


def _run_sync(
    ctx: _activity._Context, raiser: _ThreadExceptionRaiser | None, fn: Callable[..., Any], args: list[Any]
) -> Any:
    _activity._current.set(ctx)
    if raiser is None:
        return fn(*args)
    with raiser.active_thread():
        return fn(*args)


def _replay_worker(
    connection: Connection,
    *,
    workflows: Sequence[type],
    workflow_task_executor: concurrent.futures.ThreadPoolExecutor | None,
    workflow_failure_exception_types: Sequence[type[BaseException]],
    identity: str | None,
    debug_mode: bool,
) -> Worker:
    """A Worker registered ``replay_only``, for :py:class:`Replayer`: the
    sidecar sends it no live tasks, only the activations of the histories it
    asks to replay."""
    w = Worker(
        connection,
        task_queue="replay",  # not sent: a replay-only session names none
        workflows=workflows,
        workflow_task_executor=workflow_task_executor,
        workflow_failure_exception_types=workflow_failure_exception_types,
        identity=identity,
        debug_mode=debug_mode,
    )
    w._replay_only = True
    return w


# Last: the replayer module builds on Worker.
from temporal_sidecar._replayer import Replayer, WorkflowReplayResult, WorkflowReplayResults  # noqa: E402

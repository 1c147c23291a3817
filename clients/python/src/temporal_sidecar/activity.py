"""Defining activities and calling into the running one, as in
:py:mod:`temporalio.activity`.

::

    from temporal_sidecar import activity

    @activity.defn
    async def charge(order: Order) -> Receipt:
        activity.heartbeat("charging")
        ...

Every function below that reads the running activity (``info()``,
``heartbeat()``, ``is_cancelled()``...) works in async activities and in
synchronous ones running in the worker's ``activity_executor``; outside an
activity it raises :py:class:`RuntimeError`.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextvars
import inspect
import logging
import threading
import typing
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, get_type_hints, overload

from temporal_sidecar.common import Priority, RawValue, RetryPolicy
from temporal_sidecar.converter import PayloadConverter
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

if TYPE_CHECKING:
    from temporal_sidecar.client import Client

__all__ = [
    "ActivityCancellationDetails",
    "ActivityInfo",
    "Info",
    "LoggerAdapter",
    "cancellation_details",
    "client",
    "defn",
    "heartbeat",
    "in_activity",
    "info",
    "is_cancelled",
    "is_worker_shutdown",
    "logger",
    "payload_converter",
    "raise_complete_async",
    "shield_thread_cancel_exception",
    "wait_for_cancelled",
    "wait_for_cancelled_sync",
    "wait_for_worker_shutdown",
    "wait_for_worker_shutdown_sync",
]

CallableType = TypeVar("CallableType", bound=Callable[..., Any])

_DEFN_ATTR = "__temporal_sidecar_activity_definition"


@overload
def defn(fn: CallableType) -> CallableType: ...


@overload
def defn(
    *, name: str | None = None, no_thread_cancel_exception: bool = False, dynamic: bool = False
) -> Callable[[CallableType], CallableType]: ...


def defn(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    no_thread_cancel_exception: bool = False,
    dynamic: bool = False,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Mark a function (async or not) as an activity.

    Args:
        fn: The function. Use ``@activity.defn`` or ``@activity.defn(...)``.
        name: The activity type name. Defaults to the function's ``__name__``.
        no_thread_cancel_exception: For a synchronous activity, do not raise
            :py:class:`temporal_sidecar.exceptions.CancelledError` in its thread
            when it is cancelled; it polls :py:func:`is_cancelled` instead.
        dynamic: Run any activity type no other activity of the worker is
            registered for. The function takes one ``Sequence[RawValue]``
            parameter; ``info().activity_type`` names the type. Cannot be
            combined with ``name``.
    """
    if dynamic and name:
        raise ValueError("an activity cannot be both dynamic and named")

    def decorator(fn: CallableType) -> CallableType:
        _Definition.apply(
            fn,
            name=None if dynamic else (name or getattr(fn, "__name__", None)),
            no_thread_cancel_exception=no_thread_cancel_exception,
        )
        return fn

    if fn is not None:
        return decorator(fn)
    return decorator


@dataclass(frozen=True)
class _Definition:
    name: str | None  # None: dynamic
    fn: Callable[..., Any]
    is_async: bool
    no_thread_cancel_exception: bool
    arg_types: list[Any] | None = None

    @staticmethod
    def apply(fn: Callable[..., Any], *, name: str | None, no_thread_cancel_exception: bool) -> None:
        if not callable(fn):
            raise TypeError("@activity.defn needs a function")
        if hasattr(fn, _DEFN_ATTR):
            raise ValueError(f"{getattr(fn, '__name__', fn)!r} is already an activity definition")
        if name is not None and not name:
            raise ValueError("an activity name cannot be empty")
        for p in inspect.signature(fn).parameters.values():
            if p.kind is inspect.Parameter.KEYWORD_ONLY:
                raise TypeError(f"activity {name or fn!r} cannot have keyword-only parameters")
        is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))
        setattr(
            fn,
            _DEFN_ATTR,
            _Definition(name=name, fn=fn, is_async=is_async, no_thread_cancel_exception=no_thread_cancel_exception),
        )

    @staticmethod
    def from_callable(fn: Any) -> _Definition | None:
        d = getattr(fn, _DEFN_ATTR, None)
        if not isinstance(d, _Definition):
            return None
        # fn may be a bound method of the function that was decorated.
        return _Definition(
            name=d.name,
            fn=fn,
            is_async=d.is_async,
            no_thread_cancel_exception=d.no_thread_cancel_exception,
            arg_types=_arg_types(fn),
        )

    @staticmethod
    def must_from_callable(fn: Any) -> _Definition:
        d = _Definition.from_callable(fn)
        if d is None:
            raise TypeError(
                f"activity {getattr(fn, '__name__', repr(fn))!r} is not an activity definition: "
                "decorate it with @activity.defn (from temporal_sidecar import activity)"
            )
        if d.name is None:
            hints = d.arg_types
            if (
                hints is None
                or len(hints) != 1
                or typing.get_origin(hints[0]) is not collections.abc.Sequence
                or typing.get_args(hints[0]) != (RawValue,)
            ):
                raise TypeError(
                    f"dynamic activity {getattr(fn, '__name__', repr(fn))!r} must take one Sequence[RawValue] parameter"
                )
        return d


def _arg_types(fn: Callable[..., Any]) -> list[Any] | None:
    """The type hints of fn's positional parameters, or None when one is missing."""
    try:
        target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else getattr(fn, "__call__", fn)
        hints = get_type_hints(target)
        params = list(inspect.signature(fn).parameters.values())
    except Exception:  # noqa: BLE001 - unresolvable hints: convert without them
        return None
    out: list[Any] = []
    for p in params:
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            break
        if p.name not in hints:
            return None
        out.append(hints[p.name])
    return out


@dataclass(frozen=True)
class Info:
    """What the running activity attempt is. Read it with :py:func:`info`."""

    activity_id: str
    activity_type: str
    attempt: int
    """The attempt number, starting at 1."""
    current_attempt_scheduled_time: datetime | None
    heartbeat_details: Sequence[Any]
    """The details of the last heartbeat of an earlier attempt, to resume from."""
    heartbeat_timeout: timedelta | None
    is_local: bool
    namespace: str
    schedule_to_close_timeout: timedelta | None
    scheduled_time: datetime | None
    start_to_close_timeout: timedelta | None
    started_time: datetime | None
    task_queue: str
    task_token: bytes
    """Pass it to a Temporal client's ``get_async_activity_handle`` to complete
    an activity that called :py:func:`raise_complete_async`."""
    workflow_id: str | None
    workflow_namespace: str | None
    workflow_run_id: str | None
    workflow_type: str | None
    retry_policy: RetryPolicy | None = None
    priority: Priority = field(default_factory=Priority)
    headers: Mapping[str, common_pb2.Payload] = field(default_factory=dict)
    """The headers the workflow passed, as raw payloads."""

    def _logger_details(self) -> dict[str, Any]:
        return {
            "activity_id": self.activity_id,
            "activity_type": self.activity_type,
            "attempt": self.attempt,
            "namespace": self.namespace,
            "task_queue": self.task_queue,
            "workflow_id": self.workflow_id,
            "workflow_run_id": self.workflow_run_id,
            "workflow_type": self.workflow_type,
        }


ActivityInfo = Info
"""Another name for :py:class:`Info`."""


@dataclass(frozen=True)
class ActivityCancellationDetails:
    """Why the activity was cancelled. Read it with :py:func:`cancellation_details`."""

    not_found: bool = False
    """The server no longer knows the activity (it timed out, or its workflow closed)."""
    cancel_requested: bool = False
    """The workflow requested cancellation."""
    paused: bool = False
    reset: bool = False
    timed_out: bool = False
    """A start-to-close or schedule-to-close deadline passed."""
    worker_shutdown: bool = False
    """The worker or the sidecar is shutting down and its graceful timeout passed."""
    lost: bool = False
    """The connection to the sidecar broke; the sidecar has already failed the
    attempt for retry, so its result would be dropped."""
    message: str = ""


class _CompositeEvent:
    """A cancellation or shutdown flag that both threads and coroutines can wait on."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.thread_event = threading.Event()
        self.async_event = asyncio.Event()

    def set(self) -> None:  # called on the event loop
        self.thread_event.set()
        self.async_event.set()

    def is_set(self) -> bool:
        return self.thread_event.is_set()

    async def wait(self) -> None:
        await self.async_event.wait()

    def wait_sync(self, timeout: float | None) -> bool:
        return self.thread_event.wait(timeout)


@dataclass
class _Context:
    info: Callable[[], Info]
    heartbeat: Callable[..., None] | None
    cancelled: _CompositeEvent
    worker_shutdown: _CompositeEvent
    cancellation: Callable[[], ActivityCancellationDetails | None]
    payload_converter: PayloadConverter
    shield: Callable[[], AbstractContextManager[None]] | None = None
    client: Client | None = None
    _logger_details: dict[str, Any] | None = None

    @staticmethod
    def current() -> _Context:
        ctx = _current.get(None)
        if ctx is None:
            raise RuntimeError("not in an activity: this function only works inside a running activity")
        return ctx

    @property
    def logger_details(self) -> dict[str, Any]:
        if self._logger_details is None:
            self._logger_details = self.info()._logger_details()
        return self._logger_details


_current: contextvars.ContextVar[_Context] = contextvars.ContextVar("temporal_sidecar_activity")


def in_activity() -> bool:
    """Whether the caller runs inside an activity."""
    return _current.get(None) is not None


def info() -> Info:
    """The running activity's :py:class:`Info`."""
    return _Context.current().info()


def client() -> Client:
    """The :py:class:`temporal_sidecar.client.Client` the worker was built
    with, for example to signal a workflow or complete another activity.

    Only in ``async def`` activities, as in temporalio: the client belongs to
    the worker's event loop.

    Raises:
        RuntimeError: the worker was given a Connection instead of a Client,
            or the activity is not ``async def``.
    """
    ctx = _Context.current()
    if ctx.client is None:
        raise RuntimeError(
            "No client available. The client is only available in `async def` activities of a Worker built "
            "with a Client (Worker(client, ...)), not with a Connection; not in `def` activities."
        )
    return ctx.client


def heartbeat(*details: Any) -> None:
    """Record progress. The sidecar throttles heartbeats to the server and keeps
    the latest details; a retry receives them in ``info().heartbeat_details``.
    Heartbeating is also how a cancellation requested by the workflow reaches
    the activity, so long activities should heartbeat regularly."""
    fn = _Context.current().heartbeat
    if fn is None:
        raise RuntimeError("heartbeat is not available yet (called during interceptor init)")
    fn(*details)


def is_cancelled() -> bool:
    """Whether the activity was asked to stop."""
    return _Context.current().cancelled.is_set()


def cancellation_details() -> ActivityCancellationDetails | None:
    """Why the activity was asked to stop, or None if it was not."""
    return _Context.current().cancellation()


async def wait_for_cancelled() -> None:
    """Wait until the activity is asked to stop (async activities)."""
    await _Context.current().cancelled.wait()


def wait_for_cancelled_sync(timeout: timedelta | float | None = None) -> None:
    """Block until the activity is asked to stop or ``timeout`` passes
    (synchronous activities)."""
    _Context.current().cancelled.wait_sync(timeout.total_seconds() if isinstance(timeout, timedelta) else timeout)


def is_worker_shutdown() -> bool:
    """Whether the worker began shutting down (its ``shutdown()`` was called).

    A sidecar that shuts down does not set it: the worker reconnects to the
    next sidecar, and the running activities may finish within the sidecar's
    grace period (past it they are cancelled)."""
    return _Context.current().worker_shutdown.is_set()


async def wait_for_worker_shutdown() -> None:
    """Wait until the worker begins shutting down (async activities)."""
    await _Context.current().worker_shutdown.wait()


def wait_for_worker_shutdown_sync(timeout: timedelta | float | None = None) -> None:
    """Block until the worker begins shutting down or ``timeout`` passes."""
    _Context.current().worker_shutdown.wait_sync(
        timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    )


@contextmanager
def shield_thread_cancel_exception() -> Iterator[None]:
    """In a synchronous activity, hold back the cancellation exception while
    the block runs; it is raised when the (outermost) block ends. Does nothing
    in async activities."""
    shield = _Context.current().shield
    if shield is None:
        yield None
    else:
        with shield():
            yield None


def raise_complete_async() -> NoReturn:
    """End the activity function without completing the activity: it stays
    open on the server until completed by task token
    (``info().task_token``), for example with temporalio's
    ``client.get_async_activity_handle(task_token=...).complete(result)``."""
    raise _CompleteAsyncError()


class _CompleteAsyncError(BaseException):
    pass


def payload_converter() -> PayloadConverter:
    """The worker's payload converter, to convert :py:class:`RawValue` arguments
    of a dynamic activity."""
    return _Context.current().payload_converter


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Adds the running activity's details to each record: appended to the
    message, and as ``temporal_activity`` in ``extra``."""

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None) -> None:
        super().__init__(logger, extra or {})
        self.activity_info_on_message = True
        self.activity_info_on_extra = True

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        ctx = _current.get(None)
        if ctx is not None:
            if self.activity_info_on_message:
                msg = f"{msg} ({ctx.logger_details})"
            if self.activity_info_on_extra:
                extra = dict(kwargs.get("extra") or {})
                extra["temporal_activity"] = ctx.logger_details
                kwargs["extra"] = extra
        return msg, kwargs

    @property
    def base_logger(self) -> logging.Logger:
        """The wrapped logger, to add handlers or formatters to."""
        return typing.cast(logging.Logger, self.logger)


logger = LoggerAdapter(logging.getLogger(__name__), None)
"""A logger that adds the running activity's details to each record."""

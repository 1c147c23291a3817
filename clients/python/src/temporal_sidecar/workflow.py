"""Defining workflows and calling into the running one, as in
:py:mod:`temporalio.workflow`.

::

    from temporal_sidecar import workflow

    @workflow.defn
    class Greeting:
        @workflow.run
        async def run(self, name: str) -> str:
            return await workflow.execute_activity(
                say_hello, name, start_to_close_timeout=timedelta(seconds=10)
            )

Workflow code runs on a deterministic event loop, one per workflow run, driven
by the sidecar's activations: its clock is workflow time, ``asyncio.sleep``
starts a durable timer, and a run that is not in the sidecar's cache is
rebuilt by replaying its history. Workflow code must therefore be
deterministic: no I/O, no threads, no wall clock, no global random; use the
functions below (:py:func:`now`, :py:func:`random`, :py:func:`uuid4`,
activities for anything with side effects). Event-loop APIs that leave the
workflow's control (``loop.run_in_executor``, sockets, subprocesses...) raise
:py:class:`NondeterminismError`, which fails the workflow task.

Unlike temporalio, workflows do not run in a sandbox; imports and module
state are shared with the rest of the process. ``workflow.unsafe`` keeps its
names so code moves over unchanged.

Not supported over the sidecar yet: workflow interceptors.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import typing
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import Enum, IntEnum
from random import Random
from typing import (
    TYPE_CHECKING,
    Any,
    Generic,
    NoReturn,
    ParamSpec,
    Protocol,
    TypeVar,
    cast,
    get_type_hints,
    overload,
)

import nexusrpc

from temporal_sidecar.common import (
    Priority,
    RawValue,
    RetryPolicy,
    SearchAttributes,
    SearchAttributeUpdate,
    TypedSearchAttributes,
    VersioningBehavior,
)
from temporal_sidecar.converter import PayloadConverter
from temporal_sidecar.exceptions import TemporalError

if TYPE_CHECKING:
    from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

__all__ = [
    "ActivityCancellationType",
    "ActivityHandle",
    "ChildWorkflowCancellationType",
    "ChildWorkflowHandle",
    "ContinueAsNewError",
    "ExternalWorkflowHandle",
    "HandlerUnfinishedPolicy",
    "Info",
    "NexusClient",
    "NexusOperationCancellationType",
    "NexusOperationHandle",
    "LoggerAdapter",
    "NondeterminismError",
    "ParentClosePolicy",
    "ParentInfo",
    "ReadOnlyContextError",
    "RootInfo",
    "UpdateInfo",
    "UpdateMethodMultiParam",
    "all_handlers_finished",
    "continue_as_new",
    "create_nexus_client",
    "current_update_info",
    "defn",
    "deprecate_patch",
    "execute_activity",
    "execute_child_workflow",
    "execute_activity_method",
    "execute_local_activity",
    "execute_local_activity_method",
    "get_dynamic_query_handler",
    "get_dynamic_signal_handler",
    "get_dynamic_update_handler",
    "get_external_workflow_handle",
    "get_external_workflow_handle_for",
    "get_query_handler",
    "get_signal_handler",
    "get_update_handler",
    "in_workflow",
    "info",
    "init",
    "instance",
    "logger",
    "memo",
    "memo_value",
    "now",
    "patched",
    "payload_converter",
    "query",
    "random",
    "run",
    "set_dynamic_query_handler",
    "set_dynamic_signal_handler",
    "set_dynamic_update_handler",
    "set_query_handler",
    "set_signal_handler",
    "set_update_handler",
    "signal",
    "sleep",
    "start_activity",
    "start_activity_method",
    "start_child_workflow",
    "start_local_activity",
    "start_local_activity_method",
    "time",
    "time_ns",
    "unsafe",
    "update",
    "upsert_memo",
    "upsert_search_attributes",
    "uuid4",
    "wait",
    "wait_condition",
]

ClassType = TypeVar("ClassType", bound=type)
CallableType = TypeVar("CallableType", bound=Callable[..., Any])
CallableAsyncType = TypeVar("CallableAsyncType", bound=Callable[..., Awaitable[Any]])
ReturnType = TypeVar("ReturnType")
SelfType = TypeVar("SelfType")
MultiParamSpec = ParamSpec("MultiParamSpec")
ProtocolReturnType = TypeVar("ProtocolReturnType", covariant=True)

_DEFN_ATTR = "__temporal_sidecar_workflow_definition"
_RUN_ATTR = "__temporal_sidecar_workflow_run"
_INIT_ATTR = "__temporal_sidecar_workflow_init"
_SIGNAL_ATTR = "__temporal_sidecar_signal_definition"
_QUERY_ATTR = "__temporal_sidecar_query_definition"
_UPDATE_ATTR = "__temporal_sidecar_update_definition"


class _ArgUnset:
    def __repr__(self) -> str:
        return "<unset>"


_arg_unset: Any = _ArgUnset()


def _arg_or_args(arg: Any, args: Sequence[Any]) -> list[Any]:
    if arg is not _arg_unset:
        if args:
            raise ValueError("cannot set both arg and args")
        return [arg]
    return list(args)


# ---------------------------------------------------------------- enums and plain values


class ActivityCancellationType(IntEnum):
    """How a workflow waits when it cancels an activity. Values match the
    bridge's ``CancellationType``."""

    TRY_CANCEL = 1
    """Request cancellation and resolve as cancelled at once (the default)."""
    WAIT_CANCELLATION_COMPLETED = 2
    """Request cancellation and resolve when the activity has finished cancelling."""
    ABANDON = 3
    """Resolve as cancelled at once and do not tell the activity."""


class ChildWorkflowCancellationType(IntEnum):
    """How a workflow waits when it cancels a child workflow. Values match
    the bridge's ``CancellationType``."""

    TRY_CANCEL = 1
    """Request cancellation and resolve as cancelled at once."""
    WAIT_CANCELLATION_COMPLETED = 2
    """Request cancellation and resolve when the child has closed (the default)."""
    ABANDON = 3
    """Resolve as cancelled at once and do not ask the child to cancel."""
    WAIT_CANCELLATION_REQUESTED = 4
    """Request cancellation and resolve once the server recorded the request."""


class ParentClosePolicy(IntEnum):
    """What happens to a child workflow when its parent closes."""

    UNSPECIFIED = 0
    TERMINATE = 1
    """Terminate the child (the default)."""
    ABANDON = 2
    """Leave the child running."""
    REQUEST_CANCEL = 3
    """Request cancellation of the child."""


class HandlerUnfinishedPolicy(Enum):
    """What to do when the workflow closes while this handler still runs."""

    WARN_AND_ABANDON = 1
    """Log a warning and abandon the handler (the default)."""
    ABANDON = 2
    """Abandon the handler silently."""


@dataclass(frozen=True)
class ParentInfo:
    """The parent of a child workflow."""

    namespace: str
    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class RootInfo:
    """The root of a chain of child workflows."""

    run_id: str
    workflow_id: str


@dataclass(frozen=True)
class UpdateInfo:
    """The update whose handler (or validator) is running."""

    id: str
    name: str


@dataclass(frozen=True)
class Info:
    """What the running workflow is. Read it with :py:func:`info`."""

    attempt: int
    continued_run_id: str | None
    cron_schedule: str | None
    execution_timeout: timedelta | None
    first_execution_run_id: str
    headers: Mapping[str, common_pb2.Payload]
    namespace: str
    parent: ParentInfo | None
    root: RootInfo | None
    priority: Priority
    raw_memo: Mapping[str, common_pb2.Payload]
    retry_policy: RetryPolicy | None
    run_id: str
    run_timeout: timedelta | None
    search_attributes: Mapping[str, Any]
    """Search attributes, decoded; kept current by :py:func:`upsert_search_attributes`."""
    typed_search_attributes: TypedSearchAttributes
    """Search attributes whose payloads say their index type, typed; kept
    current by :py:func:`upsert_search_attributes`."""
    start_time: datetime
    """When the first workflow task of this run started (workflow time)."""
    task_queue: str
    task_timeout: timedelta
    workflow_id: str
    workflow_start_time: datetime
    """When the run started."""
    workflow_type: str

    def get_current_history_length(self) -> int:
        """The number of events in history, up to the current workflow task."""
        return _Runtime.current().workflow_history_length()

    def get_current_history_size(self) -> int:
        """The size of history in bytes, up to the current workflow task."""
        return _Runtime.current().workflow_history_size()

    def is_continue_as_new_suggested(self) -> bool:
        """Whether the server suggests continuing as new."""
        return _Runtime.current().workflow_continue_as_new_suggested()

    def _logger_details(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "namespace": self.namespace,
            "run_id": self.run_id,
            "task_queue": self.task_queue,
            "workflow_id": self.workflow_id,
            "workflow_type": self.workflow_type,
        }


# ---------------------------------------------------------------- exceptions


class ContinueAsNewError(BaseException):
    """Raised by :py:func:`continue_as_new`; do not catch it. It derives from
    BaseException so that ``except Exception`` lets it through."""


class NondeterminismError(TemporalError):
    """Workflow code did something the runtime cannot replay, such as using an
    event-loop API that leaves the workflow's control. Fails the workflow task."""


class ReadOnlyContextError(TemporalError):
    """A query handler or update validator tried to change the workflow (start
    a timer, schedule an activity, ...)."""


# ---------------------------------------------------------------- definitions


def _type_hints(fn: Callable[..., Any], *, skip_first: bool) -> tuple[list[Any] | None, Any]:
    """The parameter type hints (None when one is missing) and the return hint."""
    try:
        hints = get_type_hints(fn)
        params = list(inspect.signature(fn).parameters.values())
    except Exception:  # noqa: BLE001 - unresolvable hints: convert without them
        return None, None
    if skip_first and params:
        params = params[1:]
    args: list[Any] | None = []
    for p in params:
        if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            break
        if p.name not in hints:
            args = None
            break
        assert args is not None
        args.append(hints[p.name])
    ret = hints.get("return")
    if ret is type(None):
        ret = None
    return args, ret


def _is_raw_sequence(hint: Any) -> bool:
    return typing.get_origin(hint) is Sequence and typing.get_args(hint) == (RawValue,)


@dataclass(frozen=True)
class _SignalDefinition:
    name: str | None  # None: dynamic
    fn: Callable[..., Any]
    is_method: bool
    arg_types: list[Any] | None
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON
    description: str | None = None

    @staticmethod
    def from_fn(fn: Callable[..., Any]) -> _SignalDefinition | None:
        d = getattr(fn, _SIGNAL_ATTR, None)
        return d if isinstance(d, _SignalDefinition) else None

    @staticmethod
    def must_name_from_fn_or_str(signal: str | Callable[..., Any]) -> str:
        if isinstance(signal, str):
            return signal
        d = _SignalDefinition.from_fn(signal)
        if d is None:
            raise TypeError(f"{getattr(signal, '__qualname__', signal)!r} is not a @workflow.signal method")
        if d.name is None:
            raise TypeError("cannot send a dynamic signal by method reference; use its name")
        return d.name

    def bind(self, obj: Any) -> Callable[..., Any]:
        return _bind(obj, self.fn) if self.is_method else self.fn


@dataclass(frozen=True)
class _QueryDefinition:
    name: str | None
    fn: Callable[..., Any]
    is_method: bool
    arg_types: list[Any] | None
    ret_type: Any
    description: str | None = None

    @staticmethod
    def from_fn(fn: Callable[..., Any]) -> _QueryDefinition | None:
        d = getattr(fn, _QUERY_ATTR, None)
        return d if isinstance(d, _QueryDefinition) else None

    @staticmethod
    def must_from_fn_or_str(query: str | Callable[..., Any]) -> tuple[str, Any]:
        if isinstance(query, str):
            return query, None
        d = _QueryDefinition.from_fn(query)
        if d is None:
            raise TypeError(f"{getattr(query, '__qualname__', query)!r} is not a @workflow.query method")
        if d.name is None:
            raise TypeError("cannot run a dynamic query by method reference; use its name")
        return d.name, d.ret_type

    def bind(self, obj: Any) -> Callable[..., Any]:
        return _bind(obj, self.fn) if self.is_method else self.fn


@dataclass
class _UpdateDefinition:
    name: str | None
    fn: Callable[..., Any]
    is_method: bool
    arg_types: list[Any] | None
    ret_type: Any
    validator: Callable[..., None] | None = None
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON
    description: str | None = None

    @staticmethod
    def from_fn(fn: Callable[..., Any]) -> _UpdateDefinition | None:
        d = getattr(fn, _UPDATE_ATTR, None)
        return d if isinstance(d, _UpdateDefinition) else None

    @staticmethod
    def must_from_fn_or_str(update: str | Callable[..., Any]) -> tuple[str, Any]:
        if isinstance(update, str):
            return update, None
        d = _UpdateDefinition.from_fn(update)
        if d is None:
            raise TypeError(f"{getattr(update, '__qualname__', update)!r} is not a @workflow.update method")
        if d.name is None:
            raise TypeError("cannot send a dynamic update by method reference; use its name")
        return d.name, d.ret_type

    def bind(self, obj: Any) -> Callable[..., Any]:
        return _bind(obj, self.fn) if self.is_method else self.fn

    def bind_validator(self, obj: Any) -> Callable[..., None] | None:
        if self.validator is None:
            return None
        return _bind(obj, self.validator) if self.is_method else self.validator


def _bind(obj: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(fn):

        async def bound(*args: Any) -> Any:
            return await fn(obj, *args)

        return bound

    def bound_sync(*args: Any) -> Any:
        return fn(obj, *args)

    return bound_sync


@dataclass(frozen=True)
class _Definition:
    name: str | None  # None: dynamic
    cls: type
    run_fn: Callable[..., Awaitable[Any]]
    signals: Mapping[str | None, _SignalDefinition]
    queries: Mapping[str | None, _QueryDefinition]
    updates: Mapping[str | None, _UpdateDefinition]
    failure_exception_types: Sequence[type[BaseException]]
    versioning_behavior: VersioningBehavior
    arg_types: list[Any] | None
    ret_type: Any
    init_takes_args: bool

    @staticmethod
    def from_class(cls: type) -> _Definition | None:
        d = cls.__dict__.get(_DEFN_ATTR)
        return d if isinstance(d, _Definition) else None

    @staticmethod
    def must_from_class(cls: type) -> _Definition:
        d = _Definition.from_class(cls)
        if d is None:
            raise TypeError(
                f"workflow {getattr(cls, '__name__', cls)!r} is not a workflow definition: decorate the class "
                "with @workflow.defn (from temporal_sidecar import workflow)"
            )
        return d

    @staticmethod
    def from_run_fn(fn: Callable[..., Any]) -> _Definition | None:
        d = getattr(fn, _DEFN_ATTR, None)
        return d if isinstance(d, _Definition) else None

    @staticmethod
    def name_and_result_type(workflow: str | type | Callable[..., Any]) -> tuple[str, Any]:
        """The workflow type name and result hint of a name, class or run method."""
        if isinstance(workflow, str):
            return workflow, None
        d = _Definition.from_class(workflow) if isinstance(workflow, type) else _Definition.from_run_fn(workflow)
        if d is None:
            raise TypeError(
                f"{getattr(workflow, '__qualname__', workflow)!r} is neither a workflow type name, a "
                "@workflow.defn class nor its @workflow.run method"
            )
        if d.name is None:
            raise TypeError("a dynamic workflow cannot be started by reference; use the type name")
        return d.name, d.ret_type

    @staticmethod
    def apply(
        cls: type,
        *,
        name: str | None,
        failure_exception_types: Sequence[type[BaseException]],
        versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED,
    ) -> None:
        if _Definition.from_class(cls) is not None:
            raise ValueError(f"class {cls.__qualname__} is already a workflow definition")
        issues: list[str] = []
        run_fn: Callable[..., Awaitable[Any]] | None = None
        init_fn: Callable[..., Any] | None = None
        signals: dict[str | None, _SignalDefinition] = {}
        queries: dict[str | None, _QueryDefinition] = {}
        updates: dict[str | None, _UpdateDefinition] = {}
        for attr, member in inspect.getmembers(cls):
            if getattr(member, _RUN_ATTR, False):
                if run_fn is not None:
                    issues.append(f"more than one @workflow.run method ({run_fn.__name__} and {attr})")
                else:
                    run_fn = member
            if attr == "__init__" and getattr(member, _INIT_ATTR, False):
                init_fn = member
            s = _SignalDefinition.from_fn(member)
            if s is not None:
                if s.name in signals:
                    issues.append(f"more than one signal handler for {s.name or '<dynamic>'!r}")
                signals[s.name] = s
            q = _QueryDefinition.from_fn(member)
            if q is not None:
                if q.name in queries:
                    issues.append(f"more than one query handler for {q.name or '<dynamic>'!r}")
                queries[q.name] = q
            u = _UpdateDefinition.from_fn(member)
            if u is not None:
                if u.name in updates:
                    issues.append(f"more than one update handler for {u.name or '<dynamic>'!r}")
                updates[u.name] = u
        if run_fn is None:
            issues.append("no @workflow.run method")
        if issues:
            raise ValueError(f"invalid workflow class {cls.__qualname__}: {'; '.join(issues)}")
        assert run_fn is not None
        arg_types, ret_type = _type_hints(run_fn, skip_first=True)
        if name is None and (arg_types is None or len(arg_types) != 1 or not _is_raw_sequence(arg_types[0])):
            raise TypeError(
                f"dynamic workflow {cls.__qualname__} must take one Sequence[RawValue] parameter in its run method"
            )
        if init_fn is not None:
            run_params = [p.replace(name="x") for p in inspect.signature(run_fn).parameters.values()]
            init_params = [p.replace(name="x") for p in inspect.signature(init_fn).parameters.values()]
            if run_params != init_params:
                issues.append("@workflow.init and @workflow.run method parameters do not match")
                raise ValueError(f"invalid workflow class {cls.__qualname__}: {'; '.join(issues)}")
        d = _Definition(
            name=name,
            cls=cls,
            run_fn=run_fn,
            signals=signals,
            queries=queries,
            updates=updates,
            failure_exception_types=tuple(failure_exception_types),
            versioning_behavior=VersioningBehavior(versioning_behavior),
            arg_types=arg_types,
            ret_type=ret_type,
            init_takes_args=init_fn is not None,
        )
        setattr(cls, _DEFN_ATTR, d)
        setattr(run_fn, _DEFN_ATTR, d)


@overload
def defn(cls: ClassType) -> ClassType: ...


@overload
def defn(
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = (),
    versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED,
) -> Callable[[ClassType], ClassType]: ...


def defn(
    cls: ClassType | None = None,
    *,
    name: str | None = None,
    sandboxed: bool = True,
    dynamic: bool = False,
    failure_exception_types: Sequence[type[BaseException]] = (),
    versioning_behavior: VersioningBehavior = VersioningBehavior.UNSPECIFIED,
) -> ClassType | Callable[[ClassType], ClassType]:
    """Mark a class as a workflow.

    Args:
        cls: The class. Use ``@workflow.defn`` or ``@workflow.defn(...)``.
        name: The workflow type name. Defaults to the class's ``__name__``.
        sandboxed: Accepted for compatibility with temporalio; workflows here
            never run in a sandbox.
        dynamic: Run any workflow type no other workflow of the worker is
            registered for. The run method takes one ``Sequence[RawValue]``;
            ``info().workflow_type`` names the type. Cannot be combined with ``name``.
        failure_exception_types: Exception types that fail the workflow
            (instead of the workflow task) when workflow code raises them, in
            addition to the worker's ``workflow_failure_exception_types``.
        versioning_behavior: How runs move between worker deployment versions
            when the sidecar runs with ``--use-versioning``. UNSPECIFIED takes
            the sidecar's ``--default-versioning-behavior``; if that is unset
            too, a versioned sidecar refuses the worker's registration.
    """
    del sandboxed
    if dynamic and name:
        raise ValueError("a workflow cannot be both dynamic and named")

    def decorator(cls: ClassType) -> ClassType:
        _Definition.apply(
            cls,
            name=None if dynamic else (name or cls.__name__),
            failure_exception_types=failure_exception_types,
            versioning_behavior=versioning_behavior,
        )
        return cls

    if cls is not None:
        return decorator(cls)
    return decorator


def init(init_fn: CallableType) -> CallableType:
    """Mark ``__init__`` as taking the workflow's arguments (the same
    parameters as the ``@workflow.run`` method)."""
    if getattr(init_fn, "__name__", None) != "__init__":
        raise ValueError("@workflow.init may only be used on the __init__ method")
    setattr(init_fn, _INIT_ATTR, True)
    return init_fn


def run(fn: CallableAsyncType) -> CallableAsyncType:
    """Mark the workflow's entry point: an async method, exactly one per workflow class."""
    f: Any = fn
    if not inspect.iscoroutinefunction(f):
        raise ValueError("the @workflow.run method must be an async function")
    setattr(fn, _RUN_ATTR, True)
    return fn


def _check_dynamic_handler(fn: Callable[..., Any], kind: str) -> None:
    args, _ = _type_hints(fn, skip_first=True)
    if args is None or len(args) != 2 or args[0] is not str or not _is_raw_sequence(args[1]):
        raise TypeError(f"dynamic {kind} handler {fn.__qualname__} must take (self, name: str, args: Sequence[RawValue])")


@overload
def signal(fn: CallableType) -> CallableType: ...


@overload
def signal(
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> Callable[[CallableType], CallableType]: ...


def signal(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Mark a method (async or not) as a signal handler. It returns nothing.

    Args:
        name: The signal name. Defaults to the method's ``__name__``.
        dynamic: Handle every signal no other handler is registered for; the
            method takes ``(self, name: str, args: Sequence[RawValue])``.
        unfinished_policy: What to do if the workflow closes while it runs.
        description: Shown in Temporal's UI.
    """
    if dynamic and name:
        raise ValueError("a signal handler cannot be both dynamic and named")

    def decorator(fn: CallableType) -> CallableType:
        if dynamic:
            _check_dynamic_handler(fn, "signal")
        arg_types, _ = _type_hints(fn, skip_first=True)
        setattr(
            fn,
            _SIGNAL_ATTR,
            _SignalDefinition(
                name=None if dynamic else (name or fn.__name__),
                fn=fn,
                is_method=True,
                arg_types=arg_types,
                unfinished_policy=unfinished_policy,
                description=description,
            ),
        )
        return fn

    if fn is not None:
        return decorator(fn)
    return decorator


@overload
def query(fn: CallableType) -> CallableType: ...


@overload
def query(
    *, name: str | None = None, dynamic: bool = False, description: str | None = None
) -> Callable[[CallableType], CallableType]: ...


def query(
    fn: CallableType | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    description: str | None = None,
) -> CallableType | Callable[[CallableType], CallableType]:
    """Mark a (non-async) method as a query handler. It must not change the
    workflow: starting timers or activities from it raises
    :py:class:`ReadOnlyContextError`.

    Args:
        name: The query name. Defaults to the method's ``__name__``.
        dynamic: Answer every query no other handler is registered for; the
            method takes ``(self, name: str, args: Sequence[RawValue])``.
        description: Shown in Temporal's UI.
    """
    if dynamic and name:
        raise ValueError("a query handler cannot be both dynamic and named")

    def decorator(fn: CallableType) -> CallableType:
        if inspect.iscoroutinefunction(fn):
            raise ValueError(f"query handler {fn.__qualname__} cannot be async")
        if dynamic:
            _check_dynamic_handler(fn, "query")
        arg_types, ret_type = _type_hints(fn, skip_first=True)
        setattr(
            fn,
            _QUERY_ATTR,
            _QueryDefinition(
                name=None if dynamic else (name or fn.__name__),
                fn=fn,
                is_method=True,
                arg_types=arg_types,
                ret_type=ret_type,
                description=description,
            ),
        )
        return fn

    if fn is not None:
        return decorator(fn)
    return decorator


class UpdateMethodMultiParam(Protocol[MultiParamSpec, ProtocolReturnType]):
    """The type of a method decorated with :py:func:`update`: callable as
    before, with a ``validator`` decorator."""

    def __call__(self, *args: MultiParamSpec.args, **kwargs: MultiParamSpec.kwargs) -> ProtocolReturnType:
        """Call the update method."""
        ...

    def validator(self, vfn: Callable[MultiParamSpec, None]) -> Callable[MultiParamSpec, None]:
        """Register a validator: it runs before the update is accepted, must
        not change the workflow, and rejects the update by raising."""
        ...


@overload
def update(
    fn: Callable[MultiParamSpec, ReturnType],
) -> UpdateMethodMultiParam[MultiParamSpec, ReturnType]: ...


@overload
def update(
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> Callable[[Callable[MultiParamSpec, ReturnType]], UpdateMethodMultiParam[MultiParamSpec, ReturnType]]: ...


def update(
    fn: Callable[MultiParamSpec, ReturnType] | None = None,
    *,
    name: str | None = None,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
    description: str | None = None,
) -> (
    UpdateMethodMultiParam[MultiParamSpec, ReturnType]
    | Callable[[Callable[MultiParamSpec, ReturnType]], UpdateMethodMultiParam[MultiParamSpec, ReturnType]]
):
    """Mark a method (async or not) as an update handler. Its result goes
    back to the caller; add a validator with ``@<method>.validator``.

    Args:
        name: The update name. Defaults to the method's ``__name__``.
        dynamic: Handle every update no other handler is registered for; the
            method takes ``(self, name: str, args: Sequence[RawValue])``.
        unfinished_policy: What to do if the workflow closes while it runs.
        description: Shown in Temporal's UI.
    """
    if dynamic and name:
        raise ValueError("an update handler cannot be both dynamic and named")

    def decorator(fn: Callable[MultiParamSpec, ReturnType]) -> UpdateMethodMultiParam[MultiParamSpec, ReturnType]:
        if dynamic:
            _check_dynamic_handler(fn, "update")
        arg_types, ret_type = _type_hints(fn, skip_first=True)
        d = _UpdateDefinition(
            name=None if dynamic else (name or fn.__name__),
            fn=fn,
            is_method=True,
            arg_types=arg_types,
            ret_type=ret_type,
            unfinished_policy=unfinished_policy,
            description=description,
        )

        def validator(vfn: Callable[MultiParamSpec, None]) -> Callable[MultiParamSpec, None]:
            d.validator = vfn
            return vfn

        setattr(fn, _UPDATE_ATTR, d)
        setattr(fn, "validator", validator)
        return cast(UpdateMethodMultiParam[MultiParamSpec, ReturnType], fn)

    if fn is not None:
        return decorator(fn)
    return decorator


# ---------------------------------------------------------------- the runtime


class _Runtime(ABC):
    """What the public functions call; implemented by the workflow's event loop."""

    @staticmethod
    def current() -> _Runtime:
        loop = asyncio._get_running_loop()
        if not isinstance(loop, _Runtime):
            raise RuntimeError("not in a workflow: this function only works inside workflow code")
        return loop

    @staticmethod
    def maybe_current() -> _Runtime | None:
        loop = asyncio._get_running_loop()
        return loop if isinstance(loop, _Runtime) else None

    @abstractmethod
    def workflow_info(self) -> Info: ...

    @abstractmethod
    def workflow_instance(self) -> Any: ...

    @abstractmethod
    def workflow_is_replaying(self) -> bool: ...

    @abstractmethod
    def workflow_history_length(self) -> int: ...

    @abstractmethod
    def workflow_history_size(self) -> int: ...

    @abstractmethod
    def workflow_continue_as_new_suggested(self) -> bool: ...

    @abstractmethod
    def workflow_time_ns(self) -> int: ...

    @abstractmethod
    def workflow_random(self) -> Random: ...

    @abstractmethod
    def workflow_patch(self, id: str, *, deprecated: bool) -> bool: ...

    @abstractmethod
    def workflow_payload_converter(self) -> PayloadConverter: ...

    @abstractmethod
    def workflow_memo(self) -> Mapping[str, Any]: ...

    @abstractmethod
    def workflow_memo_value(self, key: str, default: Any, type_hint: Any) -> Any: ...

    @abstractmethod
    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None: ...

    @abstractmethod
    def workflow_upsert_search_attributes(
        self, attributes: SearchAttributes | Sequence[SearchAttributeUpdate[Any]]
    ) -> None: ...

    @abstractmethod
    async def workflow_sleep(self, seconds: float, *, summary: str | None) -> None: ...

    @abstractmethod
    async def workflow_wait_condition(self, fn: Callable[[], bool], *, timeout: float | None) -> None: ...

    @abstractmethod
    def workflow_continue_as_new(
        self,
        args: Sequence[Any],
        *,
        workflow: str | None,
        task_queue: str | None,
        run_timeout: timedelta | None,
        task_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        memo: Mapping[str, Any] | None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None,
    ) -> NoReturn: ...

    @abstractmethod
    def workflow_start_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        task_queue: str | None,
        result_type: Any,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        heartbeat_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        cancellation_type: ActivityCancellationType,
        activity_id: str | None,
        disable_eager_execution: bool,
        summary: str | None,
        priority: Priority | None,
    ) -> ActivityHandle[Any]: ...

    @abstractmethod
    def workflow_start_local_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        result_type: Any,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        local_retry_threshold: timedelta | None,
        cancellation_type: ActivityCancellationType,
        activity_id: str | None,
        summary: str | None,
    ) -> ActivityHandle[Any]: ...

    @abstractmethod
    async def workflow_start_child_workflow(
        self,
        workflow: str,
        args: Sequence[Any],
        *,
        id: str,
        task_queue: str | None,
        result_type: Any,
        cancellation_type: ChildWorkflowCancellationType,
        parent_close_policy: ParentClosePolicy,
        execution_timeout: timedelta | None,
        run_timeout: timedelta | None,
        task_timeout: timedelta | None,
        id_reuse_policy: int,
        retry_policy: RetryPolicy | None,
        cron_schedule: str,
        memo: Mapping[str, Any] | None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None,
        static_summary: str | None,
        priority: Priority | None,
    ) -> ChildWorkflowHandle[Any, Any]: ...

    @abstractmethod
    def workflow_external_handle(self, workflow_id: str, run_id: str | None) -> ExternalWorkflowHandle[Any]: ...

    @abstractmethod
    def workflow_set_signal_handler(self, name: str | None, handler: Callable[..., Any] | None) -> None: ...

    @abstractmethod
    def workflow_get_signal_handler(self, name: str | None) -> Callable[..., Any] | None: ...

    @abstractmethod
    def workflow_set_query_handler(self, name: str | None, handler: Callable[..., Any] | None) -> None: ...

    @abstractmethod
    def workflow_get_query_handler(self, name: str | None) -> Callable[..., Any] | None: ...

    @abstractmethod
    def workflow_set_update_handler(
        self, name: str | None, handler: Callable[..., Any] | None, validator: Callable[..., None] | None
    ) -> None: ...

    @abstractmethod
    def workflow_get_update_handler(self, name: str | None) -> Callable[..., Any] | None: ...

    @abstractmethod
    def workflow_all_handlers_finished(self) -> bool: ...

    @abstractmethod
    async def workflow_start_nexus_operation(
        self,
        *,
        endpoint: str,
        service: str,
        operation: str,
        input: Any,
        output_type: Any,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        cancellation_type: NexusOperationCancellationType,
        headers: Mapping[str, str] | None,
        summary: str | None,
    ) -> NexusOperationHandle[Any]: ...


def in_workflow() -> bool:
    """Whether the caller runs inside workflow code."""
    return _Runtime.maybe_current() is not None


def info() -> Info:
    """The running workflow's :py:class:`Info`."""
    return _Runtime.current().workflow_info()


def instance() -> Any:
    """The running workflow's object (the instance of the ``@workflow.defn`` class)."""
    return _Runtime.current().workflow_instance()


def now() -> datetime:
    """Workflow time as an aware UTC datetime: the time of the current
    workflow task, the same on every replay."""
    return datetime.fromtimestamp(time_ns() / 1e9, tz=timezone.utc)


def time() -> float:
    """Workflow time in seconds since the epoch (see :py:func:`now`)."""
    return time_ns() / 1e9


def time_ns() -> int:
    """Workflow time in nanoseconds since the epoch (see :py:func:`now`)."""
    return _Runtime.current().workflow_time_ns()


def random() -> Random:
    """The workflow's deterministic random number generator, seeded by the run."""
    return _Runtime.current().workflow_random()


def uuid4() -> uuid.UUID:
    """A version 4 UUID from the workflow's deterministic random generator."""
    return uuid.UUID(int=random().getrandbits(128), version=4)


def patched(id: str) -> bool:
    """Whether to take the new code path of a change guarded by ``id``.

    True when the run is not replaying, or when its history has the patch's
    marker; then a marker is recorded (once per run). False when replaying
    history made before the patch existed.
    """
    return _Runtime.current().workflow_patch(id, deprecated=False)


def deprecate_patch(id: str) -> None:
    """Record that no running workflow still needs the old path of ``id``:
    keep only the new code, then remove this call once no history holds the
    marker."""
    _Runtime.current().workflow_patch(id, deprecated=True)


def payload_converter() -> PayloadConverter:
    """The payload converter of the worker, for :py:class:`RawValue` arguments."""
    return _Runtime.current().workflow_payload_converter()


def memo() -> Mapping[str, Any]:
    """The workflow's memo, decoded (kept current by :py:func:`upsert_memo`)."""
    return _Runtime.current().workflow_memo()


def memo_value(key: str, default: Any = _arg_unset, *, type_hint: Any = None) -> Any:
    """One memo value, decoded with ``type_hint``; ``default`` (or KeyError) if absent."""
    return _Runtime.current().workflow_memo_value(key, default, type_hint)


def upsert_memo(updates: Mapping[str, Any]) -> None:
    """Add or change memo fields; a None value removes the field."""
    _Runtime.current().workflow_upsert_memo(updates)


def upsert_search_attributes(attributes: SearchAttributes | Sequence[SearchAttributeUpdate[Any]]) -> None:
    """Add, change or remove search attributes: typed updates
    (``key.value_set(v)``, ``key.value_unset()``), as temporalio takes them,
    or a mapping by name, where a None (or empty list) value removes the
    attribute and values are encoded as JSON as they are (a list stays a
    list, for KeywordList attributes)."""
    _Runtime.current().workflow_upsert_search_attributes(attributes)


async def sleep(duration: float | timedelta, *, summary: str | None = None) -> None:
    """Sleep for a duration of workflow time: a durable timer.
    ``asyncio.sleep`` does the same without a summary."""
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    await _Runtime.current().workflow_sleep(seconds, summary=summary)


async def wait_condition(fn: Callable[[], bool], *, timeout: timedelta | float | None = None) -> None:
    """Wait until ``fn()`` returns True; it is checked after every change of
    workflow state. With a timeout, raise :py:class:`asyncio.TimeoutError`
    when it passes first (which fails the workflow if not caught)."""
    t = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
    await _Runtime.current().workflow_wait_condition(fn, timeout=t)


_F = TypeVar("_F", bound="asyncio.Future[Any]")


async def wait(
    fs: Iterable[_F], *, timeout: float | None = None, return_when: str = asyncio.ALL_COMPLETED
) -> tuple[list[_F], list[_F]]:
    """``asyncio.wait`` with deterministic results: the done and pending
    futures as lists in the order given, not as sets (whose iteration order
    could differ on replay)."""
    given = list(fs)
    done, pending = await asyncio.wait(given, timeout=timeout, return_when=return_when)
    return [f for f in given if f in done], [f for f in given if f in pending]


def all_handlers_finished() -> bool:
    """Whether no signal or update handler is still running; wait on it with
    ``await workflow.wait_condition(workflow.all_handlers_finished)`` before
    the workflow returns."""
    return _Runtime.current().workflow_all_handlers_finished()


_current_update: contextvars.ContextVar[UpdateInfo | None] = contextvars.ContextVar(
    "temporal_sidecar_update", default=None
)


def current_update_info() -> UpdateInfo | None:
    """The update whose handler or validator is running, if any."""
    return _current_update.get()


def continue_as_new(
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    workflow: str | type | Callable[..., Any] | None = None,
    task_queue: str | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
) -> NoReturn:
    """Close this run and start a new one with the same workflow id (raises
    :py:class:`ContinueAsNewError`; let it propagate). Unset options keep
    the current run's values."""
    name = None if workflow is None else _Definition.name_and_result_type(workflow)[0]
    _Runtime.current().workflow_continue_as_new(
        _arg_or_args(arg, args),
        workflow=name,
        task_queue=task_queue,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        retry_policy=retry_policy,
        memo=memo,
        search_attributes=search_attributes,
    )


# ---------------------------------------------------------------- handlers set at run time


def _handler_name(name: str | None, what: str) -> str | None:
    if name is not None and not name:
        raise ValueError(f"a {what} name cannot be empty")
    return name


def get_signal_handler(name: str) -> Callable[..., Any] | None:
    """The handler of a signal name, if any."""
    return _Runtime.current().workflow_get_signal_handler(_handler_name(name, "signal"))


def set_signal_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Set (or with None remove) the handler of a signal name. Signals that
    arrived before it was set are delivered to it at once."""
    _Runtime.current().workflow_set_signal_handler(_handler_name(name, "signal"), handler)


def get_dynamic_signal_handler() -> Callable[..., Any] | None:
    """The dynamic signal handler, if any."""
    return _Runtime.current().workflow_get_signal_handler(None)


def set_dynamic_signal_handler(handler: Callable[..., Any] | None) -> None:
    """Set the handler of every signal without one: ``handler(name, args: Sequence[RawValue])``."""
    _Runtime.current().workflow_set_signal_handler(None, handler)


def get_query_handler(name: str) -> Callable[..., Any] | None:
    """The handler of a query name, if any."""
    return _Runtime.current().workflow_get_query_handler(_handler_name(name, "query"))


def set_query_handler(name: str, handler: Callable[..., Any] | None) -> None:
    """Set (or with None remove) the handler of a query name."""
    _Runtime.current().workflow_set_query_handler(_handler_name(name, "query"), handler)


def get_dynamic_query_handler() -> Callable[..., Any] | None:
    """The dynamic query handler, if any."""
    return _Runtime.current().workflow_get_query_handler(None)


def set_dynamic_query_handler(handler: Callable[..., Any] | None) -> None:
    """Set the handler of every query without one: ``handler(name, args: Sequence[RawValue])``."""
    _Runtime.current().workflow_set_query_handler(None, handler)


def get_update_handler(name: str) -> Callable[..., Any] | None:
    """The handler of an update name, if any."""
    return _Runtime.current().workflow_get_update_handler(_handler_name(name, "update"))


def set_update_handler(
    name: str, handler: Callable[..., Any] | None, *, validator: Callable[..., None] | None = None
) -> None:
    """Set (or with None remove) the handler of an update name. Updates that
    arrived in the same activation before it was set (for example together
    with the workflow's start) are buffered and handled by it; an update
    still without a handler when the activation's work is done is rejected."""
    _Runtime.current().workflow_set_update_handler(_handler_name(name, "update"), handler, validator)


def get_dynamic_update_handler() -> Callable[..., Any] | None:
    """The dynamic update handler, if any."""
    return _Runtime.current().workflow_get_update_handler(None)


def set_dynamic_update_handler(
    handler: Callable[..., Any] | None, *, validator: Callable[..., None] | None = None
) -> None:
    """Set the handler of every update without one: ``handler(name, args: Sequence[RawValue])``."""
    _Runtime.current().workflow_set_update_handler(None, handler, validator)


# ---------------------------------------------------------------- activities


class ActivityHandle(asyncio.Task[ReturnType]):
    """A started activity: an asyncio task that resolves to its result.
    ``cancel()`` asks for cancellation according to the activity's
    cancellation type; awaiting it then raises an
    :py:class:`temporal_sidecar.exceptions.ActivityError` whose cause is a
    :py:class:`temporal_sidecar.exceptions.CancelledError`."""


def _activity_name(activity: Any) -> tuple[str, Any]:
    if isinstance(activity, str):
        return activity, None
    from temporal_sidecar.activity import _Definition as _ActivityDefinition

    d = _ActivityDefinition.from_callable(activity)
    if d is None:
        raise TypeError(
            f"{getattr(activity, '__qualname__', activity)!r} is not an activity: pass an @activity.defn "
            "function or the activity type name"
        )
    if d.name is None:
        raise TypeError("a dynamic activity cannot be called by reference; use the activity type name")
    _, ret = _type_hints(activity, skip_first=False)
    return d.name, ret


@overload
def start_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: Callable[..., ReturnType],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> ActivityHandle[ReturnType]: ...


@overload
def start_activity(
    activity: str,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> ActivityHandle[Any]: ...


def start_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> ActivityHandle[Any]:
    """Schedule an activity and return its handle (an asyncio task).

    At least one of ``schedule_to_close_timeout`` and
    ``start_to_close_timeout`` is required.

    Args:
        activity: An ``@activity.defn`` function or an activity type name.
        arg: The one argument; or use ``args`` for several.
        task_queue: Where the activity runs; defaults to the workflow's task queue.
        result_type: The type to decode the result into (defaults to the
            function's return hint).
        schedule_to_close_timeout: Limit on the whole activity, retries included.
        schedule_to_start_timeout: Limit on the time a task waits on the queue.
        start_to_close_timeout: Limit on one attempt.
        heartbeat_timeout: Limit between heartbeats.
        retry_policy: Unset means the server's default (unlimited attempts).
        cancellation_type: How cancelling the handle waits for the activity.
        activity_id: Defaults to the activity's sequence number in the run.
        disable_eager_execution: Opt out of eager execution.
        summary: Shown in Temporal's UI for the activity.
        priority: The activity's priority.
    """
    name, hint = _activity_name(activity)
    if schedule_to_close_timeout is None and start_to_close_timeout is None:
        raise ValueError("an activity needs start_to_close_timeout or schedule_to_close_timeout")
    return _Runtime.current().workflow_start_activity(
        name,
        _arg_or_args(arg, args),
        task_queue=task_queue,
        result_type=result_type if result_type is not None else hint,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        disable_eager_execution=disable_eager_execution,
        summary=summary,
        priority=priority,
    )


@overload
async def execute_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: Callable[..., ReturnType],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> ReturnType: ...


@overload
async def execute_activity(
    activity: str,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> Any: ...


async def execute_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    task_queue: str | None = None,
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    heartbeat_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    disable_eager_execution: bool = False,
    summary: str | None = None,
    priority: Priority | None = None,
) -> Any:
    """:py:func:`start_activity` and wait for its result. A failed activity
    raises :py:class:`temporal_sidecar.exceptions.ActivityError` whose cause
    says why."""
    return await start_activity(
        activity,
        arg,
        args=args,
        task_queue=task_queue,
        result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        heartbeat_timeout=heartbeat_timeout,
        retry_policy=retry_policy,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        disable_eager_execution=disable_eager_execution,
        summary=summary,
        priority=priority,
    )


start_activity_method = start_activity
"""As temporalio: :py:func:`start_activity` with an ``@activity.defn`` method of a class."""

execute_activity_method = execute_activity
"""As temporalio: :py:func:`execute_activity` with an ``@activity.defn`` method of a class."""


@overload
def start_local_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: Callable[..., ReturnType],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> ActivityHandle[ReturnType]: ...


@overload
def start_local_activity(
    activity: str,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> ActivityHandle[Any]: ...


def start_local_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> ActivityHandle[Any]:
    """Schedule a local activity and return its handle (an asyncio task).

    A local activity runs in a worker connected to the same sidecar, in the
    same workflow task, without a round trip through the server; its outcome
    is recorded as a ``core_local_activity`` marker. Use it for short work.
    At least one of ``schedule_to_close_timeout`` and
    ``start_to_close_timeout`` is required.

    Args:
        activity: An ``@activity.defn`` function or an activity type name.
        arg: The one argument; or use ``args`` for several.
        result_type: The type to decode the result into (defaults to the
            function's return hint).
        schedule_to_close_timeout: Limit on the whole activity, retries included.
        schedule_to_start_timeout: Limit on the time it waits for a local slot.
        start_to_close_timeout: Limit on one attempt.
        retry_policy: Unset means the default policy (unlimited attempts).
        local_retry_threshold: Retries whose backoff is longer than this wait
            on a durable timer instead of inside the workflow task (the
            sidecar's default: 1 minute).
        cancellation_type: How cancelling the handle waits for the activity.
        activity_id: Defaults to the activity's sequence number in the run.
        summary: Shown in Temporal's UI for the activity.
    """
    name, hint = _activity_name(activity)
    if schedule_to_close_timeout is None and start_to_close_timeout is None:
        raise ValueError("Activity must have start_to_close_timeout or schedule_to_close_timeout")
    return _Runtime.current().workflow_start_local_activity(
        name,
        _arg_or_args(arg, args),
        result_type=result_type if result_type is not None else hint,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
    )


@overload
async def execute_local_activity(
    activity: Callable[..., Awaitable[ReturnType]],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: Callable[..., ReturnType],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> ReturnType: ...


@overload
async def execute_local_activity(
    activity: str,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> Any: ...


async def execute_local_activity(
    activity: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    result_type: type | None = None,
    schedule_to_close_timeout: timedelta | None = None,
    schedule_to_start_timeout: timedelta | None = None,
    start_to_close_timeout: timedelta | None = None,
    retry_policy: RetryPolicy | None = None,
    local_retry_threshold: timedelta | None = None,
    cancellation_type: ActivityCancellationType = ActivityCancellationType.TRY_CANCEL,
    activity_id: str | None = None,
    summary: str | None = None,
) -> Any:
    """:py:func:`start_local_activity` and wait for its result. A failed
    local activity raises :py:class:`temporal_sidecar.exceptions.ActivityError`
    whose cause says why."""
    return await start_local_activity(
        activity,
        arg,
        args=args,
        result_type=result_type,
        schedule_to_close_timeout=schedule_to_close_timeout,
        schedule_to_start_timeout=schedule_to_start_timeout,
        start_to_close_timeout=start_to_close_timeout,
        retry_policy=retry_policy,
        local_retry_threshold=local_retry_threshold,
        cancellation_type=cancellation_type,
        activity_id=activity_id,
        summary=summary,
    )


start_local_activity_method = start_local_activity
"""As temporalio: :py:func:`start_local_activity` with an ``@activity.defn`` method of a class."""

execute_local_activity_method = execute_local_activity
"""As temporalio: :py:func:`execute_local_activity` with an ``@activity.defn`` method of a class."""


# ---------------------------------------------------------------- child and external workflows


class ChildWorkflowHandle(asyncio.Task[ReturnType], Generic[SelfType, ReturnType]):
    """A started child workflow: an asyncio task that resolves to its result.
    ``cancel()`` asks the child to cancel according to the cancellation type."""

    @property
    def id(self) -> str:
        """The child's workflow id."""
        raise NotImplementedError

    @property
    def first_execution_run_id(self) -> str | None:
        """The run id the child started with."""
        raise NotImplementedError

    async def signal(self, signal: str | Callable[..., Any], arg: Any = _arg_unset, *, args: Sequence[Any] = ()) -> None:
        """Signal the child."""
        raise NotImplementedError


class ExternalWorkflowHandle(Generic[SelfType]):
    """Another workflow, to signal or cancel from workflow code."""

    @property
    def id(self) -> str:
        """The workflow id."""
        raise NotImplementedError

    @property
    def run_id(self) -> str | None:
        """The run id, or None for the latest run."""
        raise NotImplementedError

    async def signal(self, signal: str | Callable[..., Any], arg: Any = _arg_unset, *, args: Sequence[Any] = ()) -> None:
        """Signal the workflow; raises if the signal could not be delivered."""
        raise NotImplementedError

    async def cancel(self, *, reason: str = "") -> None:
        """Request cancellation of the workflow; raises if the request could not be delivered."""
        raise NotImplementedError


@overload
async def start_child_workflow(
    workflow: Callable[..., Awaitable[ReturnType]],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: int = 0,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
    static_summary: str | None = None,
    priority: Priority | None = None,
) -> ChildWorkflowHandle[Any, ReturnType]: ...


@overload
async def start_child_workflow(
    workflow: str | type,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: int = 0,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
    static_summary: str | None = None,
    priority: Priority | None = None,
) -> ChildWorkflowHandle[Any, Any]: ...


async def start_child_workflow(
    workflow: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: int = 0,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
    static_summary: str | None = None,
    priority: Priority | None = None,
) -> ChildWorkflowHandle[Any, Any]:
    """Start a child workflow and wait until it started; return its handle
    (an asyncio task resolving to the child's result).

    Args:
        workflow: The child's ``@workflow.run`` method, its class, or its type name.
        arg: The one argument; or use ``args`` for several.
        id: The child's workflow id; defaults to a deterministic UUID.
        task_queue: Defaults to the parent's task queue.
        result_type: The type to decode the result into.
        cancellation_type: How cancelling the handle waits for the child.
        parent_close_policy: What happens to the child when the parent closes.
        id_reuse_policy: A ``temporal_sidecar.common.WorkflowIDReusePolicy`` value.

    Raises:
        temporal_sidecar.exceptions.WorkflowAlreadyStartedError: a workflow
            with the id is already running.
    """
    name, hint = _Definition.name_and_result_type(workflow)
    return await _Runtime.current().workflow_start_child_workflow(
        name,
        _arg_or_args(arg, args),
        id=id or str(uuid4()),
        task_queue=task_queue,
        result_type=result_type if result_type is not None else hint,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=int(id_reuse_policy),
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        static_summary=static_summary,
        priority=priority,
    )


@overload
async def execute_child_workflow(
    workflow: Callable[..., Awaitable[ReturnType]],
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: int = 0,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
    static_summary: str | None = None,
    priority: Priority | None = None,
) -> ReturnType: ...


@overload
async def execute_child_workflow(
    workflow: str | type,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: int = 0,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
    static_summary: str | None = None,
    priority: Priority | None = None,
) -> Any: ...


async def execute_child_workflow(
    workflow: Any,
    arg: Any = _arg_unset,
    *,
    args: Sequence[Any] = (),
    id: str | None = None,
    task_queue: str | None = None,
    result_type: type | None = None,
    cancellation_type: ChildWorkflowCancellationType = ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    parent_close_policy: ParentClosePolicy = ParentClosePolicy.TERMINATE,
    execution_timeout: timedelta | None = None,
    run_timeout: timedelta | None = None,
    task_timeout: timedelta | None = None,
    id_reuse_policy: int = 0,
    retry_policy: RetryPolicy | None = None,
    cron_schedule: str = "",
    memo: Mapping[str, Any] | None = None,
    search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
    static_summary: str | None = None,
    priority: Priority | None = None,
) -> Any:
    """:py:func:`start_child_workflow` and wait for its result. A failed child
    raises :py:class:`temporal_sidecar.exceptions.ChildWorkflowError` whose
    cause says why."""
    handle = await start_child_workflow(
        workflow,
        arg,
        args=args,
        id=id,
        task_queue=task_queue,
        result_type=result_type,
        cancellation_type=cancellation_type,
        parent_close_policy=parent_close_policy,
        execution_timeout=execution_timeout,
        run_timeout=run_timeout,
        task_timeout=task_timeout,
        id_reuse_policy=id_reuse_policy,
        retry_policy=retry_policy,
        cron_schedule=cron_schedule,
        memo=memo,
        search_attributes=search_attributes,
        static_summary=static_summary,
        priority=priority,
    )
    return await handle


def get_external_workflow_handle(workflow_id: str, *, run_id: str | None = None) -> ExternalWorkflowHandle[Any]:
    """A handle to signal or cancel another workflow by id."""
    return _Runtime.current().workflow_external_handle(workflow_id, run_id)


def get_external_workflow_handle_for(
    workflow: Callable[..., Any] | type, workflow_id: str, *, run_id: str | None = None
) -> ExternalWorkflowHandle[Any]:
    """:py:func:`get_external_workflow_handle`, typed by the workflow's run method or class."""
    del workflow
    return get_external_workflow_handle(workflow_id, run_id=run_id)


# ---------------------------------------------------------------- Nexus operations


class NexusOperationCancellationType(IntEnum):
    """How cancelling a :py:class:`NexusOperationHandle` waits for the
    operation (as temporalio). Awaiting the handle after ``cancel()`` raises
    a :py:class:`temporal_sidecar.exceptions.NexusOperationError` whose cause
    is a :py:class:`temporal_sidecar.exceptions.CancelledError`; the type says
    what has happened by then."""

    ABANDON = 3
    """Send no cancel request to the handler; resolve as cancelled at once."""
    TRY_CANCEL = 1
    """Send a cancel request and resolve as cancelled at once."""
    WAIT_REQUESTED = 4
    """Send a cancel request; resolve once the handler accepted it."""
    WAIT_COMPLETED = 2
    """Send a cancel request; resolve once the operation finished (the default)."""


class NexusOperationHandle(asyncio.Task[ReturnType]):
    """A started Nexus operation: an asyncio task that resolves to its
    result. ``cancel()`` asks for cancellation according to the operation's
    :py:class:`NexusOperationCancellationType`. A failed operation raises
    :py:class:`temporal_sidecar.exceptions.NexusOperationError` whose cause
    says why (an ``ApplicationError`` for an operation error, a
    ``nexusrpc.HandlerError`` for a handler error, a ``CancelledError`` or a
    ``TimeoutError``)."""

    @property
    def operation_token(self) -> str | None:
        """The token of an asynchronous operation; None for an operation that
        completed synchronously."""
        raise NotImplementedError


def _nexus_service_definition(service: Any) -> Any:
    if isinstance(service, str):
        if not service:
            raise ValueError("create_nexus_client(service=...) needs a service name")
        return None
    defn = nexusrpc.get_service_definition(service) if isinstance(service, type) else None
    if defn is None:
        raise TypeError(
            f"create_nexus_client(service={service!r}): pass a service name, or a class decorated with "
            "@nexusrpc.service or @nexusrpc.handler.service_handler"
        )
    return defn


def _nexus_operation(service_name: str, defn: Any, operation: Any) -> tuple[str, Any]:
    """The operation's name and output type, from a name, a nexusrpc.Operation,
    or a decorated operation method of a service handler class."""
    if isinstance(operation, str):
        name, output_type = operation, None
    elif isinstance(operation, nexusrpc.Operation):
        name, output_type = operation.name, operation.output_type
    else:
        op = nexusrpc.get_operation(operation) if callable(operation) else None
        if op is None:
            raise TypeError(
                f"{getattr(operation, '__qualname__', operation)!r} is not a Nexus operation: pass the operation's "
                "name, a nexusrpc.Operation of the service definition, or a method decorated with "
                "@nexusrpc.handler.sync_operation or @temporal_sidecar.nexus.workflow_run_operation"
            )
        name, output_type = op.name, op.output_type
    if not name:
        raise ValueError("a Nexus operation needs a name")
    if defn is not None:
        known = defn.operation_definitions
        if name not in known:
            raise ValueError(
                f"Nexus service {service_name!r} has no operation {name!r}; its operations: "
                f"{', '.join(sorted(known)) or '(none)'}"
            )
        if output_type is None:
            output_type = known[name].output_type
    return name, output_type


class NexusClient(Generic[SelfType]):
    """Calls the operations of one Nexus service through an endpoint, from
    workflow code: :py:func:`create_nexus_client`.

    ::

        client = workflow.create_nexus_client(service=MyService, endpoint="my-endpoint")
        result = await client.execute_operation(MyService.my_op, MyInput(...))
    """

    def __init__(self, *, service: type[SelfType] | str, endpoint: str) -> None:
        if not endpoint:
            raise ValueError("create_nexus_client(endpoint=...) needs the Nexus endpoint's name")
        self._defn = _nexus_service_definition(service)
        self.service_name: str = service if isinstance(service, str) else self._defn.name
        self.endpoint = endpoint

    @overload
    async def start_operation(
        self,
        operation: nexusrpc.Operation[Any, ReturnType],
        input: Any,
        *,
        output_type: type[ReturnType] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = NexusOperationCancellationType.WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
    ) -> NexusOperationHandle[ReturnType]: ...

    @overload
    async def start_operation(
        self,
        operation: str | Callable[..., Any],
        input: Any,
        *,
        output_type: type[ReturnType] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = NexusOperationCancellationType.WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
    ) -> NexusOperationHandle[Any]: ...

    async def start_operation(
        self,
        operation: Any,
        input: Any,
        *,
        output_type: type[Any] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = NexusOperationCancellationType.WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
    ) -> NexusOperationHandle[Any]:
        """Schedule an operation, wait until it started (or finished, for a
        synchronous one), and return its handle (an asyncio task resolving to
        the result).

        Args:
            operation: The operation: its name, a ``nexusrpc.Operation`` of
                the service definition, or a decorated operation method of a
                service handler class.
            input: The operation's input.
            output_type: The type to decode the result into (defaults to the
                operation's declared output type).
            schedule_to_close_timeout: Limit on the whole operation.
            schedule_to_start_timeout: Limit on the time until it started.
            start_to_close_timeout: Limit from start to completion, for an
                asynchronous operation.
            cancellation_type: How cancelling the handle waits for the operation.
            headers: Nexus headers passed to the handler.
            summary: Shown in Temporal's UI for the operation.

        Raises:
            temporal_sidecar.exceptions.NexusOperationError: the operation
                failed before it started (a handler error, say).
        """
        name, declared = _nexus_operation(self.service_name, self._defn, operation)
        return await _Runtime.current().workflow_start_nexus_operation(
            endpoint=self.endpoint,
            service=self.service_name,
            operation=name,
            input=input,
            output_type=output_type if output_type is not None else declared,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            cancellation_type=NexusOperationCancellationType(cancellation_type),
            headers=headers,
            summary=summary,
        )

    @overload
    async def execute_operation(
        self,
        operation: nexusrpc.Operation[Any, ReturnType],
        input: Any,
        *,
        output_type: type[ReturnType] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = NexusOperationCancellationType.WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
    ) -> ReturnType: ...

    @overload
    async def execute_operation(
        self,
        operation: str | Callable[..., Any],
        input: Any,
        *,
        output_type: type[ReturnType] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = NexusOperationCancellationType.WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
    ) -> Any: ...

    async def execute_operation(
        self,
        operation: Any,
        input: Any,
        *,
        output_type: type[Any] | None = None,
        schedule_to_close_timeout: timedelta | None = None,
        schedule_to_start_timeout: timedelta | None = None,
        start_to_close_timeout: timedelta | None = None,
        cancellation_type: NexusOperationCancellationType = NexusOperationCancellationType.WAIT_COMPLETED,
        headers: Mapping[str, str] | None = None,
        summary: str | None = None,
    ) -> Any:
        """:py:meth:`start_operation` and wait for the result. A failed
        operation raises :py:class:`temporal_sidecar.exceptions.NexusOperationError`
        whose cause says why."""
        handle = await self.start_operation(
            operation,
            input,
            output_type=output_type,
            schedule_to_close_timeout=schedule_to_close_timeout,
            schedule_to_start_timeout=schedule_to_start_timeout,
            start_to_close_timeout=start_to_close_timeout,
            cancellation_type=cancellation_type,
            headers=headers,
            summary=summary,
        )
        return await handle


@overload
def create_nexus_client(*, service: type[SelfType], endpoint: str) -> NexusClient[SelfType]: ...


@overload
def create_nexus_client(*, service: str, endpoint: str) -> NexusClient[Any]: ...


def create_nexus_client(*, service: type[Any] | str, endpoint: str) -> NexusClient[Any]:
    """A client for the operations of a Nexus service, called through an
    endpoint (created with the operator API or ``temporal operator nexus
    endpoint create``, targeting the handler's namespace and task queue).

    Args:
        service: The service: its name, or a class decorated with
            ``@nexusrpc.service`` or ``@nexusrpc.handler.service_handler``
            (then operation names are checked against it).
        endpoint: The Nexus endpoint's name.
    """
    return NexusClient(service=service, endpoint=endpoint)


# ---------------------------------------------------------------- logging


class LoggerAdapter(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Adds the running workflow's details to each record (appended to the
    message and as ``temporal_workflow`` in ``extra``), and drops records
    while the workflow replays, so each line is logged once."""

    def __init__(self, logger: logging.Logger, extra: Mapping[str, Any] | None) -> None:
        super().__init__(logger, extra or {})
        self.workflow_info_on_message = True
        self.workflow_info_on_extra = True
        self.log_during_replay = False

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        rt = _Runtime.maybe_current()
        if rt is not None:
            details = rt.workflow_info()._logger_details()
            u = current_update_info()
            if u is not None:
                details = {**details, "update_id": u.id, "update_name": u.name}
            if self.workflow_info_on_message:
                msg = f"{msg} ({details})"
            if self.workflow_info_on_extra:
                extra = dict(kwargs.get("extra") or {})
                extra["temporal_workflow"] = details
                kwargs["extra"] = extra
        return msg, kwargs

    def isEnabledFor(self, level: int) -> bool:
        if not self.log_during_replay:
            rt = _Runtime.maybe_current()
            if rt is not None and rt.workflow_is_replaying():
                return False
        return super().isEnabledFor(level)

    @property
    def base_logger(self) -> logging.Logger:
        """The wrapped logger, to add handlers or formatters to."""
        return cast(logging.Logger, self.logger)


logger = LoggerAdapter(logging.getLogger(__name__), None)
"""A logger that adds the running workflow's details and is silent during replay."""


# ---------------------------------------------------------------- unsafe


class unsafe:
    """Escape hatches, named as in temporalio."""

    @staticmethod
    def is_replaying() -> bool:
        """Whether the workflow is replaying history (side effects such as
        logging or metrics should be skipped)."""
        rt = _Runtime.maybe_current()
        return rt is not None and rt.workflow_is_replaying()

    @staticmethod
    @contextlib.contextmanager
    def imports_passed_through() -> Iterator[None]:
        """Does nothing: there is no sandbox. Kept so temporalio code runs unchanged."""
        yield None

    @staticmethod
    @contextlib.contextmanager
    def sandbox_unrestricted() -> Iterator[None]:
        """Does nothing: there is no sandbox. Kept so temporalio code runs unchanged."""
        yield None

    @staticmethod
    def in_sandbox() -> bool:
        """Always False: workflows do not run in a sandbox."""
        return False

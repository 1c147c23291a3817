"""Nexus operation handlers, shaped like :py:mod:`temporalio.nexus`.

Services and their operations are defined with the ``nexusrpc`` library, as
with temporalio: ``@nexusrpc.service`` for the interface (optional),
``@nexusrpc.handler.service_handler`` for the implementation,
``@nexusrpc.handler.sync_operation`` for an operation that answers at once,
and :py:func:`workflow_run_operation` for one backed by a workflow. Pass
instances of the handler classes to the worker::

    @nexusrpc.handler.service_handler(service=GreetingService)
    class GreetingHandler:
        @nexusrpc.handler.sync_operation
        async def greet(self, ctx: nexusrpc.handler.StartOperationContext, name: str) -> str:
            return f"Hello, {name}"

        @nexus.workflow_run_operation
        async def greet_slowly(self, ctx: nexus.WorkflowRunOperationContext, name: str) -> nexus.WorkflowHandle[str]:
            return await ctx.start_workflow(SlowGreeting.run, name, id=f"greet-{ctx.request_id}")

    Worker(conn, task_queue="greetings", nexus_service_handlers=[GreetingHandler()])

Callers reach the service through a Nexus endpoint that targets the handler's
namespace and task queue, from workflow code with
:py:func:`temporal_sidecar.workflow.create_nexus_client`.

Errors: raise ``nexusrpc.OperationError`` to end the operation as failed or
cancelled (the caller sees a ``NexusOperationError`` caused by it), and
``nexusrpc.HandlerError`` for a request the handler cannot process (its
``retryable_override`` decides whether the caller retries). Any other
exception is an ``INTERNAL`` handler error, retried by the caller unless it is
a non-retryable ``ApplicationError``. A start request's deadline, or the
sidecar giving up on it, cancels the handler (``ctx.task_cancellation`` says
why).
"""

from __future__ import annotations

import contextvars
import inspect
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, Generic, TypeVar, overload

import nexusrpc
from nexusrpc.handler import (
    CancelOperationContext,
    OperationHandler,
    StartOperationContext,
    StartOperationResultAsync,
)

from temporal_sidecar import workflow as _workflow
from temporal_sidecar.client import Client, _nexus_backing_start, _NexusBackingStart
from temporal_sidecar.common import (
    Priority,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

__all__ = [
    "Info",
    "WorkflowHandle",
    "WorkflowRunOperationContext",
    "client",
    "in_operation",
    "info",
    "workflow_run_operation",
]

OutputT = TypeVar("OutputT")
InputT = TypeVar("InputT")
ServiceT = TypeVar("ServiceT")


@dataclass(frozen=True)
class Info:
    """The Nexus operation being handled: :py:func:`info`."""

    namespace: str
    """The namespace of the sidecar that delivered the request."""
    task_queue: str
    """The task queue the worker serves."""


@dataclass(frozen=True)
class _OperationContext:
    info: Info
    client: Callable[[], Client]
    task_token: bytes
    # Of a cancel request for a workflow-run operation: the workflow backing it.
    workflow_id: str = ""


_current: contextvars.ContextVar[_OperationContext] = contextvars.ContextVar("temporal_sidecar_nexus_operation")


def _context() -> _OperationContext:
    ctx = _current.get(None)
    if ctx is None:
        raise RuntimeError("not in a Nexus operation handler: this function only works while one runs")
    return ctx


def in_operation() -> bool:
    """Whether the caller runs inside a Nexus operation handler."""
    return _current.get(None) is not None


def info() -> Info:
    """The running Nexus operation's :py:class:`Info`."""
    return _context().info


def client() -> Client:
    """A :py:class:`temporal_sidecar.client.Client` on the worker's
    connection, for the operation handler to drive workflows."""
    return _context().client()


class WorkflowHandle(Generic[OutputT]):
    """The workflow backing a workflow-run operation, as
    :py:meth:`WorkflowRunOperationContext.start_workflow` returns it; return
    it from the ``@workflow_run_operation`` method. Its result is the
    operation's result."""

    def __init__(self, *, workflow_id: str, run_id: str, operation_token: str) -> None:
        self.workflow_id = workflow_id
        self.run_id = run_id
        self._token = operation_token

    def to_token(self) -> str:
        """The operation token (Temporal's workflow-run token format)."""
        return self._token

    def __repr__(self) -> str:
        return f"WorkflowHandle(workflow_id={self.workflow_id!r}, run_id={self.run_id!r})"


class WorkflowRunOperationContext(StartOperationContext):
    """What a :py:func:`workflow_run_operation` method receives: the start
    request (``request_id``, ``headers``, ``task_cancellation``...) and
    :py:meth:`start_workflow`."""

    @classmethod
    def _from_start_operation_context(cls, ctx: StartOperationContext) -> WorkflowRunOperationContext:
        # The same outbound_links list: links added here reach the response.
        return cls(**{f.name: getattr(ctx, f.name) for f in fields(ctx)})

    async def start_workflow(
        self,
        workflow: str | Callable[..., Awaitable[OutputT]],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        task_queue: str | None = None,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        id_conflict_policy: WorkflowIDConflictPolicy = WorkflowIDConflictPolicy.UNSPECIFIED,
        retry_policy: RetryPolicy | None = None,
        cron_schedule: str = "",
        memo: Mapping[str, Any] | None = None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
        static_summary: str | None = None,
        start_delay: timedelta | None = None,
        priority: Priority | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHandle[OutputT]:
        """Start the workflow that backs this operation and delivers its
        result: when it closes, Temporal completes the caller's operation
        with its outcome. The options are those of
        :py:meth:`temporal_sidecar.client.Client.start_workflow`; the task
        queue defaults to the worker's.

        The sidecar attaches the caller's callback, links and request id (a
        retried start request finds the same run). Call it at most once per
        start request, before the method returns.
        """
        op = _context()
        if not op.task_token:
            raise RuntimeError("start_workflow can only be called while handling a start request")
        backing = _NexusBackingStart(task_token=op.task_token)
        reset = _nexus_backing_start.set(backing)
        try:
            handle = await op.client().start_workflow(
                workflow,
                arg,
                args=args,
                id=id,
                task_queue=task_queue or op.info.task_queue,
                result_type=result_type,
                execution_timeout=execution_timeout,
                run_timeout=run_timeout,
                task_timeout=task_timeout,
                id_reuse_policy=id_reuse_policy,
                id_conflict_policy=id_conflict_policy,
                retry_policy=retry_policy,
                cron_schedule=cron_schedule,
                memo=memo,
                search_attributes=search_attributes,
                static_summary=static_summary,
                start_delay=start_delay,
                priority=priority,
                rpc_timeout=rpc_timeout,
            )
        finally:
            _nexus_backing_start.reset(reset)
        resp = backing.response
        if resp is None or not resp.nexus_operation_token:
            raise RuntimeError("the sidecar did not return an operation token for the workflow backing the operation")
        self.outbound_links.extend(nexusrpc.Link(url=link.url, type=link.type) for link in resp.nexus_links)
        return WorkflowHandle(workflow_id=handle.id, run_id=resp.run_id, operation_token=resp.nexus_operation_token)


class _WorkflowRunOperationHandler(OperationHandler[Any, Any]):
    def __init__(self, start: Callable[[WorkflowRunOperationContext, Any], Awaitable[Any]], name: str) -> None:
        self._start = start
        self._name = name

    async def start(self, ctx: StartOperationContext, input: Any) -> StartOperationResultAsync:
        handle = await self._start(WorkflowRunOperationContext._from_start_operation_context(ctx), input)
        if not isinstance(handle, WorkflowHandle):
            raise nexusrpc.HandlerError(
                f"workflow-run operation {self._name!r} returned {type(handle).__name__}, not the "
                "temporal_sidecar.nexus.WorkflowHandle that ctx.start_workflow(...) returns: start the workflow "
                "that backs the operation with ctx.start_workflow and return its handle",
                type=nexusrpc.HandlerErrorType.INTERNAL,
                retryable_override=False,
            )
        return StartOperationResultAsync(handle.to_token())

    async def cancel(self, ctx: CancelOperationContext, token: str) -> None:
        workflow_id = _context().workflow_id
        if not workflow_id:
            raise nexusrpc.HandlerError(
                f"cannot cancel workflow-run operation {self._name!r}: its token is not a workflow-run token",
                type=nexusrpc.HandlerErrorType.NOT_FOUND,
            )
        await client().get_workflow_handle(workflow_id).cancel()


def _workflow_run_types(start: Callable[..., Any]) -> tuple[Any, Any]:
    """The input type (the third parameter's hint) and the output type (X of
    the WorkflowHandle[X] return hint) of a workflow-run start method."""
    try:
        hints = typing.get_type_hints(start)
    except Exception:  # noqa: BLE001 - unresolvable hints: no types
        return None, None
    params = list(inspect.signature(start).parameters)
    input_type = hints.get(params[2]) if len(params) == 3 else None
    ret = hints.get("return")
    output_type = None
    if typing.get_origin(ret) is WorkflowHandle:
        [output_type] = typing.get_args(ret)
    return input_type, output_type


F = TypeVar("F", bound=Callable[..., Awaitable[WorkflowHandle[Any]]])


@overload
def workflow_run_operation(start: F) -> F: ...


@overload
def workflow_run_operation(*, name: str | None = None) -> Callable[[F], F]: ...


def workflow_run_operation(start: F | None = None, *, name: str | None = None) -> F | Callable[[F], F]:
    """Mark a method of a ``@nexusrpc.handler.service_handler`` class as the
    start method of an operation backed by a workflow:
    ``async def op(self, ctx: WorkflowRunOperationContext, input: In) -> WorkflowHandle[Out]``
    that starts the workflow with ``ctx.start_workflow(...)`` and returns its
    handle. Cancelling the operation cancels the workflow.

    Args:
        name: The operation's name; defaults to the method's name.
    """

    def decorator(start: F) -> F:
        is_async = inspect.iscoroutinefunction(start)
        if not is_async:
            raise TypeError(
                f"@workflow_run_operation needs an async def method; {getattr(start, '__qualname__', start)!r} "
                "is not one"
            )
        if len(inspect.signature(start).parameters) != 3:
            raise TypeError(
                f"@workflow_run_operation method {start.__qualname__} must take (self, ctx, input): "
                "(self, ctx: WorkflowRunOperationContext, input: In) -> WorkflowHandle[Out]"
            )
        input_type, output_type = _workflow_run_types(start)
        op_name = name or start.__name__

        def factory(service: Any) -> OperationHandler[Any, Any]:
            async def bound(ctx: WorkflowRunOperationContext, input: Any) -> Any:
                return await start(service, ctx, input)

            return _WorkflowRunOperationHandler(bound, op_name)

        op: nexusrpc.Operation[Any, Any] = nexusrpc.Operation(
            name=op_name, input_type=input_type, output_type=output_type
        )
        op.method_name = start.__name__
        nexusrpc.set_operation(factory, op)
        # How nexusrpc finds an operation's handler factory from its start
        # method (nexusrpc._util.set_operation_factory).
        setattr(start, "__nexus_operation_factory__", factory)
        return start

    if start is None:
        return decorator
    return decorator(start)

"""Starting and driving workflows through the sidecar, shaped like
:py:class:`temporalio.client.Client`.

::

    client = Client(await Connection.connect("unix:///run/sidecar.sock"))
    handle = await client.start_workflow(Greeting.run, "Ada", id="greeting-ada")
    print(await handle.result())

The sidecar's ``ClientService`` forwards every call to Temporal with the
sidecar's namespace and credentials: this process holds none. Errors keep
the server's meaning: :py:class:`temporal_sidecar.exceptions.WorkflowAlreadyStartedError`,
:py:class:`WorkflowFailureError` (with the workflow's failure as ``cause``),
:py:class:`WorkflowQueryFailedError`, :py:class:`WorkflowUpdateFailedError`,
and :py:class:`temporal_sidecar.service.RPCError` for the rest.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import IntEnum
from typing import Any, Generic, TypeVar, overload

import google.protobuf.message
import grpc
import grpc.aio

from temporal_sidecar import workflow as _workflow
from temporal_sidecar.activity import ActivityCancellationDetails
from temporal_sidecar.common import (
    Priority,
    QueryRejectCondition,
    RetryPolicy,
    SearchAttributes,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporal_sidecar.connection import Connection
from temporal_sidecar.converter import DataConverter, decode_typed_search_attributes, encode_search_attributes
from temporal_sidecar.exceptions import CancelledError, TemporalError, WorkflowAlreadyStartedError
from temporal_sidecar.proto.sidecar.bridge.v1 import activity_pb2, client_pb2, common_pb2, history_pb2
from temporal_sidecar.service import RPCError, RPCStatusCode, RPCTimeoutOrCancelledError, _string_field

__all__ = [
    "AsyncActivityCancelledError",
    "AsyncActivityHandle",
    "AsyncActivityIDReference",
    "CancelWorkflowInput",
    "Client",
    "DescribeWorkflowInput",
    "Interceptor",
    "OutboundInterceptor",
    "QueryWorkflowInput",
    "SignalWorkflowInput",
    "StartWorkflowInput",
    "StartWorkflowUpdateInput",
    "TerminateWorkflowInput",
    "WorkflowContinuedAsNewError",
    "WorkflowExecutionDescription",
    "WorkflowExecutionStatus",
    "WorkflowFailureError",
    "WorkflowHandle",
    "WorkflowHistory",
    "WorkflowQueryFailedError",
    "WorkflowQueryRejectedError",
    "WorkflowUpdateFailedError",
    "WorkflowUpdateHandle",
    "WorkflowUpdateRPCTimeoutOrCancelledError",
    "WorkflowUpdateStage",
    "WithStartWorkflowOperation",
]

SelfType = TypeVar("SelfType")
ReturnType = TypeVar("ReturnType")
LocalReturnType = TypeVar("LocalReturnType")
_Req = TypeVar("_Req", bound=google.protobuf.message.Message)
_Resp = TypeVar("_Resp", bound=google.protobuf.message.Message)

_SERVICE = "/sidecar.bridge.v1.ClientService/"

# Calls are repeated when the sidecar says UNAVAILABLE (it is restarting, or
# shutting down during a long call), with this backoff: short calls for up to
# _RETRY_SHORT_CALLS seconds (as temporalio's default retry config), calls that
# wait on a workflow until their rpc_timeout.
_RETRY_INITIAL = 0.1
_RETRY_MAX = 5.0
_RETRY_SHORT_CALLS = 10.0


@dataclass
class _NexusBackingStart:
    """Set (temporal_sidecar.nexus) while a workflow-run operation starts the
    workflow that backs it: start_workflow then passes the Nexus task's token,
    and keeps the response (operation token and links) here."""

    task_token: bytes
    response: client_pb2.StartWorkflowResponse | None = None


_nexus_backing_start: contextvars.ContextVar[_NexusBackingStart | None] = contextvars.ContextVar(
    "temporal_sidecar_nexus_backing_start", default=None
)


# ---------------------------------------------------------------- values and errors


class WorkflowExecutionStatus(IntEnum):
    """The state of a workflow run. Values match ``temporal.api.enums.v1.WorkflowExecutionStatus``."""

    RUNNING = 1
    COMPLETED = 2
    FAILED = 3
    CANCELED = 4
    TERMINATED = 5
    CONTINUED_AS_NEW = 6
    TIMED_OUT = 7
    PAUSED = 8


class WorkflowUpdateStage(IntEnum):
    """How far an update must get before :py:meth:`WorkflowHandle.start_update` returns."""

    ACCEPTED = 1
    COMPLETED = 2


class WorkflowFailureError(TemporalError):
    """The workflow did not complete: it failed, timed out, was cancelled or
    terminated. ``cause`` says how (an ``ApplicationError``,
    ``CancelledError``, ``TerminatedError``, ``TimeoutError``...)."""

    def __init__(self, *, cause: BaseException) -> None:
        super().__init__("Workflow execution failed")
        self.__cause__ = cause


class AsyncActivityCancelledError(TemporalError):
    """:py:meth:`AsyncActivityHandle.heartbeat` learned that the activity
    should stop: its cancellation was requested, or an operator paused or
    reset it. ``details`` says which."""

    def __init__(self, details: ActivityCancellationDetails | None = None) -> None:
        super().__init__("Activity cancelled")
        self.details = details


class WorkflowContinuedAsNewError(TemporalError):
    """The run continued as new (from ``result(follow_runs=False)``)."""

    def __init__(self, new_execution_run_id: str) -> None:
        super().__init__("Workflow continued as new")
        self.new_execution_run_id = new_execution_run_id


class WorkflowQueryRejectedError(TemporalError):
    """The query's reject condition refused it; ``status`` is the workflow's status."""

    def __init__(self, status: WorkflowExecutionStatus | None) -> None:
        super().__init__(f"Query rejected, status: {status.name if status else 'unknown'}")
        self.status = status


class WorkflowQueryFailedError(TemporalError):
    """The workflow could not answer the query (its handler raised, or it has
    none of that name)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkflowUpdateFailedError(TemporalError):
    """The update was rejected by its validator, or its handler failed;
    ``cause`` says why."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__("Workflow update failed")
        self.__cause__ = cause

    @property
    def cause(self) -> BaseException:
        """Why the update failed."""
        assert self.__cause__ is not None
        return self.__cause__


class WorkflowUpdateRPCTimeoutOrCancelledError(RPCTimeoutOrCancelledError):
    """The call sending an update or waiting for its outcome ran out of its
    ``rpc_timeout`` or was cancelled, as temporalio's error of that name. It
    says nothing of the update itself, which may still run."""

    def __init__(self, status: RPCStatusCode = RPCStatusCode.CANCELLED, raw_grpc_status: bytes = b"") -> None:
        super().__init__("Timeout or cancellation waiting for update", status, raw_grpc_status)


async def _update_call(call: Awaitable[_Resp]) -> _Resp:
    """An update call whose timeout or cancellation raises
    :py:class:`WorkflowUpdateRPCTimeoutOrCancelledError`, as temporalio's."""
    try:
        return await call
    except RPCTimeoutOrCancelledError as err:
        raise WorkflowUpdateRPCTimeoutOrCancelledError(err.status, err.raw_grpc_status) from err
    except asyncio.CancelledError as err:
        raise WorkflowUpdateRPCTimeoutOrCancelledError() from err


@dataclass(frozen=True)
class WorkflowExecutionDescription:
    """What :py:meth:`WorkflowHandle.describe` returns."""

    id: str
    run_id: str
    workflow_type: str
    task_queue: str
    status: WorkflowExecutionStatus | None
    start_time: datetime | None
    close_time: datetime | None
    history_length: int
    raw_memo: Mapping[str, common_pb2.Payload]
    search_attributes: Mapping[str, Any]
    """Decoded search attribute values."""
    typed_search_attributes: TypedSearchAttributes
    """The search attributes whose payloads say their index type (as the
    server's do), typed."""
    pending_activities: int
    pending_children: int
    first_run_id: str | None
    parent_id: str | None
    parent_run_id: str | None
    data_converter: DataConverter

    async def memo(self) -> Mapping[str, Any]:
        """The memo, decoded."""
        out: dict[str, Any] = {}
        for k, p in self.raw_memo.items():
            [out[k]] = await self.data_converter.decode([p])
        return out

    async def memo_value(self, key: str, default: Any = None, *, type_hint: Any = None) -> Any:
        """One memo value, decoded; ``default`` if absent."""
        p = self.raw_memo.get(key)
        if p is None:
            return default
        [v] = await self.data_converter.decode([p], None if type_hint is None else [type_hint])
        return v


def _timestamp(msg: google.protobuf.message.Message, field: str) -> datetime | None:
    if not msg.HasField(field):
        return None
    ts = getattr(msg, field)
    out: datetime = ts.ToDatetime(tzinfo=timezone.utc)
    return out


def _status(v: int) -> WorkflowExecutionStatus | None:
    try:
        return WorkflowExecutionStatus(v)
    except ValueError:
        return None


def _already_started(err: RPCError, id: str, workflow_type: str) -> WorkflowAlreadyStartedError:
    """ALREADY_EXISTS from a start as temporalio raises it, with the open
    run's id when the server gave it."""
    existing = None
    for type_url, value in err.grpc_status_details:
        if type_url.endswith("WorkflowExecutionAlreadyStartedFailure"):
            existing = _string_field(value, 2) or None
    return WorkflowAlreadyStartedError(id, workflow_type, run_id=existing)


def _timeout(t: timedelta | None) -> float | None:
    return None if t is None else t.total_seconds()


def _serialize(m: google.protobuf.message.Message) -> bytes:
    return m.SerializeToString()


# ---------------------------------------------------------------- the client


class Client:
    """Drives workflows through a sidecar's client API.

    Args:
        connection: The sidecar connection. Payloads are converted with its
            data converter unless ``data_converter`` is given.
        data_converter: Overrides the connection's data converter.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        data_converter: DataConverter | None = None,
        interceptors: Sequence[Interceptor] = (),
    ) -> None:
        self._connection = connection
        self._dc = data_converter or connection.data_converter
        self._interceptors = list(interceptors)
        # As temporalio chains them: the first interceptor is the outermost.
        outbound: OutboundInterceptor = _ClientOutbound(self)
        for i in reversed(self._interceptors):
            outbound = i.intercept_client(outbound)
        self._outbound = outbound
        ch = connection.channel
        self._start = self._unary(ch, "StartWorkflow", client_pb2.StartWorkflowResponse)
        self._signal_with_start = self._unary(ch, "SignalWithStartWorkflow", client_pb2.SignalWithStartWorkflowResponse)
        self._signal = self._unary(ch, "SignalWorkflow", client_pb2.SignalWorkflowResponse)
        self._query = self._unary(ch, "QueryWorkflow", client_pb2.QueryWorkflowResponse)
        self._update = self._unary(ch, "UpdateWorkflow", client_pb2.UpdateWorkflowResponse)
        self._update_with_start = self._unary(
            ch, "UpdateWithStartWorkflow", client_pb2.UpdateWithStartWorkflowResponse
        )
        self._result = self._unary(ch, "GetWorkflowResult", client_pb2.GetWorkflowResultResponse)
        self._cancel = self._unary(ch, "CancelWorkflow", client_pb2.CancelWorkflowResponse)
        self._terminate = self._unary(ch, "TerminateWorkflow", client_pb2.TerminateWorkflowResponse)
        self._describe = self._unary(ch, "DescribeWorkflow", client_pb2.DescribeWorkflowResponse)
        self._fetch_history = self._unary(ch, "FetchWorkflowHistory", client_pb2.FetchWorkflowHistoryResponse)
        self._complete_activity = self._unary(ch, "CompleteActivity", client_pb2.CompleteActivityResponse)
        self._heartbeat_activity = self._unary(ch, "HeartbeatActivity", client_pb2.HeartbeatActivityResponse)

    @staticmethod
    def _unary(
        channel: grpc.aio.Channel, method: str, resp: type[_Resp]
    ) -> grpc.aio.UnaryUnaryMultiCallable[Any, _Resp]:
        return channel.unary_unary(_SERVICE + method, request_serializer=_serialize, response_deserializer=resp.FromString)

    @staticmethod
    async def connect(
        target: str,
        *,
        interceptors: Sequence[Interceptor] = (),
        data_converter: DataConverter | None = None,
        **kwargs: Any,
    ) -> Client:
        """``Client(await Connection.connect(target, **kwargs), interceptors=..., data_converter=...)``."""
        return Client(await Connection.connect(target, **kwargs), data_converter=data_converter, interceptors=interceptors)

    @property
    def connection(self) -> Connection:
        """The sidecar connection."""
        return self._connection

    @property
    def data_converter(self) -> DataConverter:
        """The data converter of this client."""
        return self._dc

    async def _call_once(
        self,
        fn: grpc.aio.UnaryUnaryMultiCallable[_Req, _Resp],
        req: _Req,
        *,
        rpc_timeout: timedelta | None,
    ) -> _Resp:
        failed: RPCError | None = None
        try:
            return await fn(req, timeout=_timeout(rpc_timeout), metadata=self._connection.metadata)
        except grpc.aio.AioRpcError as err:
            failed = RPCError.from_aio_error(err)
        raise failed

    async def _call(
        self,
        fn: grpc.aio.UnaryUnaryMultiCallable[_Req, _Resp],
        req: _Req,
        *,
        rpc_timeout: timedelta | None,
        retry_for: float | None = _RETRY_SHORT_CALLS,
    ) -> _Resp:
        """One call, repeated while the sidecar is UNAVAILABLE (restarting,
        or shutting down during a long call), as temporalio retries its calls:
        every request carries an id that makes a repeat safe. ``retry_for``
        bounds the retries (None: until ``rpc_timeout``, or forever)."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        deadline = None if rpc_timeout is None else start + rpc_timeout.total_seconds()
        step = _RETRY_INITIAL
        while True:
            left = None if deadline is None else timedelta(seconds=max(0.0, deadline - loop.time()))
            try:
                return await self._call_once(fn, req, rpc_timeout=left)
            except RPCError as err:
                if err.status != RPCStatusCode.UNAVAILABLE:
                    raise
                now = loop.time()
                if (deadline is not None and now + step >= deadline) or (
                    retry_for is not None and now + step - start > retry_for
                ):
                    raise
            await asyncio.sleep(random.uniform(step / 2, step))
            step = min(_RETRY_MAX, step * 2)

    async def _long_call(
        self,
        fn: grpc.aio.UnaryUnaryMultiCallable[_Req, _Resp],
        req: _Req,
        *,
        rpc_timeout: timedelta | None,
    ) -> _Resp:
        """A call that waits on a workflow (a result, an update): repeated on
        UNAVAILABLE until ``rpc_timeout``, or forever."""
        return await self._call(fn, req, rpc_timeout=rpc_timeout, retry_for=None)

    # ------------------------------------------------------------ starting

    @overload
    async def start_workflow(
        self,
        workflow: Callable[..., Awaitable[ReturnType]],
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
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        request_id: str | None = None,
        priority: Priority | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHandle[Any, ReturnType]: ...

    @overload
    async def start_workflow(
        self,
        workflow: str | type,
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
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        request_id: str | None = None,
        priority: Priority | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHandle[Any, Any]: ...

    async def start_workflow(
        self,
        workflow: Any,
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
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        request_id: str | None = None,
        priority: Priority | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowHandle[Any, Any]:
        """Start a workflow and return its handle.

        Args:
            workflow: The workflow's ``@workflow.run`` method, its class, or its type name.
            arg: The one argument; or use ``args`` for several.
            id: The workflow id.
            task_queue: Defaults to the sidecar's task queue.
            result_type: The type :py:meth:`WorkflowHandle.result` decodes into
                (defaults to the run method's return hint).
            start_signal: Signal-with-start: send this signal, starting the
                workflow first if it is not running.
            start_signal_args: The signal's arguments.
            search_attributes: Values encoded as JSON (no codec), by attribute name.

        Raises:
            temporal_sidecar.exceptions.WorkflowAlreadyStartedError: a run
                with the id is open (or, by the reuse policy, was).
        """
        name, hint = _workflow._Definition.name_and_result_type(workflow)
        return await self._outbound.start_workflow(
            StartWorkflowInput(
                workflow=name, args=_workflow._arg_or_args(arg, args), id=id, task_queue=task_queue or "",
                execution_timeout=execution_timeout, run_timeout=run_timeout, task_timeout=task_timeout,
                id_reuse_policy=id_reuse_policy, id_conflict_policy=id_conflict_policy, retry_policy=retry_policy,
                cron_schedule=cron_schedule, memo=memo, search_attributes=search_attributes, start_delay=start_delay,
                headers={}, start_signal=start_signal, start_signal_args=start_signal_args,
                static_summary=static_summary, static_details=None,
                ret_type=result_type if result_type is not None else hint, rpc_metadata={}, rpc_timeout=rpc_timeout,
                request_eager_start=False, priority=priority or Priority(), request_id=request_id,
            )
        )  # fmt: skip

    async def _start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        id, start_signal, rpc_timeout = input.id, input.start_signal, input.rpc_timeout
        opts, name, rtype = await self._workflow_options(
            input.workflow,
            _workflow._arg_unset,
            args=input.args,
            id=id,
            task_queue=input.task_queue or None,
            result_type=input.ret_type,
            execution_timeout=input.execution_timeout,
            run_timeout=input.run_timeout,
            task_timeout=input.task_timeout,
            id_reuse_policy=input.id_reuse_policy,
            id_conflict_policy=input.id_conflict_policy,
            retry_policy=input.retry_policy,
            cron_schedule=input.cron_schedule,
            memo=input.memo,
            search_attributes=input.search_attributes,
            static_summary=input.static_summary,
            start_delay=input.start_delay,
            request_id=input.request_id,
            priority=input.priority,
        )
        for k, p in input.headers.items():
            opts.headers[k].CopyFrom(p)
        start_signal_args = input.start_signal_args
        nexus = _nexus_backing_start.get()
        if nexus is not None and start_signal is not None:
            raise ValueError("the workflow backing a Nexus operation cannot be started with start_signal")
        try:
            if start_signal is not None:
                resp_sws = await self._call(
                    self._signal_with_start,
                    client_pb2.SignalWithStartWorkflowRequest(
                        options=opts,
                        signal_name=start_signal,
                        signal_args=await self._dc.encode(list(start_signal_args)),
                    ),
                    rpc_timeout=rpc_timeout,
                )
                run_id = resp_sws.run_id
            else:
                req = client_pb2.StartWorkflowRequest(options=opts)
                if nexus is not None:
                    req.nexus_task_token = nexus.task_token
                resp = await self._call(self._start, req, rpc_timeout=rpc_timeout)
                if nexus is not None:
                    nexus.response = resp
                run_id = resp.run_id
        except RPCError as err:
            if err.status == RPCStatusCode.ALREADY_EXISTS:
                raise _already_started(err, id, name) from err
            raise
        # As temporalio: the handle names the workflow (signals, queries... go to
        # its latest run) and waits for the result from the run just started.
        return WorkflowHandle(
            self,
            id,
            result_run_id=run_id,
            first_execution_run_id=run_id if start_signal is None else None,
            result_type=rtype,
        )

    async def _workflow_options(
        self,
        workflow: Any,
        arg: Any,
        *,
        args: Sequence[Any],
        id: str,
        task_queue: str | None,
        result_type: type | None,
        execution_timeout: timedelta | None,
        run_timeout: timedelta | None,
        task_timeout: timedelta | None,
        id_reuse_policy: WorkflowIDReusePolicy,
        id_conflict_policy: WorkflowIDConflictPolicy,
        retry_policy: RetryPolicy | None,
        cron_schedule: str,
        memo: Mapping[str, Any] | None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None,
        static_summary: str | None,
        start_delay: timedelta | None,
        request_id: str | None,
        priority: Priority | None,
    ) -> tuple[client_pb2.WorkflowOptions, str, Any]:
        """The options of a new run, its workflow type name, and the type
        its result decodes into."""
        name, hint = _workflow._Definition.name_and_result_type(workflow)
        opts = client_pb2.WorkflowOptions(
            workflow_id=id,
            workflow_type=name,
            task_queue=task_queue or "",
            args=await self._dc.encode(_workflow._arg_or_args(arg, args)),
            id_reuse_policy=int(id_reuse_policy),  # type: ignore[arg-type]
            id_conflict_policy=int(id_conflict_policy),  # type: ignore[arg-type]
            cron_schedule=cron_schedule,
            # Set here, not by the sidecar, so that a repeated call starts one run.
            request_id=request_id or str(uuid.uuid4()),
            static_summary=static_summary or "",
        )
        if execution_timeout is not None:
            opts.execution_timeout.FromTimedelta(execution_timeout)
        if run_timeout is not None:
            opts.run_timeout.FromTimedelta(run_timeout)
        if task_timeout is not None:
            opts.task_timeout.FromTimedelta(task_timeout)
        if start_delay is not None:
            opts.start_delay.FromTimedelta(start_delay)
        if retry_policy is not None:
            retry_policy.apply_to_proto(opts.retry_policy)
        if priority is not None:
            priority.apply_to_proto(opts.priority)
        for k, v in (memo or {}).items():
            [p] = await self._dc.encode([v])
            opts.memo[k].CopyFrom(p)
        encode_search_attributes(search_attributes, opts.search_attributes, self._dc.payload_converter)
        return opts, name, (result_type if result_type is not None else hint)

    @overload
    async def execute_workflow(
        self,
        workflow: Callable[..., Awaitable[ReturnType]],
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
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        request_id: str | None = None,
        priority: Priority | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> ReturnType: ...

    @overload
    async def execute_workflow(
        self,
        workflow: str | type,
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
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        request_id: str | None = None,
        priority: Priority | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> Any: ...

    async def execute_workflow(
        self,
        workflow: Any,
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
        start_signal: str | None = None,
        start_signal_args: Sequence[Any] = (),
        request_id: str | None = None,
        priority: Priority | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """:py:meth:`start_workflow` and wait for its result."""
        handle = await self.start_workflow(
            workflow,
            arg,
            args=args,
            id=id,
            task_queue=task_queue,
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
            start_signal=start_signal,
            start_signal_args=start_signal_args,
            request_id=request_id,
            priority=priority,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result()

    # ------------------------------------------------------------ update-with-start

    async def start_update_with_start_workflow(
        self,
        update: str | Callable[..., Any],
        arg: Any = _workflow._arg_unset,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        wait_for_stage: WorkflowUpdateStage,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[Any]:
        """Send an update to the workflow ``start_workflow_operation``
        describes, starting it first unless a run with its id is open (what
        an open run means is its ``id_conflict_policy``: USE_EXISTING updates
        it, FAIL refuses); one atomic operation on the server. Waits until the
        update is accepted (or, with ``wait_for_stage=COMPLETED``, done);
        :py:meth:`WithStartWorkflowOperation.workflow_handle` then gives the
        workflow's handle.

        A rejection or a failure already known is not raised here: the
        handle's :py:meth:`WorkflowUpdateHandle.result` raises it, as in
        temporalio.

        Raises:
            WorkflowUpdateRPCTimeoutOrCancelledError: the call ran out of
                ``rpc_timeout`` or was cancelled.
            temporal_sidecar.exceptions.WorkflowAlreadyStartedError: a run
                with the id is open and the conflict policy is FAIL.
        """
        op = start_workflow_operation
        if op._used:
            raise RuntimeError("WithStartWorkflowOperation cannot be reused")
        op._used = True
        if wait_for_stage not in (WorkflowUpdateStage.ACCEPTED, WorkflowUpdateStage.COMPLETED):
            raise ValueError("wait_for_stage must be ACCEPTED or COMPLETED")
        try:
            opts, name, rtype = await self._workflow_options(op._workflow, op._arg, **op._options)
            update_name, hint = _workflow._UpdateDefinition.must_from_fn_or_str(update)
            req = client_pb2.UpdateWithStartWorkflowRequest(
                options=opts,
                update_name=update_name,
                args=await self._dc.encode(_workflow._arg_or_args(arg, args)),
                # Set here, not by the sidecar, so that a repeated call runs the update once.
                update_id=id or str(uuid.uuid4()),
                wait_for_stage=int(wait_for_stage),  # type: ignore[arg-type]
            )
            try:
                resp = await _update_call(self._long_call(self._update_with_start, req, rpc_timeout=rpc_timeout))
            except RPCError as err:
                if err.status == RPCStatusCode.ALREADY_EXISTS:
                    raise _already_started(err, opts.workflow_id, name) from err
                raise
        except BaseException as err:
            op._set_handle_error(err)
            raise
        op._set_handle(
            WorkflowHandle(
                self,
                opts.workflow_id,
                result_run_id=resp.run_id,
                first_execution_run_id=resp.run_id if resp.started else None,
                result_type=rtype,
            )
        )
        handle: WorkflowUpdateHandle[Any] = WorkflowUpdateHandle(
            self,
            client_pb2.UpdateWorkflowRequest(
                execution=common_pb2.WorkflowExecution(workflow_id=opts.workflow_id, run_id=resp.run_id),
                update_name=req.update_name,
                args=req.args,
                update_id=req.update_id,
                wait_for_stage=req.wait_for_stage,
            ),
            opts.workflow_id,
            result_type=result_type if result_type is not None else hint,
        )
        await handle._take(resp.update)
        return handle

    async def execute_update_with_start_workflow(
        self,
        update: str | Callable[..., Any],
        arg: Any = _workflow._arg_unset,
        *,
        start_workflow_operation: WithStartWorkflowOperation[Any, Any],
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """:py:meth:`start_update_with_start_workflow`, waiting for the
        update to complete, and return its result.

        Raises:
            WorkflowUpdateFailedError: the validator rejected it or the handler failed.
            temporal_sidecar.exceptions.WorkflowAlreadyStartedError: a run
                with the id is open and the conflict policy is FAIL.
        """
        handle = await self.start_update_with_start_workflow(
            update,
            arg,
            start_workflow_operation=start_workflow_operation,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            args=args,
            id=id,
            result_type=result_type,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result(rpc_timeout=rpc_timeout)

    def get_workflow_handle(
        self,
        workflow_id: str,
        *,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: type | None = None,
    ) -> WorkflowHandle[Any, Any]:
        """A handle to an existing workflow (the latest run unless ``run_id`` is given)."""
        return WorkflowHandle(
            self,
            workflow_id,
            run_id=run_id,
            result_run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=result_type,
        )

    def get_workflow_handle_for(
        self,
        workflow: Callable[..., Awaitable[ReturnType]],
        workflow_id: str,
        *,
        run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: type | None = None,
    ) -> WorkflowHandle[Any, ReturnType]:
        """:py:meth:`get_workflow_handle`, typed by the workflow's run method."""
        _, hint = _workflow._Definition.name_and_result_type(workflow)
        return WorkflowHandle(
            self,
            workflow_id,
            run_id=run_id,
            result_run_id=run_id,
            first_execution_run_id=first_execution_run_id,
            result_type=result_type if result_type is not None else hint,
        )

    @overload
    def get_async_activity_handle(
        self, *, workflow_id: str, run_id: str | None = None, activity_id: str
    ) -> AsyncActivityHandle: ...

    @overload
    def get_async_activity_handle(self, *, task_token: bytes) -> AsyncActivityHandle: ...

    def get_async_activity_handle(
        self,
        *,
        workflow_id: str | None = None,
        run_id: str | None = None,
        activity_id: str | None = None,
        task_token: bytes | None = None,
    ) -> AsyncActivityHandle:
        """A handle to an activity that called
        :py:func:`temporal_sidecar.activity.raise_complete_async`, to
        heartbeat it and complete, fail or cancel it from anywhere.

        Name the activity either by ``task_token`` alone
        (``activity.info().task_token``), or by ``workflow_id`` and
        ``activity_id`` (``run_id`` too, or the workflow's latest run).

        Raises:
            ValueError: neither, both, or an incomplete id was given.
        """
        if task_token is not None:
            if workflow_id is not None or run_id is not None or activity_id is not None:
                raise ValueError(
                    "get_async_activity_handle: pass either task_token alone, or workflow_id and activity_id "
                    "(and optionally run_id), not both"
                )
            if not task_token:
                raise ValueError("get_async_activity_handle: task_token is empty")
            return AsyncActivityHandle(self, task_token)
        if workflow_id and activity_id:
            return AsyncActivityHandle(
                self, AsyncActivityIDReference(workflow_id=workflow_id, run_id=run_id, activity_id=activity_id)
            )
        if activity_id and not workflow_id:
            raise ValueError(
                "get_async_activity_handle: activity_id needs workflow_id (activities not started by a "
                "workflow are not supported through the sidecar), or pass task_token instead"
            )
        if workflow_id and not activity_id:
            raise ValueError("get_async_activity_handle: workflow_id needs activity_id, or pass task_token instead")
        raise ValueError(
            "get_async_activity_handle needs task_token=... (activity.info().task_token), or workflow_id=... "
            "and activity_id=... (run_id optional)"
        )


@dataclass(frozen=True)
class AsyncActivityIDReference:
    """An activity named by its workflow and activity id, as temporalio's."""

    workflow_id: str | None
    run_id: str | None
    """None: the workflow's latest run."""
    activity_id: str


class AsyncActivityHandle:
    """An activity completed from outside its function (see
    :py:meth:`Client.get_async_activity_handle`): heartbeat it, then
    complete, fail or cancel it once. Payloads go through the client's data
    converter; calls are repeated while the sidecar is unavailable, as the
    client's other short calls."""

    def __init__(self, client: Client, id_or_token: AsyncActivityIDReference | bytes) -> None:
        self._client = client
        self._id_or_token = id_or_token

    def _ref(self) -> client_pb2.ActivityRef:
        r = self._id_or_token
        if isinstance(r, AsyncActivityIDReference):
            return client_pb2.ActivityRef(
                id=client_pb2.ActivityId(workflow_id=r.workflow_id or "", run_id=r.run_id or "", activity_id=r.activity_id)
            )
        return client_pb2.ActivityRef(task_token=r)

    async def heartbeat(self, *details: Any, rpc_timeout: timedelta | None = None) -> None:
        """Record progress (not throttled: each call reaches the server).

        Raises:
            AsyncActivityCancelledError: the activity should stop (its
                cancellation was requested, or it was paused or reset);
                finish it with :py:meth:`report_cancellation`.
        """
        c = self._client
        resp = await c._call(
            c._heartbeat_activity,
            client_pb2.HeartbeatActivityRequest(activity=self._ref(), details=await c._dc.encode(list(details))),
            rpc_timeout=rpc_timeout,
        )
        if resp.cancel_requested or resp.activity_paused or resp.activity_reset:
            raise AsyncActivityCancelledError(
                ActivityCancellationDetails(
                    cancel_requested=resp.cancel_requested, paused=resp.activity_paused, reset=resp.activity_reset
                )
            )

    async def complete(self, result: Any = _workflow._arg_unset, *, rpc_timeout: timedelta | None = None) -> None:
        """Complete the activity with ``result`` (none if omitted)."""
        c = self._client
        done = activity_pb2.ActivityExecutionResult()
        done.completed.SetInParent()
        if result is not _workflow._arg_unset:
            [payload] = await c._dc.encode([result])
            done.completed.result.CopyFrom(payload)
        await self._complete(done, rpc_timeout)

    async def fail(
        self,
        error: Exception,
        *,
        last_heartbeat_details: Sequence[Any] = (),
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Fail the activity with ``error`` (an ``ApplicationError`` controls
        retries as in an activity function). A retry finds
        ``last_heartbeat_details`` in ``activity.info().heartbeat_details``."""
        c = self._client
        done = activity_pb2.ActivityExecutionResult()
        done.failed.failure.CopyFrom(await c._dc.encode_failure(error))
        done.failed.last_heartbeat_details.extend(await c._dc.encode(list(last_heartbeat_details)))
        await self._complete(done, rpc_timeout)

    async def report_cancellation(self, *details: Any, rpc_timeout: timedelta | None = None) -> None:
        """Finish the activity as cancelled (after its cancellation was
        requested), with ``details``."""
        c = self._client
        done = activity_pb2.ActivityExecutionResult()
        done.cancelled.failure.CopyFrom(await c._dc.encode_failure(CancelledError("Cancelled", *details)))
        await self._complete(done, rpc_timeout)

    async def _complete(self, result: activity_pb2.ActivityExecutionResult, rpc_timeout: timedelta | None) -> None:
        c = self._client
        await c._call(
            c._complete_activity,
            client_pb2.CompleteActivityRequest(activity=self._ref(), result=result),
            rpc_timeout=rpc_timeout,
        )


class WithStartWorkflowOperation(Generic[SelfType, ReturnType]):
    """The workflow to start, if none with its id is open, for
    :py:meth:`Client.start_update_with_start_workflow` and
    :py:meth:`Client.execute_update_with_start_workflow`; used once.
    Arguments are those of :py:meth:`Client.start_workflow`, except that
    ``id_conflict_policy`` is required, and there is no cron schedule or
    start delay (the server allows neither with an update).
    """

    @overload
    def __init__(
        self,
        workflow: Callable[..., Awaitable[ReturnType]],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        id_conflict_policy: WorkflowIDConflictPolicy,
        task_queue: str | None = None,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
        static_summary: str | None = None,
        request_id: str | None = None,
        priority: Priority | None = None,
    ) -> None: ...

    @overload
    def __init__(
        self,
        workflow: str | type,
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        id_conflict_policy: WorkflowIDConflictPolicy,
        task_queue: str | None = None,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
        static_summary: str | None = None,
        request_id: str | None = None,
        priority: Priority | None = None,
    ) -> None: ...

    def __init__(
        self,
        workflow: Any,
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str,
        id_conflict_policy: WorkflowIDConflictPolicy,
        task_queue: str | None = None,
        result_type: type | None = None,
        execution_timeout: timedelta | None = None,
        run_timeout: timedelta | None = None,
        task_timeout: timedelta | None = None,
        id_reuse_policy: WorkflowIDReusePolicy = WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        retry_policy: RetryPolicy | None = None,
        memo: Mapping[str, Any] | None = None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None = None,
        static_summary: str | None = None,
        request_id: str | None = None,
        priority: Priority | None = None,
    ) -> None:
        if id_conflict_policy == WorkflowIDConflictPolicy.UNSPECIFIED:
            raise ValueError("WorkflowIDConflictPolicy is required")
        self._workflow = workflow
        self._arg = arg
        self._options: dict[str, Any] = dict(
            args=args,
            id=id,
            task_queue=task_queue,
            result_type=result_type,
            execution_timeout=execution_timeout,
            run_timeout=run_timeout,
            task_timeout=task_timeout,
            id_reuse_policy=id_reuse_policy,
            id_conflict_policy=id_conflict_policy,
            retry_policy=retry_policy,
            cron_schedule="",
            memo=memo,
            search_attributes=search_attributes,
            static_summary=static_summary,
            start_delay=None,
            # Set here, not by the sidecar, so that a repeated call starts one run.
            request_id=request_id or str(uuid.uuid4()),
            priority=priority,
        )
        self._used = False
        self._handle: asyncio.Future[WorkflowHandle[SelfType, ReturnType]] | None = None

    def _future(self) -> asyncio.Future[WorkflowHandle[SelfType, ReturnType]]:
        # Made on first use, in the running loop, not at construction.
        if self._handle is None:
            self._handle = asyncio.get_running_loop().create_future()
        return self._handle

    def _set_handle(self, handle: WorkflowHandle[Any, Any]) -> None:
        if not self._future().done():
            self._future().set_result(handle)

    def _set_handle_error(self, err: BaseException) -> None:
        f = self._future()
        if f.done():
            return
        if isinstance(err, Exception):
            f.set_exception(err)
            # Retrieved only if the app asks for the handle; asyncio must not complain.
            f.add_done_callback(lambda f: f.exception())
        else:  # the call was cancelled (or the process is stopping)
            f.cancel()

    async def workflow_handle(self) -> WorkflowHandle[SelfType, ReturnType]:
        """Wait until the update-with-start call has the workflow running and
        return its handle; raises what that call raised if it failed."""
        return await self._future()


class WorkflowHandle(Generic[SelfType, ReturnType]):
    """A workflow, to wait on, signal, query, update, cancel, terminate or describe."""

    def __init__(
        self,
        client: Client,
        id: str,
        *,
        run_id: str | None = None,
        result_run_id: str | None = None,
        first_execution_run_id: str | None = None,
        result_type: Any = None,
    ) -> None:
        self._client = client
        self._id = id
        self._run_id = run_id
        self._result_run_id = result_run_id
        self._first_execution_run_id = first_execution_run_id
        self._result_type = result_type

    @property
    def id(self) -> str:
        """The workflow id."""
        return self._id

    @property
    def run_id(self) -> str | None:
        """The run this handle names (None: the latest run)."""
        return self._run_id

    @property
    def result_run_id(self) -> str | None:
        """The run :py:meth:`result` starts waiting from."""
        return self._result_run_id

    @property
    def first_execution_run_id(self) -> str | None:
        """The first run of the chain this handle was started with, if known."""
        return self._first_execution_run_id

    def _execution(self) -> common_pb2.WorkflowExecution:
        return common_pb2.WorkflowExecution(workflow_id=self._id, run_id=self._run_id or "")

    async def result(self, *, follow_runs: bool = True, rpc_timeout: timedelta | None = None) -> ReturnType:
        """Wait for the workflow to close and return its result.

        Args:
            follow_runs: Follow continue-as-new, retries and cron runs to the
                last one (as temporalio does). If False, a continued run raises
                :py:class:`WorkflowContinuedAsNewError`.
            rpc_timeout: Give up after this long; by default wait forever.

        Raises:
            WorkflowFailureError: the workflow failed, timed out, was
                cancelled or terminated; ``cause`` says how.
        """
        c = self._client
        resp = await c._long_call(
            c._result,
            client_pb2.GetWorkflowResultRequest(
                execution=common_pb2.WorkflowExecution(workflow_id=self._id, run_id=self._result_run_id or ""),
                no_follow_runs=not follow_runs,
            ),
            rpc_timeout=rpc_timeout,
        )
        status = resp.status
        if status == common_pb2.WORKFLOW_EXECUTION_STATUS_COMPLETED:
            payloads = list(resp.result.payloads)
            if not payloads:
                return None  # type: ignore[return-value]
            hints = [self._result_type] if self._result_type is not None else None
            [value] = await c._dc.decode(payloads[:1], hints)
            return value  # type: ignore[no-any-return]
        if status == common_pb2.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
            raise WorkflowContinuedAsNewError(resp.next_run_id)
        if resp.HasField("failure"):
            raise WorkflowFailureError(cause=await c._dc.decode_failure(resp.failure))
        raise WorkflowFailureError(
            cause=RuntimeError(f"the workflow closed with status {common_pb2.WorkflowExecutionStatus.Name(status)}")
        )

    async def signal(
        self,
        signal: str | Callable[..., Any],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        rpc_timeout: timedelta | None = None,
    ) -> None:
        """Send a signal, by name or ``@workflow.signal`` method."""
        await self._client._outbound.signal_workflow(
            SignalWorkflowInput(
                id=self._id, run_id=self._run_id, signal=_workflow._SignalDefinition.must_name_from_fn_or_str(signal),
                args=_workflow._arg_or_args(arg, args), headers={}, rpc_metadata={}, rpc_timeout=rpc_timeout,
            )
        )  # fmt: skip

    async def _signal(self, input: SignalWorkflowInput) -> None:
        c = self._client
        req = client_pb2.SignalWorkflowRequest(
            execution=self._execution(),
            signal_name=input.signal,
            args=await c._dc.encode(list(input.args)),
            request_id=str(uuid.uuid4()),
        )
        for k, p in input.headers.items():
            req.headers[k].CopyFrom(p)
        await c._call(c._signal, req, rpc_timeout=input.rpc_timeout)

    @overload
    async def query(
        self,
        query: Callable[..., LocalReturnType],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        result_type: type | None = None,
        reject_condition: QueryRejectCondition | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> LocalReturnType: ...

    @overload
    async def query(
        self,
        query: str,
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        result_type: type | None = None,
        reject_condition: QueryRejectCondition | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> Any: ...

    async def query(
        self,
        query: str | Callable[..., Any],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        result_type: type | None = None,
        reject_condition: QueryRejectCondition | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Run a query, by name or ``@workflow.query`` method, and return its answer.

        Raises:
            WorkflowQueryFailedError: the workflow could not answer it.
            WorkflowQueryRejectedError: ``reject_condition`` refused it.
        """
        name, hint = _workflow._QueryDefinition.must_from_fn_or_str(query)
        return await self._client._outbound.query_workflow(
            QueryWorkflowInput(
                id=self._id, run_id=self._run_id, query=name, args=_workflow._arg_or_args(arg, args),
                reject_condition=reject_condition, headers={}, ret_type=result_type if result_type is not None else hint,
                rpc_metadata={}, rpc_timeout=rpc_timeout,
            )
        )  # fmt: skip

    async def _query(self, input: QueryWorkflowInput) -> Any:
        c = self._client
        req = client_pb2.QueryWorkflowRequest(
            execution=self._execution(),
            query_type=input.query,
            args=await c._dc.encode(list(input.args)),
            reject_condition=int(input.reject_condition or 0),  # type: ignore[arg-type]
        )
        for k, p in input.headers.items():
            req.headers[k].CopyFrom(p)
        try:
            resp = await c._call(c._query, req, rpc_timeout=input.rpc_timeout)
        except RPCError as err:
            if err.status == RPCStatusCode.FAILED_PRECONDITION:
                raise WorkflowQueryFailedError(err.message) from err
            raise
        if resp.rejected_status:
            raise WorkflowQueryRejectedError(_status(resp.rejected_status))
        payloads = list(resp.result.payloads)
        if not payloads:
            return None
        rtype = input.ret_type
        [value] = await c._dc.decode(payloads[:1], None if rtype is None else [rtype])
        return value

    @overload
    async def execute_update(
        self,
        update: Callable[..., Awaitable[LocalReturnType]],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> LocalReturnType: ...

    @overload
    async def execute_update(
        self,
        update: Callable[..., LocalReturnType],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> LocalReturnType: ...

    @overload
    async def execute_update(
        self,
        update: str,
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> Any: ...

    async def execute_update(
        self,
        update: str | Callable[..., Any],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str | None = None,
        result_type: type | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> Any:
        """Send an update, by name or ``@workflow.update`` method, and wait for its result.

        Raises:
            WorkflowUpdateFailedError: the validator rejected it or the handler failed.
        """
        handle = await self.start_update(
            update,
            arg,
            args=args,
            id=id,
            wait_for_stage=WorkflowUpdateStage.COMPLETED,
            result_type=result_type,
            rpc_timeout=rpc_timeout,
        )
        return await handle.result(rpc_timeout=rpc_timeout)

    async def start_update(
        self,
        update: str | Callable[..., Any],
        arg: Any = _workflow._arg_unset,
        *,
        args: Sequence[Any] = (),
        id: str | None = None,
        wait_for_stage: WorkflowUpdateStage = WorkflowUpdateStage.ACCEPTED,
        result_type: type | None = None,
        rpc_timeout: timedelta | None = None,
    ) -> WorkflowUpdateHandle[Any]:
        """Send an update and wait until it is accepted (or, with
        ``wait_for_stage=COMPLETED``, done); its handle gives the result.
        A rejection by the validator, or an outcome the server already has
        (an update id it has seen), is not raised here: the handle's
        :py:meth:`WorkflowUpdateHandle.result` raises or returns it, as in
        temporalio.

        Raises:
            WorkflowUpdateRPCTimeoutOrCancelledError: the call ran out of
                ``rpc_timeout`` or was cancelled.
        """
        name, hint = _workflow._UpdateDefinition.must_from_fn_or_str(update)
        return await self._client._outbound.start_workflow_update(
            StartWorkflowUpdateInput(
                id=self._id, run_id=self._run_id, first_execution_run_id=self._first_execution_run_id, update_id=id,
                update=name, args=_workflow._arg_or_args(arg, args), wait_for_stage=wait_for_stage, headers={},
                ret_type=result_type if result_type is not None else hint, rpc_metadata={}, rpc_timeout=rpc_timeout,
            )
        )  # fmt: skip

    async def _start_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        c = self._client
        req = client_pb2.UpdateWorkflowRequest(
            execution=self._execution(),
            update_name=input.update,
            args=await c._dc.encode(list(input.args)),
            update_id=input.update_id or str(uuid.uuid4()),
            wait_for_stage=int(input.wait_for_stage),  # type: ignore[arg-type]
        )
        for k, p in input.headers.items():
            req.headers[k].CopyFrom(p)
        handle: WorkflowUpdateHandle[Any] = WorkflowUpdateHandle(c, req, self._id, result_type=input.ret_type)
        await handle._send(input.rpc_timeout)
        return handle

    async def cancel(self, *, reason: str = "", rpc_timeout: timedelta | None = None) -> None:
        """Request cancellation; the workflow decides what it means."""
        await self._client._outbound.cancel_workflow(
            CancelWorkflowInput(
                id=self._id, run_id=self._run_id, first_execution_run_id=self._first_execution_run_id, reason=reason,
                rpc_metadata={}, rpc_timeout=rpc_timeout,
            )
        )  # fmt: skip

    async def _cancel(self, input: CancelWorkflowInput) -> None:
        c = self._client
        await c._call(
            c._cancel,
            client_pb2.CancelWorkflowRequest(execution=self._execution(), reason=input.reason, request_id=str(uuid.uuid4())),
            rpc_timeout=input.rpc_timeout,
        )

    async def terminate(self, *args: Any, reason: str | None = None, rpc_timeout: timedelta | None = None) -> None:
        """Terminate the workflow at once; ``args`` are recorded as details."""
        await self._client._outbound.terminate_workflow(
            TerminateWorkflowInput(
                id=self._id, run_id=self._run_id, first_execution_run_id=self._first_execution_run_id, args=args,
                reason=reason, rpc_metadata={}, rpc_timeout=rpc_timeout,
            )
        )  # fmt: skip

    async def _terminate(self, input: TerminateWorkflowInput) -> None:
        c = self._client
        await c._call(
            c._terminate,
            client_pb2.TerminateWorkflowRequest(
                execution=self._execution(), reason=input.reason or "", details=await c._dc.encode(list(input.args))
            ),
            rpc_timeout=input.rpc_timeout,
        )

    async def describe(self, *, rpc_timeout: timedelta | None = None) -> WorkflowExecutionDescription:
        """The workflow's status and metadata."""
        return await self._client._outbound.describe_workflow(
            DescribeWorkflowInput(id=self._id, run_id=self._run_id, rpc_metadata={}, rpc_timeout=rpc_timeout)
        )

    async def _describe(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        c = self._client
        d = await c._call(
            c._describe, client_pb2.DescribeWorkflowRequest(execution=self._execution()), rpc_timeout=input.rpc_timeout
        )
        sa: dict[str, Any] = {}
        for k, p in d.search_attributes.items():
            try:
                sa[k] = c._dc.payload_converter.from_payload(p)
            except Exception:  # noqa: BLE001 - keep what cannot be decoded raw
                sa[k] = p
        parent = d.parent_execution if d.HasField("parent_execution") and d.parent_execution.workflow_id else None
        return WorkflowExecutionDescription(
            id=d.execution.workflow_id,
            run_id=d.execution.run_id,
            workflow_type=d.workflow_type,
            task_queue=d.task_queue,
            status=_status(d.status),
            start_time=_timestamp(d, "start_time"),
            close_time=_timestamp(d, "close_time"),
            history_length=d.history_length,
            raw_memo=dict(d.memo),
            search_attributes=sa,
            typed_search_attributes=decode_typed_search_attributes(d.search_attributes),
            pending_activities=d.pending_activities,
            pending_children=d.pending_children,
            first_run_id=d.first_run_id or None,
            parent_id=parent.workflow_id if parent else None,
            parent_run_id=(parent.run_id or None) if parent else None,
            data_converter=c._dc,
        )


    async def fetch_history(self, *, rpc_timeout: timedelta | None = None) -> WorkflowHistory:
        """The run's whole history (every event, following pages), for
        example to replay it with :py:class:`temporal_sidecar.worker.Replayer`
        or save it with :py:meth:`WorkflowHistory.to_json` as a test fixture.

        Args:
            rpc_timeout: Limit on each page's call.
        """
        c = self._client
        events: list[dict[str, Any]] = []
        token = b""
        while True:
            resp = await c._call(
                c._fetch_history,
                client_pb2.FetchWorkflowHistoryRequest(
                    execution=self._execution(),
                    next_page_token=token,
                    encoding=history_pb2.HISTORY_ENCODING_JSON,
                ),
                rpc_timeout=rpc_timeout,
            )
            events.extend(json.loads(resp.history.json or "{}").get("events", []))
            token = resp.next_page_token
            if not token:
                return WorkflowHistory(self._id, events)


@dataclass(frozen=True)
class WorkflowHistory:
    """A workflow run's history, as :py:class:`temporalio.client.WorkflowHistory`.

    The events are kept in Temporal's JSON form (``temporal.api.history.v1``
    in protobuf JSON), so a history moves between this package, Temporal's
    SDKs, the ``temporal`` CLI and the web UI as text.
    """

    workflow_id: str
    """The workflow id: a history does not record its own."""

    events: Sequence[Mapping[str, Any]]
    """The events, as JSON objects."""

    @property
    def run_id(self) -> str:
        """The run id the history records (the first event's ``originalExecutionRunId``)."""
        if not self.events:
            raise ValueError("the history has no events")
        attrs = self.events[0].get("workflowExecutionStartedEventAttributes") or self.events[0].get(
            "workflow_execution_started_event_attributes"
        )
        if not isinstance(attrs, Mapping):
            raise ValueError("the history does not start with a WorkflowExecutionStarted event")
        run_id = attrs.get("originalExecutionRunId") or attrs.get("original_execution_run_id")
        if not isinstance(run_id, str):
            raise ValueError("the history's WorkflowExecutionStarted event has no originalExecutionRunId")
        return run_id

    @staticmethod
    def from_json(workflow_id: str, history: str | Mapping[str, Any]) -> WorkflowHistory:
        """A history from Temporal's JSON export: ``temporal workflow show
        --output json``, the web UI's download, or temporalio's
        ``WorkflowHistory.to_json()``.

        Raises:
            ValueError: it is not JSON, or not an object with an ``events`` list.
        """
        parsed: Any = json.loads(history) if isinstance(history, str) else history
        events = parsed.get("events") if isinstance(parsed, Mapping) else None
        if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
            raise ValueError('a history export is a JSON object {"events": [...]} of event objects')
        return WorkflowHistory(workflow_id, list(events))

    def to_json_dict(self) -> dict[str, Any]:
        """The history as Temporal's JSON export, as a dict."""
        return {"events": [dict(e) for e in self.events]}

    def to_json(self) -> str:
        """The history as Temporal's JSON export, which :py:meth:`from_json`
        (and temporalio's) reads back."""
        return json.dumps(self.to_json_dict())


class WorkflowUpdateHandle(Generic[LocalReturnType]):
    """An update that was accepted; :py:meth:`result` waits for its outcome."""

    def __init__(
        self, client: Client, request: client_pb2.UpdateWorkflowRequest, workflow_id: str, *, result_type: Any
    ) -> None:
        self._client = client
        self._req = request
        self._workflow_id = workflow_id
        self._result_type = result_type
        self._run_id: str | None = None
        self._outcome: client_pb2.UpdateWorkflowResponse | None = None

    @property
    def id(self) -> str:
        """The update id."""
        return self._req.update_id

    @property
    def name(self) -> str:
        """The update name."""
        return self._req.update_name

    @property
    def workflow_id(self) -> str:
        """The workflow id."""
        return self._workflow_id

    @property
    def workflow_run_id(self) -> str | None:
        """The run that took the update."""
        return self._run_id

    async def _send(self, rpc_timeout: timedelta | None) -> None:
        c = self._client
        await self._take(await _update_call(c._long_call(c._update, self._req, rpc_timeout=rpc_timeout)))

    async def _take(self, resp: client_pb2.UpdateWorkflowResponse) -> None:
        """Keep the run and the outcome, if the reply has one: a rejection or
        a failure is raised by :py:meth:`result`, as temporalio's handle does."""
        self._run_id = resp.run_id or None
        if resp.HasField("failure") or resp.HasField("success"):
            self._outcome = resp

    async def result(self, *, rpc_timeout: timedelta | None = None) -> LocalReturnType:
        """Wait for the update's handler to finish and return its result.

        Raises:
            WorkflowUpdateFailedError: the validator rejected it or the handler failed.
            WorkflowUpdateRPCTimeoutOrCancelledError: the call ran out of
                ``rpc_timeout`` or was cancelled.
        """
        c = self._client
        if self._outcome is None:
            # The same update id: the server runs the update once and answers
            # with its outcome.
            req = client_pb2.UpdateWorkflowRequest()
            req.CopyFrom(self._req)
            req.wait_for_stage = client_pb2.UPDATE_WAIT_STAGE_COMPLETED
            self._outcome = await _update_call(c._long_call(c._update, req, rpc_timeout=rpc_timeout))
        if self._outcome.HasField("failure"):
            raise WorkflowUpdateFailedError(await c._dc.decode_failure(self._outcome.failure))
        payloads = list(self._outcome.success.payloads)
        if not payloads:
            return None  # type: ignore[return-value]
        hints = [self._result_type] if self._result_type is not None else None
        [value] = await c._dc.decode(payloads[:1], hints)
        return value  # type: ignore[no-any-return]



# ---------------------------------------------------------------- interceptors
#
# Shaped like temporalio.client's: Client(interceptors=[...]) chains each
# Interceptor's intercept_client, the first outermost; every call the
# client makes goes through OutboundInterceptor with an input dataclass of
# temporalio's name and fields (headers set here reach the workflow).


@dataclass
class StartWorkflowInput:
    """Input for :py:meth:`OutboundInterceptor.start_workflow` (also signal-with-start)."""

    workflow: str
    args: Sequence[Any]
    id: str
    task_queue: str
    execution_timeout: timedelta | None
    run_timeout: timedelta | None
    task_timeout: timedelta | None
    id_reuse_policy: WorkflowIDReusePolicy
    id_conflict_policy: WorkflowIDConflictPolicy
    retry_policy: RetryPolicy | None
    cron_schedule: str
    memo: Mapping[str, Any] | None
    search_attributes: SearchAttributes | TypedSearchAttributes | None
    start_delay: timedelta | None
    headers: Mapping[str, common_pb2.Payload]
    start_signal: str | None
    start_signal_args: Sequence[Any]
    static_summary: str | None
    static_details: str | None
    ret_type: Any
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None
    request_eager_start: bool
    priority: Priority
    request_id: str | None = None


@dataclass
class CancelWorkflowInput:
    """Input for :py:meth:`OutboundInterceptor.cancel_workflow`."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    reason: str
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class DescribeWorkflowInput:
    """Input for :py:meth:`OutboundInterceptor.describe_workflow`."""

    id: str
    run_id: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class QueryWorkflowInput:
    """Input for :py:meth:`OutboundInterceptor.query_workflow`."""

    id: str
    run_id: str | None
    query: str
    args: Sequence[Any]
    reject_condition: QueryRejectCondition | None
    headers: Mapping[str, common_pb2.Payload]
    ret_type: Any
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class SignalWorkflowInput:
    """Input for :py:meth:`OutboundInterceptor.signal_workflow`."""

    id: str
    run_id: str | None
    signal: str
    args: Sequence[Any]
    headers: Mapping[str, common_pb2.Payload]
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class TerminateWorkflowInput:
    """Input for :py:meth:`OutboundInterceptor.terminate_workflow`."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    args: Sequence[Any]
    reason: str | None
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


@dataclass
class StartWorkflowUpdateInput:
    """Input for :py:meth:`OutboundInterceptor.start_workflow_update`."""

    id: str
    run_id: str | None
    first_execution_run_id: str | None
    update_id: str | None
    update: str
    args: Sequence[Any]
    wait_for_stage: WorkflowUpdateStage
    headers: Mapping[str, common_pb2.Payload]
    ret_type: Any
    rpc_metadata: Mapping[str, str | bytes]
    rpc_timeout: timedelta | None


class Interceptor:
    """A client interceptor: subclass it and pass instances in
    ``Client(interceptors=[...])`` or ``Client.connect(..., interceptors=[...])``."""

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's calls; ``next`` is the interceptor to delegate to."""
        return next


class OutboundInterceptor:
    """Every client call, with its input; each method delegates to ``next`` by default."""

    def __init__(self, next: OutboundInterceptor) -> None:  # noqa: D107
        self.next = next

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        """Called for every :py:meth:`Client.start_workflow` call (and signal-with-start)."""
        return await self.next.start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        """Called for every :py:meth:`WorkflowHandle.cancel` call."""
        await self.next.cancel_workflow(input)

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        """Called for every :py:meth:`WorkflowHandle.describe` call."""
        return await self.next.describe_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        """Called for every :py:meth:`WorkflowHandle.query` call."""
        return await self.next.query_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        """Called for every :py:meth:`WorkflowHandle.signal` call."""
        await self.next.signal_workflow(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        """Called for every :py:meth:`WorkflowHandle.terminate` call."""
        await self.next.terminate_workflow(input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        """Called for every :py:meth:`WorkflowHandle.start_update` (and execute_update) call."""
        return await self.next.start_workflow_update(input)


class _ClientOutbound(OutboundInterceptor):
    """The innermost interceptor: the calls themselves."""

    def __init__(self, client: Client) -> None:  # noqa: D107 - no next: the innermost
        self._client = client

    def _handle(self, id: str, run_id: str | None, first: str | None = None) -> WorkflowHandle[Any, Any]:
        return WorkflowHandle(self._client, id, run_id=run_id, first_execution_run_id=first)

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        return await self._client._start_workflow(input)

    async def cancel_workflow(self, input: CancelWorkflowInput) -> None:
        await self._handle(input.id, input.run_id)._cancel(input)

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        return await self._handle(input.id, input.run_id)._describe(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        return await self._handle(input.id, input.run_id)._query(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        await self._handle(input.id, input.run_id)._signal(input)

    async def terminate_workflow(self, input: TerminateWorkflowInput) -> None:
        await self._handle(input.id, input.run_id)._terminate(input)

    async def start_workflow_update(self, input: StartWorkflowUpdateInput) -> WorkflowUpdateHandle[Any]:
        return await self._handle(input.id, input.run_id, input.first_execution_run_id)._start_update(input)

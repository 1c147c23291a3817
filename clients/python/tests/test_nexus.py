"""Nexus end to end: a caller workflow on one task queue (its own sidecar)
calls the operations of a service handled on another task queue (another
sidecar), through a Nexus endpoint created with the operator API. Both sides
run in this package's Worker; a workflow of the official temporalio SDK calls
the same handler too. The callers' sidecar keeps no cache, so every caller
activation is a replay."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import nexusrpc
import nexusrpc.handler
import pytest
import temporalio.client
import temporalio.exceptions
import temporalio.worker
import temporalio.workflow
from temporalio.api.nexus.v1 import EndpointSpec, EndpointTarget
from temporalio.api.operatorservice.v1 import CreateNexusEndpointRequest
from temporalio.client import WorkflowExecutionStatus

from conftest import NAMESPACE, SidecarFactory
from temporal_sidecar import nexus, workflow
from temporal_sidecar.client import Client
from temporal_sidecar.connection import Connection
from temporal_sidecar.exceptions import (
    ApplicationError,
    NexusOperationError,
    is_cancelled_exception,
)
from temporal_sidecar.worker import Worker

TIMEOUT = 30.0

# ---------------------------------------------------------------- the service


@dataclass
class GreetInput:
    name: str


@nexusrpc.service
class Greeting:
    greet: nexusrpc.Operation[GreetInput, str]
    fail: nexusrpc.Operation[str, str]
    reject: nexusrpc.Operation[str, str]
    wrong_result: nexusrpc.Operation[str, str]
    slow: nexusrpc.Operation[str, str]
    run_workflow: nexusrpc.Operation[str, str]
    wrong_handle: nexusrpc.Operation[str, str]


# What the slow operation saw when its request's deadline cancelled it.
SLOW_CANCELLED: list[str] = []


@workflow.defn
class Backing:
    """Backs run_workflow: answers at once, or waits to be cancelled."""

    @workflow.run
    async def run(self, input: str) -> str:
        if input == "wait":
            await workflow.wait_condition(lambda: False)
        return f"backed {input} on {workflow.info().task_queue}"


@nexusrpc.handler.service_handler(service=Greeting)
class GreetingHandler:
    @nexusrpc.handler.sync_operation
    async def greet(self, ctx: nexusrpc.handler.StartOperationContext, input: GreetInput) -> str:
        return f"Hello, {input.name} (from {nexus.info().task_queue})"

    @nexusrpc.handler.sync_operation
    async def fail(self, ctx: nexusrpc.handler.StartOperationContext, input: str) -> str:
        raise nexusrpc.OperationError(f"no greeting for {input}", state=nexusrpc.OperationErrorState.FAILED)

    @nexusrpc.handler.sync_operation
    async def reject(self, ctx: nexusrpc.handler.StartOperationContext, input: str) -> str:
        raise nexusrpc.HandlerError(
            f"{input} is not a name", type=nexusrpc.HandlerErrorType.BAD_REQUEST, retryable_override=False
        )

    @nexusrpc.handler.sync_operation
    async def wrong_result(self, ctx: nexusrpc.handler.StartOperationContext, input: str) -> str:
        return object()  # type: ignore[return-value]  # the mistake under test

    @nexusrpc.handler.sync_operation
    async def slow(self, ctx: nexusrpc.handler.StartOperationContext, input: str) -> str:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            SLOW_CANCELLED.append(ctx.task_cancellation.cancellation_reason() or "")
            raise
        return "never"

    @nexus.workflow_run_operation
    async def run_workflow(self, ctx: nexus.WorkflowRunOperationContext, input: str) -> nexus.WorkflowHandle[str]:
        return await ctx.start_workflow(Backing.run, input, id=f"backing-{uuid.uuid4().hex[:12]}")

    @nexus.workflow_run_operation
    async def wrong_handle(self, ctx: nexus.WorkflowRunOperationContext, input: str) -> nexus.WorkflowHandle[str]:
        # The mistake under test: a client handle (or anything else) is not
        # the handle of the workflow backing the operation.
        await nexus.client().start_workflow(Backing.run, input, id=f"unlinked-{uuid.uuid4().hex[:12]}")
        return input  # type: ignore[return-value]


# ---------------------------------------------------------------- the caller


def describe(err: BaseException) -> str:
    """What a caller learns from a failed operation, as one string."""
    assert isinstance(err, NexusOperationError), err
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return f"{err.operation}: ApplicationError {cause.type} non_retryable={cause.non_retryable}: {cause.message}"
    if isinstance(cause, nexusrpc.HandlerError):
        return f"{err.operation}: HandlerError {cause.type.name} retryable={cause.retryable}: {cause.message}"
    return f"{err.operation}: {type(cause).__name__}: {cause}"


@workflow.defn
class Caller:
    @workflow.run
    async def run(self, endpoint: str, case: str) -> str:
        client = workflow.create_nexus_client(service=Greeting, endpoint=endpoint)
        timeout = timedelta(seconds=30)
        if case == "greet":
            return await client.execute_operation(Greeting.greet, GreetInput("Ada"), schedule_to_close_timeout=timeout)
        if case == "greet by name":
            # By name with an untyped client: the result comes back as decoded JSON.
            untyped = workflow.create_nexus_client(service="Greeting", endpoint=endpoint)
            return str(await untyped.execute_operation("greet", {"name": "Bea"}, schedule_to_close_timeout=timeout))
        if case == "unknown operation":
            try:
                await client.start_operation("shout", "x")
            except ValueError as err:
                return str(err)
            return "no error"
        if case == "workflow":
            handle = await client.start_operation(GreetingHandler.run_workflow, "hi", schedule_to_close_timeout=timeout)
            token = handle.operation_token
            return f"token={bool(token)} {await handle}"
        if case == "cancel":
            handle = await client.start_operation(
                Greeting.run_workflow,
                "wait",
                cancellation_type=workflow.NexusOperationCancellationType.WAIT_COMPLETED,
                schedule_to_close_timeout=timeout,
            )
            handle.cancel()
            try:
                await handle
            except NexusOperationError as err:
                assert is_cancelled_exception(err)
                return f"{describe(err)} token={handle.operation_token}"
            return "not cancelled"
        if case == "slow":
            try:
                await client.execute_operation(Greeting.slow, "x", schedule_to_close_timeout=timedelta(seconds=2))
            except NexusOperationError as err:
                return f"{err.operation}: {type(err.cause).__name__}"
            return "no timeout"
        try:
            await client.execute_operation(case, "Bob", schedule_to_close_timeout=timeout)
        except NexusOperationError as err:
            return describe(err)
        return "no error"


@temporalio.workflow.defn(sandboxed=False)
class NativeCaller:
    """The official SDK's caller of the sidecar-hosted service."""

    @temporalio.workflow.run
    async def run(self, endpoint: str) -> list[str]:
        client = temporalio.workflow.create_nexus_client(service=Greeting, endpoint=endpoint)
        out = [
            await client.execute_operation(Greeting.greet, GreetInput("Nat")),
            await client.execute_operation(Greeting.run_workflow, "natively"),
        ]
        try:
            await client.execute_operation(Greeting.fail, "Nat")
        except temporalio.exceptions.NexusOperationError as err:
            assert isinstance(err.cause, temporalio.exceptions.ApplicationError)
            out.append(f"{type(err.cause).__name__}: {err.cause.message}")
        return out


# ---------------------------------------------------------------- the environment


@dataclass
class NexusEnv:
    temporal: temporalio.client.Client
    caller: Client
    caller_queue: str
    handler_queue: str
    endpoint: str

    async def call(self, case: str) -> str:
        result: str = await asyncio.wait_for(
            self.caller.execute_workflow(
                Caller.run,
                args=[self.endpoint, case],
                id=f"caller-{uuid.uuid4().hex[:12]}",
                execution_timeout=timedelta(seconds=TIMEOUT),
            ),
            TIMEOUT,
        )
        return result


async def create_endpoint(temporal: temporalio.client.Client, task_queue: str) -> str:
    name = f"ep-{uuid.uuid4().hex[:12]}"
    await temporal.operator_service.create_nexus_endpoint(
        CreateNexusEndpointRequest(
            spec=EndpointSpec(
                name=name,
                target=EndpointTarget(worker=EndpointTarget.Worker(namespace=NAMESPACE, task_queue=task_queue)),
            )
        )
    )
    return name


@pytest.fixture
async def nexus_env(client: temporalio.client.Client, sidecar_factory: SidecarFactory) -> AsyncIterator[NexusEnv]:
    suffix = uuid.uuid4().hex[:8]
    callers, handlers = f"nexus-caller-{suffix}", f"nexus-handler-{suffix}"
    # The callers' sidecar caches no run: every activation of a caller
    # replays its history, so each test also checks that Nexus calls replay.
    caller_sc, handler_sc = sidecar_factory(callers, "--max-cached-workflows", "0"), sidecar_factory(handlers)
    endpoint = await create_endpoint(client, handlers)
    caller_conn = await Connection.connect(caller_sc.target)
    handler_conn = await Connection.connect(handler_sc.target)
    try:
        async with Worker(
            handler_conn, task_queue=handlers, workflows=[Backing], nexus_service_handlers=[GreetingHandler()]
        ), Worker(caller_conn, task_queue=callers, workflows=[Caller]):
            yield NexusEnv(
                temporal=client, caller=Client(caller_conn), caller_queue=callers, handler_queue=handlers, endpoint=endpoint
            )
    finally:
        await caller_conn.close()
        await handler_conn.close()
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            loop.run_in_executor(None, caller_sc.stop), loop.run_in_executor(None, handler_sc.stop)
        )


# ---------------------------------------------------------------- tests


async def test_sync_operations_results_and_errors(nexus_env: NexusEnv) -> None:
    env = nexus_env
    cases = ["greet", "greet by name", "fail", "reject", "unknown operation", "wrong_result", "wrong_handle"]
    got = dict(zip(cases, await asyncio.gather(*(env.call(c) for c in cases))))

    assert got["greet"] == f"Hello, Ada (from {env.handler_queue})"
    assert got["greet by name"] == f"Hello, Bea (from {env.handler_queue})"
    # An OperationError fails the operation: the caller sees its message.
    assert got["fail"] == "fail: ApplicationError OperationError non_retryable=True: no greeting for Bob"
    # A non-retryable handler error fails it at once, with its type.
    # (The server words the message.)
    assert got["reject"] == "reject: HandlerError BAD_REQUEST retryable=False: handler error (BAD_REQUEST): Bob is not a name"
    # Mistakes get messages that say what to do.
    assert got["unknown operation"] == (
        "Nexus service 'Greeting' has no operation 'shout'; its operations: "
        "fail, greet, reject, run_workflow, slow, wrong_handle, wrong_result"
    )
    assert got["wrong_result"].startswith("wrong_result: HandlerError INTERNAL retryable=False: ")
    assert "the result of Nexus operation Greeting.wrong_result (object) could not be converted" in got["wrong_result"]
    assert got["wrong_handle"].startswith("wrong_handle: HandlerError INTERNAL retryable=False: ")
    assert "returned str, not the temporal_sidecar.nexus.WorkflowHandle that ctx.start_workflow(...) returns" in (
        got["wrong_handle"]
    )


async def test_workflow_run_operation_completes_and_cancels(nexus_env: NexusEnv) -> None:
    env = nexus_env
    done, cancelled = await asyncio.gather(env.call("workflow"), env.call("cancel"))
    assert done == f"token=True backed hi on {env.handler_queue}"

    # WAIT_COMPLETED: the caller learns of the cancellation once the backing
    # workflow closed as cancelled.
    assert cancelled.startswith("run_workflow: CancelledError: ")
    # The operation token is Temporal's workflow-run token: it names the
    # backing workflow, which was cancelled.
    token = cancelled.split("token=")[1]
    backing_id = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))["wid"]
    desc = await env.temporal.get_workflow_handle(backing_id).describe()
    assert (desc.workflow_type, desc.status) == ("Backing", WorkflowExecutionStatus.CANCELED)


async def test_request_deadline_cancels_the_handler(nexus_env: NexusEnv) -> None:
    SLOW_CANCELLED.clear()
    assert await nexus_env.call("slow") == "slow: TimeoutError"
    assert SLOW_CANCELLED and all(SLOW_CANCELLED), SLOW_CANCELLED


async def test_native_temporalio_caller_calls_the_sidecar_handler(nexus_env: NexusEnv) -> None:
    env = nexus_env
    queue = f"native-caller-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(env.temporal, task_queue=queue, workflows=[NativeCaller]):
        out = await env.temporal.execute_workflow(
            NativeCaller.run,
            env.endpoint,
            id=f"native-{uuid.uuid4().hex[:12]}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=TIMEOUT),
        )
    assert out == [
        f"Hello, Nat (from {env.handler_queue})",
        f"backed natively on {env.handler_queue}",
        "ApplicationError: no greeting for Nat",
    ]


# ---------------------------------------------------------------- mistakes caught before anything runs


def test_worker_refuses_mistaken_service_handlers() -> None:
    conn: Any = _FakeConnection()
    with pytest.raises(TypeError, match="instances, not classes"):
        Worker(conn, task_queue="q", nexus_service_handlers=[GreetingHandler])

    @nexusrpc.handler.service_handler(name="Blocking")
    class Blocking:
        @nexusrpc.handler.sync_operation
        def block(self, ctx: nexusrpc.handler.StartOperationContext, input: str) -> str:
            return input

    with pytest.raises(ValueError, match="needs a nexus_task_executor"):
        Worker(conn, task_queue="q", nexus_service_handlers=[Blocking()])
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        Worker(conn, task_queue="q", nexus_service_handlers=[Blocking()], nexus_task_executor=ex)

    with pytest.raises(TypeError, match="needs an async def method"):

        class NotAsync:
            @nexus.workflow_run_operation  # type: ignore[type-var]
            def start(self, ctx: nexus.WorkflowRunOperationContext, input: str) -> nexus.WorkflowHandle[str]:
                raise AssertionError

    with pytest.raises(TypeError, match="pass a service name, or a class decorated with"):
        workflow.create_nexus_client(service=GreetInput, endpoint="ep")
    with pytest.raises(ValueError, match="needs the Nexus endpoint's name"):
        workflow.create_nexus_client(service=Greeting, endpoint="")


class _FakeConnection:
    """Enough of a Connection for the Worker constructor's checks."""

    identity = "test"
    target = "unix:///nowhere"
    metadata: list[tuple[str, str]] = []

    def __init__(self) -> None:
        from temporal_sidecar.converter import DataConverter

        self.data_converter = DataConverter.default

        class _Channel:
            def stream_stream(self, *args: Any, **kwargs: Any) -> None:
                return None

        self.channel = _Channel()




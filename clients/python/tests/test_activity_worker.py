"""The activity worker end to end: a real Temporal dev server, a real sidecar,
and the official temporalio SDK as the independent driver. Its workflows
(sidecar_workflows.py, run by a temporalio worker that has no activities)
call activities by name; the Worker under test serves them through the
sidecar."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
import temporalio.client
import temporalio.exceptions
from temporalio.api.common.v1 import WorkflowExecution as ProtoExecution

from conftest import Env, SidecarFactory
from sidecar_workflows import Call, CallActivity, Person
from temporal_sidecar import activity
from temporal_sidecar import worker as worker_module
from temporal_sidecar.client import AsyncActivityCancelledError, AsyncActivityHandle, Client
from temporal_sidecar.common import RawValue
from temporal_sidecar.connection import Connection
from temporal_sidecar.exceptions import (
    ApplicationError,
    CancelledError,
    RegistrationError,
    SidecarConnectionError,
)
from temporal_sidecar.worker import (
    ActivityInboundInterceptor,
    ActivityOutboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
    Worker,
)

TIMEOUT = 30.0


async def eventually(cond: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    """Wait for a condition, checking it often, failing after timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_thread_event(ev: threading.Event, timeout: float = TIMEOUT) -> None:
    if not await asyncio.get_running_loop().run_in_executor(None, ev.wait, timeout):
        raise AssertionError("timed out waiting for the activity to start")


def wf_id() -> str:
    return f"wf-{uuid.uuid4().hex[:12]}"


async def start(
    env: Env, call: Call, workflow_id: str | None = None, result_type: type | None = None
) -> temporalio.client.WorkflowHandle[Any, Any]:
    return await env.client.start_workflow(
        "CallActivity", call, id=workflow_id or wf_id(), task_queue=env.task_queue, result_type=result_type
    )


async def execute(env: Env, call: Call, *, result_type: type | None = None, workflow_id: str | None = None) -> Any:
    handle = await start(env, call, workflow_id, result_type)
    return await asyncio.wait_for(handle.result(), TIMEOUT)


async def activity_failure(env: Env, call: Call) -> tuple[temporalio.exceptions.ActivityError, Any]:
    """Runs a call that must fail; returns the ActivityError and its cause as temporalio decoded them."""
    with pytest.raises(temporalio.client.WorkflowFailureError) as ei:
        await execute(env, call)
    act = ei.value.cause
    assert isinstance(act, temporalio.exceptions.ActivityError), act
    return act, act.cause


# ---------------------------------------------------------------- values


class _Counting(Interceptor):
    def __init__(self) -> None:
        self.executed: list[str] = []
        self.heartbeats: list[tuple[Any, ...]] = []

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        outer = self

        class Inbound(ActivityInboundInterceptor):
            def init(self, outbound: ActivityOutboundInterceptor) -> None:
                class Outbound(ActivityOutboundInterceptor):
                    def heartbeat(self, *details: Any) -> None:
                        outer.heartbeats.append(details)
                        super().heartbeat(*details)

                super().init(Outbound(outbound))

            async def execute_activity(self, input: ExecuteActivityInput) -> Any:
                outer.executed.append(activity.info().activity_type)
                return await super().execute_activity(input)

        return Inbound(next)


async def test_async_activity_dataclass_argument_and_info(env: Env) -> None:
    seen: list[activity.Info] = []

    @activity.defn(name="greet")
    async def greet_person(person: Person, greeting: str) -> str:
        assert isinstance(person, Person), type(person)
        seen.append(activity.info())
        activity.heartbeat("greeting")
        return f"{greeting}, {person.name} ({person.age}, {','.join(person.tags)})"

    counting = _Counting()
    async with Worker(
        env.connection, task_queue=env.task_queue, activities=[greet_person], interceptors=[counting]
    ) as w:
        assert w.is_running and w.is_connected and not w.is_shutdown
        wid = wf_id()
        result = await execute(
            env, Call("greet", args=[{"name": "Ada", "age": 36, "tags": ["math"]}, "Hello"]), workflow_id=wid
        )
    assert result == "Hello, Ada (36, math)"
    assert w.is_shutdown and not w.is_running
    assert counting.executed == ["greet"]
    assert counting.heartbeats == [("greeting",)]

    [info] = seen
    assert info.activity_type == "greet"
    assert info.attempt == 1
    assert info.workflow_id == wid
    assert info.workflow_type == "CallActivity"
    assert info.workflow_run_id
    assert info.namespace == "default"
    assert info.task_queue == env.task_queue
    assert info.task_token
    assert info.is_local is False
    assert info.heartbeat_details == []
    assert info.heartbeat_timeout is None
    assert info.start_to_close_timeout == timedelta(seconds=30)
    assert isinstance(info.scheduled_time, datetime) and isinstance(info.started_time, datetime)
    assert info.retry_policy is not None and info.retry_policy.maximum_attempts == 1


async def test_sync_activity_returns_dataclass(env: Env) -> None:
    threads: list[str] = []

    @activity.defn
    def oldest(people: list[Person]) -> Person:
        assert all(isinstance(p, Person) for p in people)
        threads.append(threading.current_thread().name)
        return max(people, key=lambda p: p.age)

    with ThreadPoolExecutor(2, thread_name_prefix="acts") as ex:
        async with Worker(
            env.connection,
            task_queue=env.task_queue,
            activities=[oldest],
            activity_executor=ex,
            max_concurrent_activities=2,
        ):
            people = [{"name": "Ada", "age": 36}, {"name": "Grace", "age": 85, "tags": ["navy"]}]
            result = await execute(env, Call("oldest", args=[people], result_type="Person"), result_type=Person)
    assert result == Person(name="Grace", age=85, tags=["navy"])
    assert len(threads) == 1 and threads[0].startswith("acts")


async def test_bytes_none_and_protobuf_values(env: Env) -> None:
    @activity.defn
    def make_bytes(n: int) -> bytes:
        return bytes(range(n))

    @activity.defn
    async def nothing() -> None:
        return None

    @activity.defn
    async def rename(prefix: str, execution: ProtoExecution) -> ProtoExecution:
        assert isinstance(execution, ProtoExecution), type(execution)
        return ProtoExecution(workflow_id=prefix + execution.workflow_id, run_id=execution.run_id)

    with ThreadPoolExecutor(2) as ex:
        async with Worker(
            env.connection,
            task_queue=env.task_queue,
            activities=[make_bytes, nothing, rename],
            activity_executor=ex,
            max_concurrent_activities=2,
        ):
            wid = wf_id()
            got_bytes, got_none, got_proto = await asyncio.gather(
                execute(env, Call("make_bytes", args=[5], result_type="bytes")),
                execute(env, Call("nothing")),
                execute(env, Call("rename", args=["re-"], proto_arg=True, result_type="ProtoExecution"), workflow_id=wid),
            )
    assert got_bytes == b"\x00\x01\x02\x03\x04"
    assert got_none is None
    assert isinstance(got_proto, ProtoExecution)
    assert got_proto.workflow_id == "re-" + wid and got_proto.run_id


async def test_dynamic_activity(env: Env) -> None:
    @activity.defn(dynamic=True)
    async def anything(args: Sequence[RawValue]) -> str:
        pc = activity.payload_converter()
        values = [pc.from_payload(a.payload) for a in args]
        return f"{activity.info().activity_type}: {values}"

    async with Worker(env.connection, task_queue=env.task_queue, activities=[anything]):
        assert await execute(env, Call("not_registered_anywhere", args=[1, "two"])) == "not_registered_anywhere: [1, 'two']"


# ---------------------------------------------------------------- failures


async def test_application_error_non_retryable_reaches_workflow(env: Env) -> None:
    attempts: list[int] = []

    @activity.defn
    async def charge(order_id: str) -> str:
        attempts.append(activity.info().attempt)
        raise ApplicationError("card declined", {"order": order_id, "code": 51}, type="CardDeclined", non_retryable=True)

    async with Worker(env.connection, task_queue=env.task_queue, activities=[charge]):
        act, app = await activity_failure(env, Call("charge", args=["o-1"], maximum_attempts=5))
    assert attempts == [1]
    assert act.retry_state == temporalio.exceptions.RetryState.NON_RETRYABLE_FAILURE
    assert isinstance(app, temporalio.exceptions.ApplicationError)
    assert app.type == "CardDeclined"
    assert app.non_retryable is True
    assert app.message == "card declined"
    assert list(app.details) == [{"order": "o-1", "code": 51}]


async def test_plain_exception_is_mapped_and_retried(env: Env) -> None:
    attempts: list[int] = []

    @activity.defn
    def parse_input(text: str) -> int:
        attempts.append(activity.info().attempt)
        try:
            return int(text)
        except ValueError as err:
            raise LookupError(f"no number in {text!r}") from err

    with ThreadPoolExecutor(2) as ex:
        async with Worker(
            env.connection,
            task_queue=env.task_queue,
            activities=[parse_input],
            activity_executor=ex,
            max_concurrent_activities=2,
        ):
            act, app = await activity_failure(env, Call("parse_input", args=["abc"], maximum_attempts=2))
    assert attempts == [1, 2]
    assert act.retry_state == temporalio.exceptions.RetryState.MAXIMUM_ATTEMPTS_REACHED
    assert isinstance(app, temporalio.exceptions.ApplicationError)
    assert app.type == "LookupError"
    assert app.message == "no number in 'abc'"
    assert app.non_retryable is False
    assert app.failure is not None and "parse_input" in app.failure.stack_trace
    cause = app.cause
    assert isinstance(cause, temporalio.exceptions.ApplicationError) and cause.type == "ValueError"


async def test_heartbeat_details_reach_the_next_attempt(env: Env) -> None:
    recorded = asyncio.Event()

    @activity.defn
    async def resumable() -> list[Any]:
        info = activity.info()
        if info.attempt == 1:
            activity.heartbeat("checkpoint", 7)
            # Fail only once the server holds the heartbeat: the sidecar sends
            # a first heartbeat and the failure that follows it concurrently,
            # so a quick failure can overtake it and the details are lost.
            await recorded.wait()
            raise RuntimeError("crashed after the checkpoint")
        return [info.attempt, *info.heartbeat_details]

    async with Worker(env.connection, task_queue=env.task_queue, activities=[resumable]):
        handle = await start(env, Call("resumable", maximum_attempts=3, heartbeat_timeout_seconds=10))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while True:
            pending = (await handle.describe()).raw_description.pending_activities
            if pending and pending[0].heartbeat_details.payloads:
                break
            assert loop.time() < deadline, "the heartbeat never reached the server"
            await asyncio.sleep(0.02)
        recorded.set()
        result = await asyncio.wait_for(handle.result(), TIMEOUT)
    assert result == [2, "checkpoint", 7]


# ---------------------------------------------------------------- cancellation and async completion


async def test_cancel_async_activity(env: Env) -> None:
    started = asyncio.Event()
    seen: dict[str, Any] = {}

    @activity.defn
    async def heartbeats_forever() -> str:
        started.set()
        try:
            while True:
                activity.heartbeat("alive")
                await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            seen["details"] = activity.cancellation_details()
            seen["is_cancelled"] = activity.is_cancelled()
            raise

    async with Worker(env.connection, task_queue=env.task_queue, activities=[heartbeats_forever]):
        handle = await start(env, Call("heartbeats_forever", heartbeat_timeout_seconds=1, cancel_on_signal=True))
        await asyncio.wait_for(started.wait(), TIMEOUT)
        await handle.signal(CallActivity.cancel_activity)
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == "cancelled"
    assert seen["is_cancelled"] is True
    assert seen["details"] is not None and seen["details"].cancel_requested


@pytest.mark.parametrize("thread_exception", [False, True], ids=["is_cancelled", "thread_exception"])
async def test_cancel_sync_activity(env: Env, thread_exception: bool) -> None:
    started = threading.Event()
    seen: dict[str, Any] = {}

    @activity.defn(name="sync_heartbeats", no_thread_cancel_exception=True)
    def polls_is_cancelled() -> str:
        started.set()
        while not activity.is_cancelled():
            activity.heartbeat("alive")
            activity.wait_for_cancelled_sync(0.05)
        seen["details"] = activity.cancellation_details()
        raise CancelledError("stopped on request")

    @activity.defn(name="sync_heartbeats")
    def gets_cancel_exception() -> str:
        started.set()
        try:
            while True:
                activity.heartbeat("alive")
                time.sleep(0.05)
        except CancelledError:
            seen["details"] = activity.cancellation_details()
            raise

    fn = gets_cancel_exception if thread_exception else polls_is_cancelled
    with ThreadPoolExecutor(2) as ex:
        async with Worker(
            env.connection,
            task_queue=env.task_queue,
            activities=[fn],
            activity_executor=ex,
            max_concurrent_activities=2,
        ):
            handle = await start(env, Call("sync_heartbeats", heartbeat_timeout_seconds=1, cancel_on_signal=True))
            await wait_thread_event(started)
            await handle.signal(CallActivity.cancel_activity)
            assert await asyncio.wait_for(handle.result(), TIMEOUT) == "cancelled"
    assert seen["details"] is not None and seen["details"].cancel_requested


async def test_complete_async(env: Env) -> None:
    tokens: asyncio.Queue[bytes] = asyncio.Queue()

    @activity.defn
    async def completes_later(order_id: str) -> str:
        tokens.put_nowait(activity.info().task_token)
        activity.raise_complete_async()

    async with Worker(env.connection, task_queue=env.task_queue, activities=[completes_later]):
        handle = await start(env, Call("completes_later", args=["o-2"]))
        token = await asyncio.wait_for(tokens.get(), TIMEOUT)
        await env.client.get_async_activity_handle(task_token=token).complete("finished elsewhere")
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == "finished elsewhere"


# ---------------------------------------------------------------- this package's async activity handles


class _CompletesLater:
    """An activity "completes_later" that hands its info to the test and
    leaves the activity open, to be finished by an AsyncActivityHandle."""

    def __init__(self) -> None:
        self.infos: asyncio.Queue[activity.Info] = asyncio.Queue()

        @activity.defn(name="completes_later")
        async def completes_later(*args: Any) -> Any:
            self.infos.put_nowait(activity.info())
            activity.raise_complete_async()

        self.fn = completes_later

    async def next_info(self) -> activity.Info:
        return await asyncio.wait_for(self.infos.get(), TIMEOUT)


async def test_async_handle_completes_by_task_token(env: Env) -> None:
    client, act = Client(env.connection), _CompletesLater()
    async with Worker(env.connection, task_queue=env.task_queue, activities=[act.fn]):
        handle = await start(env, Call("completes_later", result_type="Person"))
        info = await act.next_info()
        h = client.get_async_activity_handle(task_token=info.task_token)
        await h.heartbeat("working on it")  # not cancelled: no error
        await h.complete(Person("Ada", 36, ["math"]))
        # temporalio decodes what this client's converter encoded.
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == {"name": "Ada", "age": 36, "tags": ["math"]}


async def test_async_handle_completes_by_workflow_and_activity_id(env: Env) -> None:
    client, act = Client(env.connection), _CompletesLater()
    async with Worker(env.connection, task_queue=env.task_queue, activities=[act.fn]):
        handle = await start(env, Call("completes_later"))
        info = await act.next_info()
        assert info.workflow_id is not None
        h = client.get_async_activity_handle(
            workflow_id=info.workflow_id, run_id=info.workflow_run_id, activity_id=info.activity_id
        )
        await h.complete("done by id")
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == "done by id"


async def test_async_handle_fail_with_heartbeat_details_then_non_retryable(env: Env) -> None:
    client, act = Client(env.connection), _CompletesLater()
    async with Worker(env.connection, task_queue=env.task_queue, activities=[act.fn]):
        handle = await start(env, Call("completes_later", maximum_attempts=2))
        first = await act.next_info()
        assert first.workflow_id is not None
        # By id, retryable, with details the next attempt resumes from.
        await client.get_async_activity_handle(workflow_id=first.workflow_id, activity_id=first.activity_id).fail(
            ApplicationError("declined once", type="Declined"), last_heartbeat_details=["step-3"]
        )
        second = await act.next_info()
        assert second.attempt == 2
        assert list(second.heartbeat_details) == ["step-3"]
        await client.get_async_activity_handle(task_token=second.task_token).fail(
            ApplicationError("declined for good", {"code": 7}, type="Declined", non_retryable=True)
        )
        with pytest.raises(temporalio.client.WorkflowFailureError) as ei:
            await asyncio.wait_for(handle.result(), TIMEOUT)
    act_err = ei.value.cause
    assert isinstance(act_err, temporalio.exceptions.ActivityError), act_err
    cause = act_err.cause
    assert isinstance(cause, temporalio.exceptions.ApplicationError), cause
    assert (cause.message, cause.type, cause.non_retryable) == ("declined for good", "Declined", True)
    assert list(cause.details) == [{"code": 7}]


async def _heartbeat_until_cancelled(h: AsyncActivityHandle) -> AsyncActivityCancelledError:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while loop.time() < deadline:
        try:
            await h.heartbeat("waiting")
        except AsyncActivityCancelledError as err:
            return err
        await asyncio.sleep(0.02)
    raise AssertionError("heartbeat never reported the cancellation")


async def test_async_handle_heartbeat_sees_cancel_then_report_cancellation(env: Env) -> None:
    client, act = Client(env.connection), _CompletesLater()
    async with Worker(env.connection, task_queue=env.task_queue, activities=[act.fn]):
        # The workflow cancels with WAIT_CANCELLATION_COMPLETED: it returns
        # "cancelled" only once the activity reported its cancellation.
        handle = await start(env, Call("completes_later", cancel_on_signal=True))
        info = await act.next_info()
        h = client.get_async_activity_handle(task_token=info.task_token)
        await h.heartbeat("before")
        await handle.signal(CallActivity.cancel_activity)
        err = await _heartbeat_until_cancelled(h)
        assert err.details is not None and err.details.cancel_requested and not err.details.paused
        assert str(err) == "Activity cancelled"
        await h.report_cancellation("cleaned up")
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == "cancelled"


async def test_get_async_activity_handle_needs_a_token_or_ids(env: Env) -> None:
    client = Client(env.connection)
    with pytest.raises(ValueError) as ei:
        client.get_async_activity_handle()  # type: ignore[call-overload]
    assert str(ei.value) == (
        "get_async_activity_handle needs task_token=... (activity.info().task_token), or workflow_id=... "
        "and activity_id=... (run_id optional)"
    )
    with pytest.raises(ValueError, match="not both"):
        client.get_async_activity_handle(task_token=b"t", workflow_id="w")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="workflow_id needs activity_id"):
        client.get_async_activity_handle(workflow_id="w")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="activity_id needs workflow_id"):
        client.get_async_activity_handle(activity_id="a")  # type: ignore[call-overload]


async def test_activity_client(env: Env) -> None:
    @activity.defn
    async def describes_its_workflow() -> str:
        info = activity.info()
        assert info.workflow_id is not None
        desc = await activity.client().get_workflow_handle(info.workflow_id).describe()
        return f"{desc.workflow_type} {desc.status.name if desc.status else None}"

    @activity.defn(name="describes_its_workflow")
    async def without_client() -> str:
        with pytest.raises(RuntimeError) as ei:
            activity.client()
        return str(ei.value)

    async with Worker(Client(env.connection), task_queue=env.task_queue, activities=[describes_its_workflow]):
        assert await execute(env, Call("describes_its_workflow")) == "CallActivity RUNNING"
    async with Worker(env.connection, task_queue=env.task_queue, activities=[without_client]):
        message = await execute(env, Call("describes_its_workflow"))
    assert message.startswith("No client available.") and "Worker built with a Client" in message


# ---------------------------------------------------------------- shutdown and reconnect


async def test_graceful_shutdown_lets_running_activity_finish(env: Env) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    seen: dict[str, Any] = {}

    @activity.defn
    async def slow() -> str:
        started.set()
        await activity.wait_for_worker_shutdown()
        seen["worker_shutdown"] = activity.is_worker_shutdown()
        await release.wait()
        return "finished during shutdown"

    w = Worker(
        env.connection, task_queue=env.task_queue, activities=[slow], graceful_shutdown_timeout=timedelta(seconds=30)
    )
    run = asyncio.create_task(w.run())
    handle = await start(env, Call("slow"))
    await asyncio.wait_for(started.wait(), TIMEOUT)
    shutdown = asyncio.create_task(w.shutdown())
    await eventually(lambda: "worker_shutdown" in seen, "the activity to see the shutdown")
    assert w.is_running and not shutdown.done()
    release.set()
    await asyncio.wait_for(shutdown, TIMEOUT)
    await run
    assert w.is_shutdown and not w.is_running
    assert await asyncio.wait_for(handle.result(), TIMEOUT) == "finished during shutdown"


async def test_shutdown_timeout_cancels_and_the_retry_runs_elsewhere(env: Env) -> None:
    started = asyncio.Event()
    seen: dict[str, Any] = {}

    @activity.defn(name="stubborn")
    async def stubborn_first() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen["details"] = activity.cancellation_details()
            raise
        return "unreachable"

    @activity.defn(name="stubborn")
    async def stubborn_second() -> str:
        return f"attempt {activity.info().attempt} on the second worker"

    first = Worker(
        env.connection,
        task_queue=env.task_queue,
        activities=[stubborn_first],
        graceful_shutdown_timeout=timedelta(milliseconds=200),
    )
    async with first:
        handle = await start(env, Call("stubborn", maximum_attempts=0))
        await asyncio.wait_for(started.wait(), TIMEOUT)
    assert first.is_shutdown
    assert seen["details"] is not None and seen["details"].worker_shutdown
    async with Worker(env.connection, task_queue=env.task_queue, activities=[stubborn_second]):
        result = await asyncio.wait_for(handle.result(), TIMEOUT)
    assert result.endswith("on the second worker"), result


async def test_reconnect_after_sidecar_crash(env: Env) -> None:
    @activity.defn
    async def ping(n: int) -> str:
        return f"pong {n}"

    async with Worker(env.connection, task_queue=env.task_queue, activities=[ping]) as w:
        assert await execute(env, Call("ping", args=[1])) == "pong 1"
        env.sidecar.kill()
        await eventually(lambda: not w.is_connected, "the worker to notice the crash")
        assert w.is_running
        env.sidecar.start()
        await eventually(lambda: w.is_connected, "the worker to re-register")
        assert await execute(env, Call("ping", args=[2])) == "pong 2"


async def test_reconnect_after_sidecar_graceful_restart(env: Env) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    @activity.defn
    async def long_running() -> str:
        started.set()
        await release.wait()
        return "finished while the sidecar drained"

    @activity.defn
    async def ping(n: int) -> str:
        return f"pong {n}"

    async with Worker(env.connection, task_queue=env.task_queue, activities=[long_running, ping]) as w:
        handle = await start(env, Call("long_running"))
        await asyncio.wait_for(started.wait(), TIMEOUT)
        terminated = asyncio.get_running_loop().run_in_executor(None, env.sidecar.terminate)
        await eventually(lambda: "shutting down" in env.sidecar.log.read_text(), "the sidecar to begin its drain")
        assert not terminated.done()  # it waits for our running activity
        release.set()
        assert await asyncio.wait_for(terminated, TIMEOUT) == 0
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == "finished while the sidecar drained"
        assert w.is_running
        env.sidecar.start()
        await eventually(lambda: w.is_connected, "the worker to re-register")
        assert await execute(env, Call("ping", args=[3])) == "pong 3"


# ---------------------------------------------------------------- errors a user can hit


async def test_worker_configuration_errors(env: Env) -> None:
    tq = env.task_queue

    @activity.defn(name="same")
    async def one() -> None: ...

    @activity.defn(name="same")
    async def other() -> None: ...

    async def not_decorated() -> None: ...

    @activity.defn
    def blocking() -> None: ...

    with pytest.raises(ValueError, match="the worker has no workflows or activities"):
        Worker(env.connection, task_queue=tq, activities=[])
    with pytest.raises(ValueError, match="more than one activity named 'same'"):
        Worker(env.connection, task_queue=tq, activities=[one, other])
    with pytest.raises(TypeError, match="'not_decorated' is not an activity definition: decorate it with @activity.defn"):
        Worker(env.connection, task_queue=tq, activities=[not_decorated])
    with pytest.raises(ValueError, match="not async, so the worker needs an activity_executor"):
        Worker(env.connection, task_queue=tq, activities=[blocking])
    with pytest.raises(ValueError, match="task_queue is required"):
        Worker(env.connection, task_queue="", activities=[one])
    with pytest.raises(ValueError, match="already an activity definition"):
        activity.defn(one)


async def test_sidecar_refuses_registration(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    @activity.defn
    async def ping() -> str:
        return "pong"

    w = Worker(env.connection, task_queue="another-queue", activities=[ping])
    with pytest.raises(RegistrationError, match="is not served here: this sidecar serves only --task-queue"):
        async with w:
            pass
    assert w.is_shutdown

    monkeypatch.setattr(worker_module, "PROTOCOL_VERSION", 2)
    with pytest.raises(RegistrationError, match="bridge protocol version 2 is not supported"):
        async with Worker(env.connection, task_queue=env.task_queue, activities=[ping]):
            pass


async def test_connection_errors(task_queue: str, sidecar_factory: SidecarFactory) -> None:
    with pytest.raises(SidecarConnectionError, match="no sidecar answered at unix:///tmp/no-such-sidecar.sock"):
        await Connection.connect("unix:///tmp/no-such-sidecar.sock", connect_timeout=timedelta(milliseconds=300))

    sc = sidecar_factory(task_queue, "--bridge-token", "s3cret")
    with pytest.raises(SidecarConnectionError, match="requires a token"):
        await Connection.connect(sc.target)
    with pytest.raises(SidecarConnectionError, match="token is wrong"):
        await Connection.connect(sc.target, token="guess")

    @activity.defn
    async def ping() -> str:
        return "pong"

    async with await Connection.connect(sc.target, token="s3cret") as conn:
        async with Worker(conn, task_queue=task_queue, activities=[ping]) as w:
            assert w.is_connected

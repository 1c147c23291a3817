"""Histories move between Temporal's own Python SDK and the sidecar, both ways.

The workflows (cross_sdk_workflows.py) are written once and run under
temporalio (from PyPI, a native worker talking to the dev server) and under
this package through a real sidecar:

* a history recorded by temporalio's Worker replays in the sidecar with this
  package's Replayer, and code changed since fails with nondeterminism;
* a history recorded through the sidecar replays in temporalio's Replayer;
* a run blocked on a signal moves from one kind of worker to the other
  mid-run and completes there (the new worker rebuilds it from the other's
  history).

Every workflow is one entry of CASES: adding one is a class in
cross_sdk_workflows.py and an entry here.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import json
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, NewType, Optional, TypedDict, TypeVar, Union

import pytest
import temporalio.api.common.v1
import temporalio.api.failure.v1
import temporalio.common
import temporalio.converter
import temporalio.api.enums.v1
import temporalio.client
import temporalio.worker
import temporalio.workflow
from google.protobuf.json_format import MessageToDict
from temporalio.api.history.v1 import HistoryEvent

import cross_sdk
from conftest import SidecarFactory
from temporal_sidecar import converter, workflow
from temporal_sidecar import client as sidecar_client_module
from temporal_sidecar import service as sidecar_service
from temporal_sidecar.client import Client, WorkflowHistory
from temporal_sidecar.connection import Connection
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2
from temporal_sidecar.worker import Replayer, Worker

# The shared workflows upsert search attributes as a dict, the one form the
# sidecar's Python client has; temporalio deprecates it in favour of typed keys.
pytestmark = pytest.mark.filterwarnings("ignore:Dictionary-based search attributes are deprecated:DeprecationWarning")

EventType = temporalio.api.enums.v1.EventType
TIMEOUT = 30.0
NATIVE = cross_sdk.load("temporalio")
SIDECAR = cross_sdk.load("temporal_sidecar")
NATIVE_IDENTITY = "temporalio-worker"
SIDECAR_IDENTITY = "sidecar-worker"
Handle = temporalio.client.WorkflowHandle[Any, Any]


async def within(aw: Awaitable[Any], timeout: float = TIMEOUT) -> Any:
    """Await with a deadline, so a stuck workflow fails the test instead of hanging it."""
    return await asyncio.wait_for(aw, timeout)


# ---------------------------------------------------------------- the cases


async def _no_driving(h: Handle) -> None:
    pass


async def _signal(h: Handle) -> None:
    await h.signal("add", "x")
    await h.signal("add", "y")
    await h.signal("finish")


async def _update(h: Handle) -> None:
    assert await h.execute_update("add", 2) == 2
    with pytest.raises(temporalio.client.WorkflowUpdateFailedError) as rejected:
        await h.execute_update("add", -1)
    assert "must not be negative" in str(rejected.value.cause)
    assert await h.execute_update("add", 3) == 5
    await h.signal("finish")


@dataclass(frozen=True)
class Case:
    """A workflow run: what starts it, what drives it meanwhile, what it returns."""

    name: str
    workflow: str
    args: Callable[[str], Sequence[Any]] = lambda workflow_id: ()
    drive: Callable[[Handle], Awaitable[None]] = _no_driving
    expected: Callable[[str], Any] = lambda workflow_id: None
    tags: list[str] = field(default_factory=list)


CASES = [
    Case("timers and activities", "TimersAndActivities", lambda _: ["Ada"],
         expected=lambda _: "Hello, Ada!|Hello, b!|Hello, c!"),
    Case("signals", "Signals", drive=_signal,
         expected=lambda _: ["Hello, before!", "x", "y", "Hello, after!"]),
    Case("child workflows: result, default id, cancellation", "Children", lambda wid: [wid],
         expected=lambda _: ["ONE", "TWO", "child ended: CancelledError"]),
    Case("updates with a validator, accepted and rejected", "Updates", drive=_update, expected=lambda _: 5),
    Case("patched and deprecate_patch", "Patches", expected=lambda _: ["Hello, patched!"]),
    Case("upserted search attributes and memo", "SearchAttributesAndMemo", expected=lambda _: "upserted"),
    Case("local activities: at once, retried locally, retried after a timer", "LocalActivities",
         expected=lambda _: ["Hello, once!", "Hello, retried!", "Hello, after a timer!"]),
]  # fmt: skip


async def run_cases(client: temporalio.client.Client, task_queue: str) -> dict[str, str]:
    """Runs every case at once on the queue (served by whichever worker the
    test runs) and checks its result; returns the workflow id of each case."""

    async def one(case: Case) -> tuple[str, str]:
        wid = f"{case.workflow}-{uuid.uuid4().hex[:8]}"
        h = await client.start_workflow(
            case.workflow, args=list(case.args(wid)), id=wid, task_queue=task_queue,
            execution_timeout=timedelta(minutes=2),
        )  # fmt: skip
        await within(case.drive(h))
        assert await within(h.result()) == case.expected(wid), case.name
        return case.name, wid

    return dict(await asyncio.gather(*(one(c) for c in CASES)))


def replay_failures(failures: dict[str, Exception], runs: dict[str, str], histories: Sequence[Any]) -> dict[str, str]:
    """Replay failures by case name, for an assertion message that says which."""
    case_of_run = {h.run_id: name for name, h in zip(runs, histories)}
    return {case_of_run.get(run_id, run_id): str(err) for run_id, err in failures.items()}


# ---------------------------------------------------------------- the workers


@contextlib.asynccontextmanager
async def temporalio_worker(client: temporalio.client.Client, task_queue: str) -> AsyncIterator[None]:
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=NATIVE.workflows,
        activities=NATIVE.activities,
        workflow_runner=temporalio.worker.UnsandboxedWorkflowRunner(),
        identity=NATIVE_IDENTITY,
    ):
        yield


@contextlib.asynccontextmanager
async def sidecar_worker(sidecar_factory: SidecarFactory, task_queue: str) -> AsyncIterator[Client]:
    """A sidecar for the queue and this package's Worker behind it; yields
    a Client through the sidecar. Both stop at the end."""
    sc = sidecar_factory(task_queue, "--identity", SIDECAR_IDENTITY)
    conn = await Connection.connect(sc.target)
    try:
        async with Worker(conn, task_queue=task_queue, workflows=SIDECAR.workflows, activities=SIDECAR.activities):
            yield Client(conn)
    finally:
        await conn.close()
        # In the event loop's time: grpc.aio needs it to close the channel.
        await asyncio.get_running_loop().run_in_executor(None, sc.stop)


# ---------------------------------------------------------------- replay


async def test_histories_recorded_by_temporalio_replay_in_the_sidecar(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    async with temporalio_worker(client, task_queue):
        runs = await run_cases(client, task_queue)
    histories = [
        WorkflowHistory.from_json(wid, (await client.get_workflow_handle(wid).fetch_history()).to_json())
        for wid in runs.values()
    ]
    # A replay needs a sidecar, not a task queue of its own.
    sc = sidecar_factory(f"{task_queue}-replayer")

    results = await within(Replayer(sc.target, workflows=SIDECAR.workflows).replay_workflows(
        histories, raise_on_replay_failure=False))  # fmt: skip
    assert replay_failures(dict(results.replay_failures), runs, histories) == {}

    changed = Replayer(sc.target, workflows=cross_sdk.load("temporal_sidecar", changed=True).workflows)
    timers = histories[list(runs).index("timers and activities")]
    with pytest.raises(workflow.NondeterminismError) as nondeterminism:
        await within(changed.replay_workflow(timers))
    assert "the workflow issued ScheduleActivityTask (seq 1), but history has TimerStarted" in str(nondeterminism.value)


async def test_histories_recorded_by_the_sidecar_replay_in_temporalio(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    async with sidecar_worker(sidecar_factory, task_queue) as sidecar_client:
        runs = await run_cases(client, task_queue)
        # Fetched through the sidecar's client API, handed over as JSON.
        histories = [
            temporalio.client.WorkflowHistory.from_json(
                wid, (await sidecar_client.get_workflow_handle(wid).fetch_history()).to_json()
            )
            for wid in runs.values()
        ]

    async def each() -> AsyncIterator[temporalio.client.WorkflowHistory]:
        for h in histories:
            yield h

    replayer = temporalio.worker.Replayer(
        workflows=NATIVE.workflows, workflow_runner=temporalio.worker.UnsandboxedWorkflowRunner()
    )
    results = await within(replayer.replay_workflows(each(), raise_on_replay_failure=False))
    assert replay_failures(dict(results.replay_failures), runs, histories) == {}

    changed = temporalio.worker.Replayer(
        workflows=cross_sdk.load("temporalio", changed=True).workflows,
        workflow_runner=temporalio.worker.UnsandboxedWorkflowRunner(),
    )
    timers = histories[list(runs).index("timers and activities")]
    with pytest.raises(temporalio.workflow.NondeterminismError):
        await within(changed.replay_workflow(timers))


# ---------------------------------------------------------------- live hand-off


async def history(client: temporalio.client.Client, workflow_id: str) -> list[HistoryEvent]:
    return list((await client.get_workflow_handle(workflow_id).fetch_history()).events)


async def wait_until_blocked(client: temporalio.client.Client, workflow_id: str, signals: int) -> None:
    """Until the run has done its first activity, seen ``signals`` signals
    and completed the workflow task that followed: it waits for more."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while True:
        events = await history(client, workflow_id)
        kinds = [e.event_type for e in events]
        if (
            EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in kinds
            and kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) == signals
            and kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
        ):
            return
        if loop.time() > deadline:
            raise AssertionError(f"workflow {workflow_id} did not block on its signal within {TIMEOUT}s: {kinds}")
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("first", ["temporalio", "sidecar"], ids=["temporalio to sidecar", "sidecar to temporalio"])
async def test_a_run_blocked_on_a_signal_moves_to_the_other_worker_and_completes(
    first: str, client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    def serve(kind: str) -> contextlib.AbstractAsyncContextManager[Any]:
        if kind == "temporalio":
            return temporalio_worker(client, task_queue)
        return sidecar_worker(sidecar_factory, task_queue)

    second = "sidecar" if first == "temporalio" else "temporalio"
    wid = f"handoff-{uuid.uuid4().hex[:8]}"
    h = await client.start_workflow("Signals", id=wid, task_queue=task_queue, execution_timeout=timedelta(minutes=2))
    async with serve(first):
        await wait_until_blocked(client, wid, signals=0)
        await h.signal("add", "x")
        await wait_until_blocked(client, wid, signals=1)
    # Nobody serves the queue now; the run waits in history alone.
    async with serve(second):
        await h.signal("add", "y")
        await h.signal("finish")
        assert await within(h.result()) == ["Hello, before!", "x", "y", "Hello, after!"]

    # The tasks after the hand-off were the second worker's: it rebuilt the
    # run from the first one's history.
    identities = [
        e.workflow_task_completed_event_attributes.identity
        for e in await history(client, wid)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    ]
    want_first, want_second = (
        (NATIVE_IDENTITY, SIDECAR_IDENTITY) if first == "temporalio" else (SIDECAR_IDENTITY, NATIVE_IDENTITY)
    )
    assert identities[:2] == [want_first] * 2 and identities[-1] == want_second, identities


# ---------------------------------------------------------------- parity
#
# The same code runs once on temporalio's own Worker and once on this
# package's Worker behind a sidecar, each on a queue of its own; the test
# asserts both outcomes are the same.

T = TypeVar("T")
ParityBody = Callable[[str, Any], Awaitable[T]]


async def under_both(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory, body: ParityBody[T]
) -> dict[str, T]:
    """``body(queue, sdk_client)`` with temporalio serving ``queue`` (and
    ``sdk_client`` temporalio's Client), then with the sidecar (and the
    sidecar's Client); the outcomes by SDK."""
    out: dict[str, T] = {}
    queue = f"{task_queue}-native"
    async with temporalio_worker(client, queue):
        out["temporalio"] = await within(body(queue, client))
    queue = f"{task_queue}-sidecar"
    async with sidecar_worker(sidecar_factory, queue) as sidecar_client:
        out["sidecar"] = await within(body(queue, sidecar_client))
    return out


def _decoded(fields: Any) -> dict[str, Any]:
    return {k: json.loads(v.data) for k, v in fields.items()}


async def test_continue_as_new_inherits_what_it_is_not_given(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    """sdk-core fills an unset memo and retry policy from the run's start and
    unset search attributes from the run's current ones (upserts included);
    the server fills the task queue and timeouts; headers are not inherited."""
    keyword = temporalio.common.SearchAttributeKey.for_keyword("CustomKeywordField")

    async def body(queue: str, _: Any) -> dict[str, Any]:
        wid = f"can-{uuid.uuid4().hex[:8]}"
        h = await client.start_workflow(
            "ContinueAsNewInherits", 0, id=wid, task_queue=queue,
            memo={"note": "start"},
            search_attributes=temporalio.common.TypedSearchAttributes([temporalio.common.SearchAttributePair(keyword, "start")]),
            retry_policy=temporalio.common.RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=2)),
            run_timeout=timedelta(minutes=2), task_timeout=timedelta(seconds=15),
        )  # fmt: skip
        assert await h.result() == 1
        events = await history(client, wid)  # the last run's
        a = events[0].workflow_execution_started_event_attributes
        assert a.continued_execution_run_id, "the last run was not continued as new"
        return {
            "memo": _decoded(a.memo.fields),
            "search_attributes": _decoded(a.search_attributes.indexed_fields),
            "retry_policy": MessageToDict(a.retry_policy),
            "run_timeout": a.workflow_run_timeout.ToTimedelta(),
            "task_timeout": a.workflow_task_timeout.ToTimedelta(),
            "task_queue": a.task_queue.name.replace(queue, "<queue>"),
            "headers": sorted(a.header.fields),
        }

    got = await under_both(client, task_queue, sidecar_factory, body)
    assert got["sidecar"] == got["temporalio"]
    # What temporalio does, spelled out: the start's memo, the upserted search attribute.
    assert got["temporalio"]["memo"] == {"note": "start"}
    assert got["temporalio"]["search_attributes"] == {"CustomKeywordField": ["upserted"]}


# A table of JSON values × type hints, decoded by temporalio's converter and
# by this package's: the same value (and type) or the same exception type.


@dataclass
class _Point:
    x: int
    y: str = "d"


class _IntEnum(enum.IntEnum):
    A = 1


class _StrEnum(str, enum.Enum):
    A = "a"


class _PlainEnum(enum.Enum):
    A = 1
    B = "b"


class _Dict(TypedDict):
    x: int


_UserId = NewType("_UserId", int)

DECODE_HINTS: list[Any] = [
    Any, object, bool, int, float, str, bytes, type(None), Optional[int], int | None, Union[int, str],
    Union[str, int], Union[bool, int], list, list[int], list[str], tuple[int, ...], tuple[int, str], set[int],
    frozenset[str], collections.deque[int], Sequence[int], dict, dict[str, int], dict[int, str], dict[bool, int],
    dict[_IntEnum, str], dict[float, str], Mapping[str, Any], _Point, Optional[_Point], list[_Point], _IntEnum,
    _StrEnum, _PlainEnum, Literal["a", "b"], Literal[1, True], datetime, uuid.UUID, _UserId, _Dict,
]  # fmt: skip
DECODE_VALUES: list[Any] = [
    True, False, 0, 1, 1.5, -2, "1", "a", "abc", "b", None, [], [1, 2], [1, "a"], [True], [{"x": 1}], {},
    {"x": 1}, {"x": 1, "y": "b"}, {"x": "1"}, {"1": "a"}, {"true": 1}, {"null": 1}, {"y": "no x"},
    "2024-01-02T03:04:05+00:00", "12345678-1234-5678-1234-567812345678",
]  # fmt: skip


def _decoded_by(converter: Any, payload_type: Any, value: Any, hint: Any) -> tuple[str, ...]:
    payload = payload_type(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())
    try:
        got = converter.from_payloads([payload], [hint])[0]
    except Exception as err:  # noqa: BLE001 - the outcome compared
        return ("raises", type(err).__name__)
    return ("decodes", type(got).__name__, repr(got))


def test_json_values_decode_by_type_hint_as_temporalio_decodes_them() -> None:
    native = temporalio.converter.DefaultPayloadConverter()
    ours = converter.DefaultPayloadConverter()
    differ = {
        f"{hint} <- {value!r}": (want, got)
        for hint in DECODE_HINTS
        for value in DECODE_VALUES
        if (want := _decoded_by(native, temporalio.api.common.v1.Payload, value, hint))
        != (got := _decoded_by(ours, converter.Payload, value, hint))
    }
    assert differ == {}, f"{len(differ)} of {len(DECODE_HINTS) * len(DECODE_VALUES)} differ (temporalio, ours)"


async def test_a_query_decodes_its_arguments_as_temporalio_does(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    async def body(queue: str, _: Any) -> list[Any]:
        wid = f"query-{uuid.uuid4().hex[:8]}"
        h = await client.start_workflow("TypedQuery", id=wid, task_queue=queue)
        out: list[Any] = []
        for arg in [True, 2.5, 3, "4", None]:
            try:
                out.append(await h.query("plus_one", arg))
            except temporalio.client.WorkflowQueryFailedError as err:
                out.append(type(err).__name__)
        await h.signal("finish")
        await h.result()
        return out

    got = await under_both(client, task_queue, sidecar_factory, body)
    assert got["sidecar"] == got["temporalio"]
    assert got["temporalio"][:3] == [2, 3, 4]  # a bool and a float are numbers for an int, natively


async def _update_outcome(start: Callable[[], Awaitable[Any]]) -> tuple[Any, ...]:
    """What start_update does (returns a handle or raises), then what the
    handle's result() does: by type names, cause and message."""

    def failed(err: BaseException) -> tuple[Any, ...]:
        if isinstance(err, (temporalio.client.RPCTimeoutOrCancelledError, sidecar_service.RPCTimeoutOrCancelledError)):
            return ("raises", type(err).__name__)  # its cause is each client's own transport error
        cause = err.__cause__
        return ("raises", type(err).__name__, type(cause).__name__ if cause else None, str(cause or "")[:60])

    try:
        handle = await start()
    except Exception as err:  # noqa: BLE001 - the outcome compared
        return ("start", *failed(err))
    try:
        return ("handle", "result", await handle.result())
    except Exception as err:  # noqa: BLE001 - the outcome compared
        return ("handle", *failed(err))


async def test_start_update_returns_a_handle_whose_result_raises_as_temporalio_does(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    """start_update(wait_for_stage=ACCEPTED) whose reply already carries the
    outcome (a validator's rejection; an update id the server has completed,
    after the run ended) returns the handle; result() raises or returns it.
    An update no worker takes times out as WorkflowUpdateRPCTimeoutOrCancelledError."""
    accepted = temporalio.client.WorkflowUpdateStage.ACCEPTED

    async def body(queue: str, sdk_client: Any) -> list[tuple[Any, ...]]:
        wid = f"updates-{uuid.uuid4().hex[:8]}"
        await client.start_workflow("Updates", id=wid, task_queue=queue)
        h = sdk_client.get_workflow_handle(wid)
        out = [
            await _update_outcome(lambda: h.start_update("add", -1, wait_for_stage=accepted)),
            await _update_outcome(lambda: h.start_update("add", 2, id="two", wait_for_stage=accepted)),
        ]
        await h.signal("finish")
        await h.result()
        # The run is over; the server answers the same update id with its outcome.
        out.append(await _update_outcome(lambda: h.start_update("add", 2, id="two", wait_for_stage=accepted)))

        # No worker serves this queue: the update is never accepted.
        idle = f"idle-{uuid.uuid4().hex[:8]}"
        await client.start_workflow("Updates", id=idle, task_queue=f"{queue}-nobody")
        stuck = sdk_client.get_workflow_handle(idle)
        out.append(await _update_outcome(lambda: stuck.start_update(
            "add", 1, wait_for_stage=accepted, rpc_timeout=timedelta(seconds=1))))  # fmt: skip
        await client.get_workflow_handle(idle).terminate()
        return out

    got = await under_both(client, task_queue, sidecar_factory, body)
    assert got["sidecar"] == got["temporalio"]
    assert got["temporalio"][0][:4] == ("handle", "raises", "WorkflowUpdateFailedError", "ApplicationError")
    assert got["temporalio"][3] == ("start", "raises", "WorkflowUpdateRPCTimeoutOrCancelledError")
    assert issubclass(sidecar_client_module.WorkflowUpdateRPCTimeoutOrCancelledError, sidecar_service.RPCTimeoutOrCancelledError)


async def test_failed_local_activities_raise_what_temporalio_raises(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    """A local activity that fails (non-retryable, out of attempts, a
    non-retryable error type, timed out, cancelled): the exception the
    workflow sees and its cause chain, type by type and field by field."""

    async def body(queue: str, _: Any) -> Any:
        h = await client.start_workflow("FailingLocalActivities", id=f"la-{uuid.uuid4().hex[:8]}", task_queue=queue)
        return await h.result()

    got = await under_both(client, task_queue, sidecar_factory, body)
    assert got["sidecar"] == got["temporalio"]
    # Natively, an application failure is raised as it is, not inside an ActivityError.
    assert [e["type"] for e in got["temporalio"]["non-retryable"]] == ["ApplicationError"]
    assert [e["type"] for e in got["temporalio"]["slow"]] == ["ActivityError", "TimeoutError"]


def _failure_levels(failure: Any, decode: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """Each failure of a chain: its message and stack trace as sent, what its
    encoded attributes hold, its kind and application type."""
    out = []
    while True:
        attrs = decode(failure.encoded_attributes) if failure.HasField("encoded_attributes") else None
        out.append({
            "message": failure.message, "stack_trace": bool(failure.stack_trace),
            "encoded": None if attrs is None else {"message": attrs["message"], "stack_trace": bool(attrs["stack_trace"])},
            "kind": failure.WhichOneof("failure_info"), "type": failure.application_failure_info.type,
        })  # fmt: skip
        if not failure.HasField("cause"):
            return out
        failure = failure.cause


def _raised_chain(sdk: Any) -> BaseException:
    """ApplicationError("outer") raised from ValueError("inner") raised from
    KeyError("root"), with tracebacks, built from ``sdk``'s exceptions."""
    try:
        try:
            try:
                raise KeyError("root")
            except KeyError as err:
                raise ValueError("inner") from err
        except ValueError as err:
            raise sdk.ApplicationError("outer", type="Outer") from err
    except sdk.ApplicationError as err:
        caught: BaseException = err
        return caught


def test_encoded_attributes_cover_every_failure_of_the_chain_as_in_temporalio() -> None:
    import temporalio.exceptions
    from temporal_sidecar import exceptions as sidecar_exceptions

    native = temporalio.converter.DefaultFailureConverterWithEncodedAttributes()
    ours = converter.DefaultFailureConverterWithEncodedAttributes()
    assert isinstance(ours, converter.DefaultFailureConverter)
    native_pc, our_pc = temporalio.converter.DefaultPayloadConverter(), converter.DefaultPayloadConverter()

    native_failure = temporalio.api.failure.v1.Failure()
    native.to_failure(_raised_chain(temporalio.exceptions), native_pc, native_failure)
    our_failure = ours.to_failure(_raised_chain(sidecar_exceptions), our_pc)
    levels = _failure_levels(our_failure, our_pc.from_payload)
    assert levels == _failure_levels(native_failure, native_pc.from_payload)
    assert [lv["message"] for lv in levels] == ["Encoded failure"] * 3

    # Each decodes the other's: the same messages back at every level.
    def messages(err: BaseException | None) -> list[str]:
        out = []
        while err is not None:
            out.append(getattr(err, "message", str(err)))
            err = err.__cause__
        return out

    wire = temporalio.api.failure.v1.Failure.FromString(our_failure.SerializeToString())
    assert messages(native.from_failure(wire, native_pc)) == ["outer", "inner", "'root'"]
    ours_back = ours.from_failure(common_pb2.Failure.FromString(native_failure.SerializeToString()), our_pc)
    assert messages(ours_back) == ["outer", "inner", "'root'"]


async def test_a_local_activity_running_at_a_graceful_shutdown_completes_its_task_first(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    """The worker shuts down while a local activity runs: it waits for the
    activity and completes the workflow task (its marker recorded, the run
    completed) before it stops, as sdk-core does; the run is not replayed
    elsewhere without its marker."""

    async def shut_down_mid_activity(sdk: str, queue: str, stop: Callable[[], Awaitable[None]]) -> dict[str, Any]:
        calls = sys.modules[f"cross_sdk_{sdk}"].SLOW_CALLS
        wid = f"la-shutdown-{uuid.uuid4().hex[:8]}"
        h = await client.start_workflow("LocalActivityAtShutdown", "Ada", id=wid, task_queue=queue)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + TIMEOUT
        while not calls.get(wid):
            assert loop.time() < deadline, "the local activity never started"
            await asyncio.sleep(0.02)
        await within(stop())
        events = await history(client, wid)
        desc = await h.describe()
        return {
            "events": [EventType.Name(e.event_type).removeprefix("EVENT_TYPE_") for e in events],
            "completed_by": [
                e.workflow_task_completed_event_attributes.identity
                for e in events
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
            ],
            "status": desc.status.name if desc.status else None,
            "result": await within(h.result()) if desc.status == temporalio.client.WorkflowExecutionStatus.COMPLETED else None,
            "calls": calls[wid],
        }

    got: dict[str, Any] = {}
    queue = f"{task_queue}-native"
    native = temporalio.worker.Worker(
        client, task_queue=queue, workflows=NATIVE.workflows, activities=NATIVE.activities,
        workflow_runner=temporalio.worker.UnsandboxedWorkflowRunner(), identity=NATIVE_IDENTITY,
    )  # fmt: skip
    running = asyncio.create_task(native.run())
    got["temporalio"] = await shut_down_mid_activity("temporalio", queue, native.shutdown)
    await running

    queue = f"{task_queue}-sidecar"
    sc = sidecar_factory(queue, "--identity", SIDECAR_IDENTITY)
    conn = await Connection.connect(sc.target)
    try:
        async with Worker(conn, task_queue=queue, workflows=SIDECAR.workflows, activities=SIDECAR.activities) as w:
            got["sidecar"] = await shut_down_mid_activity("temporal_sidecar", queue, w.shutdown)
    finally:
        await conn.close()
        await asyncio.get_running_loop().run_in_executor(None, sc.stop)

    for outcome in got.values():  # who completed the tasks, by SDK
        outcome["completed_by"] = ["worker" if i in (NATIVE_IDENTITY, SIDECAR_IDENTITY) else i for i in outcome["completed_by"]]
    assert got["sidecar"] == got["temporalio"]
    assert got["temporalio"]["status"] == "COMPLETED" and "MARKER_RECORDED" in got["temporalio"]["events"]


async def test_typed_search_attributes_as_temporalio_has_them(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    """Typed search attributes given at start (each SDK's own client), read
    in info(), upserted with value_set / value_unset, given to a child, and
    described by the client at the end."""
    from temporal_sidecar import common as sidecar_common

    async def body(queue: str, sdk_client: Any) -> dict[str, Any]:
        sdk = NATIVE if isinstance(sdk_client, temporalio.client.Client) else SIDECAR
        common: Any = temporalio.common if sdk is NATIVE else sidecar_common
        mod = sys.modules["cross_sdk_temporalio" if sdk is NATIVE else "cross_sdk_temporal_sidecar"]
        k = common.SearchAttributeKey
        attrs = common.TypedSearchAttributes([
            common.SearchAttributePair(k.for_keyword("CustomKeywordField"), "start"),
            common.SearchAttributePair(k.for_text("CustomTextField"), "some text"),
            common.SearchAttributePair(k.for_int("CustomIntField"), 5),
        ])  # fmt: skip
        wid = f"typed-sa-{uuid.uuid4().hex[:8]}"
        h = await sdk_client.start_workflow("TypedSearchAttributesWorkflow", id=wid, task_queue=queue, search_attributes=attrs)
        out = dict(await h.result())
        # BuildIds is the server's, from the build id the worker reported (sdk-core sends one; the sidecar none).
        described = mod.typed_attributes((await h.describe()).typed_search_attributes)
        out["described"] = [a for a in described if a[0] != "BuildIds"]
        return out

    got = await under_both(client, task_queue, sidecar_factory, body)
    assert got["sidecar"] == got["temporalio"]
    assert got["temporalio"]["start"] == [
        ["CustomIntField", "INT", "int", 5], ["CustomKeywordField", "KEYWORD", "str", "start"],
        ["CustomTextField", "TEXT", "str", "some text"],
    ]  # fmt: skip
    assert got["temporalio"]["child"] == [["CustomIntField", "INT", "int", 7], ["CustomKeywordField", "KEYWORD", "str", "child"]]


async def test_client_interceptors_see_and_change_every_call_as_in_temporalio(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> None:
    """A client interceptor of temporalio's shape (Interceptor.intercept_client,
    OutboundInterceptor with its input dataclasses) sees start, signal,
    signal-with-start, query, update, describe, cancel and terminate, and what
    it changes in an input takes effect."""
    from temporal_sidecar import client as sidecar_client

    async def body(queue: str, sdk_client: Any) -> list[Any]:
        native = isinstance(sdk_client, temporalio.client.Client)
        mod: Any = temporalio.client if native else sidecar_client
        calls: list[Any] = []

        class Outbound(mod.OutboundInterceptor):  # type: ignore[misc]
            def __getattribute__(self, name: str) -> Any:
                attr = object.__getattribute__(self, name)
                if name in ("start_workflow", "signal_workflow", "query_workflow", "start_workflow_update",
                            "describe_workflow", "cancel_workflow", "terminate_workflow"):  # fmt: skip
                    async def recorded(input: Any) -> Any:
                        named = getattr(input, "workflow", None) or getattr(input, "signal", None) or getattr(
                            input, "query", None) or getattr(input, "update", None)  # fmt: skip
                        calls.append([name, type(input).__name__, named, getattr(input, "start_signal", None)])
                        if name in ("start_workflow_update", "query_workflow"):
                            input.args = [input.args[0] * 10]  # the change reaches the workflow
                        return await attr(input)

                    return recorded
                return attr

        class Recording(mod.Interceptor):  # type: ignore[misc]
            def intercept_client(self, next: Any) -> Any:
                return Outbound(next)

        c: Any
        if native:
            c = temporalio.client.Client(sdk_client.service_client, namespace=sdk_client.namespace, interceptors=[Recording()])
        else:
            c = sidecar_client.Client(sdk_client.connection, interceptors=[Recording()])
        wid = f"intercepted-{uuid.uuid4().hex[:8]}"
        h = await c.start_workflow("Updates", id=wid, task_queue=queue)
        out: list[Any] = [await h.execute_update("add", 1)]
        status = (await h.describe()).status
        out.append(status.name if status is not None else None)
        await h.signal("finish")
        out.append(await h.result())
        h2 = await c.start_workflow("TypedQuery", id=f"{wid}-q", task_queue=queue, start_signal="finish")
        await within(h2.result())
        h3 = await c.start_workflow("TypedQuery", id=f"{wid}-q3", task_queue=queue)
        out.append(await h3.query("plus_one", 1))
        await h3.cancel()
        h4 = await c.start_workflow("TypedQuery", id=f"{wid}-t", task_queue=queue)
        await h4.terminate(reason="done")
        return [out, calls]

    got = await under_both(client, task_queue, sidecar_factory, body)
    assert got["sidecar"] == got["temporalio"]
    assert got["temporalio"][0] == [10, "RUNNING", 10, 11]

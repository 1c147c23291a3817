"""Workflows and activities run by the sidecar-side Python worker in the
workflow tests (test_workflows.py, test_client.py)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporal_sidecar import activity, exceptions, workflow
from temporal_sidecar.common import RawValue, RetryPolicy
from temporal_sidecar.exceptions import ActivityError, ApplicationError, CancelledError, ChildWorkflowError

# ---------------------------------------------------------------- activities

CALLS: dict[str, int] = {}


@activity.defn
async def say_hello(name: str) -> str:
    CALLS["say_hello"] = CALLS.get("say_hello", 0) + 1
    return f"Hello, {name}!"


@activity.defn
async def fail_activity(message: str) -> str:
    raise ApplicationError(message, {"why": "testing"}, type="Deliberate", non_retryable=True)


@activity.defn
async def wait_for_cancel() -> str:
    """Heartbeats until cancelled; reports how it ended."""
    try:
        while True:
            activity.heartbeat()
            await asyncio.sleep(0.05)
    except asyncio.CancelledError:
        CALLS["cancelled"] = CALLS.get("cancelled", 0) + 1
        raise


@activity.defn
async def cleanup(what: str) -> str:
    CALLS["cleanup"] = CALLS.get("cleanup", 0) + 1
    return f"cleaned {what}"


@activity.defn
async def flaky(succeed_at: int) -> str:
    """Fails until attempt succeed_at; says which attempt succeeded and whether it ran as a local activity."""
    CALLS["flaky"] = CALLS.get("flaky", 0) + 1
    info = activity.info()
    if info.attempt < succeed_at:
        raise ApplicationError(f"attempt {info.attempt} fails", type="NotYet")
    return f"attempt {info.attempt} local {info.is_local}"


_STARTED: dict[str, asyncio.Event] = {}


def _started(workflow_id: str | None) -> asyncio.Event:
    return _STARTED.setdefault(workflow_id or "", asyncio.Event())


@activity.defn
async def run_until_cancelled() -> str:
    """Runs until cancelled, then takes a moment to clean up (counted as
    CALLS["cleaned:<workflow id>"]) before it lets the cancellation through."""
    key = activity.info().workflow_id
    _started(key).set()
    try:
        await asyncio.Event().wait()
    except asyncio.CancelledError:
        await asyncio.sleep(0.2)  # what WAIT_CANCELLATION_COMPLETED waits for
        CALLS[f"cleaned:{key}"] = CALLS.get(f"cleaned:{key}", 0) + 1
        raise
    return "not reached"


@activity.defn
async def once_started() -> None:
    """Returns once run_until_cancelled runs for the same workflow."""
    await asyncio.wait_for(_started(activity.info().workflow_id).wait(), 10)


ACTIVITIES: list[Callable[..., Any]] = [
    say_hello, fail_activity, wait_for_cancel, cleanup, flaky, run_until_cancelled, once_started,
]  # fmt: skip

# ---------------------------------------------------------------- workflows


@dataclass
class Order:
    id: str
    items: list[str] = field(default_factory=list)


@workflow.defn
class GreetingWorkflow:
    """Temporal's hello workflow: one activity."""

    @workflow.run
    async def run(self, name: str) -> str:
        workflow.logger.info("greeting %s", name)
        return await workflow.execute_activity(say_hello, name, start_to_close_timeout=timedelta(seconds=10))


@workflow.defn(name="Timers")
class TimersWorkflow:
    @workflow.run
    async def run(self, ms: int) -> dict[str, float]:
        t0 = workflow.now()
        await workflow.sleep(timedelta(milliseconds=ms))
        t1 = workflow.now()
        await asyncio.sleep(ms / 1000)  # a durable timer as well
        t2 = workflow.now()
        timed_out = False
        try:
            await workflow.wait_condition(lambda: False, timeout=timedelta(milliseconds=ms))
        except asyncio.TimeoutError:
            timed_out = True
        # Two timers racing: the shorter one wins, the other is cancelled.
        done, pending = await workflow.wait(
            [asyncio.create_task(asyncio.sleep(ms / 1000)), asyncio.create_task(asyncio.sleep(3600))],
            return_when=asyncio.FIRST_COMPLETED,
        )
        for p in pending:
            p.cancel()
        await asyncio.gather(*pending, return_exceptions=True)  # its timer is cancelled
        return {
            "slept": (t1 - t0).total_seconds(),
            "asyncio_slept": (t2 - t1).total_seconds(),
            "timed_out": float(timed_out),
            "done": float(len(done)),
            "time_matches": float(abs(workflow.time() - workflow.now().timestamp()) < 0.001),
        }


@workflow.defn
class ActivityOutcomes:
    """Runs an activity and reports how it ended, as a string."""

    @workflow.run
    async def run(self, mode: str) -> str:
        if mode == "result":
            greeting: str = await workflow.execute_activity(
                "say_hello", "activity", start_to_close_timeout=timedelta(seconds=10), result_type=str
            )
            return greeting
        if mode == "failure":
            try:
                await workflow.execute_activity(
                    fail_activity,
                    "boom",
                    start_to_close_timeout=timedelta(seconds=10),
                    retry_policy=RetryPolicy(maximum_attempts=1),
                )
            except ActivityError as err:
                cause = err.cause
                assert isinstance(cause, ApplicationError)
                return f"failed:{err.activity_type}:{cause.type}:{cause.message}:{cause.details[0]['why']}"
            return "no error"
        # cancel modes: try / wait
        ctype = (
            workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
            if mode == "cancel-wait"
            else workflow.ActivityCancellationType.TRY_CANCEL
        )
        handle = workflow.start_activity(
            wait_for_cancel,
            start_to_close_timeout=timedelta(seconds=30),
            # Cancellation reaches the activity with a heartbeat response;
            # the sidecar throttles heartbeats to 80% of this timeout.
            heartbeat_timeout=timedelta(seconds=1),
            cancellation_type=ctype,
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
        await workflow.sleep(0.3)  # let it start
        handle.cancel()
        try:
            await handle
        except ActivityError as err:
            if isinstance(err.cause, CancelledError):
                return "cancelled"
            return f"other error {err.cause!r}"
        return "completed"


@workflow.defn
class LocalOutcomes:
    """Runs local activities and reports how they ended, as a string."""

    @workflow.run
    async def run(self, mode: str) -> str:
        ten = timedelta(seconds=10)
        try:
            if mode == "result":
                return await workflow.execute_local_activity(flaky, 1, start_to_close_timeout=ten, summary="one try")
            if mode == "retry-local":  # every attempt inside the one workflow task
                fast = RetryPolicy(initial_interval=timedelta(milliseconds=10))
                return await workflow.execute_local_activity(flaky, 3, start_to_close_timeout=ten, retry_policy=fast)
            if mode == "retry-timer":  # a 1 s backoff beyond the threshold: a durable timer, then attempt 2
                return await workflow.execute_local_activity(
                    flaky,
                    2,
                    start_to_close_timeout=ten,
                    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=1)),
                    local_retry_threshold=timedelta(milliseconds=500),
                )
            if mode == "replayed":  # with no cache, the task after the timer replays the first one
                first = await workflow.execute_local_activity(flaky, 1, start_to_close_timeout=ten)
                await workflow.sleep(0.05)
                second = await workflow.execute_local_activity(flaky, 1, start_to_close_timeout=ten)
                return f"{first}, {second}"
            if mode == "failure":
                await workflow.execute_local_activity(fail_activity, "local boom", start_to_close_timeout=ten)
            if mode == "timeout":
                half = timedelta(milliseconds=500)
                await workflow.execute_local_activity(run_until_cancelled, schedule_to_close_timeout=half)
            if mode in ("cancel-try", "cancel-wait"):
                running = workflow.start_local_activity(
                    run_until_cancelled,
                    start_to_close_timeout=timedelta(seconds=30),
                    cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED
                    if mode == "cancel-wait"
                    else workflow.ActivityCancellationType.TRY_CANCEL,
                )
                # The workflow task stays open while local activities run;
                # a second one resolving is what lets the workflow act.
                await workflow.execute_local_activity(once_started, start_to_close_timeout=ten)
                running.cancel()
                await running
        except ActivityError as err:
            cause = err.cause
            why = getattr(cause, "type", "")
            if isinstance(cause, exceptions.TimeoutError) and cause.type:
                why = cause.type.name
            return f"{type(err).__name__} {err.activity_type}: {type(cause).__name__} {why}".strip()
        except ApplicationError as err:  # a local activity's own failure, raised as it is (as in temporalio)
            return f"{type(err).__name__} {err.type}"
        return "no error"


@workflow.defn
class SignalsQueriesUpdates:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False
        self.dynamic_signals: list[str] = []

    @workflow.run
    async def run(self, prefix: str) -> list[str]:
        await workflow.wait_condition(lambda: self.done)
        # Handlers may still run: let them finish, as temporalio recommends.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return [prefix + i for i in self.items] + self.dynamic_signals

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal(name="finish")
    async def finish_signal(self) -> None:
        self.done = True

    @workflow.signal(dynamic=True)
    def anything(self, name: str, args: Sequence[RawValue]) -> None:
        self.dynamic_signals.append(f"{name}:{workflow.payload_converter().from_payload(args[0].payload)}")

    @workflow.query
    def count(self) -> int:
        return len(self.items)

    @workflow.query(name="items")
    def get_items(self, limit: int) -> list[str]:
        return self.items[:limit]

    @workflow.query
    def broken(self) -> str:
        raise ValueError("this query always fails")

    @workflow.query
    def sneaky(self) -> str:
        workflow.start_activity(say_hello, "x", start_to_close_timeout=timedelta(seconds=1))
        return "unreachable"

    @workflow.update
    async def add_checked(self, item: str) -> int:
        await workflow.sleep(0.01)  # handlers may wait on Temporal operations
        self.items.append(item)
        return len(self.items)

    @add_checked.validator
    def validate_add(self, item: str) -> None:
        if not item:
            raise ValueError("empty items are not allowed")

    @workflow.update
    def fail_after_accept(self, message: str) -> None:
        raise ApplicationError(message, type="UpdateFailed")


@workflow.defn
class DynamicHandlers:
    """Registers its update handler at run time, after an update may already have arrived."""

    def __init__(self) -> None:
        self.values: list[int] = []

    @workflow.run
    async def run(self) -> list[int]:
        def double(n: int) -> int:
            self.values.append(n * 2)
            return n * 2

        def positive(n: int) -> None:
            if n <= 0:
                raise ValueError("must be positive")

        workflow.set_update_handler("double", double, validator=positive)
        workflow.set_query_handler("values", lambda: list(self.values))
        workflow.set_signal_handler("stop", lambda: setattr(self, "stopped", True))
        await workflow.wait_condition(lambda: getattr(self, "stopped", False))
        return self.values


@workflow.defn
class Cancellable:
    """Waits forever; on cancellation it runs a cleanup activity, then either
    swallows the cancellation (returns) or lets it propagate."""

    def __init__(self) -> None:
        self.waiting = False

    @workflow.query
    def is_waiting(self) -> bool:
        return self.waiting

    @workflow.run
    async def run(self, swallow: bool) -> str:
        self.waiting = True
        try:
            await workflow.wait_condition(lambda: False)
        except asyncio.CancelledError:
            done = await workflow.execute_activity(cleanup, "after cancel", start_to_close_timeout=timedelta(seconds=10))
            if swallow:
                return done
            raise
        return "not reached"


@workflow.defn
class Countdown:
    @workflow.run
    async def run(self, n: int, trail: list[str]) -> list[str]:
        trail = [*trail, f"{n}@{workflow.info().run_id[:8]}"]
        if n > 0:
            workflow.continue_as_new(args=[n - 1, trail])
        return trail


@workflow.defn
class Child:
    def __init__(self) -> None:
        self.signals: list[str] = []

    @workflow.signal
    def poke(self, v: str) -> None:
        self.signals.append(v)

    @workflow.run
    async def run(self, mode: str) -> str:
        if mode == "fail":
            raise ApplicationError("child says no", type="ChildFailure", non_retryable=True)
        if mode == "wait":
            await workflow.wait_condition(lambda: len(self.signals) >= 1)
            return "child got " + ",".join(self.signals)
        parent = workflow.info().parent
        return f"child of {parent.workflow_id if parent else None}: {mode}"


@workflow.defn
class Parent:
    @workflow.run
    async def run(self, base_id: str) -> list[str]:
        out = []
        # Execute and wait.
        out.append(await workflow.execute_child_workflow(Child.run, "hello", id=f"{base_id}-c1"))
        # Start, then signal through the handle.
        h = await workflow.start_child_workflow(Child.run, "wait", id=f"{base_id}-c2")
        out.append(f"started {h.id} run {bool(h.first_execution_run_id)}")
        await h.signal(Child.poke, "via-handle")
        out.append(await h)
        # A failing child.
        try:
            await workflow.execute_child_workflow("Child", "fail", id=f"{base_id}-c3")
        except ChildWorkflowError as err:
            cause = err.cause
            assert isinstance(cause, ApplicationError)
            out.append(f"child failed: {cause.type}: {cause.message}")
        # An external workflow: signal it by id, then cancel another.
        h4 = await workflow.start_child_workflow(Child.run, "wait", id=f"{base_id}-c4")
        await workflow.get_external_workflow_handle(f"{base_id}-c4").signal("poke", "external")
        out.append(await h4)
        h5 = await workflow.start_child_workflow(
            Child.run,
            "wait",
            id=f"{base_id}-c5",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        await workflow.get_external_workflow_handle(f"{base_id}-c5").cancel()
        try:
            await h5
        except ChildWorkflowError as err:
            out.append(f"c5 {type(err.cause).__name__}")
        # Signalling a workflow that does not exist fails.
        try:
            await workflow.get_external_workflow_handle(f"{base_id}-nobody").signal("poke", "x")
        except ApplicationError as err:
            out.append(f"signal failed: {err.type}")
        return out


@workflow.defn
class Determinism:
    """Uses the deterministic APIs and an activity, then waits for a signal;
    its result must be the same whether the run stayed cached or was replayed
    (after an app restart, or with a sidecar that caches nothing)."""

    def __init__(self) -> None:
        self.go = False
        self.snapshot: dict[str, str] = {}

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflow.query
    def state(self) -> dict[str, str]:
        return self.snapshot

    @workflow.run
    async def run(self) -> dict[str, str]:
        snap = {
            "uuid": str(workflow.uuid4()),
            "rand": str(workflow.random().randint(0, 1_000_000)),
            "started": workflow.now().isoformat(),
            "info_start": workflow.info().workflow_start_time.isoformat(),
        }
        workflow.logger.info("determinism started")
        # Recorded in history by the first (live) workflow task, for tests to
        # compare with what later (replaying) tasks computed.
        workflow.upsert_memo({"uuid": snap["uuid"], "rand": snap["rand"]})
        await workflow.sleep(0.05)
        snap["greeting"] = await workflow.execute_activity(
            say_hello, "replay", start_to_close_timeout=timedelta(seconds=10)
        )
        self.snapshot = snap
        workflow.logger.info("determinism waiting")
        await workflow.wait_condition(lambda: self.go)
        return {**snap, "later_uuid": str(workflow.uuid4())}


@workflow.defn
class Failing:
    @workflow.run
    async def run(self, mode: str) -> str:
        if mode == "application":
            raise ApplicationError("workflow says no", {"code": 7}, type="BusinessError", non_retryable=True)
        if mode == "value":
            raise ValueError("a bug in workflow code")
        if mode == "executor":
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, print, "never")
        if mode == "propagate":  # an activity's failure, uncaught, fails the workflow
            await workflow.execute_activity(
                fail_activity,
                "deep",
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        if mode == "block":
            time.sleep(1)  # blocks the workflow's thread: caught by deadlock detection
        return "ok"


@workflow.defn
class Properties:
    @workflow.run
    async def run(self) -> dict[str, Any]:
        workflow.upsert_search_attributes({"CustomKeywordField": "gold"})
        workflow.upsert_memo({"note": "hello", "gone": None})
        info = workflow.info()
        return {
            "memo": dict(workflow.memo()),
            "sa": dict(info.search_attributes),
            "task_queue": info.task_queue,
            "workflow_type": info.workflow_type,
            "attempt": info.attempt,
            "history": info.get_current_history_length() > 0,
        }


@workflow.defn(dynamic=True)
class Dynamic:
    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> str:
        values = [workflow.payload_converter().from_payload(a.payload) for a in args]
        return f"{workflow.info().workflow_type}{values}"


@workflow.defn
class TypedOrder:
    @workflow.run
    async def run(self, order: Order) -> Order:
        assert isinstance(order, Order)
        return Order(id=order.id.upper(), items=sorted(order.items))


WORKFLOWS: list[type] = [
    GreetingWorkflow,
    TimersWorkflow,
    ActivityOutcomes,
    LocalOutcomes,
    SignalsQueriesUpdates,
    DynamicHandlers,
    Cancellable,
    Countdown,
    Child,
    Parent,
    Determinism,
    Failing,
    Properties,
    Dynamic,
    TypedOrder,
]

__all__ = ["ACTIVITIES", "CALLS", "WORKFLOWS"]

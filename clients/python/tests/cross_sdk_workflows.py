"""Workflows and activities written once and run by two SDKs: Temporal's
own Python SDK (``temporalio``) and this package (``temporal_sidecar``), which
mirrors temporalio's API.

Do not import this module directly: :py:mod:`cross_sdk` loads it once per
SDK, under its own module name, with ``SDK`` set to the SDK to import
(``"temporalio"`` or ``"temporal_sidecar"``) and ``CHANGED`` set for a deploy
whose code no longer matches older histories. Type checking sees the
temporal_sidecar API, which mirrors temporalio's.

Every workflow here is an entry of ``CASES`` in test_cross_sdk.py; a new one
is a class here plus one entry there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

# Set by cross_sdk.load before this body runs.
SDK: str = globals().get("SDK", "temporal_sidecar")
CHANGED: bool = globals().get("CHANGED", False)

if TYPE_CHECKING or SDK == "temporal_sidecar":
    from temporal_sidecar import activity, workflow
    from temporal_sidecar.common import RetryPolicy, SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
    from temporal_sidecar.exceptions import ApplicationError, ChildWorkflowError
else:
    from temporalio import activity, workflow
    from temporalio.common import RetryPolicy, SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
    from temporalio.exceptions import ApplicationError, ChildWorkflowError

_ACTIVITY_TIMEOUT = timedelta(seconds=30)


@activity.defn
async def greet(name: str) -> str:
    return f"Hello, {name}!"


@workflow.defn
class TimersAndActivities:
    """Timers (workflow.sleep and asyncio.sleep) around activities, one
    alone and two at once."""

    @workflow.run
    async def run(self, name: str) -> str:
        if not CHANGED:
            await workflow.sleep(timedelta(milliseconds=10))
        first = await workflow.execute_activity(greet, name, start_to_close_timeout=_ACTIVITY_TIMEOUT)
        both = await asyncio.gather(
            workflow.execute_activity(greet, "b", start_to_close_timeout=_ACTIVITY_TIMEOUT),
            workflow.execute_activity(greet, "c", start_to_close_timeout=_ACTIVITY_TIMEOUT),
        )
        await asyncio.sleep(0.01)
        return "|".join([first, *both])


@workflow.defn
class Signals:
    """Runs an activity, waits for signals until "finish", runs another:
    also the workflow handed off between workers mid-run."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.done = False

    @workflow.signal
    def add(self, item: str) -> None:
        self.items.append(item)

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.run
    async def run(self) -> list[str]:
        before = await workflow.execute_activity(greet, "before", start_to_close_timeout=_ACTIVITY_TIMEOUT)
        await workflow.wait_condition(lambda: self.done)
        after = await workflow.execute_activity(greet, "after", start_to_close_timeout=_ACTIVITY_TIMEOUT)
        return [before, *self.items, after]


@workflow.defn
class Child:
    @workflow.run
    async def run(self, arg: str) -> str:
        if arg == "wait":
            await workflow.wait_condition(lambda: False)  # until cancelled
        return arg.upper()


@workflow.defn
class Children:
    """A child by id, a child with the default id (drawn from the
    workflow's seeded random: both SDKs must draw the same), and a child
    cancelled while it runs."""

    @workflow.run
    async def run(self, base_id: str) -> list[str]:
        out = [await workflow.execute_child_workflow(Child.run, "one", id=f"{base_id}-one")]
        out.append(await workflow.execute_child_workflow(Child.run, "two"))
        h = await workflow.start_child_workflow(
            Child.run,
            "wait",
            id=f"{base_id}-wait",
            cancellation_type=workflow.ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        h.cancel()
        try:
            await h
        except ChildWorkflowError as err:
            out.append(f"child ended: {type(err.cause).__name__}")
        return out


@workflow.defn
class Updates:
    """An update with a validator (negative amounts are rejected) whose
    handler runs an activity; "finish" ends the run."""

    def __init__(self) -> None:
        self.total = 0
        self.done = False

    @workflow.update
    async def add(self, n: int) -> int:
        await workflow.execute_activity(greet, str(n), start_to_close_timeout=_ACTIVITY_TIMEOUT)
        self.total += n
        return self.total

    @add.validator
    def check_add(self, n: int) -> None:
        if n < 0:
            raise ValueError(f"cannot add {n}: amounts must not be negative")

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.done and workflow.all_handlers_finished())
        return self.total


@workflow.defn
class Patches:
    """workflow.patched takes the new path on a new run;
    deprecate_patch records its marker."""

    @workflow.run
    async def run(self) -> list[str]:
        workflow.deprecate_patch("old-fix")
        out = []
        if workflow.patched("new-path"):
            out.append(await workflow.execute_activity(greet, "patched", start_to_close_timeout=_ACTIVITY_TIMEOUT))
        else:
            out.append("unpatched")
        await workflow.sleep(timedelta(milliseconds=10))
        return out


@workflow.defn
class SearchAttributesAndMemo:
    @workflow.run
    async def run(self) -> str:
        workflow.upsert_search_attributes({"CustomKeywordField": ["gold"]})
        workflow.upsert_memo({"note": "hello"})
        await workflow.sleep(timedelta(milliseconds=10))
        workflow.upsert_memo({"note": "bye"})
        return "upserted"


@activity.defn
async def greet_on_second_try(name: str) -> str:
    if activity.info().attempt < 2:
        raise ApplicationError("not yet")
    return f"Hello, {name}!"


@workflow.defn
class LocalActivities:
    """Local activities: one that succeeds, one retried within the workflow
    task, one retried after a durable timer (its backoff exceeds the local
    retry threshold)."""

    @workflow.run
    async def run(self) -> list[str]:
        once = await workflow.execute_local_activity(greet, "once", start_to_close_timeout=_ACTIVITY_TIMEOUT)
        retried = await workflow.execute_local_activity(
            greet_on_second_try, "retried", start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=50)),
        )  # fmt: skip
        timed = await workflow.execute_local_activity(
            greet_on_second_try, "after a timer", start_to_close_timeout=_ACTIVITY_TIMEOUT,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=300)),
            local_retry_threshold=timedelta(milliseconds=100),
        )  # fmt: skip
        return [once, retried, timed]


@workflow.defn
class ContinueAsNewInherits:
    """The first run changes its memo and search attributes, then continues
    as new giving nothing but its argument: what the next run starts with
    is what it inherited (test_cross_sdk compares it with temporalio's)."""

    @workflow.run
    async def run(self, n: int) -> int:
        if n == 0:
            workflow.upsert_memo({"note": "upserted"})
            workflow.upsert_search_attributes({"CustomKeywordField": ["upserted"]})
            await workflow.sleep(timedelta(milliseconds=10))
            workflow.continue_as_new(1)
        return n


@workflow.defn
class TypedQuery:
    """A query whose parameter is an int, called with other JSON values
    (the converter decides what fits); "finish" ends the run."""

    def __init__(self) -> None:
        self.done = False

    @workflow.query
    def plus_one(self, n: int) -> int:
        return n + 1

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.done)


@activity.defn
async def fail_as(kind: str) -> str:
    """Fails as ``kind`` says: "non-retryable", "retryable" (every
    attempt), "value-error" (a plain exception), "slow" (sleeps past its
    timeout, or until cancelled)."""
    if kind == "non-retryable":
        raise ApplicationError("bad input", "detail", type="BadInput", non_retryable=True)
    if kind == "retryable":
        raise ApplicationError(f"attempt {activity.info().attempt} failed", type="Flaky")
    if kind == "value-error":
        raise ValueError("not a value")
    await asyncio.sleep(2)
    return "slept"


def _chain(err: BaseException | None) -> list[dict[str, Any]]:
    """An exception and its causes, as both SDKs can compare them."""
    out = []
    while err is not None:
        out.append({
            "type": type(err).__name__, "message": getattr(err, "message", str(err)),
            **{k: str(getattr(err, k)) for k in ("type", "non_retryable", "retry_state", "timeout_type")
               if hasattr(err, k) and k != "type"},
            **({"error_type": str(getattr(err, "type"))} if hasattr(err, "type") else {}),
        })  # fmt: skip
        err = err.__cause__
    return out


@workflow.defn
class FailingLocalActivities:
    """Local activities that fail each way; returns what each raised, with
    its cause chain."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
        once = RetryPolicy(maximum_attempts=1)
        cases: dict[str, Any] = {
            "non-retryable": dict(retry_policy=RetryPolicy(maximum_attempts=5)),
            "retryable": dict(retry_policy=RetryPolicy(maximum_attempts=2, initial_interval=timedelta(milliseconds=10))),
            "value-error": dict(retry_policy=RetryPolicy(maximum_attempts=5, non_retryable_error_types=["ValueError"])),
            "slow": dict(retry_policy=once, start_to_close_timeout=timedelta(milliseconds=300)),
        }
        out: dict[str, Any] = {}
        for kind, opts in cases.items():
            opts.setdefault("start_to_close_timeout", _ACTIVITY_TIMEOUT)
            try:
                await workflow.execute_local_activity(fail_as, kind, **opts)
                out[kind] = "no error"
            except Exception as err:  # noqa: BLE001 - what it raised is the result
                out[kind] = _chain(err)
        try:  # no close timeout: an error in its options
            await workflow.execute_local_activity(fail_as, "non-retryable")
            out["no timeout"] = "no error"
        except Exception as err:  # noqa: BLE001
            out["no timeout"] = _chain(err)
        # Cancelled in the activation that schedules it.
        h = workflow.start_local_activity(fail_as, "slow", start_to_close_timeout=_ACTIVITY_TIMEOUT, retry_policy=once)
        h.cancel()
        try:
            await h
            out["cancelled"] = "no error"
        except BaseException as err:  # noqa: BLE001 - asyncio's CancelledError included
            out["cancelled"] = _chain(err)
        return out


# Calls of slow_greet by workflow id: the test waits for the call before
# it shuts the worker down.
SLOW_CALLS: dict[str, int] = {}


@activity.defn
async def slow_greet(name: str) -> str:
    """Greets after a second: long enough to shut the worker down meanwhile."""
    wid = activity.info().workflow_id or ""
    SLOW_CALLS[wid] = SLOW_CALLS.get(wid, 0) + 1
    await asyncio.sleep(1)
    return f"Hello, {name}!"


@workflow.defn
class LocalActivityAtShutdown:
    """One slow local activity; its worker shuts down while it runs."""

    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_local_activity(slow_greet, name, start_to_close_timeout=_ACTIVITY_TIMEOUT)


# The dev server's custom search attributes (conftest.py registers them).
KEYWORD = SearchAttributeKey.for_keyword("CustomKeywordField")
TEXT = SearchAttributeKey.for_text("CustomTextField")
INT = SearchAttributeKey.for_int("CustomIntField")
DOUBLE = SearchAttributeKey.for_float("CustomDoubleField")
BOOL = SearchAttributeKey.for_bool("CustomBoolField")
DATETIME = SearchAttributeKey.for_datetime("CustomDatetimeField")
KEYWORD_LIST = SearchAttributeKey.for_keyword_list("CustomKeywordListField")


def typed_attributes(attrs: TypedSearchAttributes) -> list[list[Any]]:
    """A typed collection as both SDKs can compare it: name, index type,
    value type and value, by name."""
    return [
        [p.key.name, p.key.indexed_value_type.name, type(p.value).__name__,
         p.value.isoformat() if isinstance(p.value, datetime) else list(p.value) if isinstance(p.value, list) else p.value]
        for p in attrs
    ]  # fmt: skip


@workflow.defn
class TypedSearchAttributesChild:
    @workflow.run
    async def run(self) -> list[list[Any]]:
        return typed_attributes(workflow.info().typed_search_attributes)


@workflow.defn
class TypedSearchAttributesWorkflow:
    """What info().typed_search_attributes holds at the start, after typed
    upserts (set and unset) and a dictionary upsert, and in a child started
    with typed search attributes; the client describes the run at the end."""

    @workflow.run
    async def run(self) -> dict[str, Any]:
        info = workflow.info()
        out: dict[str, Any] = {"start": typed_attributes(info.typed_search_attributes)}
        out["get"] = [info.typed_search_attributes.get(KEYWORD), info.typed_search_attributes.get(BOOL, "absent"),
                      KEYWORD in info.typed_search_attributes, TEXT in info.typed_search_attributes]  # type: ignore[comparison-overlap]  # fmt: skip
        workflow.upsert_search_attributes([
            KEYWORD.value_set("upserted"), INT.value_unset(), DOUBLE.value_set(2.5), BOOL.value_set(True),
            DATETIME.value_set(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)), KEYWORD_LIST.value_set(["a", "b"]),
        ])  # fmt: skip
        out["upserted"] = typed_attributes(workflow.info().typed_search_attributes)
        out["untyped"] = sorted(workflow.info().search_attributes)
        await workflow.sleep(timedelta(milliseconds=10))
        workflow.upsert_search_attributes([TEXT.value_unset(), DOUBLE.value_unset()])
        out["unset"] = typed_attributes(workflow.info().typed_search_attributes)
        out["child"] = await workflow.execute_child_workflow(
            TypedSearchAttributesChild, id=f"{info.workflow_id}-child",
            search_attributes=TypedSearchAttributes([SearchAttributePair(KEYWORD, "child"), SearchAttributePair(INT, 7)]),
        )  # fmt: skip
        return out


WORKFLOWS: list[type] = [
    TimersAndActivities, Signals, Child, Children, Updates, Patches, SearchAttributesAndMemo, LocalActivities,
    ContinueAsNewInherits, TypedQuery, FailingLocalActivities, LocalActivityAtShutdown,
    TypedSearchAttributesChild, TypedSearchAttributesWorkflow,
]  # fmt: skip
ACTIVITIES: list[Callable[..., Any]] = [greet, greet_on_second_try, fail_as, slow_greet]

"""Workflows end to end: a real Temporal dev server, a real sidecar, and the
Python Worker under test running workflows (tests/wf_defs.py) and their
activities. Workflows are started by this package's Client, by the official
temporalio client, and by the temporal CLI; the temporalio client also reads
histories to check what the server recorded."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
import temporalio.api.enums.v1
import temporalio.client
import temporalio.common
from temporalio.api.history.v1 import HistoryEvent

import wf_defs
from conftest import WfEnv, WfEnvFactory, temporal_cli
from temporal_sidecar import workflow
from temporal_sidecar.client import (
    WorkflowContinuedAsNewError,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporal_sidecar.exceptions import ActivityError, ApplicationError, CancelledError, TerminatedError
from temporal_sidecar import worker as worker_module
from temporal_sidecar.worker import Worker
from wf_defs import (
    ACTIVITIES,
    CALLS,
    WORKFLOWS,
    ActivityOutcomes,
    Cancellable,
    Countdown,
    Determinism,
    Failing,
    GreetingWorkflow,
    LocalOutcomes,
    Parent,
    Properties,
    SignalsQueriesUpdates,
    TimersWorkflow,
)

TIMEOUT = 30.0
EventType = temporalio.api.enums.v1.EventType


async def within(aw: Awaitable[Any], timeout: float = TIMEOUT) -> Any:
    """Await with a deadline, so a stuck workflow fails the test instead of hanging it."""
    return await asyncio.wait_for(aw, timeout)


def wid(prefix: str = "wf") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_worker(
    env: WfEnv,
    *,
    workflows: Sequence[type] = WORKFLOWS,
    activities: Sequence[Callable[..., Any]] = ACTIVITIES,
    **kwargs: Any,
) -> Worker:
    return Worker(env.connection, task_queue=env.task_queue, workflows=workflows, activities=activities, **kwargs)


async def eventually(cond: Callable[[], Awaitable[bool]], what: str, timeout: float = TIMEOUT) -> None:
    """Wait for an async condition, checking it often, failing after timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await cond():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


async def history(env: WfEnv, workflow_id: str) -> list[HistoryEvent]:
    h = await env.temporal.get_workflow_handle(workflow_id).fetch_history()
    return list(h.events)


async def task_failures(env: WfEnv, workflow_id: str) -> list[tuple[int, str]]:
    """(cause, message) of each WorkflowTaskFailed event."""
    return [
        (e.workflow_task_failed_event_attributes.cause, e.workflow_task_failed_event_attributes.failure.message)
        for e in await history(env, workflow_id)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]


async def wait_task_failure(env: WfEnv, workflow_id: str, contains: str) -> tuple[int, str]:
    found: list[tuple[int, str]] = []

    async def failed() -> bool:
        found[:] = [f for f in await task_failures(env, workflow_id) if contains in f[1]]
        return bool(found)

    await eventually(failed, f"a workflow task failure containing {contains!r}")
    return found[0]


# ---------------------------------------------------------------- starting workflows


async def test_hello_started_by_this_client_temporalio_and_the_cli(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        # This package's Client, through the sidecar (typed by the run method).
        result: str = await within(env.client.execute_workflow(GreetingWorkflow.run, "Ada", id=wid()))
        assert result == "Hello, Ada!"

        # The official temporalio client, straight to the server.
        assert (
            await within(
                env.temporal.execute_workflow(
                    "GreetingWorkflow", "Bob", id=wid(), task_queue=env.task_queue, execution_timeout=timedelta(minutes=1)
                )
            )
            == "Hello, Bob!"
        )

        # The temporal CLI, with JSON input; the result is read through the sidecar.
        cli_id = wid("cli")
        proc = await asyncio.create_subprocess_exec(
            temporal_cli(), "workflow", "start", "--address", env.dev_server.address, "--namespace", "default",
            "--type", "GreetingWorkflow", "--task-queue", env.task_queue, "--workflow-id", cli_id,
            "--input", '"Cli"',
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(proc.communicate(), TIMEOUT)
        assert proc.returncode == 0, out.decode()
        handle = env.client.get_workflow_handle(cli_id)
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == "Hello, Cli!"
        d = await handle.describe()
        assert d.status == WorkflowExecutionStatus.COMPLETED and d.workflow_type == "GreetingWorkflow"


async def test_typed_arguments_dynamic_workflow_and_properties(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        order = await within(env.client.execute_workflow(
            wf_defs.TypedOrder.run, wf_defs.Order(id="ab", items=["z", "a"]), id=wid()
        ))
        assert order == wf_defs.Order(id="AB", items=["a", "z"])

        assert await within(env.client.execute_workflow("AnythingGoes", args=[1, "x"], id=wid())) == "AnythingGoes[1, 'x']"

        pid = wid("props")
        props = await within(env.client.execute_workflow(Properties.run, id=pid, memo={"initial": 1, "gone": 2}))
        assert props["memo"] == {"initial": 1, "note": "hello"}
        assert props["sa"] == {"CustomKeywordField": "gold"}
        assert props["task_queue"] == env.task_queue and props["workflow_type"] == "Properties"
        assert props["attempt"] == 1 and props["history"] is True
        d = await env.client.get_workflow_handle(pid).describe()
        assert d.status == WorkflowExecutionStatus.COMPLETED
        memo = await d.memo()
        assert memo["initial"] == 1 and memo["note"] == "hello" and memo.get("gone") is None
        assert d.search_attributes["CustomKeywordField"] in ("gold", ["gold"])

    # A worker with workflows only (the sidecar polls no activities for it).
    async with new_worker(env, workflows=[wf_defs.Dynamic], activities=[]):
        assert await within(env.client.execute_workflow("Anything", 2, id=wid())) == "Anything[2]"


# ---------------------------------------------------------------- timers and activities


async def test_timers_follow_workflow_time(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        id = wid()
        r = await within(env.client.execute_workflow(TimersWorkflow.run, 100, id=id))
    assert r["slept"] >= 0.1 and r["asyncio_slept"] >= 0.1
    assert r["timed_out"] == 1.0 and r["done"] == 1.0 and r["time_matches"] == 1.0
    events = await history(env, id)
    started = [e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    fired = [e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_FIRED]
    cancelled = [e for e in events if e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED]
    # sleep, asyncio.sleep, wait_condition timeout, and the two racing timers.
    assert len(started) == 5 and len(fired) == 4 and len(cancelled) == 1
    assert [e.timer_started_event_attributes.timer_id for e in started] == ["1", "2", "3", "4", "5"]


async def test_activity_result_failure_and_cancellation(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        assert await within(env.client.execute_workflow(ActivityOutcomes.run, "result", id=wid())) == "Hello, activity!"
        assert (
            await within(env.client.execute_workflow(ActivityOutcomes.run, "failure", id=wid()))
            == "failed:fail_activity:Deliberate:boom:testing"
        )
        before = CALLS.get("cancelled", 0)
        assert await within(env.client.execute_workflow(ActivityOutcomes.run, "cancel-try", id=wid())) == "cancelled"

        async def try_cancelled_too() -> bool:
            # TRY_CANCEL resolved at once; the activity learns of it afterwards.
            return CALLS.get("cancelled", 0) == before + 1

        await eventually(try_cancelled_too, "the activity cancelled with TRY_CANCEL to stop")
        before = CALLS.get("cancelled", 0)
        wait_id = wid()
        assert await within(env.client.execute_workflow(ActivityOutcomes.run, "cancel-wait", id=wait_id)) == "cancelled"
        # WAIT_CANCELLATION_COMPLETED resolved only once the activity itself was cancelled.
        assert CALLS.get("cancelled", 0) == before + 1
        types = [e.event_type for e in await history(env, wait_id)]
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in types
        assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED in types


# ---------------------------------------------------------------- local activities

# LocalOutcomes mode: (what the workflow returns, core_local_activity markers, timers).
LOCAL_OUTCOMES = {
    "result": ("attempt 1 local True", 1, 0),
    "retry-local": ("attempt 3 local True", 1, 0),
    "retry-timer": ("attempt 2 local True", 2, 1),
    "failure": ("ApplicationError Deliberate", 1, 0),  # raised as it is, as temporalio raises it
    "timeout": ("ActivityError run_until_cancelled: TimeoutError SCHEDULE_TO_CLOSE", 1, 0),
    "cancel-try": ("ActivityError run_until_cancelled: CancelledError", 2, 0),
    "cancel-wait": ("ActivityError run_until_cancelled: CancelledError", 2, 0),
    "replayed": ("attempt 1 local True, attempt 1 local True", 2, 1),
}


async def local_history(env: WfEnv, workflow_id: str) -> tuple[int, int, int]:
    """(core_local_activity markers, timers started, activities scheduled on the server)."""
    events = await history(env, workflow_id)
    markers = [e for e in events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert all(m.marker_recorded_event_attributes.marker_name == "core_local_activity" for m in markers)
    timers = sum(e.event_type == EventType.EVENT_TYPE_TIMER_STARTED for e in events)
    return len(markers), timers, sum(e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED for e in events)


async def test_local_activity_outcomes_and_markers(wf_env: WfEnv) -> None:
    env = wf_env
    ids = {mode: wid(mode) for mode in LOCAL_OUTCOMES}

    async def outcome(mode: str) -> tuple[str, int]:
        out: str = await env.client.execute_workflow(LocalOutcomes.run, mode, id=ids[mode])
        return out, CALLS.get(f"cleaned:{ids[mode]}", 0)  # cleanups done when the workflow learnt the outcome

    async with new_worker(env):
        outcomes = dict(zip(LOCAL_OUTCOMES, await within(asyncio.gather(*map(outcome, LOCAL_OUTCOMES)))))
        for mode, (want, markers, timers) in LOCAL_OUTCOMES.items():
            assert outcomes[mode][0] == want, mode
            assert await local_history(env, ids[mode]) == (markers, timers, 0), mode
        # WAIT_CANCELLATION_COMPLETED resolved once the activity had cleaned
        # up; TRY_CANCEL at once, the activity being cancelled afterwards.
        assert outcomes["cancel-wait"][1] == 1

        async def try_cleaned() -> bool:
            return CALLS.get(f"cleaned:{ids['cancel-try']}", 0) == 1

        await eventually(try_cleaned, "the TRY_CANCEL local activity to be cancelled")
    # Every attempt of retry-local ran inside the first workflow task.
    types = [e.event_type for e in await history(env, ids["retry-local"])]
    assert types.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) == 1
    # The summary is the marker's.
    [marker] = [e for e in await history(env, ids["result"]) if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    assert json.loads(marker.user_metadata.summary.data) == "one try"


async def test_local_activities_replay_from_markers_without_a_cache(wf_env_factory: WfEnvFactory) -> None:
    async with wf_env_factory("--max-cached-workflows", "0") as env, new_worker(env):
        before = CALLS.get("flaky", 0)
        for mode in ("replayed", "retry-timer"):
            id = wid(mode)
            assert await within(env.client.execute_workflow(LocalOutcomes.run, mode, id=id)) == LOCAL_OUTCOMES[mode][0]
            assert not await task_failures(env, id)
        # Two attempts each: the replays resolved the recorded ones from their markers.
        assert CALLS["flaky"] == before + 4


# ---------------------------------------------------------------- signals, queries, updates


async def test_signals_queries_and_updates(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        id = wid()
        # Signal-with-start: the signal is handled before the run method starts.
        handle = await env.client.start_workflow(
            SignalsQueriesUpdates.run, "p-", id=id, start_signal="add", start_signal_args=["first"]
        )
        await handle.signal(SignalsQueriesUpdates.add, "second")
        assert await handle.query(SignalsQueriesUpdates.count) == 2
        assert await handle.query("items", 1) == ["first"]

        with pytest.raises(WorkflowQueryFailedError, match="this query always fails"):
            await handle.query(SignalsQueriesUpdates.broken)
        with pytest.raises(WorkflowQueryFailedError, match="cannot schedule an activity"):
            await handle.query(SignalsQueriesUpdates.sneaky)
        with pytest.raises(WorkflowQueryFailedError, match="query handler for 'nope' expected but not found"):
            await handle.query("nope")

        # Updates: accepted and completed, rejected by the validator, failed after acceptance.
        assert await handle.execute_update(SignalsQueriesUpdates.add_checked, "third") == 3
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update(SignalsQueriesUpdates.add_checked, "")
        assert isinstance(rejected.value.cause, ApplicationError)
        assert "empty items are not allowed" in rejected.value.cause.message
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await handle.execute_update(SignalsQueriesUpdates.fail_after_accept, "too late")
        assert isinstance(failed.value.cause, ApplicationError) and failed.value.cause.type == "UpdateFailed"
        uh = await handle.start_update(
            SignalsQueriesUpdates.add_checked, "fourth", wait_for_stage=WorkflowUpdateStage.ACCEPTED
        )
        assert await uh.result() == 4 and uh.name == "add_checked" and uh.workflow_id == id

        # The temporalio client talks to the same workflow.
        th = env.temporal.get_workflow_handle(id)
        assert await th.execute_update("add_checked", "fifth") == 5
        await th.signal("unknown-signal", 42)  # goes to the dynamic handler
        assert await th.query("count") == 5

        await handle.signal("finish")
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == [
            "p-first", "p-second", "p-third", "p-fourth", "p-fifth", "unknown-signal:42",
        ]  # fmt: skip
    # The rejected update left no trace in history.
    accepted = [
        e
        for e in await history(env, id)
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]
    assert len(accepted) == 4


async def test_update_arriving_before_its_handler_is_set_is_buffered(wf_env: WfEnv) -> None:
    env = wf_env
    id = wid()
    async with new_worker(env):
        # Update-with-start: the update comes in the first activation, before
        # the run method registers its handler with set_update_handler.
        start: temporalio.client.WithStartWorkflowOperation[Any, Any] = temporalio.client.WithStartWorkflowOperation(
            "DynamicHandlers",
            id=id,
            task_queue=env.task_queue,
            id_conflict_policy=temporalio.common.WorkflowIDConflictPolicy.FAIL,
        )
        assert await env.temporal.execute_update_with_start_workflow("double", 21, start_workflow_operation=start) == 42
        handle = env.client.get_workflow_handle(id)
        assert await handle.execute_update("double", 5) == 10
        with pytest.raises(WorkflowUpdateFailedError) as rejected:
            await handle.execute_update("double", -1)
        assert isinstance(rejected.value.cause, ApplicationError) and "must be positive" in rejected.value.cause.message
        with pytest.raises(WorkflowUpdateFailedError) as unknown:
            await handle.execute_update("triple", 1)
        assert isinstance(unknown.value.cause, ApplicationError)
        assert "update handler for 'triple' expected but not found" in unknown.value.cause.message
        assert await handle.query("values") == [42, 10]
        await handle.signal("stop")
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == [42, 10]


# ---------------------------------------------------------------- cancellation, continue-as-new, children


async def test_cancellation(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        for swallow in (False, True):
            handle = await env.client.start_workflow(Cancellable.run, swallow, id=wid())

            async def waiting() -> bool:
                return bool(await handle.query(Cancellable.is_waiting))

            await eventually(waiting, "the workflow to wait")
            before = CALLS.get("cleanup", 0)
            await handle.cancel(reason="test")
            if swallow:
                assert await asyncio.wait_for(handle.result(), TIMEOUT) == "cleaned after cancel"
                assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
            else:
                with pytest.raises(WorkflowFailureError) as err:
                    await asyncio.wait_for(handle.result(), TIMEOUT)
                assert isinstance(err.value.cause, CancelledError)
                assert (await handle.describe()).status == WorkflowExecutionStatus.CANCELED
            assert CALLS.get("cleanup", 0) == before + 1  # it cleaned up before closing


async def test_continue_as_new(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        handle = await env.client.start_workflow(Countdown.run, args=[3, []], id=wid())
        trail = await asyncio.wait_for(handle.result(), TIMEOUT)  # follows the runs
        assert [t.split("@")[0] for t in trail] == ["3", "2", "1", "0"]
        assert len({t.split("@")[1] for t in trail}) == 4  # one run each
        assert handle.run_id is None  # signals and queries go to the latest run
        assert handle.result_run_id is not None and trail[0].endswith(handle.result_run_id[:8])
        assert handle.first_execution_run_id == handle.result_run_id
        first = env.client.get_workflow_handle(handle.id, run_id=handle.result_run_id)
        with pytest.raises(WorkflowContinuedAsNewError) as err:
            await first.result(follow_runs=False)
        assert err.value.new_execution_run_id[:8] == trail[1].split("@")[1]


async def test_child_and_external_workflows(wf_env: WfEnv) -> None:
    env = wf_env
    async with new_worker(env):
        base = wid("parent")
        out = await within(env.client.execute_workflow(Parent.run, base, id=base))
    assert out[:6] == [
        f"child of {base}: hello",
        f"started {base}-c2 run True",
        "child got via-handle",
        "child failed: ChildFailure: child says no",
        "child got external",
        "c5 CancelledError",
    ]
    # The failure type names the server's cause (ExternalWorkflowExecutionNotFound).
    assert out[6].startswith("signal failed: ") and "notfound" in out[6].lower().replace("_", ""), out[6]
    d = await env.client.get_workflow_handle(f"{base}-c1").describe()
    assert d.parent_id == base and d.status == WorkflowExecutionStatus.COMPLETED
    assert (await env.client.get_workflow_handle(f"{base}-c5").describe()).status == WorkflowExecutionStatus.CANCELED


# ---------------------------------------------------------------- failures


async def test_workflow_failure_and_task_failure(wf_env: WfEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    env = wf_env
    monkeypatch.setattr(worker_module, "_DEADLOCK_TIMEOUT", 0.3)
    async with new_worker(env):
        # ApplicationError fails the workflow.
        with pytest.raises(WorkflowFailureError) as err:
            await within(env.client.execute_workflow(Failing.run, "application", id=wid()))
        cause = err.value.cause
        assert isinstance(cause, ApplicationError)
        assert cause.type == "BusinessError" and cause.message == "workflow says no" and list(cause.details) == [{"code": 7}]
        # The cause chain: the workflow failed with the activity's failure, caused by the activity's error.
        with pytest.raises(WorkflowFailureError) as err:
            await within(env.client.execute_workflow(Failing.run, "propagate", id=wid()))
        act_err = err.value.cause
        assert isinstance(act_err, ActivityError) and act_err.activity_type == "fail_activity"
        assert isinstance(act_err.cause, ApplicationError) and act_err.cause.type == "Deliberate"
        assert act_err.cause.message == "deep"

        # Other exceptions fail the workflow task, which the server retries: the workflow stays open.
        vid = wid()
        await env.client.start_workflow(Failing.run, "value", id=vid)
        eid = wid()
        await env.client.start_workflow(Failing.run, "executor", id=eid)
        bid = wid()
        await env.client.start_workflow(Failing.run, "block", id=bid)
        await wait_task_failure(env, vid, "a bug in workflow code")
        _, msg = await wait_task_failure(env, eid, "run_in_executor")
        assert "cannot be used in workflow code" in msg and "activity" in msg
        await wait_task_failure(env, bid, "potential deadlock detected: workflow Failing")
        for id in (vid, eid, bid):
            h = env.client.get_workflow_handle(id)
            assert (await h.describe()).status == WorkflowExecutionStatus.RUNNING
            await h.terminate(reason="test over")
            with pytest.raises(WorkflowFailureError) as terminated:
                await h.result()
            assert isinstance(terminated.value.cause, TerminatedError)

    # workflow_failure_exception_types turns those exceptions into workflow failures.
    async with new_worker(env, workflow_failure_exception_types=[ValueError]):
        with pytest.raises(WorkflowFailureError) as err:
            await within(env.client.execute_workflow(Failing.run, "value", id=wid()))
        cause = err.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "ValueError"


# ---------------------------------------------------------------- replay


async def test_app_restart_mid_workflow_completes_after_replay(
    wf_env: WfEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = wf_env
    caplog.set_level(logging.INFO, logger="temporal_sidecar.workflow")
    greetings = CALLS.get("say_hello", 0)
    handle = None
    async with new_worker(env):
        handle = await env.client.start_workflow(Determinism.run, id=wid())

        async def waiting() -> bool:
            return "greeting" in await handle.query(Determinism.state)

        await eventually(waiting, "the workflow to wait for its signal")
        snapshot = await handle.query(Determinism.state)
    # The app is gone: the sidecar forgot the run. A new app rebuilds it by replay.
    async with new_worker(env):
        await handle.signal(Determinism.proceed)
        result = await asyncio.wait_for(handle.result(), TIMEOUT)
    assert {k: result[k] for k in snapshot} == snapshot  # random, uuid4, now() replayed identically
    assert result["later_uuid"] != result["uuid"]
    assert result["started"] >= result["info_start"]  # the first workflow task's time vs the run's start
    assert CALLS["say_hello"] == greetings + 1  # the activity was not run again
    # workflow.logger is silent while replaying: each line once.
    lines = [r.getMessage() for r in caplog.records if r.name == "temporal_sidecar.workflow"]
    assert sum("determinism started" in m for m in lines) == 1
    assert sum("determinism waiting" in m for m in lines) == 1


async def test_sidecar_restart_mid_workflow(wf_env: WfEnv) -> None:
    env = wf_env
    loop = asyncio.get_running_loop()
    async with new_worker(env) as w:
        handle = await env.client.start_workflow(Determinism.run, id=wid())
        await wait_idle_after_activity(env, handle.id)
        snapshot = await handle.query(Determinism.state)
        # A graceful restart of the sidecar: the worker reconnects, the run is replayed.
        await loop.run_in_executor(None, env.sidecar.terminate)
        await loop.run_in_executor(None, env.sidecar.start)

        async def reconnected() -> bool:
            return w.is_connected

        await eventually(reconnected, "the worker to reconnect")
        await handle.signal(Determinism.proceed)  # the client's channel reconnects too
        result = await within(handle.result())
    assert {k: result[k] for k in snapshot} == snapshot


async def test_every_task_replayed_without_a_cache(wf_env_factory: WfEnvFactory) -> None:
    async with wf_env_factory("--max-cached-workflows", "0") as env, new_worker(env):
        r = await within(env.client.execute_workflow(TimersWorkflow.run, 50, id=wid()))
        assert r["timed_out"] == 1.0 and r["done"] == 1.0
        assert await within(env.client.execute_workflow(ActivityOutcomes.run, "cancel-wait", id=wid())) == "cancelled"
        base = wid("parent")
        assert len(await within(env.client.execute_workflow(Parent.run, base, id=base))) == 7

        # Signals and their handlers replay. Updates are left out: without a
        # cache the sidecar fetches the history of an update's speculative
        # workflow task from the server, which has not persisted its events,
        # and drops the task until it times out (10 s). The other update tests
        # run with a cache.
        handle = await env.client.start_workflow(
            SignalsQueriesUpdates.run, "", id=wid(), start_signal="add", start_signal_args=["a"]
        )
        await handle.signal("add", "b")
        await handle.signal("finish")
        assert await within(handle.result()) == ["a", "b"]

        # With no cache the last task replays the run from its start: what it
        # computes must be what the first task recorded. (Compared through the
        # memo, not a query: the sidecar answers a query of an uncached run by
        # a replay, which it can start while the app still handles the
        # eviction of the task before; the app's eviction answer is then taken
        # for the replay's first activation.)
        dh = await env.client.start_workflow(Determinism.run, id=wid())
        await wait_idle_after_activity(env, dh.id)
        await dh.signal(Determinism.proceed)
        result = await within(dh.result())
        memo = await (await dh.describe()).memo()
        assert (memo["uuid"], memo["rand"]) == (result["uuid"], result["rand"])
        assert result["greeting"] == "Hello, replay!"


# Two versions of one workflow type, as deployed one after the other.


@workflow.defn(name="Versioned")
class VersionedV1:
    def __init__(self) -> None:
        self.go = False

    @workflow.signal
    def proceed(self) -> None:
        self.go = True

    @workflow.query
    def started(self) -> bool:
        return True

    @workflow.run
    async def run(self) -> str:
        first = await workflow.execute_activity(wf_defs.say_hello, "v1", start_to_close_timeout=timedelta(seconds=10))
        await workflow.wait_condition(lambda: self.go)
        return first


@workflow.defn(name="Versioned")
class VersionedV2(VersionedV1):
    @workflow.run
    async def run(self) -> str:
        if workflow.patched("use-v2"):
            first = await workflow.execute_activity(wf_defs.cleanup, "v2", start_to_close_timeout=timedelta(seconds=10))
        else:
            first = await workflow.execute_activity(
                wf_defs.say_hello, "v1", start_to_close_timeout=timedelta(seconds=10)
            )
        await workflow.wait_condition(lambda: self.go)
        return first


@workflow.defn(name="Versioned")
class VersionedBroken(VersionedV1):
    @workflow.run
    async def run(self) -> str:
        await workflow.sleep(3600)  # was an activity: a change without a patch
        await workflow.wait_condition(lambda: self.go)
        return "never"


async def wait_idle_after_activity(env: WfEnv, workflow_id: str) -> None:
    """Wait until the run's first activity completed and the workflow task
    after it did too: the run then waits for a signal with nothing in flight.
    (Waiting by history, not by query: see test_every_task_replayed_without_a_cache.)"""

    async def idle() -> bool:
        types = [e.event_type for e in await history(env, workflow_id)]
        if EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED not in types:
            return False
        after = types[types.index(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED) :]
        return EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED in after

    await eventually(idle, "the workflow to wait for its signal")


async def _start_and_wait_started(env: WfEnv) -> Any:
    handle = await env.client.start_workflow("Versioned", id=wid("versioned"))
    await wait_idle_after_activity(env, handle.id)
    return handle


async def test_patched_keeps_old_runs_on_the_old_path(wf_env_factory: WfEnvFactory) -> None:
    # No cache: every workflow task replays the run from its start.
    async with wf_env_factory("--max-cached-workflows", "0") as env:
        async with new_worker(env, workflows=[VersionedV1]):
            old = await _start_and_wait_started(env)
        async with new_worker(env, workflows=[VersionedV2]):
            new = await _start_and_wait_started(env)
            await old.signal("proceed")
            await new.signal("proceed")
            assert await asyncio.wait_for(old.result(), TIMEOUT) == "Hello, v1!"  # replayed without the marker
            assert await asyncio.wait_for(new.result(), TIMEOUT) == "cleaned v2"  # marker recorded, then replayed
        markers = [e for e in await history(env, new.id) if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
        assert len(markers) == 1
        assert not [e for e in await history(env, old.id) if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]


async def test_nondeterminism_is_reported_and_fails_the_task(
    wf_env: WfEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env = wf_env
    caplog.set_level(logging.WARNING, logger="temporal_sidecar.worker")
    async with new_worker(env, workflows=[VersionedV1]):
        handle = await _start_and_wait_started(env)
    async with new_worker(env, workflows=[VersionedBroken]):
        await handle.signal("proceed")
        cause, msg = await wait_task_failure(env, handle.id, "[TMPRL1100] Nondeterminism error")
        assert cause == temporalio.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
        assert "TIMER" in msg.upper() and "ACTIVIT" in msg.upper(), msg

        def logged() -> bool:
            return any("reports NONDETERMINISM" in r.getMessage() for r in caplog.records)

        async def logged_async() -> bool:
            return logged()

        await eventually(logged_async, "the worker to log the nondeterminism")
        line = next(r.getMessage() for r in caplog.records if "reports NONDETERMINISM" in r.getMessage())
        assert "workflow Versioned" in line and handle.id in line and "workflow.patched()" in line
        assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
        await handle.terminate(reason="test over")

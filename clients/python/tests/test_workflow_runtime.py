"""The deterministic workflow runtime alone, fed hand-made activations: the
orderings and edge cases a real run cannot produce on demand."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from google.protobuf import duration_pb2, timestamp_pb2

import wf_defs
from temporal_sidecar import workflow
from temporal_sidecar._workflow_instance import WorkflowInstance
from temporal_sidecar.converter import DataConverter
from temporal_sidecar.proto.sidecar.bridge.v1 import (
    workflow_activation_pb2 as act_pb,
    workflow_commands_pb2 as cmd_pb,
    workflow_completion_pb2 as done_pb,
)

DC = DataConverter.default
T0 = 1_800_000_000


def _ts(seconds: float) -> timestamp_pb2.Timestamp:
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def instance(cls: type, *args: Any) -> tuple[WorkflowInstance, act_pb.WorkflowActivationJob]:
    defn = workflow._Definition.must_from_class(cls)
    init = act_pb.InitializeWorkflow(
        workflow_type=defn.name or "Dynamic",
        workflow_id="wf-1",
        arguments=DC.payload_converter.to_payloads(list(args)),
        randomness_seed=1234,
        namespace="default",
        task_queue="tq",
        start_time=_ts(T0),
        first_execution_run_id="run-1",
    )
    inst = WorkflowInstance(
        defn=defn,
        run_id="run-1",
        init=init,
        payload_converter=DC.payload_converter,
        failure_converter=DC.failure_converter,
        worker_failure_exception_types=(),
    )
    return inst, act_pb.WorkflowActivationJob(initialize_workflow=init)


def activate(
    inst: WorkflowInstance, *jobs: act_pb.WorkflowActivationJob, at: float = T0, replaying: bool = False
) -> done_pb.WorkflowActivationCompletion:
    return inst.activate(
        act_pb.WorkflowActivation(run_id="run-1", timestamp=_ts(at), is_replaying=replaying, jobs=list(jobs))
    )


def commands(c: done_pb.WorkflowActivationCompletion) -> list[cmd_pb.WorkflowCommand]:
    assert c.WhichOneof("status") == "successful", c
    return list(c.successful.commands)


def kinds(c: done_pb.WorkflowActivationCompletion) -> list[str]:
    return [str(x.WhichOneof("variant")) for x in commands(c)]


def update_job(name: str, *args: Any, validate: bool = True, id: str = "u1") -> act_pb.WorkflowActivationJob:
    return act_pb.WorkflowActivationJob(
        do_update=act_pb.DoUpdate(
            id=id,
            protocol_instance_id=f"pi-{id}",
            name=name,
            input=DC.payload_converter.to_payloads(list(args)),
            run_validator=validate,
        )
    )


def test_update_before_its_handler_is_buffered_then_unknown_ones_rejected() -> None:
    inst, init = instance(wf_defs.DynamicHandlers)
    # The update job comes before the run starts and registers the handler.
    c = activate(inst, init, update_job("double", 21), update_job("triple", 1, id="u2"))
    cmds = commands(c)
    responses = [(x.update_response.protocol_instance_id, x.update_response.WhichOneof("response")) for x in cmds]
    assert responses == [("pi-u1", "accepted"), ("pi-u1", "completed"), ("pi-u2", "rejected")]
    assert DC.payload_converter.from_payload(cmds[1].update_response.completed) == 42
    assert "update handler for 'triple' expected but not found" in cmds[2].update_response.rejected.message

    # The validator rejects; an update after the handler exists runs at once.
    c = activate(inst, update_job("double", -5, id="u3"), update_job("double", 2, id="u4"))
    responses = [(x.update_response.protocol_instance_id, x.update_response.WhichOneof("response")) for x in commands(c)]
    assert responses == [("pi-u3", "rejected"), ("pi-u4", "accepted"), ("pi-u4", "completed")]


def test_jobs_apply_signals_first_then_the_run_and_cancel_before_it_started() -> None:
    inst, init = instance(wf_defs.SignalsQueriesUpdates, "p-")
    signal = act_pb.WorkflowActivationJob(
        signal_workflow=act_pb.SignalWorkflow(signal_name="add", input=DC.payload_converter.to_payloads(["early"]))
    )
    finish = act_pb.WorkflowActivationJob(signal_workflow=act_pb.SignalWorkflow(signal_name="finish"))
    c = activate(inst, init, signal, finish)
    [done] = commands(c)
    assert DC.payload_converter.from_payload(done.complete_workflow_execution.result) == ["p-early"]

    inst, init = instance(wf_defs.Cancellable, False)
    cancel = act_pb.WorkflowActivationJob(cancel_workflow=act_pb.CancelWorkflow(reason="no"))
    c = activate(inst, init, cancel)
    # Cancelled while waiting: it schedules its cleanup activity first.
    assert kinds(c) == ["schedule_activity"]


def test_event_loop_escapes_fail_the_task_with_a_clear_error() -> None:
    inst, init = instance(wf_defs.Failing, "executor")
    c = activate(inst, init)
    assert c.WhichOneof("status") == "failed"
    assert "loop.run_in_executor (and asyncio.to_thread) cannot be used in workflow code" in c.failed.failure.message


def _resolve_local(seq: int, **result: Any) -> act_pb.WorkflowActivationJob:
    return act_pb.WorkflowActivationJob(
        resolve_activity=act_pb.ResolveActivity(seq=seq, is_local=True, result=act_pb.ActivityResolution(**result))
    )


def _backoff(seq: int) -> act_pb.WorkflowActivationJob:
    duration = duration_pb2.Duration()
    duration.FromTimedelta(timedelta(seconds=1))
    return _resolve_local(
        seq, backoff=act_pb.DoBackoff(attempt=2, backoff_duration=duration, original_schedule_time=_ts(T0))
    )


def test_local_activity_backoff_is_a_timer_then_the_next_attempt() -> None:
    inst, init = instance(wf_defs.LocalOutcomes, "retry-timer")
    [first] = commands(activate(inst, init))
    s = first.schedule_local_activity
    assert (s.seq, s.activity_id, s.activity_type, s.attempt) == (1, "1", "flaky", 0)
    assert s.local_retry_threshold.ToTimedelta() == timedelta(milliseconds=500)

    # The workflow code never sees the backoff: the runtime sleeps on a timer...
    [timer] = commands(activate(inst, _backoff(1), at=T0 + 0.1))
    assert timer.start_timer.start_to_fire_timeout.ToTimedelta() == timedelta(seconds=1)
    fire = act_pb.WorkflowActivationJob(fire_timer=act_pb.FireTimer(seq=timer.start_timer.seq))
    # ... then schedules the attempt the sidecar named, under a new seq.
    [again] = commands(activate(inst, fire, at=T0 + 1.1))
    s = again.schedule_local_activity
    assert (s.seq, s.activity_id, s.attempt, s.original_schedule_time) == (2, "2", 2, _ts(T0))
    result = DC.payload_converter.to_payload("attempt 2 local True")
    [done] = commands(activate(inst, _resolve_local(2, completed=act_pb.ActivityResolutionCompleted(result=result))))
    assert DC.payload_converter.from_payload(done.complete_workflow_execution.result) == "attempt 2 local True"

    # Cancelling during the backoff cancels its timer; no attempt follows.
    inst, init = instance(wf_defs.LocalOutcomes, "retry-timer")
    activate(inst, init)
    [timer] = commands(activate(inst, _backoff(1), at=T0 + 0.1))
    cancel = act_pb.WorkflowActivationJob(cancel_workflow=act_pb.CancelWorkflow())
    assert kinds(activate(inst, cancel, at=T0 + 0.2)) == ["cancel_timer", "cancel_workflow_execution"]

    # A resolution of the wrong kind is nondeterminism.
    inst, init = instance(wf_defs.LocalOutcomes, "result")
    activate(inst, init)
    wrong = act_pb.WorkflowActivationJob(resolve_activity=act_pb.ResolveActivity(seq=1, is_local=False))
    c = activate(inst, wrong)
    assert c.failed.cause == done_pb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR


@workflow.defn(name="Patchy")
class Patchy:
    @workflow.run
    async def run(self) -> str:
        first = workflow.patched("p1")
        again = workflow.patched("p1")  # memoized: one marker
        workflow.deprecate_patch("p2")
        await workflow.sleep(1)
        return f"{first} {again}"


def test_patched_follows_replay_and_markers() -> None:
    # Live: the new path, with a marker (once per patch).
    inst, init = instance(Patchy)
    c = activate(inst, init)
    assert kinds(c) == ["set_patch_marker", "set_patch_marker", "start_timer"]
    assert [x.set_patch_marker.deprecated for x in commands(c)[:2]] == [False, True]

    # Replaying history made before the patch: the old path, no marker.
    inst, init = instance(Patchy)
    c = activate(inst, init, replaying=True)
    assert kinds(c) == ["start_timer"]
    fire = act_pb.WorkflowActivationJob(fire_timer=act_pb.FireTimer(seq=1))
    [done] = commands(activate(inst, fire, at=T0 + 1))
    assert DC.payload_converter.from_payload(done.complete_workflow_execution.result) == "False False"

    # Replaying history that has the marker: the new path.
    inst, init = instance(Patchy)
    notify = act_pb.WorkflowActivationJob(notify_has_patch=act_pb.NotifyHasPatch(patch_id="p1"))
    c = activate(inst, init, notify, replaying=True)
    assert kinds(c) == ["set_patch_marker", "start_timer"]


@workflow.defn(name="Clock")
class Clock:
    def __init__(self) -> None:
        self.values: list[str] = []

    @workflow.query
    def peek(self) -> list[str]:
        return self.values

    @workflow.query
    def meddle(self) -> None:
        workflow.upsert_memo({"x": 1})

    @workflow.run
    async def run(self) -> list[str]:
        self.values.append(workflow.now().isoformat())
        await asyncio.wait_for(asyncio.sleep(5), timeout=10)  # asyncio's own timer APIs
        self.values.append(workflow.now().isoformat())
        self.values.append(str(workflow.uuid4()))
        return self.values


def test_clock_is_workflow_time_and_queries_are_read_only() -> None:
    inst, init = instance(Clock)
    c = activate(inst, init)
    # asyncio.sleep(5) and wait_for's 10 s timeout are both Temporal timers.
    assert kinds(c) == ["start_timer", "start_timer"]
    timers = {x.start_timer.start_to_fire_timeout.ToTimedelta(): x.start_timer.seq for x in commands(c)}
    assert set(timers) == {timedelta(seconds=5), timedelta(seconds=10)}
    q = act_pb.WorkflowActivationJob(query_workflow=act_pb.QueryWorkflow(query_id="q1", query_type="peek"))
    bad = act_pb.WorkflowActivationJob(query_workflow=act_pb.QueryWorkflow(query_id="q2", query_type="meddle"))
    answers = commands(activate(inst, q, bad, at=T0 + 3))
    assert DC.payload_converter.from_payload(answers[0].respond_to_query.succeeded) == ["2027-01-15T08:00:00+00:00"]
    assert "cannot change the memo" in answers[1].respond_to_query.failed.message

    fire = act_pb.WorkflowActivationJob(fire_timer=act_pb.FireTimer(seq=timers[timedelta(seconds=5)]))
    c = activate(inst, fire, at=T0 + 5)
    cmds = commands(c)
    # The 10 s timer is cancelled, then the run completes.
    assert [x.WhichOneof("variant") for x in cmds] == ["cancel_timer", "complete_workflow_execution"]
    assert cmds[0].cancel_timer.seq == timers[timedelta(seconds=10)]
    result = DC.payload_converter.from_payload(cmds[1].complete_workflow_execution.result)
    assert result[:2] == ["2027-01-15T08:00:00+00:00", "2027-01-15T08:00:05+00:00"]

    # The same seed gives the same UUID on replay.
    again, init = instance(Clock)
    activate(again, init, replaying=True)
    cmds = commands(activate(again, fire, at=T0 + 5, replaying=True))
    assert DC.payload_converter.from_payload(cmds[1].complete_workflow_execution.result) == result


def test_eviction_unwinds_without_commands() -> None:
    # A run waiting on a condition (whose cancellation handler would start an
    # activity), and one waiting on a child: both unwind, issuing nothing.
    inst, init = instance(wf_defs.Cancellable, False)
    assert kinds(activate(inst, init)) == []
    assert inst.teardown() == 0 and not inst._commands

    inst, init = instance(wf_defs.Parent, "base")
    assert kinds(activate(inst, init)) == ["start_child_workflow_execution"]
    assert inst.teardown() == 0 and not inst._commands


def test_definition_errors() -> None:
    with pytest.raises(ValueError, match="no @workflow.run method"):

        @workflow.defn
        class NoRun:
            pass

    with pytest.raises(ValueError, match="must be an async function"):

        class SyncRun:
            @workflow.run  # type: ignore[type-var]
            def run(self) -> None: ...

    with pytest.raises(TypeError, match="must take one Sequence\\[RawValue\\]"):

        @workflow.defn(dynamic=True)
        class BadDynamic:
            @workflow.run
            async def run(self, x: int) -> None: ...

    with pytest.raises(ValueError, match="cannot be async"):

        class AsyncQuery:
            @workflow.query
            async def q(self) -> int:
                return 1

    with pytest.raises(RuntimeError, match="not in a workflow"):
        workflow.info()
    assert not workflow.in_workflow() and not workflow.unsafe.is_replaying()

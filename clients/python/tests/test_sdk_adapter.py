"""The temporalio adapter (temporal_sidecar.sdk) against the bytes contract of
the sidecar's core protocol, with a fake sidecar: what temporalio's bridge
worker hands the adapter reaches the stream unchanged, and what the stream
brings comes out of temporalio's polls; eviction, drain, shutdown and a lost
session behave as sdk-core's would. End to end on the real sidecar:
test_sdk_e2e.py."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import grpc
import grpc.aio
import pytest
import temporalio.api.common.v1
import temporalio.bridge.proto
import temporalio.bridge.proto.activity_task
import temporalio.bridge.proto.nexus
import temporalio.bridge.proto.workflow_activation
import temporalio.bridge.proto.workflow_completion
import temporalio.bridge.worker
import temporalio.client
import temporalio.common
import temporalio.worker
from temporalio import activity, workflow

from fake_core_sidecar import FakeSession, FakeSidecar, serve_fake_sidecar
from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2
from temporal_sidecar.sdk import SidecarPlugin, SidecarRefused, UnsupportedTemporalioVersion, UnsupportedWorkerOption
from temporal_sidecar.sdk._core_worker import CoreWorker, PollShutdownError
from temporal_sidecar.sdk._registration import AppSettings
from temporal_sidecar.sdk._version import check_temporalio_version

wa = temporalio.bridge.proto.workflow_activation
wc = temporalio.bridge.proto.workflow_completion
at = temporalio.bridge.proto.activity_task
nx = temporalio.bridge.proto.nexus


@pytest.fixture
def socket_path() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="tsa-", dir="/tmp"))
    yield d / "fake.sock"


@pytest.fixture
async def fake(socket_path: Path) -> AsyncIterator[FakeSidecar]:
    async with serve_fake_sidecar(socket_path) as f:
        yield f


def _settings(**kw: Any) -> AppSettings:
    base: dict[str, Any] = dict(
        task_queue="tq", namespace="default", max_cached_workflows=1000, graceful_shutdown_timeout=timedelta()
    )
    base.update(kw)
    return AppSettings(**base)


def _core(socket_path: Path, **settings: Any) -> tuple[CoreWorker, temporalio.bridge.worker.Worker]:
    target = f"unix://{socket_path}"
    core = CoreWorker(
        target=target,
        channel_factory=lambda: grpc.aio.insecure_channel(target),
        metadata=(),
        register=bridge_pb2.Register(
            protocol_version=1,
            core_protocol_version=1,
            task_queue="tq",
            workflows=[bridge_pb2.WorkflowRegistration(name="Wf")],
            capacity=bridge_pb2.Capacity(workflow_activations=5, activities=5, local_activities=5, nexus_tasks=5),
        ),
        settings=_settings(**settings),
        connect_timeout=timedelta(seconds=5),
    )
    # Exactly how the plugin installs it: temporalio's own wrapper around it.
    return core, temporalio.bridge.worker.Worker(cast(Any, core))


def _activation(run_id: str, **job: Any) -> bytes:
    act = wa.WorkflowActivation(run_id=run_id)
    act.jobs.add(**job)
    return act.SerializeToString()


async def _started(fake: FakeSidecar, bridge: temporalio.bridge.worker.Worker) -> FakeSession:
    info = await bridge.validate()
    assert info.limits.blob_size_limit_error == 2 << 20
    return await fake.next_session()


async def _shut_down(bridge: temporalio.bridge.worker.Worker) -> None:
    bridge.initiate_shutdown()
    await bridge.finalize_shutdown()


def test_supported_temporalio_versions() -> None:
    assert check_temporalio_version("1.31.0") == "1.31.0"
    assert check_temporalio_version("1.35.0") == "1.35.0"
    for v in ("1.30.2", "1.36.0", "2.0.0"):
        with pytest.raises(UnsupportedTemporalioVersion, match=rf"temporalio {v} is not supported.*1\.31\.0 to 1\.35"):
            check_temporalio_version(v)


async def test_bytes_pass_both_ways(fake: FakeSidecar, socket_path: Path) -> None:
    core, bridge = _core(socket_path)
    session = await _started(fake, bridge)
    assert session.register.core_protocol_version == 1
    assert session.register.task_queue == "tq"

    # A workflow activation out, its completion back, byte for byte.
    act = wa.WorkflowActivation(run_id="r1")
    act.jobs.add().initialize_workflow.CopyFrom(wa.InitializeWorkflow(workflow_type="Wf", workflow_id="w1"))
    session.send(core_workflow_activation=act.SerializeToString())
    got = await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    assert got == act
    comp = wc.WorkflowActivationCompletion(run_id="r1")
    comp.successful.commands.add().start_timer.seq = 1
    await bridge.complete_workflow_activation(comp)
    sent = await session.next_request("core_workflow_completion")
    assert wc.WorkflowActivationCompletion.FromString(sent.core_workflow_completion) == comp

    # An activity: start, heartbeat, completion.
    task = at.ActivityTask(task_token=b"t1")
    task.start.activity_type = "act"
    session.send(core_activity_task=task.SerializeToString())
    assert await asyncio.wait_for(bridge.poll_activity_task(), 5) == task
    bridge.record_activity_heartbeat(temporalio.bridge.proto.ActivityHeartbeat(task_token=b"t1"))
    hb = await session.next_request("core_activity_heartbeat")
    assert temporalio.bridge.proto.ActivityHeartbeat.FromString(hb.core_activity_heartbeat).task_token == b"t1"
    done = temporalio.bridge.proto.ActivityTaskCompletion(task_token=b"t1")
    done.result.completed.SetInParent()
    await bridge.complete_activity_task(done)
    sent = await session.next_request("core_activity_completion")
    assert temporalio.bridge.proto.ActivityTaskCompletion.FromString(sent.core_activity_completion) == done

    # A Nexus task.
    ntask = nx.NexusTask()
    ntask.task.task_token = b"n1"
    session.send(core_nexus_task=ntask.SerializeToString())
    assert await asyncio.wait_for(bridge.poll_nexus_task(), 5) == ntask
    ndone = nx.NexusTaskCompletion(task_token=b"n1")
    ndone.ack_cancel = True
    await bridge.complete_nexus_task(ndone)
    sent = await session.next_request("core_nexus_completion")
    assert nx.NexusTaskCompletion.FromString(sent.core_nexus_completion) == ndone

    # An eviction request names the run.
    bridge.request_workflow_eviction("r1")
    ev = await session.next_request("request_eviction")
    assert ev.request_eviction.run_id == "r1"
    await _shut_down(bridge)


async def test_shutdown_drains_then_evicts_and_ends_polls(fake: FakeSidecar, socket_path: Path) -> None:
    fake.auto_drain = False
    core, bridge = _core(socket_path)
    session = await _started(fake, bridge)
    session.send(core_workflow_activation=_activation("r1", fire_timer={"seq": 1}))
    await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id="r1", successful=wc.Success()))
    await session.next_request("core_workflow_completion")

    bridge.initiate_shutdown()
    await session.next_request("drain")
    # Until the sidecar has drained, polls wait.
    poll = asyncio.ensure_future(bridge.poll_workflow_activation())
    await asyncio.sleep(0)
    assert not poll.done()
    session.send(drained=bridge_pb2.Drained())
    # Then the cached run is evicted here, as sdk-core evicts at shutdown ...
    ev = await asyncio.wait_for(poll, 5)
    assert ev.run_id == "r1" and ev.jobs[0].HasField("remove_from_cache")
    await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id="r1", successful=wc.Success()))
    # ... and every poll ends as sdk-core's do.
    for poll_fn in (bridge.poll_workflow_activation, bridge.poll_activity_task, bridge.poll_nexus_task):
        with pytest.raises(PollShutdownError):
            await asyncio.wait_for(poll_fn(), 5)
    await bridge.finalize_shutdown()
    await asyncio.wait_for(session.ended.wait(), 5)
    # The local eviction's completion stayed here.
    assert not [m for m in session.pending() if m.WhichOneof("message") == "core_workflow_completion"]


async def test_shutdown_cancels_running_activities_after_the_graceful_timeout(
    fake: FakeSidecar, socket_path: Path
) -> None:
    fake.auto_drain = False
    core, bridge = _core(socket_path, graceful_shutdown_timeout=timedelta(milliseconds=200))
    session = await _started(fake, bridge)
    task = at.ActivityTask(task_token=b"t1")
    task.start.activity_type = "act"
    session.send(core_activity_task=task.SerializeToString())
    await asyncio.wait_for(bridge.poll_activity_task(), 5)
    loop = asyncio.get_running_loop()
    began = loop.time()
    bridge.initiate_shutdown()
    cancel = await asyncio.wait_for(bridge.poll_activity_task(), 5)
    assert loop.time() - began >= 0.2
    assert cancel.task_token == b"t1"
    assert cancel.cancel.reason == at.ActivityCancelReason.WORKER_SHUTDOWN
    assert cancel.cancel.details.is_worker_shutdown
    done = temporalio.bridge.proto.ActivityTaskCompletion(task_token=b"t1")
    done.result.cancelled.SetInParent()
    await bridge.complete_activity_task(done)
    await session.next_request("core_activity_completion")
    session.send(drained=bridge_pb2.Drained())
    with pytest.raises(PollShutdownError):
        await asyncio.wait_for(bridge.poll_activity_task(), 5)
    await bridge.finalize_shutdown()


async def test_lost_session_evicts_cancels_and_reconnects(fake: FakeSidecar, socket_path: Path) -> None:
    core, bridge = _core(socket_path)
    first = await _started(fake, bridge)
    first.send(core_workflow_activation=_activation("cached", fire_timer={"seq": 1}))
    await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id="cached", successful=wc.Success()))
    first.send(core_workflow_activation=_activation("busy", fire_timer={"seq": 1}))
    await asyncio.wait_for(bridge.poll_workflow_activation(), 5)  # left unanswered
    task = at.ActivityTask(task_token=b"t1")
    task.start.activity_type = "act"
    first.send(core_activity_task=task.SerializeToString())
    await asyncio.wait_for(bridge.poll_activity_task(), 5)

    first.break_stream()
    # The cached run is evicted here at once; the busy one once answered.
    ev = await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    assert ev.run_id == "cached" and ev.jobs[0].HasField("remove_from_cache")
    cancel = await asyncio.wait_for(bridge.poll_activity_task(), 5)
    assert cancel.task_token == b"t1" and cancel.cancel.reason == at.ActivityCancelReason.NOT_FOUND
    # The adapter registers again.
    second = await fake.next_session()
    assert second.register == first.register
    await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id="cached", successful=wc.Success()))
    await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id="busy", successful=wc.Success()))
    ev = await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    assert ev.run_id == "busy" and ev.jobs[0].HasField("remove_from_cache")
    await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id="busy", successful=wc.Success()))
    done = temporalio.bridge.proto.ActivityTaskCompletion(task_token=b"t1")
    done.result.cancelled.SetInParent()
    await bridge.complete_activity_task(done)
    # None of the old session's answers reaches the new session.
    bridge.request_workflow_eviction("nothing")  # a marker: everything before it was sent, if anything
    await _shut_down(bridge)
    kinds = [m.WhichOneof("message") for m in second.pending()]
    assert "core_workflow_completion" not in kinds and "core_activity_completion" not in kinds, kinds


async def test_no_cache_evicts_after_each_activation(fake: FakeSidecar, socket_path: Path) -> None:
    core, bridge = _core(socket_path, max_cached_workflows=0)
    session = await _started(fake, bridge)
    session.send(core_workflow_activation=_activation("r1", fire_timer={"seq": 1}))
    await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id="r1", successful=wc.Success()))
    await session.next_request("core_workflow_completion")
    ev = await session.next_request("request_eviction")
    assert ev.request_eviction.run_id == "r1"
    await _shut_down(bridge)


async def test_small_cache_evicts_least_recently_used(fake: FakeSidecar, socket_path: Path) -> None:
    core, bridge = _core(socket_path, max_cached_workflows=2)
    session = await _started(fake, bridge)
    for rid in ("a", "b", "a", "c"):
        session.send(core_workflow_activation=_activation(rid, fire_timer={"seq": 1}))
        await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
        await bridge.complete_workflow_activation(wc.WorkflowActivationCompletion(run_id=rid, successful=wc.Success()))
    ev = await session.next_request("request_eviction")
    assert ev.request_eviction.run_id == "b"
    await _shut_down(bridge)


async def test_refused_registration_fails_validate(fake: FakeSidecar, socket_path: Path) -> None:
    fake.refuse = (grpc.StatusCode.FAILED_PRECONDITION, "core protocol version 1 is not served here")
    core, bridge = _core(socket_path)
    with pytest.raises(SidecarRefused, match="core protocol version 1 is not served here"):
        await bridge.validate()
    await bridge.finalize_shutdown()


async def test_no_sidecar_fails_validate_within_the_timeout(socket_path: Path) -> None:
    target = f"unix://{socket_path}"
    core = CoreWorker(
        target=target,
        channel_factory=lambda: grpc.aio.insecure_channel(target),
        metadata=(),
        register=bridge_pb2.Register(protocol_version=1, core_protocol_version=1),
        settings=_settings(),
        connect_timeout=timedelta(milliseconds=300),
    )
    with pytest.raises(SidecarRefused, match="no sidecar answered"):
        await core.validate()
    await core.finalize_shutdown()


async def test_fatal_worker_error_fails_the_polls(fake: FakeSidecar, socket_path: Path) -> None:
    core, bridge = _core(socket_path)
    session = await _started(fake, bridge)
    session.send(worker_error=bridge_pb2.WorkerError(message="namespace deleted", fatal=True))
    with pytest.raises(RuntimeError, match="namespace deleted"):
        await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    await session.next_request("drain")
    with pytest.raises(PollShutdownError):
        await asyncio.wait_for(bridge.poll_workflow_activation(), 5)
    await _shut_down(bridge)


# ---------------------------------------------------------------- through temporalio's Worker


@workflow.defn
class SleepingWorkflow:
    @workflow.signal
    def poke(self) -> None:
        pass

    @workflow.query
    def state(self) -> str:
        return "sleeping"

    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(timedelta(seconds=10))


@activity.defn
async def noop_activity() -> None:
    pass


@activity.defn(dynamic=True)
async def any_activity(args: Sequence[temporalio.common.RawValue]) -> None:
    pass


async def test_a_temporalio_worker_runs_on_the_fake_sidecar(
    fake: FakeSidecar, socket_path: Path, client: temporalio.client.Client
) -> None:
    """The plugin's swap, through temporalio's own Worker, sandbox included: a
    hand-made InitializeWorkflow comes back as the sandboxed workflow's StartTimer."""
    worker = temporalio.worker.Worker(
        client,
        task_queue="tq-fake",
        workflows=[SleepingWorkflow],
        activities=[noop_activity, any_activity],
        max_concurrent_activities=7,
        max_cached_workflows=10,
        identity="app-1",
        plugins=[SidecarPlugin(f"unix://{socket_path}")],
    )
    async with worker:
        session = await fake.next_session()
        reg = session.register
        assert reg.task_queue == "tq-fake" and reg.identity == "app-1" and reg.core_protocol_version == 1
        assert [w.name for w in reg.workflows] == ["SleepingWorkflow"]
        assert list(reg.workflows[0].signals) == ["poke"] and list(reg.workflows[0].queries) == ["state"]
        assert [a.name for a in reg.activities] == ["noop_activity"] and reg.dynamic_activity
        assert reg.capacity.activities == 7 and reg.capacity.workflow_activations == 100
        assert reg.sdk_name == "temporal-python"

        act = wa.WorkflowActivation(run_id=str(uuid.uuid4()))
        act.timestamp.GetCurrentTime()
        init = act.jobs.add().initialize_workflow
        init.workflow_type = "SleepingWorkflow"
        init.workflow_id = "wf-1"
        init.randomness_seed = 7
        init.first_execution_run_id = act.run_id
        session.send(core_workflow_activation=act.SerializeToString())
        sent = await session.next_request("core_workflow_completion", timeout=30)
        comp = wc.WorkflowActivationCompletion.FromString(sent.core_workflow_completion)
        assert comp.run_id == act.run_id
        assert [c.WhichOneof("variant") for c in comp.successful.commands] == ["start_timer"]
        assert comp.successful.commands[0].start_timer.start_to_fire_timeout.seconds == 10
    # Shut down through Drain; the run was evicted from temporalio's cache first.
    assert (await session.next_request("drain")) is not None
    await asyncio.wait_for(session.ended.wait(), 10)


def test_options_the_sidecar_owns_are_refused_or_kept(client: temporalio.client.Client) -> None:
    with pytest.raises(UnsupportedWorkerOption, match="--activities-per-second"):
        temporalio.worker.Worker(
            client,
            task_queue="tq",
            activities=[noop_activity],
            max_activities_per_second=5,
            plugins=[SidecarPlugin("unix:///nonexistent")],
        )


def test_unsupported_temporalio_is_refused_by_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    import temporalio.service

    monkeypatch.setattr(temporalio.service, "__version__", "1.29.0")
    with pytest.raises(UnsupportedTemporalioVersion, match="temporalio 1.29.0 is not supported"):
        SidecarPlugin()




@workflow.defn
class BigResultWorkflow:
    @workflow.run
    async def run(self) -> str:
        return "o" * 2048


async def test_a_patch_of_the_bridge_worker_made_before_run_stays(
    fake: FakeSidecar, socket_path: Path, client: temporalio.client.Client
) -> None:
    """temporalio's tests (and apps' instrumentation) wrap the bridge worker's
    methods before run(): the sidecar goes in under temporalio's wrapper, so a
    patched poll still runs, here failing the Worker as an sdk-core poll
    failure does."""
    worker = temporalio.worker.Worker(
        client,
        task_queue="tq-patched",
        workflows=[SleepingWorkflow],
        plugins=[SidecarPlugin(f"unix://{socket_path}")],
    )
    bridge = worker._bridge_worker
    original = bridge.poll_workflow_activation
    polls = 0

    async def failing_once() -> Any:
        nonlocal polls
        polls += 1
        if polls == 1:
            raise RuntimeError("OH NO")
        return await original()

    setattr(bridge, "poll_workflow_activation", failing_once)
    with pytest.raises(RuntimeError) as err:
        await asyncio.wait_for(worker.run(), 30)
    assert str(err.value) == "Workflow worker failed"
    assert str(err.value.__cause__) == "OH NO"
    assert worker._bridge_worker is bridge
    # It ran on the sidecar: registered, then drained at the failure.
    session = await fake.next_session()
    assert session.register.task_queue == "tq-patched"
    assert (await session.next_request("drain")) is not None
    assert polls >= 2  # after the failure, temporalio polled (through the patch) until shut down


def _run_in_forked_child(worker: temporalio.worker.Worker, conn: Any) -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(worker.run(), 20))
        conn.send(("ok", ""))
    except BaseException as err:  # noqa: BLE001 - reported to the parent
        conn.send((type(err).__name__, str(err)))
    finally:
        conn.close()


async def test_a_worker_used_across_a_fork_refuses(
    fake: FakeSidecar, socket_path: Path, client: temporalio.client.Client
) -> None:
    """A Worker built in one process and run in a forked child refuses as
    temporalio's does (its Rust worker is on the parent's runtime), instead of
    connecting to the sidecar from the child."""
    import multiprocessing

    worker = temporalio.worker.Worker(
        client,
        task_queue="tq-forked",
        activities=[noop_activity],
        plugins=[SidecarPlugin(f"unix://{socket_path}")],
    )
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run_in_forked_child, args=(worker, child), daemon=True)
    proc.start()
    child.close()
    try:
        got = await asyncio.get_running_loop().run_in_executor(None, lambda: parent.poll(30) and parent.recv())
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(10)
    assert got, "the forked child did not answer within 30s (did it run the worker?)"
    name, message = got
    assert name == "AssertionError" and "Cannot use worker across forks" in message, got
    assert fake.sessions.empty(), "the child connected to the sidecar"


async def test_payloads_over_the_clients_warn_size_log_sdk_cores_warning(
    fake: FakeSidecar, socket_path: Path, dev_server: Any
) -> None:
    """sdk-core warns ([TMPRL1103]) of a completion whose payloads exceed the
    client's payloads_warn_size, through the runtime's log forwarding; the
    sidecar uploads the completion, so the adapter does."""
    import logging

    import temporalio.runtime
    import temporalio.service

    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    forwarded = logging.getLogger(f"fwd-{uuid.uuid4()}")
    forwarded.addHandler(Capture())
    forwarded.setLevel(logging.INFO)
    runtime = temporalio.runtime.Runtime(
        telemetry=temporalio.runtime.TelemetryConfig(
            logging=temporalio.runtime.LoggingConfig(
                filter=temporalio.runtime.TelemetryFilter(core_level="WARN", other_level="ERROR"),
                forwarding=temporalio.runtime.LogForwardingConfig(logger=forwarded),
            )
        )
    )
    client = await temporalio.client.Client.connect(
        dev_server.address,
        runtime=runtime,
        payload_limits=temporalio.service.PayloadLimitsConfig(payloads_warn_size=1024),
    )
    worker = temporalio.worker.Worker(
        client, task_queue="tq-big", workflows=[BigResultWorkflow], plugins=[SidecarPlugin(f"unix://{socket_path}")]
    )
    async with worker:
        session = await fake.next_session()
        # temporalio's retired Rust worker is kept while the Worker runs: before
        # temporalio 1.35, dropping it stopped the runtime's log forwarding.
        core = worker._bridge_worker._ref
        assert isinstance(core, CoreWorker) and core._retired is not None
        act = wa.WorkflowActivation(run_id=str(uuid.uuid4()))
        act.timestamp.GetCurrentTime()
        init = act.jobs.add().initialize_workflow
        init.workflow_type = "BigResultWorkflow"
        init.workflow_id = "wf-big"
        init.randomness_seed = 7
        init.first_execution_run_id = act.run_id
        session.send(core_workflow_activation=act.SerializeToString())
        sent = await session.next_request("core_workflow_completion", timeout=30)
        comp = wc.WorkflowActivationCompletion.FromString(sent.core_workflow_completion)
        assert [c.WhichOneof("variant") for c in comp.successful.commands] == ["complete_workflow_execution"]
    warnings = [r for r in records if "[TMPRL1103]" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in records]
    w = warnings[0]
    assert w.levelno == logging.WARNING
    assert w.name == f"{forwarded.name}-sdk_core::temporalio_common::payload_limits"
    assert "[TMPRL1103] Attempted to upload payloads with size that exceeded the warning limit." in w.msg
    # The workflow result's Payloads as the server gets it: JSON "ooo…" with its encoding.
    assert getattr(w, "temporal_log").fields == {"size": 2080, "limit": 1024}


def test_payload_limits_measure_each_field_as_sdk_core_does() -> None:
    """Which fields count and how: a Payloads by its serialized size, a memo in
    the memo class, small completions skipped before any measuring."""
    from temporalio.api.common.v1 import Payload

    from temporal_sidecar.sdk._payload_limits import PayloadLimits

    got: list[tuple[str, int, int]] = []

    class Recording(PayloadLimits):
        def _warn(self, what: str, size: int, limit: int) -> None:
            got.append((what, size, limit))

    limits = Recording(payloads_warn_size=100, memo_warn_size=50, runtime=None)
    big = Payload(metadata={"encoding": b"binary/plain"}, data=b"x" * 200)
    comp = wc.WorkflowActivationCompletion(run_id="r")
    cmds = comp.successful.commands
    cmds.add().schedule_activity.arguments.append(big)
    can = cmds.add().continue_as_new_workflow_execution
    can.arguments.append(Payload(data=b"small"))
    can.memo["k"].CopyFrom(Payload(data=b"m" * 60))
    cmds.add().start_timer.seq = 1
    limits.workflow_completion(comp, comp.ByteSize())
    assert got == [
        ("payloads", temporalio.api.common.v1.Payloads(payloads=[big]).ByteSize(), 100),
        ("memo", temporalio.api.common.v1.Memo(fields={"k": Payload(data=b"m" * 60)}).ByteSize(), 50),
    ]
    got.clear()
    limits.workflow_completion(comp, 40)  # the whole completion is under every threshold
    assert got == []
    off = Recording(payloads_warn_size=0, memo_warn_size=0, runtime=None)
    off.workflow_completion(comp, comp.ByteSize())
    assert got == []

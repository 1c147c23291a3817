"""temporalio's own workers, unmodified, on the real sidecar (built from this
repository) against the dev server, through temporal_sidecar.sdk: the app's
Client reaches Temporal only through the sidecar's WorkflowService proxy, and
its Workers get sdk-core's activations and tasks from the sidecar's core
protocol. Histories replay in temporalio's own Replayer; a payload codec and
the OpenTelemetry interceptor work through it."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import dataclasses
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import temporalio.api.enums.v1
import temporalio.client
import temporalio.converter
import temporalio.service
import temporalio.worker
import temporalio.workflow
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.api.common.v1 import Payload
from temporalio.api.nexus.v1 import EndpointSpec, EndpointTarget
from temporalio.api.operatorservice.v1 import CreateNexusEndpointRequest
from temporalio.contrib.opentelemetry import TracingInterceptor

import sdk_workflows
from conftest import NAMESPACE, REPO_ROOT, DevServer, _free_port, _tail
from sdk_workflows import (
    Child,
    CurrentBuild,
    Drifting,
    DriftingFailsOnNondeterminism,
    EchoHandler,
    Everything,
    Hello,
    LocalOnly,
    WaitsForActivity,
)
from temporal_sidecar.sdk import SidecarPlugin
from temporal_sidecar.sdk._core_worker import CoreWorker

EventType = temporalio.api.enums.v1.EventType


@dataclass
class SidecarProcess:
    proc: subprocess.Popen[bytes]
    target: str
    log: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_sidecar(binary: Path, dev_server: DevServer, listen: str, log: Path, *extra: str) -> SidecarProcess:
    """A sidecar serving whatever task queues its apps register, with the
    WorkflowService proxy on its bridge listener."""
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [
                str(binary), "--address", dev_server.address, "--namespace", NAMESPACE,
                "--bridge-listen", listen, "--http-listen", "", "--workflow-service-proxy",
                "--log-level", "debug", *extra,
            ],
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    sc = SidecarProcess(proc=proc, target=listen.replace("unix:", "unix://", 1) if listen.startswith("unix:/") and not listen.startswith("unix://") else listen, log=log)
    deadline = time.monotonic() + 30
    while "sidecar ready" not in log.read_text(errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError(f"the sidecar exited with {proc.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            sc.stop()
            raise RuntimeError(f"the sidecar did not start within 30s:\n{_tail(log)}")
        time.sleep(0.02)
    return sc


@pytest.fixture(scope="module")
def sidecar(dev_server: DevServer, sidecar_binary: Path, work_dir: Path) -> Iterator[SidecarProcess]:
    sc = start_sidecar(
        sidecar_binary, dev_server, f"127.0.0.1:{_free_port()}", work_dir / f"sdk-sidecar-{uuid.uuid4().hex[:6]}.log"
    )
    yield sc
    sc.stop()


@pytest.fixture
async def app_client(sidecar: SidecarProcess) -> temporalio.client.Client:
    # The address is never dialled: the plugin points the client at the sidecar.
    return await temporalio.client.Client.connect(
        "temporal.invalid:7233", namespace=NAMESPACE, plugins=[SidecarPlugin(sidecar.target)]
    )


async def _eventually(check: object, what: str, timeout: float = 20) -> None:
    """Waits until the coroutine function ``check`` returns true."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _replay(client: temporalio.client.Client, workflow_id: str, workflows: Sequence[type]) -> list[EventType.ValueType]:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    result = await temporalio.worker.Replayer(workflows=workflows).replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"replay of {workflow_id} failed: {result.replay_failure}"
    return [e.event_type for e in history.events]


async def test_an_unmodified_worker_runs_everything_on_the_sidecar(
    app_client: temporalio.client.Client, client: temporalio.client.Client, sidecar: SidecarProcess
) -> None:
    tq = f"sdk-all-{uuid.uuid4().hex[:8]}"
    endpoint = f"ep-{uuid.uuid4().hex[:12]}"
    # Test setup with the dev server's operator API (not the app's).
    await client.operator_service.create_nexus_endpoint(
        CreateNexusEndpointRequest(
            spec=EndpointSpec(
                name=endpoint,
                target=EndpointTarget(worker=EndpointTarget.Worker(namespace=NAMESPACE, task_queue=tq)),
            )
        )
    )
    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        async with temporalio.worker.Worker(
            app_client,
            task_queue=tq,
            workflows=[Everything, Child],
            activities=[sdk_workflows.greet, sdk_workflows.flaky_with_progress, sdk_workflows.heartbeat_until_cancelled],
            nexus_service_handlers=[EchoHandler()],
            activity_executor=executor,
        ):
            wf_id = f"everything-{uuid.uuid4().hex[:8]}"
            handle = await app_client.start_workflow(Everything.run, endpoint, id=wf_id, task_queue=tq)
            await handle.signal(Everything.add, "first")
            await handle.signal(Everything.add, "second")

            async def both_seen() -> bool:
                return await handle.query(Everything.seen) == ["first", "second"]

            await _eventually(both_seen, "the query to see both signals")
            with pytest.raises(temporalio.client.WorkflowUpdateFailedError):
                await handle.execute_update(Everything.approve, "")
            assert await handle.execute_update(Everything.approve, "bob") == "approved by bob"
            result = await asyncio.wait_for(handle.result(), 60)

    assert result == {
        "patched": True,
        "activity": "hello remote",
        "local": "hello local",
        "child": "child c",
        "nexus": "echo n",
        "signals": ["first", "second"],
        "approved_by": "bob",
        "retried": "attempt 2 resumed from progress-1",
        "cancelled": "CancelledError",
    }
    # The history is the server's (read by the independent client), and
    # temporalio's own Replayer accepts it: the sidecar's commands, markers
    # and seeds are sdk-core's.
    events = await _replay(client, wf_id, [Everything, Child])
    for kind in (
        EventType.EVENT_TYPE_TIMER_FIRED,
        EventType.EVENT_TYPE_MARKER_RECORDED,  # the patch and the local activity
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
        EventType.EVENT_TYPE_NEXUS_OPERATION_COMPLETED,
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
        EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
    ):
        assert kind in events, EventType.Name(kind)
    await _replay(client, f"{wf_id}-child", [Child])


async def test_a_worker_without_a_cache_replays_every_task(
    app_client: temporalio.client.Client, client: temporalio.client.Client
) -> None:
    tq = f"sdk-nocache-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(
        app_client, task_queue=tq, workflows=[Hello], activities=[sdk_workflows.greet], max_cached_workflows=0
    ):
        wf_id = f"nocache-{uuid.uuid4().hex[:8]}"
        got = await asyncio.wait_for(app_client.execute_workflow(Hello.run, "ann", id=wf_id, task_queue=tq), 60)
    assert got == "hello ann/hello local"
    await _replay(client, wf_id, [Hello])


async def test_shutdown_lets_a_running_activity_finish(
    app_client: temporalio.client.Client, client: temporalio.client.Client
) -> None:
    tq = f"sdk-drain-{uuid.uuid4().hex[:8]}"
    worker = temporalio.worker.Worker(
        app_client,
        task_queue=tq,
        workflows=[WaitsForActivity],
        activities=[sdk_workflows.wait_for_release],
        graceful_shutdown_timeout=timedelta(seconds=20),
    )
    run = asyncio.create_task(worker.run())
    wf_id = f"drain-{uuid.uuid4().hex[:8]}"
    handle = await app_client.start_workflow(WaitsForActivity.run, id=wf_id, task_queue=tq)
    await asyncio.wait_for(sdk_workflows.started.wait(), 30)
    shutdown = asyncio.create_task(worker.shutdown())
    core = worker._bridge_worker._ref
    assert isinstance(core, CoreWorker)

    async def draining() -> bool:
        return bool(core._state()["stopping"])

    await _eventually(draining, "the worker to begin its shutdown")
    # The drain waits for the running activity.
    assert not shutdown.done() and not core._state()["drained"]
    sdk_workflows.release_activities()
    await asyncio.wait_for(shutdown, 30)
    await asyncio.wait_for(run, 5)
    assert worker.is_shutdown

    # The activity's result reached the server during the drain ...
    async def completed() -> bool:
        events = [e.event_type for e in (await handle.fetch_history()).events]
        return EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED in events

    await _eventually(completed, "the activity's completion in history")
    # ... and a new worker finishes the run.
    async with temporalio.worker.Worker(
        app_client, task_queue=tq, workflows=[WaitsForActivity], activities=[sdk_workflows.wait_for_release]
    ):
        assert await asyncio.wait_for(handle.result(), 60) == "finished after shutdown began"


class Base64Codec(temporalio.converter.PayloadCodec):
    """Wraps every payload, so history holds only the wrapped form."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": b"binary/test-b64"}, data=base64.b64encode(p.SerializeToString()))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            assert p.metadata["encoding"] == b"binary/test-b64", p.metadata
            out.append(Payload.FromString(base64.b64decode(p.data)))
        return out


async def test_codec_and_opentelemetry_work_through_the_sidecar(
    sidecar: SidecarProcess, client: temporalio.client.Client
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = await temporalio.client.Client.connect(
        "temporal.invalid:7233",
        namespace=NAMESPACE,
        plugins=[SidecarPlugin(sidecar.target)],
        data_converter=dataclasses.replace(temporalio.converter.default(), payload_codec=Base64Codec()),
        interceptors=[TracingInterceptor(provider.get_tracer("sdk-e2e"))],
    )
    tq = f"sdk-otel-{uuid.uuid4().hex[:8]}"
    wf_id = f"otel-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(app, task_queue=tq, workflows=[Hello], activities=[sdk_workflows.greet]):
        got = await asyncio.wait_for(app.execute_workflow(Hello.run, "otto", id=wf_id, task_queue=tq), 60)
    assert got == "hello otto/hello local"

    # The server holds only encoded payloads (read with the plain client).
    history = await client.get_workflow_handle(wf_id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert started.input.payloads[0].metadata["encoding"] == b"binary/test-b64"
    completed = history.events[-1].workflow_execution_completed_event_attributes
    assert completed.result.payloads[0].metadata["encoding"] == b"binary/test-b64"

    # One trace from the client's start to the activity, carried in headers
    # through the sidecar both ways.
    spans: Sequence[ReadableSpan] = exporter.get_finished_spans()
    names = {s.name for s in spans}
    for name in ("StartWorkflow:Hello", "RunWorkflow:Hello", "StartActivity:greet", "RunActivity:greet"):
        assert name in names, sorted(names)
    start = next(s for s in spans if s.name == "StartWorkflow:Hello")
    run_activity = next(s for s in spans if s.name == "RunActivity:greet")
    assert start.context is not None and run_activity.context is not None
    assert run_activity.context.trace_id == start.context.trace_id


async def test_an_unedited_app_runs_on_the_sidecar(
    dev_server: DevServer, sidecar_binary: Path, work_dir: Path, tmp_path: Path
) -> None:
    """python -m temporal_sidecar.sdk run app.py: the app's own
    Client.connect names an address where nothing listens; it works only if
    the client and the worker both go through the sidecar (here on a unix socket)."""
    sock = work_dir / f"z{uuid.uuid4().hex[:6]}.sock"
    sc = start_sidecar(sidecar_binary, dev_server, f"unix:{sock}", work_dir / f"sdk-zero-{sock.stem}.log")
    try:
        app = tmp_path / "hello_app.py"
        app.write_text(
            textwrap.dedent(
                """
                import asyncio, sys, uuid
                from datetime import timedelta
                from temporalio import activity, workflow
                from temporalio.client import Client
                from temporalio.worker import Worker

                @activity.defn
                async def say_hello(name: str) -> str:
                    return f"Hello, {name}!"

                @workflow.defn
                class GreetingWorkflow:
                    @workflow.run
                    async def run(self, name: str) -> str:
                        return await workflow.execute_activity(
                            say_hello, name, start_to_close_timeout=timedelta(seconds=10)
                        )

                async def main() -> None:
                    client = await Client.connect("127.0.0.1:1")
                    tq = "hello-" + uuid.uuid4().hex[:8]
                    async with Worker(client, task_queue=tq, workflows=[GreetingWorkflow], activities=[say_hello]):
                        result = await client.execute_workflow(
                            GreetingWorkflow.run, sys.argv[1], id="hello-" + tq, task_queue=tq
                        )
                    print("RESULT", result)

                if __name__ == "__main__":
                    asyncio.run(main())
                """
            )
        )
        env = dict(os.environ, TEMPORAL_SIDECAR_ADDRESS=f"unix://{sock}")
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "clients" / "python" / "src"), env.get("PYTHONPATH", "")])
        res = await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: subprocess.run(
                [sys.executable, "-m", "temporal_sidecar.sdk", "run", str(app), "Zed"],
                env=env,
                capture_output=True,
                text=True,
                timeout=90,
            ),
        )
        assert res.returncode == 0, f"{res.stdout}\n{res.stderr}"
        assert "RESULT Hello, Zed!" in res.stdout, res.stdout + res.stderr
        running = temporalio.service.__version__
        assert f"temporalio {running} (supported: 1.31.0 to 1.35.x) on sidecar" in res.stderr, res.stderr
    finally:
        sc.stop()


async def test_a_refused_registration_fails_the_worker_at_start(
    app_client: temporalio.client.Client,
) -> None:
    # The sidecar serves one namespace; a client of another is refused by name.
    other = await temporalio.client.Client.connect(
        "temporal.invalid:7233",
        namespace="not-the-sidecars",
        plugins=[p for p in app_client.config()["plugins"] if isinstance(p, SidecarPlugin)],
    )
    worker = temporalio.worker.Worker(other, task_queue="refused", activities=[sdk_workflows.greet])
    with pytest.raises(RuntimeError, match="not-the-sidecars") as err:
        await asyncio.wait_for(worker.run(), 30)
    # sdk-core's shape for a worker that cannot start (temporalio's test_worker_validate_fail).
    assert str(err.value).startswith("Worker validation failed: ")
    assert worker.is_shutdown




async def test_process_pool_activities_across_workers(sidecar: SidecarProcess, tmp_path: Path) -> None:
    """Synchronous activities in a forking ProcessPoolExecutor, with a second
    Worker after the first: gRPC's fork handlers would kill the children
    (the adapter turns them off when it is imported before grpc, as
    ``python -m temporal_sidecar.sdk run`` does)."""
    app = tmp_path / "proc_app.py"
    app.write_text(
        textwrap.dedent(
            """
            import asyncio, concurrent.futures, multiprocessing, uuid
            from datetime import timedelta
            from temporalio import activity, workflow
            from temporalio.client import Client
            from temporalio.worker import SharedStateManager, Worker

            @activity.defn
            def double(x: int) -> int:
                activity.heartbeat()
                return 2 * x

            @workflow.defn
            class Sum:
                @workflow.run
                async def run(self) -> int:
                    total = 0
                    for i in range(3):
                        total += await workflow.execute_activity(
                            double, i, start_to_close_timeout=timedelta(seconds=20),
                            heartbeat_timeout=timedelta(seconds=10),
                        )
                    return total

            async def main() -> None:
                client = await Client.connect("127.0.0.1:1")
                tq = "proc-" + uuid.uuid4().hex[:8]
                for n in range(2):
                    with concurrent.futures.ProcessPoolExecutor(2) as executor:
                        async with Worker(
                            client, task_queue=tq, workflows=[Sum], activities=[double],
                            activity_executor=executor, max_concurrent_activities=2,
                            shared_state_manager=SharedStateManager.create_from_multiprocessing(
                                multiprocessing.Manager()
                            ),
                        ):
                            print("RESULT", await client.execute_workflow(Sum.run, id=f"{tq}-{n}", task_queue=tq))

            if __name__ == "__main__":
                asyncio.run(main())
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"}
    env["TEMPORAL_SIDECAR_ADDRESS"] = sidecar.target
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT / "clients" / "python" / "src"), env.get("PYTHONPATH", "")])
    res = await asyncio.get_running_loop().run_in_executor(
        None,
        lambda: subprocess.run(
            [sys.executable, "-m", "temporal_sidecar.sdk", "run", str(app)],
            env=env, capture_output=True, text=True, timeout=120,
        ),
    )  # fmt: skip
    assert res.returncode == 0, f"{res.stdout}\n{res.stderr}"
    assert res.stdout.count("RESULT 6") == 2, res.stdout + res.stderr


@pytest.mark.parametrize(
    "workflow_cls, worker_types",
    [
        (Drifting, [temporalio.workflow.NondeterminismError]),  # the Worker's workflow_failure_exception_types
        (DriftingFailsOnNondeterminism, []),  # the workflow's failure_exception_types
        (Drifting, []),  # neither: the task fails and is retried
    ],
)
async def test_nondeterminism_fails_the_workflow_where_temporalio_is_told_so(
    app_client: temporalio.client.Client,
    client: temporalio.client.Client,
    workflow_cls: type[Drifting],
    worker_types: list[type[BaseException]],
) -> None:
    tq = f"sdk-nd-{uuid.uuid4().hex[:8]}"
    fails_workflow = bool(worker_types) or workflow_cls is DriftingFailsOnNondeterminism
    async with temporalio.worker.Worker(
        app_client, task_queue=tq, workflows=[workflow_cls], max_cached_workflows=0,
        workflow_failure_exception_types=worker_types,
    ):
        handle = await app_client.start_workflow(workflow_cls.run, id=f"nd-{uuid.uuid4().hex[:8]}", task_queue=tq)
        if fails_workflow:
            with pytest.raises(temporalio.client.WorkflowFailureError) as err:
                await asyncio.wait_for(handle.result(), 60)
            assert "[TMPRL1100] Nondeterminism error" in str(err.value.cause)
            return

        async def task_failed_for_nondeterminism() -> bool:
            async for e in handle.fetch_history_events():
                if e.HasField("workflow_task_failed_event_attributes"):
                    return "[TMPRL1100] Nondeterminism error" in e.workflow_task_failed_event_attributes.failure.message
            return False

        await _eventually(task_failed_for_nondeterminism, "a workflow task failed for nondeterminism")
        await handle.terminate("test over")


async def test_a_worker_with_no_remote_activities_runs_its_local_ones(app_client: temporalio.client.Client) -> None:
    tq = f"sdk-localonly-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(
        app_client, task_queue=tq, workflows=[LocalOnly], activities=[sdk_workflows.greet], no_remote_activities=True
    ):
        got = await asyncio.wait_for(
            app_client.execute_workflow(LocalOnly.run, "lou", id=f"localonly-{uuid.uuid4().hex[:8]}", task_queue=tq), 60
        )
    assert got == "hello lou"


async def test_workers_of_two_deployment_versions_each_run_their_own(app_client: temporalio.client.Client) -> None:
    """Each Worker's deployment_config is its own on the sidecar, as natively:
    two versioned Workers of one queue poll as their versions, and each new
    run goes to the version the deployment makes current."""
    from temporalio.api.workflowservice.v1 import SetWorkerDeploymentCurrentVersionRequest
    from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
    from temporalio.worker import WorkerDeploymentConfig

    tq, name = f"sdk-versions-{uuid.uuid4().hex[:8]}", f"deploy-{uuid.uuid4().hex[:8]}"

    def worker(build: str) -> temporalio.worker.Worker:
        return temporalio.worker.Worker(
            app_client,
            task_queue=tq,
            workflows=[CurrentBuild],
            deployment_config=WorkerDeploymentConfig(
                version=WorkerDeploymentVersion(deployment_name=name, build_id=build),
                use_worker_versioning=True,
                default_versioning_behavior=VersioningBehavior.PINNED,
            ),
        )

    async def make_current(build: str) -> bool:
        # The server knows a version once its Worker has polled.
        try:
            await app_client.workflow_service.set_worker_deployment_current_version(
                SetWorkerDeploymentCurrentVersionRequest(namespace=NAMESPACE, deployment_name=name, build_id=build)
            )
        except temporalio.service.RPCError:
            return False
        return True

    async with worker("1.0"), worker("2.0"):
        for build in ("1.0", "2.0"):
            await _eventually(lambda: make_current(build), f"version {build} made current")
            got = await asyncio.wait_for(
                app_client.execute_workflow(CurrentBuild.run, id=f"versions-{uuid.uuid4().hex[:8]}", task_queue=tq), 60
            )
            assert got == f"{name}.{build}"


async def test_a_zero_duration_timer_fires(
    app_client: temporalio.client.Client, client: temporalio.client.Client
) -> None:
    # temporalio's test_concurrent_sleeps_use_proper_options: the sidecar used
    # to refuse a StartTimer of 0s as malformed, and the workflow never finished.
    tq = f"sdk-zero-{uuid.uuid4().hex[:8]}"
    async with temporalio.worker.Worker(app_client, task_queue=tq, workflows=[sdk_workflows.ZeroSleep]):
        wf_id = f"zero-{uuid.uuid4().hex[:8]}"
        got = await asyncio.wait_for(
            app_client.execute_workflow(sdk_workflows.ZeroSleep.run, id=wf_id, task_queue=tq), 30
        )
    assert got == "woke"
    history = await client.get_workflow_handle(wf_id).fetch_history()
    started = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED]
    summaries = [temporalio.converter.PayloadConverter.default.from_payload(e.user_metadata.summary) for e in started]
    assert summaries == ["zero", "ten"]
    assert started[0].timer_started_event_attributes.start_to_fire_timeout.ToTimedelta() == timedelta(0)
    await _replay(client, wf_id, [sdk_workflows.ZeroSleep])

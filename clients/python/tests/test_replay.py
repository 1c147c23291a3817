"""The Replayer against a real sidecar: a history recorded by Temporal's
Python SDK (checked in beside the Go tests that replay it too) replays
against the same workflow written for this package, and what cannot be
replayed fails with a message that says why."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import grpc.aio
import pytest

from conftest import REPO_ROOT, DevServer, Sidecar
from temporal_sidecar import workflow
from temporal_sidecar.client import WorkflowHistory
from temporal_sidecar.connection import Connection
from temporal_sidecar.exceptions import FatalWorkerError
from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2, bridge_pb2_grpc
from temporal_sidecar.worker import Replayer

# Recorded by internal/worker/testdata/temporalio_patched.py with temporalio:
# a timer, then patched("use-greeting-v2") and the activity greet_v2.
RECORDED = REPO_ROOT / "internal" / "worker" / "testdata" / "temporalio_patched.json"


@workflow.defn(name="PatchedGreeting")
class PatchedGreeting:
    """temporalio_patched.py's workflow, written for this package."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(milliseconds=100))
        if workflow.patched("use-greeting-v2"):
            result: str = await workflow.execute_activity(
                "greet_v2", name, start_to_close_timeout=timedelta(seconds=10)
            )
            return result
        return "old path"


@workflow.defn(name="PatchedGreeting")
class BeforeThePatch:
    """The code the patch replaced: it never runs the activity."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(milliseconds=100))
        return "old path"


@workflow.defn(name="PatchedGreeting")
class Crashing:
    """Code with a bug: the workflow task fails, the replay with it."""

    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(milliseconds=100))
        raise RuntimeError("a bug in the new code")


@workflow.defn(name="SomethingElse")
class SomethingElse:
    @workflow.run
    async def run(self) -> None:
        return None


def recorded() -> WorkflowHistory:
    return WorkflowHistory.from_json("patched-rec", RECORDED.read_text())


@pytest.fixture(scope="module")
def replay_sidecar(dev_server: DevServer, sidecar_binary: Path, work_dir: Path) -> Iterator[Sidecar]:
    """One sidecar for every replay here: a replay needs a sidecar, not a
    task queue of its own."""
    name = uuid.uuid4().hex[:10]
    sc = Sidecar(
        binary=sidecar_binary,
        frontend=dev_server.address,
        task_queue=f"replayer-{name}",
        socket_path=work_dir / f"{name}.sock",
        log=work_dir / f"sidecar-{name}.log",
    )
    sc.start()
    yield sc
    sc.stop()


async def test_history_recorded_by_temporalio_replays(replay_sidecar: Sidecar) -> None:
    replayer = Replayer(replay_sidecar.target, workflows=[PatchedGreeting])
    result = await asyncio.wait_for(replayer.replay_workflow(recorded()), 30)
    assert result.replay_failure is None
    assert result.history.run_id == json.loads(RECORDED.read_text())["events"][0][
        "workflowExecutionStartedEventAttributes"]["originalExecutionRunId"]  # fmt: skip


def _history(events: list[dict[str, Any]]) -> WorkflowHistory:
    return WorkflowHistory.from_json("bad", {"events": events})


@pytest.mark.parametrize(
    ("workflows", "history", "error", "message"),
    [
        pytest.param(
            [BeforeThePatch], recorded, workflow.NondeterminismError,
            "the workflow issued CompleteWorkflowExecution (seq 0), but history has MarkerRecorded (event 10)",
            id="code from before the patch is nondeterministic",
        ),
        pytest.param(
            [Crashing], recorded, RuntimeError,
            "WORKFLOW_TASK_FAILED: the app failed the activation: a bug in the new code",
            id="workflow code that raises fails the replay",
        ),
        pytest.param(
            [SomethingElse], recorded, RuntimeError,
            'WORKFLOW_TYPE_NOT_REGISTERED: the history is of workflow type "PatchedGreeting", which this session did not register',
            id="a workflow type the replayer lacks",
        ),
        pytest.param(
            [PatchedGreeting], lambda: _history([]), RuntimeError,
            "INVALID_HISTORY: the history has no events", id="an empty history",
        ),
        pytest.param(
            [PatchedGreeting], lambda: _history([{"eventId": "one"}]), RuntimeError,
            "INVALID_HISTORY: replay_history.history.json is not a Temporal history export", id="events that do not parse",
        ),
    ],
)  # fmt: skip
async def test_what_cannot_be_replayed_says_why(
    replay_sidecar: Sidecar, workflows: list[type], history: Any, error: type[Exception], message: str
) -> None:
    async with await Connection.connect(replay_sidecar.target) as conn:
        replayer = Replayer(conn, workflows=workflows)
        h: WorkflowHistory = history()
        result = await asyncio.wait_for(replayer.replay_workflow(h, raise_on_replay_failure=False), 30)
        assert isinstance(result.replay_failure, error), result.replay_failure
        assert message in str(result.replay_failure)
        with pytest.raises(error) as raised:  # the default: raise the failure
            await asyncio.wait_for(replayer.replay_workflow(h), 30)
        assert message in str(raised.value)


async def test_replay_workflows_collects_failures_by_run_id(replay_sidecar: Sidecar) -> None:
    async def histories() -> AsyncIterator[WorkflowHistory]:
        yield recorded()
        yield _history([])

    good = Replayer(replay_sidecar.target, workflows=[PatchedGreeting])
    results = await asyncio.wait_for(good.replay_workflows(histories(), raise_on_replay_failure=False), 30)
    assert list(results.replay_failures) == [""], results.replay_failures  # only the empty one, which has no run id
    bad = Replayer(replay_sidecar.target, workflows=[BeforeThePatch])
    results = await asyncio.wait_for(bad.replay_workflows([recorded()], raise_on_replay_failure=False), 30)
    assert isinstance(results.replay_failures[recorded().run_id], workflow.NondeterminismError)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{not json", "Expecting property name", id="not JSON"),
        pytest.param('{"history": []}', 'a history export is a JSON object {"events": [...]}', id="no events list"),
    ],
)
def test_from_json_refuses_what_is_not_a_history_export(text: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        WorkflowHistory.from_json("w", text)
    assert message in str(raised.value)


class _SidecarWithoutReplay(bridge_pb2_grpc.BridgeServiceServicer):
    """A sidecar from before replay: it accepts any registration (an unknown
    replay_only field is dropped) and would send the session live tasks. The
    current sidecar cannot play it, hence this stand-in."""

    async def Connect(
        self, request_iterator: AsyncIterator[bridge_pb2.ConnectRequest], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[bridge_pb2.ConnectResponse]:
        async for req in request_iterator:
            kind = req.WhichOneof("message")
            if kind == "register":
                yield bridge_pb2.ConnectResponse(
                    registered=bridge_pb2.Registered(protocol_version=1, session_id="old", sidecar_version="v0.0.1")
                )
            elif kind == "drain":
                yield bridge_pb2.ConnectResponse(drained=bridge_pb2.Drained())
                return


async def test_a_sidecar_that_cannot_replay_is_left_at_once() -> None:
    server = grpc.aio.server()
    bridge_pb2_grpc.add_BridgeServiceServicer_to_server(_SidecarWithoutReplay(), server)

    async def serving(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        return b"\x08\x01"  # grpc.health.v1.HealthCheckResponse{status: SERVING}, checked on connect

    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(serving, request_deserializer=bytes, response_serializer=bytes),
    }),))  # fmt: skip
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        replayer = Replayer(f"127.0.0.1:{port}", workflows=[PatchedGreeting])
        with pytest.raises(FatalWorkerError) as raised:
            await asyncio.wait_for(replayer.replay_workflow(recorded()), 30)
        assert "cannot replay histories: use a sidecar whose capabilities include replay" in str(raised.value)
    finally:
        await server.stop(None)

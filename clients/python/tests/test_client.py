"""The Client over the sidecar's ClientService: errors mapped the way
temporalio maps them, policies, describe, and payload codecs (which the
Worker applies to activations and completions as well)."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
import temporalio.api.enums.v1

from conftest import WfEnv, WfEnvFactory
from temporal_sidecar.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WithStartWorkflowOperation,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateStage,
)
from temporal_sidecar.common import QueryRejectCondition, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporal_sidecar.connection import Connection
from temporal_sidecar.converter import DataConverter, PayloadCodec
from temporal_sidecar.exceptions import TimeoutError, WorkflowAlreadyStartedError
from temporal_sidecar.proto.sidecar.bridge.v1 import client_pb2, client_pb2_grpc, common_pb2
from temporal_sidecar.service import RPCError, RPCStatusCode
from temporal_sidecar.worker import Worker
from wf_defs import ACTIVITIES, WORKFLOWS, Cancellable, GreetingWorkflow, SignalsQueriesUpdates

TIMEOUT = 30.0


def wid() -> str:
    return f"wf-{uuid.uuid4().hex[:12]}"


async def test_client_errors_policies_and_describe(wf_env: WfEnv) -> None:
    env = wf_env
    client = env.client
    async with Worker(env.connection, task_queue=env.task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        id = wid()
        first = await client.start_workflow(Cancellable.run, False, id=id, static_summary="waits")
        # The same id again: temporalio's error, with the running run's id.
        with pytest.raises(WorkflowAlreadyStartedError) as err:
            await client.start_workflow(Cancellable.run, False, id=id)
        assert err.value.workflow_id == id and err.value.workflow_type == "Cancellable"
        assert err.value.run_id == first.result_run_id
        # ... unless the conflict policy says to use the running one.
        same = await client.start_workflow(
            Cancellable.run, False, id=id, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
        )
        assert same.result_run_id == first.result_run_id

        d = await first.describe()
        assert d.id == id and d.run_id == first.result_run_id and d.workflow_type == "Cancellable"
        assert d.status == WorkflowExecutionStatus.RUNNING and d.task_queue == env.task_queue
        assert d.start_time is not None and d.close_time is None and d.history_length > 0
        await first.terminate("detail", reason="enough")
        with pytest.raises(WorkflowFailureError):
            await asyncio.wait_for(first.result(), TIMEOUT)
        assert (await first.describe()).status == WorkflowExecutionStatus.TERMINATED

        # A closed id cannot be reused under REJECT_DUPLICATE.
        with pytest.raises(WorkflowAlreadyStartedError):
            await client.start_workflow(
                Cancellable.run, False, id=id, id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE
            )

        # Unknown workflows are NOT_FOUND.
        with pytest.raises(RPCError) as rpc:
            await client.get_workflow_handle("no-such-workflow").describe()
        assert rpc.value.status == RPCStatusCode.NOT_FOUND

        # A query on a closed workflow with a reject condition is refused, not run.
        done = await client.start_workflow(
            SignalsQueriesUpdates.run, "", id=wid(), start_signal="finish"
        )
        assert await asyncio.wait_for(done.result(), TIMEOUT) == []
        with pytest.raises(WorkflowQueryRejectedError) as rejected:
            await done.query(SignalsQueriesUpdates.count, reject_condition=QueryRejectCondition.NOT_OPEN)
        assert rejected.value.status == WorkflowExecutionStatus.COMPLETED
        assert await done.query(SignalsQueriesUpdates.count) == 0  # without one it is answered

        # A run timeout surfaces as a TimeoutError cause.
        slow = await client.start_workflow(Cancellable.run, False, id=wid(), run_timeout=timedelta(seconds=1))
        with pytest.raises(WorkflowFailureError) as timed_out:
            await asyncio.wait_for(slow.result(), TIMEOUT)
        assert isinstance(timed_out.value.cause, TimeoutError)

        # A handle typed by the run method decodes into its return type.
        typed = client.get_workflow_handle_for(GreetingWorkflow.run, id)
        assert typed.id == id and typed.run_id is None


class Base64Codec(PayloadCodec):
    """Wraps each payload, as an encryption codec would."""

    async def encode(self, payloads: Sequence[common_pb2.Payload]) -> list[common_pb2.Payload]:
        return [
            common_pb2.Payload(
                metadata={"encoding": b"binary/test-codec"}, data=base64.b64encode(p.SerializeToString())
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[common_pb2.Payload]) -> list[common_pb2.Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != b"binary/test-codec":
                out.append(p)
                continue
            inner = common_pb2.Payload()
            inner.ParseFromString(base64.b64decode(p.data))
            out.append(inner)
        return out


async def test_payload_codec_applies_to_workflows_activities_and_the_client(wf_env_factory: WfEnvFactory) -> None:
    dc = DataConverter(payload_codec=Base64Codec())
    async with wf_env_factory() as env:
        conn = await Connection.connect(env.sidecar.target, data_converter=dc)
        try:
            client = Client(conn)
            async with Worker(conn, task_queue=env.task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
                id = wid()
                assert await asyncio.wait_for(client.execute_workflow(GreetingWorkflow.run, "codec", id=id), TIMEOUT) == (
                    "Hello, codec!"
                )
                h = await client.start_workflow(SignalsQueriesUpdates.run, "", id=wid())
                await h.signal(SignalsQueriesUpdates.add, "x")
                assert await h.query(SignalsQueriesUpdates.count) == 1
                assert await h.execute_update(SignalsQueriesUpdates.add_checked, "y") == 2
                await h.signal("finish")
                assert await asyncio.wait_for(h.result(), TIMEOUT) == ["x", "y"]
            # What the server stored is encoded: arguments, activity input and result, workflow result.
            EventType = temporalio.api.enums.v1.EventType
            events = (await env.temporal.get_workflow_handle(id).fetch_history()).events
            payloads: list[Any] = []
            for e in events:
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                    payloads += e.workflow_execution_started_event_attributes.input.payloads
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                    payloads += e.activity_task_scheduled_event_attributes.input.payloads
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                    payloads += e.activity_task_completed_event_attributes.result.payloads
                if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
                    payloads += e.workflow_execution_completed_event_attributes.result.payloads
            assert len(payloads) == 4
            assert all(p.metadata["encoding"] == b"binary/test-codec" for p in payloads)
        finally:
            await conn.close()


async def test_retried_requests_have_one_effect(wf_env: WfEnv) -> None:
    """The same request id starts one run, the same signal request id delivers
    one signal, and the same update id runs the update once, however often the
    call is repeated (as a client retrying after a lost answer does)."""
    env = wf_env
    stub = client_pb2_grpc.ClientServiceStub(env.connection.channel)  # type: ignore[no-untyped-call]
    conv = env.client.data_converter.payload_converter
    async with Worker(env.connection, task_queue=env.task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        id = wid()
        opts = client_pb2.WorkflowOptions(
            workflow_id=id, workflow_type="SignalsQueriesUpdates", task_queue=env.task_queue,
            args=conv.to_payloads([""]), request_id="start-once",
            id_conflict_policy=common_pb2.WORKFLOW_ID_CONFLICT_POLICY_FAIL)
        first = await stub.StartWorkflow(client_pb2.StartWorkflowRequest(options=opts))
        again = await stub.StartWorkflow(client_pb2.StartWorkflowRequest(options=opts))
        assert again.run_id == first.run_id  # not ALREADY_EXISTS: it is the same request

        execution = common_pb2.WorkflowExecution(workflow_id=id)
        signal = client_pb2.SignalWorkflowRequest(
            execution=execution, signal_name="add", args=conv.to_payloads(["s"]), request_id="signal-once")
        await stub.SignalWorkflow(signal)
        await stub.SignalWorkflow(signal)

        update = client_pb2.UpdateWorkflowRequest(
            execution=execution, update_name="add_checked", args=conv.to_payloads(["u"]), update_id="update-once")
        u1 = await stub.UpdateWorkflow(update)
        u2 = await stub.UpdateWorkflow(update)
        assert u1.update_id == u2.update_id == "update-once"
        assert conv.from_payloads(u1.success.payloads)[0] == conv.from_payloads(u2.success.payloads)[0] == 2

        handle = env.client.get_workflow_handle(id)
        assert await handle.query(SignalsQueriesUpdates.count) == 2  # one signal, one update
        await handle.signal("finish")
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == ["s", "u"]


async def test_update_with_start(wf_env: WfEnv) -> None:
    """Update-with-start as temporalio offers it: the first call starts the
    workflow and updates it, the next (USE_EXISTING) only updates the open
    run, and the start operation's handle waits for the workflow's result."""
    env = wf_env
    client = env.client
    async with Worker(env.connection, task_queue=env.task_queue, workflows=WORKFLOWS, activities=ACTIVITIES):
        id = wid()

        def start_op() -> WithStartWorkflowOperation[Any, list[str]]:
            return WithStartWorkflowOperation(
                SignalsQueriesUpdates.run, "-", id=id, id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING
            )

        op = start_op()
        assert await client.execute_update_with_start_workflow(
            SignalsQueriesUpdates.add_checked, "a", start_workflow_operation=op
        ) == 1
        handle = await op.workflow_handle()
        assert handle.id == id and handle.first_execution_run_id == handle.result_run_id is not None
        with pytest.raises(RuntimeError, match="cannot be reused"):
            await client.execute_update_with_start_workflow(
                SignalsQueriesUpdates.add_checked, "x", start_workflow_operation=op
            )

        # The open run is updated, not started again.
        op2 = start_op()
        uh = await client.start_update_with_start_workflow(
            SignalsQueriesUpdates.add_checked,
            "b",
            start_workflow_operation=op2,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
            id="second-update",
        )
        assert uh.id == "second-update" and uh.workflow_run_id == handle.result_run_id
        assert await uh.result() == 2
        handle2 = await op2.workflow_handle()
        assert handle2.result_run_id == handle.result_run_id and handle2.first_execution_run_id is None

        # A validator's rejection is the update's failure; the run is there.
        with pytest.raises(WorkflowUpdateFailedError):
            await client.execute_update_with_start_workflow(
                SignalsQueriesUpdates.add_checked, "", start_workflow_operation=start_op()
            )

        # FAIL on an open run: temporalio's error, from the call and from the handle.
        op3: WithStartWorkflowOperation[Any, list[str]] = WithStartWorkflowOperation(
            SignalsQueriesUpdates.run, "-", id=id, id_conflict_policy=WorkflowIDConflictPolicy.FAIL
        )
        with pytest.raises(WorkflowAlreadyStartedError) as err:
            await client.execute_update_with_start_workflow(
                SignalsQueriesUpdates.add_checked, "c", start_workflow_operation=op3
            )
        assert err.value.run_id == handle.result_run_id
        with pytest.raises(WorkflowAlreadyStartedError):
            await op3.workflow_handle()
        with pytest.raises(ValueError, match="WorkflowIDConflictPolicy is required"):
            WithStartWorkflowOperation(SignalsQueriesUpdates.run, "-", id=id, id_conflict_policy=WorkflowIDConflictPolicy.UNSPECIFIED)

        await handle.signal("finish")
        assert await asyncio.wait_for(handle.result(), TIMEOUT) == ["-a", "-b"]

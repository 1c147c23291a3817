"""Workflows the independent driver (the official temporalio SDK) runs.

They call activities by name; the activities run in the sidecar-side Python
worker under test. This module is imported into temporalio's workflow sandbox,
so it holds only workflow code and plain data types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError

with workflow.unsafe.imports_passed_through():
    from temporalio.api.common.v1 import WorkflowExecution as ProtoExecution


@dataclass
class Person:
    name: str
    age: int
    tags: list[str] = field(default_factory=list)


@dataclass
class Call:
    """Which activity to call and how."""

    activity: str
    args: list[Any] = field(default_factory=list)
    # A name in RESULT_TYPES: the workflow decodes the result into that type
    # and fails unless it got one.
    result_type: str | None = None
    # Append a protobuf message (the workflow's own execution) to the arguments.
    proto_arg: bool = False
    start_to_close_seconds: float = 30
    heartbeat_timeout_seconds: float | None = None
    maximum_attempts: int = 1
    # Wait for the cancel_activity signal, then cancel the activity and return
    # "cancelled" if it reported cancellation.
    cancel_on_signal: bool = False


RESULT_TYPES: dict[str, type] = {"Person": Person, "bytes": bytes, "ProtoExecution": ProtoExecution}


@workflow.defn
class CallActivity:
    def __init__(self) -> None:
        self._cancel = False

    @workflow.signal
    def cancel_activity(self) -> None:
        self._cancel = True

    @workflow.run
    async def run(self, call: Call) -> Any:
        args = list(call.args)
        if call.proto_arg:
            info = workflow.info()
            args.append(ProtoExecution(workflow_id=info.workflow_id, run_id=info.run_id))
        expected = RESULT_TYPES[call.result_type] if call.result_type else None
        handle = workflow.start_activity(
            call.activity,
            args=args,
            result_type=expected,
            start_to_close_timeout=timedelta(seconds=call.start_to_close_seconds),
            heartbeat_timeout=timedelta(seconds=call.heartbeat_timeout_seconds)
            if call.heartbeat_timeout_seconds
            else None,
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=100), maximum_attempts=call.maximum_attempts),
            cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        )
        if call.cancel_on_signal:
            await workflow.wait_condition(lambda: self._cancel or handle.done())
            if not handle.done():
                handle.cancel()
            try:
                return await handle
            except ActivityError as err:
                if isinstance(err.cause, CancelledError):
                    return "cancelled"
                raise
        result = await handle
        if expected is not None and not isinstance(result, expected):
            raise ApplicationError(f"expected {expected.__name__}, got {type(result).__name__}", non_retryable=True)
        return result


WORKFLOWS: list[type] = [CallActivity]

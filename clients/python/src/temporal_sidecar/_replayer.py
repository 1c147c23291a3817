"""Replaying recorded histories against workflow code, shaped like
:py:class:`temporalio.worker.Replayer`.

::

    replayer = Replayer("unix:///run/sidecar.sock", workflows=[OrderWorkflow])
    await replayer.replay_workflow(WorkflowHistory.from_json("order-1", text))

The sidecar does the replaying, as it does for a run that is not in its
cache: it turns the history into activations, this process runs them
through the workflow code, and the sidecar checks the commands the code
issues against the events the history records. A replay opens its own
session with the sidecar, registered ``replay_only``: it takes no live tasks,
and the histories' runs never meet the live runs of any worker.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from temporal_sidecar import workflow as _workflow
from temporal_sidecar.client import Client, WorkflowHistory
from temporal_sidecar.connection import Connection
from temporal_sidecar.proto.sidecar.bridge.v1 import history_pb2

if TYPE_CHECKING:
    from temporal_sidecar.worker import Worker

__all__ = ["Replayer", "WorkflowReplayResult", "WorkflowReplayResults"]


@dataclass(frozen=True)
class WorkflowReplayResult:
    """The outcome of replaying one history."""

    history: WorkflowHistory
    """The history replayed."""

    replay_failure: Exception | None
    """Why the replay failed, or None if the workflow code issued exactly the
    commands the history records. A
    :py:class:`temporal_sidecar.workflow.NondeterminismError` means the code
    no longer matches the history; a ``RuntimeError`` names any other problem
    (the workflow task failed, the history could not be read, or its workflow
    type is not among the replayer's workflows). This is not about how the
    workflow itself ended: a workflow that failed replays cleanly if its code
    fails the same way."""


@dataclass(frozen=True)
class WorkflowReplayResults:
    """The outcomes of replaying several histories."""

    replay_failures: Mapping[str, Exception]
    """Replay failures, by run id ("" for a history that names none)."""


def _run_id(history: WorkflowHistory) -> str:
    try:
        return history.run_id
    except ValueError:  # a history too broken to name its run: its failure says so
        return ""


def _replay_failure(res: history_pb2.ReplayResult) -> Exception | None:
    if not res.HasField("failure"):
        return None
    f = res.failure
    if f.kind == history_pb2.REPLAY_FAILURE_KIND_NONDETERMINISM:
        return _workflow.NondeterminismError(f.message)
    kind = history_pb2.ReplayFailureKind.Name(f.kind).removeprefix("REPLAY_FAILURE_KIND_")
    return RuntimeError(f"{kind}: {f.message}")


class Replayer:
    """Replays workflow histories against workflow code through a sidecar.

    Args:
        connection: The sidecar: a :py:class:`Connection`, a
            :py:class:`temporal_sidecar.client.Client` (its connection is
            used), or its address (for example
            ``"unix:///run/sidecar.sock"``), connected to for each replay
            call and closed after. Payloads are decoded with the
            connection's data converter.
        workflows: The ``@workflow.defn`` classes the histories were
            recorded with (their current code).
        workflow_task_executor: Where activations run; defaults to a pool
            created and shut down for each replay call.
        workflow_failure_exception_types: As for
            :py:class:`temporal_sidecar.worker.Worker`: must match what the
            recording worker used, or failures replay differently.
        identity: This replayer in the sidecar's logs.
        debug_mode: Turn off deadlock detection.
    """

    def __init__(
        self,
        connection: Connection | Client | str,
        *,
        workflows: Sequence[type],
        workflow_task_executor: concurrent.futures.ThreadPoolExecutor | None = None,
        workflow_failure_exception_types: Sequence[type[BaseException]] = (),
        identity: str | None = None,
        debug_mode: bool = False,
    ) -> None:
        if not workflows:
            raise ValueError("At least one workflow must be specified: pass workflows=[...] with @workflow.defn classes")
        self._connection = connection.connection if isinstance(connection, Client) else connection
        self._workflows = list(workflows)
        self._executor = workflow_task_executor
        self._failure_types = tuple(workflow_failure_exception_types)
        self._identity = identity
        self._debug_mode = debug_mode
        for cls in self._workflows:  # refuse a class that is not a workflow now, as temporalio's Replayer does
            if not isinstance(cls, type):
                raise TypeError(f"workflow {cls!r} is not a class: pass @workflow.defn classes in workflows=[...]")
            _workflow._Definition.must_from_class(cls)

    def _worker(self, connection: Connection) -> Worker:
        from temporal_sidecar.worker import _replay_worker

        return _replay_worker(
            connection,
            workflows=self._workflows,
            workflow_task_executor=self._executor,
            workflow_failure_exception_types=self._failure_types,
            identity=self._identity,
            debug_mode=self._debug_mode,
        )

    async def replay_workflow(
        self, history: WorkflowHistory, *, raise_on_replay_failure: bool = True
    ) -> WorkflowReplayResult:
        """Replay one history.

        Args:
            history: From :py:meth:`WorkflowHistory.from_json` or
                :py:meth:`temporal_sidecar.client.WorkflowHandle.fetch_history`.
            raise_on_replay_failure: Raise the result's ``replay_failure``
                instead of returning it.

        Raises:
            temporal_sidecar.exceptions.SidecarError: the sidecar could not
                be reached, refused the replayer, or went away mid-replay.
        """
        async with self.workflow_replay_iterator([history]) as results:
            async for result in results:
                if raise_on_replay_failure and result.replay_failure is not None:
                    raise result.replay_failure
                return result
        raise RuntimeError("no history was replayed")

    async def replay_workflows(
        self,
        histories: AsyncIterator[WorkflowHistory] | Iterable[WorkflowHistory],
        *,
        raise_on_replay_failure: bool = True,
    ) -> WorkflowReplayResults:
        """Replay histories one after another.

        Args:
            histories: The histories, from an iterable or an async iterator.
            raise_on_replay_failure: Raise the first replay failure instead
                of collecting them.
        """
        failures: dict[str, Exception] = {}
        async with self.workflow_replay_iterator(histories) as results:
            async for result in results:
                if result.replay_failure is not None:
                    if raise_on_replay_failure:
                        raise result.replay_failure
                    failures[_run_id(result.history)] = result.replay_failure
        return WorkflowReplayResults(replay_failures=failures)

    def workflow_replay_iterator(
        self, histories: AsyncIterator[WorkflowHistory] | Iterable[WorkflowHistory]
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[WorkflowReplayResult]]:
        """``async with replayer.workflow_replay_iterator(histories) as results:
        async for result in results: ...``: each history's result as soon as
        it is replayed, over one session with the sidecar."""
        return self._replay_iterator(histories)

    @contextlib.asynccontextmanager
    async def _replay_iterator(
        self, histories: AsyncIterator[WorkflowHistory] | Iterable[WorkflowHistory]
    ) -> AsyncIterator[AsyncIterator[WorkflowReplayResult]]:
        own = not isinstance(self._connection, Connection)
        conn = self._connection if isinstance(self._connection, Connection) else await Connection.connect(self._connection)
        try:
            async with self._worker(conn) as worker:

                async def results() -> AsyncIterator[WorkflowReplayResult]:
                    async for history in _aiter(histories):
                        res = await worker._replay(
                            history.workflow_id, history_pb2.WorkflowHistory(json=history.to_json())
                        )
                        yield WorkflowReplayResult(history=history, replay_failure=_replay_failure(res))

                yield results()
        finally:
            if own:
                await conn.close()


async def _aiter(
    histories: AsyncIterator[WorkflowHistory] | Iterable[WorkflowHistory],
) -> AsyncIterator[WorkflowHistory]:
    if isinstance(histories, AsyncIterator):
        async for h in histories:
            yield h
    else:
        for h in histories:
            yield h

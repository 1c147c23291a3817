"""The deterministic runtime of one workflow run: an asyncio event loop driven
by the sidecar's activations.

Each activation's jobs are applied, then the loop runs every ready callback
until the workflow is blocked again; what the workflow asked for along the way
(timers, activities, children, completion...) becomes the commands of the
completion. The loop's clock is workflow time (``activation.timestamp``) and
its timers are Temporal timers, so plain ``asyncio`` code (``asyncio.sleep``,
``asyncio.wait_for``, ``asyncio.gather``, locks, queues, events) is
deterministic. Event-loop APIs that would leave the workflow's control raise
:py:class:`temporal_sidecar.workflow.NondeterminismError`.

The design follows temporalio's ``_WorkflowInstanceImpl``.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import inspect
import json
import logging
import sys
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone
from random import Random
from typing import Any, NoReturn, TypeVar, cast

from google.protobuf import duration_pb2

import temporal_sidecar.exceptions as exc
from temporal_sidecar import workflow as wf
from temporal_sidecar.common import (
    Priority,
    RawValue,
    RetryPolicy,
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributes,
    SearchAttributeUpdate,
    TypedSearchAttributes,
)
from temporal_sidecar.converter import (
    FailureConverter,
    PayloadConverter,
    decode_typed_search_attributes,
    encode_search_attributes,
    encode_typed_search_attribute_value,
)
from temporal_sidecar.proto.sidecar.bridge.v1 import (
    common_pb2,
    workflow_activation_pb2 as act_pb,
    workflow_commands_pb2 as cmd_pb,
    workflow_completion_pb2 as done_pb,
)

logger = logging.getLogger("temporal_sidecar.worker")

_T = TypeVar("_T")

_UTC = timezone.utc


class _WorkflowBeingEvictedError(BaseException):
    """Ends workflow code that tries to issue a command while its run is evicted."""


class _ContinueAsNew(wf.ContinueAsNewError):
    def __init__(self, command: cmd_pb.ContinueAsNewWorkflowExecution) -> None:
        super().__init__("continue as new")
        self.command = command


class _UpdateHandlerMissing(Exception):
    pass


class _DoBackoff(Exception):
    """Ends a local activity's wait for its result: the next attempt comes after a timer."""

    def __init__(self, backoff: act_pb.DoBackoff) -> None:
        super().__init__("local activity backoff")
        self.backoff = backoff


@dataclass
class _InProgress:
    name: str
    policy: wf.HandlerUnfinishedPolicy
    id: str | None = None


async def _shield_await(fut: asyncio.Future[_T]) -> _T:
    """Await fut without cancelling it when the awaiting task is cancelled."""
    await asyncio.wait([fut])
    return fut.result()


def _duration(td: timedelta | None, target: duration_pb2.Duration) -> None:
    if td is not None:
        target.FromTimedelta(td)


def _nonzero(d: duration_pb2.Duration) -> timedelta | None:
    td = d.ToTimedelta()
    return td if td else None


_NOT_DETERMINISTIC = (
    "cannot be used in workflow code: it leaves the workflow's deterministic event loop, so a replay "
    "could not reproduce it. Do this in an activity instead"
)


class WorkflowInstance(wf._Runtime, asyncio.AbstractEventLoop):
    """One workflow run. :py:meth:`activate` is its only entry point; it is
    not thread safe, but may be called from a different thread each time."""

    def __init__(
        self,
        *,
        defn: wf._Definition,
        run_id: str,
        init: act_pb.InitializeWorkflow,
        payload_converter: PayloadConverter,
        failure_converter: FailureConverter,
        worker_failure_exception_types: Sequence[type[BaseException]],
    ) -> None:
        self._defn = defn
        self._run_id = run_id
        self._pc = payload_converter
        self._fc = failure_converter
        self._failure_types = tuple(defn.failure_exception_types) + tuple(worker_failure_exception_types)

        self._time_ns = 0
        self._is_replaying = False
        self._history_length = 0
        self._history_size = 0
        self._can_suggested = False
        self._started_time_set = False

        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        self._conditions: list[tuple[Callable[[], bool], asyncio.Future[bool]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._commands: list[cmd_pb.WorkflowCommand] = []
        self._activation_error: BaseException | None = None
        self._read_only = False
        self._deleting = False
        self._exception_handler: Any = None

        self._seqs: dict[str, int] = {}
        self._pending_timers: dict[int, _TimerHandle] = {}
        self._pending_activities: dict[int, _ActivityHandle[Any]] = {}
        self._pending_children: dict[int, _ChildWorkflowHandle[Any]] = {}
        self._pending_signals: dict[int, asyncio.Future[None]] = {}
        self._pending_cancels: dict[int, asyncio.Future[None]] = {}
        self._pending_nexus: dict[int, _NexusOperationHandle[Any]] = {}

        self._random = Random(init.randomness_seed)
        self._patches_notified: set[str] = set()
        self._patches_memoized: dict[str, bool] = {}
        self._cancel_requested = False
        self._primary_task: asyncio.Task[None] | None = None
        self._object: Any = None
        self._closed = False  # a command that closes the run was issued
        self._closed_before_activation = False

        self._signals: dict[str | None, wf._SignalDefinition] = dict(defn.signals)
        self._queries: dict[str | None, wf._QueryDefinition] = dict(defn.queries)
        self._updates: dict[str | None, wf._UpdateDefinition] = dict(defn.updates)
        self._buffered_signals: dict[str, list[act_pb.SignalWorkflow]] = {}
        self._buffered_updates: list[tuple[act_pb.DoUpdate, asyncio.Future[wf._UpdateDefinition]]] = []
        self._signals_seq = 0
        self._in_progress_signals: dict[int, _InProgress] = {}
        self._in_progress_updates: dict[str, _InProgress] = {}

        self._raw_memo: dict[str, common_pb2.Payload] = dict(init.memo)
        self._memo: dict[str, Any] | None = None
        self._search_attributes: dict[str, Any] = {}
        for k, p in init.search_attributes.items():
            try:
                self._search_attributes[k] = payload_converter.from_payload(p)
            except Exception:  # noqa: BLE001 - keep what cannot be decoded as it is
                self._search_attributes[k] = RawValue(p)
        self._typed_search_attributes = decode_typed_search_attributes(init.search_attributes)

        self._init = init
        self._info = self._make_info(init)
        self._workflow_args = self._make_args(init)

    # ------------------------------------------------------------------ construction

    def _make_info(self, init: act_pb.InitializeWorkflow) -> wf.Info:
        parent = None
        if init.HasField("parent_workflow_info") and init.parent_workflow_info.workflow_id:
            p = init.parent_workflow_info
            parent = wf.ParentInfo(namespace=p.namespace, run_id=p.run_id, workflow_id=p.workflow_id)
        root = None
        if init.HasField("root_workflow") and init.root_workflow.workflow_id:
            root = wf.RootInfo(run_id=init.root_workflow.run_id, workflow_id=init.root_workflow.workflow_id)
        start = init.start_time.ToDatetime(tzinfo=_UTC)
        return wf.Info(
            attempt=init.attempt or 1,
            continued_run_id=init.continued_from_execution_run_id or None,
            cron_schedule=init.cron_schedule or None,
            execution_timeout=_nonzero(init.workflow_execution_timeout),
            first_execution_run_id=init.first_execution_run_id or self._run_id,
            headers=dict(init.headers),
            namespace=init.namespace,
            parent=parent,
            root=root,
            priority=Priority.from_proto(init.priority),
            raw_memo=self._raw_memo,
            retry_policy=RetryPolicy.from_proto(init.retry_policy) if init.HasField("retry_policy") else None,
            run_id=self._run_id,
            run_timeout=_nonzero(init.workflow_run_timeout),
            search_attributes=self._search_attributes,
            typed_search_attributes=self._typed_search_attributes,
            start_time=start,
            task_queue=init.task_queue,
            task_timeout=init.workflow_task_timeout.ToTimedelta() or timedelta(seconds=10),
            workflow_id=init.workflow_id,
            workflow_start_time=start,
            workflow_type=init.workflow_type,
        )

    def _make_args(self, init: act_pb.InitializeWorkflow) -> list[Any]:
        if self._defn.name is None:
            return [self._convert(init.arguments, [RawValue] * len(init.arguments))]
        return self._convert(init.arguments, self._defn.arg_types)

    def _convert(self, payloads: Sequence[common_pb2.Payload], hints: Sequence[Any] | None) -> list[Any]:
        if not payloads:
            return []
        if hints is not None and len(hints) != len(payloads):
            hints = None
        try:
            return self._pc.from_payloads(payloads, hints)
        except exc.FailureError:
            raise
        except Exception as err:
            if self._is_failure_exception(err):
                raise
            raise RuntimeError(f"failed decoding arguments: {err}") from err

    def _handler_args(
        self, name: str, payloads: Sequence[common_pb2.Payload], defn_name: str | None, hints: Sequence[Any] | None
    ) -> list[Any]:
        if defn_name is None:  # dynamic: (name, Sequence[RawValue])
            return [name, self._convert(payloads, [RawValue] * len(payloads))]
        return self._convert(payloads, hints)

    # ------------------------------------------------------------------ activation

    def activate(self, act: act_pb.WorkflowActivation) -> done_pb.WorkflowActivationCompletion:
        """Apply an activation and run the workflow until it blocks."""
        self._commands = []
        self._activation_error = None
        query_only = all(j.WhichOneof("variant") == "query_workflow" for j in act.jobs)
        if not query_only:
            if act.HasField("timestamp"):
                self._time_ns = act.timestamp.ToNanoseconds()
                if not self._started_time_set:
                    self._started_time_set = True
                    object.__setattr__(self._info, "start_time", act.timestamp.ToDatetime(tzinfo=_UTC))
            self._is_replaying = act.is_replaying
            self._history_length = act.history_length
            self._history_size = act.history_size_bytes
            self._can_suggested = act.continue_as_new_suggested

        completion = done_pb.WorkflowActivationCompletion(run_id=act.run_id)
        failure: BaseException | None = None
        try:
            # As temporalio: patches and seed changes first, then signals and
            # updates, then everything else; queries after the workflow ran.
            sets: list[list[act_pb.WorkflowActivationJob]] = [[], [], [], []]
            for job in act.jobs:
                kind = job.WhichOneof("variant")
                if kind in ("notify_has_patch", "update_random_seed"):
                    sets[0].append(job)
                elif kind in ("signal_workflow", "do_update"):
                    sets[1].append(job)
                elif kind == "query_workflow":
                    sets[3].append(job)
                else:
                    sets[2].append(job)
            for job in sets[0] + sets[1] + sets[2]:
                self._apply(job)
            if sets[1] or sets[2]:
                # A rejected update leaves nothing in history: an activation
                # of only updates, none accepted, must not unblock conditions,
                # or a replay (which never sees it) could diverge.
                only_updates = all(j.WhichOneof("variant") == "do_update" for j in act.jobs)
                self._run_once(check_conditions=not only_updates, updates_only=only_updates)
                if self._buffered_updates:
                    for upd, fut in self._buffered_updates:
                        if not fut.done():
                            known = sorted(k for k in self._updates if k)
                            fut.set_exception(
                                _UpdateHandlerMissing(
                                    f"update handler for {upd.name!r} expected but not found, and there is no "
                                    f"dynamic handler; known updates: [{' '.join(known)}]"
                                )
                            )
                    self._buffered_updates = []
                    self._run_once(check_conditions=False)
            for job in sets[3]:
                self._apply_query(job.query_workflow)
        except Exception as err:  # noqa: BLE001 - every error becomes the completion
            if self._deleting:
                pass
            elif self._is_failure_exception(err):
                try:
                    self._fail_workflow(err)
                except Exception as inner:  # noqa: BLE001
                    failure = inner
            else:
                failure = err

        if failure is not None:
            logger.warning(
                "workflow task failed for workflow %s (id %s, run %s): %s",
                self._info.workflow_type,
                self._info.workflow_id,
                self._run_id,
                failure,
                exc_info=failure,
                extra={"temporal_workflow": self._info._logger_details()},
            )
            f = completion.failed
            f.SetInParent()
            try:
                f.failure.CopyFrom(self._fc.to_failure(failure, self._pc))
            except Exception as inner:  # noqa: BLE001
                f.failure.message = f"failed converting the workflow task failure ({inner}): {failure}"
                f.failure.application_failure_info.SetInParent()
            if isinstance(failure, wf.NondeterminismError):
                f.cause = done_pb.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
            return completion

        completion.successful.commands.extend(self._final_commands())
        return completion

    def _final_commands(self) -> list[cmd_pb.WorkflowCommand]:
        """The commands in issue order, with nothing but query answers after
        the first command that closes the run (the sidecar requires it)."""
        out: list[cmd_pb.WorkflowCommand] = []
        closed = self._closed_before_activation
        for c in self._commands:
            kind = c.WhichOneof("variant")
            if closed and kind != "respond_to_query":
                continue
            out.append(c)
            if kind in (
                "complete_workflow_execution",
                "fail_workflow_execution",
                "cancel_workflow_execution",
                "continue_as_new_workflow_execution",
            ):
                closed = True
        self._closed_before_activation = closed
        if closed and not self._closed:
            self._closed = True
            self._warn_unfinished_handlers()
        return out

    def teardown(self) -> int:
        """Cancel everything the run still waits on and let its code unwind,
        issuing no commands: the run was evicted. Returns the number of tasks
        that ignored the cancellation (they are dropped)."""
        self._deleting = True
        self._is_replaying = True
        self._commands = []
        for t in list(self._tasks):
            t.cancel()
        try:
            self._run_once(check_conditions=False)
        except BaseException:  # noqa: BLE001 - nothing may escape an eviction
            logger.debug("ignoring an error while evicting run %s", self._run_id, exc_info=True)
        left = len(self._tasks)
        if left:
            logger.debug("run %s evicted with %d tasks that ignored cancellation; dropping them", self._run_id, left)
            for t in self._tasks:
                if hasattr(t, "_log_destroy_pending"):
                    setattr(t, "_log_destroy_pending", False)
            self._tasks.clear()
        self._ready.clear()
        self._conditions.clear()
        return left

    def _apply(self, job: act_pb.WorkflowActivationJob) -> None:
        kind = job.WhichOneof("variant")
        if kind == "initialize_workflow":
            self._apply_initialize()
        elif kind == "fire_timer":
            h = self._pending_timers.pop(job.fire_timer.seq, None)
            if h is not None:  # None: cancelled earlier in this activation
                self._ready.append(h)
        elif kind == "resolve_activity":
            self._apply_resolve_activity(job.resolve_activity)
        elif kind == "signal_workflow":
            self._apply_signal(job.signal_workflow)
        elif kind == "cancel_workflow":
            self._cancel_requested = True
            if self._primary_task is not None:
                # The run may not have started yet: deliver on the next turn.
                self.call_soon(self._primary_task.cancel)
        elif kind == "do_update":
            self._apply_do_update(job.do_update)
        elif kind == "notify_has_patch":
            self._patches_notified.add(job.notify_has_patch.patch_id)
        elif kind == "update_random_seed":
            self._random.seed(job.update_random_seed.randomness_seed)
        elif kind == "resolve_child_workflow_execution_start":
            self._apply_child_start(job.resolve_child_workflow_execution_start)
        elif kind == "resolve_child_workflow_execution":
            self._apply_child_result(job.resolve_child_workflow_execution)
        elif kind == "resolve_signal_external_workflow":
            r = job.resolve_signal_external_workflow
            self._resolve_external(self._pending_signals, r.seq, r.failure if r.HasField("failure") else None)
        elif kind == "resolve_request_cancel_external_workflow":
            rc = job.resolve_request_cancel_external_workflow
            self._resolve_external(self._pending_cancels, rc.seq, rc.failure if rc.HasField("failure") else None)
        elif kind == "resolve_nexus_operation_start":
            self._apply_nexus_start(job.resolve_nexus_operation_start)
        elif kind == "resolve_nexus_operation":
            self._apply_nexus_result(job.resolve_nexus_operation)
        elif kind == "remove_from_cache":
            raise RuntimeError("remove_from_cache must come alone; the worker handles it")
        else:
            raise RuntimeError(f"unknown activation job {kind!r}: is this client older than the sidecar?")

    # ------------------------------------------------------------------ the loop

    def _run_once(self, *, check_conditions: bool, updates_only: bool = False) -> None:
        prev = asyncio._get_running_loop()
        asyncio._set_running_loop(self)
        try:
            if self._object is None and not self._deleting:
                self._object = self._instantiate()
            while self._ready:
                while self._ready:
                    handle = self._ready.popleft()
                    handle._run()
                    if self._activation_error is not None and not self._deleting:
                        raise self._activation_error
                if check_conditions or (updates_only and self._accepted_an_update()):
                    self._conditions[:] = [
                        (fn, fut) for fn, fut in self._conditions if not fut.done() and not self._check(fn, fut)
                    ]
        finally:
            asyncio._set_running_loop(prev)

    def _accepted_an_update(self) -> bool:
        return any(
            c.WhichOneof("variant") == "update_response" and c.update_response.HasField("accepted")
            for c in self._commands
        )

    @staticmethod
    def _check(fn: Callable[[], bool], fut: asyncio.Future[bool]) -> bool:
        if fn():
            fut.set_result(True)
            return True
        return False

    def _instantiate(self) -> Any:
        cls = self._defn.cls
        if self._defn.init_takes_args:
            return cls(*self._workflow_args)
        return cls()

    def _register_task(self, task: asyncio.Task[Any], name: str | None) -> None:
        if self._read_only:
            raise wf.ReadOnlyContextError("a query handler or update validator cannot start a task")
        label = name or task.get_name()
        task.set_name(f"{label} (workflow {self._info.workflow_type}, id {self._info.workflow_id}, run {self._run_id})")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if hasattr(task, "_log_destroy_pending"):
            setattr(task, "_log_destroy_pending", False)

    def _is_failure_exception(self, err: BaseException) -> bool:
        return (
            isinstance(err, exc.FailureError)
            or isinstance(err, asyncio.TimeoutError)
            or isinstance(err, self._failure_types)
        )

    def _add_command(self) -> cmd_pb.WorkflowCommand:
        self._check_writable("issue a command")
        c = cmd_pb.WorkflowCommand()
        self._commands.append(c)
        return c

    def _check_writable(self, what: str) -> None:
        if self._deleting:
            raise _WorkflowBeingEvictedError(f"not letting the workflow {what} while its run is evicted")
        if self._read_only:
            raise wf.ReadOnlyContextError(f"a query handler or update validator cannot {what}")

    def _next_seq(self, kind: str) -> int:
        n = self._seqs.get(kind, 0) + 1
        self._seqs[kind] = n
        return n

    def _fail_workflow(self, err: BaseException) -> None:
        c = self._add_command()
        try:
            c.fail_workflow_execution.failure.CopyFrom(self._fc.to_failure(err, self._pc))
        except Exception as inner:
            raise ValueError(f"failed converting the workflow's exception to a failure: {inner}") from inner

    async def _run_top_level(self, coro: Coroutine[Any, Any, Any], *, complete: bool) -> None:
        """Runs the workflow's run method (complete=True) or a signal handler,
        and turns how it ended into commands, as temporalio does."""
        try:
            result = await coro
            if complete:
                [payload] = self._pc.to_payloads([result])
                self._add_command().complete_workflow_execution.result.CopyFrom(payload)
        except _ContinueAsNew as can:
            self._add_command().continue_as_new_workflow_execution.CopyFrom(can.command)
        except wf.ContinueAsNewError:
            self._activation_error = RuntimeError(
                "ContinueAsNewError raised directly: call workflow.continue_as_new(...) instead"
            )
        except (Exception, asyncio.CancelledError) as err:
            if self._deleting:
                return
            if isinstance(err, asyncio.CancelledError):
                err = exc.CancelledError(str(err) or "workflow cancelled")
            if self._cancel_requested and exc.is_cancelled_exception(err):
                self._add_command().cancel_workflow_execution.SetInParent()
            elif self._is_failure_exception(err):
                self._fail_workflow(err)
            else:
                self._activation_error = err

    def _apply_initialize(self) -> None:
        async def run_workflow() -> Any:
            fn = getattr(self._object, self._defn.run_fn.__name__)
            return await fn(*self._workflow_args)

        self._primary_task = self.create_task(self._run_top_level(run_workflow(), complete=True), name="run")
        if self._cancel_requested:
            self.call_soon(self._primary_task.cancel)

    # ------------------------------------------------------------------ signals, queries, updates

    def _apply_signal(self, job: act_pb.SignalWorkflow) -> None:
        defn = self._signals.get(job.signal_name) or self._signals.get(None)
        if defn is None:
            self._buffered_signals.setdefault(job.signal_name, []).append(job)
            return
        self._process_signal(defn, job)

    def _process_signal(self, defn: wf._SignalDefinition, job: act_pb.SignalWorkflow) -> None:
        try:
            args = self._handler_args(job.signal_name, job.input, defn.name, defn.arg_types)
        except Exception:  # noqa: BLE001
            logger.exception(
                "failed decoding the arguments of signal %s on workflow %s (id %s); dropping the signal",
                job.signal_name,
                self._info.workflow_type,
                self._info.workflow_id,
            )
            return
        self._signals_seq += 1
        sid = self._signals_seq
        self._in_progress_signals[sid] = _InProgress(job.signal_name, defn.unfinished_policy)

        async def run_signal() -> None:
            fn = defn.bind(self._object)
            r = fn(*args)
            if inspect.isawaitable(r):
                await r

        task = self.create_task(self._run_top_level(run_signal(), complete=False), name=f"signal {job.signal_name}")
        task.add_done_callback(lambda _t: self._in_progress_signals.pop(sid, None))

    def _apply_query(self, job: act_pb.QueryWorkflow) -> None:
        c = cmd_pb.WorkflowCommand()
        c.respond_to_query.query_id = job.query_id
        prev_read_only = self._read_only
        self._read_only = True
        try:
            if job.query_type == "__stack_trace":
                result: Any = self._stack_trace()
            elif job.query_type == "__temporal_workflow_metadata":
                result = self._metadata()
            else:
                defn = self._queries.get(job.query_type) or self._queries.get(None)
                if defn is None:
                    known = sorted(k for k in self._queries if k)
                    raise exc.ApplicationError(
                        f"query handler for {job.query_type!r} expected but not found; known queries: "
                        f"[{' '.join(known)}]",
                        type="QueryNotFound",
                    )
                args = self._handler_args(job.query_type, job.arguments, defn.name, defn.arg_types)
                prev_loop = asyncio._get_running_loop()
                asyncio._set_running_loop(self)
                try:
                    result = defn.bind(self._object)(*args)
                finally:
                    asyncio._set_running_loop(prev_loop)
                if inspect.isawaitable(result):
                    if inspect.iscoroutine(result):
                        result.close()
                    raise TypeError(f"query handler {job.query_type!r} returned an awaitable; queries cannot be async")
            [payload] = self._pc.to_payloads([result])
            c.respond_to_query.succeeded.CopyFrom(payload)
        except Exception as err:  # noqa: BLE001 - the caller gets the failure
            c.respond_to_query.ClearField("succeeded")
            c.respond_to_query.failed.CopyFrom(self._fc.to_failure(err, self._pc))
        finally:
            self._read_only = prev_read_only
        self._commands.append(c)

    def _stack_trace(self) -> str:
        stacks = []
        for task in list(self._tasks):
            frames = [
                traceback.FrameSummary(f.f_code.co_filename, f.f_lineno, f.f_code.co_name) for f in task.get_stack()
            ]
            stacks.append(f"Stack for {task.get_name()} (most recent call last):\n" + "".join(traceback.format_list(frames)))
        return "\n\n".join(stacks)

    def _metadata(self) -> RawValue:
        """temporal.api.sdk.v1.WorkflowMetadata as JSON, which Temporal's UI reads."""

        def defs(names: Sequence[str | None], descs: Mapping[str | None, str | None]) -> list[dict[str, str]]:
            out = []
            for n in sorted(x for x in names if x):
                d: dict[str, str] = {"name": n}
                if descs.get(n):
                    d["description"] = str(descs[n])
                out.append(d)
            return out

        definition = {
            "type": self._info.workflow_type,
            "queryDefinitions": defs(list(self._queries), {k: v.description for k, v in self._queries.items()}),
            "signalDefinitions": defs(list(self._signals), {k: v.description for k, v in self._signals.items()}),
            "updateDefinitions": defs(list(self._updates), {k: v.description for k, v in self._updates.items()}),
        }
        data = json.dumps({"definition": definition}, separators=(",", ":"), sort_keys=True).encode()
        return RawValue(
            common_pb2.Payload(
                metadata={"encoding": b"json/protobuf", "messageType": b"temporal.api.sdk.v1.WorkflowMetadata"},
                data=data,
            )
        )

    def _apply_do_update(self, job: act_pb.DoUpdate) -> None:
        async def run_update() -> None:
            wf._current_update.set(wf.UpdateInfo(id=job.id, name=job.name))
            accepted = False
            try:
                defn = self._updates.get(job.name) or self._updates.get(None)
                if defn is None:
                    # No handler yet: one may be set later in this activation.
                    fut: asyncio.Future[wf._UpdateDefinition] = self.create_future()
                    self._buffered_updates.append((job, fut))
                    defn = await fut
                self._in_progress_updates[job.id] = _InProgress(job.name, defn.unfinished_policy, job.id)
                args = self._handler_args(job.name, job.input, defn.name, defn.arg_types)
                validator = defn.bind_validator(self._object)
                if job.run_validator and validator is not None:
                    prev = self._read_only
                    self._read_only = True
                    try:
                        validator(*args)
                    finally:
                        self._read_only = prev
                    # The validator may have changed the arguments in place.
                    args = self._handler_args(job.name, job.input, defn.name, defn.arg_types)
                accepted = True
                self._add_command().update_response.CopyFrom(
                    cmd_pb.UpdateResponse(protocol_instance_id=job.protocol_instance_id, accepted=cmd_pb.UpdateAccepted())
                )
                r = defn.bind(self._object)(*args)
                result = await r if inspect.isawaitable(r) else r
                [payload] = self._pc.to_payloads([result])
                self._add_command().update_response.CopyFrom(
                    cmd_pb.UpdateResponse(protocol_instance_id=job.protocol_instance_id, completed=payload)
                )
            except _ContinueAsNew:
                self._activation_error = RuntimeError("cannot continue as new from an update handler")
            except (Exception, asyncio.CancelledError) as err:
                if self._deleting:
                    return
                if isinstance(err, asyncio.CancelledError):
                    err = exc.CancelledError(f"cancellation raised within update {err}")
                if isinstance(err, wf.ReadOnlyContextError) and not accepted:
                    self._activation_error = err  # a validator that changes the workflow is a bug
                    return
                if not accepted:
                    logger.debug("rejecting update %s (%s): %s", job.id, job.name, err)
                    self._add_command().update_response.CopyFrom(
                        cmd_pb.UpdateResponse(
                            protocol_instance_id=job.protocol_instance_id, rejected=self._fc.to_failure(err, self._pc)
                        )
                    )
                elif self._is_failure_exception(err):
                    self._add_command().update_response.CopyFrom(
                        cmd_pb.UpdateResponse(
                            protocol_instance_id=job.protocol_instance_id, failed=self._fc.to_failure(err, self._pc)
                        )
                    )
                else:
                    self._activation_error = err
            finally:
                self._in_progress_updates.pop(job.id, None)

        self.create_task(run_update(), name=f"update {job.name}")

    def _warn_unfinished_handlers(self) -> None:
        if self._is_replaying:
            return
        updates = [h for h in self._in_progress_updates.values() if h.policy is wf.HandlerUnfinishedPolicy.WARN_AND_ABANDON]
        signals = [h for h in self._in_progress_signals.values() if h.policy is wf.HandlerUnfinishedPolicy.WARN_AND_ABANDON]
        if updates:
            logger.warning(
                "workflow %s (id %s) finished while update handlers are still running: %s; wait for them with "
                "`await workflow.wait_condition(workflow.all_handlers_finished)` before returning",
                self._info.workflow_type,
                self._info.workflow_id,
                ", ".join(f"{h.name} (id {h.id})" for h in updates),
            )
        if signals:
            logger.warning(
                "workflow %s (id %s) finished while signal handlers are still running: %s; wait for them with "
                "`await workflow.wait_condition(workflow.all_handlers_finished)` before returning",
                self._info.workflow_type,
                self._info.workflow_id,
                ", ".join(sorted({h.name for h in signals})),
            )

    # ------------------------------------------------------------------ resolutions

    def _apply_resolve_activity(self, r: act_pb.ResolveActivity) -> None:
        handle = self._pending_activities.pop(r.seq, None)
        if handle is None or r.is_local != (handle._local is not None):
            kind = "local activity" if r.is_local else "activity"
            raise wf.NondeterminismError(f"the sidecar resolved {kind} seq {r.seq}, which this run did not schedule")
        status = r.result.WhichOneof("status")
        if status == "completed":
            value = None
            if r.result.completed.HasField("result"):
                hints = [handle._result_type] if handle._result_type is not None else None
                value = self._convert([r.result.completed.result], hints)[0]
            handle._resolve_success(value)
        elif status in ("failed", "cancelled"):
            f = r.result.failed.failure if status == "failed" else r.result.cancelled.failure
            if r.is_local:
                f = _local_failure_as_core(f)
            handle._resolve_failure(self._fc.from_failure(f, self._pc))
        elif status == "backoff" and handle._local is not None:
            handle._resolve_failure(_DoBackoff(r.result.backoff))
        else:
            raise RuntimeError(f"activity seq {r.seq} resolved with {status or 'no outcome'}")

    def _apply_child_start(self, r: act_pb.ResolveChildWorkflowExecutionStart) -> None:
        handle = self._pending_children.get(r.seq)
        if handle is None:
            raise wf.NondeterminismError(f"the sidecar resolved the start of child seq {r.seq}, which this run did not start")
        status = r.WhichOneof("status")
        if status == "succeeded":
            handle._resolve_start(r.succeeded.run_id)
        elif status == "failed":
            self._pending_children.pop(r.seq, None)
            if r.failed.cause == act_pb.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS:
                err: BaseException = exc.WorkflowAlreadyStartedError(r.failed.workflow_id, r.failed.workflow_type)
            else:
                err = exc.ApplicationError(
                    f"child workflow {r.failed.workflow_id} did not start: "
                    f"{act_pb.StartChildWorkflowExecutionFailedCause.Name(r.failed.cause)}",
                    type="StartChildWorkflowExecutionFailed",
                )
            handle._resolve_failure(err)
        elif status == "cancelled":
            self._pending_children.pop(r.seq, None)
            handle._resolve_failure(self._fc.from_failure(r.cancelled.failure, self._pc))
        else:
            raise RuntimeError(f"child seq {r.seq} start resolved with no status")

    def _apply_child_result(self, r: act_pb.ResolveChildWorkflowExecution) -> None:
        handle = self._pending_children.pop(r.seq, None)
        if handle is None:
            raise wf.NondeterminismError(f"the sidecar resolved child seq {r.seq}, which this run did not start")
        status = r.result.WhichOneof("status")
        if status == "completed":
            value = None
            if r.result.completed.HasField("result"):
                hints = [handle._result_type] if handle._result_type is not None else None
                value = self._convert([r.result.completed.result], hints)[0]
            handle._resolve_success(value)
        elif status == "failed":
            handle._resolve_failure(self._fc.from_failure(r.result.failed.failure, self._pc))
        elif status == "cancelled":
            handle._resolve_failure(self._fc.from_failure(r.result.cancelled.failure, self._pc))
        else:
            raise RuntimeError(f"child seq {r.seq} resolved with no outcome")

    def _apply_nexus_start(self, r: act_pb.ResolveNexusOperationStart) -> None:
        handle = self._pending_nexus.get(r.seq)
        if handle is None:
            raise wf.NondeterminismError(
                f"the sidecar resolved the start of Nexus operation seq {r.seq}, which this run did not schedule"
            )
        status = r.WhichOneof("status")
        if status == "operation_token":
            handle._resolve_start(r.operation_token)
        elif status == "started_sync":
            handle._resolve_start(None)  # its result follows in this activation
        elif status == "failed":
            # The sidecar resolves the outcome too, in this activation; the
            # start's failure is what the workflow sees.
            handle._start_failed = True
            handle._resolve_failure(self._fc.from_failure(r.failed, self._pc))
        else:
            raise RuntimeError(f"Nexus operation seq {r.seq} start resolved with no status")

    def _apply_nexus_result(self, r: act_pb.ResolveNexusOperation) -> None:
        handle = self._pending_nexus.pop(r.seq, None)
        if handle is None:
            raise wf.NondeterminismError(
                f"the sidecar resolved Nexus operation seq {r.seq}, which this run did not schedule"
            )
        if handle._start_failed:
            return
        status = r.result.WhichOneof("status")
        if status == "completed":
            hints = [handle._output_type] if handle._output_type is not None else None
            handle._resolve_success(self._convert([r.result.completed], hints)[0])
        elif status in ("failed", "cancelled", "timed_out"):
            failure: common_pb2.Failure = getattr(r.result, status)
            handle._resolve_failure(self._fc.from_failure(failure, self._pc))
        else:
            raise RuntimeError(f"Nexus operation seq {r.seq} resolved with no outcome")

    def _resolve_external(
        self, pending: dict[int, asyncio.Future[None]], seq: int, failure: common_pb2.Failure | None
    ) -> None:
        fut = pending.pop(seq, None)
        if fut is None or fut.done():
            return  # its waiter gave up (it was cancelled)
        if failure is not None:
            fut.set_exception(self._fc.from_failure(failure, self._pc))
        else:
            fut.set_result(None)

    # ------------------------------------------------------------------ waiting on Temporal operations

    async def _await_operation(self, fut: asyncio.Future[_T], on_cancel: Callable[[asyncio.CancelledError], None]) -> _T:
        """Wait for fut, which the sidecar resolves; a cancellation of the
        waiting task is turned into a cancel command and the wait goes on
        until the sidecar resolves the operation (as cancelled, usually)."""
        while True:
            try:
                return await _shield_await(fut)
            except asyncio.CancelledError as err:
                if fut.done() or self._deleting:
                    raise  # an evicted run waits on nothing
                on_cancel(err)
                if sys.version_info >= (3, 11):
                    task = asyncio.current_task()
                    if task is not None:
                        task.uncancel()

    # ------------------------------------------------------------------ _Runtime

    def workflow_info(self) -> wf.Info:
        return self._info

    def workflow_instance(self) -> Any:
        return self._object

    def workflow_is_replaying(self) -> bool:
        return self._is_replaying

    def workflow_history_length(self) -> int:
        return self._history_length

    def workflow_history_size(self) -> int:
        return self._history_size

    def workflow_continue_as_new_suggested(self) -> bool:
        return self._can_suggested

    def workflow_time_ns(self) -> int:
        return self._time_ns

    def workflow_random(self) -> Random:
        if self._read_only:
            raise wf.ReadOnlyContextError("a query handler or update validator cannot use the workflow's random")
        return self._random

    def workflow_patch(self, id: str, *, deprecated: bool) -> bool:
        self._check_writable("check a patch")
        use = self._patches_memoized.get(id)
        if use is not None:
            return use
        use = not self._is_replaying or id in self._patches_notified
        self._patches_memoized[id] = use
        if use:
            self._add_command().set_patch_marker.CopyFrom(cmd_pb.SetPatchMarker(patch_id=id, deprecated=deprecated))
        return use

    def workflow_payload_converter(self) -> PayloadConverter:
        return self._pc

    def workflow_memo(self) -> Mapping[str, Any]:
        if self._memo is None:
            self._memo = {k: self._pc.from_payload(v) for k, v in self._raw_memo.items()}
        return dict(self._memo)

    def workflow_memo_value(self, key: str, default: Any, type_hint: Any) -> Any:
        p = self._raw_memo.get(key)
        if p is None:
            if default is wf._arg_unset:
                raise KeyError(f"memo has no key {key!r}")
            return default
        return self._pc.from_payload(p, type_hint)

    def workflow_upsert_memo(self, updates: Mapping[str, Any]) -> None:
        self._check_writable("change the memo")
        c = self._add_command()
        c.modify_workflow_properties.SetInParent()
        for k, v in updates.items():
            p = self._pc.to_payload(v)
            c.modify_workflow_properties.upserted_memo[k].CopyFrom(p)
            if v is None:
                self._raw_memo.pop(k, None)
            else:
                self._raw_memo[k] = p
        self._memo = None

    def workflow_upsert_search_attributes(
        self, attributes: SearchAttributes | Sequence[SearchAttributeUpdate[Any]]
    ) -> None:
        self._check_writable("change search attributes")
        c = self._add_command()
        c.upsert_workflow_search_attributes.SetInParent()
        out = c.upsert_workflow_search_attributes.search_attributes
        # Info's typed attributes follow both forms, changed in place as
        # temporalio changes them (a new name goes last): a mapping's values
        # by the type they look like.
        typed = cast(list[SearchAttributePair[Any]], self._typed_search_attributes.search_attributes)

        def put(name: str, pair: SearchAttributePair[Any] | None) -> None:
            i = next((i for i, a in enumerate(typed) if a.key.name == name), None)
            if pair is None:
                if i is not None:
                    del typed[i]
            elif i is None:
                typed.append(pair)
            else:
                typed[i] = pair

        if isinstance(attributes, Mapping):
            for k, v in attributes.items():
                removed = v is None or (isinstance(v, (list, tuple)) and not v)
                out[k].CopyFrom(self._pc.to_payload(None if removed else v))
                if removed:
                    self._search_attributes.pop(k, None)
                    put(k, None)
                    continue
                self._search_attributes[k] = v
                vals = v if isinstance(v, list) else [v]
                key = SearchAttributeKey._guess_from_untyped_values(k, vals)
                if key is not None and key.indexed_value_type != SearchAttributeIndexedValueType.KEYWORD_LIST:
                    if len(vals) == 1:
                        put(k, SearchAttributePair(key, vals[0]))
                elif key is not None:
                    put(k, SearchAttributePair(key, vals))
        else:
            for update in attributes:
                name = update.key.name
                out[name].CopyFrom(encode_typed_search_attribute_value(update.key, update.value))
                if update.value is None:
                    put(name, None)
                    self._search_attributes[name] = []
                    continue
                put(name, SearchAttributePair(update.key, update.value))
                multi = update.key.indexed_value_type == SearchAttributeIndexedValueType.KEYWORD_LIST
                self._search_attributes[name] = list(update.value) if multi else [update.value]

    async def workflow_sleep(self, seconds: float, *, summary: str | None) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = self.create_future()
        handle = self._start_timer(seconds, lambda: fut.set_result(None) if not fut.done() else None, (), None, summary)
        fut.add_done_callback(lambda f: handle.cancel() if f.cancelled() else None)
        await fut

    async def workflow_wait_condition(self, fn: Callable[[], bool], *, timeout: float | None) -> None:
        self._check_writable("wait on a condition")
        fut: asyncio.Future[bool] = self.create_future()
        self._conditions.append((fn, fut))
        await asyncio.wait_for(fut, timeout)

    def workflow_continue_as_new(
        self,
        args: Sequence[Any],
        *,
        workflow: str | None,
        task_queue: str | None,
        run_timeout: timedelta | None,
        task_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        memo: Mapping[str, Any] | None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None,
    ) -> NoReturn:
        self._check_writable("continue as new")
        c = cmd_pb.ContinueAsNewWorkflowExecution(workflow_type=workflow or "", task_queue=task_queue or "")
        c.arguments.extend(self._pc.to_payloads(args))
        _duration(run_timeout, c.workflow_run_timeout)
        _duration(task_timeout, c.workflow_task_timeout)
        if retry_policy is not None:
            retry_policy.apply_to_proto(c.retry_policy)
        for k, v in (memo or {}).items():
            c.memo[k].CopyFrom(self._pc.to_payload(v))
        encode_search_attributes(search_attributes, c.search_attributes, self._pc)
        raise _ContinueAsNew(c)

    def workflow_start_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        task_queue: str | None,
        result_type: Any,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        heartbeat_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        cancellation_type: wf.ActivityCancellationType,
        activity_id: str | None,
        disable_eager_execution: bool,
        summary: str | None,
        priority: Priority | None,
    ) -> wf.ActivityHandle[Any]:
        self._check_writable("schedule an activity")
        payloads = self._pc.to_payloads(args)
        seq = self._next_seq("activity")
        s = cmd_pb.ScheduleActivity(
            seq=seq,
            activity_id=activity_id or str(seq),
            activity_type=activity,
            task_queue=task_queue or self._info.task_queue,
            arguments=payloads,
            cancellation_type=cast(common_pb2.CancellationType, int(cancellation_type)),
            do_not_eagerly_execute=disable_eager_execution,
        )
        _duration(schedule_to_close_timeout, s.schedule_to_close_timeout)
        _duration(schedule_to_start_timeout, s.schedule_to_start_timeout)
        _duration(start_to_close_timeout, s.start_to_close_timeout)
        _duration(heartbeat_timeout, s.heartbeat_timeout)
        if retry_policy is not None:
            retry_policy.apply_to_proto(s.retry_policy)
        if priority is not None:
            priority.apply_to_proto(s.priority)
        c = self._add_command()
        c.schedule_activity.CopyFrom(s)
        if summary:
            c.user_metadata_summary = summary

        handle: _ActivityHandle[Any]

        async def run_activity() -> Any:
            handle._started = True
            return await self._await_operation(handle._ts_result, lambda _err: handle._request_cancel())

        handle = _ActivityHandle(self, seq, activity, result_type, run_activity())
        self._pending_activities[seq] = handle
        return handle

    def workflow_start_local_activity(
        self,
        activity: str,
        args: Sequence[Any],
        *,
        result_type: Any,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        retry_policy: RetryPolicy | None,
        local_retry_threshold: timedelta | None,
        cancellation_type: wf.ActivityCancellationType,
        activity_id: str | None,
        summary: str | None,
    ) -> wf.ActivityHandle[Any]:
        self._check_writable("schedule a local activity")
        s = cmd_pb.ScheduleLocalActivity(
            activity_type=activity,
            activity_id=activity_id or "",
            arguments=self._pc.to_payloads(args),
            cancellation_type=cast(common_pb2.CancellationType, int(cancellation_type)),
        )
        _duration(schedule_to_close_timeout, s.schedule_to_close_timeout)
        _duration(schedule_to_start_timeout, s.schedule_to_start_timeout)
        _duration(start_to_close_timeout, s.start_to_close_timeout)
        _duration(local_retry_threshold, s.local_retry_threshold)
        if retry_policy is not None:
            retry_policy.apply_to_proto(s.retry_policy)

        handle: _ActivityHandle[Any]

        async def run_activity() -> Any:
            handle._started = True
            while True:
                try:
                    return await self._await_operation(handle._ts_result, lambda _err: handle._request_cancel())
                except _DoBackoff as err:
                    # As core-based SDKs do, invisibly to workflow code: a
                    # backoff too long to spend inside the workflow task is
                    # a durable timer (cancelling the handle cancels it),
                    # then the next attempt is scheduled.
                    await self.workflow_sleep(err.backoff.backoff_duration.ToTimedelta().total_seconds(), summary=None)
                    handle._schedule_local(err.backoff)

        handle = _ActivityHandle(self, 0, activity, result_type, run_activity(), local=s, summary=summary)
        handle._schedule_local(None)
        return handle

    async def workflow_start_child_workflow(
        self,
        workflow: str,
        args: Sequence[Any],
        *,
        id: str,
        task_queue: str | None,
        result_type: Any,
        cancellation_type: wf.ChildWorkflowCancellationType,
        parent_close_policy: wf.ParentClosePolicy,
        execution_timeout: timedelta | None,
        run_timeout: timedelta | None,
        task_timeout: timedelta | None,
        id_reuse_policy: int,
        retry_policy: RetryPolicy | None,
        cron_schedule: str,
        memo: Mapping[str, Any] | None,
        search_attributes: SearchAttributes | TypedSearchAttributes | None,
        static_summary: str | None,
        priority: Priority | None,
    ) -> wf.ChildWorkflowHandle[Any, Any]:
        self._check_writable("start a child workflow")
        payloads = self._pc.to_payloads(args)
        seq = self._next_seq("child_workflow")
        s = cmd_pb.StartChildWorkflowExecution(
            seq=seq,
            namespace=self._info.namespace,
            workflow_id=id,
            workflow_type=workflow,
            task_queue=task_queue or self._info.task_queue,
            input=payloads,
            parent_close_policy=cast(common_pb2.ParentClosePolicy, int(parent_close_policy)),
            workflow_id_reuse_policy=cast(common_pb2.WorkflowIdReusePolicy, int(id_reuse_policy)),
            cron_schedule=cron_schedule,
            cancellation_type=cast(common_pb2.CancellationType, int(cancellation_type)),
        )
        _duration(execution_timeout, s.workflow_execution_timeout)
        _duration(run_timeout, s.workflow_run_timeout)
        _duration(task_timeout, s.workflow_task_timeout)
        if retry_policy is not None:
            retry_policy.apply_to_proto(s.retry_policy)
        for k, v in (memo or {}).items():
            s.memo[k].CopyFrom(self._pc.to_payload(v))
        encode_search_attributes(search_attributes, s.search_attributes, self._pc)
        if priority is not None:
            priority.apply_to_proto(s.priority)
        c = self._add_command()
        c.start_child_workflow_execution.CopyFrom(s)
        if static_summary:
            c.user_metadata_summary = static_summary

        handle: _ChildWorkflowHandle[Any]

        def on_cancel(err: asyncio.CancelledError) -> None:
            if handle._cancel_sent:
                return
            handle._cancel_sent = True
            reason = err.args[0] if err.args and isinstance(err.args[0], str) else ""
            self._add_command().cancel_child_workflow_execution.CopyFrom(
                cmd_pb.CancelChildWorkflowExecution(child_workflow_seq=seq, reason=reason)
            )

        async def run_child() -> Any:
            return await self._await_operation(handle._ts_result, on_cancel)

        handle = _ChildWorkflowHandle(self, seq, id, result_type, run_child())
        self._pending_children[seq] = handle
        await self._await_operation(handle._ts_start, on_cancel)
        return handle

    async def workflow_start_nexus_operation(
        self,
        *,
        endpoint: str,
        service: str,
        operation: str,
        input: Any,
        output_type: Any,
        schedule_to_close_timeout: timedelta | None,
        schedule_to_start_timeout: timedelta | None,
        start_to_close_timeout: timedelta | None,
        cancellation_type: wf.NexusOperationCancellationType,
        headers: Mapping[str, str] | None,
        summary: str | None,
    ) -> wf.NexusOperationHandle[Any]:
        self._check_writable("start a Nexus operation")
        payload = self._pc.to_payload(input)
        seq = self._next_seq("nexus_operation")
        s = cmd_pb.ScheduleNexusOperation(
            seq=seq,
            endpoint=endpoint,
            service=service,
            operation=operation,
            input=payload,
            nexus_header=dict(headers or {}),
            cancellation_type=cast(common_pb2.CancellationType, int(cancellation_type)),
        )
        _duration(schedule_to_close_timeout, s.schedule_to_close_timeout)
        _duration(schedule_to_start_timeout, s.schedule_to_start_timeout)
        _duration(start_to_close_timeout, s.start_to_close_timeout)
        c = self._add_command()
        c.schedule_nexus_operation.CopyFrom(s)
        if summary:
            c.user_metadata_summary = summary

        handle: _NexusOperationHandle[Any]

        def on_cancel(_err: asyncio.CancelledError) -> None:
            if handle._cancel_sent or handle._start_failed:
                return
            handle._cancel_sent = True
            self._add_command().request_cancel_nexus_operation.seq = seq

        async def run_operation() -> Any:
            return await self._await_operation(handle._ts_result, on_cancel)

        handle = _NexusOperationHandle(self, seq, f"{service}/{operation}", output_type, run_operation())
        self._pending_nexus[seq] = handle
        await self._await_operation(handle._ts_start, on_cancel)
        return handle

    def workflow_external_handle(self, workflow_id: str, run_id: str | None) -> wf.ExternalWorkflowHandle[Any]:
        return _ExternalWorkflowHandle(self, workflow_id, run_id)

    async def _signal_external(self, command: cmd_pb.SignalExternalWorkflowExecution) -> None:
        self._check_writable("signal a workflow")
        seq = self._next_seq("external_signal")
        command.seq = seq
        fut: asyncio.Future[None] = self.create_future()
        self._pending_signals[seq] = fut
        self._add_command().signal_external_workflow_execution.CopyFrom(command)
        await fut

    async def _cancel_external(self, workflow_id: str, run_id: str | None, reason: str) -> None:
        self._check_writable("cancel a workflow")
        seq = self._next_seq("external_cancel")
        fut: asyncio.Future[None] = self.create_future()
        self._pending_cancels[seq] = fut
        self._add_command().request_cancel_external_workflow_execution.CopyFrom(
            cmd_pb.RequestCancelExternalWorkflowExecution(
                seq=seq,
                workflow_execution=cmd_pb.NamespacedWorkflowExecution(
                    namespace=self._info.namespace, workflow_id=workflow_id, run_id=run_id or ""
                ),
                reason=reason,
            )
        )
        await fut

    def workflow_set_signal_handler(self, name: str | None, handler: Callable[..., Any] | None) -> None:
        self._check_writable("set a signal handler")
        if handler is None:
            self._signals.pop(name, None)
            return
        arg_types, _ = wf._type_hints(handler, skip_first=False)
        defn = wf._SignalDefinition(name=name, fn=handler, is_method=False, arg_types=arg_types)
        self._signals[name] = defn
        if name is not None:
            for job in self._buffered_signals.pop(name, []):
                self._process_signal(defn, job)
        else:
            buffered, self._buffered_signals = self._buffered_signals, {}
            for jobs in buffered.values():
                for job in jobs:
                    self._process_signal(defn, job)

    def workflow_get_signal_handler(self, name: str | None) -> Callable[..., Any] | None:
        d = self._signals.get(name)
        return None if d is None else d.bind(self._object)

    def workflow_set_query_handler(self, name: str | None, handler: Callable[..., Any] | None) -> None:
        self._check_writable("set a query handler")
        if handler is None:
            self._queries.pop(name, None)
            return
        if inspect.iscoroutinefunction(handler):
            raise ValueError("a query handler cannot be async")
        arg_types, ret = wf._type_hints(handler, skip_first=False)
        self._queries[name] = wf._QueryDefinition(name=name, fn=handler, is_method=False, arg_types=arg_types, ret_type=ret)

    def workflow_get_query_handler(self, name: str | None) -> Callable[..., Any] | None:
        d = self._queries.get(name)
        return None if d is None else d.bind(self._object)

    def workflow_set_update_handler(
        self, name: str | None, handler: Callable[..., Any] | None, validator: Callable[..., None] | None
    ) -> None:
        self._check_writable("set an update handler")
        if handler is None:
            self._updates.pop(name, None)
            return
        arg_types, ret = wf._type_hints(handler, skip_first=False)
        defn = wf._UpdateDefinition(
            name=name, fn=handler, is_method=False, arg_types=arg_types, ret_type=ret, validator=validator
        )
        self._updates[name] = defn
        still: list[tuple[act_pb.DoUpdate, asyncio.Future[wf._UpdateDefinition]]] = []
        for job, fut in self._buffered_updates:
            if not fut.done() and (name is None or job.name == name):
                fut.set_result(defn)
            elif not fut.done():
                still.append((job, fut))
        self._buffered_updates = still

    def workflow_get_update_handler(self, name: str | None) -> Callable[..., Any] | None:
        d = self._updates.get(name)
        return None if d is None else d.bind(self._object)

    def workflow_all_handlers_finished(self) -> bool:
        return not self._in_progress_signals and not self._in_progress_updates

    # ------------------------------------------------------------------ timers

    def _start_timer(
        self,
        delay: float,
        callback: Callable[..., Any],
        args: Sequence[Any],
        context: contextvars.Context | None,
        summary: str | None,
    ) -> _TimerHandle:
        self._check_writable("start a timer")
        if delay < 0:
            raise RuntimeError("a timer cannot have a negative delay")
        seq = self._next_seq("timer")
        handle = _TimerHandle(seq, self.time() + delay, callback, args, self, context)
        c = self._add_command()
        # Temporal needs a positive duration; round up to a millisecond.
        nanos = max(int(delay * 1e9), 1_000_000)
        c.start_timer.seq = seq
        c.start_timer.start_to_fire_timeout.FromNanoseconds(nanos)
        if summary:
            c.user_metadata_summary = summary
        self._pending_timers[seq] = handle
        return handle

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        if not isinstance(handle, _TimerHandle):
            return
        if self._pending_timers.pop(handle._seq, None) is None:
            return  # fired already
        if self._deleting:
            return
        self._add_command().cancel_timer.seq = handle._seq

    # ------------------------------------------------------------------ asyncio.AbstractEventLoop

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.Handle:
        h = asyncio.Handle(callback, args, self, context)
        self._ready.append(h)
        return h

    def call_later(  # type: ignore[override]
        self, delay: float, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.TimerHandle:
        if delay <= 0:
            # asyncio calls these at once; Temporal has no zero-length timer.
            th = asyncio.TimerHandle(self.time(), callback, args, self, context)
            self._ready.append(th)
            return th
        return self._start_timer(delay, callback, args, context, None)

    def call_at(  # type: ignore[override]
        self, when: float, callback: Callable[..., object], *args: Any, context: contextvars.Context | None = None
    ) -> asyncio.TimerHandle:
        # asyncio.timeout and (3.12+) wait_for compute `when` from time().
        return self.call_later(round(when - self.time(), 3), callback, *args, context=context)

    def time(self) -> float:
        return self._time_ns / 1e9

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.Future(loop=self)

    def create_task(  # type: ignore[override]
        self,
        coro: Coroutine[Any, Any, _T],
        *,
        name: str | None = None,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[_T]:
        if context is not None and sys.version_info >= (3, 11):
            task: asyncio.Task[_T] = asyncio.Task(coro, loop=self, context=context)
        else:
            task = asyncio.Task(coro, loop=self)
        self._register_task(task, name)
        return task

    def is_running(self) -> bool:
        return True

    def is_closed(self) -> bool:
        return False

    def get_debug(self) -> bool:
        return False

    def set_debug(self, enabled: bool) -> None:
        pass

    def get_task_factory(self) -> None:
        return None

    def set_task_factory(self, factory: Any) -> None:
        raise wf.NondeterminismError("set_task_factory " + _NOT_DETERMINISTIC)

    def get_exception_handler(self) -> Any:
        return self._exception_handler

    def set_exception_handler(self, handler: Any) -> None:
        self._exception_handler = handler

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        message = context.get("message") or "unhandled exception in the workflow event loop"
        err = context.get("exception")
        logger.error(
            "%s (workflow %s, id %s, run %s)",
            message,
            self._info.workflow_type,
            self._info.workflow_id,
            self._run_id,
            exc_info=(type(err), err, err.__traceback__) if isinstance(err, BaseException) else None,
        )

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        if self._deleting:
            return
        try:
            if self._exception_handler is not None:
                self._exception_handler(self, context)
            else:
                self.default_exception_handler(context)
        except Exception:  # noqa: BLE001
            logger.exception("the workflow event loop's exception handler failed")

    # Everything that leaves the loop's control is refused with a clear error.

    def _refuse(self, what: str) -> NoReturn:
        raise wf.NondeterminismError(f"{what} {_NOT_DETERMINISTIC}")

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> Any:  # type: ignore[override]
        self._refuse("loop.run_in_executor (and asyncio.to_thread)")

    def set_default_executor(self, executor: Any) -> None:
        self._refuse("loop.set_default_executor")

    def call_soon_threadsafe(self, callback: Any, *args: Any, context: Any = None) -> Any:  # type: ignore[override]
        self._refuse("loop.call_soon_threadsafe (threads)")

    def run_forever(self) -> None:
        self._refuse("loop.run_forever")

    def run_until_complete(self, future: Any) -> Any:
        self._refuse("loop.run_until_complete")

    def stop(self) -> None:
        self._refuse("loop.stop")

    def close(self) -> None:
        self._refuse("loop.close")

    async def shutdown_asyncgens(self) -> None:
        self._refuse("loop.shutdown_asyncgens")

    async def shutdown_default_executor(self, *args: Any) -> None:
        self._refuse("loop.shutdown_default_executor")

    async def getaddrinfo(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("DNS lookups (loop.getaddrinfo)")

    async def getnameinfo(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("DNS lookups (loop.getnameinfo)")

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("network connections (loop.create_connection)")

    async def create_server(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("servers (loop.create_server)")

    async def sendfile(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("loop.sendfile")

    async def start_tls(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("loop.start_tls")

    async def create_unix_connection(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("network connections (loop.create_unix_connection)")

    async def create_unix_server(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("servers (loop.create_unix_server)")

    async def connect_accepted_socket(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.connect_accepted_socket)")

    async def create_datagram_endpoint(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.create_datagram_endpoint)")

    async def connect_read_pipe(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("pipes (loop.connect_read_pipe)")

    async def connect_write_pipe(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("pipes (loop.connect_write_pipe)")

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("subprocesses (loop.subprocess_shell)")

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("subprocesses (loop.subprocess_exec)")

    def add_reader(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._refuse("file descriptors (loop.add_reader)")

    def remove_reader(self, *args: Any, **kwargs: Any) -> bool:
        self._refuse("file descriptors (loop.remove_reader)")

    def add_writer(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._refuse("file descriptors (loop.add_writer)")

    def remove_writer(self, *args: Any, **kwargs: Any) -> bool:
        self._refuse("file descriptors (loop.remove_writer)")

    async def sock_recv(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_recv)")

    async def sock_recv_into(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_recv_into)")

    async def sock_recvfrom(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_recvfrom)")

    async def sock_recvfrom_into(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_recvfrom_into)")

    async def sock_sendall(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_sendall)")

    async def sock_sendto(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_sendto)")

    async def sock_connect(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_connect)")

    async def sock_accept(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_accept)")

    async def sock_sendfile(self, *args: Any, **kwargs: Any) -> Any:
        self._refuse("sockets (loop.sock_sendfile)")

    def add_signal_handler(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self._refuse("OS signal handlers (loop.add_signal_handler)")

    def remove_signal_handler(self, *args: Any, **kwargs: Any) -> bool:
        self._refuse("OS signal handlers (loop.remove_signal_handler)")


class _TimerHandle(asyncio.TimerHandle):
    def __init__(
        self,
        seq: int,
        when: float,
        callback: Callable[..., Any],
        args: Sequence[Any],
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context | None,
    ) -> None:
        super().__init__(when, callback, args, loop, context)
        self._seq = seq


class _ActivityHandle(wf.ActivityHandle[_T]):
    def __init__(
        self,
        instance: WorkflowInstance,
        seq: int,
        activity_type: str,
        result_type: Any,
        coro: Coroutine[Any, Any, _T],
        *,
        local: cmd_pb.ScheduleLocalActivity | None = None,
        summary: str | None = None,
    ) -> None:
        super().__init__(coro, loop=instance)
        self._instance = instance
        self._seq = seq
        self._activity_type = activity_type
        self._result_type = result_type
        self._ts_result: asyncio.Future[_T] = instance.create_future()
        self._started = False
        self._cancel_sent = False
        self._local = local  # the ScheduleLocalActivity of a local activity, without seq and attempt
        self._summary = summary
        instance._register_task(self, f"{'local ' if local is not None else ''}activity {activity_type}")

    def cancel(self, msg: Any | None = None) -> bool:
        if not self._instance._deleting:
            self._instance._check_writable("cancel an activity")
            # Not started: its coroutine never runs to catch the cancel.
            if not self._started and not self.done():
                self._request_cancel()
        return super().cancel(msg)

    def _request_cancel(self) -> None:
        if self._cancel_sent:
            return
        self._cancel_sent = True
        if self._local is not None:
            self._instance._add_command().request_cancel_local_activity.seq = self._seq
        else:
            self._instance._add_command().request_cancel_activity.seq = self._seq

    def _schedule_local(self, backoff: act_pb.DoBackoff | None) -> None:
        """Schedule the local activity's first attempt, or the attempt a
        DoBackoff asked for: each under a new seq, as temporalio does."""
        assert self._local is not None
        inst = self._instance
        self._seq = inst._next_seq("activity")  # one sequence with activities, as temporalio
        self._ts_result = inst.create_future()
        self._cancel_sent = False
        c = inst._add_command()
        s = c.schedule_local_activity
        s.CopyFrom(self._local)
        s.seq = self._seq
        s.activity_id = self._local.activity_id or str(self._seq)
        if backoff is not None:
            s.attempt = backoff.attempt
            s.original_schedule_time.CopyFrom(backoff.original_schedule_time)
        if self._summary:
            c.user_metadata_summary = self._summary
        inst._pending_activities[self._seq] = self

    def _resolve_success(self, value: Any) -> None:
        if not self._ts_result.done():
            self._ts_result.set_result(value)

    def _resolve_failure(self, err: BaseException) -> None:
        # Not started: nobody awaits the result (it was cancelled first).
        if self._started and not self._ts_result.done():
            self._ts_result.set_exception(err)


class _ChildWorkflowHandle(wf.ChildWorkflowHandle[Any, _T]):
    def __init__(
        self,
        instance: WorkflowInstance,
        seq: int,
        workflow_id: str,
        result_type: Any,
        coro: Coroutine[Any, Any, _T],
    ) -> None:
        super().__init__(coro, loop=instance)
        self._instance = instance
        self._seq = seq
        self._workflow_id = workflow_id
        self._result_type = result_type
        self._ts_start: asyncio.Future[None] = instance.create_future()
        self._ts_result: asyncio.Future[_T] = instance.create_future()
        self._run_id: str | None = None
        self._cancel_sent = False
        instance._register_task(self, f"child {workflow_id}")

    @property
    def id(self) -> str:
        return self._workflow_id

    @property
    def first_execution_run_id(self) -> str | None:
        return self._run_id

    async def signal(self, signal: str | Callable[..., Any], arg: Any = wf._arg_unset, *, args: Sequence[Any] = ()) -> None:
        name = wf._SignalDefinition.must_name_from_fn_or_str(signal)
        payloads = self._instance._pc.to_payloads(wf._arg_or_args(arg, args))
        await self._instance._signal_external(
            cmd_pb.SignalExternalWorkflowExecution(child_workflow_id=self._workflow_id, signal_name=name, args=payloads)
        )

    def _resolve_start(self, run_id: str) -> None:
        self._run_id = run_id
        if not self._ts_start.done():
            self._ts_start.set_result(None)

    def _resolve_success(self, value: Any) -> None:
        if not self._ts_result.done():
            self._ts_result.set_result(value)

    def _resolve_failure(self, err: BaseException) -> None:
        if self._ts_start.done():
            if not self._ts_result.done():
                self._ts_result.set_exception(err)
        else:
            self._ts_start.set_exception(err)
            # Nobody awaits the result of a child that never started.
            self.cancel()


class _NexusOperationHandle(wf.NexusOperationHandle[_T]):
    def __init__(
        self,
        instance: WorkflowInstance,
        seq: int,
        name: str,
        output_type: Any,
        coro: Coroutine[Any, Any, _T],
    ) -> None:
        super().__init__(coro, loop=instance)
        self._instance = instance
        self._seq = seq
        self._output_type = output_type
        self._ts_start: asyncio.Future[None] = instance.create_future()
        self._ts_result: asyncio.Future[_T] = instance.create_future()
        self._token: str | None = None
        self._cancel_sent = False
        self._start_failed = False
        instance._register_task(self, f"nexus operation {name}")

    @property
    def operation_token(self) -> str | None:
        return self._token

    def _resolve_start(self, token: str | None) -> None:
        self._token = token
        if not self._ts_start.done():
            self._ts_start.set_result(None)

    def _resolve_success(self, value: Any) -> None:
        if not self._ts_result.done():
            self._ts_result.set_result(value)

    def _resolve_failure(self, err: BaseException) -> None:
        if self._ts_start.done():
            if not self._ts_result.done():
                self._ts_result.set_exception(err)
        else:
            self._ts_start.set_exception(err)
            # Nobody awaits the result of an operation that never started:
            # end its task quietly.
            if not self._ts_result.done():
                self._ts_result.set_result(cast(_T, None))


class _ExternalWorkflowHandle(wf.ExternalWorkflowHandle[Any]):
    def __init__(self, instance: WorkflowInstance, workflow_id: str, run_id: str | None) -> None:
        self._instance = instance
        self._id = workflow_id
        self._run_id = run_id

    @property
    def id(self) -> str:
        return self._id

    @property
    def run_id(self) -> str | None:
        return self._run_id

    async def signal(self, signal: str | Callable[..., Any], arg: Any = wf._arg_unset, *, args: Sequence[Any] = ()) -> None:
        name = wf._SignalDefinition.must_name_from_fn_or_str(signal)
        payloads = self._instance._pc.to_payloads(wf._arg_or_args(arg, args))
        await self._instance._signal_external(
            cmd_pb.SignalExternalWorkflowExecution(
                workflow_execution=cmd_pb.NamespacedWorkflowExecution(
                    namespace=self._instance._info.namespace, workflow_id=self._id, run_id=self._run_id or ""
                ),
                signal_name=name,
                args=payloads,
            )
        )

    async def cancel(self, *, reason: str = "") -> None:
        await self._instance._cancel_external(self._id, self._run_id, reason)


def _local_failure_as_core(f: common_pb2.Failure) -> common_pb2.Failure:
    """A local activity's failure as sdk-core hands it to temporalio, so a
    workflow sees what it sees natively: the activity's own failure as it is
    (an ApplicationError, not an ActivityError around it); a timeout or a
    cancellation wrapped in an ActivityFailure worded as core words it
    ("Local Activity timed out" around "Activity timed out", "Local Activity
    cancelled" around "Activity cancelled"), retry state CANCEL_REQUESTED.
    The sidecar wraps every local activity failure in an ActivityFailure."""
    if not f.HasField("activity_failure_info") or not f.HasField("cause"):
        return f
    kind = f.cause.WhichOneof("failure_info")
    if kind not in ("timeout_failure_info", "canceled_failure_info"):
        return f.cause
    out = common_pb2.Failure()
    out.CopyFrom(f)
    timeout = kind == "timeout_failure_info"
    out.message = "Local Activity timed out" if timeout else "Local Activity cancelled"
    out.source = ""
    out.cause.message = "Activity timed out" if timeout else "Activity cancelled"
    out.activity_failure_info.retry_state = common_pb2.RETRY_STATE_CANCEL_REQUESTED
    return out

"""The stand-in for sdk-core's worker.

temporalio's ``Worker`` reaches its Rust core only through
``temporalio.bridge.worker.Worker``, which wraps a ``WorkerRef`` and calls it
with sdk-core's protobuf messages as bytes. :py:class:`CoreWorker` has the
``WorkerRef``'s methods and forwards those bytes over one ``Connect`` stream
of the sidecar, registered with ``core_protocol_version``; the sidecar does
what sdk-core would (polling, slots, sticky cache, history, throttling).

What sdk-core does *inside* the process and the sidecar cannot (it is in
another process) is done here:

* a run evicted from the sidecar's cache, or lost with the stream, is evicted
  from temporalio's cache too: every run temporalio holds gets its
  ``RemoveFromCache`` activation, whose completion stays here;
* the Worker's ``max_cached_workflows``, when smaller than the sidecar's
  cache, is enforced by asking the sidecar to evict the least recently used
  run (with 0, every run after each activation), as sdk-core's cache would;
* ``initiate_shutdown`` drains the session (``Drain`` → ``Drained``),
  cancels running activities once the Worker's graceful_shutdown_timeout has
  passed, evicts every cached run, and then the polls end with
  ``PollShutdownError``, as sdk-core's do;
* when the stream breaks, running activities and Nexus tasks are cancelled
  (the sidecar has failed them for retry, so their results have nowhere to
  go) and the adapter reconnects and registers again.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import grpc
import grpc.aio
import temporalio.bridge.proto
import temporalio.bridge.proto.activity_task
import temporalio.bridge.proto.nexus
import temporalio.bridge.proto.workflow_activation
import temporalio.bridge.proto.workflow_completion
import temporalio.bridge.worker

from temporal_sidecar import _usage
from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2
from temporal_sidecar.sdk._payload_limits import PayloadLimits
from temporal_sidecar.sdk._registration import AppSettings
from temporal_sidecar.sdk._slots import SlotSuppliers
from temporal_sidecar.sdk._version import CORE_PROTOCOL_VERSION, supported_range_text, temporalio_version

logger = logging.getLogger("temporal_sidecar.sdk")

_wa = temporalio.bridge.proto.workflow_activation
_wc = temporalio.bridge.proto.workflow_completion
_at = temporalio.bridge.proto.activity_task
_nx = temporalio.bridge.proto.nexus

# What sdk-core's polls raise once shut down; temporalio's poll loops end on it.
PollShutdownError: type[Exception] = temporalio.bridge.worker.PollShutdownError  # type: ignore[attr-defined]

_CONNECT = "/sidecar.bridge.v1.BridgeService/Connect"
_HEALTH_CHECK = "/grpc.health.v1.Health/Check"
#: The largest message on the bridge (the sidecar's default --bridge-max-message-bytes).
MAX_MESSAGE_BYTES = 128 << 20

# A refusal: the registration or the token is wrong, and retrying cannot help.
_REFUSAL_CODES = frozenset(
    {
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


class SidecarRefused(RuntimeError):
    """The sidecar refused this worker's registration, or could not be reached."""


def _ident(b: bytes) -> bytes:
    return b


def _serialize(m: bridge_pb2.ConnectRequest) -> bytes:
    return m.SerializeToString()


class _Inbox:
    """What one poll_* returns next. One poller per kind at a time, as
    temporalio polls each kind from one loop."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: collections.deque[bytes] = collections.deque()
        self._wake = asyncio.Event()
        self.closed = False
        self._error: BaseException | None = None

    def put(self, b: bytes) -> None:
        self._items.append(b)
        self._wake.set()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._wake.set()

    def fail(self, err: BaseException) -> None:
        self._error = err
        self._wake.set()

    async def get(self) -> bytes:
        while True:
            if self._error is not None:
                # Raised once: temporalio then shuts the Worker down and polls
                # again until PollShutdownError, as after a fatal core error.
                err, self._error = self._error, None
                raise err
            if self._items:
                return self._items.popleft()
            if self.closed:
                raise PollShutdownError(f"{self.kind} polling has shut down")
            self._wake.clear()
            await self._wake.wait()


@dataclass
class _Run:
    """A workflow run temporalio holds in its cache."""

    session: int
    outstanding: bool = False  # an activation is with temporalio
    evicting: bool = False  # ... and it is a RemoveFromCache
    local_eviction: bool = False  # ... made here: its completion stays here
    evict_when_answered: bool = False  # the session was lost while outstanding
    eviction_requested: bool = False


@dataclass
class _Task:
    """An activity (remote or local) or Nexus task temporalio is running."""

    session: int
    local: bool = False
    cancel_sent: bool = False


class _Backoff:
    def __init__(self) -> None:
        self._n = 0

    def reset(self) -> None:
        self._n = 0

    def next(self) -> float:
        self._n += 1
        base: float = min(0.1 * 2.0 ** min(self._n, 10), 5.0)
        return base * (0.8 + 0.4 * random.random())


class CoreWorker:
    """Forwards a temporalio Worker's sdk-core messages to the sidecar.

    It has the methods of sdk-core's ``WorkerRef`` that
    ``temporalio.bridge.worker.Worker`` calls; everything runs on the Worker's
    event loop.
    """

    def __init__(
        self,
        *,
        target: str,
        channel_factory: Callable[[], grpc.aio.Channel],
        metadata: tuple[tuple[str, str], ...],
        register: bridge_pb2.Register,
        settings: AppSettings,
        connect_timeout: timedelta = timedelta(seconds=30),
        payload_limits: PayloadLimits | None = None,
        retired: object | None = None,
    ) -> None:
        self._target = target
        self._channel_factory = channel_factory
        self._channel: grpc.aio.Channel | None = None
        self._metadata = metadata
        self._register = register
        self._settings = settings
        self._connect_timeout = connect_timeout
        self._payload_limits = payload_limits
        # temporalio's own (retired) Rust worker, kept as long as this one:
        # before temporalio 1.35, dropping a worker's handle on the Runtime
        # stopped the Runtime's log forwarding for every client and worker.
        self._retired = retired

        self._workflows = _Inbox("workflow activation")
        self._activities = _Inbox("activity task")
        self._nexus = _Inbox("Nexus task")
        self._runs: collections.OrderedDict[str, _Run] = collections.OrderedDict()
        self._tasks: dict[bytes, _Task] = {}
        self._nexus_tasks: dict[bytes, _Task] = {}

        self._generation = 0  # the current session's number; 0 before the first
        self._outbox: asyncio.Queue[bridge_pb2.ConnectRequest | None] | None = None  # the live session's
        self._drain_sent = False
        self._drained = False
        self._stopping = False  # initiate_shutdown was called, or polling stopped for good
        self._stopped = asyncio.Event()  # the session loop ended
        self._wake_reconnect = asyncio.Event()
        self._registered: asyncio.Future[bridge_pb2.Registered] | None = None
        self._serve_task: asyncio.Task[None] | None = None
        self._grace_timer: asyncio.TimerHandle | None = None
        self._limits: bridge_pb2.Limits | None = None
        self._cache_limit: int | None = None  # enforced here when below the sidecar's
        self._slots: SlotSuppliers | None = None  # the live session's, with custom slot suppliers
        # Reports this process's memory and CPU to the live session, for the
        # sidecar's resource-based slot suppliers (as temporal_sidecar.Worker).
        self._usage_reporter: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ WorkerRef

    async def validate(self) -> bytes:
        """Connects, registers and waits for the sidecar's answer: a refusal
        raises here, so the Worker fails at start as with a wrong namespace."""
        if self._serve_task is None:
            loop = asyncio.get_running_loop()
            self._registered = loop.create_future()
            self._serve_task = loop.create_task(self._serve())
        assert self._registered is not None
        try:
            registered = await asyncio.shield(self._registered)
        except SidecarRefused as err:
            # sdk-core's shape for a worker that cannot start (an unknown namespace, ...).
            raise SidecarRefused(f"Worker validation failed: {err}") from None
        info = temporalio.bridge.proto.NamespaceInfo()
        info.limits.blob_size_limit_error = registered.limits.max_payload_blob_bytes
        return info.SerializeToString()

    async def poll_workflow_activation(self) -> bytes:
        return await self._workflows.get()

    async def poll_activity_task(self) -> bytes:
        return await self._activities.get()

    async def poll_nexus_task(self) -> bytes:
        return await self._nexus.get()

    async def complete_workflow_activation(self, completion: bytes) -> None:
        c = _wc.WorkflowActivationCompletion.FromString(completion)
        if self._payload_limits is not None:
            self._payload_limits.workflow_completion(c, len(completion))
        run = self._runs.get(c.run_id)
        if run is None or not run.outstanding:
            # Not something this worker was given; the sidecar names the problem.
            self._send(bridge_pb2.ConnectRequest(core_workflow_completion=completion))
            return
        run.outstanding = False
        if run.evicting:
            del self._runs[c.run_id]
            if not run.local_eviction and run.session == self._generation:
                self._send(bridge_pb2.ConnectRequest(core_workflow_completion=completion))
            self._check_done()
            return
        if run.session != self._generation or self._outbox is None or run.evict_when_answered:
            # Its session is gone: the sidecar has moved the run on.
            self._evict_locally(c.run_id, run, "the session with the sidecar ended")
            return
        self._send(bridge_pb2.ConnectRequest(core_workflow_completion=completion))
        self._enforce_cache_limit(c.run_id)

    async def complete_activity_task(self, completion: bytes) -> None:
        c = temporalio.bridge.proto.ActivityTaskCompletion.FromString(completion)
        if self._payload_limits is not None:
            self._payload_limits.activity_completion(c, len(completion))
        task = self._tasks.pop(c.task_token, None)
        if task is None or task.session == self._generation:
            self._send(bridge_pb2.ConnectRequest(core_activity_completion=completion))
        else:
            logger.debug("dropping the result of an activity whose session with the sidecar ended")
        self._check_done()

    async def complete_nexus_task(self, completion: bytes) -> None:
        c = _nx.NexusTaskCompletion.FromString(completion)
        task = self._nexus_tasks.pop(c.task_token, None)
        if task is None or task.session == self._generation:
            self._send(bridge_pb2.ConnectRequest(core_nexus_completion=completion))
        else:
            logger.debug("dropping the result of a Nexus task whose session with the sidecar ended")
        self._check_done()

    def record_activity_heartbeat(self, heartbeat: bytes) -> None:
        h = temporalio.bridge.proto.ActivityHeartbeat.FromString(heartbeat)
        if self._payload_limits is not None:
            self._payload_limits.heartbeat(h, len(heartbeat))
        task = self._tasks.get(h.task_token)
        if task is None or task.session == self._generation:
            self._send(bridge_pb2.ConnectRequest(core_activity_heartbeat=heartbeat))

    def request_workflow_eviction(self, run_id: str) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        if run.session != self._generation or self._outbox is None:
            if run.outstanding:
                run.evict_when_answered = True
            else:
                self._evict_locally(run_id, run, "eviction requested")
            return
        if not run.eviction_requested:
            run.eviction_requested = True
            self._send(
                bridge_pb2.ConnectRequest(
                    request_eviction=bridge_pb2.RequestEviction(run_id=run_id, message="requested by the worker")
                )
            )

    def replace_client(self, client: object) -> None:
        # The sidecar talks to Temporal; a new client changes nothing here.
        pass

    def initiate_shutdown(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        logger.debug("worker on task queue %s shutting down", self._settings.task_queue)
        self._drain()
        loop = asyncio.get_running_loop()
        grace = self._settings.graceful_shutdown_timeout.total_seconds()
        # sdk-core cancels the activities still running once the graceful
        # shutdown timeout has passed.
        self._grace_timer = loop.call_later(grace, self._cancel_activities, _at.ActivityCancelReason.WORKER_SHUTDOWN)
        self._wake_reconnect.set()
        self._check_done()

    async def finalize_shutdown(self) -> None:
        self.initiate_shutdown()
        if self._grace_timer is not None:
            self._grace_timer.cancel()
        if self._serve_task is not None:
            if self._drained or self._outbox is not None:
                try:
                    # The sidecar ends the stream after Drained and our half-close.
                    await asyncio.wait_for(asyncio.shield(self._stopped.wait()), 10)
                except asyncio.TimeoutError:
                    logger.warning("the sidecar did not end the session within 10s of the drain; closing it")
            # Else no session is live (the sidecar is away): stop reconnecting.
            self._serve_task.cancel()
            try:
                await self._serve_task
            except (asyncio.CancelledError, Exception):
                pass
        if self._channel is not None:
            await self._channel.close(None)
            self._channel = None

    # ------------------------------------------------------------ session

    async def _serve(self) -> None:
        backoff = _Backoff()
        first = True
        try:
            while not self._stopping:
                try:
                    await self._session(first)
                    why = "the sidecar drained and ended the session"
                except SidecarRefused as err:
                    self._refused(err)
                    return
                except grpc.aio.AioRpcError as err:
                    if err.code() in _REFUSAL_CODES:
                        self._refused(SidecarRefused(f"the sidecar at {self._target} refused the worker: {err.details()}"))
                        return
                    why = f"the stream to the sidecar broke ({err.code().name}: {err.details()})"
                finally:
                    self._session_ended()
                if self._registered is not None and self._registered.done():
                    first = False
                if self._stopping:
                    return
                delay = backoff.next()
                logger.warning("%s; reconnecting to %s in %.2fs", why, self._target, delay)
                self._wake_reconnect.clear()
                try:
                    await asyncio.wait_for(self._wake_reconnect.wait(), delay)
                except asyncio.TimeoutError:
                    pass
        finally:
            self._stopped.set()
            self._check_done()

    def _refused(self, err: SidecarRefused) -> None:
        if self._registered is not None and not self._registered.done():
            self._registered.set_exception(err)
            self._stopping = True
            for inbox in (self._workflows, self._activities, self._nexus):
                inbox.close()
            return
        logger.error("%s", err)
        self._fail_polls(err)

    def _fail_polls(self, err: BaseException) -> None:
        # As sdk-core's fatal poll errors: each poll raises once, the Worker
        # fails and shuts down.
        self._stopping = True
        for inbox in (self._workflows, self._activities, self._nexus):
            inbox.fail(err)
        self._drain()
        self._check_done()

    async def _check_reachable(self) -> None:
        assert self._channel is not None
        check = self._channel.unary_unary(_HEALTH_CHECK, request_serializer=_ident, response_deserializer=_ident)
        try:
            await check(
                b"", timeout=self._connect_timeout.total_seconds(), metadata=self._metadata, wait_for_ready=True
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                raise SidecarRefused(
                    f"no sidecar answered at {self._target} within {self._connect_timeout}: is it running, "
                    f"and is its --bridge-listen {self._target}?"
                ) from None
            raise SidecarRefused(f"cannot reach the sidecar at {self._target}: {err.code().name}: {err.details()}") from None

    async def _session(self, first: bool) -> None:
        if self._channel is None:
            self._channel = self._channel_factory()
        if first:
            await self._check_reachable()
        outbox: asyncio.Queue[bridge_pb2.ConnectRequest | None] = asyncio.Queue()
        outbox.put_nowait(bridge_pb2.ConnectRequest(register=self._register))

        async def requests() -> AsyncIterator[bridge_pb2.ConnectRequest]:
            while True:
                m = await outbox.get()
                if m is None:
                    return
                yield m

        connect = self._channel.stream_stream(
            _CONNECT, request_serializer=_serialize, response_deserializer=bridge_pb2.ConnectResponse.FromString
        )
        call = connect(requests(), metadata=self._metadata, wait_for_ready=not first)
        registered = False
        try:
            async for m in call:
                kind = m.WhichOneof("message")
                if not registered:
                    if kind != "registered":
                        raise SidecarRefused(
                            f"the sidecar at {self._target} answered the registration with {kind}: "
                            "is it a sidecar that speaks the core protocol?"
                        )
                    registered = True
                    self._generation += 1
                    self._outbox = outbox
                    if self._settings.slot_suppliers:
                        self._slots = SlotSuppliers(self._settings.slot_suppliers, self._send)
                    self._usage_reporter = asyncio.get_running_loop().create_task(_usage.report(self._send))
                    self._drain_sent = False
                    self._drained = False
                    self._on_registered(m.registered)
                    if self._stopping:
                        self._drain()
                    continue
                self._handle(m)
        finally:
            self._outbox = None
            call.cancel()

    def _on_registered(self, r: bridge_pb2.Registered) -> None:
        self._limits = r.limits
        reg = self._register
        if self._registered is not None and not self._registered.done():
            logger.info(
                "temporalio %s (supported: %s) on sidecar %s %s: task queue %s, namespace %s, session %s, "
                "%d workflow types, %d activity types, %d Nexus services (core protocol %d)",
                temporalio_version(),
                supported_range_text(),
                r.sidecar_identity,
                r.sidecar_version,
                r.task_queue,
                r.namespace,
                r.session_id,
                len(reg.workflows) + reg.dynamic_workflow,
                len(reg.activities) + reg.dynamic_activity,
                len(reg.nexus_services),
                CORE_PROTOCOL_VERSION,
            )
            self._log_settings(r)
            self._registered.set_result(r)
        else:
            logger.info("registered again with sidecar %s (session %s)", r.sidecar_identity, r.session_id)

    def _log_settings(self, r: bridge_pb2.Registered) -> None:
        s = self._settings
        for note in s.notes:
            logger.info("%s", note)
        sidecar_cache = r.limits.max_cached_workflows
        if s.max_cached_workflows < sidecar_cache:
            self._cache_limit = s.max_cached_workflows
            logger.info(
                "max_cached_workflows=%d: this worker keeps at most %d runs of the sidecar's %d-run cache",
                s.max_cached_workflows,
                s.max_cached_workflows,
                sidecar_cache,
            )
        elif s.max_cached_workflows > sidecar_cache:
            logger.info(
                "max_cached_workflows=%d: the sidecar caches at most %d runs (--max-cached-workflows), in force",
                s.max_cached_workflows,
                sidecar_cache,
            )
        caps = r.limits.max_concurrent
        reg = self._register.capacity
        for name, app, cap, slot_kind in (
            ("max_concurrent_workflow_tasks", reg.workflow_activations, caps.workflow_activations, bridge_pb2.SLOT_KIND_WORKFLOW),
            ("max_concurrent_activities", reg.activities, caps.activities, bridge_pb2.SLOT_KIND_ACTIVITY),
            ("max_concurrent_local_activities", reg.local_activities, caps.local_activities, bridge_pb2.SLOT_KIND_LOCAL_ACTIVITY),
            ("max_concurrent_nexus_tasks", reg.nexus_tasks, caps.nexus_tasks, bridge_pb2.SLOT_KIND_NEXUS),
        ):
            # A kind the Worker's custom slot supplier serves: the supplier
            # hands out its slots, not the sidecar's own.
            if cap and app > cap and slot_kind not in s.slot_suppliers:
                logger.info("%s=%d: the sidecar runs at most %d at once across its apps, in force", name, app, cap)

    def _send(self, m: bridge_pb2.ConnectRequest) -> bool:
        if self._outbox is None:
            return False
        self._outbox.put_nowait(m)
        return True

    def _drain(self) -> None:
        if not self._drain_sent and self._send(bridge_pb2.ConnectRequest(drain=bridge_pb2.Drain())):
            self._drain_sent = True

    def _handle(self, m: bridge_pb2.ConnectResponse) -> None:
        kind = m.WhichOneof("message")
        if kind == "core_workflow_activation":
            self._on_activation(m.core_workflow_activation)
        elif kind == "core_activity_task":
            self._on_activity_task(m.core_activity_task)
        elif kind == "core_nexus_task":
            self._on_nexus_task(m.core_nexus_task)
        elif kind == "slot_request":
            if self._slots is not None:
                self._slots.handle(m.slot_request)
        elif kind == "completion_error":
            e = m.completion_error
            what = f"run {e.run_id}" if e.WhichOneof("task") == "run_id" else "a task"
            level = logging.INFO if e.kind == bridge_pb2.COMPLETION_ERROR_KIND_UNKNOWN_TASK else logging.WARNING
            logger.log(
                level,
                "the sidecar did not accept the completion of %s: %s (%s)",
                what,
                e.message,
                bridge_pb2.CompletionErrorKind.Name(e.kind),
            )
        elif kind == "shutdown":
            grace = m.shutdown.grace_period.ToTimedelta()
            logger.info("the sidecar is shutting down; running activities have %s to finish", grace)
            # The sidecar sends no new tasks; running activities get its grace
            # period, then are cancelled as sdk-core cancels them at shutdown.
            loop = asyncio.get_running_loop()
            loop.call_later(grace.total_seconds(), self._cancel_activities, _at.ActivityCancelReason.WORKER_SHUTDOWN)
        elif kind == "drained":
            self._drained = True
            # Nothing is outstanding: close our side; the sidecar ends the stream.
            if self._outbox is not None:
                self._outbox.put_nowait(None)
                self._outbox = None
        elif kind == "worker_error":
            we = m.worker_error
            if we.fatal:
                logger.error("the sidecar stopped polling for good: %s", we.message)
                self._fail_polls(RuntimeError(f"the sidecar stopped polling for good: {we.message}"))
            else:
                logger.warning("the sidecar reports: %s", we.message)
        elif kind == "registered":
            logger.warning("the sidecar sent a second registered message; ignoring it")
        else:
            logger.warning("ignoring a %s message on a core session", kind)

    def _on_activation(self, b: bytes) -> None:
        act = _wa.WorkflowActivation.FromString(b)
        evicting = any(j.HasField("remove_from_cache") for j in act.jobs)
        run = self._runs.get(act.run_id)
        if run is None:
            run = _Run(session=self._generation)
            self._runs[act.run_id] = run
        else:
            self._runs.move_to_end(act.run_id)
            if run.outstanding:
                logger.error(
                    "the sidecar sent run %s a second activation before the first was answered", act.run_id
                )
        run.session = self._generation
        run.outstanding = True
        run.evicting = evicting
        run.local_eviction = False
        self._workflows.put(b)

    def _on_activity_task(self, b: bytes) -> None:
        t = _at.ActivityTask.FromString(b)
        if t.HasField("start"):
            self._tasks[t.task_token] = _Task(session=self._generation, local=t.start.is_local)
        elif t.HasField("cancel"):
            task = self._tasks.get(t.task_token)
            if task is not None:
                if task.cancel_sent:
                    return
                task.cancel_sent = True
        self._activities.put(b)

    def _on_nexus_task(self, b: bytes) -> None:
        t = _nx.NexusTask.FromString(b)
        if t.HasField("task"):
            self._nexus_tasks[t.task.task_token] = _Task(session=self._generation)
        elif t.HasField("cancel_task"):
            task = self._nexus_tasks.get(t.cancel_task.task_token)
            if task is not None:
                if task.cancel_sent:
                    return
                task.cancel_sent = True
        self._nexus.put(b)

    def _session_ended(self) -> None:
        """Whatever the session held is gone from the sidecar: evict its runs
        here, and cancel its activities and Nexus tasks."""
        self._outbox = None
        if self._usage_reporter is not None:
            self._usage_reporter.cancel()
            self._usage_reporter = None
        if self._slots is not None:
            self._slots.session_ended()
            self._slots = None
        ended = self._generation
        for run_id, run in list(self._runs.items()):
            if run.session != ended:
                continue
            if run.outstanding:
                if run.evicting:
                    run.local_eviction = True
                else:
                    run.evict_when_answered = True
            else:
                self._evict_locally(run_id, run, "the session with the sidecar ended")
        self._cancel_activities(_at.ActivityCancelReason.NOT_FOUND, only_session=ended)
        for token, task in self._nexus_tasks.items():
            if task.session == ended and not task.cancel_sent:
                task.cancel_sent = True
                self._nexus.put(
                    _nx.NexusTask(
                        cancel_task=_nx.CancelNexusTask(task_token=token, reason=_nx.NexusTaskCancelReason.WORKER_SHUTDOWN)
                    ).SerializeToString()
                )
        self._check_done()

    def _evict_locally(self, run_id: str, run: _Run, why: str) -> None:
        run.outstanding = True
        run.evicting = True
        run.local_eviction = True
        run.evict_when_answered = False
        act = _wa.WorkflowActivation(run_id=run_id)
        act.jobs.add().remove_from_cache.CopyFrom(
            _wa.RemoveFromCache(message=why, reason=_wa.RemoveFromCache.EvictionReason.FATAL)
        )
        self._workflows.put(act.SerializeToString())

    def _enforce_cache_limit(self, answered: str) -> None:
        limit = self._cache_limit
        if limit is None:
            return
        if limit == 0:
            # sdk-core with no cache evicts every run once its activation is answered.
            self.request_workflow_eviction(answered)
            return
        cached = [rid for rid, run in self._runs.items() if not run.evicting and not run.eviction_requested]
        for rid in cached[: max(0, len(cached) - limit)]:
            self.request_workflow_eviction(rid)

    def _cancel_activities(
        self, reason: _at.ActivityCancelReason.ValueType, only_session: int | None = None
    ) -> None:
        for token, task in self._tasks.items():
            if task.cancel_sent or (only_session is not None and task.session != only_session):
                continue
            if only_session is None and task.local:
                # Local activities end with their workflow task; sdk-core
                # cancels only remote ones at shutdown.
                continue
            task.cancel_sent = True
            cancel = _at.Cancel(reason=reason)
            if reason == _at.ActivityCancelReason.WORKER_SHUTDOWN:
                cancel.details.is_worker_shutdown = True
            elif reason == _at.ActivityCancelReason.NOT_FOUND:
                cancel.details.is_not_found = True
            self._activities.put(_at.ActivityTask(task_token=token, cancel=cancel).SerializeToString())

    def _check_done(self) -> None:
        """Once shutting down and the session is drained (or gone), evict what
        temporalio still caches and end each kind's polls when nothing of it is
        outstanding."""
        if not self._stopping:
            return
        if self._outbox is not None and not self._drained:
            return
        if self._drained:
            for run_id, run in list(self._runs.items()):
                if not run.outstanding:
                    self._evict_locally(run_id, run, "the worker is shutting down")
        if not self._runs:
            self._workflows.close()
        if not self._tasks:
            self._activities.close()
        if not self._nexus_tasks:
            self._nexus.close()

    # For tests and diagnostics.
    def _state(self) -> dict[str, Any]:
        return {
            "generation": self._generation,
            "runs": {k: v for k, v in self._runs.items()},
            "activities": dict(self._tasks),
            "nexus": dict(self._nexus_tasks),
            "stopping": self._stopping,
            "drained": self._drained,
        }

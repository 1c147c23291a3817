"""sdk-core's payload-size warnings for what the sidecar uploads.

sdk-core checks every request its client sends against the client's
``PayloadLimitsConfig`` (``payloads_warn_size``, ``memo_warn_size``) and logs
``[TMPRL1103] Attempted to upload payloads with size that exceeded the warning
limit.`` (or ``memo``) through the runtime's logging, forwarded to Python when
the Runtime has a ``LogForwardingConfig``. A Worker's completions reach Temporal
through the sidecar, so temporalio's client never sees them: the adapter makes
the same check on the completions it forwards and logs the same warning where
sdk-core would. The client's own calls (start, signal, ...) are still checked by
temporalio's client.

Each payload-bearing field of what the server receives is measured as sdk-core
measures it, by its serialized size: a ``Payloads`` (activity input, workflow
result, ...), a single ``Payload`` (Nexus input), a whole ``Failure``, a
``Memo`` (child and continue-as-new memos, in the memo class); an upserted memo
as the sum of its keys' and payloads' data lengths.
"""

from __future__ import annotations

import functools
import logging
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import temporalio.api.common.v1
import temporalio.bridge.proto
import temporalio.bridge.proto.workflow_completion
import temporalio.runtime

logger = logging.getLogger("temporal_sidecar.sdk")

_common = temporalio.api.common.v1

#: Where sdk-core logs the warning from (the forwarded record's target).
TARGET = "temporalio_common::payload_limits"

_CORE_LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4, "OFF": 5}

# The TelemetryConfig each temporalio Runtime was made with: a Runtime keeps
# no reference to it, and its logging (forwarded or not) decides where
# sdk-core's warnings go.
_telemetry: weakref.WeakKeyDictionary[temporalio.runtime.Runtime, temporalio.runtime.TelemetryConfig] = (
    weakref.WeakKeyDictionary()
)


def record_runtime_telemetry() -> None:
    """Remembers the telemetry of each temporalio Runtime made from now on
    (idempotent). Runtimes made earlier log the warnings to this module's logger."""
    original = temporalio.runtime.Runtime.__init__
    if getattr(original, "_temporal_sidecar", False):
        return

    @functools.wraps(original)
    def __init__(self: temporalio.runtime.Runtime, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        telemetry = kwargs.get("telemetry")
        if isinstance(telemetry, temporalio.runtime.TelemetryConfig):
            _telemetry[self] = telemetry

    __init__._temporal_sidecar = True  # type: ignore[attr-defined]
    temporalio.runtime.Runtime.__init__ = __init__  # type: ignore[method-assign]


@dataclass(frozen=True)
class _CoreLogEntry:
    """Has what temporalio's log forwarding reads of a ``BufferedLogEntry``."""

    target: str
    message: str
    time: float
    level: int
    fields: dict[str, Any] = field(default_factory=dict)


def _payloads_size(payloads: Iterable[_common.Payload]) -> int:
    return _common.Payloads(payloads=payloads).ByteSize()


def _memo_size(fields: Mapping[str, _common.Payload]) -> int:
    return _common.Memo(fields=fields).ByteSize()


class PayloadLimits:
    """Checks one Worker's completions against its client's warning thresholds."""

    def __init__(self, payloads_warn_size: int, memo_warn_size: int, runtime: object | None) -> None:
        self.payloads_warn_size = payloads_warn_size
        self.memo_warn_size = memo_warn_size
        # Nothing smaller than this can exceed a threshold.
        enabled = [n for n in (payloads_warn_size, memo_warn_size) if n > 0]
        self._floor = min(enabled) if enabled else None
        self._runtime = runtime

    @classmethod
    def of_worker(cls, worker: Any) -> PayloadLimits:
        """The thresholds of the Worker's client (temporalio's defaults when it
        has none), logged where the Worker's runtime logs."""
        config = getattr(getattr(worker.client, "service_client", None), "config", None)
        limits = getattr(config, "payload_limits", None)
        payloads = getattr(limits, "payloads_warn_size", 512 * 1024)
        memo = getattr(limits, "memo_warn_size", 2 * 1024)
        return cls(int(payloads), int(memo), getattr(worker, "_runtime", None))

    # ------------------------------------------------------------ checks

    def workflow_completion(
        self, completion: temporalio.bridge.proto.workflow_completion.WorkflowActivationCompletion, size: int
    ) -> None:
        if self._floor is None or size <= self._floor or not completion.HasField("successful"):
            return
        for cmd in completion.successful.commands:
            kind = cmd.WhichOneof("variant")
            if kind == "schedule_activity":
                self._blob(_payloads_size(cmd.schedule_activity.arguments))
            elif kind == "complete_workflow_execution":
                c = cmd.complete_workflow_execution
                if c.HasField("result"):
                    self._blob(_payloads_size([c.result]))
            elif kind == "fail_workflow_execution":
                self._blob(cmd.fail_workflow_execution.failure.ByteSize())
            elif kind == "continue_as_new_workflow_execution":
                can = cmd.continue_as_new_workflow_execution
                self._blob(_payloads_size(can.arguments))
                if can.memo:
                    self._memo(_memo_size(can.memo))
            elif kind == "start_child_workflow_execution":
                child = cmd.start_child_workflow_execution
                self._blob(_payloads_size(child.input))
                if child.memo:
                    self._memo(_memo_size(child.memo))
            elif kind == "signal_external_workflow_execution":
                self._blob(_payloads_size(cmd.signal_external_workflow_execution.args))
            elif kind == "respond_to_query":
                q = cmd.respond_to_query
                if q.HasField("succeeded"):
                    self._blob(_payloads_size([q.succeeded.response]))
                elif q.HasField("failed"):
                    self._blob(q.failed.ByteSize())
            elif kind == "update_response":
                u = cmd.update_response
                if u.HasField("completed"):
                    self._blob(_payloads_size([u.completed]))
                elif u.HasField("rejected"):
                    self._blob(u.rejected.ByteSize())
            elif kind == "schedule_nexus_operation":
                op = cmd.schedule_nexus_operation
                if op.HasField("input"):
                    self._blob(op.input.ByteSize())
            elif kind == "modify_workflow_properties":
                memo = cmd.modify_workflow_properties.upserted_memo
                self._blob(sum(len(k) + len(p.data) for k, p in memo.fields.items()))

    def activity_completion(self, completion: temporalio.bridge.proto.ActivityTaskCompletion, size: int) -> None:
        if self._floor is None or size <= self._floor:
            return
        r = completion.result
        if r.HasField("completed"):
            if r.completed.HasField("result"):
                self._blob(_payloads_size([r.completed.result]))
        elif r.HasField("failed"):
            self._blob(r.failed.failure.ByteSize())

    def heartbeat(self, heartbeat: temporalio.bridge.proto.ActivityHeartbeat, size: int) -> None:
        if self._floor is None or size <= self._floor:
            return
        self._blob(_payloads_size(heartbeat.details))

    # ------------------------------------------------------------ logging

    def _blob(self, size: int) -> None:
        if 0 < self.payloads_warn_size < size:
            self._warn("payloads", size, self.payloads_warn_size)

    def _memo(self, size: int) -> None:
        if 0 < self.memo_warn_size < size:
            self._warn("memo", size, self.memo_warn_size)

    def _warn(self, what: str, size: int, limit: int) -> None:
        message = f"[TMPRL1103] Attempted to upload {what} with size that exceeded the warning limit."
        fields = {"size": size, "limit": limit}
        telemetry = _telemetry.get(self._runtime) if self._runtime is not None else None  # type: ignore[call-overload]
        if telemetry is None:
            logger.warning("%s %s", message, fields)
            return
        cfg = telemetry.logging
        if cfg is None:
            return  # sdk-core logs nothing
        level = cfg.filter.core_level if isinstance(cfg.filter, temporalio.runtime.TelemetryFilter) else "WARN"
        if _CORE_LEVELS.get(level.upper(), 0) > _CORE_LEVELS["WARN"]:
            return
        if cfg.forwarding is None:
            # sdk-core writes to the console; the adapter's logger is the nearest.
            logger.warning("%s %s", message, fields)
            return
        entry = _CoreLogEntry(target=TARGET, message=message, time=time.time(), level=logging.WARNING, fields=fields)
        cfg.forwarding._on_logs([entry])

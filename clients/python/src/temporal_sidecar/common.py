"""Plain values shared by the activity API and the converter, shaped like
their namesakes in :py:mod:`temporalio.common`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import IntEnum

from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

__all__ = [
    "Priority",
    "QueryRejectCondition",
    "RawValue",
    "RetryPolicy",
    "VersioningBehavior",
    "WorkflowIDConflictPolicy",
    "WorkflowIDReusePolicy",
]


@dataclass(frozen=True)
class RetryPolicy:
    """How Temporal retries a failed activity. ``None`` fields take the
    server's defaults."""

    initial_interval: timedelta | None = None
    backoff_coefficient: float | None = None
    maximum_interval: timedelta | None = None
    maximum_attempts: int = 0
    """0 means unlimited."""
    non_retryable_error_types: Sequence[str] = field(default_factory=tuple)

    @staticmethod
    def from_proto(p: common_pb2.RetryPolicy) -> RetryPolicy:
        """Build from the bridge's ``RetryPolicy``."""
        return RetryPolicy(
            initial_interval=p.initial_interval.ToTimedelta() if p.HasField("initial_interval") else None,
            backoff_coefficient=p.backoff_coefficient or None,
            maximum_interval=p.maximum_interval.ToTimedelta() if p.HasField("maximum_interval") else None,
            maximum_attempts=p.maximum_attempts,
            non_retryable_error_types=tuple(p.non_retryable_error_types),
        )

    def apply_to_proto(self, p: common_pb2.RetryPolicy) -> None:
        """Set the bridge's ``RetryPolicy`` from this one."""
        p.SetInParent()
        if self.initial_interval is not None:
            p.initial_interval.FromTimedelta(self.initial_interval)
        if self.backoff_coefficient is not None:
            p.backoff_coefficient = self.backoff_coefficient
        if self.maximum_interval is not None:
            p.maximum_interval.FromTimedelta(self.maximum_interval)
        p.maximum_attempts = self.maximum_attempts
        p.non_retryable_error_types.extend(self.non_retryable_error_types)


@dataclass(frozen=True)
class Priority:
    """Priority of a task relative to others on the same task queue."""

    priority_key: int | None = None
    """1 is the highest; None means the default (the middle)."""
    fairness_key: str | None = None
    fairness_weight: float | None = None

    @staticmethod
    def from_proto(p: common_pb2.Priority) -> Priority:
        """Build from the bridge's ``Priority``."""
        return Priority(
            priority_key=p.priority_key or None,
            fairness_key=p.fairness_key or None,
            fairness_weight=p.fairness_weight or None,
        )

    def apply_to_proto(self, p: common_pb2.Priority) -> None:
        """Set the bridge's ``Priority`` from this one."""
        if self.priority_key is not None:
            p.priority_key = self.priority_key
        if self.fairness_key is not None:
            p.fairness_key = self.fairness_key
        if self.fairness_weight is not None:
            p.fairness_weight = self.fairness_weight


@dataclass(frozen=True)
class RawValue:
    """A payload left unconverted, as a dynamic activity receives its arguments.
    Convert it with :py:func:`temporal_sidecar.activity.payload_converter`."""

    payload: common_pb2.Payload


class WorkflowIDReusePolicy(IntEnum):
    """Whether a workflow id may be reused after a run closed. Values match
    ``temporal.api.enums.v1.WorkflowIdReusePolicy``."""

    UNSPECIFIED = 0
    ALLOW_DUPLICATE = 1
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    REJECT_DUPLICATE = 3
    TERMINATE_IF_RUNNING = 4


class WorkflowIDConflictPolicy(IntEnum):
    """What to do when a run with the workflow id is open. Values match
    ``temporal.api.enums.v1.WorkflowIdConflictPolicy``."""

    UNSPECIFIED = 0
    FAIL = 1
    USE_EXISTING = 2
    TERMINATE_EXISTING = 3


class VersioningBehavior(IntEnum):
    """How a workflow's runs move between worker deployment versions when the
    sidecar runs with ``--use-versioning``. Values match
    ``temporal.api.enums.v1.VersioningBehavior``."""

    UNSPECIFIED = 0
    """Use the sidecar's ``--default-versioning-behavior``."""
    PINNED = 1
    """A run stays on the deployment version it started on."""
    AUTO_UPGRADE = 2
    """A run moves to the current deployment version at its next workflow task."""


class QueryRejectCondition(IntEnum):
    """When a query is refused instead of run. Values match
    ``temporal.api.enums.v1.QueryRejectCondition``."""

    NONE = 1
    NOT_OPEN = 2
    NOT_COMPLETED_CLEANLY = 3

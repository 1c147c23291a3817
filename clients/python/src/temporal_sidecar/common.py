"""Plain values shared by the activity API and the converter, shaped like
their namesakes in :py:mod:`temporalio.common`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

__all__ = ["Priority", "RawValue", "RetryPolicy"]


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


@dataclass(frozen=True)
class RawValue:
    """A payload left unconverted, as a dynamic activity receives its arguments.
    Convert it with :py:func:`temporal_sidecar.activity.payload_converter`."""

    payload: common_pb2.Payload

"""Exceptions, shaped like :py:mod:`temporalio.exceptions`.

Two families live here:

* :py:class:`FailureError` and its subclasses are Temporal failures: what an
  activity raises (:py:class:`ApplicationError`, :py:class:`CancelledError`) and
  what a decoded ``Failure`` becomes (see
  :py:class:`temporal_sidecar.converter.DefaultFailureConverter`).
* :py:class:`SidecarError` and its subclasses are problems between this process
  and the sidecar: it cannot be reached, it refused the registration, or it
  stopped polling for good.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import grpc

if TYPE_CHECKING:
    from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

__all__ = [
    "ActivityError",
    "ApplicationError",
    "ApplicationErrorCategory",
    "CancelledError",
    "ChildWorkflowError",
    "FailureError",
    "FatalWorkerError",
    "NexusOperationError",
    "RegistrationError",
    "RetryState",
    "ServerError",
    "SidecarConnectionError",
    "SidecarError",
    "TemporalError",
    "TerminatedError",
    "TimeoutError",
    "TimeoutType",
    "WorkflowAlreadyStartedError",
    "is_cancelled_exception",
]


class TemporalError(Exception):
    """Base of every exception of this package."""

    @property
    def cause(self) -> BaseException | None:
        """The cause of the exception (``__cause__``)."""
        return self.__cause__


class FailureError(TemporalError):
    """Base of the errors that cross a process boundary as a ``Failure``."""

    def __init__(
        self,
        message: str,
        *,
        failure: common_pb2.Failure | None = None,
        exc_args: tuple[Any, ...] | None = None,
    ) -> None:
        super().__init__(*(exc_args if exc_args is not None else (message,)))
        self._message = message
        self._failure = failure

    @property
    def message(self) -> str:
        """The failure message."""
        return self._message

    @property
    def failure(self) -> common_pb2.Failure | None:
        """The ``Failure`` this error was decoded from, if it was decoded."""
        return self._failure


class ApplicationErrorCategory(IntEnum):
    """How an application failure is classified for logging and metrics."""

    UNSPECIFIED = 0
    BENIGN = 1
    """An expected failure: logged at debug level."""


class ApplicationError(FailureError):
    """An error raised by application code.

    Raise it from an activity to control how Temporal sees the failure::

        raise ApplicationError("card declined", {"code": 51}, type="CardDeclined", non_retryable=True)
    """

    def __init__(
        self,
        message: str,
        *details: Any,
        type: str | None = None,
        non_retryable: bool = False,
        next_retry_delay: timedelta | None = None,
        category: ApplicationErrorCategory = ApplicationErrorCategory.UNSPECIFIED,
    ) -> None:
        super().__init__(message, exc_args=(message if not type else f"{type}: {message}",))
        self._details = details
        self._type = type
        self._non_retryable = non_retryable
        self._next_retry_delay = next_retry_delay
        self._category = category

    @property
    def details(self) -> Sequence[Any]:
        """Values attached to the error."""
        return self._details

    @property
    def type(self) -> str | None:
        """The error's type name; retry policies match it against non_retryable_error_types."""
        return self._type

    @property
    def non_retryable(self) -> bool:
        """True when the error was marked non-retryable when it was raised."""
        return self._non_retryable

    @property
    def next_retry_delay(self) -> timedelta | None:
        """Overrides the retry policy's delay before the next attempt."""
        return self._next_retry_delay

    @property
    def category(self) -> ApplicationErrorCategory:
        """How the failure is classified for logging and metrics."""
        return self._category


class CancelledError(FailureError):
    """A cancellation.

    A synchronous activity receives it (raised in its thread) when it is
    cancelled, unless it was defined with ``no_thread_cancel_exception=True``.
    Raising it from a cancelled activity reports the activity as cancelled.
    """

    def __init__(self, message: str = "Cancelled", *details: Any) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """Values attached to the cancellation."""
        return self._details


class TerminatedError(FailureError):
    """A termination of a workflow by an operator."""

    def __init__(self, message: str, *details: Any) -> None:
        super().__init__(message)
        self._details = details

    @property
    def details(self) -> Sequence[Any]:
        """Values attached to the termination."""
        return self._details


class TimeoutType(IntEnum):
    """Which Temporal timeout fired. Values match ``temporal.api.enums.v1.TimeoutType``."""

    START_TO_CLOSE = 1
    SCHEDULE_TO_START = 2
    SCHEDULE_TO_CLOSE = 3
    HEARTBEAT = 4


class TimeoutError(FailureError):
    """A timeout enforced by the server or a worker."""

    def __init__(
        self,
        message: str,
        *,
        type: TimeoutType | None,
        last_heartbeat_details: Sequence[Any],
    ) -> None:
        super().__init__(message)
        self._type = type
        self._last_heartbeat_details = last_heartbeat_details

    @property
    def type(self) -> TimeoutType | None:
        """Which timeout fired."""
        return self._type

    @property
    def last_heartbeat_details(self) -> Sequence[Any]:
        """The details of the last heartbeat before the timeout."""
        return self._last_heartbeat_details


class ServerError(FailureError):
    """An error produced by the Temporal server."""

    def __init__(self, message: str, *, non_retryable: bool = False) -> None:
        super().__init__(message)
        self._non_retryable = non_retryable

    @property
    def non_retryable(self) -> bool:
        """True when the failure is never retried."""
        return self._non_retryable


class RetryState(IntEnum):
    """Why retrying stopped. Values match ``temporal.api.enums.v1.RetryState``."""

    IN_PROGRESS = 1
    NON_RETRYABLE_FAILURE = 2
    TIMEOUT = 3
    MAXIMUM_ATTEMPTS_REACHED = 4
    RETRY_POLICY_NOT_SET = 5
    INTERNAL_SERVER_ERROR = 6
    CANCEL_REQUESTED = 7


class ActivityError(FailureError):
    """An activity failed; the cause holds why."""

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        started_event_id: int,
        identity: str,
        activity_type: str,
        activity_id: str,
        retry_state: RetryState | None,
    ) -> None:
        super().__init__(message)
        self.scheduled_event_id = scheduled_event_id
        self.started_event_id = started_event_id
        self.identity = identity
        self.activity_type = activity_type
        self.activity_id = activity_id
        self.retry_state = retry_state


class ChildWorkflowError(FailureError):
    """A child workflow failed; the cause holds why."""

    def __init__(
        self,
        message: str,
        *,
        namespace: str,
        workflow_id: str,
        run_id: str,
        workflow_type: str,
        initiated_event_id: int,
        started_event_id: int,
        retry_state: RetryState | None,
    ) -> None:
        super().__init__(message)
        self.namespace = namespace
        self.workflow_id = workflow_id
        self.run_id = run_id
        self.workflow_type = workflow_type
        self.initiated_event_id = initiated_event_id
        self.started_event_id = started_event_id
        self.retry_state = retry_state


class NexusOperationError(FailureError):
    """A Nexus operation failed; the cause holds why."""

    def __init__(
        self,
        message: str,
        *,
        scheduled_event_id: int,
        endpoint: str,
        service: str,
        operation: str,
        operation_token: str,
    ) -> None:
        super().__init__(message)
        self.scheduled_event_id = scheduled_event_id
        self.endpoint = endpoint
        self.service = service
        self.operation = operation
        self.operation_token = operation_token


class WorkflowAlreadyStartedError(FailureError):
    """A workflow with this id is already running (starting it, or a child with it)."""

    def __init__(self, workflow_id: str, workflow_type: str, *, run_id: str | None = None) -> None:
        super().__init__("Workflow execution already started")
        self.workflow_id = workflow_id
        self.workflow_type = workflow_type
        self.run_id = run_id


def is_cancelled_exception(exception: BaseException) -> bool:
    """Whether the exception is a cancellation: a :py:class:`CancelledError`,
    or an activity, child workflow or Nexus operation error caused by one (as
    workflow code sees a cancelled activity, child or operation)."""
    return isinstance(exception, CancelledError) or (
        isinstance(exception, (ActivityError, ChildWorkflowError, NexusOperationError))
        and isinstance(exception.cause, CancelledError)
    )


class SidecarError(TemporalError):
    """A problem between this process and the sidecar.

    ``code`` is the gRPC status the sidecar (or the gRPC library) reported, if any.
    """

    def __init__(self, message: str, *, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SidecarConnectionError(SidecarError):
    """The sidecar could not be reached, or refused this process's credentials."""


class RegistrationError(SidecarError):
    """The sidecar refused the worker's registration (for example a task queue
    the sidecar does not poll, or a bridge protocol version it does not speak).
    The worker does not retry it: the message says what to fix."""


class FatalWorkerError(SidecarError):
    """The sidecar stopped polling for good (``WorkerError`` with ``fatal`` set),
    for example because the namespace was deleted."""

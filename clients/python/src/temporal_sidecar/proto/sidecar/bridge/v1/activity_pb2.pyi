import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ActivityCancelReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTIVITY_CANCEL_REASON_UNSPECIFIED: _ClassVar[ActivityCancelReason]
    ACTIVITY_CANCEL_REASON_NOT_FOUND: _ClassVar[ActivityCancelReason]
    ACTIVITY_CANCEL_REASON_CANCELLED: _ClassVar[ActivityCancelReason]
    ACTIVITY_CANCEL_REASON_TIMED_OUT: _ClassVar[ActivityCancelReason]
    ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN: _ClassVar[ActivityCancelReason]
    ACTIVITY_CANCEL_REASON_PAUSED: _ClassVar[ActivityCancelReason]
    ACTIVITY_CANCEL_REASON_RESET: _ClassVar[ActivityCancelReason]
ACTIVITY_CANCEL_REASON_UNSPECIFIED: ActivityCancelReason
ACTIVITY_CANCEL_REASON_NOT_FOUND: ActivityCancelReason
ACTIVITY_CANCEL_REASON_CANCELLED: ActivityCancelReason
ACTIVITY_CANCEL_REASON_TIMED_OUT: ActivityCancelReason
ACTIVITY_CANCEL_REASON_WORKER_SHUTDOWN: ActivityCancelReason
ACTIVITY_CANCEL_REASON_PAUSED: ActivityCancelReason
ACTIVITY_CANCEL_REASON_RESET: ActivityCancelReason

class ActivityTask(_message.Message):
    __slots__ = ("task_token", "start", "cancel")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    start: StartActivity
    cancel: CancelActivity
    def __init__(self, task_token: _Optional[bytes] = ..., start: _Optional[_Union[StartActivity, _Mapping]] = ..., cancel: _Optional[_Union[CancelActivity, _Mapping]] = ...) -> None: ...

class StartActivity(_message.Message):
    __slots__ = ("workflow_namespace", "workflow_type", "workflow_execution", "activity_id", "activity_type", "headers", "input", "heartbeat_details", "scheduled_time", "current_attempt_scheduled_time", "started_time", "attempt", "schedule_to_close_timeout", "start_to_close_timeout", "heartbeat_timeout", "retry_policy", "is_local", "priority", "task_queue")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    WORKFLOW_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    CURRENT_ATTEMPT_SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    STARTED_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    IS_LOCAL_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    workflow_namespace: str
    workflow_type: str
    workflow_execution: _common_pb2.WorkflowExecution
    activity_id: str
    activity_type: str
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    input: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    heartbeat_details: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    scheduled_time: _timestamp_pb2.Timestamp
    current_attempt_scheduled_time: _timestamp_pb2.Timestamp
    started_time: _timestamp_pb2.Timestamp
    attempt: int
    schedule_to_close_timeout: _duration_pb2.Duration
    start_to_close_timeout: _duration_pb2.Duration
    heartbeat_timeout: _duration_pb2.Duration
    retry_policy: _common_pb2.RetryPolicy
    is_local: bool
    priority: _common_pb2.Priority
    task_queue: str
    def __init__(self, workflow_namespace: _Optional[str] = ..., workflow_type: _Optional[str] = ..., workflow_execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., activity_id: _Optional[str] = ..., activity_type: _Optional[str] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., input: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., heartbeat_details: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., current_attempt_scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempt: _Optional[int] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., is_local: _Optional[bool] = ..., priority: _Optional[_Union[_common_pb2.Priority, _Mapping]] = ..., task_queue: _Optional[str] = ...) -> None: ...

class CancelActivity(_message.Message):
    __slots__ = ("reason", "message", "details")
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    reason: ActivityCancelReason
    message: str
    details: ActivityCancellationDetails
    def __init__(self, reason: _Optional[_Union[ActivityCancelReason, str]] = ..., message: _Optional[str] = ..., details: _Optional[_Union[ActivityCancellationDetails, _Mapping]] = ...) -> None: ...

class ActivityCancellationDetails(_message.Message):
    __slots__ = ("is_not_found", "is_cancelled", "is_paused", "is_timed_out", "is_worker_shutdown", "is_reset")
    IS_NOT_FOUND_FIELD_NUMBER: _ClassVar[int]
    IS_CANCELLED_FIELD_NUMBER: _ClassVar[int]
    IS_PAUSED_FIELD_NUMBER: _ClassVar[int]
    IS_TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    IS_WORKER_SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    IS_RESET_FIELD_NUMBER: _ClassVar[int]
    is_not_found: bool
    is_cancelled: bool
    is_paused: bool
    is_timed_out: bool
    is_worker_shutdown: bool
    is_reset: bool
    def __init__(self, is_not_found: _Optional[bool] = ..., is_cancelled: _Optional[bool] = ..., is_paused: _Optional[bool] = ..., is_timed_out: _Optional[bool] = ..., is_worker_shutdown: _Optional[bool] = ..., is_reset: _Optional[bool] = ...) -> None: ...

class ActivityTaskCompletion(_message.Message):
    __slots__ = ("task_token", "result")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    result: ActivityExecutionResult
    def __init__(self, task_token: _Optional[bytes] = ..., result: _Optional[_Union[ActivityExecutionResult, _Mapping]] = ...) -> None: ...

class ActivityExecutionResult(_message.Message):
    __slots__ = ("completed", "failed", "cancelled", "will_complete_async")
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    WILL_COMPLETE_ASYNC_FIELD_NUMBER: _ClassVar[int]
    completed: ActivityExecutionCompleted
    failed: ActivityExecutionFailed
    cancelled: ActivityExecutionCancelled
    will_complete_async: WillCompleteAsync
    def __init__(self, completed: _Optional[_Union[ActivityExecutionCompleted, _Mapping]] = ..., failed: _Optional[_Union[ActivityExecutionFailed, _Mapping]] = ..., cancelled: _Optional[_Union[ActivityExecutionCancelled, _Mapping]] = ..., will_complete_async: _Optional[_Union[WillCompleteAsync, _Mapping]] = ...) -> None: ...

class ActivityExecutionCompleted(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _common_pb2.Payload
    def __init__(self, result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...

class ActivityExecutionFailed(_message.Message):
    __slots__ = ("failure", "last_heartbeat_details")
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    last_heartbeat_details: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., last_heartbeat_details: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ...) -> None: ...

class ActivityExecutionCancelled(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class WillCompleteAsync(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ActivityHeartbeat(_message.Message):
    __slots__ = ("task_token", "details")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    details: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    def __init__(self, task_token: _Optional[bytes] = ..., details: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ...) -> None: ...

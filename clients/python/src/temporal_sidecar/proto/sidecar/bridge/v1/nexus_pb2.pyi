import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NexusTask(_message.Message):
    __slots__ = ("task_token", "start_operation", "cancel_operation", "cancel_task", "headers", "scheduled_time", "deadline", "endpoint")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    START_OPERATION_FIELD_NUMBER: _ClassVar[int]
    CANCEL_OPERATION_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TASK_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_TIME_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    start_operation: StartNexusOperation
    cancel_operation: CancelNexusOperation
    cancel_task: CancelNexusTask
    headers: _containers.ScalarMap[str, str]
    scheduled_time: _timestamp_pb2.Timestamp
    deadline: _timestamp_pb2.Timestamp
    endpoint: str
    def __init__(self, task_token: _Optional[bytes] = ..., start_operation: _Optional[_Union[StartNexusOperation, _Mapping]] = ..., cancel_operation: _Optional[_Union[CancelNexusOperation, _Mapping]] = ..., cancel_task: _Optional[_Union[CancelNexusTask, _Mapping]] = ..., headers: _Optional[_Mapping[str, str]] = ..., scheduled_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deadline: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., endpoint: _Optional[str] = ...) -> None: ...

class StartNexusOperation(_message.Message):
    __slots__ = ("service", "operation", "request_id", "callback", "callback_header", "payload", "links")
    class CallbackHeaderEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_HEADER_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    service: str
    operation: str
    request_id: str
    callback: str
    callback_header: _containers.ScalarMap[str, str]
    payload: _common_pb2.Payload
    links: _containers.RepeatedCompositeFieldContainer[NexusLink]
    def __init__(self, service: _Optional[str] = ..., operation: _Optional[str] = ..., request_id: _Optional[str] = ..., callback: _Optional[str] = ..., callback_header: _Optional[_Mapping[str, str]] = ..., payload: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., links: _Optional[_Iterable[_Union[NexusLink, _Mapping]]] = ...) -> None: ...

class NexusLink(_message.Message):
    __slots__ = ("url", "type")
    URL_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    url: str
    type: str
    def __init__(self, url: _Optional[str] = ..., type: _Optional[str] = ...) -> None: ...

class CancelNexusOperation(_message.Message):
    __slots__ = ("service", "operation", "operation_token", "workflow_id")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OPERATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    service: str
    operation: str
    operation_token: str
    workflow_id: str
    def __init__(self, service: _Optional[str] = ..., operation: _Optional[str] = ..., operation_token: _Optional[str] = ..., workflow_id: _Optional[str] = ...) -> None: ...

class CancelNexusTask(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class NexusTaskCompletion(_message.Message):
    __slots__ = ("task_token", "sync_result", "async_started", "operation_error", "cancel_accepted", "handler_error", "links")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SYNC_RESULT_FIELD_NUMBER: _ClassVar[int]
    ASYNC_STARTED_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ERROR_FIELD_NUMBER: _ClassVar[int]
    CANCEL_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    HANDLER_ERROR_FIELD_NUMBER: _ClassVar[int]
    LINKS_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    sync_result: _common_pb2.Payload
    async_started: AsyncNexusOperationStarted
    operation_error: NexusOperationError
    cancel_accepted: NexusCancelAccepted
    handler_error: NexusHandlerError
    links: _containers.RepeatedCompositeFieldContainer[NexusLink]
    def __init__(self, task_token: _Optional[bytes] = ..., sync_result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., async_started: _Optional[_Union[AsyncNexusOperationStarted, _Mapping]] = ..., operation_error: _Optional[_Union[NexusOperationError, _Mapping]] = ..., cancel_accepted: _Optional[_Union[NexusCancelAccepted, _Mapping]] = ..., handler_error: _Optional[_Union[NexusHandlerError, _Mapping]] = ..., links: _Optional[_Iterable[_Union[NexusLink, _Mapping]]] = ...) -> None: ...

class AsyncNexusOperationStarted(_message.Message):
    __slots__ = ("operation_token",)
    OPERATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    operation_token: str
    def __init__(self, operation_token: _Optional[str] = ...) -> None: ...

class NexusOperationError(_message.Message):
    __slots__ = ("cancelled", "failure")
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    cancelled: bool
    failure: _common_pb2.Failure
    def __init__(self, cancelled: _Optional[bool] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class NexusCancelAccepted(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class NexusHandlerError(_message.Message):
    __slots__ = ("error_type", "failure", "retry_behavior")
    ERROR_TYPE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    RETRY_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    error_type: str
    failure: _common_pb2.Failure
    retry_behavior: _common_pb2.NexusHandlerErrorRetryBehavior
    def __init__(self, error_type: _Optional[str] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., retry_behavior: _Optional[_Union[_common_pb2.NexusHandlerErrorRetryBehavior, str]] = ...) -> None: ...

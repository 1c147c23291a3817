from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HistoryEncoding(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HISTORY_ENCODING_UNSPECIFIED: _ClassVar[HistoryEncoding]
    HISTORY_ENCODING_PROTO: _ClassVar[HistoryEncoding]
    HISTORY_ENCODING_JSON: _ClassVar[HistoryEncoding]

class ReplayFailureKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REPLAY_FAILURE_KIND_UNSPECIFIED: _ClassVar[ReplayFailureKind]
    REPLAY_FAILURE_KIND_NONDETERMINISM: _ClassVar[ReplayFailureKind]
    REPLAY_FAILURE_KIND_WORKFLOW_TASK_FAILED: _ClassVar[ReplayFailureKind]
    REPLAY_FAILURE_KIND_INVALID_HISTORY: _ClassVar[ReplayFailureKind]
    REPLAY_FAILURE_KIND_WORKFLOW_TYPE_NOT_REGISTERED: _ClassVar[ReplayFailureKind]
    REPLAY_FAILURE_KIND_INVALID_REQUEST: _ClassVar[ReplayFailureKind]
HISTORY_ENCODING_UNSPECIFIED: HistoryEncoding
HISTORY_ENCODING_PROTO: HistoryEncoding
HISTORY_ENCODING_JSON: HistoryEncoding
REPLAY_FAILURE_KIND_UNSPECIFIED: ReplayFailureKind
REPLAY_FAILURE_KIND_NONDETERMINISM: ReplayFailureKind
REPLAY_FAILURE_KIND_WORKFLOW_TASK_FAILED: ReplayFailureKind
REPLAY_FAILURE_KIND_INVALID_HISTORY: ReplayFailureKind
REPLAY_FAILURE_KIND_WORKFLOW_TYPE_NOT_REGISTERED: ReplayFailureKind
REPLAY_FAILURE_KIND_INVALID_REQUEST: ReplayFailureKind

class WorkflowHistory(_message.Message):
    __slots__ = ("json", "proto")
    JSON_FIELD_NUMBER: _ClassVar[int]
    PROTO_FIELD_NUMBER: _ClassVar[int]
    json: str
    proto: bytes
    def __init__(self, json: _Optional[str] = ..., proto: _Optional[bytes] = ...) -> None: ...

class ReplayHistory(_message.Message):
    __slots__ = ("request_id", "workflow_id", "history")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    workflow_id: str
    history: WorkflowHistory
    def __init__(self, request_id: _Optional[str] = ..., workflow_id: _Optional[str] = ..., history: _Optional[_Union[WorkflowHistory, _Mapping]] = ...) -> None: ...

class ReplayResult(_message.Message):
    __slots__ = ("request_id", "run_id", "failure")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    run_id: str
    failure: ReplayFailure
    def __init__(self, request_id: _Optional[str] = ..., run_id: _Optional[str] = ..., failure: _Optional[_Union[ReplayFailure, _Mapping]] = ...) -> None: ...

class ReplayFailure(_message.Message):
    __slots__ = ("kind", "message", "event_id", "failure")
    KIND_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    kind: ReplayFailureKind
    message: str
    event_id: int
    failure: _common_pb2.Failure
    def __init__(self, kind: _Optional[_Union[ReplayFailureKind, str]] = ..., message: _Optional[str] = ..., event_id: _Optional[int] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

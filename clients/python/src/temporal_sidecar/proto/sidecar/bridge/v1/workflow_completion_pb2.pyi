from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2 as _common_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import workflow_commands_pb2 as _workflow_commands_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkflowTaskFailedCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND: _ClassVar[WorkflowTaskFailedCause]
    WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE: _ClassVar[WorkflowTaskFailedCause]
WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND: WorkflowTaskFailedCause
WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_UPDATE: WorkflowTaskFailedCause

class WorkflowActivationCompletion(_message.Message):
    __slots__ = ("run_id", "successful", "failed")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    successful: WorkflowActivationSuccess
    failed: WorkflowActivationFailure
    def __init__(self, run_id: _Optional[str] = ..., successful: _Optional[_Union[WorkflowActivationSuccess, _Mapping]] = ..., failed: _Optional[_Union[WorkflowActivationFailure, _Mapping]] = ...) -> None: ...

class WorkflowActivationSuccess(_message.Message):
    __slots__ = ("commands", "versioning_behavior", "used_internal_flags")
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    VERSIONING_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    USED_INTERNAL_FLAGS_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedCompositeFieldContainer[_workflow_commands_pb2.WorkflowCommand]
    versioning_behavior: _common_pb2.VersioningBehavior
    used_internal_flags: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, commands: _Optional[_Iterable[_Union[_workflow_commands_pb2.WorkflowCommand, _Mapping]]] = ..., versioning_behavior: _Optional[_Union[_common_pb2.VersioningBehavior, str]] = ..., used_internal_flags: _Optional[_Iterable[int]] = ...) -> None: ...

class WorkflowActivationFailure(_message.Message):
    __slots__ = ("failure", "cause")
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    cause: WorkflowTaskFailedCause
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., cause: _Optional[_Union[WorkflowTaskFailedCause, str]] = ...) -> None: ...

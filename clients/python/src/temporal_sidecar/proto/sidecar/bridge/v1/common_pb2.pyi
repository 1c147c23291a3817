import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ApplicationErrorCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    APPLICATION_ERROR_CATEGORY_UNSPECIFIED: _ClassVar[ApplicationErrorCategory]
    APPLICATION_ERROR_CATEGORY_BENIGN: _ClassVar[ApplicationErrorCategory]

class TimeoutType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMEOUT_TYPE_UNSPECIFIED: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_START_TO_CLOSE: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_SCHEDULE_TO_START: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: _ClassVar[TimeoutType]
    TIMEOUT_TYPE_HEARTBEAT: _ClassVar[TimeoutType]

class RetryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETRY_STATE_UNSPECIFIED: _ClassVar[RetryState]
    RETRY_STATE_IN_PROGRESS: _ClassVar[RetryState]
    RETRY_STATE_NON_RETRYABLE_FAILURE: _ClassVar[RetryState]
    RETRY_STATE_TIMEOUT: _ClassVar[RetryState]
    RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED: _ClassVar[RetryState]
    RETRY_STATE_RETRY_POLICY_NOT_SET: _ClassVar[RetryState]
    RETRY_STATE_INTERNAL_SERVER_ERROR: _ClassVar[RetryState]
    RETRY_STATE_CANCEL_REQUESTED: _ClassVar[RetryState]

class NexusHandlerErrorRetryBehavior(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_UNSPECIFIED: _ClassVar[NexusHandlerErrorRetryBehavior]
    NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE: _ClassVar[NexusHandlerErrorRetryBehavior]
    NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE: _ClassVar[NexusHandlerErrorRetryBehavior]

class ParentClosePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PARENT_CLOSE_POLICY_UNSPECIFIED: _ClassVar[ParentClosePolicy]
    PARENT_CLOSE_POLICY_TERMINATE: _ClassVar[ParentClosePolicy]
    PARENT_CLOSE_POLICY_ABANDON: _ClassVar[ParentClosePolicy]
    PARENT_CLOSE_POLICY_REQUEST_CANCEL: _ClassVar[ParentClosePolicy]

class WorkflowIdReusePolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE: _ClassVar[WorkflowIdReusePolicy]
    WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING: _ClassVar[WorkflowIdReusePolicy]

class WorkflowIdConflictPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED: _ClassVar[WorkflowIdConflictPolicy]
    WORKFLOW_ID_CONFLICT_POLICY_FAIL: _ClassVar[WorkflowIdConflictPolicy]
    WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING: _ClassVar[WorkflowIdConflictPolicy]
    WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING: _ClassVar[WorkflowIdConflictPolicy]

class ContinueAsNewInitiator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED: _ClassVar[ContinueAsNewInitiator]
    CONTINUE_AS_NEW_INITIATOR_WORKFLOW: _ClassVar[ContinueAsNewInitiator]
    CONTINUE_AS_NEW_INITIATOR_RETRY: _ClassVar[ContinueAsNewInitiator]
    CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE: _ClassVar[ContinueAsNewInitiator]

class VersioningBehavior(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VERSIONING_BEHAVIOR_UNSPECIFIED: _ClassVar[VersioningBehavior]
    VERSIONING_BEHAVIOR_PINNED: _ClassVar[VersioningBehavior]
    VERSIONING_BEHAVIOR_AUTO_UPGRADE: _ClassVar[VersioningBehavior]

class WorkflowExecutionStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WORKFLOW_EXECUTION_STATUS_UNSPECIFIED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_RUNNING: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_COMPLETED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_FAILED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_CANCELED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_TERMINATED: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_TIMED_OUT: _ClassVar[WorkflowExecutionStatus]
    WORKFLOW_EXECUTION_STATUS_PAUSED: _ClassVar[WorkflowExecutionStatus]

class CancellationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCELLATION_TYPE_UNSPECIFIED: _ClassVar[CancellationType]
    CANCELLATION_TYPE_TRY_CANCEL: _ClassVar[CancellationType]
    CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED: _ClassVar[CancellationType]
    CANCELLATION_TYPE_ABANDON: _ClassVar[CancellationType]
    CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED: _ClassVar[CancellationType]
APPLICATION_ERROR_CATEGORY_UNSPECIFIED: ApplicationErrorCategory
APPLICATION_ERROR_CATEGORY_BENIGN: ApplicationErrorCategory
TIMEOUT_TYPE_UNSPECIFIED: TimeoutType
TIMEOUT_TYPE_START_TO_CLOSE: TimeoutType
TIMEOUT_TYPE_SCHEDULE_TO_START: TimeoutType
TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: TimeoutType
TIMEOUT_TYPE_HEARTBEAT: TimeoutType
RETRY_STATE_UNSPECIFIED: RetryState
RETRY_STATE_IN_PROGRESS: RetryState
RETRY_STATE_NON_RETRYABLE_FAILURE: RetryState
RETRY_STATE_TIMEOUT: RetryState
RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED: RetryState
RETRY_STATE_RETRY_POLICY_NOT_SET: RetryState
RETRY_STATE_INTERNAL_SERVER_ERROR: RetryState
RETRY_STATE_CANCEL_REQUESTED: RetryState
NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_UNSPECIFIED: NexusHandlerErrorRetryBehavior
NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE: NexusHandlerErrorRetryBehavior
NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE: NexusHandlerErrorRetryBehavior
PARENT_CLOSE_POLICY_UNSPECIFIED: ParentClosePolicy
PARENT_CLOSE_POLICY_TERMINATE: ParentClosePolicy
PARENT_CLOSE_POLICY_ABANDON: ParentClosePolicy
PARENT_CLOSE_POLICY_REQUEST_CANCEL: ParentClosePolicy
WORKFLOW_ID_REUSE_POLICY_UNSPECIFIED: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE: WorkflowIdReusePolicy
WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING: WorkflowIdReusePolicy
WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED: WorkflowIdConflictPolicy
WORKFLOW_ID_CONFLICT_POLICY_FAIL: WorkflowIdConflictPolicy
WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING: WorkflowIdConflictPolicy
WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING: WorkflowIdConflictPolicy
CONTINUE_AS_NEW_INITIATOR_UNSPECIFIED: ContinueAsNewInitiator
CONTINUE_AS_NEW_INITIATOR_WORKFLOW: ContinueAsNewInitiator
CONTINUE_AS_NEW_INITIATOR_RETRY: ContinueAsNewInitiator
CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE: ContinueAsNewInitiator
VERSIONING_BEHAVIOR_UNSPECIFIED: VersioningBehavior
VERSIONING_BEHAVIOR_PINNED: VersioningBehavior
VERSIONING_BEHAVIOR_AUTO_UPGRADE: VersioningBehavior
WORKFLOW_EXECUTION_STATUS_UNSPECIFIED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_RUNNING: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_COMPLETED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_FAILED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_CANCELED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_TERMINATED: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_TIMED_OUT: WorkflowExecutionStatus
WORKFLOW_EXECUTION_STATUS_PAUSED: WorkflowExecutionStatus
CANCELLATION_TYPE_UNSPECIFIED: CancellationType
CANCELLATION_TYPE_TRY_CANCEL: CancellationType
CANCELLATION_TYPE_WAIT_CANCELLATION_COMPLETED: CancellationType
CANCELLATION_TYPE_ABANDON: CancellationType
CANCELLATION_TYPE_WAIT_CANCELLATION_REQUESTED: CancellationType

class Payload(_message.Message):
    __slots__ = ("metadata", "data", "external_payloads")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    METADATA_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_PAYLOADS_FIELD_NUMBER: _ClassVar[int]
    metadata: _containers.ScalarMap[str, bytes]
    data: bytes
    external_payloads: _containers.RepeatedCompositeFieldContainer[ExternalPayloadDetails]
    def __init__(self, metadata: _Optional[_Mapping[str, bytes]] = ..., data: _Optional[bytes] = ..., external_payloads: _Optional[_Iterable[_Union[ExternalPayloadDetails, _Mapping]]] = ...) -> None: ...

class ExternalPayloadDetails(_message.Message):
    __slots__ = ("size_bytes",)
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    size_bytes: int
    def __init__(self, size_bytes: _Optional[int] = ...) -> None: ...

class Payloads(_message.Message):
    __slots__ = ("payloads",)
    PAYLOADS_FIELD_NUMBER: _ClassVar[int]
    payloads: _containers.RepeatedCompositeFieldContainer[Payload]
    def __init__(self, payloads: _Optional[_Iterable[_Union[Payload, _Mapping]]] = ...) -> None: ...

class RetryPolicy(_message.Message):
    __slots__ = ("initial_interval", "backoff_coefficient", "maximum_interval", "maximum_attempts", "non_retryable_error_types")
    INITIAL_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_COEFFICIENT_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MAXIMUM_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_ERROR_TYPES_FIELD_NUMBER: _ClassVar[int]
    initial_interval: _duration_pb2.Duration
    backoff_coefficient: float
    maximum_interval: _duration_pb2.Duration
    maximum_attempts: int
    non_retryable_error_types: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, initial_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., backoff_coefficient: _Optional[float] = ..., maximum_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., maximum_attempts: _Optional[int] = ..., non_retryable_error_types: _Optional[_Iterable[str]] = ...) -> None: ...

class WorkflowExecution(_message.Message):
    __slots__ = ("workflow_id", "run_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class WorkflowType(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ActivityType(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Priority(_message.Message):
    __slots__ = ("priority_key", "fairness_key", "fairness_weight")
    PRIORITY_KEY_FIELD_NUMBER: _ClassVar[int]
    FAIRNESS_KEY_FIELD_NUMBER: _ClassVar[int]
    FAIRNESS_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    priority_key: int
    fairness_key: str
    fairness_weight: float
    def __init__(self, priority_key: _Optional[int] = ..., fairness_key: _Optional[str] = ..., fairness_weight: _Optional[float] = ...) -> None: ...

class Failure(_message.Message):
    __slots__ = ("message", "source", "stack_trace", "encoded_attributes", "cause", "application_failure_info", "timeout_failure_info", "canceled_failure_info", "terminated_failure_info", "server_failure_info", "reset_workflow_failure_info", "activity_failure_info", "child_workflow_execution_failure_info", "nexus_operation_execution_failure_info", "nexus_handler_failure_info")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STACK_TRACE_FIELD_NUMBER: _ClassVar[int]
    ENCODED_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    CANCELED_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    TERMINATED_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    SERVER_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    RESET_WORKFLOW_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_EXECUTION_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    NEXUS_OPERATION_EXECUTION_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    NEXUS_HANDLER_FAILURE_INFO_FIELD_NUMBER: _ClassVar[int]
    message: str
    source: str
    stack_trace: str
    encoded_attributes: Payload
    cause: Failure
    application_failure_info: ApplicationFailureInfo
    timeout_failure_info: TimeoutFailureInfo
    canceled_failure_info: CanceledFailureInfo
    terminated_failure_info: TerminatedFailureInfo
    server_failure_info: ServerFailureInfo
    reset_workflow_failure_info: ResetWorkflowFailureInfo
    activity_failure_info: ActivityFailureInfo
    child_workflow_execution_failure_info: ChildWorkflowExecutionFailureInfo
    nexus_operation_execution_failure_info: NexusOperationFailureInfo
    nexus_handler_failure_info: NexusHandlerFailureInfo
    def __init__(self, message: _Optional[str] = ..., source: _Optional[str] = ..., stack_trace: _Optional[str] = ..., encoded_attributes: _Optional[_Union[Payload, _Mapping]] = ..., cause: _Optional[_Union[Failure, _Mapping]] = ..., application_failure_info: _Optional[_Union[ApplicationFailureInfo, _Mapping]] = ..., timeout_failure_info: _Optional[_Union[TimeoutFailureInfo, _Mapping]] = ..., canceled_failure_info: _Optional[_Union[CanceledFailureInfo, _Mapping]] = ..., terminated_failure_info: _Optional[_Union[TerminatedFailureInfo, _Mapping]] = ..., server_failure_info: _Optional[_Union[ServerFailureInfo, _Mapping]] = ..., reset_workflow_failure_info: _Optional[_Union[ResetWorkflowFailureInfo, _Mapping]] = ..., activity_failure_info: _Optional[_Union[ActivityFailureInfo, _Mapping]] = ..., child_workflow_execution_failure_info: _Optional[_Union[ChildWorkflowExecutionFailureInfo, _Mapping]] = ..., nexus_operation_execution_failure_info: _Optional[_Union[NexusOperationFailureInfo, _Mapping]] = ..., nexus_handler_failure_info: _Optional[_Union[NexusHandlerFailureInfo, _Mapping]] = ...) -> None: ...

class ApplicationFailureInfo(_message.Message):
    __slots__ = ("type", "non_retryable", "details", "next_retry_delay", "category")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NON_RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    NEXT_RETRY_DELAY_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    type: str
    non_retryable: bool
    details: Payloads
    next_retry_delay: _duration_pb2.Duration
    category: ApplicationErrorCategory
    def __init__(self, type: _Optional[str] = ..., non_retryable: _Optional[bool] = ..., details: _Optional[_Union[Payloads, _Mapping]] = ..., next_retry_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., category: _Optional[_Union[ApplicationErrorCategory, str]] = ...) -> None: ...

class TimeoutFailureInfo(_message.Message):
    __slots__ = ("timeout_type", "last_heartbeat_details")
    TIMEOUT_TYPE_FIELD_NUMBER: _ClassVar[int]
    LAST_HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    timeout_type: TimeoutType
    last_heartbeat_details: Payloads
    def __init__(self, timeout_type: _Optional[_Union[TimeoutType, str]] = ..., last_heartbeat_details: _Optional[_Union[Payloads, _Mapping]] = ...) -> None: ...

class CanceledFailureInfo(_message.Message):
    __slots__ = ("details", "identity")
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    details: Payloads
    identity: str
    def __init__(self, details: _Optional[_Union[Payloads, _Mapping]] = ..., identity: _Optional[str] = ...) -> None: ...

class TerminatedFailureInfo(_message.Message):
    __slots__ = ("identity",)
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    identity: str
    def __init__(self, identity: _Optional[str] = ...) -> None: ...

class ServerFailureInfo(_message.Message):
    __slots__ = ("non_retryable",)
    NON_RETRYABLE_FIELD_NUMBER: _ClassVar[int]
    non_retryable: bool
    def __init__(self, non_retryable: _Optional[bool] = ...) -> None: ...

class ResetWorkflowFailureInfo(_message.Message):
    __slots__ = ("last_heartbeat_details",)
    LAST_HEARTBEAT_DETAILS_FIELD_NUMBER: _ClassVar[int]
    last_heartbeat_details: Payloads
    def __init__(self, last_heartbeat_details: _Optional[_Union[Payloads, _Mapping]] = ...) -> None: ...

class ActivityFailureInfo(_message.Message):
    __slots__ = ("scheduled_event_id", "started_event_id", "identity", "activity_type", "activity_id", "retry_state")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_STATE_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    started_event_id: int
    identity: str
    activity_type: ActivityType
    activity_id: str
    retry_state: RetryState
    def __init__(self, scheduled_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., identity: _Optional[str] = ..., activity_type: _Optional[_Union[ActivityType, _Mapping]] = ..., activity_id: _Optional[str] = ..., retry_state: _Optional[_Union[RetryState, str]] = ...) -> None: ...

class ChildWorkflowExecutionFailureInfo(_message.Message):
    __slots__ = ("namespace", "workflow_execution", "workflow_type", "initiated_event_id", "started_event_id", "retry_state")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_STATE_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_execution: WorkflowExecution
    workflow_type: WorkflowType
    initiated_event_id: int
    started_event_id: int
    retry_state: RetryState
    def __init__(self, namespace: _Optional[str] = ..., workflow_execution: _Optional[_Union[WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[_Union[WorkflowType, _Mapping]] = ..., initiated_event_id: _Optional[int] = ..., started_event_id: _Optional[int] = ..., retry_state: _Optional[_Union[RetryState, str]] = ...) -> None: ...

class NexusOperationFailureInfo(_message.Message):
    __slots__ = ("scheduled_event_id", "endpoint", "service", "operation", "operation_id", "operation_token")
    SCHEDULED_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    OPERATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scheduled_event_id: int
    endpoint: str
    service: str
    operation: str
    operation_id: str
    operation_token: str
    def __init__(self, scheduled_event_id: _Optional[int] = ..., endpoint: _Optional[str] = ..., service: _Optional[str] = ..., operation: _Optional[str] = ..., operation_id: _Optional[str] = ..., operation_token: _Optional[str] = ...) -> None: ...

class NexusHandlerFailureInfo(_message.Message):
    __slots__ = ("type", "retry_behavior")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    RETRY_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    type: str
    retry_behavior: NexusHandlerErrorRetryBehavior
    def __init__(self, type: _Optional[str] = ..., retry_behavior: _Optional[_Union[NexusHandlerErrorRetryBehavior, str]] = ...) -> None: ...

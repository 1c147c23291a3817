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

class SuggestContinueAsNewReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUGGEST_CONTINUE_AS_NEW_REASON_UNSPECIFIED: _ClassVar[SuggestContinueAsNewReason]
    SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE: _ClassVar[SuggestContinueAsNewReason]
    SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS: _ClassVar[SuggestContinueAsNewReason]
    SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_UPDATES: _ClassVar[SuggestContinueAsNewReason]

class StartChildWorkflowExecutionFailedCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: _ClassVar[StartChildWorkflowExecutionFailedCause]
    START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS: _ClassVar[StartChildWorkflowExecutionFailedCause]
    START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND: _ClassVar[StartChildWorkflowExecutionFailedCause]
    START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_VERSIONING_OVERRIDE: _ClassVar[StartChildWorkflowExecutionFailedCause]

class SignalExternalWorkflowExecutionFailedCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: _ClassVar[SignalExternalWorkflowExecutionFailedCause]
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND: _ClassVar[SignalExternalWorkflowExecutionFailedCause]
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND: _ClassVar[SignalExternalWorkflowExecutionFailedCause]
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_SIGNAL_COUNT_LIMIT_EXCEEDED: _ClassVar[SignalExternalWorkflowExecutionFailedCause]

class CancelExternalWorkflowExecutionFailedCause(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: _ClassVar[CancelExternalWorkflowExecutionFailedCause]
    CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND: _ClassVar[CancelExternalWorkflowExecutionFailedCause]
    CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND: _ClassVar[CancelExternalWorkflowExecutionFailedCause]

class EvictionReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVICTION_REASON_UNSPECIFIED: _ClassVar[EvictionReason]
    EVICTION_REASON_CACHE_FULL: _ClassVar[EvictionReason]
    EVICTION_REASON_NONDETERMINISM: _ClassVar[EvictionReason]
    EVICTION_REASON_WORKFLOW_EXECUTION_ERROR: _ClassVar[EvictionReason]
    EVICTION_REASON_COMPLETED: _ClassVar[EvictionReason]
    EVICTION_REASON_TASK_NOT_FOUND: _ClassVar[EvictionReason]
    EVICTION_REASON_UNHANDLED_COMMAND: _ClassVar[EvictionReason]
    EVICTION_REASON_FATAL: _ClassVar[EvictionReason]
    EVICTION_REASON_APP_REQUESTED: _ClassVar[EvictionReason]
    EVICTION_REASON_PAGINATION_OR_HISTORY_FETCH: _ClassVar[EvictionReason]
    EVICTION_REASON_WORKER_SHUTDOWN: _ClassVar[EvictionReason]
    EVICTION_REASON_QUERY_ONLY: _ClassVar[EvictionReason]
    EVICTION_REASON_SESSION_LOST: _ClassVar[EvictionReason]
SUGGEST_CONTINUE_AS_NEW_REASON_UNSPECIFIED: SuggestContinueAsNewReason
SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE: SuggestContinueAsNewReason
SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS: SuggestContinueAsNewReason
SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_UPDATES: SuggestContinueAsNewReason
START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: StartChildWorkflowExecutionFailedCause
START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS: StartChildWorkflowExecutionFailedCause
START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND: StartChildWorkflowExecutionFailedCause
START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_INVALID_VERSIONING_OVERRIDE: StartChildWorkflowExecutionFailedCause
SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: SignalExternalWorkflowExecutionFailedCause
SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND: SignalExternalWorkflowExecutionFailedCause
SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND: SignalExternalWorkflowExecutionFailedCause
SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_SIGNAL_COUNT_LIMIT_EXCEEDED: SignalExternalWorkflowExecutionFailedCause
CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_UNSPECIFIED: CancelExternalWorkflowExecutionFailedCause
CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND: CancelExternalWorkflowExecutionFailedCause
CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_NAMESPACE_NOT_FOUND: CancelExternalWorkflowExecutionFailedCause
EVICTION_REASON_UNSPECIFIED: EvictionReason
EVICTION_REASON_CACHE_FULL: EvictionReason
EVICTION_REASON_NONDETERMINISM: EvictionReason
EVICTION_REASON_WORKFLOW_EXECUTION_ERROR: EvictionReason
EVICTION_REASON_COMPLETED: EvictionReason
EVICTION_REASON_TASK_NOT_FOUND: EvictionReason
EVICTION_REASON_UNHANDLED_COMMAND: EvictionReason
EVICTION_REASON_FATAL: EvictionReason
EVICTION_REASON_APP_REQUESTED: EvictionReason
EVICTION_REASON_PAGINATION_OR_HISTORY_FETCH: EvictionReason
EVICTION_REASON_WORKER_SHUTDOWN: EvictionReason
EVICTION_REASON_QUERY_ONLY: EvictionReason
EVICTION_REASON_SESSION_LOST: EvictionReason

class WorkflowActivation(_message.Message):
    __slots__ = ("run_id", "timestamp", "is_replaying", "history_length", "history_size_bytes", "continue_as_new_suggested", "suggest_continue_as_new_reasons", "jobs", "build_id", "available_internal_flags", "target_worker_deployment_version_changed", "deployment_name")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    IS_REPLAYING_FIELD_NUMBER: _ClassVar[int]
    HISTORY_LENGTH_FIELD_NUMBER: _ClassVar[int]
    HISTORY_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_AS_NEW_SUGGESTED_FIELD_NUMBER: _ClassVar[int]
    SUGGEST_CONTINUE_AS_NEW_REASONS_FIELD_NUMBER: _ClassVar[int]
    JOBS_FIELD_NUMBER: _ClassVar[int]
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_INTERNAL_FLAGS_FIELD_NUMBER: _ClassVar[int]
    TARGET_WORKER_DEPLOYMENT_VERSION_CHANGED_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    timestamp: _timestamp_pb2.Timestamp
    is_replaying: bool
    history_length: int
    history_size_bytes: int
    continue_as_new_suggested: bool
    suggest_continue_as_new_reasons: _containers.RepeatedScalarFieldContainer[SuggestContinueAsNewReason]
    jobs: _containers.RepeatedCompositeFieldContainer[WorkflowActivationJob]
    build_id: str
    available_internal_flags: _containers.RepeatedScalarFieldContainer[int]
    target_worker_deployment_version_changed: bool
    deployment_name: str
    def __init__(self, run_id: _Optional[str] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., is_replaying: _Optional[bool] = ..., history_length: _Optional[int] = ..., history_size_bytes: _Optional[int] = ..., continue_as_new_suggested: _Optional[bool] = ..., suggest_continue_as_new_reasons: _Optional[_Iterable[_Union[SuggestContinueAsNewReason, str]]] = ..., jobs: _Optional[_Iterable[_Union[WorkflowActivationJob, _Mapping]]] = ..., build_id: _Optional[str] = ..., available_internal_flags: _Optional[_Iterable[int]] = ..., target_worker_deployment_version_changed: _Optional[bool] = ..., deployment_name: _Optional[str] = ...) -> None: ...

class WorkflowActivationJob(_message.Message):
    __slots__ = ("initialize_workflow", "fire_timer", "resolve_activity", "signal_workflow", "query_workflow", "cancel_workflow", "do_update", "notify_has_patch", "update_random_seed", "resolve_child_workflow_execution_start", "resolve_child_workflow_execution", "resolve_signal_external_workflow", "resolve_request_cancel_external_workflow", "resolve_nexus_operation_start", "resolve_nexus_operation", "remove_from_cache")
    INITIALIZE_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    FIRE_TIMER_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    QUERY_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    CANCEL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    DO_UPDATE_FIELD_NUMBER: _ClassVar[int]
    NOTIFY_HAS_PATCH_FIELD_NUMBER: _ClassVar[int]
    UPDATE_RANDOM_SEED_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_CHILD_WORKFLOW_EXECUTION_START_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_CHILD_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_SIGNAL_EXTERNAL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_NEXUS_OPERATION_START_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_NEXUS_OPERATION_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FROM_CACHE_FIELD_NUMBER: _ClassVar[int]
    initialize_workflow: InitializeWorkflow
    fire_timer: FireTimer
    resolve_activity: ResolveActivity
    signal_workflow: SignalWorkflow
    query_workflow: QueryWorkflow
    cancel_workflow: CancelWorkflow
    do_update: DoUpdate
    notify_has_patch: NotifyHasPatch
    update_random_seed: UpdateRandomSeed
    resolve_child_workflow_execution_start: ResolveChildWorkflowExecutionStart
    resolve_child_workflow_execution: ResolveChildWorkflowExecution
    resolve_signal_external_workflow: ResolveSignalExternalWorkflow
    resolve_request_cancel_external_workflow: ResolveRequestCancelExternalWorkflow
    resolve_nexus_operation_start: ResolveNexusOperationStart
    resolve_nexus_operation: ResolveNexusOperation
    remove_from_cache: RemoveFromCache
    def __init__(self, initialize_workflow: _Optional[_Union[InitializeWorkflow, _Mapping]] = ..., fire_timer: _Optional[_Union[FireTimer, _Mapping]] = ..., resolve_activity: _Optional[_Union[ResolveActivity, _Mapping]] = ..., signal_workflow: _Optional[_Union[SignalWorkflow, _Mapping]] = ..., query_workflow: _Optional[_Union[QueryWorkflow, _Mapping]] = ..., cancel_workflow: _Optional[_Union[CancelWorkflow, _Mapping]] = ..., do_update: _Optional[_Union[DoUpdate, _Mapping]] = ..., notify_has_patch: _Optional[_Union[NotifyHasPatch, _Mapping]] = ..., update_random_seed: _Optional[_Union[UpdateRandomSeed, _Mapping]] = ..., resolve_child_workflow_execution_start: _Optional[_Union[ResolveChildWorkflowExecutionStart, _Mapping]] = ..., resolve_child_workflow_execution: _Optional[_Union[ResolveChildWorkflowExecution, _Mapping]] = ..., resolve_signal_external_workflow: _Optional[_Union[ResolveSignalExternalWorkflow, _Mapping]] = ..., resolve_request_cancel_external_workflow: _Optional[_Union[ResolveRequestCancelExternalWorkflow, _Mapping]] = ..., resolve_nexus_operation_start: _Optional[_Union[ResolveNexusOperationStart, _Mapping]] = ..., resolve_nexus_operation: _Optional[_Union[ResolveNexusOperation, _Mapping]] = ..., remove_from_cache: _Optional[_Union[RemoveFromCache, _Mapping]] = ...) -> None: ...

class InitializeWorkflow(_message.Message):
    __slots__ = ("workflow_type", "workflow_id", "arguments", "randomness_seed", "headers", "identity", "parent_workflow_info", "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "continued_from_execution_run_id", "continued_initiator", "continued_failure", "last_completion_result", "first_execution_run_id", "retry_policy", "attempt", "cron_schedule", "workflow_execution_expiration_time", "cron_schedule_to_schedule_interval", "memo", "search_attributes", "start_time", "root_workflow", "priority", "task_queue", "namespace", "original_execution_run_id")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    class MemoEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    class SearchAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    RANDOMNESS_SEED_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    PARENT_WORKFLOW_INFO_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_FROM_EXECUTION_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_INITIATOR_FIELD_NUMBER: _ClassVar[int]
    CONTINUED_FAILURE_FIELD_NUMBER: _ClassVar[int]
    LAST_COMPLETION_RESULT_FIELD_NUMBER: _ClassVar[int]
    FIRST_EXECUTION_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CRON_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_EXPIRATION_TIME_FIELD_NUMBER: _ClassVar[int]
    CRON_SCHEDULE_TO_SCHEDULE_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    ROOT_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_EXECUTION_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_type: str
    workflow_id: str
    arguments: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    randomness_seed: int
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    identity: str
    parent_workflow_info: ParentWorkflowInfo
    workflow_execution_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    continued_from_execution_run_id: str
    continued_initiator: _common_pb2.ContinueAsNewInitiator
    continued_failure: _common_pb2.Failure
    last_completion_result: _common_pb2.Payloads
    first_execution_run_id: str
    retry_policy: _common_pb2.RetryPolicy
    attempt: int
    cron_schedule: str
    workflow_execution_expiration_time: _timestamp_pb2.Timestamp
    cron_schedule_to_schedule_interval: _duration_pb2.Duration
    memo: _containers.MessageMap[str, _common_pb2.Payload]
    search_attributes: _containers.MessageMap[str, _common_pb2.Payload]
    start_time: _timestamp_pb2.Timestamp
    root_workflow: _common_pb2.WorkflowExecution
    priority: _common_pb2.Priority
    task_queue: str
    namespace: str
    original_execution_run_id: str
    def __init__(self, workflow_type: _Optional[str] = ..., workflow_id: _Optional[str] = ..., arguments: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., randomness_seed: _Optional[int] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., identity: _Optional[str] = ..., parent_workflow_info: _Optional[_Union[ParentWorkflowInfo, _Mapping]] = ..., workflow_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., continued_from_execution_run_id: _Optional[str] = ..., continued_initiator: _Optional[_Union[_common_pb2.ContinueAsNewInitiator, str]] = ..., continued_failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., last_completion_result: _Optional[_Union[_common_pb2.Payloads, _Mapping]] = ..., first_execution_run_id: _Optional[str] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., attempt: _Optional[int] = ..., cron_schedule: _Optional[str] = ..., workflow_execution_expiration_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cron_schedule_to_schedule_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memo: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., search_attributes: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., root_workflow: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., priority: _Optional[_Union[_common_pb2.Priority, _Mapping]] = ..., task_queue: _Optional[str] = ..., namespace: _Optional[str] = ..., original_execution_run_id: _Optional[str] = ...) -> None: ...

class ParentWorkflowInfo(_message.Message):
    __slots__ = ("namespace", "workflow_id", "run_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    run_id: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class FireTimer(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class ResolveActivity(_message.Message):
    __slots__ = ("seq", "result", "is_local")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    IS_LOCAL_FIELD_NUMBER: _ClassVar[int]
    seq: int
    result: ActivityResolution
    is_local: bool
    def __init__(self, seq: _Optional[int] = ..., result: _Optional[_Union[ActivityResolution, _Mapping]] = ..., is_local: _Optional[bool] = ...) -> None: ...

class ActivityResolution(_message.Message):
    __slots__ = ("completed", "failed", "cancelled", "backoff")
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_FIELD_NUMBER: _ClassVar[int]
    completed: ActivityResolutionCompleted
    failed: ActivityResolutionFailed
    cancelled: ActivityResolutionCancelled
    backoff: DoBackoff
    def __init__(self, completed: _Optional[_Union[ActivityResolutionCompleted, _Mapping]] = ..., failed: _Optional[_Union[ActivityResolutionFailed, _Mapping]] = ..., cancelled: _Optional[_Union[ActivityResolutionCancelled, _Mapping]] = ..., backoff: _Optional[_Union[DoBackoff, _Mapping]] = ...) -> None: ...

class ActivityResolutionCompleted(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _common_pb2.Payload
    def __init__(self, result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...

class ActivityResolutionFailed(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class ActivityResolutionCancelled(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class DoBackoff(_message.Message):
    __slots__ = ("attempt", "backoff_duration", "original_schedule_time")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_DURATION_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_SCHEDULE_TIME_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    backoff_duration: _duration_pb2.Duration
    original_schedule_time: _timestamp_pb2.Timestamp
    def __init__(self, attempt: _Optional[int] = ..., backoff_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., original_schedule_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SignalWorkflow(_message.Message):
    __slots__ = ("signal_name", "input", "identity", "headers", "originating_event_id")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    ORIGINATING_EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    signal_name: str
    input: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    identity: str
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    originating_event_id: int
    def __init__(self, signal_name: _Optional[str] = ..., input: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., identity: _Optional[str] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., originating_event_id: _Optional[int] = ...) -> None: ...

class QueryWorkflow(_message.Message):
    __slots__ = ("query_id", "query_type", "arguments", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    QUERY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    query_type: str
    arguments: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    def __init__(self, query_id: _Optional[str] = ..., query_type: _Optional[str] = ..., arguments: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ...) -> None: ...

class CancelWorkflow(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class DoUpdate(_message.Message):
    __slots__ = ("id", "protocol_instance_id", "name", "input", "headers", "identity", "run_validator")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    RUN_VALIDATOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    protocol_instance_id: str
    name: str
    input: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    identity: str
    run_validator: bool
    def __init__(self, id: _Optional[str] = ..., protocol_instance_id: _Optional[str] = ..., name: _Optional[str] = ..., input: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., identity: _Optional[str] = ..., run_validator: _Optional[bool] = ...) -> None: ...

class NotifyHasPatch(_message.Message):
    __slots__ = ("patch_id",)
    PATCH_ID_FIELD_NUMBER: _ClassVar[int]
    patch_id: str
    def __init__(self, patch_id: _Optional[str] = ...) -> None: ...

class UpdateRandomSeed(_message.Message):
    __slots__ = ("randomness_seed",)
    RANDOMNESS_SEED_FIELD_NUMBER: _ClassVar[int]
    randomness_seed: int
    def __init__(self, randomness_seed: _Optional[int] = ...) -> None: ...

class ResolveChildWorkflowExecutionStart(_message.Message):
    __slots__ = ("seq", "succeeded", "failed", "cancelled")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    seq: int
    succeeded: ResolveChildWorkflowExecutionStartSuccess
    failed: ResolveChildWorkflowExecutionStartFailure
    cancelled: ResolveChildWorkflowExecutionStartCancelled
    def __init__(self, seq: _Optional[int] = ..., succeeded: _Optional[_Union[ResolveChildWorkflowExecutionStartSuccess, _Mapping]] = ..., failed: _Optional[_Union[ResolveChildWorkflowExecutionStartFailure, _Mapping]] = ..., cancelled: _Optional[_Union[ResolveChildWorkflowExecutionStartCancelled, _Mapping]] = ...) -> None: ...

class ResolveChildWorkflowExecutionStartSuccess(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class ResolveChildWorkflowExecutionStartFailure(_message.Message):
    __slots__ = ("workflow_id", "workflow_type", "cause")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    workflow_type: str
    cause: StartChildWorkflowExecutionFailedCause
    def __init__(self, workflow_id: _Optional[str] = ..., workflow_type: _Optional[str] = ..., cause: _Optional[_Union[StartChildWorkflowExecutionFailedCause, str]] = ...) -> None: ...

class ResolveChildWorkflowExecutionStartCancelled(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class ResolveChildWorkflowExecution(_message.Message):
    __slots__ = ("seq", "result")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    seq: int
    result: ChildWorkflowResult
    def __init__(self, seq: _Optional[int] = ..., result: _Optional[_Union[ChildWorkflowResult, _Mapping]] = ...) -> None: ...

class ChildWorkflowResult(_message.Message):
    __slots__ = ("completed", "failed", "cancelled")
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    completed: ChildWorkflowResultCompleted
    failed: ChildWorkflowResultFailed
    cancelled: ChildWorkflowResultCancelled
    def __init__(self, completed: _Optional[_Union[ChildWorkflowResultCompleted, _Mapping]] = ..., failed: _Optional[_Union[ChildWorkflowResultFailed, _Mapping]] = ..., cancelled: _Optional[_Union[ChildWorkflowResultCancelled, _Mapping]] = ...) -> None: ...

class ChildWorkflowResultCompleted(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _common_pb2.Payload
    def __init__(self, result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...

class ChildWorkflowResultFailed(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class ChildWorkflowResultCancelled(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class ResolveSignalExternalWorkflow(_message.Message):
    __slots__ = ("seq", "failure", "cause")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    failure: _common_pb2.Failure
    cause: SignalExternalWorkflowExecutionFailedCause
    def __init__(self, seq: _Optional[int] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., cause: _Optional[_Union[SignalExternalWorkflowExecutionFailedCause, str]] = ...) -> None: ...

class ResolveRequestCancelExternalWorkflow(_message.Message):
    __slots__ = ("seq", "failure", "cause")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    CAUSE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    failure: _common_pb2.Failure
    cause: CancelExternalWorkflowExecutionFailedCause
    def __init__(self, seq: _Optional[int] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., cause: _Optional[_Union[CancelExternalWorkflowExecutionFailedCause, str]] = ...) -> None: ...

class ResolveNexusOperationStart(_message.Message):
    __slots__ = ("seq", "operation_token", "started_sync", "failed")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    OPERATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STARTED_SYNC_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    seq: int
    operation_token: str
    started_sync: bool
    failed: _common_pb2.Failure
    def __init__(self, seq: _Optional[int] = ..., operation_token: _Optional[str] = ..., started_sync: _Optional[bool] = ..., failed: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class ResolveNexusOperation(_message.Message):
    __slots__ = ("seq", "result")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    seq: int
    result: NexusOperationResult
    def __init__(self, seq: _Optional[int] = ..., result: _Optional[_Union[NexusOperationResult, _Mapping]] = ...) -> None: ...

class NexusOperationResult(_message.Message):
    __slots__ = ("completed", "failed", "cancelled", "timed_out")
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    CANCELLED_FIELD_NUMBER: _ClassVar[int]
    TIMED_OUT_FIELD_NUMBER: _ClassVar[int]
    completed: _common_pb2.Payload
    failed: _common_pb2.Failure
    cancelled: _common_pb2.Failure
    timed_out: _common_pb2.Failure
    def __init__(self, completed: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., failed: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., cancelled: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., timed_out: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class RemoveFromCache(_message.Message):
    __slots__ = ("message", "reason")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    message: str
    reason: EvictionReason
    def __init__(self, message: _Optional[str] = ..., reason: _Optional[_Union[EvictionReason, str]] = ...) -> None: ...

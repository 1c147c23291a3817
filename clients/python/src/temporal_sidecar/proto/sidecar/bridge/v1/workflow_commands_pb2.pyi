import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkflowCommand(_message.Message):
    __slots__ = ("start_timer", "cancel_timer", "schedule_activity", "request_cancel_activity", "respond_to_query", "complete_workflow_execution", "fail_workflow_execution", "cancel_workflow_execution", "continue_as_new_workflow_execution", "start_child_workflow_execution", "cancel_child_workflow_execution", "signal_external_workflow_execution", "request_cancel_external_workflow_execution", "update_response", "set_patch_marker", "upsert_workflow_search_attributes", "modify_workflow_properties", "schedule_local_activity", "request_cancel_local_activity", "schedule_nexus_operation", "request_cancel_nexus_operation", "cancel_signal_workflow", "user_metadata_summary", "user_metadata")
    START_TIMER_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIMER_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CANCEL_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    RESPOND_TO_QUERY_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    FAIL_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CANCEL_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CONTINUE_AS_NEW_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    START_CHILD_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CANCEL_CHILD_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    SET_PATCH_MARKER_FIELD_NUMBER: _ClassVar[int]
    UPSERT_WORKFLOW_SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    MODIFY_WORKFLOW_PROPERTIES_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_LOCAL_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CANCEL_LOCAL_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_NEXUS_OPERATION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_CANCEL_NEXUS_OPERATION_FIELD_NUMBER: _ClassVar[int]
    CANCEL_SIGNAL_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    USER_METADATA_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    USER_METADATA_FIELD_NUMBER: _ClassVar[int]
    start_timer: StartTimer
    cancel_timer: CancelTimer
    schedule_activity: ScheduleActivity
    request_cancel_activity: RequestCancelActivity
    respond_to_query: QueryResult
    complete_workflow_execution: CompleteWorkflowExecution
    fail_workflow_execution: FailWorkflowExecution
    cancel_workflow_execution: CancelWorkflowExecution
    continue_as_new_workflow_execution: ContinueAsNewWorkflowExecution
    start_child_workflow_execution: StartChildWorkflowExecution
    cancel_child_workflow_execution: CancelChildWorkflowExecution
    signal_external_workflow_execution: SignalExternalWorkflowExecution
    request_cancel_external_workflow_execution: RequestCancelExternalWorkflowExecution
    update_response: UpdateResponse
    set_patch_marker: SetPatchMarker
    upsert_workflow_search_attributes: UpsertWorkflowSearchAttributes
    modify_workflow_properties: ModifyWorkflowProperties
    schedule_local_activity: ScheduleLocalActivity
    request_cancel_local_activity: RequestCancelLocalActivity
    schedule_nexus_operation: ScheduleNexusOperation
    request_cancel_nexus_operation: RequestCancelNexusOperation
    cancel_signal_workflow: CancelSignalWorkflow
    user_metadata_summary: str
    user_metadata: UserMetadata
    def __init__(self, start_timer: _Optional[_Union[StartTimer, _Mapping]] = ..., cancel_timer: _Optional[_Union[CancelTimer, _Mapping]] = ..., schedule_activity: _Optional[_Union[ScheduleActivity, _Mapping]] = ..., request_cancel_activity: _Optional[_Union[RequestCancelActivity, _Mapping]] = ..., respond_to_query: _Optional[_Union[QueryResult, _Mapping]] = ..., complete_workflow_execution: _Optional[_Union[CompleteWorkflowExecution, _Mapping]] = ..., fail_workflow_execution: _Optional[_Union[FailWorkflowExecution, _Mapping]] = ..., cancel_workflow_execution: _Optional[_Union[CancelWorkflowExecution, _Mapping]] = ..., continue_as_new_workflow_execution: _Optional[_Union[ContinueAsNewWorkflowExecution, _Mapping]] = ..., start_child_workflow_execution: _Optional[_Union[StartChildWorkflowExecution, _Mapping]] = ..., cancel_child_workflow_execution: _Optional[_Union[CancelChildWorkflowExecution, _Mapping]] = ..., signal_external_workflow_execution: _Optional[_Union[SignalExternalWorkflowExecution, _Mapping]] = ..., request_cancel_external_workflow_execution: _Optional[_Union[RequestCancelExternalWorkflowExecution, _Mapping]] = ..., update_response: _Optional[_Union[UpdateResponse, _Mapping]] = ..., set_patch_marker: _Optional[_Union[SetPatchMarker, _Mapping]] = ..., upsert_workflow_search_attributes: _Optional[_Union[UpsertWorkflowSearchAttributes, _Mapping]] = ..., modify_workflow_properties: _Optional[_Union[ModifyWorkflowProperties, _Mapping]] = ..., schedule_local_activity: _Optional[_Union[ScheduleLocalActivity, _Mapping]] = ..., request_cancel_local_activity: _Optional[_Union[RequestCancelLocalActivity, _Mapping]] = ..., schedule_nexus_operation: _Optional[_Union[ScheduleNexusOperation, _Mapping]] = ..., request_cancel_nexus_operation: _Optional[_Union[RequestCancelNexusOperation, _Mapping]] = ..., cancel_signal_workflow: _Optional[_Union[CancelSignalWorkflow, _Mapping]] = ..., user_metadata_summary: _Optional[str] = ..., user_metadata: _Optional[_Union[UserMetadata, _Mapping]] = ...) -> None: ...

class UserMetadata(_message.Message):
    __slots__ = ("summary", "details")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    summary: _common_pb2.Payload
    details: _common_pb2.Payload
    def __init__(self, summary: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., details: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...

class StartTimer(_message.Message):
    __slots__ = ("seq", "start_to_fire_timeout")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    START_TO_FIRE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    seq: int
    start_to_fire_timeout: _duration_pb2.Duration
    def __init__(self, seq: _Optional[int] = ..., start_to_fire_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CancelTimer(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class ScheduleActivity(_message.Message):
    __slots__ = ("seq", "activity_id", "activity_type", "task_queue", "headers", "arguments", "schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "heartbeat_timeout", "retry_policy", "cancellation_type", "do_not_eagerly_execute", "priority")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    DO_NOT_EAGERLY_EXECUTE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    seq: int
    activity_id: str
    activity_type: str
    task_queue: str
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    arguments: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    schedule_to_close_timeout: _duration_pb2.Duration
    schedule_to_start_timeout: _duration_pb2.Duration
    start_to_close_timeout: _duration_pb2.Duration
    heartbeat_timeout: _duration_pb2.Duration
    retry_policy: _common_pb2.RetryPolicy
    cancellation_type: _common_pb2.CancellationType
    do_not_eagerly_execute: bool
    priority: _common_pb2.Priority
    def __init__(self, seq: _Optional[int] = ..., activity_id: _Optional[str] = ..., activity_type: _Optional[str] = ..., task_queue: _Optional[str] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., arguments: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., heartbeat_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., cancellation_type: _Optional[_Union[_common_pb2.CancellationType, str]] = ..., do_not_eagerly_execute: _Optional[bool] = ..., priority: _Optional[_Union[_common_pb2.Priority, _Mapping]] = ...) -> None: ...

class RequestCancelActivity(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class QueryResult(_message.Message):
    __slots__ = ("query_id", "succeeded", "failed")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    succeeded: _common_pb2.Payload
    failed: _common_pb2.Failure
    def __init__(self, query_id: _Optional[str] = ..., succeeded: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., failed: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class CompleteWorkflowExecution(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _common_pb2.Payload
    def __init__(self, result: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...

class FailWorkflowExecution(_message.Message):
    __slots__ = ("failure",)
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    failure: _common_pb2.Failure
    def __init__(self, failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class CancelWorkflowExecution(_message.Message):
    __slots__ = ("details",)
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    details: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    def __init__(self, details: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ...) -> None: ...

class ContinueAsNewWorkflowExecution(_message.Message):
    __slots__ = ("workflow_type", "task_queue", "arguments", "workflow_run_timeout", "workflow_task_timeout", "memo", "headers", "search_attributes", "retry_policy", "initial_versioning_behavior", "backoff_start_interval")
    class MemoEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    class HeadersEntry(_message.Message):
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
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    INITIAL_VERSIONING_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    BACKOFF_START_INTERVAL_FIELD_NUMBER: _ClassVar[int]
    workflow_type: str
    task_queue: str
    arguments: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    memo: _containers.MessageMap[str, _common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    search_attributes: _containers.MessageMap[str, _common_pb2.Payload]
    retry_policy: _common_pb2.RetryPolicy
    initial_versioning_behavior: _common_pb2.VersioningBehavior
    backoff_start_interval: _duration_pb2.Duration
    def __init__(self, workflow_type: _Optional[str] = ..., task_queue: _Optional[str] = ..., arguments: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., memo: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., search_attributes: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., initial_versioning_behavior: _Optional[_Union[_common_pb2.VersioningBehavior, str]] = ..., backoff_start_interval: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class StartChildWorkflowExecution(_message.Message):
    __slots__ = ("seq", "namespace", "workflow_id", "workflow_type", "task_queue", "input", "workflow_execution_timeout", "workflow_run_timeout", "workflow_task_timeout", "parent_close_policy", "workflow_id_reuse_policy", "retry_policy", "cron_schedule", "headers", "memo", "search_attributes", "cancellation_type", "priority")
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
    SEQ_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    PARENT_CLOSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_REUSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    CRON_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    seq: int
    namespace: str
    workflow_id: str
    workflow_type: str
    task_queue: str
    input: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    workflow_execution_timeout: _duration_pb2.Duration
    workflow_run_timeout: _duration_pb2.Duration
    workflow_task_timeout: _duration_pb2.Duration
    parent_close_policy: _common_pb2.ParentClosePolicy
    workflow_id_reuse_policy: _common_pb2.WorkflowIdReusePolicy
    retry_policy: _common_pb2.RetryPolicy
    cron_schedule: str
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    memo: _containers.MessageMap[str, _common_pb2.Payload]
    search_attributes: _containers.MessageMap[str, _common_pb2.Payload]
    cancellation_type: _common_pb2.CancellationType
    priority: _common_pb2.Priority
    def __init__(self, seq: _Optional[int] = ..., namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., workflow_type: _Optional[str] = ..., task_queue: _Optional[str] = ..., input: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., workflow_execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., workflow_task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., parent_close_policy: _Optional[_Union[_common_pb2.ParentClosePolicy, str]] = ..., workflow_id_reuse_policy: _Optional[_Union[_common_pb2.WorkflowIdReusePolicy, str]] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., cron_schedule: _Optional[str] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., memo: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., search_attributes: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., cancellation_type: _Optional[_Union[_common_pb2.CancellationType, str]] = ..., priority: _Optional[_Union[_common_pb2.Priority, _Mapping]] = ...) -> None: ...

class CancelChildWorkflowExecution(_message.Message):
    __slots__ = ("child_workflow_seq", "reason")
    CHILD_WORKFLOW_SEQ_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    child_workflow_seq: int
    reason: str
    def __init__(self, child_workflow_seq: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class SignalExternalWorkflowExecution(_message.Message):
    __slots__ = ("seq", "workflow_execution", "child_workflow_id", "signal_name", "args", "headers")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    SEQ_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    CHILD_WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    seq: int
    workflow_execution: NamespacedWorkflowExecution
    child_workflow_id: str
    signal_name: str
    args: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    def __init__(self, seq: _Optional[int] = ..., workflow_execution: _Optional[_Union[NamespacedWorkflowExecution, _Mapping]] = ..., child_workflow_id: _Optional[str] = ..., signal_name: _Optional[str] = ..., args: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ...) -> None: ...

class NamespacedWorkflowExecution(_message.Message):
    __slots__ = ("namespace", "workflow_id", "run_id")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    workflow_id: str
    run_id: str
    def __init__(self, namespace: _Optional[str] = ..., workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class RequestCancelExternalWorkflowExecution(_message.Message):
    __slots__ = ("seq", "workflow_execution", "reason")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    seq: int
    workflow_execution: NamespacedWorkflowExecution
    reason: str
    def __init__(self, seq: _Optional[int] = ..., workflow_execution: _Optional[_Union[NamespacedWorkflowExecution, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class UpdateResponse(_message.Message):
    __slots__ = ("protocol_instance_id", "accepted", "rejected", "completed", "failed")
    PROTOCOL_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    protocol_instance_id: str
    accepted: UpdateAccepted
    rejected: _common_pb2.Failure
    completed: _common_pb2.Payload
    failed: _common_pb2.Failure
    def __init__(self, protocol_instance_id: _Optional[str] = ..., accepted: _Optional[_Union[UpdateAccepted, _Mapping]] = ..., rejected: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., completed: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., failed: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class UpdateAccepted(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SetPatchMarker(_message.Message):
    __slots__ = ("patch_id", "deprecated")
    PATCH_ID_FIELD_NUMBER: _ClassVar[int]
    DEPRECATED_FIELD_NUMBER: _ClassVar[int]
    patch_id: str
    deprecated: bool
    def __init__(self, patch_id: _Optional[str] = ..., deprecated: _Optional[bool] = ...) -> None: ...

class UpsertWorkflowSearchAttributes(_message.Message):
    __slots__ = ("search_attributes",)
    class SearchAttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    search_attributes: _containers.MessageMap[str, _common_pb2.Payload]
    def __init__(self, search_attributes: _Optional[_Mapping[str, _common_pb2.Payload]] = ...) -> None: ...

class ModifyWorkflowProperties(_message.Message):
    __slots__ = ("upserted_memo",)
    class UpsertedMemoEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    UPSERTED_MEMO_FIELD_NUMBER: _ClassVar[int]
    upserted_memo: _containers.MessageMap[str, _common_pb2.Payload]
    def __init__(self, upserted_memo: _Optional[_Mapping[str, _common_pb2.Payload]] = ...) -> None: ...

class ScheduleLocalActivity(_message.Message):
    __slots__ = ("seq", "activity_id", "activity_type", "attempt", "original_schedule_time", "headers", "arguments", "schedule_to_close_timeout", "schedule_to_start_timeout", "start_to_close_timeout", "retry_policy", "local_retry_threshold", "cancellation_type")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    ORIGINAL_SCHEDULE_TIME_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    ARGUMENTS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    LOCAL_RETRY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    seq: int
    activity_id: str
    activity_type: str
    attempt: int
    original_schedule_time: _timestamp_pb2.Timestamp
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    arguments: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    schedule_to_close_timeout: _duration_pb2.Duration
    schedule_to_start_timeout: _duration_pb2.Duration
    start_to_close_timeout: _duration_pb2.Duration
    retry_policy: _common_pb2.RetryPolicy
    local_retry_threshold: _duration_pb2.Duration
    cancellation_type: _common_pb2.CancellationType
    def __init__(self, seq: _Optional[int] = ..., activity_id: _Optional[str] = ..., activity_type: _Optional[str] = ..., attempt: _Optional[int] = ..., original_schedule_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., arguments: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., local_retry_threshold: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., cancellation_type: _Optional[_Union[_common_pb2.CancellationType, str]] = ...) -> None: ...

class CancelSignalWorkflow(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class RequestCancelLocalActivity(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

class ScheduleNexusOperation(_message.Message):
    __slots__ = ("seq", "endpoint", "service", "operation", "input", "schedule_to_close_timeout", "nexus_header", "cancellation_type", "schedule_to_start_timeout", "start_to_close_timeout")
    class NexusHeaderEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SEQ_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    NEXUS_HEADER_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_TO_START_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    START_TO_CLOSE_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    seq: int
    endpoint: str
    service: str
    operation: str
    input: _common_pb2.Payload
    schedule_to_close_timeout: _duration_pb2.Duration
    nexus_header: _containers.ScalarMap[str, str]
    cancellation_type: _common_pb2.CancellationType
    schedule_to_start_timeout: _duration_pb2.Duration
    start_to_close_timeout: _duration_pb2.Duration
    def __init__(self, seq: _Optional[int] = ..., endpoint: _Optional[str] = ..., service: _Optional[str] = ..., operation: _Optional[str] = ..., input: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ..., schedule_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., nexus_header: _Optional[_Mapping[str, str]] = ..., cancellation_type: _Optional[_Union[_common_pb2.CancellationType, str]] = ..., schedule_to_start_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., start_to_close_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class RequestCancelNexusOperation(_message.Message):
    __slots__ = ("seq",)
    SEQ_FIELD_NUMBER: _ClassVar[int]
    seq: int
    def __init__(self, seq: _Optional[int] = ...) -> None: ...

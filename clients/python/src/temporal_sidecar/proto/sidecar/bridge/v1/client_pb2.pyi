import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import activity_pb2 as _activity_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2 as _common_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import history_pb2 as _history_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import nexus_pb2 as _nexus_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryRejectCondition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_REJECT_CONDITION_UNSPECIFIED: _ClassVar[QueryRejectCondition]
    QUERY_REJECT_CONDITION_NONE: _ClassVar[QueryRejectCondition]
    QUERY_REJECT_CONDITION_NOT_OPEN: _ClassVar[QueryRejectCondition]
    QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY: _ClassVar[QueryRejectCondition]

class UpdateWaitStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPDATE_WAIT_STAGE_UNSPECIFIED: _ClassVar[UpdateWaitStage]
    UPDATE_WAIT_STAGE_ACCEPTED: _ClassVar[UpdateWaitStage]
    UPDATE_WAIT_STAGE_COMPLETED: _ClassVar[UpdateWaitStage]
QUERY_REJECT_CONDITION_UNSPECIFIED: QueryRejectCondition
QUERY_REJECT_CONDITION_NONE: QueryRejectCondition
QUERY_REJECT_CONDITION_NOT_OPEN: QueryRejectCondition
QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY: QueryRejectCondition
UPDATE_WAIT_STAGE_UNSPECIFIED: UpdateWaitStage
UPDATE_WAIT_STAGE_ACCEPTED: UpdateWaitStage
UPDATE_WAIT_STAGE_COMPLETED: UpdateWaitStage

class WorkflowOptions(_message.Message):
    __slots__ = ("workflow_id", "workflow_type", "task_queue", "args", "execution_timeout", "run_timeout", "task_timeout", "retry_policy", "id_reuse_policy", "id_conflict_policy", "cron_schedule", "memo", "search_attributes", "headers", "start_delay", "request_id", "priority", "static_summary")
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
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    EXECUTION_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RUN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    TASK_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    RETRY_POLICY_FIELD_NUMBER: _ClassVar[int]
    ID_REUSE_POLICY_FIELD_NUMBER: _ClassVar[int]
    ID_CONFLICT_POLICY_FIELD_NUMBER: _ClassVar[int]
    CRON_SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    START_DELAY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    STATIC_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    workflow_type: str
    task_queue: str
    args: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    execution_timeout: _duration_pb2.Duration
    run_timeout: _duration_pb2.Duration
    task_timeout: _duration_pb2.Duration
    retry_policy: _common_pb2.RetryPolicy
    id_reuse_policy: _common_pb2.WorkflowIdReusePolicy
    id_conflict_policy: _common_pb2.WorkflowIdConflictPolicy
    cron_schedule: str
    memo: _containers.MessageMap[str, _common_pb2.Payload]
    search_attributes: _containers.MessageMap[str, _common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    start_delay: _duration_pb2.Duration
    request_id: str
    priority: _common_pb2.Priority
    static_summary: str
    def __init__(self, workflow_id: _Optional[str] = ..., workflow_type: _Optional[str] = ..., task_queue: _Optional[str] = ..., args: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., execution_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., run_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., task_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., retry_policy: _Optional[_Union[_common_pb2.RetryPolicy, _Mapping]] = ..., id_reuse_policy: _Optional[_Union[_common_pb2.WorkflowIdReusePolicy, str]] = ..., id_conflict_policy: _Optional[_Union[_common_pb2.WorkflowIdConflictPolicy, str]] = ..., cron_schedule: _Optional[str] = ..., memo: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., search_attributes: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., start_delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., request_id: _Optional[str] = ..., priority: _Optional[_Union[_common_pb2.Priority, _Mapping]] = ..., static_summary: _Optional[str] = ...) -> None: ...

class StartWorkflowRequest(_message.Message):
    __slots__ = ("options", "nexus_task_token")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXUS_TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    options: WorkflowOptions
    nexus_task_token: bytes
    def __init__(self, options: _Optional[_Union[WorkflowOptions, _Mapping]] = ..., nexus_task_token: _Optional[bytes] = ...) -> None: ...

class StartWorkflowResponse(_message.Message):
    __slots__ = ("run_id", "started", "nexus_operation_token", "nexus_links")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    NEXUS_OPERATION_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NEXUS_LINKS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    started: bool
    nexus_operation_token: str
    nexus_links: _containers.RepeatedCompositeFieldContainer[_nexus_pb2.NexusLink]
    def __init__(self, run_id: _Optional[str] = ..., started: _Optional[bool] = ..., nexus_operation_token: _Optional[str] = ..., nexus_links: _Optional[_Iterable[_Union[_nexus_pb2.NexusLink, _Mapping]]] = ...) -> None: ...

class SignalWithStartWorkflowRequest(_message.Message):
    __slots__ = ("options", "signal_name", "signal_args")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_ARGS_FIELD_NUMBER: _ClassVar[int]
    options: WorkflowOptions
    signal_name: str
    signal_args: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    def __init__(self, options: _Optional[_Union[WorkflowOptions, _Mapping]] = ..., signal_name: _Optional[str] = ..., signal_args: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ...) -> None: ...

class SignalWithStartWorkflowResponse(_message.Message):
    __slots__ = ("run_id", "started")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    started: bool
    def __init__(self, run_id: _Optional[str] = ..., started: _Optional[bool] = ...) -> None: ...

class SignalWorkflowRequest(_message.Message):
    __slots__ = ("execution", "signal_name", "args", "headers", "request_id")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    SIGNAL_NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    signal_name: str
    args: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    request_id: str
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., signal_name: _Optional[str] = ..., args: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SignalWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class QueryWorkflowRequest(_message.Message):
    __slots__ = ("execution", "query_type", "args", "headers", "reject_condition")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    QUERY_TYPE_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    REJECT_CONDITION_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    query_type: str
    args: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    reject_condition: QueryRejectCondition
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., query_type: _Optional[str] = ..., args: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., reject_condition: _Optional[_Union[QueryRejectCondition, str]] = ...) -> None: ...

class QueryWorkflowResponse(_message.Message):
    __slots__ = ("result", "rejected_status")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_STATUS_FIELD_NUMBER: _ClassVar[int]
    result: _common_pb2.Payloads
    rejected_status: _common_pb2.WorkflowExecutionStatus
    def __init__(self, result: _Optional[_Union[_common_pb2.Payloads, _Mapping]] = ..., rejected_status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ...) -> None: ...

class UpdateWorkflowRequest(_message.Message):
    __slots__ = ("execution", "update_name", "args", "headers", "update_id", "wait_for_stage")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_STAGE_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    update_name: str
    args: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    update_id: str
    wait_for_stage: UpdateWaitStage
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., update_name: _Optional[str] = ..., args: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., update_id: _Optional[str] = ..., wait_for_stage: _Optional[_Union[UpdateWaitStage, str]] = ...) -> None: ...

class UpdateWorkflowResponse(_message.Message):
    __slots__ = ("update_id", "run_id", "success", "failure")
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    update_id: str
    run_id: str
    success: _common_pb2.Payloads
    failure: _common_pb2.Failure
    def __init__(self, update_id: _Optional[str] = ..., run_id: _Optional[str] = ..., success: _Optional[_Union[_common_pb2.Payloads, _Mapping]] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ...) -> None: ...

class UpdateWithStartWorkflowRequest(_message.Message):
    __slots__ = ("options", "update_name", "args", "headers", "update_id", "wait_for_stage")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _common_pb2.Payload
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_common_pb2.Payload, _Mapping]] = ...) -> None: ...
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_NAME_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_STAGE_FIELD_NUMBER: _ClassVar[int]
    options: WorkflowOptions
    update_name: str
    args: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    headers: _containers.MessageMap[str, _common_pb2.Payload]
    update_id: str
    wait_for_stage: UpdateWaitStage
    def __init__(self, options: _Optional[_Union[WorkflowOptions, _Mapping]] = ..., update_name: _Optional[str] = ..., args: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ..., headers: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., update_id: _Optional[str] = ..., wait_for_stage: _Optional[_Union[UpdateWaitStage, str]] = ...) -> None: ...

class UpdateWithStartWorkflowResponse(_message.Message):
    __slots__ = ("run_id", "started", "update")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    started: bool
    update: UpdateWorkflowResponse
    def __init__(self, run_id: _Optional[str] = ..., started: _Optional[bool] = ..., update: _Optional[_Union[UpdateWorkflowResponse, _Mapping]] = ...) -> None: ...

class GetWorkflowResultRequest(_message.Message):
    __slots__ = ("execution", "no_follow_runs")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    NO_FOLLOW_RUNS_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    no_follow_runs: bool
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., no_follow_runs: _Optional[bool] = ...) -> None: ...

class GetWorkflowResultResponse(_message.Message):
    __slots__ = ("status", "run_id", "result", "failure", "next_run_id")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.WorkflowExecutionStatus
    run_id: str
    result: _common_pb2.Payloads
    failure: _common_pb2.Failure
    next_run_id: str
    def __init__(self, status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., run_id: _Optional[str] = ..., result: _Optional[_Union[_common_pb2.Payloads, _Mapping]] = ..., failure: _Optional[_Union[_common_pb2.Failure, _Mapping]] = ..., next_run_id: _Optional[str] = ...) -> None: ...

class CancelWorkflowRequest(_message.Message):
    __slots__ = ("execution", "reason", "request_id")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    reason: str
    request_id: str
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TerminateWorkflowRequest(_message.Message):
    __slots__ = ("execution", "reason", "details")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    reason: str
    details: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., reason: _Optional[str] = ..., details: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ...) -> None: ...

class TerminateWorkflowResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DescribeWorkflowRequest(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ...) -> None: ...

class DescribeWorkflowResponse(_message.Message):
    __slots__ = ("execution", "workflow_type", "task_queue", "status", "start_time", "close_time", "history_length", "memo", "search_attributes", "pending_activities", "pending_children", "first_run_id", "parent_execution")
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
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    HISTORY_LENGTH_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    SEARCH_ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    PENDING_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    PENDING_CHILDREN_FIELD_NUMBER: _ClassVar[int]
    FIRST_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    workflow_type: str
    task_queue: str
    status: _common_pb2.WorkflowExecutionStatus
    start_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    history_length: int
    memo: _containers.MessageMap[str, _common_pb2.Payload]
    search_attributes: _containers.MessageMap[str, _common_pb2.Payload]
    pending_activities: int
    pending_children: int
    first_run_id: str
    parent_execution: _common_pb2.WorkflowExecution
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., workflow_type: _Optional[str] = ..., task_queue: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.WorkflowExecutionStatus, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., history_length: _Optional[int] = ..., memo: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., search_attributes: _Optional[_Mapping[str, _common_pb2.Payload]] = ..., pending_activities: _Optional[int] = ..., pending_children: _Optional[int] = ..., first_run_id: _Optional[str] = ..., parent_execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ...) -> None: ...

class ActivityRef(_message.Message):
    __slots__ = ("task_token", "id")
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    task_token: bytes
    id: ActivityId
    def __init__(self, task_token: _Optional[bytes] = ..., id: _Optional[_Union[ActivityId, _Mapping]] = ...) -> None: ...

class ActivityId(_message.Message):
    __slots__ = ("workflow_id", "run_id", "activity_id")
    WORKFLOW_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_ID_FIELD_NUMBER: _ClassVar[int]
    workflow_id: str
    run_id: str
    activity_id: str
    def __init__(self, workflow_id: _Optional[str] = ..., run_id: _Optional[str] = ..., activity_id: _Optional[str] = ...) -> None: ...

class CompleteActivityRequest(_message.Message):
    __slots__ = ("activity", "result")
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    activity: ActivityRef
    result: _activity_pb2.ActivityExecutionResult
    def __init__(self, activity: _Optional[_Union[ActivityRef, _Mapping]] = ..., result: _Optional[_Union[_activity_pb2.ActivityExecutionResult, _Mapping]] = ...) -> None: ...

class CompleteActivityResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class HeartbeatActivityRequest(_message.Message):
    __slots__ = ("activity", "details")
    ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    activity: ActivityRef
    details: _containers.RepeatedCompositeFieldContainer[_common_pb2.Payload]
    def __init__(self, activity: _Optional[_Union[ActivityRef, _Mapping]] = ..., details: _Optional[_Iterable[_Union[_common_pb2.Payload, _Mapping]]] = ...) -> None: ...

class HeartbeatActivityResponse(_message.Message):
    __slots__ = ("cancel_requested", "activity_paused", "activity_reset")
    CANCEL_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_PAUSED_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_RESET_FIELD_NUMBER: _ClassVar[int]
    cancel_requested: bool
    activity_paused: bool
    activity_reset: bool
    def __init__(self, cancel_requested: _Optional[bool] = ..., activity_paused: _Optional[bool] = ..., activity_reset: _Optional[bool] = ...) -> None: ...

class FetchWorkflowHistoryRequest(_message.Message):
    __slots__ = ("execution", "next_page_token", "encoding")
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ENCODING_FIELD_NUMBER: _ClassVar[int]
    execution: _common_pb2.WorkflowExecution
    next_page_token: bytes
    encoding: _history_pb2.HistoryEncoding
    def __init__(self, execution: _Optional[_Union[_common_pb2.WorkflowExecution, _Mapping]] = ..., next_page_token: _Optional[bytes] = ..., encoding: _Optional[_Union[_history_pb2.HistoryEncoding, str]] = ...) -> None: ...

class FetchWorkflowHistoryResponse(_message.Message):
    __slots__ = ("history", "next_page_token")
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    history: _history_pb2.WorkflowHistory
    next_page_token: bytes
    def __init__(self, history: _Optional[_Union[_history_pb2.WorkflowHistory, _Mapping]] = ..., next_page_token: _Optional[bytes] = ...) -> None: ...

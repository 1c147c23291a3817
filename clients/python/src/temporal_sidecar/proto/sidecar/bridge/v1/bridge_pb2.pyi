import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import activity_pb2 as _activity_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2 as _common_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import history_pb2 as _history_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import nexus_pb2 as _nexus_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import workflow_activation_pb2 as _workflow_activation_pb2
from temporal_sidecar.proto.sidecar.bridge.v1 import workflow_completion_pb2 as _workflow_completion_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SlotKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SLOT_KIND_UNSPECIFIED: _ClassVar[SlotKind]
    SLOT_KIND_WORKFLOW: _ClassVar[SlotKind]
    SLOT_KIND_ACTIVITY: _ClassVar[SlotKind]
    SLOT_KIND_LOCAL_ACTIVITY: _ClassVar[SlotKind]
    SLOT_KIND_NEXUS: _ClassVar[SlotKind]

class CompletionErrorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPLETION_ERROR_KIND_UNSPECIFIED: _ClassVar[CompletionErrorKind]
    COMPLETION_ERROR_KIND_UNKNOWN_TASK: _ClassVar[CompletionErrorKind]
    COMPLETION_ERROR_KIND_MALFORMED: _ClassVar[CompletionErrorKind]
    COMPLETION_ERROR_KIND_NONDETERMINISM: _ClassVar[CompletionErrorKind]
    COMPLETION_ERROR_KIND_SERVER_REJECTED: _ClassVar[CompletionErrorKind]
SLOT_KIND_UNSPECIFIED: SlotKind
SLOT_KIND_WORKFLOW: SlotKind
SLOT_KIND_ACTIVITY: SlotKind
SLOT_KIND_LOCAL_ACTIVITY: SlotKind
SLOT_KIND_NEXUS: SlotKind
COMPLETION_ERROR_KIND_UNSPECIFIED: CompletionErrorKind
COMPLETION_ERROR_KIND_UNKNOWN_TASK: CompletionErrorKind
COMPLETION_ERROR_KIND_MALFORMED: CompletionErrorKind
COMPLETION_ERROR_KIND_NONDETERMINISM: CompletionErrorKind
COMPLETION_ERROR_KIND_SERVER_REJECTED: CompletionErrorKind

class ConnectRequest(_message.Message):
    __slots__ = ("register", "workflow_completion", "activity_completion", "activity_heartbeat", "nexus_completion", "capacity", "drain", "replay_history", "request_eviction", "core_workflow_completion", "core_activity_completion", "core_activity_heartbeat", "core_nexus_completion", "slot_response", "resource_usage")
    REGISTER_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    NEXUS_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    DRAIN_FIELD_NUMBER: _ClassVar[int]
    REPLAY_HISTORY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_EVICTION_FIELD_NUMBER: _ClassVar[int]
    CORE_WORKFLOW_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    CORE_ACTIVITY_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    CORE_ACTIVITY_HEARTBEAT_FIELD_NUMBER: _ClassVar[int]
    CORE_NEXUS_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    SLOT_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_USAGE_FIELD_NUMBER: _ClassVar[int]
    register: Register
    workflow_completion: _workflow_completion_pb2.WorkflowActivationCompletion
    activity_completion: _activity_pb2.ActivityTaskCompletion
    activity_heartbeat: _activity_pb2.ActivityHeartbeat
    nexus_completion: _nexus_pb2.NexusTaskCompletion
    capacity: Capacity
    drain: Drain
    replay_history: _history_pb2.ReplayHistory
    request_eviction: RequestEviction
    core_workflow_completion: bytes
    core_activity_completion: bytes
    core_activity_heartbeat: bytes
    core_nexus_completion: bytes
    slot_response: SlotResponse
    resource_usage: ResourceUsage
    def __init__(self, register: _Optional[_Union[Register, _Mapping]] = ..., workflow_completion: _Optional[_Union[_workflow_completion_pb2.WorkflowActivationCompletion, _Mapping]] = ..., activity_completion: _Optional[_Union[_activity_pb2.ActivityTaskCompletion, _Mapping]] = ..., activity_heartbeat: _Optional[_Union[_activity_pb2.ActivityHeartbeat, _Mapping]] = ..., nexus_completion: _Optional[_Union[_nexus_pb2.NexusTaskCompletion, _Mapping]] = ..., capacity: _Optional[_Union[Capacity, _Mapping]] = ..., drain: _Optional[_Union[Drain, _Mapping]] = ..., replay_history: _Optional[_Union[_history_pb2.ReplayHistory, _Mapping]] = ..., request_eviction: _Optional[_Union[RequestEviction, _Mapping]] = ..., core_workflow_completion: _Optional[bytes] = ..., core_activity_completion: _Optional[bytes] = ..., core_activity_heartbeat: _Optional[bytes] = ..., core_nexus_completion: _Optional[bytes] = ..., slot_response: _Optional[_Union[SlotResponse, _Mapping]] = ..., resource_usage: _Optional[_Union[ResourceUsage, _Mapping]] = ...) -> None: ...

class ConnectResponse(_message.Message):
    __slots__ = ("registered", "workflow_activation", "activity_task", "nexus_task", "completion_error", "drained", "shutdown", "worker_error", "replay_result", "core_workflow_activation", "core_activity_task", "core_nexus_task", "slot_request")
    REGISTERED_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TASK_FIELD_NUMBER: _ClassVar[int]
    NEXUS_TASK_FIELD_NUMBER: _ClassVar[int]
    COMPLETION_ERROR_FIELD_NUMBER: _ClassVar[int]
    DRAINED_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    WORKER_ERROR_FIELD_NUMBER: _ClassVar[int]
    REPLAY_RESULT_FIELD_NUMBER: _ClassVar[int]
    CORE_WORKFLOW_ACTIVATION_FIELD_NUMBER: _ClassVar[int]
    CORE_ACTIVITY_TASK_FIELD_NUMBER: _ClassVar[int]
    CORE_NEXUS_TASK_FIELD_NUMBER: _ClassVar[int]
    SLOT_REQUEST_FIELD_NUMBER: _ClassVar[int]
    registered: Registered
    workflow_activation: _workflow_activation_pb2.WorkflowActivation
    activity_task: _activity_pb2.ActivityTask
    nexus_task: _nexus_pb2.NexusTask
    completion_error: CompletionError
    drained: Drained
    shutdown: ShutdownNotice
    worker_error: WorkerError
    replay_result: _history_pb2.ReplayResult
    core_workflow_activation: bytes
    core_activity_task: bytes
    core_nexus_task: bytes
    slot_request: SlotRequest
    def __init__(self, registered: _Optional[_Union[Registered, _Mapping]] = ..., workflow_activation: _Optional[_Union[_workflow_activation_pb2.WorkflowActivation, _Mapping]] = ..., activity_task: _Optional[_Union[_activity_pb2.ActivityTask, _Mapping]] = ..., nexus_task: _Optional[_Union[_nexus_pb2.NexusTask, _Mapping]] = ..., completion_error: _Optional[_Union[CompletionError, _Mapping]] = ..., drained: _Optional[_Union[Drained, _Mapping]] = ..., shutdown: _Optional[_Union[ShutdownNotice, _Mapping]] = ..., worker_error: _Optional[_Union[WorkerError, _Mapping]] = ..., replay_result: _Optional[_Union[_history_pb2.ReplayResult, _Mapping]] = ..., core_workflow_activation: _Optional[bytes] = ..., core_activity_task: _Optional[bytes] = ..., core_nexus_task: _Optional[bytes] = ..., slot_request: _Optional[_Union[SlotRequest, _Mapping]] = ...) -> None: ...

class Register(_message.Message):
    __slots__ = ("protocol_version", "identity", "sdk_name", "sdk_version", "task_queue", "workflows", "activities", "nexus_services", "capacity", "dynamic_workflow", "dynamic_activity", "replay_only", "dynamic_workflow_versioning_behavior", "namespace", "core_protocol_version", "nondeterminism_fails_workflow", "deployment", "slot_suppliers")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    SDK_NAME_FIELD_NUMBER: _ClassVar[int]
    SDK_VERSION_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXUS_SERVICES_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_ACTIVITY_FIELD_NUMBER: _ClassVar[int]
    REPLAY_ONLY_FIELD_NUMBER: _ClassVar[int]
    DYNAMIC_WORKFLOW_VERSIONING_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    CORE_PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    NONDETERMINISM_FAILS_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    DEPLOYMENT_FIELD_NUMBER: _ClassVar[int]
    SLOT_SUPPLIERS_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    identity: str
    sdk_name: str
    sdk_version: str
    task_queue: str
    workflows: _containers.RepeatedCompositeFieldContainer[WorkflowRegistration]
    activities: _containers.RepeatedCompositeFieldContainer[ActivityRegistration]
    nexus_services: _containers.RepeatedCompositeFieldContainer[NexusServiceRegistration]
    capacity: Capacity
    dynamic_workflow: bool
    dynamic_activity: bool
    replay_only: bool
    dynamic_workflow_versioning_behavior: _common_pb2.VersioningBehavior
    namespace: str
    core_protocol_version: int
    nondeterminism_fails_workflow: bool
    deployment: WorkerDeployment
    slot_suppliers: _containers.RepeatedScalarFieldContainer[SlotKind]
    def __init__(self, protocol_version: _Optional[int] = ..., identity: _Optional[str] = ..., sdk_name: _Optional[str] = ..., sdk_version: _Optional[str] = ..., task_queue: _Optional[str] = ..., workflows: _Optional[_Iterable[_Union[WorkflowRegistration, _Mapping]]] = ..., activities: _Optional[_Iterable[_Union[ActivityRegistration, _Mapping]]] = ..., nexus_services: _Optional[_Iterable[_Union[NexusServiceRegistration, _Mapping]]] = ..., capacity: _Optional[_Union[Capacity, _Mapping]] = ..., dynamic_workflow: _Optional[bool] = ..., dynamic_activity: _Optional[bool] = ..., replay_only: _Optional[bool] = ..., dynamic_workflow_versioning_behavior: _Optional[_Union[_common_pb2.VersioningBehavior, str]] = ..., namespace: _Optional[str] = ..., core_protocol_version: _Optional[int] = ..., nondeterminism_fails_workflow: _Optional[bool] = ..., deployment: _Optional[_Union[WorkerDeployment, _Mapping]] = ..., slot_suppliers: _Optional[_Iterable[_Union[SlotKind, str]]] = ...) -> None: ...

class SlotRequest(_message.Message):
    __slots__ = ("request_id", "reserve", "try_reserve", "cancel", "mark_used", "release")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESERVE_FIELD_NUMBER: _ClassVar[int]
    TRY_RESERVE_FIELD_NUMBER: _ClassVar[int]
    CANCEL_FIELD_NUMBER: _ClassVar[int]
    MARK_USED_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    reserve: SlotReserveContext
    try_reserve: SlotReserveContext
    cancel: SlotCancel
    mark_used: SlotMarkUsed
    release: SlotRelease
    def __init__(self, request_id: _Optional[int] = ..., reserve: _Optional[_Union[SlotReserveContext, _Mapping]] = ..., try_reserve: _Optional[_Union[SlotReserveContext, _Mapping]] = ..., cancel: _Optional[_Union[SlotCancel, _Mapping]] = ..., mark_used: _Optional[_Union[SlotMarkUsed, _Mapping]] = ..., release: _Optional[_Union[SlotRelease, _Mapping]] = ...) -> None: ...

class SlotReserveContext(_message.Message):
    __slots__ = ("slot_kind", "task_queue", "worker_identity", "worker_build_id", "worker_deployment_name", "is_sticky")
    SLOT_KIND_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    WORKER_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WORKER_BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    IS_STICKY_FIELD_NUMBER: _ClassVar[int]
    slot_kind: SlotKind
    task_queue: str
    worker_identity: str
    worker_build_id: str
    worker_deployment_name: str
    is_sticky: bool
    def __init__(self, slot_kind: _Optional[_Union[SlotKind, str]] = ..., task_queue: _Optional[str] = ..., worker_identity: _Optional[str] = ..., worker_build_id: _Optional[str] = ..., worker_deployment_name: _Optional[str] = ..., is_sticky: _Optional[bool] = ...) -> None: ...

class SlotCancel(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SlotInfo(_message.Message):
    __slots__ = ("slot_kind", "workflow_type", "is_sticky", "activity_type", "nexus_service", "nexus_operation")
    SLOT_KIND_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_TYPE_FIELD_NUMBER: _ClassVar[int]
    IS_STICKY_FIELD_NUMBER: _ClassVar[int]
    ACTIVITY_TYPE_FIELD_NUMBER: _ClassVar[int]
    NEXUS_SERVICE_FIELD_NUMBER: _ClassVar[int]
    NEXUS_OPERATION_FIELD_NUMBER: _ClassVar[int]
    slot_kind: SlotKind
    workflow_type: str
    is_sticky: bool
    activity_type: str
    nexus_service: str
    nexus_operation: str
    def __init__(self, slot_kind: _Optional[_Union[SlotKind, str]] = ..., workflow_type: _Optional[str] = ..., is_sticky: _Optional[bool] = ..., activity_type: _Optional[str] = ..., nexus_service: _Optional[str] = ..., nexus_operation: _Optional[str] = ...) -> None: ...

class SlotMarkUsed(_message.Message):
    __slots__ = ("permit", "slot_info")
    PERMIT_FIELD_NUMBER: _ClassVar[int]
    SLOT_INFO_FIELD_NUMBER: _ClassVar[int]
    permit: bytes
    slot_info: SlotInfo
    def __init__(self, permit: _Optional[bytes] = ..., slot_info: _Optional[_Union[SlotInfo, _Mapping]] = ...) -> None: ...

class SlotRelease(_message.Message):
    __slots__ = ("permit", "slot_info")
    PERMIT_FIELD_NUMBER: _ClassVar[int]
    SLOT_INFO_FIELD_NUMBER: _ClassVar[int]
    permit: bytes
    slot_info: SlotInfo
    def __init__(self, permit: _Optional[bytes] = ..., slot_info: _Optional[_Union[SlotInfo, _Mapping]] = ...) -> None: ...

class SlotResponse(_message.Message):
    __slots__ = ("request_id", "permit", "no_slot", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    PERMIT_FIELD_NUMBER: _ClassVar[int]
    NO_SLOT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    permit: SlotPermit
    no_slot: bool
    error: str
    def __init__(self, request_id: _Optional[int] = ..., permit: _Optional[_Union[SlotPermit, _Mapping]] = ..., no_slot: _Optional[bool] = ..., error: _Optional[str] = ...) -> None: ...

class SlotPermit(_message.Message):
    __slots__ = ("data",)
    DATA_FIELD_NUMBER: _ClassVar[int]
    data: bytes
    def __init__(self, data: _Optional[bytes] = ...) -> None: ...

class WorkerDeployment(_message.Message):
    __slots__ = ("deployment_name", "build_id", "use_versioning", "default_versioning_behavior")
    DEPLOYMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    BUILD_ID_FIELD_NUMBER: _ClassVar[int]
    USE_VERSIONING_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_VERSIONING_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    deployment_name: str
    build_id: str
    use_versioning: bool
    default_versioning_behavior: _common_pb2.VersioningBehavior
    def __init__(self, deployment_name: _Optional[str] = ..., build_id: _Optional[str] = ..., use_versioning: _Optional[bool] = ..., default_versioning_behavior: _Optional[_Union[_common_pb2.VersioningBehavior, str]] = ...) -> None: ...

class WorkflowRegistration(_message.Message):
    __slots__ = ("name", "signals", "queries", "updates", "versioning_behavior", "nondeterminism_fails_workflow")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIGNALS_FIELD_NUMBER: _ClassVar[int]
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    VERSIONING_BEHAVIOR_FIELD_NUMBER: _ClassVar[int]
    NONDETERMINISM_FAILS_WORKFLOW_FIELD_NUMBER: _ClassVar[int]
    name: str
    signals: _containers.RepeatedScalarFieldContainer[str]
    queries: _containers.RepeatedScalarFieldContainer[str]
    updates: _containers.RepeatedScalarFieldContainer[str]
    versioning_behavior: _common_pb2.VersioningBehavior
    nondeterminism_fails_workflow: bool
    def __init__(self, name: _Optional[str] = ..., signals: _Optional[_Iterable[str]] = ..., queries: _Optional[_Iterable[str]] = ..., updates: _Optional[_Iterable[str]] = ..., versioning_behavior: _Optional[_Union[_common_pb2.VersioningBehavior, str]] = ..., nondeterminism_fails_workflow: _Optional[bool] = ...) -> None: ...

class ActivityRegistration(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class NexusServiceRegistration(_message.Message):
    __slots__ = ("name", "operations")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    operations: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., operations: _Optional[_Iterable[str]] = ...) -> None: ...

class Capacity(_message.Message):
    __slots__ = ("workflow_activations", "activities", "local_activities", "nexus_tasks")
    WORKFLOW_ACTIVATIONS_FIELD_NUMBER: _ClassVar[int]
    ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXUS_TASKS_FIELD_NUMBER: _ClassVar[int]
    workflow_activations: int
    activities: int
    local_activities: int
    nexus_tasks: int
    def __init__(self, workflow_activations: _Optional[int] = ..., activities: _Optional[int] = ..., local_activities: _Optional[int] = ..., nexus_tasks: _Optional[int] = ...) -> None: ...

class ResourceUsage(_message.Message):
    __slots__ = ("memory_used_bytes", "memory_limit_bytes", "cpu_usage", "cpu_unknown")
    MEMORY_USED_BYTES_FIELD_NUMBER: _ClassVar[int]
    MEMORY_LIMIT_BYTES_FIELD_NUMBER: _ClassVar[int]
    CPU_USAGE_FIELD_NUMBER: _ClassVar[int]
    CPU_UNKNOWN_FIELD_NUMBER: _ClassVar[int]
    memory_used_bytes: int
    memory_limit_bytes: int
    cpu_usage: float
    cpu_unknown: bool
    def __init__(self, memory_used_bytes: _Optional[int] = ..., memory_limit_bytes: _Optional[int] = ..., cpu_usage: _Optional[float] = ..., cpu_unknown: _Optional[bool] = ...) -> None: ...

class Drain(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RequestEviction(_message.Message):
    __slots__ = ("run_id", "message")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    message: str
    def __init__(self, run_id: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class Registered(_message.Message):
    __slots__ = ("protocol_version", "session_id", "sidecar_identity", "sidecar_version", "namespace", "task_queue", "capabilities", "limits")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SIDECAR_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    SIDECAR_VERSION_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    TASK_QUEUE_FIELD_NUMBER: _ClassVar[int]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    session_id: str
    sidecar_identity: str
    sidecar_version: str
    namespace: str
    task_queue: str
    capabilities: Capabilities
    limits: Limits
    def __init__(self, protocol_version: _Optional[int] = ..., session_id: _Optional[str] = ..., sidecar_identity: _Optional[str] = ..., sidecar_version: _Optional[str] = ..., namespace: _Optional[str] = ..., task_queue: _Optional[str] = ..., capabilities: _Optional[_Union[Capabilities, _Mapping]] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ...) -> None: ...

class Capabilities(_message.Message):
    __slots__ = ("sticky_execution", "eager_activities", "local_activities", "nexus", "updates", "client_service", "server_version", "workflow_service_proxy", "replay")
    STICKY_EXECUTION_FIELD_NUMBER: _ClassVar[int]
    EAGER_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ACTIVITIES_FIELD_NUMBER: _ClassVar[int]
    NEXUS_FIELD_NUMBER: _ClassVar[int]
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SERVICE_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    WORKFLOW_SERVICE_PROXY_FIELD_NUMBER: _ClassVar[int]
    REPLAY_FIELD_NUMBER: _ClassVar[int]
    sticky_execution: bool
    eager_activities: bool
    local_activities: bool
    nexus: bool
    updates: bool
    client_service: bool
    server_version: str
    workflow_service_proxy: bool
    replay: bool
    def __init__(self, sticky_execution: _Optional[bool] = ..., eager_activities: _Optional[bool] = ..., local_activities: _Optional[bool] = ..., nexus: _Optional[bool] = ..., updates: _Optional[bool] = ..., client_service: _Optional[bool] = ..., server_version: _Optional[str] = ..., workflow_service_proxy: _Optional[bool] = ..., replay: _Optional[bool] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_message_bytes", "max_cached_workflows", "max_concurrent", "graceful_shutdown_timeout", "max_payload_blob_bytes")
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_CACHED_WORKFLOWS_FIELD_NUMBER: _ClassVar[int]
    MAX_CONCURRENT_FIELD_NUMBER: _ClassVar[int]
    GRACEFUL_SHUTDOWN_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    MAX_PAYLOAD_BLOB_BYTES_FIELD_NUMBER: _ClassVar[int]
    max_message_bytes: int
    max_cached_workflows: int
    max_concurrent: Capacity
    graceful_shutdown_timeout: _duration_pb2.Duration
    max_payload_blob_bytes: int
    def __init__(self, max_message_bytes: _Optional[int] = ..., max_cached_workflows: _Optional[int] = ..., max_concurrent: _Optional[_Union[Capacity, _Mapping]] = ..., graceful_shutdown_timeout: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., max_payload_blob_bytes: _Optional[int] = ...) -> None: ...

class CompletionError(_message.Message):
    __slots__ = ("run_id", "task_token", "message", "kind")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    TASK_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    task_token: bytes
    message: str
    kind: CompletionErrorKind
    def __init__(self, run_id: _Optional[str] = ..., task_token: _Optional[bytes] = ..., message: _Optional[str] = ..., kind: _Optional[_Union[CompletionErrorKind, str]] = ...) -> None: ...

class Drained(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ShutdownNotice(_message.Message):
    __slots__ = ("grace_period",)
    GRACE_PERIOD_FIELD_NUMBER: _ClassVar[int]
    grace_period: _duration_pb2.Duration
    def __init__(self, grace_period: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class WorkerError(_message.Message):
    __slots__ = ("message", "fatal")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FATAL_FIELD_NUMBER: _ClassVar[int]
    message: str
    fatal: bool
    def __init__(self, message: _Optional[str] = ..., fatal: _Optional[bool] = ...) -> None: ...

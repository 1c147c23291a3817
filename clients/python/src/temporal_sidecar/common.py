"""Plain values shared by the activity API and the converter, shaped like
their namesakes in :py:mod:`temporalio.common`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar, get_origin, overload

from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

__all__ = [
    "Priority",
    "QueryRejectCondition",
    "RawValue",
    "RetryPolicy",
    "SearchAttributeIndexedValueType",
    "SearchAttributeKey",
    "SearchAttributePair",
    "SearchAttributeUpdate",
    "SearchAttributeValue",
    "SearchAttributes",
    "TypedSearchAttributes",
    "VersioningBehavior",
    "WorkflowIDConflictPolicy",
    "WorkflowIDReusePolicy",
]


@dataclass(frozen=True)
class RetryPolicy:
    """How Temporal retries a failed activity. ``None`` fields take the
    server's defaults."""

    initial_interval: timedelta | None = None
    backoff_coefficient: float | None = None
    maximum_interval: timedelta | None = None
    maximum_attempts: int = 0
    """0 means unlimited."""
    non_retryable_error_types: Sequence[str] = field(default_factory=tuple)

    @staticmethod
    def from_proto(p: common_pb2.RetryPolicy) -> RetryPolicy:
        """Build from the bridge's ``RetryPolicy``."""
        return RetryPolicy(
            initial_interval=p.initial_interval.ToTimedelta() if p.HasField("initial_interval") else None,
            backoff_coefficient=p.backoff_coefficient or None,
            maximum_interval=p.maximum_interval.ToTimedelta() if p.HasField("maximum_interval") else None,
            maximum_attempts=p.maximum_attempts,
            non_retryable_error_types=tuple(p.non_retryable_error_types),
        )

    def apply_to_proto(self, p: common_pb2.RetryPolicy) -> None:
        """Set the bridge's ``RetryPolicy`` from this one."""
        p.SetInParent()
        if self.initial_interval is not None:
            p.initial_interval.FromTimedelta(self.initial_interval)
        if self.backoff_coefficient is not None:
            p.backoff_coefficient = self.backoff_coefficient
        if self.maximum_interval is not None:
            p.maximum_interval.FromTimedelta(self.maximum_interval)
        p.maximum_attempts = self.maximum_attempts
        p.non_retryable_error_types.extend(self.non_retryable_error_types)


@dataclass(frozen=True)
class Priority:
    """Priority of a task relative to others on the same task queue."""

    priority_key: int | None = None
    """1 is the highest; None means the default (the middle)."""
    fairness_key: str | None = None
    fairness_weight: float | None = None

    @staticmethod
    def from_proto(p: common_pb2.Priority) -> Priority:
        """Build from the bridge's ``Priority``."""
        return Priority(
            priority_key=p.priority_key or None,
            fairness_key=p.fairness_key or None,
            fairness_weight=p.fairness_weight or None,
        )

    def apply_to_proto(self, p: common_pb2.Priority) -> None:
        """Set the bridge's ``Priority`` from this one."""
        if self.priority_key is not None:
            p.priority_key = self.priority_key
        if self.fairness_key is not None:
            p.fairness_key = self.fairness_key
        if self.fairness_weight is not None:
            p.fairness_weight = self.fairness_weight


@dataclass(frozen=True)
class RawValue:
    """A payload left unconverted, as a dynamic activity receives its arguments.
    Convert it with :py:func:`temporal_sidecar.activity.payload_converter`."""

    payload: common_pb2.Payload


class WorkflowIDReusePolicy(IntEnum):
    """Whether a workflow id may be reused after a run closed. Values match
    ``temporal.api.enums.v1.WorkflowIdReusePolicy``."""

    UNSPECIFIED = 0
    ALLOW_DUPLICATE = 1
    ALLOW_DUPLICATE_FAILED_ONLY = 2
    REJECT_DUPLICATE = 3
    TERMINATE_IF_RUNNING = 4


class WorkflowIDConflictPolicy(IntEnum):
    """What to do when a run with the workflow id is open. Values match
    ``temporal.api.enums.v1.WorkflowIdConflictPolicy``."""

    UNSPECIFIED = 0
    FAIL = 1
    USE_EXISTING = 2
    TERMINATE_EXISTING = 3


class VersioningBehavior(IntEnum):
    """How a workflow's runs move between worker deployment versions when the
    sidecar runs with ``--use-versioning``. Values match
    ``temporal.api.enums.v1.VersioningBehavior``."""

    UNSPECIFIED = 0
    """Use the sidecar's ``--default-versioning-behavior``."""
    PINNED = 1
    """A run stays on the deployment version it started on."""
    AUTO_UPGRADE = 2
    """A run moves to the current deployment version at its next workflow task."""


class QueryRejectCondition(IntEnum):
    """When a query is refused instead of run. Values match
    ``temporal.api.enums.v1.QueryRejectCondition``."""

    NONE = 1
    NOT_OPEN = 2
    NOT_COMPLETED_CLEANLY = 3


# ---------------------------------------------------------------- search attributes
#
# Shaped like temporalio.common's: typed keys, pairs and updates, and the
# immutable TypedSearchAttributes collection.

SearchAttributes = Mapping[str, Any]
"""Search attributes by name, the untyped (dictionary) form: values are
encoded by the payload converter as they are."""

SearchAttributeValue = str | int | float | bool | datetime | Sequence[str]

SearchAttributeValueType = TypeVar("SearchAttributeValueType", str, int, float, bool, datetime, Sequence[str])

_T = TypeVar("_T")


class SearchAttributeIndexedValueType(IntEnum):
    """Server index type of a search attribute. Values match
    ``temporal.api.enums.v1.IndexedValueType``."""

    TEXT = 1
    KEYWORD = 2
    INT = 3
    DOUBLE = 4
    BOOL = 5
    DATETIME = 6
    KEYWORD_LIST = 7


_METADATA_TYPES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class SearchAttributeKey(ABC, Generic[SearchAttributeValueType]):
    """Typed search attribute key. Create one with a ``for_*`` static method."""

    @property
    @abstractmethod
    def name(self) -> str:
        """The attribute's name."""

    @property
    @abstractmethod
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        """The attribute's server index type."""

    @property
    @abstractmethod
    def value_type(self) -> type[SearchAttributeValueType]:
        """The Python type of the attribute's values (may be generic; see
        :py:attr:`origin_value_type`)."""

    @property
    def origin_value_type(self) -> type:
        """The Python type of the attribute's values, without generics."""
        return get_origin(self.value_type) or self.value_type

    @property
    def _metadata_type(self) -> str:
        return _METADATA_TYPES[self.indexed_value_type]

    def value_set(self, value: SearchAttributeValueType) -> SearchAttributeUpdate[SearchAttributeValueType]:
        """An update that sets ``value`` on this key."""
        return _SearchAttributeUpdate(self, value)

    def value_unset(self) -> SearchAttributeUpdate[SearchAttributeValueType]:
        """An update that removes this key's value."""
        return _SearchAttributeUpdate(self, None)

    @staticmethod
    def for_text(name: str) -> SearchAttributeKey[str]:
        """A 'Text' key."""
        return _SearchAttributeKey[str](name, SearchAttributeIndexedValueType.TEXT, str)

    @staticmethod
    def for_keyword(name: str) -> SearchAttributeKey[str]:
        """A 'Keyword' key."""
        return _SearchAttributeKey[str](name, SearchAttributeIndexedValueType.KEYWORD, str)

    @staticmethod
    def for_int(name: str) -> SearchAttributeKey[int]:
        """An 'Int' key."""
        return _SearchAttributeKey[int](name, SearchAttributeIndexedValueType.INT, int)

    @staticmethod
    def for_float(name: str) -> SearchAttributeKey[float]:
        """A 'Double' key."""
        return _SearchAttributeKey[float](name, SearchAttributeIndexedValueType.DOUBLE, float)

    @staticmethod
    def for_bool(name: str) -> SearchAttributeKey[bool]:
        """A 'Bool' key."""
        return _SearchAttributeKey[bool](name, SearchAttributeIndexedValueType.BOOL, bool)

    @staticmethod
    def for_datetime(name: str) -> SearchAttributeKey[datetime]:
        """A 'Datetime' key."""
        return _SearchAttributeKey[datetime](name, SearchAttributeIndexedValueType.DATETIME, datetime)

    @staticmethod
    def for_keyword_list(name: str) -> SearchAttributeKey[Sequence[str]]:
        """A 'KeywordList' key."""
        return _SearchAttributeKey[Sequence[str]](
            name, SearchAttributeIndexedValueType.KEYWORD_LIST, Sequence[str]  # type: ignore[type-abstract]
        )

    @staticmethod
    def _from_metadata_type(name: str, metadata_type: str) -> SearchAttributeKey[Any] | None:
        # Usually PascalCase ("KeywordList"), rarely the enum's name.
        make: dict[SearchAttributeIndexedValueType, Any] = {
            SearchAttributeIndexedValueType.TEXT: SearchAttributeKey.for_text,
            SearchAttributeIndexedValueType.KEYWORD: SearchAttributeKey.for_keyword,
            SearchAttributeIndexedValueType.INT: SearchAttributeKey.for_int,
            SearchAttributeIndexedValueType.DOUBLE: SearchAttributeKey.for_float,
            SearchAttributeIndexedValueType.BOOL: SearchAttributeKey.for_bool,
            SearchAttributeIndexedValueType.DATETIME: SearchAttributeKey.for_datetime,
            SearchAttributeIndexedValueType.KEYWORD_LIST: SearchAttributeKey.for_keyword_list,
        }
        for t, m in _METADATA_TYPES.items():
            if metadata_type in (m, f"INDEXED_VALUE_TYPE_{t.name}"):
                return make[t](name)  # type: ignore[no-any-return]
        return None

    @staticmethod
    def _guess_from_untyped_values(name: str, vals: Any) -> SearchAttributeKey[Any] | None:
        if not isinstance(vals, list) or not vals:
            return None
        if len(vals) > 1:
            return SearchAttributeKey.for_keyword_list(name) if isinstance(vals[0], str) else None
        v = vals[0]
        if isinstance(v, str):
            return SearchAttributeKey.for_keyword(name)
        if isinstance(v, int):  # a bool too, as temporalio guesses
            return SearchAttributeKey.for_int(name)
        if isinstance(v, float):
            return SearchAttributeKey.for_float(name)
        if isinstance(v, datetime):
            return SearchAttributeKey.for_datetime(name)
        return None


@dataclass(frozen=True)
class _SearchAttributeKey(SearchAttributeKey[SearchAttributeValueType]):
    _name: str
    _indexed_value_type: SearchAttributeIndexedValueType
    _value_type: type[SearchAttributeValueType]

    @property
    def name(self) -> str:
        return self._name

    @property
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        return self._indexed_value_type

    @property
    def value_type(self) -> type[SearchAttributeValueType]:
        return self._value_type


class SearchAttributePair(NamedTuple, Generic[SearchAttributeValueType]):
    """A key and its value."""

    key: SearchAttributeKey[SearchAttributeValueType]
    value: SearchAttributeValueType


class SearchAttributeUpdate(ABC, Generic[SearchAttributeValueType]):
    """A change to one search attribute: see :py:meth:`SearchAttributeKey.value_set`."""

    @property
    @abstractmethod
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        """The key changed."""

    @property
    @abstractmethod
    def value(self) -> SearchAttributeValueType | None:
        """The value set, or ``None`` when it is unset."""


@dataclass(frozen=True)
class _SearchAttributeUpdate(SearchAttributeUpdate[SearchAttributeValueType]):
    _key: SearchAttributeKey[SearchAttributeValueType]
    _value: SearchAttributeValueType | None

    @property
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        return self._key

    @property
    def value(self) -> SearchAttributeValueType | None:
        return self._value


@dataclass(frozen=True)
class TypedSearchAttributes(Collection[SearchAttributePair[Any]]):
    """An immutable collection of :py:class:`SearchAttributePair`, sorted by
    key name, with no name twice."""

    search_attributes: Sequence[SearchAttributePair[Any]]
    """The pairs, sorted by key name. Do not mutate: build a new collection
    (see :py:meth:`updated`)."""

    empty: ClassVar[TypedSearchAttributes]
    """An empty collection."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "search_attributes", sorted(self.search_attributes, key=lambda pair: pair.key.name))
        for i, pair in enumerate(self.search_attributes):
            if i > 0 and self.search_attributes[i - 1].key.name == pair.key.name:
                raise ValueError(f"Duplicate search attribute entries found for key {pair.key.name}")

    def __len__(self) -> int:
        return len(self.search_attributes)

    def __getitem__(self, key: SearchAttributeKey[SearchAttributeValueType]) -> SearchAttributeValueType:
        """The value of ``key`` (same name and type), or KeyError."""
        ret = next((v for k, v in self if k == key), None)
        if ret is None:
            raise KeyError()
        return ret  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[SearchAttributePair[Any]]:
        return iter(self.search_attributes)

    def __contains__(self, key: object) -> bool:
        """Whether a key of the same name and type is present."""
        return any(k == key for k, _v in self)

    @overload
    def get(self, key: SearchAttributeKey[SearchAttributeValueType]) -> SearchAttributeValueType | None: ...

    @overload
    def get(self, key: SearchAttributeKey[SearchAttributeValueType], default: _T) -> SearchAttributeValueType | _T: ...

    def get(self, key: SearchAttributeKey[Any], default: Any = None) -> Any:
        """The value of ``key``, or ``default``, as dict.get."""
        try:
            return self.__getitem__(key)
        except KeyError:
            return default

    def updated(self, *search_attributes: SearchAttributePair[Any]) -> TypedSearchAttributes:
        """A copy with these pairs replacing those of the same key name, or added."""
        attrs = list(self.search_attributes)
        for attr in search_attributes:
            i = next((i for i, a in enumerate(attrs) if a.key.name == attr.key.name), None)
            if i is None:
                attrs.append(attr)
            else:
                attrs[i] = attr
        return TypedSearchAttributes(attrs)


TypedSearchAttributes.empty = TypedSearchAttributes(search_attributes=[])

"""Conversion between Python values and Temporal payloads and failures.

The default converter writes the same bytes as Temporal's Python SDK
(:py:class:`temporalio.converter.DefaultPayloadConverter`) and reads what any
Temporal SDK writes:

==================  =====================================================
encoding            values
==================  =====================================================
``binary/null``     ``None``
``binary/plain``    ``bytes``
``json/protobuf``   protobuf messages (``messageType`` metadata names the type)
``binary/protobuf`` protobuf messages (read only; written by other SDKs)
``json/plain``      anything :py:func:`json.dumps` takes, plus dataclasses,
                    datetimes, UUIDs and other iterables
==================  =====================================================

On the way in, the type hints of an activity's parameters turn JSON objects
back into dataclasses (and lists, dicts, enums, datetimes... of them), as
``temporalio`` does.
"""

from __future__ import annotations

import collections
import collections.abc
import dataclasses
import inspect
import json
import traceback
import typing
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import UnionType
from typing import Any, ClassVar, Literal, TypeVar, get_type_hints

import google.protobuf.json_format
import nexusrpc
import google.protobuf.message
from google.protobuf import descriptor_pool, message_factory

import temporal_sidecar.exceptions as exc
from temporal_sidecar.common import (
    RawValue,
    SearchAttributeIndexedValueType,
    SearchAttributeKey,
    SearchAttributePair,
    SearchAttributes,
    SearchAttributeValue,
    TypedSearchAttributes,
)
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

__all__ = [
    "AdvancedJSONEncoder",
    "BinaryNullPayloadConverter",
    "BinaryPlainPayloadConverter",
    "BinaryProtoPayloadConverter",
    "CompositePayloadConverter",
    "DataConverter",
    "DefaultFailureConverter",
    "DefaultFailureConverterWithEncodedAttributes",
    "DefaultPayloadConverter",
    "EncodingPayloadConverter",
    "FailureConverter",
    "JSONPlainPayloadConverter",
    "JSONProtoPayloadConverter",
    "JSONTypeConverter",
    "PayloadCodec",
    "PayloadConverter",
    "decode_typed_search_attributes",
    "encode_search_attributes",
    "encode_typed_search_attribute_value",
    "value_to_type",
]

Payload = common_pb2.Payload

#: The ``source`` this library writes into the failures it produces.
FAILURE_SOURCE = "temporal-sidecar-python"


# ---------------------------------------------------------------- payload converters


class PayloadConverter(ABC):
    """Converts values to payloads and back."""

    @abstractmethod
    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        """Encode values, one payload each."""

    @abstractmethod
    def from_payloads(self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None) -> list[Any]:
        """Decode payloads. ``type_hints``, when given, has one hint per payload."""

    def to_payload(self, value: Any) -> Payload:
        """Encode one value."""
        return self.to_payloads([value])[0]

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """Decode one payload."""
        return self.from_payloads([payload], None if type_hint is None else [type_hint])[0]


class EncodingPayloadConverter(ABC):
    """Converts the values of one encoding; part of a :py:class:`CompositePayloadConverter`."""

    @property
    @abstractmethod
    def encoding(self) -> str:
        """The ``encoding`` metadata value this converter writes and reads."""

    @abstractmethod
    def to_payload(self, value: Any) -> Payload | None:
        """Encode the value, or return None if this converter does not handle it."""

    @abstractmethod
    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        """Decode a payload of this converter's encoding."""


class CompositePayloadConverter(PayloadConverter):
    """Tries each encoding converter in order on the way out; picks by the
    ``encoding`` metadata on the way in."""

    def __init__(self, *converters: EncodingPayloadConverter) -> None:
        self.converters: dict[str, EncodingPayloadConverter] = {c.encoding: c for c in converters}

    def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
        out: list[Payload] = []
        for i, value in enumerate(values):
            if isinstance(value, RawValue):
                out.append(value.payload)
                continue
            for conv in self.converters.values():
                p = conv.to_payload(value)
                if p is not None:
                    out.append(p)
                    break
            else:
                raise RuntimeError(f"value at index {i} of type {type(value).__name__} has no payload converter")
        return out

    def from_payloads(self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None) -> list[Any]:
        out: list[Any] = []
        for i, p in enumerate(payloads):
            hint = type_hints[i] if type_hints is not None and i < len(type_hints) else None
            if hint is RawValue:
                out.append(RawValue(p))
                continue
            encoding = p.metadata.get("encoding", b"<unknown>").decode()
            conv = self.converters.get(encoding)
            if conv is None:
                raise KeyError(f"payload at index {i} has unknown encoding {encoding!r}")
            try:
                out.append(conv.from_payload(p, hint))
            except RuntimeError as err:
                raise RuntimeError(f"payload at index {i} with encoding {encoding} could not be converted") from err
        return out


class BinaryNullPayloadConverter(EncodingPayloadConverter):
    """``binary/null``: None."""

    @property
    def encoding(self) -> str:
        return "binary/null"

    def to_payload(self, value: Any) -> Payload | None:
        if value is None:
            return Payload(metadata={"encoding": self.encoding.encode()})
        return None

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        if payload.data:
            raise RuntimeError("expected empty data for binary/null")
        return None


class BinaryPlainPayloadConverter(EncodingPayloadConverter):
    """``binary/plain``: bytes."""

    @property
    def encoding(self) -> str:
        return "binary/plain"

    def to_payload(self, value: Any) -> Payload | None:
        if isinstance(value, bytes):
            return Payload(metadata={"encoding": self.encoding.encode()}, data=value)
        return None

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        return payload.data


def _message_class(payload: Payload, type_hint: Any) -> type[google.protobuf.message.Message]:
    if inspect.isclass(type_hint) and issubclass(type_hint, google.protobuf.message.Message):
        return type_hint
    name = payload.metadata.get("messageType", b"").decode()
    if not name:
        raise RuntimeError("protobuf payload has no messageType metadata and no type hint")
    try:
        return message_factory.GetMessageClass(descriptor_pool.Default().FindMessageTypeByName(name))
    except KeyError as err:
        raise RuntimeError(f"unknown protobuf type {name}: import its generated module first") from err


class JSONProtoPayloadConverter(EncodingPayloadConverter):
    """``json/protobuf``: protobuf messages in their JSON form."""

    def __init__(self, ignore_unknown_fields: bool = False) -> None:
        self._ignore_unknown_fields = ignore_unknown_fields

    @property
    def encoding(self) -> str:
        return "json/protobuf"

    def to_payload(self, value: Any) -> Payload | None:
        if not isinstance(value, google.protobuf.message.Message):
            return None
        # MessageToJson has no compact form; go through a dict as temporalio does.
        data = json.dumps(google.protobuf.json_format.MessageToDict(value), separators=(",", ":"), sort_keys=True)
        return Payload(
            metadata={"encoding": self.encoding.encode(), "messageType": value.DESCRIPTOR.full_name.encode()},
            data=data.encode(),
        )

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        cls = _message_class(payload, type_hint)
        try:
            return google.protobuf.json_format.Parse(
                payload.data, cls(), ignore_unknown_fields=self._ignore_unknown_fields
            )
        except google.protobuf.json_format.ParseError as err:
            raise RuntimeError(f"cannot parse {cls.DESCRIPTOR.full_name} from JSON") from err


class BinaryProtoPayloadConverter(EncodingPayloadConverter):
    """``binary/protobuf``: protobuf messages in their wire form.

    The default converter reads it but writes ``json/protobuf``, as temporalio does.
    """

    @property
    def encoding(self) -> str:
        return "binary/protobuf"

    def to_payload(self, value: Any) -> Payload | None:
        if not isinstance(value, google.protobuf.message.Message):
            return None
        return Payload(
            metadata={"encoding": self.encoding.encode(), "messageType": value.DESCRIPTOR.full_name.encode()},
            data=value.SerializeToString(),
        )

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        cls = _message_class(payload, type_hint)
        msg = cls()
        try:
            msg.ParseFromString(payload.data)
        except google.protobuf.message.DecodeError as err:
            raise RuntimeError(f"cannot parse {cls.DESCRIPTOR.full_name}") from err
        return msg


class AdvancedJSONEncoder(json.JSONEncoder):
    """JSON encoder for dataclasses, datetimes, UUIDs, objects with a
    ``dict()`` method (Pydantic v1) and any other iterable (as a list)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            return o.isoformat()
        if dataclasses.is_dataclass(o) and not isinstance(o, type):
            return dataclasses.asdict(o)
        dict_fn = getattr(o, "dict", None)
        if callable(dict_fn):
            return dict_fn()
        if isinstance(o, uuid.UUID):
            return str(o)
        if not isinstance(o, list) and isinstance(o, collections.abc.Iterable):
            return list(o)
        return super().default(o)


class JSONTypeConverter(ABC):
    """Turns a value :py:func:`json.loads` returned into a hinted type, before
    the built-in rules of :py:func:`value_to_type` apply."""

    Unhandled: ClassVar[object] = object()
    """Return this from :py:meth:`to_typed_value` for a hint you do not handle."""

    @abstractmethod
    def to_typed_value(self, hint: Any, value: Any) -> Any:
        """The converted value, or :py:attr:`Unhandled`."""


class JSONPlainPayloadConverter(EncodingPayloadConverter):
    """``json/plain``: any JSON-able value, dataclasses included; decoding
    follows the type hint when there is one."""

    def __init__(
        self,
        *,
        encoder: type[json.JSONEncoder] | None = AdvancedJSONEncoder,
        decoder: type[json.JSONDecoder] | None = None,
        encoding: str = "json/plain",
        custom_type_converters: Sequence[JSONTypeConverter] = (),
    ) -> None:
        self._encoder = encoder
        self._decoder = decoder
        self._encoding = encoding
        self._custom_type_converters = custom_type_converters

    @property
    def encoding(self) -> str:
        return self._encoding

    def to_payload(self, value: Any) -> Payload | None:
        data = json.dumps(value, cls=self._encoder, separators=(",", ":"), sort_keys=True)
        return Payload(metadata={"encoding": self._encoding.encode()}, data=data.encode())

    def from_payload(self, payload: Payload, type_hint: Any = None) -> Any:
        try:
            obj = json.loads(payload.data, cls=self._decoder)
        except json.JSONDecodeError as err:
            raise RuntimeError("invalid JSON") from err
        if type_hint is not None:
            obj = value_to_type(type_hint, obj, self._custom_type_converters)
        return obj


class DefaultPayloadConverter(CompositePayloadConverter):
    """The converter every Temporal SDK understands; see the module docs."""

    def __init__(self) -> None:
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            JSONProtoPayloadConverter(),
            BinaryProtoPayloadConverter(),
            JSONPlainPayloadConverter(),  # last: it takes anything and raises on what it cannot encode
        )


def _parse_datetime(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        if value.endswith(("Z", "z")):  # Python 3.10's fromisoformat does not take "Z"
            return datetime.fromisoformat(value[:-1] + "+00:00")
        raise


# ---------------------------------------------------------------- search attributes
#
# As temporalio.converter encodes them: a typed value as JSON with its index
# type in the payload's "type" metadata (none for an unset value), by the
# default payload converter; the dictionary form by the converter given.

_default_payload_converter: PayloadConverter | None = None


def _default_pc() -> PayloadConverter:
    global _default_payload_converter
    if _default_payload_converter is None:
        _default_payload_converter = DefaultPayloadConverter()
    return _default_payload_converter


def encode_typed_search_attribute_value(key: SearchAttributeKey[Any], value: SearchAttributeValue | None) -> Payload:
    """The payload of a typed search attribute's value; ``None`` unsets it."""
    if value is None:
        return _default_pc().to_payload(None)  # no type metadata, or the server refuses the unset
    if not isinstance(value, key.origin_value_type):
        raise TypeError(f"Value of type {value} not suitable for indexed value type {key.indexed_value_type}")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Timezone must be present on all search attribute dates")
        value = value.isoformat()
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not all(isinstance(v, str) for v in value):
            raise TypeError("All values of a keyword list must be strings")
        value = list(value)
    payload = _default_pc().to_payload(value)
    payload.metadata["type"] = key._metadata_type.encode()
    return payload


def encode_search_attributes(
    attributes: SearchAttributes | TypedSearchAttributes | None,
    out: Any,
    payload_converter: PayloadConverter | None = None,
) -> None:
    """Set ``attributes`` on ``out`` (a map of payloads by name): typed ones
    with their index type, the dictionary form's values by
    ``payload_converter`` (the default one if not given)."""
    if isinstance(attributes, TypedSearchAttributes):
        for key, value in attributes:
            out[key.name].CopyFrom(encode_typed_search_attribute_value(key, value))
        return
    pc = payload_converter or _default_pc()
    for k, v in (attributes or {}).items():
        out[k].CopyFrom(pc.to_payload(v))


def decode_typed_search_attributes(fields: Any) -> TypedSearchAttributes:
    """The typed search attributes of a map of payloads by name: those whose
    payload says its index type and whose value fits it (as temporalio
    decodes them)."""
    pc = _default_pc()
    pairs: list[SearchAttributePair[Any]] = []
    for k, p in fields.items():
        metadata_type = p.metadata.get("type")
        if not metadata_type:
            continue
        key = SearchAttributeKey._from_metadata_type(k, metadata_type.decode())
        if key is None:
            continue
        try:
            val: Any = pc.from_payload(p)
        except Exception:  # noqa: BLE001 - what cannot be decoded is left out
            continue
        if key.indexed_value_type != SearchAttributeIndexedValueType.KEYWORD_LIST and isinstance(val, list):
            if len(val) != 1:
                continue
            val = val[0]
        if key.indexed_value_type == SearchAttributeIndexedValueType.DATETIME:
            val = _parse_datetime(val)
        elif key.indexed_value_type == SearchAttributeIndexedValueType.DOUBLE and type(val) is int:
            val = float(val)  # visibility returns a whole-number Double as a JSON integer
        if isinstance(val, key.origin_value_type):
            pairs.append(SearchAttributePair(key, val))
    return TypedSearchAttributes(pairs)


def value_to_type(hint: Any, value: Any, custom_converters: Sequence[JSONTypeConverter] = ()) -> Any:
    """Convert a value :py:func:`json.loads` returned to the type ``hint``
    names, by temporalio's rules (``temporalio.converter.value_to_type``),
    value by value: numbers take bools and either of int and float; bytes
    come from a list of numbers; dataclasses, TypedDicts and Pydantic v1
    models from objects; int and str enums from their values (an enum of
    neither is not convertible); any iterable (a string or an object
    included) for a collection; Optional and other unions try each member in
    order; Literal, datetime, UUID and NewType as their values.

    Raises:
        TypeError: the value does not fit the hint (ValueError from an enum
            or UUID that has no such value).
    """
    for conv in custom_converters:
        ret = conv.to_typed_value(hint, value)
        if ret is not JSONTypeConverter.Unhandled:
            return ret

    if hint is Any:
        return value
    if hint is datetime:
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return _parse_datetime(value)
            except ValueError as err:
                raise TypeError(f"cannot parse datetime from {value!r}") from err
        raise TypeError(f"expected an ISO 8601 string for datetime, got {type(value).__name__}")
    if hint is int or hint is float:
        if not isinstance(value, (int, float)):  # a bool is an int, as in temporalio
            raise TypeError(f"expected a number for {hint.__name__}, got {type(value).__name__}")
        return hint(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected a bool, got {type(value).__name__}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"expected a str, got {type(value).__name__}")
        return value
    if hint is bytes:
        if not isinstance(value, (str, bytes, list)):
            raise TypeError(f"expected bytes, got {type(value).__name__}")
        if isinstance(value, str):  # temporalio's bytes(value) raises for a str too
            raise TypeError("expected bytes as a list of numbers, got a str")
        return bytes(value)  # a list of numbers, as temporalio writes bytes in JSON
    if hint is type(None):
        if value is not None:
            raise TypeError(f"expected None, got {type(value).__name__}")
        return None

    supertype = getattr(hint, "__supertype__", None)  # NewType
    if supertype:
        return value_to_type(supertype, value, custom_converters)

    origin = getattr(hint, "__origin__", hint)
    args: tuple[Any, ...] = getattr(hint, "__args__", ())

    if origin is Literal:
        if value not in args:
            raise TypeError(f"{value!r} is not one of {args}")
        return value
    if origin is typing.Union or isinstance(origin, UnionType):
        for arg in args:
            try:
                return value_to_type(arg, value, custom_converters)
            except Exception:  # noqa: BLE001 - try the next member
                continue
        raise TypeError(f"{value!r} fits no member of {hint}")

    if inspect.isclass(origin) and issubclass(origin, collections.abc.Mapping):
        return _to_mapping(hint, origin, args, value, custom_converters)

    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for dataclass {hint}, got {type(value).__name__}")
        field_hints = get_type_hints(hint)
        init: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for f in dataclasses.fields(hint):
            if f.name not in value:
                continue  # the constructor raises if the field is required
            try:
                converted = value_to_type(field_hints[f.name], value[f.name], custom_converters)
            except Exception as err:
                raise TypeError(f"field {f.name} of dataclass {hint}: {err}") from err
            (init if f.init else later)[f.name] = converted
        obj = hint(**init)  # type: ignore[operator]
        for name, v in later.items():
            object.__setattr__(obj, name, v)
        return obj

    parse_obj = inspect.getattr_static(hint, "parse_obj", None)  # Pydantic v1
    if isinstance(parse_obj, (classmethod, staticmethod)):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {hint}, got {type(value).__name__}")
        return getattr(hint, "parse_obj")(value)

    if inspect.isclass(hint) and issubclass(hint, Enum) and issubclass(hint, int):
        if not isinstance(value, int):
            raise TypeError(f"expected an integer for enum {hint.__name__}, got {type(value).__name__}")
        return hint(value)
    if inspect.isclass(hint) and issubclass(hint, Enum) and issubclass(hint, str):
        if not isinstance(value, str):
            raise TypeError(f"expected a string for enum {hint.__name__}, got {type(value).__name__}")
        return hint(value)
    if inspect.isclass(hint) and issubclass(hint, uuid.UUID):
        return hint(value)

    # Last, as it takes several of the above: any iterable value, a string
    # or an object (its keys) included, for any collection.
    if inspect.isclass(origin) and issubclass(origin, collections.abc.Iterable):
        if not isinstance(value, collections.abc.Iterable):
            raise TypeError(f"expected an array for {hint}, got {type(value).__name__}")
        items: list[Any]
        if not args or (len(args) == 1 and (isinstance(args[0], TypeVar) or args[0] is Ellipsis)):
            items = list(value)
        else:
            items = []
            for i, item in enumerate(value):
                if origin is not tuple:
                    item_type = args[0]
                elif len(args) > i and args[i] is not Ellipsis:
                    item_type = args[i]
                elif args[-1] is Ellipsis:
                    item_type = args[-2]
                else:
                    raise TypeError(f"{hint} takes {len(args)} items, got at least {i + 1}")
                try:
                    items.append(value_to_type(item_type, item, custom_converters))
                except Exception as err:
                    raise TypeError(f"item {i} of {hint}: {err}") from err
        if origin is tuple:
            return tuple(items)
        if origin is set:
            return set(items)
        if origin is frozenset:
            return frozenset(items)
        if origin is collections.deque:
            return collections.deque(items)
        return items

    raise TypeError(f"cannot convert JSON to {hint}")


def _to_mapping(
    hint: Any, origin: Any, args: tuple[Any, ...], value: Any, custom_converters: Sequence[JSONTypeConverter]
) -> Any:
    if not isinstance(value, collections.abc.Mapping):
        raise TypeError(f"expected an object for {hint}, got {type(value).__name__}")
    per_key: dict[str, Any] | None = None
    if getattr(origin, "__required_keys__", None) or getattr(origin, "__optional_keys__", None):
        per_key = get_type_hints(origin)  # a TypedDict
    key_type = args[0] if len(args) > 0 and args[0] is not Any and not isinstance(args[0], TypeVar) else None
    val_type = args[1] if len(args) > 1 and args[1] is not Any and not isinstance(args[1], TypeVar) else None
    out: dict[Any, Any] = {}
    for k, v in value.items():
        vt = per_key.get(k) if per_key else val_type
        if key_type:
            # JSON writes int, float, bool and None keys as strings: the hint
            # turns them back.
            try:
                if isinstance(k, str):
                    if key_type is int or key_type is float:
                        k = key_type(k)
                    elif inspect.isclass(key_type) and issubclass(key_type, Enum) and issubclass(key_type, int):
                        k = int(k)
                    elif key_type is bool:
                        k = {"true": True, "false": False}[k]
                    elif key_type is type(None):
                        k = {"null": None}[k]
                if not isinstance(key_type, type) or not isinstance(k, key_type):
                    k = value_to_type(key_type, k, custom_converters)
            except Exception as err:
                raise TypeError(f"key {k!r} of {hint}: {err}") from err
        if vt:
            try:
                v = value_to_type(vt, v, custom_converters)
            except Exception as err:
                raise TypeError(f"value of key {k!r} of {hint}: {err}") from err
        out[k] = v
    return hint(**out) if per_key else out


# ---------------------------------------------------------------- codecs


class PayloadCodec(ABC):
    """Transforms payloads after conversion and before they leave the process
    (for example encryption or compression), and back on the way in. Codecs
    written for temporalio port by changing the payload type they use."""

    @abstractmethod
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encode payloads on their way out."""

    @abstractmethod
    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decode payloads on their way in."""


async def _apply_to_failure_payloads(
    failure: common_pb2.Failure, fn: Callable[[Sequence[Payload]], Awaitable[list[Payload]]]
) -> None:
    async def replace(container: common_pb2.Payloads) -> None:
        if container.payloads:
            new = await fn(container.payloads)
            del container.payloads[:]
            container.payloads.extend(new)

    if failure.HasField("encoded_attributes"):
        [p] = await fn([failure.encoded_attributes])
        failure.encoded_attributes.CopyFrom(p)
    kind = failure.WhichOneof("failure_info")
    if kind == "application_failure_info" and failure.application_failure_info.HasField("details"):
        await replace(failure.application_failure_info.details)
    elif kind == "timeout_failure_info" and failure.timeout_failure_info.HasField("last_heartbeat_details"):
        await replace(failure.timeout_failure_info.last_heartbeat_details)
    elif kind == "canceled_failure_info" and failure.canceled_failure_info.HasField("details"):
        await replace(failure.canceled_failure_info.details)
    elif kind == "reset_workflow_failure_info" and failure.reset_workflow_failure_info.HasField(
        "last_heartbeat_details"
    ):
        await replace(failure.reset_workflow_failure_info.last_heartbeat_details)
    if failure.HasField("cause"):
        await _apply_to_failure_payloads(failure.cause, fn)


# ---------------------------------------------------------------- failures


class FailureConverter(ABC):
    """Converts exceptions to ``Failure`` messages and back."""

    @abstractmethod
    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> common_pb2.Failure:
        """The failure that describes the exception."""

    @abstractmethod
    def from_failure(self, failure: common_pb2.Failure, payload_converter: PayloadConverter) -> BaseException:
        """The exception that a failure describes."""


class DefaultFailureConverter(FailureConverter):
    """Maps :py:mod:`temporal_sidecar.exceptions` to ``Failure`` kinds the way
    temporalio does. An exception that is not a :py:class:`FailureError`
    becomes an application failure whose type is the exception's class name.
    Causes (``raise ... from``, or the implicit context) nest as ``cause``.

    With ``encode_common_attributes``, message and stack trace move into
    ``encoded_attributes`` so a codec can encrypt them, in every failure of
    the cause chain, as temporalio moves them.
    """

    def __init__(self, *, encode_common_attributes: bool = False) -> None:
        self._encode_common_attributes = encode_common_attributes

    def to_failure(self, exception: BaseException, payload_converter: PayloadConverter) -> common_pb2.Failure:
        failure = common_pb2.Failure()
        self._to_failure(exception, payload_converter, failure, depth=0)
        return failure

    def _to_failure(
        self, e: BaseException, pc: PayloadConverter, failure: common_pb2.Failure, depth: int
    ) -> None:
        self._to_failure_unencoded(e, pc, failure, depth)
        if self._encode_common_attributes:
            failure.encoded_attributes.CopyFrom(
                pc.to_payload({"message": failure.message, "stack_trace": failure.stack_trace})
            )
            failure.message = "Encoded failure"
            failure.stack_trace = ""

    def _to_failure_unencoded(
        self, e: BaseException, pc: PayloadConverter, failure: common_pb2.Failure, depth: int
    ) -> None:
        if isinstance(e, exc.FailureError) and e.failure is not None:
            failure.CopyFrom(e.failure)
            return
        if isinstance(e, nexusrpc.HandlerError):
            self._handler_error_to_failure(e, pc, failure, depth)
            return
        err: exc.FailureError
        if isinstance(e, exc.FailureError):
            err = e
        else:
            err = exc.ApplicationError(str(e), type=type(e).__name__)
            err.__traceback__ = e.__traceback__
            err.__cause__ = e.__cause__
            err.__context__ = e.__context__
            err.__suppress_context__ = e.__suppress_context__
        failure.message = err.message
        failure.source = FAILURE_SOURCE
        if err.__traceback__ is not None:
            failure.stack_trace = "".join(traceback.format_tb(err.__traceback__))
        cause = err.__cause__ or (None if err.__suppress_context__ else err.__context__)
        if cause is not None and depth < 20:
            self._to_failure(cause, pc, failure.cause, depth + 1)

        if isinstance(err, exc.ApplicationError):
            info = failure.application_failure_info
            info.SetInParent()
            if err.type:
                info.type = err.type
            info.non_retryable = err.non_retryable
            if err.details:
                info.details.payloads.extend(pc.to_payloads(err.details))
            if err.next_retry_delay is not None:
                info.next_retry_delay.FromTimedelta(err.next_retry_delay)
            info.category = typing.cast(common_pb2.ApplicationErrorCategory, int(err.category))
        elif isinstance(err, exc.TimeoutError):
            failure.timeout_failure_info.SetInParent()
            failure.timeout_failure_info.timeout_type = typing.cast(common_pb2.TimeoutType, int(err.type or 0))
            if err.last_heartbeat_details:
                failure.timeout_failure_info.last_heartbeat_details.payloads.extend(
                    pc.to_payloads(err.last_heartbeat_details)
                )
        elif isinstance(err, exc.CancelledError):
            failure.canceled_failure_info.SetInParent()
            if err.details:
                failure.canceled_failure_info.details.payloads.extend(pc.to_payloads(err.details))
        elif isinstance(err, exc.TerminatedError):
            failure.terminated_failure_info.SetInParent()
        elif isinstance(err, exc.ServerError):
            failure.server_failure_info.non_retryable = err.non_retryable
            failure.server_failure_info.SetInParent()
        elif isinstance(err, exc.ActivityError):
            a = failure.activity_failure_info
            a.SetInParent()
            a.scheduled_event_id = err.scheduled_event_id
            a.started_event_id = err.started_event_id
            a.identity = err.identity
            a.activity_type.name = err.activity_type
            a.activity_id = err.activity_id
            a.retry_state = typing.cast(common_pb2.RetryState, int(err.retry_state or 0))
        elif isinstance(err, exc.ChildWorkflowError):
            c = failure.child_workflow_execution_failure_info
            c.SetInParent()
            c.namespace = err.namespace
            c.workflow_execution.workflow_id = err.workflow_id
            c.workflow_execution.run_id = err.run_id
            c.workflow_type.name = err.workflow_type
            c.initiated_event_id = err.initiated_event_id
            c.started_event_id = err.started_event_id
            c.retry_state = typing.cast(common_pb2.RetryState, int(err.retry_state or 0))
        elif isinstance(err, exc.NexusOperationError):
            n = failure.nexus_operation_execution_failure_info
            n.SetInParent()
            n.scheduled_event_id = err.scheduled_event_id
            n.endpoint = err.endpoint
            n.service = err.service
            n.operation = err.operation
            n.operation_token = err.operation_token
        else:  # a bare FailureError
            failure.application_failure_info.SetInParent()

    def _handler_error_to_failure(
        self, e: nexusrpc.HandlerError, pc: PayloadConverter, failure: common_pb2.Failure, depth: int
    ) -> None:
        failure.message = e.message
        failure.source = FAILURE_SOURCE
        if e.__traceback__ is not None:
            failure.stack_trace = "".join(traceback.format_tb(e.__traceback__))
        info = failure.nexus_handler_failure_info
        info.SetInParent()
        info.type = e.raw_error_type or e.type.value
        if e.retryable_override is not None:
            info.retry_behavior = (
                common_pb2.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE
                if e.retryable_override
                else common_pb2.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE
            )
        cause = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
        if cause is not None and depth < 20:
            self._to_failure(cause, pc, failure.cause, depth + 1)

    def _failure_to_handler_error(self, failure: common_pb2.Failure, pc: PayloadConverter) -> nexusrpc.HandlerError:
        info = failure.nexus_handler_failure_info
        retryable: bool | None = None
        if info.retry_behavior == common_pb2.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_RETRYABLE:
            retryable = True
        elif info.retry_behavior == common_pb2.NEXUS_HANDLER_ERROR_RETRY_BEHAVIOR_NON_RETRYABLE:
            retryable = False
        err = nexusrpc.HandlerError(
            failure.message or "Nexus handler error",
            type=info.type or "INTERNAL",
            retryable_override=retryable,
            stack_trace=failure.stack_trace or None,
        )
        if failure.HasField("cause"):
            err.__cause__ = self.from_failure(failure.cause, pc)
        return err

    def from_failure(self, failure: common_pb2.Failure, payload_converter: PayloadConverter) -> BaseException:
        if failure.HasField("encoded_attributes"):
            copy = common_pb2.Failure()
            copy.CopyFrom(failure)
            failure = copy
            try:
                attrs = payload_converter.from_payload(failure.encoded_attributes)
                if isinstance(attrs, dict):
                    if isinstance(attrs.get("message"), str):
                        failure.message = attrs["message"]
                    if isinstance(attrs.get("stack_trace"), str):
                        failure.stack_trace = attrs["stack_trace"]
            except Exception:  # noqa: BLE001 - keep the placeholders
                pass
        pc = payload_converter
        err: exc.FailureError
        kind = failure.WhichOneof("failure_info")
        if kind == "nexus_handler_failure_info":
            # As temporalio: a Nexus handler's error is a nexusrpc.HandlerError.
            return self._failure_to_handler_error(failure, pc)
        if kind == "application_failure_info":
            a = failure.application_failure_info
            err = exc.ApplicationError(
                failure.message or "Application error",
                *pc.from_payloads(a.details.payloads),
                type=a.type or None,
                non_retryable=a.non_retryable,
                next_retry_delay=a.next_retry_delay.ToTimedelta() if a.HasField("next_retry_delay") else None,
                category=exc.ApplicationErrorCategory(int(a.category)),
            )
        elif kind == "timeout_failure_info":
            t = failure.timeout_failure_info
            err = exc.TimeoutError(
                failure.message or "Timeout",
                type=exc.TimeoutType(int(t.timeout_type)) if t.timeout_type else None,
                last_heartbeat_details=pc.from_payloads(t.last_heartbeat_details.payloads),
            )
        elif kind == "canceled_failure_info":
            err = exc.CancelledError(
                failure.message or "Cancelled", *pc.from_payloads(failure.canceled_failure_info.details.payloads)
            )
        elif kind == "terminated_failure_info":
            err = exc.TerminatedError(failure.message or "Terminated")
        elif kind == "server_failure_info":
            err = exc.ServerError(
                failure.message or "Server error", non_retryable=failure.server_failure_info.non_retryable
            )
        elif kind == "activity_failure_info":
            af = failure.activity_failure_info
            err = exc.ActivityError(
                failure.message or "Activity error",
                scheduled_event_id=af.scheduled_event_id,
                started_event_id=af.started_event_id,
                identity=af.identity,
                activity_type=af.activity_type.name,
                activity_id=af.activity_id,
                retry_state=exc.RetryState(int(af.retry_state)) if af.retry_state else None,
            )
        elif kind == "child_workflow_execution_failure_info":
            c = failure.child_workflow_execution_failure_info
            err = exc.ChildWorkflowError(
                failure.message or "Child workflow error",
                namespace=c.namespace,
                workflow_id=c.workflow_execution.workflow_id,
                run_id=c.workflow_execution.run_id,
                workflow_type=c.workflow_type.name,
                initiated_event_id=c.initiated_event_id,
                started_event_id=c.started_event_id,
                retry_state=exc.RetryState(int(c.retry_state)) if c.retry_state else None,
            )
        elif kind == "nexus_operation_execution_failure_info":
            n = failure.nexus_operation_execution_failure_info
            err = exc.NexusOperationError(
                failure.message or "Nexus operation error",
                scheduled_event_id=n.scheduled_event_id,
                endpoint=n.endpoint,
                service=n.service,
                operation=n.operation,
                operation_token=n.operation_token or n.operation_id,
            )
        else:  # reset, or unset: keep the message and the proto
            err = exc.FailureError(failure.message or "Failure")
        err._failure = failure
        if failure.HasField("cause"):
            err.__cause__ = self.from_failure(failure.cause, payload_converter)
        return err


class DefaultFailureConverterWithEncodedAttributes(DefaultFailureConverter):
    """:py:class:`DefaultFailureConverter` with ``encode_common_attributes``:
    every failure's message and stack trace go into its encoded attributes,
    for a codec to encrypt, as temporalio's class of that name."""

    def __init__(self) -> None:
        super().__init__(encode_common_attributes=True)


# ---------------------------------------------------------------- data converter


@dataclass(frozen=True)
class DataConverter:
    """Everything that turns values into bytes and back: a payload converter,
    an optional codec, and a failure converter. Pass one to
    :py:meth:`temporal_sidecar.connection.Connection.connect`."""

    payload_converter_class: type[PayloadConverter] = DefaultPayloadConverter
    payload_codec: PayloadCodec | None = None
    failure_converter_class: type[FailureConverter] = DefaultFailureConverter

    payload_converter: PayloadConverter = dataclasses.field(init=False)
    failure_converter: FailureConverter = dataclasses.field(init=False)

    default: ClassVar[DataConverter]
    """The default: temporalio-compatible payloads, no codec."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload_converter", self.payload_converter_class())
        object.__setattr__(self, "failure_converter", self.failure_converter_class())

    async def encode(self, values: Sequence[Any]) -> list[Payload]:
        """Convert values to payloads, then apply the codec."""
        payloads = self.payload_converter.to_payloads(values)
        if self.payload_codec is not None:
            payloads = await self.payload_codec.encode(payloads)
        return payloads

    async def decode(self, payloads: Sequence[Payload], type_hints: Sequence[Any] | None = None) -> list[Any]:
        """Apply the codec, then convert payloads to values."""
        if self.payload_codec is not None:
            payloads = await self.payload_codec.decode(payloads)
        return self.payload_converter.from_payloads(payloads, type_hints)

    async def encode_failure(self, exception: BaseException) -> common_pb2.Failure:
        """Convert an exception to a failure, then apply the codec to its payloads."""
        failure = self.failure_converter.to_failure(exception, self.payload_converter)
        if self.payload_codec is not None:
            await _apply_to_failure_payloads(failure, self.payload_codec.encode)
        return failure

    async def decode_failure(self, failure: common_pb2.Failure) -> BaseException:
        """Apply the codec to a failure's payloads, then convert it to an exception."""
        if self.payload_codec is not None:
            copy = common_pb2.Failure()
            copy.CopyFrom(failure)
            failure = copy
            await _apply_to_failure_payloads(failure, self.payload_codec.decode)
        return self.failure_converter.from_failure(failure, self.payload_converter)


DataConverter.default = DataConverter()

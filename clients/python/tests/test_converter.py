"""The converter against temporalio's, its independent reference: the same
values give the same payloads, payloads temporalio writes decode into the
hinted types, and failures cross in both directions (the bridge's Payload
and Failure are wire-compatible with Temporal's, so bytes pass between them)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from enum import Enum, IntEnum
from typing import Any, Optional

import pytest
import temporalio.api.common.v1
import temporalio.api.failure.v1
import temporalio.converter
import temporalio.exceptions
from temporalio.api.common.v1 import WorkflowExecution as ProtoExecution

from sidecar_workflows import Person
from temporal_sidecar import exceptions as exc
from temporal_sidecar.common import RawValue
from temporal_sidecar.converter import DataConverter, DefaultPayloadConverter, PayloadCodec
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2

ours = DefaultPayloadConverter()
theirs = temporalio.converter.DefaultPayloadConverter()


class Color(str, Enum):
    RED = "red"


class Level(IntEnum):
    HIGH = 1


@dataclasses.dataclass
class Team:
    lead: Person
    members: list[Person]
    by_name: dict[str, Person]
    level: Level
    color: Color
    founded: datetime
    backup: Optional[Person] = None


def to_theirs(p: common_pb2.Payload) -> temporalio.api.common.v1.Payload:
    return temporalio.api.common.v1.Payload.FromString(p.SerializeToString())


def to_ours(p: temporalio.api.common.v1.Payload) -> common_pb2.Payload:
    return common_pb2.Payload.FromString(p.SerializeToString())


VALUES: list[Any] = [
    None,
    b"\x00\xffbytes",
    "text",
    42,
    1.5,
    True,
    [1, "a", None],
    {"b": 1, "a": [2, 3]},
    Person(name="Ada", age=36, tags=["math"]),
    datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    ProtoExecution(workflow_id="w", run_id="r"),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_same_payloads_as_temporalio(value: Any) -> None:
    mine = ours.to_payload(value)
    ref = theirs.to_payloads([value])[0]
    assert dict(mine.metadata) == dict(ref.metadata)
    assert mine.data == ref.data


def test_temporalio_payloads_decode_into_hinted_types() -> None:
    team = Team(
        lead=Person("Ada", 36),
        members=[Person("Grace", 85, ["navy"])],
        by_name={"g": Person("Grace", 85)},
        level=Level.HIGH,
        color=Color.RED,
        founded=datetime(2020, 1, 2, tzinfo=timezone.utc),
    )
    payloads = [to_ours(p) for p in theirs.to_payloads([team, [team.lead], (1, "x"), None, b"raw"])]
    got = ours.from_payloads(payloads, [Team, list[Person], tuple[int, str], Optional[Person], bytes])
    assert got == [team, [team.lead], (1, "x"), None, b"raw"]
    # Without hints, JSON stays plain.
    assert ours.from_payload(payloads[1]) == [{"name": "Ada", "age": 36, "tags": []}]


def test_protobuf_decodes_from_json_and_binary() -> None:
    msg = ProtoExecution(workflow_id="w", run_id="r")
    for conv in (temporalio.converter.JSONProtoPayloadConverter(), temporalio.converter.BinaryProtoPayloadConverter()):
        p = conv.to_payload(msg)
        assert p is not None
        assert ours.from_payload(to_ours(p)) == msg  # by messageType
        assert ours.from_payload(to_ours(p), ProtoExecution) == msg  # by hint


def test_raw_value_passes_through() -> None:
    p = ours.to_payload({"a": 1})
    [raw] = ours.from_payloads([p], [RawValue])
    assert isinstance(raw, RawValue) and raw.payload == p
    assert ours.to_payloads([raw]) == [p]


def test_bad_json_for_hint_is_a_type_error() -> None:
    p = ours.to_payload({"name": "Ada"})
    with pytest.raises(TypeError):
        ours.from_payload(p, Person)  # age is missing
    with pytest.raises(TypeError):
        ours.from_payload(ours.to_payload("x"), int)


async def test_our_failures_decode_in_temporalio() -> None:
    try:
        try:
            raise KeyError("inner")
        except KeyError as inner:
            raise exc.ApplicationError(
                "outer",
                {"k": 1},
                type="Boom",
                non_retryable=True,
                next_retry_delay=timedelta(seconds=3),
                category=exc.ApplicationErrorCategory.BENIGN,
            ) from inner
    except exc.ApplicationError as err:
        failure = await DataConverter.default.encode_failure(err)
    assert failure.source == "temporal-sidecar-python"
    assert "test_our_failures_decode_in_temporalio" in failure.stack_trace
    ref = temporalio.api.failure.v1.Failure.FromString(failure.SerializeToString())
    got = temporalio.converter.DefaultFailureConverter().from_failure(ref, theirs)
    assert isinstance(got, temporalio.exceptions.ApplicationError)
    assert (got.message, got.type, got.non_retryable) == ("outer", "Boom", True)
    assert list(got.details) == [{"k": 1}]
    assert got.next_retry_delay == timedelta(seconds=3)
    assert got.category == temporalio.exceptions.ApplicationErrorCategory.BENIGN
    cause = got.cause
    assert isinstance(cause, temporalio.exceptions.ApplicationError)
    assert cause.type == "KeyError" and cause.message == "'inner'"

    cancelled = await DataConverter.default.encode_failure(exc.CancelledError("stop", "why"))
    got = temporalio.converter.DefaultFailureConverter().from_failure(
        temporalio.api.failure.v1.Failure.FromString(cancelled.SerializeToString()), theirs
    )
    assert isinstance(got, temporalio.exceptions.CancelledError) and list(got.details) == ["why"]


async def test_temporalio_failures_decode_here() -> None:
    app = temporalio.exceptions.ApplicationError("declined", {"code": 51}, type="CardDeclined", non_retryable=True)
    act = temporalio.exceptions.ActivityError(
        "activity failed",
        scheduled_event_id=5,
        started_event_id=6,
        identity="me",
        activity_type="charge",
        activity_id="1",
        retry_state=temporalio.exceptions.RetryState.NON_RETRYABLE_FAILURE,
    )
    act.__cause__ = app
    ref = temporalio.api.failure.v1.Failure()
    temporalio.converter.DefaultFailureConverter().to_failure(act, theirs, ref)
    got = await DataConverter.default.decode_failure(common_pb2.Failure.FromString(ref.SerializeToString()))
    assert isinstance(got, exc.ActivityError)
    assert (got.activity_type, got.activity_id, got.retry_state) == ("charge", "1", exc.RetryState.NON_RETRYABLE_FAILURE)
    cause = got.cause
    assert isinstance(cause, exc.ApplicationError)
    assert (cause.message, cause.type, cause.non_retryable, list(cause.details)) == (
        "declined",
        "CardDeclined",
        True,
        [{"code": 51}],
    )

    timeout = temporalio.exceptions.TimeoutError(
        "timed out", type=temporalio.exceptions.TimeoutType.HEARTBEAT, last_heartbeat_details=["at 3"]
    )
    ref = temporalio.api.failure.v1.Failure()
    temporalio.converter.DefaultFailureConverter().to_failure(timeout, theirs, ref)
    got = await DataConverter.default.decode_failure(common_pb2.Failure.FromString(ref.SerializeToString()))
    assert isinstance(got, exc.TimeoutError)
    assert got.type == exc.TimeoutType.HEARTBEAT and list(got.last_heartbeat_details) == ["at 3"]


class _Reverse(PayloadCodec):
    """A stand-in for encryption: reverses the bytes and marks the encoding."""

    async def encode(self, payloads: Sequence[common_pb2.Payload]) -> list[common_pb2.Payload]:
        return [
            common_pb2.Payload(metadata={"encoding": b"binary/reversed"}, data=p.SerializeToString()[::-1])
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[common_pb2.Payload]) -> list[common_pb2.Payload]:
        return [common_pb2.Payload.FromString(p.data[::-1]) for p in payloads]


async def test_codec_applies_to_values_and_failure_details() -> None:
    dc = DataConverter(payload_codec=_Reverse())
    payloads = await dc.encode([Person("Ada", 36), None])
    assert all(p.metadata["encoding"] == b"binary/reversed" for p in payloads)
    assert await dc.decode(payloads, [Person, None]) == [Person("Ada", 36), None]

    failure = await dc.encode_failure(exc.ApplicationError("secret", {"card": "4111"}))
    [detail] = failure.application_failure_info.details.payloads
    assert detail.metadata["encoding"] == b"binary/reversed"
    err = await dc.decode_failure(failure)
    assert isinstance(err, exc.ApplicationError) and list(err.details) == [{"card": "4111"}]

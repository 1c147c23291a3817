"""RPC errors of the sidecar's client API, shaped like :py:mod:`temporalio.service`."""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum
from typing import Any

import grpc
import grpc.aio

__all__ = ["RPCError", "RPCStatusCode", "RPCTimeoutOrCancelledError"]


class RPCStatusCode(IntEnum):
    """A gRPC status code."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


class RPCError(Exception):
    """A call to the sidecar failed with a gRPC status (the server's, kept as
    the sidecar received it)."""

    def __init__(self, message: str, status: RPCStatusCode, raw_grpc_status: bytes) -> None:
        super().__init__(message)
        self._message = message
        self._status = status
        self._raw_grpc_status = raw_grpc_status

    @property
    def message(self) -> str:
        """The status message."""
        return self._message

    @property
    def status(self) -> RPCStatusCode:
        """The status code."""
        return self._status

    @property
    def raw_grpc_status(self) -> bytes:
        """The serialized ``google.rpc.Status`` with its details, if the sidecar sent one."""
        return self._raw_grpc_status

    @property
    def grpc_status_details(self) -> list[tuple[str, bytes]]:
        """The details of the status: (type URL, serialized message) pairs."""
        return list(_status_details(self._raw_grpc_status))

    @staticmethod
    def from_aio_error(err: grpc.aio.AioRpcError) -> RPCError:
        raw = b""
        md: Any = err.trailing_metadata() or ()
        for item in md:
            key, value = item[0], item[1]
            if key == "grpc-status-details-bin" and isinstance(value, bytes):
                raw = value
        code = err.code()
        status = RPCStatusCode(code.value[0]) if isinstance(code.value, tuple) else RPCStatusCode.UNKNOWN
        if status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            return RPCTimeoutOrCancelledError(err.details() or status.name, status, raw)
        return RPCError(err.details() or status.name, status, raw)


class RPCTimeoutOrCancelledError(RPCError):
    """A call ran out of time (its ``rpc_timeout``) or was cancelled."""


# ---------------------------------------------------------------- a minimal protobuf wire reader


def _varint(data: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field of a serialized message."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(data, i)
            yield num, wt, v
        elif wt == 2:
            n, i = _varint(data, i)
            yield num, wt, data[i : i + n]
            i += n
        elif wt == 1:
            yield num, wt, data[i : i + 8]
            i += 8
        elif wt == 5:
            yield num, wt, data[i : i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported wire type {wt}")


def _status_details(raw: bytes) -> Iterator[tuple[str, bytes]]:
    """The Any details of a serialized google.rpc.Status (field 3)."""
    try:
        for num, wt, v in _fields(raw):
            if num == 3 and wt == 2 and isinstance(v, bytes):
                type_url, value = "", b""
                for n2, w2, v2 in _fields(v):
                    if n2 == 1 and w2 == 2 and isinstance(v2, bytes):
                        type_url = v2.decode(errors="replace")
                    elif n2 == 2 and w2 == 2 and isinstance(v2, bytes):
                        value = v2
                yield type_url, value
    except ValueError:
        return


def _string_field(data: bytes, number: int) -> str:
    try:
        for num, wt, v in _fields(data):
            if num == number and wt == 2 and isinstance(v, bytes):
                return v.decode(errors="replace")
    except ValueError:
        pass
    return ""


def _bytes_field(data: bytes, number: int) -> bytes | None:
    try:
        for num, wt, v in _fields(data):
            if num == number and wt == 2 and isinstance(v, bytes):
                return v
    except ValueError:
        pass
    return None


def _grpc_code(status: RPCStatusCode) -> grpc.StatusCode:
    for c in grpc.StatusCode:
        if isinstance(c.value, tuple) and c.value[0] == int(status):
            return c
    return grpc.StatusCode.UNKNOWN

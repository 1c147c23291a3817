"""The connection to a sidecar: the counterpart of temporalio's ``Client`` for
an app that runs its workers through the sidecar.

::

    conn = await Connection.connect("unix:///tmp/temporal-sidecar.sock")
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

import grpc
import grpc.aio

from temporal_sidecar.converter import DataConverter
from temporal_sidecar.exceptions import SidecarConnectionError

__all__ = ["Connection", "TLSConfig", "default_identity"]

#: The largest message the sidecar accepts or sends (its ``Limits.max_message_bytes``).
MAX_MESSAGE_BYTES = 128 << 20

_HEALTH_CHECK = "/grpc.health.v1.Health/Check"


def default_identity() -> str:
    """``<pid>@<host>``, the identity Temporal's SDKs use."""
    return f"{os.getpid()}@{socket.gethostname()}"


@dataclass(frozen=True)
class TLSConfig:
    """TLS for a sidecar bridge served over TCP with ``--bridge-tls-cert-path``."""

    server_root_ca_cert: bytes | None = None
    """PEM CAs that sign the sidecar's certificate; None uses the system roots."""
    domain: str | None = None
    """The name to verify the sidecar's certificate against, instead of the target host."""
    client_cert: bytes | None = None
    """PEM client certificate, for a sidecar that requires mTLS."""
    client_private_key: bytes | None = None
    """PEM private key of ``client_cert``."""


def _normalize_target(target: str) -> str:
    if target.startswith("/"):
        return "unix:" + target
    return target


def _binary(b: bytes) -> bytes:
    return b


class Connection:
    """A gRPC channel to a sidecar's bridge, shared by the workers of the process.

    Create it with :py:meth:`connect`, which fails fast with
    :py:class:`temporal_sidecar.exceptions.SidecarConnectionError` when the
    sidecar cannot be reached or refuses the token.
    """

    def __init__(
        self,
        *,
        target: str,
        channel: grpc.aio.Channel,
        token: str | None,
        identity: str,
        data_converter: DataConverter,
    ) -> None:
        """Use :py:meth:`connect` instead."""
        self._target = target
        self._channel = channel
        self._metadata: tuple[tuple[str, str], ...] = (("authorization", f"Bearer {token}"),) if token else ()
        self._identity = identity
        self._data_converter = data_converter

    @staticmethod
    async def connect(
        target: str,
        *,
        token: str | None = None,
        tls: bool | TLSConfig = False,
        data_converter: DataConverter = DataConverter.default,
        identity: str | None = None,
        connect_timeout: timedelta | None = timedelta(seconds=10),
    ) -> Connection:
        """Connect to a sidecar and check that it answers.

        Args:
            target: Where the sidecar's ``--bridge-listen`` is: ``unix:///path``
                (or ``unix:/path``, or just ``/path``) for a unix socket,
                ``host:port`` for TCP.
            token: The sidecar's ``--bridge-token``, sent as a bearer token.
            tls: True (system roots) or a :py:class:`TLSConfig` for a sidecar
                that serves its bridge over TLS.
            data_converter: Converts arguments, results, heartbeat details and
                failures of the activities run over this connection.
            identity: This process in the sidecar's logs and the server's
                worker identity. Defaults to ``<pid>@<host>``.
            connect_timeout: How long to wait for the sidecar to answer (it
                may still be starting). None waits forever.
        """
        target = _normalize_target(target)
        options: list[tuple[str, Any]] = [
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            # gRPC's default reconnect backoff grows to two minutes; a sidecar
            # restart should be noticed within seconds.
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 2000),
        ]
        if tls:
            cfg = tls if isinstance(tls, TLSConfig) else TLSConfig()
            if cfg.domain:
                options.append(("grpc.ssl_target_name_override", cfg.domain))
            creds = grpc.ssl_channel_credentials(
                root_certificates=cfg.server_root_ca_cert,
                private_key=cfg.client_private_key,
                certificate_chain=cfg.client_cert,
            )
            channel = grpc.aio.secure_channel(target, creds, options=options)
        else:
            channel = grpc.aio.insecure_channel(target, options=options)
        conn = Connection(
            target=target,
            channel=channel,
            token=token,
            identity=identity or default_identity(),
            data_converter=data_converter,
        )
        try:
            await conn.check_health(timeout=connect_timeout)
        except BaseException:
            await channel.close(None)
            raise
        return conn

    @property
    def target(self) -> str:
        """The sidecar's address."""
        return self._target

    @property
    def identity(self) -> str:
        """This process's identity."""
        return self._identity

    @property
    def data_converter(self) -> DataConverter:
        """The data converter of the workers on this connection."""
        return self._data_converter

    @property
    def channel(self) -> grpc.aio.Channel:
        """The underlying gRPC channel."""
        return self._channel

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The gRPC metadata every call carries (the token)."""
        return self._metadata

    async def check_health(self, *, timeout: timedelta | None = timedelta(seconds=10)) -> bool:
        """Ask the sidecar's ``grpc.health.v1`` service whether it serves.

        Returns False when it answers NOT_SERVING (for example while it shuts
        down). Raises :py:class:`SidecarConnectionError` when it cannot be
        reached within ``timeout`` or refuses the token.
        """
        check = self._channel.unary_unary(_HEALTH_CHECK, request_serializer=_binary, response_deserializer=_binary)
        try:
            # An empty HealthCheckRequest (service "") encodes to no bytes.
            resp = await check(
                b"",
                timeout=timeout.total_seconds() if timeout is not None else None,
                metadata=self._metadata,
                wait_for_ready=True,
            )
        except grpc.aio.AioRpcError as err:
            code = err.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                msg = (
                    f"no sidecar answered at {self._target} within {timeout}: is it running, "
                    f"and is its --bridge-listen {self._target}?"
                )
            elif code == grpc.StatusCode.UNAUTHENTICATED:
                msg = (
                    f"the sidecar at {self._target} refused this process: {err.details()} "
                    "(see Connection.connect(token=...))"
                )
            elif code == grpc.StatusCode.UNIMPLEMENTED:
                msg = f"{self._target} does not serve grpc.health.v1; is it a Temporal sidecar's bridge?"
            else:
                msg = f"cannot reach the sidecar at {self._target}: {code.name}: {err.details()}"
            raise SidecarConnectionError(msg, code=code) from err
        # HealthCheckResponse{status=SERVING(1)} is field 1, varint 1.
        return bool(resp == b"\x08\x01")

    async def close(self) -> None:
        """Close the channel. Shut the workers down first."""
        await self._channel.close(None)

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

"""Temporal's own Python SDK, ``temporalio``, with its workers on the sidecar.

One line moves a temporalio app onto the sidecar; the workflows, activities,
Nexus handlers, sandbox, interceptors, converters and plugins stay
temporalio's own::

    from temporal_sidecar.sdk import SidecarPlugin

    client = await Client.connect("unused", plugins=[SidecarPlugin("127.0.0.1:7243")])
    worker = Worker(client, task_queue="orders", workflows=[...], activities=[...])

As a client plugin it points the ``Client`` at the sidecar's WorkflowService
proxy (``--workflow-service-proxy``), so the app holds no Temporal
credentials; every ``Worker`` built on that client then runs on the sidecar:
the sidecar polls, caches and replays, and temporalio's language layer gets
sdk-core's activations and tasks from it instead of from its Rust core. Given
to a ``Worker(plugins=[...])`` only, it moves just that worker.

Without editing the app: ``python -m temporal_sidecar.sdk run app.py`` (see
:py:func:`install`). ``Replayer`` and ``WorkflowEnvironment`` need no
sidecar and are left as they are.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import concurrent.futures
import os
import sys
import warnings
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any, cast

# gRPC's fork handlers (on by default) break a process forked while a
# Connect stream is open: the children of a ProcessPoolExecutor, which
# temporalio runs synchronous activities in, die at start ("Other threads are
# currently calling into gRPC, skipping fork() handlers"). sdk-core's Rust
# client has no such handlers, so under temporalio forking is safe; the
# children never use the parent's channels, so the handlers are turned off
# here unless the app chose otherwise. gRPC reads it when first imported:
# an app that imported temporalio (which imports grpc) before this module
# must set it in its environment; run_worker warns when that matters.
_FORK_SUPPORT_SET_TOO_LATE = "grpc" in sys.modules and "GRPC_ENABLE_FORK_SUPPORT" not in os.environ
os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")

import grpc  # noqa: E402
import grpc.aio  # noqa: E402
import temporalio.bridge.worker
import temporalio.client
import temporalio.service
import temporalio.worker

from temporal_sidecar.sdk._core_worker import MAX_MESSAGE_BYTES, CoreWorker, SidecarRefused
from temporal_sidecar.sdk._core_worker import PollShutdownError as CoreWorkerPollShutdown
from temporal_sidecar.sdk._payload_limits import PayloadLimits, record_runtime_telemetry
from temporal_sidecar.sdk._registration import UnsupportedWorkerOption, build_registration, check_worker_config
from temporal_sidecar.sdk._version import (
    CORE_PROTOCOL_VERSION,
    SUPPORTED_RANGE,
    UnsupportedTemporalioVersion,
    check_temporalio_version,
)

__all__ = [
    "CORE_PROTOCOL_VERSION",
    "SUPPORTED_RANGE",
    "SidecarPlugin",
    "SidecarRefused",
    "UnsupportedTemporalioVersion",
    "UnsupportedWorkerOption",
    "install",
]

logger = logging.getLogger("temporal_sidecar.sdk")

# Where sdk-core's warnings about a Worker's completions go is its runtime's
# logging (see _payload_limits).
record_runtime_telemetry()

# The process each client was first given to a Worker in (configure_worker):
# temporalio's Rust workers, and the runtime they are on, belong to it.
_client_pids: weakref.WeakKeyDictionary[temporalio.client.Client, int] = weakref.WeakKeyDictionary()

#: Where the sidecar's bridge is when neither the plugin nor the environment says.
DEFAULT_TARGET = "unix:///tmp/temporal-sidecar.sock"
#: The environment variables the plugin reads when not given its arguments.
ENV_TARGET = "TEMPORAL_SIDECAR_ADDRESS"
ENV_TOKEN = "TEMPORAL_SIDECAR_TOKEN"


def _grpc_target(target: str) -> str:
    if target.startswith("/"):
        return "unix:" + target
    return target


class SidecarPlugin(temporalio.client.Plugin, temporalio.worker.Plugin):
    """Runs temporalio workers on a Temporal worker sidecar, and points
    temporalio clients at its WorkflowService proxy.

    Args:
        target: The sidecar's ``--bridge-listen``: ``host:port`` (loopback
            TCP) or ``unix:///path``. Defaults to ``$TEMPORAL_SIDECAR_ADDRESS``,
            else the sidecar's default socket.
        token: The sidecar's ``--bridge-token``, if it has one. Defaults to
            ``$TEMPORAL_SIDECAR_TOKEN``.
        tls: For a bridge served over TLS: True (system roots) or a
            ``temporalio.service.TLSConfig`` (its CA, server name and client
            certificate are used for the bridge, not for Temporal).
        connect_timeout: How long a starting worker waits for the sidecar.

    Raises:
        UnsupportedTemporalioVersion: The installed temporalio is outside
            :py:data:`SUPPORTED_RANGE`.
    """

    def __init__(
        self,
        target: str | None = None,
        *,
        token: str | None = None,
        tls: bool | temporalio.service.TLSConfig = False,
        connect_timeout: timedelta = timedelta(seconds=30),
    ) -> None:
        self._version = check_temporalio_version()
        self._target = target or os.environ.get(ENV_TARGET) or DEFAULT_TARGET
        self._token = token if token is not None else os.environ.get(ENV_TOKEN) or None
        self._tls = tls
        self._connect_timeout = connect_timeout
        self._warned: set[str] = set()

    @property
    def target(self) -> str:
        """The sidecar's bridge address."""
        return self._target

    def name(self) -> str:
        return "temporal_sidecar.SidecarPlugin"

    def _warn_once(self, key: str, msg: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning("%s", msg)

    # ------------------------------------------------------------ client

    def configure_client(self, config: temporalio.client.ClientConfig) -> temporalio.client.ClientConfig:
        return config

    async def connect_service_client(
        self,
        config: temporalio.service.ConnectConfig,
        next: Callable[[temporalio.service.ConnectConfig], Awaitable[temporalio.service.ServiceClient]],
    ) -> temporalio.service.ServiceClient:
        # The sidecar holds the Temporal credentials and forwards the
        # WorkflowService calls in its namespace: the app's own are dropped.
        if config.api_key:
            self._warn_once("api_key", "Client api_key is not sent: the sidecar holds the Temporal credentials")
        if isinstance(config.tls, temporalio.service.TLSConfig) and config.tls.client_cert:
            self._warn_once("tls", "Client TLS is not used for Temporal: the sidecar holds the Temporal credentials")
        metadata = dict(config.rpc_metadata)
        if self._token:
            metadata["authorization"] = f"Bearer {self._token}"
        tls = self._tls if isinstance(self._tls, temporalio.service.TLSConfig) or self._tls else False
        target = self._target
        if target.startswith("/"):
            target = "unix://" + target
        config = dataclasses.replace(config, target_host=target, api_key=None, tls=tls, rpc_metadata=metadata)
        if target.startswith("unix:"):
            # temporalio passes a target with a scheme through to its
            # transport (a unix socket works) but warns that it is deprecated.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Target host as URL with scheme")
                return await next(config)
        return await next(config)

    # ------------------------------------------------------------ worker

    def configure_worker(self, config: temporalio.worker.WorkerConfig) -> temporalio.worker.WorkerConfig:
        check_worker_config(cast(dict[str, Any], config))
        client = config.get("client")
        if client is not None:
            # The Worker is built next, its Rust worker on this process's
            # runtime: remember the process, for a Worker run in a forked child.
            _client_pids.setdefault(client, os.getpid())
        return config

    async def run_worker(
        self, worker: temporalio.worker.Worker, next: Callable[[temporalio.worker.Worker], Awaitable[None]]
    ) -> None:
        bridge: temporalio.bridge.worker.Worker = worker._bridge_worker
        executor = worker.config(active_config=True).get("activity_executor")
        if _FORK_SUPPORT_SET_TOO_LATE and isinstance(executor, concurrent.futures.ProcessPoolExecutor):
            self._warn_once(
                "fork",
                "activities run in a ProcessPoolExecutor and grpc was imported before temporal_sidecar.sdk: "
                "set GRPC_ENABLE_FORK_SUPPORT=0 in the environment, or forked activity processes may die at start",
            )
        rust = bridge._ref
        built_in = _client_pids.get(worker.client)
        if rust is None or isinstance(rust, CoreWorker):
            pass
        elif built_in is not None and built_in != os.getpid():
            # A Worker built before a fork and run in the child: its Rust
            # worker is on the parent's runtime. Left in place, it refuses at
            # validate as temporalio does ("Cannot use worker across forks").
            pass
        else:
            # temporalio built its Rust worker with the Worker; it has not
            # polled yet. The sidecar takes its place inside temporalio's
            # bridge worker (which the Worker and its parts keep, and tests may
            # have patched); the Rust worker is shut down, or it would stay
            # registered with the client for eager workflow start.
            register, settings = build_registration(worker, worker.client.service_client.config.identity)
            core = CoreWorker(
                target=self._target,
                channel_factory=self._channel,
                metadata=(("authorization", f"Bearer {self._token}"),) if self._token else (),
                register=register,
                settings=settings,
                connect_timeout=self._connect_timeout,
                payload_limits=PayloadLimits.of_worker(worker),
                retired=rust,
            )
            bridge._ref = cast(Any, core)
            await _retire(temporalio.bridge.worker.Worker(rust), worker.config(active_config=True))
        await next(worker)

    def _channel(self) -> grpc.aio.Channel:
        options: list[tuple[str, Any]] = [
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            # A restarted sidecar should be found within seconds, not gRPC's two minutes.
            ("grpc.initial_reconnect_backoff_ms", 100),
            ("grpc.min_reconnect_backoff_ms", 100),
            ("grpc.max_reconnect_backoff_ms", 2000),
        ]
        target = _grpc_target(self._target)
        if not self._tls:
            return grpc.aio.insecure_channel(target, options=options)
        cfg = self._tls if isinstance(self._tls, temporalio.service.TLSConfig) else temporalio.service.TLSConfig()
        if cfg.domain:
            options.append(("grpc.ssl_target_name_override", cfg.domain))
        creds = grpc.ssl_channel_credentials(
            root_certificates=cfg.server_root_ca_cert,
            private_key=cfg.client_private_key,
            certificate_chain=cfg.client_cert,
        )
        return grpc.aio.secure_channel(target, creds, options=options)

    # ------------------------------------------------------------ replayer

    def configure_replayer(self, config: temporalio.worker.ReplayerConfig) -> temporalio.worker.ReplayerConfig:
        # Replay needs no sidecar: temporalio's own replayer runs as it is.
        return config

    def run_replayer(
        self,
        replayer: temporalio.worker.Replayer,
        histories: AsyncIterator[temporalio.client.WorkflowHistory],
        next: Callable[
            [temporalio.worker.Replayer, AsyncIterator[temporalio.client.WorkflowHistory]],
            AbstractAsyncContextManager[AsyncIterator[temporalio.worker.WorkflowReplayResult]],
        ],
    ) -> AbstractAsyncContextManager[AsyncIterator[temporalio.worker.WorkflowReplayResult]]:
        return next(replayer, histories)


async def _retire(bridge: temporalio.bridge.worker.Worker, config: Any) -> None:
    """Shuts down the Rust worker temporalio built with the Worker. It never
    polled; sdk-core finishes a shutdown once each kind's poll has seen it, so
    each kind the Worker enabled polls once (and gets PollShutdownError)."""
    polls: list[Callable[[], Awaitable[object]]] = []
    if config.get("workflows"):
        polls.append(bridge.poll_workflow_activation)
    if config.get("activities"):
        polls.append(bridge.poll_activity_task)
    if config.get("nexus_service_handlers"):
        polls.append(bridge.poll_nexus_task)
    try:
        bridge.initiate_shutdown()
        for poll in polls:
            try:
                got = await asyncio.wait_for(poll(), 10)
                logger.warning("temporalio's own worker polled a task while shutting down: %r", got)
            except CoreWorkerPollShutdown:
                pass
        await asyncio.wait_for(bridge.finalize_shutdown(), 10)
    except Exception as err:  # noqa: BLE001 - it never ran; nothing depends on how it ends
        logger.debug("temporalio's own worker did not shut down cleanly: %r", err)


_installed: SidecarPlugin | None = None


def install(plugin: SidecarPlugin | None = None) -> SidecarPlugin:
    """Puts every temporalio ``Client.connect`` of this process on the
    sidecar, without editing the app: each gets the plugin (unless it already
    has one), so its workers run on the sidecar. ``python -m
    temporal_sidecar.sdk run app.py`` calls it before running the app.
    Idempotent; returns the plugin in use.
    """
    global _installed
    if _installed is not None:
        return _installed
    chosen = plugin or SidecarPlugin()
    original = temporalio.client.Client.connect

    async def connect(*args: Any, **kwargs: Any) -> temporalio.client.Client:
        plugins = list(kwargs.get("plugins") or [])
        if not any(isinstance(p, SidecarPlugin) for p in plugins):
            plugins.append(chosen)
        kwargs["plugins"] = plugins
        return await original(*args, **kwargs)

    connect.__doc__ = original.__doc__
    temporalio.client.Client.connect = staticmethod(connect)  # type: ignore[method-assign]
    _installed = chosen
    logger.info("temporalio clients of this process connect through the sidecar at %s", chosen.target)
    return chosen

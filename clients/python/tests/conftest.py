"""Real processes for the integration tests: one Temporal dev server per
session (the pinned Temporal CLI), the sidecar built from this repository, and
a sidecar process per task queue (the sidecar serves one task queue).

Missing tools fail the tests; they are never skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
import temporalio.client
import temporalio.worker

from sidecar_workflows import WORKFLOWS
from temporal_sidecar.client import Client
from temporal_sidecar.connection import Connection

REPO_ROOT = Path(__file__).resolve().parents[3]
NAMESPACE = "default"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, n: int = 40) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def _identity(b: bytes) -> bytes:
    return b


def _frontend_ready(address: str) -> bool:
    """GetSystemInfo answers and the namespace is described: what the sidecar checks at start-up."""
    with grpc.insecure_channel(address) as ch:
        try:
            ch.unary_unary(
                "/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo",
                request_serializer=_identity,
                response_deserializer=_identity,
            )(b"", timeout=2)
            ns = NAMESPACE.encode()
            ch.unary_unary(
                "/temporal.api.workflowservice.v1.WorkflowService/DescribeNamespace",
                request_serializer=_identity,
                response_deserializer=_identity,
            )(b"\x0a" + bytes([len(ns)]) + ns, timeout=2)
        except grpc.RpcError:
            return False
    return True


@dataclass
class DevServer:
    address: str
    proc: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session")
def work_dir() -> Iterator[Path]:
    # Short, because unix socket paths are limited to about 100 bytes.
    d = Path(tempfile.mkdtemp(prefix="tsp-", dir="/tmp"))
    yield d
    if not os.environ.get("TEMPORAL_SIDECAR_KEEP_LOGS"):  # set it to read the sidecars' logs after a run
        shutil.rmtree(d, ignore_errors=True)


def temporal_cli() -> str:
    """The Temporal CLI: $TEMPORAL_CLI, bin/temporal, or on PATH."""
    cli = os.environ.get("TEMPORAL_CLI") or str(REPO_ROOT / "bin" / "temporal")
    if not (os.path.isfile(cli) and os.access(cli, os.X_OK)):
        found = shutil.which("temporal")
        if found is None:
            pytest.fail(
                f"the Temporal CLI is not at {cli} nor on PATH: run `make temporal-cli` "
                "(go install github.com/temporalio/cli/cmd/temporal@v1.5.1) or set TEMPORAL_CLI"
            )
        cli = found
    return cli


@pytest.fixture(scope="session")
def dev_server(work_dir: Path) -> Iterator[DevServer]:
    cli = temporal_cli()
    port, http_port, metrics_port = _free_port(), _free_port(), _free_port()
    address = f"127.0.0.1:{port}"
    log = work_dir / "devserver.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                cli, "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(port),
                "--http-port", str(http_port), "--metrics-port", str(metrics_port),
                "--log-level", "warn", "--disable-config-file", "--disable-config-env",
                "--search-attribute", "CustomKeywordField=Keyword", "--search-attribute", "CustomTextField=Text",
                "--search-attribute", "CustomIntField=Int", "--search-attribute", "CustomDoubleField=Double",
                "--search-attribute", "CustomBoolField=Bool", "--search-attribute", "CustomDatetimeField=Datetime",
                "--search-attribute", "CustomKeywordListField=KeywordList",
            ],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not _frontend_ready(address):
            if proc.poll() is not None:
                pytest.fail(f"the Temporal dev server exited with {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"the Temporal dev server did not answer within 90s:\n{_tail(log)}")
            time.sleep(0.1)
        yield DevServer(address=address, proc=proc, log=log)
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


@pytest.fixture(scope="session")
def sidecar_binary(work_dir: Path) -> Path:
    prebuilt = os.environ.get("TEMPORAL_SIDECAR_BINARY")
    if prebuilt:
        # A sidecar built elsewhere (for example from another checkout).
        if not (os.path.isfile(prebuilt) and os.access(prebuilt, os.X_OK)):
            pytest.fail(f"TEMPORAL_SIDECAR_BINARY={prebuilt} is not an executable file")
        return Path(prebuilt)
    go = os.environ.get("GO") or shutil.which("go")
    if go is None:
        pytest.fail("go is not on PATH (needed to build the sidecar): install Go 1.26 or set GO")
    out = work_dir / "sidecar"
    res = subprocess.run(
        [go, "build", "-o", str(out), "./cmd/sidecar"], cwd=REPO_ROOT, capture_output=True, text=True
    )
    if res.returncode != 0:
        pytest.fail(f"go build ./cmd/sidecar failed:\n{res.stdout}\n{res.stderr}")
    return out


@dataclass
class Sidecar:
    """One sidecar process for one task queue, restartable on the same socket."""

    binary: Path
    frontend: str
    task_queue: str
    socket_path: Path
    log: Path
    extra_args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def target(self) -> str:
        return f"unix://{self.socket_path}"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "the sidecar is already running"
        self.starts += 1
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(self.binary), "--address", self.frontend, "--namespace", NAMESPACE,
                    "--task-queue", self.task_queue, "--bridge-listen", f"unix:{self.socket_path}",
                    "--http-listen", "", "--log-level", "debug", *self.extra_args,
                ],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        # The socket exists once the listener is open; connections queue until Serve runs.
        while not (self.socket_path.exists() and self._log_says("sidecar ready")):
            if self.proc.poll() is not None:
                raise RuntimeError(f"the sidecar exited with {self.proc.returncode}:\n{_tail(self.log)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the sidecar did not start within 30s:\n{_tail(self.log)}")
            time.sleep(0.02)

    def _log_says(self, text: str) -> bool:
        # Count the occurrences so a restart waits for its own line.
        try:
            n = self.log.read_text(errors="replace").count(text)
        except OSError:
            return False
        return n >= self.starts

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM (graceful drain), then wait for the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: a crash. The stale socket file stays; the next start replaces it."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


SidecarFactory = Callable[..., Sidecar]


@pytest.fixture
def sidecar_factory(dev_server: DevServer, sidecar_binary: Path, work_dir: Path) -> Iterator[SidecarFactory]:
    """Starts a sidecar for a task queue: ``sidecar_factory(task_queue, *extra_args)``."""
    started: list[Sidecar] = []

    def make(task_queue: str, *extra_args: str) -> Sidecar:
        name = uuid.uuid4().hex[:10]
        sc = Sidecar(
            binary=sidecar_binary,
            frontend=dev_server.address,
            task_queue=task_queue,
            socket_path=work_dir / f"{name}.sock",
            log=work_dir / f"sidecar-{name}.log",
            extra_args=list(extra_args),
        )
        started.append(sc)
        sc.start()
        return sc

    yield make
    for sc in started:
        sc.stop()


@pytest.fixture
def task_queue(request: pytest.FixtureRequest) -> str:
    return f"{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def client(dev_server: DevServer) -> temporalio.client.Client:
    return await temporalio.client.Client.connect(dev_server.address, namespace=NAMESPACE)


@dataclass
class Env:
    """What a test needs: a sidecar for its own task queue, a connection to it,
    a Temporal client, and a temporalio worker running the test workflows
    (workflows only) on the same task queue."""

    client: temporalio.client.Client
    task_queue: str
    sidecar: Sidecar
    connection: Connection


@pytest.fixture
async def env(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory
) -> AsyncIterator[Env]:
    sc = sidecar_factory(task_queue)
    conn = await Connection.connect(sc.target)
    async with temporalio.worker.Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        disable_eager_activity_execution=True,
    ):
        try:
            yield Env(client=client, task_queue=task_queue, sidecar=sc, connection=conn)
        finally:
            await conn.close()
            # Stop the sidecar while the event loop still runs: grpc.aio needs
            # it to finish closing the channel, or the sidecar's graceful stop
            # waits a second for the connection.
            await asyncio.get_running_loop().run_in_executor(None, sc.stop)


@dataclass
class WfEnv:
    """What a workflow test needs: a sidecar for its own task queue, a
    connection and a Client through it, and a temporalio client straight to
    the dev server (an independent driver and observer). No worker runs yet:
    the test starts the sidecar-side Worker with the workflows it needs."""

    temporal: temporalio.client.Client
    client: Client
    connection: Connection
    sidecar: Sidecar
    task_queue: str
    dev_server: DevServer


WfEnvFactory = Callable[..., "contextlib.AbstractAsyncContextManager[WfEnv]"]


@pytest.fixture
def wf_env_factory(
    client: temporalio.client.Client, task_queue: str, sidecar_factory: SidecarFactory, dev_server: DevServer
) -> WfEnvFactory:
    """``async with wf_env_factory(*sidecar_args) as env``: a WfEnv whose
    sidecar runs with extra flags (for example ``--max-cached-workflows 0``)."""

    @contextlib.asynccontextmanager
    async def make(*extra_args: str) -> AsyncIterator[WfEnv]:
        sc = sidecar_factory(task_queue, *extra_args)
        conn = await Connection.connect(sc.target)
        try:
            yield WfEnv(
                temporal=client,
                client=Client(conn),
                connection=conn,
                sidecar=sc,
                task_queue=task_queue,
                dev_server=dev_server,
            )
        finally:
            await conn.close()
            await asyncio.get_running_loop().run_in_executor(None, sc.stop)

    return make


@pytest.fixture
async def wf_env(wf_env_factory: WfEnvFactory) -> AsyncIterator[WfEnv]:
    async with wf_env_factory() as env:
        yield env

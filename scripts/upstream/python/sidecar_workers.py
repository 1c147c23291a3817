"""pytest plugin (``-p sidecar_workers``) that puts every temporalio ``Worker``
of temporalio/sdk-python's own test suite on the sidecar, through the adapter
(``temporal_sidecar.sdk.SidecarPlugin``), without touching the upstream tests.

``$UPSTREAM_WORKERS``:

* ``sidecar``: every ``temporalio.worker.Worker`` gets the adapter's plugin as
  a worker plugin (unless its client or its own plugins already carry one), so
  its polls, cache and history run in the sidecar at
  ``$TEMPORAL_SIDECAR_ADDRESS``. The clients are left as the suite makes them;
  the harness points ``--workflow-environment`` at the sidecar's
  WorkflowService proxy, so they go through the sidecar too.
* ``native``: workers are left on temporalio's Rust core (the baseline).

Either way each test records how many of its workers ran on the sidecar and
how many natively (JUnit properties ``workers_sidecar``/``workers_native``),
so the report can show that no worker escaped the sidecar.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

_mode = os.environ.get("UPSTREAM_WORKERS", "sidecar")
if _mode == "sidecar":
    # First, as an app adding the plugin would: the adapter sets gRPC's
    # process-wide options (GRPC_ENABLE_FORK_SUPPORT) before grpc is imported.
    import temporal_sidecar.sdk  # noqa: F401

import pytest  # noqa: E402
import temporalio.worker  # noqa: E402

_counts = {"sidecar": 0, "native": 0}
_plugin: Any = None


def _is_sidecar(worker: temporalio.worker.Worker) -> bool:
    from temporal_sidecar.sdk._core_worker import CoreWorker

    ref = getattr(getattr(worker, "_bridge_worker", None), "_ref", None)
    return isinstance(ref, CoreWorker)


def _install() -> None:
    global _plugin
    Worker = temporalio.worker.Worker
    original_run = Worker._run

    @functools.wraps(original_run)
    async def _run(self: temporalio.worker.Worker) -> None:
        _counts["sidecar" if _is_sidecar(self) else "native"] += 1
        await original_run(self)

    Worker._run = _run  # type: ignore[method-assign]

    if _mode != "sidecar":
        return

    from temporal_sidecar.sdk import SidecarPlugin

    _plugin = SidecarPlugin()  # $TEMPORAL_SIDECAR_ADDRESS
    original_init = Worker.__init__

    @functools.wraps(original_init)
    def __init__(self: temporalio.worker.Worker, client: Any, **kwargs: Any) -> None:
        plugins = list(kwargs.get("plugins") or [])
        from_client = [p for p in client.config().get("plugins", []) if isinstance(p, SidecarPlugin)]
        if not from_client and not any(isinstance(p, SidecarPlugin) for p in plugins):
            plugins.append(_plugin)
        kwargs["plugins"] = plugins
        original_init(self, client, **kwargs)

    Worker.__init__ = __init__  # type: ignore[method-assign]


def _bound_selector_waits() -> None:
    """Python runs a signal's handler only in the main thread, when that
    thread next runs bytecode. A signal that another thread receives (the
    Rust runtime's, gRPC's) leaves an asyncio loop idle in epoll with no
    timer never noticing it: pytest-timeout's SIGALRM and ^C then do nothing
    and one hung test stops the run. Bounding each epoll wait to a second lets
    the handler run; asyncio just goes round its loop once more."""
    import selectors

    original = selectors.EpollSelector.select

    def select(self: selectors.EpollSelector, timeout: float | None = None) -> Any:
        if timeout is None or timeout < 0 or timeout > 1.0:
            timeout = 1.0
        return original(self, timeout)

    selectors.EpollSelector.select = select  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    if _mode not in ("sidecar", "native"):
        raise pytest.UsageError(f"UPSTREAM_WORKERS must be sidecar or native, not {_mode!r}")
    _bound_selector_waits()
    _install()


def pytest_report_header(config: pytest.Config) -> str:
    where = os.environ.get("TEMPORAL_SIDECAR_ADDRESS", "?")
    if _mode == "sidecar":
        return f"sidecar_workers: every temporalio Worker runs on the sidecar at {where} (temporal_sidecar.sdk)"
    return "sidecar_workers: workers run natively (temporalio's Rust core)"


_start_key = pytest.StashKey[dict[str, int]]()


_watchdog_key = pytest.StashKey[threading.Timer]()
# A test whose forked child hangs (e.g. a Worker used across a fork) blocks
# its parent in a pipe read where pytest-timeout does not reach it: past this
# deadline the children the test forked are killed, so the test fails and the
# run goes on.
_WATCHDOG_S = float(os.environ.get("UPSTREAM_CHILD_DEADLINE", "150"))


def _kill_new_children(before: set[int], name: str) -> None:
    import sys

    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error as err:
        print(f"sidecar_workers: watchdog of {name}: {err}", file=sys.__stderr__, flush=True)
        return
    for child in children:
        if child.pid in before:
            continue
        print(
            f"sidecar_workers: {name} still running after {_WATCHDOG_S:.0f}s: killing its child {child.pid}",
            file=sys.__stderr__,
            flush=True,
        )
        try:
            child.kill()
        except psutil.Error:
            pass


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    import psutil

    item.stash[_start_key] = dict(_counts)
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    timer = threading.Timer(_WATCHDOG_S, _kill_new_children, (before, item.nodeid))
    timer.daemon = True
    timer.start()
    item.stash[_watchdog_key] = timer


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    timer = item.stash.get(_watchdog_key, None)
    if timer is not None:
        timer.cancel()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any:
    report = yield
    if call.when == "teardown":
        start = item.stash.get(_start_key, dict(_counts))
        sc = _counts["sidecar"] - start["sidecar"]
        nat = _counts["native"] - start["native"]
        report.user_properties.append(("workers_sidecar", sc))
        report.user_properties.append(("workers_native", nat))
    return report


"""Runs temporalio/sdk-python's own worker tests against a dev server, with
every Worker on the sidecar (or natively, for the baseline), and writes the
JUnit XML and the report. Started by scripts/upstream-python inside the
harness venv; see that script for the options.

Modes:
  sidecar       clients go through the sidecar's WorkflowService proxy, and
                every Worker runs on the sidecar through temporal_sidecar.sdk
  native-proxy  clients and temporalio's own Rust workers go through the proxy
                (checks the proxy alone)
  native        clients and workers talk to the dev server directly (the
                baseline of /work/shared/UPSTREAM.md)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import harness  # noqa: E402
import report  # noqa: E402
from harness import Proc, free_ports, http_ok, log, wait_until  # noqa: E402

harness.PREFIX = "upstream-python"

MODES = ("sidecar", "native-proxy", "native")

# The dynamic config of upstream's tests/conftest.py (local mode) plus what
# sdk-core adds when it launches a dev server itself (UPSTREAM.md).
DYNAMIC_CONFIG = [
    "system.forceSearchAttributesCacheRefreshOnRead=true",
    "limit.historyCount.suggestContinueAsNew=50",
    "system.enableEagerWorkflowStart=true",
    "frontend.enableExecuteMultiOperation=true",
    "frontend.workerVersioningWorkflowAPIs=true",
    "frontend.workerVersioningDataAPIs=true",
    "system.enableDeploymentVersions=true",
    "frontend.activityAPIsEnabled=true",
    "frontend.enableCancelWorkerPollsOnShutdown=true",
    "component.nexusoperations.recordCancelRequestCompletionEvents=true",
    "activity.enableStandalone=true",
    "activity.startDelayEnabled=true",
    "history.enableChasm=true",
    "history.enableTransitionHistory=true",
    "history.enableCHASMCallbacks=true",
    "history.enableCHASMSignalBacklinks=true",
    "nexusoperation.enableStandalone=true",
    'system.system.refreshNexusEndpointsMinWait="0s"',
    "history.enableSignalWithStartFromWorkflow=true",
    "history.enableUpdateCallbacks=true",
    "frontend.enableServerVersionCheck=false",
    "frontend.enableUpdateWorkflowExecution=true",
    "frontend.enableUpdateWorkflowExecutionAsyncAccepted=true",
]

DEFAULT_TESTS = ["tests/worker", "tests/test_workflow.py"]


async def _system_info(target: str) -> None:
    from temporalio.client import Client

    # Client.connect calls GetSystemInfo: the server (or the proxy in front
    # of it) is ready when that answers.
    await Client.connect(target, namespace="default")


def split_args(argv: list[str], ap: argparse.ArgumentParser) -> tuple[list[str], list[str]]:
    flags = {o for a in ap._actions for o in a.option_strings}
    takes_value = {o for a in ap._actions if a.nargs != 0 for o in a.option_strings}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return argv[:i], argv[i + 1 :]
        name = a.split("=", 1)[0]
        if name not in flags:
            break
        i += 2 if (name in takes_value and "=" not in a) else 1
    return argv[:i], argv[i:]


def main() -> int:
    ap = argparse.ArgumentParser(prog="scripts/upstream-python")
    ap.add_argument("--sdk", required=True, type=Path, help="sdk-python checkout (tests/ and pyproject.toml at 1.31.0)")
    ap.add_argument("--mode", choices=MODES, default="sidecar")
    ap.add_argument("--work", type=Path, required=True, help="logs and JUnit XML go here")
    ap.add_argument("--report", type=Path, default=REPO / "docs" / "upstream-python.md")
    ap.add_argument("--temporal", type=Path, default=REPO / "bin" / "temporal")
    ap.add_argument("--sidecar", type=Path, default=REPO / "bin" / "sidecar")
    ap.add_argument("--timeout", default="120", help="pytest-timeout per test, seconds")
    ap.add_argument("--report-only", action="store_true", help="rewrite the report from the XML files in --work")
    # The harness's own options come first; the rest (tests and any pytest
    # option, e.g. -k EXPR) goes to pytest as it is.
    own, rest = split_args(sys.argv[1:], ap)
    args = ap.parse_args(own)
    args.pytest_args = rest

    sdk = args.sdk.resolve()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        report.write(work, args.report, REPO)
        log(f"report written to {args.report}")
        return 0
    for need in ("tests/conftest.py", "tests/worker", "pyproject.toml"):
        if not (sdk / need).exists():
            log(f"{sdk} has no {need}: pass the root of an sdk-python checkout (git archive 1.31.0 tests pyproject.toml)")
            return 2
    import temporalio.service

    tver = temporalio.service.__version__
    sdk_ver = report.pyproject_version(sdk / "pyproject.toml")
    if sdk_ver != tver:
        log(f"warning: the tests are sdk-python {sdk_ver}, the venv's temporalio is {tver}")

    def is_test_path(a: str) -> bool:
        try:
            return not a.startswith("-") and (sdk / a.split("::")[0]).exists()
        except OSError:  # e.g. a long -k expression is no path ("File name too long")
            return False

    tests = [a for a in args.pytest_args if is_test_path(a)]
    select = args.pytest_args if tests else DEFAULT_TESTS + args.pytest_args
    junit = work / f"junit-{args.mode}.xml"
    meta_file = work / f"run-{args.mode}.json"
    for f in (junit, meta_file):
        f.unlink(missing_ok=True)

    # temporalio's tests make a Worker on a fresh queue per test (some reuse
    # one, e.g. "tq"): serve them all, and stop polling a queue as soon as its
    # last worker left, as temporalio's own worker does at shutdown. (With a
    # longer idle timeout the sidecar keeps polling a queue no app serves, and
    # takes the next test's first workflow task before that test's worker
    # registers: see docs/upstream-python.md.)
    queue_flags = os.environ.get("UPSTREAM_SIDECAR_FLAGS", "--task-queue-idle-timeout 0s --task-handback-grace 0s").split()
    procs: list[Proc] = []
    started = time.monotonic()
    rc = None
    try:
        grpc_port, http_port, metrics_port, bridge_port, sc_http_port = free_ports(5)
        server_addr = f"127.0.0.1:{grpc_port}"
        argv = [
            str(args.temporal), "server", "start-dev", "--headless",
            "--ip", "127.0.0.1", "--port", str(grpc_port), "--http-port", str(http_port),
            "--metrics-port", str(metrics_port), "--log-level", "warn",
            "--disable-config-file", "--disable-config-env",
        ]  # fmt: skip
        for dc in DYNAMIC_CONFIG:
            argv += ["--dynamic-config-value", dc]
        server = Proc("dev server", argv, work / f"server-{args.mode}.log")
        procs.append(server)
        wait_until(f"dev server {server_addr} (GetSystemInfo)", lambda: asyncio.run(_system_info(server_addr)), procs, 90)

        env = dict(os.environ)
        env_addr = server_addr
        if args.mode != "native":
            bridge = f"127.0.0.1:{bridge_port}"
            argv = [
                str(args.sidecar), "--config-file=", "--address", server_addr, "--namespace", "default",
                "--bridge-listen", bridge, "--workflow-service-proxy",
                # The tests act on the cluster as a native client may (Nexus
                # endpoints, other namespaces).
                "--workflow-service-proxy-unconfined",
                "--http-listen", f"127.0.0.1:{sc_http_port}",
                "--max-task-queues", "100000",
                *queue_flags,
            ]  # fmt: skip
            sidecar = Proc("sidecar", argv, work / f"sidecar-{args.mode}.log")
            procs.append(sidecar)
            wait_until("sidecar /healthz", lambda: http_ok(f"http://127.0.0.1:{sc_http_port}/healthz"), procs, 30)
            wait_until(f"sidecar proxy {bridge} (GetSystemInfo)", lambda: asyncio.run(_system_info(bridge)), procs, 30)
            env_addr = bridge
            env["TEMPORAL_SIDECAR_ADDRESS"] = bridge
        env["UPSTREAM_WORKERS"] = "sidecar" if args.mode == "sidecar" else "native"
        env["PYTHONPATH"] = os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)

        cmd = [
            sys.executable, "-m", "pytest", "-p", "sidecar_workers", "-p", "no:cacheprovider",
            f"--workflow-environment={env_addr}", "--timeout", args.timeout,
            f"--junit-xml={junit}", "-o", "junit_logging=no",
            "--reruns", "3", "--only-rerun", "RuntimeError: Failed validating workflow",
            "-rfE", "--tb=native", *select,
        ]  # fmt: skip
        log(f"running in {sdk}: {' '.join(cmd)}")
        pytest_log = work / f"pytest-{args.mode}.log"
        with open(pytest_log, "wb") as out:
            p = subprocess.Popen(cmd, cwd=sdk, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

            def tee() -> None:
                assert p.stdout is not None
                for line in p.stdout:
                    out.write(line)
                    out.flush()
                    sys.stdout.buffer.write(line)
                    sys.stdout.flush()

            # A process the tests forked may outlive pytest holding its
            # stdout: wait for pytest, not for the end of its output.
            reader = threading.Thread(target=tee, daemon=True)
            reader.start()
            rc = p.wait()
            reader.join(10)
        log(f"pytest exited with {rc} (read the XML, not the exit code: the interpreter may abort at exit)")
        for proc in procs:
            proc.check_alive()
    finally:
        for proc in reversed(procs):
            proc.stop()
        meta = {
            "mode": args.mode,
            "selection": select,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "duration_s": round(time.monotonic() - started),
            "temporalio": tver,
            "sdk_python_tests": sdk_ver,
            "python": sys.version.split()[0],
            "pytest_rc": rc,
            "sidecar_commit": report.git_describe(REPO),
            "sidecar_flags": queue_flags if args.mode != "native" else [],
        }
        meta_file.write_text(json.dumps(meta, indent=2) + "\n")
    if not junit.exists():
        log(f"pytest wrote no {junit}")
        return 1
    report.write(work, args.report, REPO)
    log(f"report written to {args.report}; JUnit XML in {junit}")
    summary = report.load(work, args.mode)
    print(f"{args.mode}: {summary.passed} passed, {summary.failed} failed, {summary.skipped} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())

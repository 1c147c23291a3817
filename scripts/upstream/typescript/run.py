"""Runs temporalio/sdk-typescript's own workflow and activity integration tests
(packages/test) against a dev server, with every Worker on the sidecar through the
adapter (or natively, for the baseline), and writes docs/upstream-typescript.md.
Started by scripts/upstream-typescript; see that script for the options.

Modes:
  sidecar  every Worker.create is SidecarWorker.create (preload.cjs); the tests'
           clients and connections go to the sidecar's WorkflowService proxy
  native   @temporalio/worker's own sdk-core workers, straight to the dev server
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import harness  # noqa: E402
import report  # noqa: E402
import setup  # noqa: E402
from harness import Proc, free_ports, http_ok, log, wait_until  # noqa: E402

harness.PREFIX = "upstream-typescript"

MODES = ("sidecar", "native")

# What sdk-typescript's CI starts its dev server with (.github/workflows/ci.yml at
# v1.22.0), and the search attributes its test-helpers register on a local server.
DYNAMIC_CONFIG = [
    "system.enableActivityEagerExecution=true",
    "history.enableRequestIdRefLinks=true",
    "frontend.activityAPIsEnabled=true",
    "activity.enableStandalone=true",
    "activity.startDelayEnabled=true",
    'activity.longPollTimeout="5000ms"',
    "history.enableChasm=true",
    "history.enableTransitionHistory=true",
]
SEARCH_ATTRIBUTES = [
    "CustomIntField=Int",
    "CustomBoolField=Bool",
    "CustomKeywordField=Keyword",
    "CustomTextField=Text",
    "CustomDatetimeField=Datetime",
    "CustomDoubleField=Double",
]

# The workflow and activity integration tests (issue 14): every test-integration-*
# file, plus the local-activity and async-completion suites, which run real workers.
DEFAULT_TESTS = ["test-integration-*.js", "test-local-activities.js", "test-async-completion.js"]


def system_info(temporal: Path, addr: str) -> None:
    # GetSystemInfo: the server (or the proxy in front of it) is ready when it answers.
    subprocess.run(
        [str(temporal), "operator", "cluster", "system", "--address", addr, "--disable-config-file",
         "--disable-config-env", "-o", "json"],
        check=True, capture_output=True, timeout=10,
    )  # fmt: skip


def wait_ava(p: Proc, tap: Path, deadline_s: float, grace_s: float) -> tuple[int | None, bool]:
    """Waits for one ava run: until it exits, or its deadline passes, or it printed its
    TAP plan (every test reported) or hit its own inactivity timeout and then did not
    exit within grace_s (a test process held open by handles the tests left)."""
    end = time.monotonic() + deadline_s
    planned_at: float | None = None
    while True:
        rc = p.wait(1.0)  # bounded wait: also the poll interval for the plan line
        if rc is not None:
            return rc, False
        now = time.monotonic()
        if now >= end:
            return None, False
        if planned_at is None:
            text = tap.read_text(errors="replace")
            # The plan line (every test reported), or ava's inactivity timeout, after which
            # ava waits for the test process to exit, which it may never do.
            if re.search(r"^1\.\.\d+$", text, re.M) or "no new tests completed within the last" in text:
                planned_at = now
        if planned_at is not None and now - planned_at >= grace_s:
            return None, True


def select_files(test_dir: Path, patterns: list[str]) -> list[str]:
    files: list[str] = []
    for pat in patterns:
        pat = pat.removeprefix("lib/").removeprefix("src/")
        pat = re.sub(r"\.ts$", ".js", pat)
        if not pat.endswith(".js"):
            pat += ".js"
        hits = sorted(p.name for p in (test_dir / "lib").glob(pat))
        if not hits:
            raise SystemExit(f"no packages/test/lib/{pat}")
        files += [h for h in hits if h not in files]
    return files


def main() -> int:
    ap = argparse.ArgumentParser(prog="scripts/upstream-typescript")
    ap.add_argument("--sdk", required=True, type=Path, help="sdk-typescript checkout (git archive v1.22.0)")
    ap.add_argument("--mode", choices=MODES, default="sidecar")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--report", type=Path, default=REPO / "docs" / "upstream-typescript.md")
    ap.add_argument("--temporal", type=Path, default=REPO / "bin" / "temporal")
    ap.add_argument("--sidecar", type=Path, default=REPO / "bin" / "sidecar")
    ap.add_argument("--file-deadline", type=float, default=900, help="seconds one test file may take")
    ap.add_argument("--exit-grace", type=float, default=30, help="seconds ava may take to exit after its last test")
    ap.add_argument("--match", action="append", default=[], help="ava --match (repeatable)")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--skip-setup", action="store_true")
    ap.add_argument("tests", nargs="*", help=f"test files of packages/test (globs; default {' '.join(DEFAULT_TESTS)})")
    args = ap.parse_args()

    sdk = args.sdk.resolve()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        report.write(work, args.report, REPO)
        log(f"report written to {args.report}")
        return 0
    for need in ("packages/test/src", "packages/test-helpers/src", "pnpm-lock.yaml"):
        if not (sdk / need).exists():
            log(f"{sdk} has no {need}: pass the root of an sdk-typescript checkout (git archive v1.22.0)")
            return 2
    if not args.skip_setup:
        setup.setup(sdk, work)
    test_dir = sdk / "packages" / "test"
    files = select_files(test_dir, args.tests or DEFAULT_TESTS)
    sdk_version = json.loads((test_dir / "package.json").read_text())["version"]
    worker_version = json.loads((work / "node_modules/@temporalio/worker/package.json").read_text())["version"]

    out_dir = work / f"results-{args.mode}"
    out_dir.mkdir(exist_ok=True)
    for f in out_dir.glob("*"):
        f.unlink()
    sidecar_flags = os.environ.get(
        "UPSTREAM_SIDECAR_FLAGS", "--task-queue-idle-timeout 0s --task-handback-grace 0s"
    ).split()
    # SIGTERM (make's, or a stop by hand) unwinds like ^C: the finally below stops the
    # server, the sidecar and ava, and records the files that ran.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    procs: list[Proc] = []
    started = time.monotonic()
    per_file: list[dict] = []
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
        for sa in SEARCH_ATTRIBUTES:
            argv += ["--search-attribute", sa]
        server = Proc("dev server", argv, out_dir / "server.log")
        procs.append(server)
        wait_until(f"dev server {server_addr} (GetSystemInfo)", lambda: system_info(args.temporal, server_addr), procs, 90)

        env = dict(os.environ)
        env.pop("NODE_OPTIONS", None)
        env["RUN_INTEGRATION_TESTS"] = "true"
        env.setdefault("TEST_LOG_LEVEL", "ERROR")
        target = server_addr
        node_args = []
        if args.mode == "sidecar":
            bridge = f"127.0.0.1:{bridge_port}"
            argv = [
                str(args.sidecar), "--config-file=", "--address", server_addr, "--namespace", "default",
                "--bridge-listen", bridge, "--workflow-service-proxy",
                # The tests act on the cluster as a native client may (Nexus
                # endpoints, other namespaces).
                "--workflow-service-proxy-unconfined",
                "--http-listen", f"127.0.0.1:{sc_http_port}",
                "--max-task-queues", "100000",
                *sidecar_flags,
            ]  # fmt: skip
            sidecar = Proc("sidecar", argv, out_dir / "sidecar.log")
            procs.append(sidecar)
            wait_until("sidecar /healthz", lambda: http_ok(f"http://127.0.0.1:{sc_http_port}/healthz"), procs, 30)
            wait_until(f"sidecar proxy {bridge} (GetSystemInfo)", lambda: system_info(args.temporal, bridge), procs, 30)
            target = bridge
            env["TEMPORAL_SIDECAR_ADDRESS"] = bridge
            env["UPSTREAM_TS_MODULES"] = str(work)
            node_args = [f"--node-arguments=--require={HERE / 'preload.cjs'}"]
        # test-helpers' existing-server modes: TEMPORAL_SERVICE_ADDRESS drops the test's client
        # options (the multi-codec tests' data converter), the env-config one keeps them.
        env["TEMPORAL_TEST_ENV_CONFIG_SERVER"] = "true"
        env["TEMPORAL_ADDRESS"] = target
        env["TEMPORAL_NAMESPACE"] = "default"
        env["TEMPORAL_SERVICE_ADDRESS"] = target

        ava = str(work / "node_modules/.bin/ava")
        for i, name in enumerate(files, 1):
            cmd = [ava, "--tap", *node_args, *[f"--match={m}" for m in args.match], f"lib/{name}"]
            log(f"[{i}/{len(files)}] {name}")
            t0 = time.monotonic()
            if args.mode == "sidecar":
                env["UPSTREAM_TS_COUNTS"] = str(out_dir / f"{name}.workers.jsonl")
            p = Proc(f"ava {name}", cmd, out_dir / f"{name}.tap", cwd=test_dir, env=env)
            procs.append(p)
            rc, lingered = wait_ava(p, out_dir / f"{name}.tap", args.file_deadline, args.exit_grace)
            timed_out = rc is None and not lingered
            if timed_out:
                log(f"{name} ran past {args.file_deadline}s: stopping it")
            if lingered:
                log(f"{name}: ava finished or timed out but did not exit within {args.exit_grace}s: stopping it")
            p.stop(10)
            procs.remove(p)
            per_file.append({"file": name, "rc": p.p.returncode, "deadline": timed_out, "lingered": lingered,
                             "seconds": round(time.monotonic() - t0, 1)})  # fmt: skip
            s = report.parse_tap(name, (out_dir / f"{name}.tap").read_text(errors="replace"))
            log(f"    {s.count('passed')} passed, {s.count('failed')} failed, {s.count('skipped')} skipped "
                f"in {per_file[-1]['seconds']}s")  # fmt: skip
            for proc in procs:
                proc.check_alive()
    finally:
        for proc in reversed(procs):
            proc.stop()
        meta = {
            "mode": args.mode,
            "files": files,
            "match": args.match,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "duration_s": round(time.monotonic() - started),
            "sdk_typescript_tests": sdk_version,
            "temporalio_worker": worker_version,
            "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip(),
            "sidecar_commit": report.git_describe(REPO),
            "sidecar_flags": sidecar_flags if args.mode == "sidecar" else [],
            "per_file": per_file,
        }
        (out_dir / "run.json").write_text(json.dumps(meta, indent=2) + "\n")
    report.write(work, args.report, REPO)
    summary = report.load(work, args.mode)
    log(f"report written to {args.report}; TAP in {out_dir}")
    print(f"{args.mode}: {summary.count('passed')} passed, {summary.count('failed')} failed, "
          f"{summary.count('skipped')} skipped")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

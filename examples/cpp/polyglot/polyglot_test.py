"""The C++ polyglot test: one dev server, one sidecar, the C++ activity
worker and the Python workflow app on one task queue; a workflow started
through the sidecar's client API runs in Python and calls the C++
activities. Exits non-zero on failure.

    .venv/bin/python examples/cpp/polyglot/polyglot_test.py \
        --temporal bin/temporal --sidecar bin/sidecar --worker build/examples-cpp/activity_worker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from temporal_sidecar.client import Client

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(log_dir: str, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = open(os.path.join(log_dir, name + ".log"), "wb")
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True)


def stop(p: subprocess.Popen[bytes], grace: float = 15) -> int | None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def wait_ready(http: str, queue: str, apps: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{http}/readyz", timeout=2) as r:
                last = r.read().decode()
        except Exception as e:  # 503 until ready, refused until it listens
            last = str(e)
        else:
            for q in json.loads(last).get("task_queues", []):
                if q.get("name") == queue and q.get("apps", 0) >= apps:
                    return
        time.sleep(0.2)
    raise SystemExit(f"polyglot: {apps} apps did not register on {queue} within {timeout:g}s (readyz: {last})")


async def check(bridge: str, queue: str) -> None:
    client = await Client.connect(bridge)
    text = "the sidecar routes by type"
    result = await asyncio.wait_for(
        client.execute_workflow("cpp.polyglot", text, id=f"polyglot-{uuid.uuid4()}", task_queue=queue), 30
    )
    want = {"upper": text.upper(), "words": 5}
    if result != want:
        raise SystemExit(f"polyglot: the workflow returned {result!r}, want {want!r}")
    print(f"polyglot: PASS: the Python workflow called the C++ activities: {result}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--temporal", default="bin/temporal")
    ap.add_argument("--sidecar", default="bin/sidecar")
    ap.add_argument("--worker", default="build/examples-cpp/activity_worker")
    a = ap.parse_args()
    log_dir = tempfile.mkdtemp(prefix="cpp-polyglot-")
    port, http, queue = free_port(), f"127.0.0.1:{free_port()}", "cpp-polyglot"
    bridge = "unix://" + os.path.join(log_dir, "sidecar.sock")
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    ok = False
    try:
        procs.append(("server", start(log_dir, "server", [a.temporal, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                                               "--port", str(port), "--log-level", "warn"])))
        sidecar = start(log_dir, "sidecar", [a.sidecar, "--address", f"127.0.0.1:{port}", "--task-queue", queue,
                                             "--bridge-listen", bridge, "--http-listen", http, "--connect-timeout", "60s",
                                             "--config-file="])
        procs.append(("sidecar", sidecar))
        env = {"TEMPORAL_SIDECAR": bridge, "TASK_QUEUE": queue}
        procs.append(("cpp-worker", start(log_dir, "cpp-worker", [a.worker], env)))
        procs.append(("workflow-app", start(log_dir, "workflow-app", [sys.executable, str(HERE / "workflow_app.py")], env)))
        wait_ready(http, queue, 2, 90)
        asyncio.run(check(bridge, queue))
        ok = True
    finally:
        for name, p in reversed(procs):
            code = stop(p)
            if ok and name != "server" and code != 0:
                print(f"polyglot: FAIL: {name} exited with {code} at shutdown", file=sys.stderr)
                ok = False
        if not ok:
            print(f"polyglot: logs in {log_dir}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

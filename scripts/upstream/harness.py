"""What the upstream harnesses (scripts/upstream/python, scripts/upstream/typescript)
share: free ports, child processes in their own process groups, readiness waits bounded
by deadlines. Each harness sets PREFIX to name itself in the log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PREFIX = "upstream"


def log(msg: str) -> None:
    print(f"{PREFIX}: {msg}", file=sys.stderr, flush=True)


def free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Proc:
    """A child process of the harness, in its own process group, logged to a file."""

    def __init__(self, name: str, argv: list[str], logfile: Path, **kw) -> None:
        self.name = name
        self.logfile = logfile
        self._out = open(logfile, "wb")
        log(f"starting {name}: {' '.join(argv)} (log {logfile})")
        self.p = subprocess.Popen(argv, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True, **kw)

    def check_alive(self) -> None:
        if self.p.poll() is not None:
            tail = self.logfile.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} exited with {self.p.returncode}; end of its log:\n{tail}")

    def wait(self, deadline_s: float) -> int | None:
        try:
            return self.p.wait(deadline_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout: float = 40.0) -> None:
        if self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"{self.name} did not stop within {timeout}s of SIGTERM; killing it")
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        log(f"{self.name} exited with {self.p.returncode}")
        self._out.close()


def wait_until(what: str, check, procs: list[Proc], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    last: BaseException | None = None
    while time.monotonic() < deadline:
        for p in procs:
            p.check_alive()
        try:
            check()
            log(f"{what} is ready")
            return
        except Exception as err:  # noqa: BLE001 - retried until the deadline
            last = err
        time.sleep(0.2)  # poll interval of a readiness loop bounded by the deadline
    raise RuntimeError(f"{what} not ready within {deadline_s}s: {last}")


def http_ok(url: str) -> None:
    with urllib.request.urlopen(url, timeout=2) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{url}: HTTP {resp.status}")

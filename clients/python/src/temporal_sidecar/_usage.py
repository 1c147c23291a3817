"""This process's memory and CPU use, reported to the sidecar (ResourceUsage).

The sidecar's resource-based slot suppliers steer by what apps report, since
in a pod the app's container fills up, not the sidecar's. Measured with the
standard library (``/proc``, ``/sys/fs/cgroup``, :py:mod:`resource`), no
psutil:

* memory: the container's cgroup (v2 ``memory.current`` / ``memory.max``,
  v1 ``memory.usage_in_bytes`` / ``memory.limit_in_bytes``) when it has a
  limit below the machine's memory; else this process's resident set
  (``/proc/self/statm``) against the machine's memory.
* CPU: the cgroup's usage (v2 ``cpu.stat`` ``usage_usec``, v1
  ``cpuacct.usage``) against its quota (``cpu.max``, ``cpu.cfs_quota_us``)
  when it has one; else this process's CPU time (``resource.getrusage``)
  against the CPUs it may run on. Each report covers the time since the
  previous one; the first reports memory only.

Where none of this is readable (not Linux), memory falls back to
``resource``'s peak resident set and CPU to the process's CPU time.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2

#: How often a worker reports; the sidecar counts a report for 10 seconds.
INTERVAL = 1.0

_CGROUP = Path("/sys/fs/cgroup")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _int(path: Path) -> int | None:
    s = _read(path)
    try:
        return int(s) if s is not None else None
    except ValueError:
        return None


def _own_cgroups() -> tuple[Path | None, Path | None, Path | None]:
    """The v2 cgroup directory, and the v1 memory and cpu ones, of this
    process (None where absent)."""
    v2 = mem1 = cpu1 = None
    for line in (_read(Path("/proc/self/cgroup")) or "").splitlines():
        _, controllers, path = line.split(":", 2)
        rel = path.lstrip("/")
        if controllers == "" and (_CGROUP / rel / "memory.current").exists():
            v2 = _CGROUP / rel
        for c in controllers.split(","):
            for name in ("memory", "cpu"):
                if c == name:
                    # Inside a cgroup namespace the mount's root is our own.
                    d = _CGROUP / name / rel
                    found = d if d.is_dir() else _CGROUP / name
                    if name == "memory":
                        mem1 = found
                    else:
                        cpu1 = found
    if v2 is None and (_CGROUP / "memory.current").exists():
        v2 = _CGROUP
    return v2, mem1, cpu1


def _machine_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Sampler:
    """Measures this process (or its container) between reports."""

    def __init__(self) -> None:
        self._v2, self._mem1, self._cpu1 = _own_cgroups()
        self._machine = _machine_memory()
        self._last: tuple[float, float] | None = None  # (wall seconds, CPU seconds)

    def _memory(self) -> tuple[int, int]:
        used = limit = None
        if self._v2 is not None:
            used, max_ = _int(self._v2 / "memory.current"), _read(self._v2 / "memory.max")
            limit = int(max_) if max_ and max_ != "max" else None
        elif self._mem1 is not None:
            used, limit = _int(self._mem1 / "memory.usage_in_bytes"), _int(self._mem1 / "memory.limit_in_bytes")
        if used is not None and limit and (not self._machine or limit < self._machine):
            return used, limit
        statm = _read(Path("/proc/self/statm"))
        if statm is not None:
            rss = int(statm.split()[1]) * os.sysconf("SC_PAGE_SIZE")
        else:  # peak, not current: the best the resource module knows
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
        return rss, self._machine

    def _cpu(self) -> tuple[float, float]:
        """CPU seconds used so far, and how many CPUs may be used."""
        if self._v2 is not None:
            quota = (_read(self._v2 / "cpu.max") or "max").split()
            if quota[0] != "max" and len(quota) == 2:
                stat = dict(line.split() for line in (_read(self._v2 / "cpu.stat") or "").splitlines() if " " in line)
                if "usage_usec" in stat:
                    return int(stat["usage_usec"]) / 1e6, int(quota[0]) / int(quota[1])
        elif self._cpu1 is not None:
            q, p = _int(self._cpu1 / "cpu.cfs_quota_us"), _int(self._cpu1 / "cpu.cfs_period_us")
            acct = _int(self._cpu1 / "cpuacct.usage")  # cpu and cpuacct mounted together, as usual
            if q and q > 0 and p and acct is not None:
                return acct / 1e9, q / p
        ru = resource.getrusage(resource.RUSAGE_SELF)
        return ru.ru_utime + ru.ru_stime, float(_cpus())

    def sample(self) -> bridge_pb2.ResourceUsage:
        used, limit = self._memory()
        now, (cpu_seconds, cpus) = time.monotonic(), self._cpu()
        out = bridge_pb2.ResourceUsage(memory_used_bytes=used, memory_limit_bytes=limit)
        last, self._last = self._last, (now, cpu_seconds)
        if last is None or now <= last[0] or cpus <= 0:
            out.cpu_unknown = True
        else:
            out.cpu_usage = min(max((cpu_seconds - last[1]) / ((now - last[0]) * cpus), 0.0), 1.0)
        return out


async def report(send: Callable[[bridge_pb2.ConnectRequest], Any], interval: float = INTERVAL) -> None:
    """Sends a report now and every interval until cancelled."""
    sampler = Sampler()
    while True:
        u = sampler.sample()
        if u.memory_limit_bytes or not u.cpu_unknown:  # the sidecar refuses a report of nothing
            send(bridge_pb2.ConnectRequest(resource_usage=u))
        await asyncio.sleep(interval)

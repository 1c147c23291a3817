"""Runs the hello example against a sidecar that is already up: starts
worker.py, runs starter.py, prints the workflow's result, stops the worker.

    python run_demo.py --sidecar unix:///tmp/temporal-sidecar.sock --task-queue hello-task-queue

The sidecar must run with that --bridge-listen and --task-queue, in front of a
Temporal server (for example ``temporal server start-dev``). Exits non-zero if
the workflow does not complete within --timeout seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


async def run(sidecar: str, task_queue: str, timeout: float) -> int:
    env = {**os.environ, "TEMPORAL_SIDECAR": sidecar, "TASK_QUEUE": task_queue}
    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(HERE / "worker.py"), cwd=HERE, env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        # Start the workflow only once the worker is registered, so its first
        # workflow task does not reach a sidecar with no app for its type.
        assert worker.stdout is not None
        if not await _started(worker.stdout, timeout):
            print(f"run_demo: worker.py did not start within {timeout:g}s", file=sys.stderr)
            return 1
        echo = asyncio.create_task(_echo(worker.stdout))
        starter = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "starter.py"), cwd=HERE, env=env, stdout=asyncio.subprocess.PIPE
        )
        try:
            out, _ = await asyncio.wait_for(starter.communicate(), timeout)
        except asyncio.TimeoutError:
            starter.kill()
            print(f"run_demo: the workflow did not complete within {timeout:g}s", file=sys.stderr)
            return 1
        print(out.decode().rstrip(), flush=True)
        if starter.returncode != 0:
            print(f"run_demo: starter.py exited with {starter.returncode}", file=sys.stderr)
            return 1
        return 0
    finally:
        if worker.returncode is None:
            worker.send_signal(signal.SIGINT)  # the worker drains and exits
            try:
                await asyncio.wait_for(worker.wait(), 30)
            except asyncio.TimeoutError:
                worker.kill()
                await worker.wait()


async def _started(out: asyncio.StreamReader, timeout: float) -> bool:
    """Echoes the worker's output until it says it started; False if it never does."""

    async def wait() -> bool:
        while line := await out.readline():
            print(line.decode().rstrip(), flush=True)
            if line.startswith(b"Worker started"):
                return True
        return False

    try:
        return await asyncio.wait_for(wait(), timeout)
    except asyncio.TimeoutError:
        return False


async def _echo(out: asyncio.StreamReader) -> None:
    while line := await out.readline():
        print(line.decode().rstrip(), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sidecar", default=os.environ.get("TEMPORAL_SIDECAR", "unix:///tmp/temporal-sidecar.sock"))
    p.add_argument("--task-queue", default=os.environ.get("TASK_QUEUE", "hello-task-queue"))
    p.add_argument("--timeout", type=float, default=60)
    a = p.parse_args()
    sys.exit(asyncio.run(run(a.sidecar, a.task_queue, a.timeout)))


if __name__ == "__main__":
    main()

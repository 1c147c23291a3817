"""The hello example (clients/python/examples/hello) as a user runs it:
run_demo.py starts worker.py and starter.py against a real sidecar."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from conftest import SidecarFactory

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "hello"


async def test_hello_example_runs(task_queue: str, sidecar_factory: SidecarFactory) -> None:
    sc = sidecar_factory(task_queue)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE / "run_demo.py"), "--sidecar", sc.target, "--task-queue", task_queue,
        "--timeout", "30",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    text = out.decode()
    assert proc.returncode == 0, text
    assert "Result: Hello, Temporal!" in text, text

"""The fault suite's independent client (temporalio, straight to the
server): starts a batch of Chaos workflows, or waits for a batch and counts
how it ended. It prints one JSON line.

    client.py start --address A --task-queue Q --prefix P --count N [--first I] --steps S --step-ms MS
    client.py check --address A --prefix P --count N --timeout SECONDS
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError


async def start(c: Client, a: argparse.Namespace) -> dict:
    async def one(i: int) -> None:
        try:
            await c.start_workflow(
                "Chaos", args=[a.steps, a.step_ms], id=f"{a.prefix}-{a.first + i}", task_queue=a.task_queue
            )
        except WorkflowAlreadyStartedError:
            pass  # a retried start: the first got this far


    await asyncio.gather(*(one(i) for i in range(a.count)))
    return {"started": a.count}


async def check(c: Client, a: argparse.Namespace) -> dict:
    """completed: finished with the expected result; lost: not found,
    failed, or finished otherwise; stuck: still running at the timeout."""
    deadline = time.monotonic() + a.timeout
    pending = set(range(a.count))
    out = {"completed": 0, "lost": 0, "stuck": 0, "lost_ids": []}
    while pending:
        for i in sorted(pending):
            wid = f"{a.prefix}-{i}"
            try:
                d = await c.get_workflow_handle(wid).describe()
            except RPCError:
                out["lost"] += 1
                out["lost_ids"].append(wid)
                pending.discard(i)
                continue
            if d.status == WorkflowExecutionStatus.RUNNING:
                continue
            pending.discard(i)
            if d.status == WorkflowExecutionStatus.COMPLETED:
                out["completed"] += 1
            else:
                out["lost"] += 1
                out["lost_ids"].append(f"{wid}:{d.status.name if d.status else '?'}")
        if not pending or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    out["stuck"] = len(pending)
    out["stuck_ids"] = [f"{a.prefix}-{i}" for i in sorted(pending)][:10]
    return out


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("cmd", choices=["start", "check"])
    ap.add_argument("--address", required=True)
    ap.add_argument("--task-queue", default="")
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--first", type=int, default=0, help="start: the index of the first workflow id")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--step-ms", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    c = await Client.connect(a.address)
    res = await (start(c, a) if a.cmd == "start" else check(c, a))
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    # Skip interpreter teardown: temporalio's runtime threads sometimes
    # crash the process as it exits (SIGSEGV, SIGABRT) after the answer
    # was printed.
    sys.stdout.flush()
    os._exit(0)

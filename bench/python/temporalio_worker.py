"""The temporalio contenders of the end-to-end benchmark: a temporalio
(official Temporal Python SDK) worker running the benchmark's workflows
(Chain, TimerSignal; see bench/internal/workloads) and its activity (Echo)
with the same logic as the other contenders. Workflows run in the SDK's
default sandboxed runner unless --unsandboxed.

Natively (the "Python SDK worker (temporalio)" contender) the worker runs on
temporalio's own Rust core against --address. With --sidecar it is the
"sidecar + temporalio (adapter)" contender: the same code, with one change,
the client gets temporal_sidecar.sdk's SidecarPlugin, so its Worker runs on
the sidecar at that bridge address and its client talks to the sidecar's
WorkflowService proxy (--address is then unused).

It prints "ready" on stdout once the worker runs and stops on SIGTERM. Run
it with the repository's .venv/bin/python (temporalio is pinned in
clients/python/requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.common import RetryPolicy
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

COMPLETIONS: list[int] = []


@activity.defn(name="Echo")
async def echo(s: str) -> str:
    COMPLETIONS.append(time.time_ns())
    return s


@workflow.defn(name="Chain")
class Chain:
    @workflow.run
    async def run(self, k: int, input: str) -> str:
        out = input
        for _ in range(k):
            out = await workflow.execute_activity(
                "Echo",
                out,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_attempts=1),
                result_type=str,
            )
        return out


@workflow.defn(name="TimerSignal")
class TimerSignal:
    def __init__(self) -> None:
        self.value: str | None = None

    @workflow.run
    async def run(self, ms: int) -> str:
        await workflow.sleep(timedelta(milliseconds=ms))
        await workflow.wait_condition(lambda: self.value is not None)
        assert self.value is not None
        return self.value

    @workflow.signal(name="go")
    def go(self, value: str) -> None:
        if self.value is None:
            self.value = value


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--address", default="", help="the Temporal frontend (native); unused with --sidecar")
    ap.add_argument(
        "--sidecar",
        default="",
        help="run the Worker on the sidecar at this bridge address (unix:///path or host:port) through "
        "temporal_sidecar.sdk.SidecarPlugin; the sidecar needs --workflow-service-proxy",
    )
    ap.add_argument("--namespace", default="default")
    ap.add_argument("--task-queue", required=True)
    ap.add_argument("--capacity", type=int, default=100, help="max concurrent activities and workflow tasks")
    ap.add_argument("--pollers", type=int, default=2, help="max concurrent activity polls and workflow task polls")
    ap.add_argument("--activities-only", action="store_true")
    ap.add_argument("--unsandboxed", action="store_true", help="run workflows with UnsandboxedWorkflowRunner")
    ap.add_argument("--timeline", default="", help="write the time of every activity completion here at exit")
    a = ap.parse_args()
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="time=%(asctime)s level=%(levelname)s msg=%(message)s"
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    if a.sidecar:
        # The one line a temporalio app changes to run on the sidecar.
        from temporal_sidecar.sdk import SidecarPlugin

        logging.getLogger("temporal_sidecar").setLevel(logging.INFO)
        client = await Client.connect("sidecar", namespace=a.namespace, plugins=[SidecarPlugin(a.sidecar)])
    elif a.address:
        client = await Client.connect(a.address, namespace=a.namespace)
    else:
        ap.error("one of --address and --sidecar is required")
    kwargs = {}
    if a.unsandboxed:
        kwargs["workflow_runner"] = UnsandboxedWorkflowRunner()
    worker = Worker(
        client,
        task_queue=a.task_queue,
        workflows=[] if a.activities_only else [Chain, TimerSignal],
        activities=[echo],
        max_concurrent_activities=a.capacity,
        max_concurrent_workflow_tasks=a.capacity,
        max_concurrent_activity_task_polls=a.pollers,
        max_concurrent_workflow_task_polls=a.pollers,
        **kwargs,
    )
    async with worker:
        print("ready", flush=True)
        await stop.wait()
    print(f"temporalio_worker: answered {len(COMPLETIONS)} activities", file=sys.stderr)
    if a.timeline:
        with open(a.timeline, "w") as f:
            f.writelines(f"{t}\n" for t in COMPLETIONS)


if __name__ == "__main__":
    asyncio.run(main())
    # The worker has shut down and the timeline is written. Skip interpreter
    # finalization: with temporalio 1.35.0 it now and then dies there
    # ("Fatal Python error: PyGILState_Release: thread state ... must be
    # current when releasing", SIGABRT or SIGSEGV), which would show as a
    # failed exit although the worker stopped cleanly.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

# Records temporalio_patched.json: a history made by Temporal's Python SDK with
# workflow.patched(), which the sidecar must replay.
#   python temporalio_patched.py <dev server address> temporalio_patched.json
import asyncio, sys, json
from datetime import timedelta
from temporalio import workflow, activity
from temporalio.client import Client
from temporalio.worker import Worker

@activity.defn(name="greet_v2")
async def greet_v2(name: str) -> str:
    return f"Hello again, {name}"

@workflow.defn(name="PatchedGreeting")
class PatchedGreeting:
    @workflow.run
    async def run(self, name: str) -> str:
        await workflow.sleep(timedelta(milliseconds=100))
        if workflow.patched("use-greeting-v2"):
            return await workflow.execute_activity("greet_v2", name, start_to_close_timeout=timedelta(seconds=10))
        return "old path"

async def main(addr, out):
    client = await Client.connect(addr)
    async with Worker(client, task_queue="rec", workflows=[PatchedGreeting], activities=[greet_v2]):
        h = await client.start_workflow(PatchedGreeting.run, "world", id="patched-rec", task_queue="rec")
        print(await h.result())
        hist = await h.fetch_history()
        open(out, "w").write(hist.to_json())

if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

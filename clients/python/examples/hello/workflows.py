"""The workflow: deterministic orchestration, replayed from history when needed."""

from datetime import timedelta

from temporal_sidecar import workflow  # temporalio: from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities import say_hello


@workflow.defn
class GreetingWorkflow:
    @workflow.run
    async def run(self, name: str) -> str:
        workflow.logger.info("greeting %s", name)
        return await workflow.execute_activity(
            say_hello, name, start_to_close_timeout=timedelta(seconds=10)
        )

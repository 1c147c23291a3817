"""The activity: the only code that talks to the outside world."""

from temporal_sidecar import activity  # temporalio: from temporalio import activity


@activity.defn
async def say_hello(name: str) -> str:
    activity.logger.info("saying hello to %s", name)
    return f"Hello, {name}!"

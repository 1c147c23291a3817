"""workflow.defn(versioning_behavior=...) reaches the worker's registration."""

from __future__ import annotations

from collections.abc import Sequence
from unittest import mock

from temporal_sidecar import workflow
from temporal_sidecar.common import RawValue, VersioningBehavior
from temporal_sidecar.connection import Connection
from temporal_sidecar.proto.sidecar.bridge.v1 import common_pb2
from temporal_sidecar.worker import Worker


@workflow.defn(versioning_behavior=VersioningBehavior.PINNED)
class PinnedWorkflow:
    @workflow.run
    async def run(self) -> None: ...


@workflow.defn
class DefaultBehaviorWorkflow:
    @workflow.run
    async def run(self) -> None: ...


@workflow.defn(dynamic=True, versioning_behavior=VersioningBehavior.AUTO_UPGRADE)
class AutoUpgradeDynamicWorkflow:
    @workflow.run
    async def run(self, args: Sequence[RawValue]) -> None: ...


def test_versioning_behavior_is_registered_per_workflow_type() -> None:
    w = Worker(
        mock.MagicMock(spec=Connection),
        task_queue="q",
        identity="1@test",
        workflows=[PinnedWorkflow, DefaultBehaviorWorkflow, AutoUpgradeDynamicWorkflow],
    )
    reg = w._register_message().register
    assert {r.name: r.versioning_behavior for r in reg.workflows} == {
        "PinnedWorkflow": common_pb2.VERSIONING_BEHAVIOR_PINNED,
        "DefaultBehaviorWorkflow": common_pb2.VERSIONING_BEHAVIOR_UNSPECIFIED,
    }
    assert reg.dynamic_workflow
    assert reg.dynamic_workflow_versioning_behavior == common_pb2.VERSIONING_BEHAVIOR_AUTO_UPGRADE

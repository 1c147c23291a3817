"""Loads the cross-SDK workflows (cross_sdk_workflows.py) for one SDK.

The same source runs under temporalio and under temporal_sidecar: it is
loaded once per SDK, as its own module (``cross_sdk_temporalio``,
``cross_sdk_temporal_sidecar``), importing that SDK's ``workflow`` and
``activity``. temporalio must run these workflows unsandboxed (its sandbox
re-imports workflow modules by name); the cross-SDK tests are about
determinism and history compatibility, not the sandbox.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_BODY = Path(__file__).with_name("cross_sdk_workflows.py")


@dataclass(frozen=True)
class Definitions:
    """One SDK's build of the workflows and activities."""

    workflows: list[type]
    activities: list[Callable[..., Any]]

    def workflow(self, name: str) -> type:
        return next(w for w in self.workflows if w.__name__ == name)


def load(sdk: str, *, changed: bool = False) -> Definitions:
    """The workflows and activities built against ``sdk`` ("temporalio" or
    "temporal_sidecar"); ``changed`` builds the deploy whose TimersAndActivities
    dropped its first timer."""
    name = f"cross_sdk_{sdk}" + ("_changed" if changed else "")
    mod = sys.modules.get(name)
    if mod is None:
        spec = importlib.util.spec_from_file_location(name, _BODY)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        mod.SDK = sdk  # type: ignore[attr-defined]
        mod.CHANGED = changed  # type: ignore[attr-defined]
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return Definitions(workflows=list(mod.WORKFLOWS), activities=list(mod.ACTIVITIES))

"""Which temporalio releases the adapter runs on."""

from __future__ import annotations

import re

import temporalio.service

#: The sidecar's core protocol this adapter speaks (Register.core_protocol_version):
#: sdk-core's message set as temporalio 1.31 to 1.35 ship it.
CORE_PROTOCOL_VERSION = 1

#: The temporalio releases whose language layer the adapter drives, as
#: (major, minor) bounds, both inclusive. 1.31.0 is the newest tag of the public
#: sdk-python snapshot (its tests run through the adapter); 1.35.0 is the
#: release pinned for this repository's tests. Outside the range the seam the
#: adapter replaces (temporalio.bridge.worker.Worker) or sdk-core's messages
#: may have moved, so the adapter refuses instead of failing obscurely later.
SUPPORTED_RANGE = ((1, 31), (1, 35))


class UnsupportedTemporalioVersion(RuntimeError):
    """The installed temporalio is outside the range the adapter supports."""


def temporalio_version() -> str:
    """The installed temporalio's version."""
    return str(temporalio.service.__version__)


def supported_range_text() -> str:
    (lo_major, lo_minor), (hi_major, hi_minor) = SUPPORTED_RANGE
    return f"{lo_major}.{lo_minor}.0 to {hi_major}.{hi_minor}.x"


def check_temporalio_version(version: str | None = None) -> str:
    """Returns the installed temporalio's version, or raises
    :py:class:`UnsupportedTemporalioVersion` when the adapter does not support it."""
    v = temporalio_version() if version is None else version
    m = re.match(r"^(\d+)\.(\d+)", v)
    if m is None:
        raise UnsupportedTemporalioVersion(f"cannot read temporalio's version {v!r}")
    got = (int(m.group(1)), int(m.group(2)))
    lo, hi = SUPPORTED_RANGE
    if not lo <= got <= hi:
        raise UnsupportedTemporalioVersion(
            f"temporalio {v} is not supported by temporal_sidecar.sdk, which runs temporalio "
            f"{supported_range_text()} (sidecar core protocol {CORE_PROTOCOL_VERSION}); "
            f"install a temporalio in that range"
        )
    return v

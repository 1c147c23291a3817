"""``python -m temporal_sidecar.sdk run app.py [args...]`` (or ``run -m
package.module [args...]``): runs an unmodified temporalio app with its
clients and workers on the sidecar named by ``$TEMPORAL_SIDECAR_ADDRESS``
(``$TEMPORAL_SIDECAR_TOKEN`` for its token)."""

from __future__ import annotations

import logging
import runpy
import sys

from temporal_sidecar.sdk import SidecarPlugin, install
from temporal_sidecar.sdk._version import UnsupportedTemporalioVersion

_USAGE = """usage: python -m temporal_sidecar.sdk run (app.py | -m module) [args...]

Runs a temporalio app unchanged, its Client.connect calls going to the sidecar
at $TEMPORAL_SIDECAR_ADDRESS (default unix:///tmp/temporal-sidecar.sock) and
its workers running there. $TEMPORAL_SIDECAR_TOKEN is the sidecar's bridge
token, if it has one."""


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "run" or (argv[1] == "-m" and len(argv) < 3):
        print(_USAGE, file=sys.stderr)
        return 2
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        install(SidecarPlugin())
    except UnsupportedTemporalioVersion as err:
        print(f"temporal_sidecar.sdk: {err}", file=sys.stderr)
        return 2
    if argv[1] == "-m":
        sys.argv = [argv[2], *argv[3:]]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv[1:]
        runpy.run_path(argv[1], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

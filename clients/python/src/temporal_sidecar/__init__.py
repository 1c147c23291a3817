"""Python client for the Temporal worker sidecar.

Run Temporal activities in this process while the sidecar polls, throttles
heartbeats and drains; the API mirrors Temporal's Python SDK (``temporalio``):

* :py:mod:`temporal_sidecar.activity` — ``@activity.defn``, ``activity.info()``,
  ``activity.heartbeat()``, cancellation, ``raise_complete_async()``
* :py:mod:`temporal_sidecar.connection` — ``Connection.connect(target)``
* :py:mod:`temporal_sidecar.worker` — ``Worker(connection, task_queue=..., activities=[...])``
* :py:mod:`temporal_sidecar.exceptions` — ``ApplicationError`` and friends
* :py:mod:`temporal_sidecar.converter` — payload, codec and failure conversion

Generated protobuf / gRPC modules live under ``temporal_sidecar.proto``, e.g.
``from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

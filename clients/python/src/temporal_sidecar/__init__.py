"""Python client for the Temporal worker sidecar.

Run Temporal workflows and activities in this process while the sidecar
polls, caches, replays, throttles heartbeats and drains, and drive workflows
through the sidecar's client API; the API mirrors Temporal's Python SDK
(``temporalio``):

* :py:mod:`temporal_sidecar.workflow` — ``@workflow.defn``, ``@workflow.run``,
  signals, queries, updates, ``workflow.execute_activity()``, timers, children...
* :py:mod:`temporal_sidecar.activity` — ``@activity.defn``, ``activity.info()``,
  ``activity.heartbeat()``, cancellation, ``raise_complete_async()``
* :py:mod:`temporal_sidecar.client` — ``Client(connection)``: start, signal,
  query, update, result, cancel, terminate, describe, fetch_history
* :py:mod:`temporal_sidecar.connection` — ``Connection.connect(target)``
* :py:mod:`temporal_sidecar.worker` — ``Worker(connection, task_queue=..., workflows=[...], activities=[...])``,
  ``Replayer(connection, workflows=[...])``
* :py:mod:`temporal_sidecar.nexus` — Nexus operation handlers:
  ``@nexus.workflow_run_operation``, ``nexus.info()`` (services and sync
  operations come from ``nexusrpc``; callers use ``workflow.create_nexus_client``)
* :py:mod:`temporal_sidecar.exceptions` — ``ApplicationError`` and friends
* :py:mod:`temporal_sidecar.converter` — payload, codec and failure conversion
* :py:mod:`temporal_sidecar.service` — ``RPCError``

Generated protobuf / gRPC modules live under ``temporal_sidecar.proto``, e.g.
``from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

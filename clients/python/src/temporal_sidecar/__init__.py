"""Python client stubs for the Temporal sidecar bridge protocol (sidecar.bridge.v1).

Generated protobuf / gRPC modules live under ``temporal_sidecar.proto``, e.g.
``from temporal_sidecar.proto.sidecar.bridge.v1 import bridge_pb2``.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

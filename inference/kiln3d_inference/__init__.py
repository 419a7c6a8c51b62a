"""Kiln3D inference sidecar: gRPC image-to-3D server."""

__version__ = "0.1.0"

"""Fake `nvdiffrast`: found by the trellis2 probe; holds nothing (README.md)."""

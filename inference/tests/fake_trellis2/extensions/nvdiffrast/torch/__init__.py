"""Fake `nvdiffrast.torch`: found by the trellis2 probe; holds nothing (README.md)."""

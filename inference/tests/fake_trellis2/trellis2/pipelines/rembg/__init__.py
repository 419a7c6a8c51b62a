"""Fake `trellis2.pipelines.rembg`."""

from trellis2.pipelines.rembg.BiRefNet import BiRefNet

__all__ = ["BiRefNet"]

"""Fake `o_voxel` (tests only): only `postprocess` is used by the engine."""

from o_voxel import postprocess

__all__ = ["postprocess"]

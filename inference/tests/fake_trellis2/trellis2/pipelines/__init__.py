"""Fake `trellis2.pipelines`."""

from trellis2.pipelines import rembg, samplers
from trellis2.pipelines.trellis2_image_to_3d import Trellis2ImageTo3DPipeline
from trellis2.pipelines.trellis2_texturing import Trellis2TexturingPipeline

__all__ = ["Trellis2ImageTo3DPipeline", "Trellis2TexturingPipeline", "rembg", "samplers"]

"""Fake `trellis2.pipelines.samplers`."""

from trellis2.pipelines.samplers.flow_euler import FlowEulerGuidanceIntervalSampler

__all__ = ["FlowEulerGuidanceIntervalSampler"]

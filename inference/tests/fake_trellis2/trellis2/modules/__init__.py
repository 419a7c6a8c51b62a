"""Fake `trellis2.modules`."""

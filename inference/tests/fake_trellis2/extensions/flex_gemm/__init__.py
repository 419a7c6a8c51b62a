"""Fake `flex_gemm`: found by the trellis2 probe; holds nothing (README.md)."""

"""Fake `flash_attn`: found by the trellis2 probe; holds nothing (README.md)."""

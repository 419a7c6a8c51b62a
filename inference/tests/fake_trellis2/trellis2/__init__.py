"""Fake `trellis2` package (tests only): see ../README.md."""

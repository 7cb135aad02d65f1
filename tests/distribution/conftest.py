"""Fixtures of tests/distribution (see `dist_launch`)."""

from dist_launch import launches

__all__ = ["launches"]

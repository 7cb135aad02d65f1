"""Preprocessing layers: usable inside models and on numpy data."""

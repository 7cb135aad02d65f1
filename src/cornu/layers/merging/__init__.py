"""Merging layers: elementwise merges, `Concatenate` and `Dot`, with functional forms."""

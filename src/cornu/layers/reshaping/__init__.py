"""Reshaping layers: flatten, reshape, permute, repeat, crop, pad, upsample."""

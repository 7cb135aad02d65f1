"""`ContrastLimitedAdaptiveHistogramEqualization`: tile-wise equalization with
a clipped histogram, blended between tiles."""

from __future__ import annotations

import numbers
from typing import Any

import torch

from cornu.layers.preprocessing._color import (
    BaseColorLayer,
    check_positive_int,
    check_value_range,
    rescale,
)


def _symmetric_index(size: int, length: int, device: Any) -> torch.Tensor:
    """Indices `0 .. length - 1` into an axis of `size`, mirrored (edge
    included) past its end."""
    i = torch.arange(length, device=device) % (2 * size)
    return torch.where(i < size, i, 2 * size - 1 - i)


def _tile_mappings(
    x: torch.Tensor, grid_h: int, grid_w: int, clip_limit: float
) -> torch.Tensor:
    """`(b, c, gh, gw, 256)` clipped-histogram equalization tables of the
    tiles of `x` `(b, c, H, W)`, whose sides are whole numbers of tiles."""
    b, c, full_h, full_w = x.shape
    tile_h, tile_w = full_h // grid_h, full_w // grid_w
    area = tile_h * tile_w
    tiles = x.reshape(b, c, grid_h, tile_h, grid_w, tile_w)
    tiles = tiles.permute(0, 1, 2, 4, 3, 5).reshape(b, c, grid_h, grid_w, area)
    levels = tiles.to(torch.int32).clamp(0, 255).to(torch.int64)
    # One bincount fills every tile's histogram: offset each tile's levels.
    count = b * c * grid_h * grid_w
    offsets = torch.arange(count, device=x.device).reshape(b, c, grid_h, grid_w, 1)
    hist = torch.bincount((levels + offsets * 256).flatten(), minlength=count * 256)
    hist = hist.reshape(b, c, grid_h, grid_w, 256).to(torch.float32)
    if clip_limit > 0:
        clipped = hist.clamp(0, float(clip_limit * area / 256.0))
        excess = (hist - clipped).sum(dim=-1, keepdim=True)
        hist = clipped + excess / 256.0
    cdf = hist.cumsum(dim=-1)
    cdf_min = cdf.amin(dim=-1, keepdim=True)
    denominator = area - cdf_min
    denominator = torch.where(denominator == 0, 1.0, denominator)
    return ((cdf - cdf_min) * 255.0 / denominator).clamp(0, 255)


def _neighbours(length: int, tile: int, tiles: int, device: Any) -> tuple[Any, ...]:
    """For each pixel along an axis: the two nearest tile centres (as
    indices into the grid padded by one tile each side) and the weight of
    the second."""
    pos = (torch.arange(length, device=device) - tile / 2.0) / tile + 1.0
    low = pos.floor()
    first = low.clamp(0, tiles + 1).to(torch.int64)
    second = (low + 1.0).clamp(0, tiles + 1).to(torch.int64)
    return first, second, pos - low


def clahe(x: torch.Tensor, grid_h: int, grid_w: int, clip_limit: float) -> torch.Tensor:
    """CLAHE of `x` `(b, c, h, w)` with values in `[0, 255]`."""
    b, c, h, w = x.shape
    tile_h, tile_w = -(-h // grid_h), -(-w // grid_w)
    full_h, full_w = tile_h * grid_h, tile_w * grid_w
    if (full_h, full_w) != (h, w):
        rows = _symmetric_index(h, full_h, x.device)
        cols = _symmetric_index(w, full_w, x.device)
        x = x[:, :, rows][:, :, :, cols]
    mapping = _tile_mappings(x, grid_h, grid_w, clip_limit)
    # Edge tiles repeated once around the grid: border pixels blend a tile
    # with itself.
    ri = (torch.arange(grid_h + 2, device=x.device) - 1).clamp(0, grid_h - 1)
    ci = (torch.arange(grid_w + 2, device=x.device) - 1).clamp(0, grid_w - 1)
    flat = mapping[:, :, ri][:, :, :, ci].flatten()  # (b, c, gh + 2, gw + 2, 256)
    y0, y1, wy = _neighbours(full_h, tile_h, grid_h, x.device)
    x0, x1, wx = _neighbours(full_w, tile_w, grid_w, x.device)
    stride_y = 256 * (grid_w + 2)
    plane = torch.arange(b * c, device=x.device).reshape(b, c, 1, 1)
    base = plane * (stride_y * (grid_h + 2)) + x.clamp(0, 255).to(torch.int64)
    ry0, ry1 = (y0 * stride_y).reshape(-1, 1), (y1 * stride_y).reshape(-1, 1)
    cx0, cx1 = x0 * 256, x1 * 256
    wx, wy = wx.reshape(1, -1), wy.reshape(-1, 1)
    top = flat[base + ry0 + cx0] * (1.0 - wx) + flat[base + ry0 + cx1] * wx
    bottom = flat[base + ry1 + cx0] * (1.0 - wx) + flat[base + ry1 + cx1] * wx
    return (top * (1.0 - wy) + bottom * wy)[:, :, :h, :w]


class ContrastLimitedAdaptiveHistogramEqualization(BaseColorLayer):
    """Equalizes images tile by tile, limiting how much contrast grows.

    Working in `[0, 255]`, each image is cut into a `tile_grid_size` grid
    (mirror-padded to whole tiles); each tile and channel gets a 256-bin
    histogram, clipped at `clip_limit * tile_pixels / 256` with the excess
    spread evenly over all bins, and turned into a mapping by its cumulative
    sum. A pixel's output blends the mappings of the four nearest tile
    centres bilinearly. As in Keras, the layer is deterministic and applies
    in inference too.

    Args:
        value_range: the images' `(low, high)` range (default `(0, 255)`).
        clip_limit: the histogram clip, relative to a flat histogram
            (default `4.0`); `0` or less means no clipping.
        tile_grid_size: `(rows, columns)` of tiles (default `(8, 8)`).
        data_format: `"channels_last"` (default) or `"channels_first"`.

    Call arguments:
        inputs: one image `(h, w, c)` or a batch `(b, h, w, c)`.
        training: ignored: the layer always applies.

    Input shape:
        `(batch, height, width, channels)` or `(height, width, channels)`.

    Output shape:
        The input shape.

    Returns:
        The equalized images, in the input range.

    Example:
    >>> import numpy as np
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1) * 4
    >>> layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    >>> tuple(layer(x).shape)
    (1, 4, 4, 1)
    """

    _draws = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Any = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        name = "ContrastLimitedAdaptiveHistogramEqualization"
        check_value_range(name, value_range)
        self.value_range = value_range
        if not isinstance(clip_limit, numbers.Real) or isinstance(clip_limit, bool):
            raise ValueError(
                f"{name} `clip_limit` must be a number, "
                f"received: clip_limit={clip_limit!r}."
            )
        self.clip_limit: float = clip_limit
        if not (isinstance(tile_grid_size, (tuple, list)) and len(tile_grid_size) == 2):
            raise ValueError(
                f"{name} `tile_grid_size` must be a pair of positive integers, "
                f"received: tile_grid_size={tile_grid_size!r}."
            )
        for size in tile_grid_size:
            check_positive_int(name, "tile_grid_size", size)
        self.tile_grid_size: Any = tile_grid_size

    def call(self, inputs: Any, training: bool | None = True) -> Any:
        return self._apply_always(inputs)

    def _transform(self, images: torch.Tensor, transformation: Any) -> torch.Tensor:
        x = self._as_channels_first(images).float()  # (b, c, h, w)
        grid_h, grid_w = (int(s) for s in self.tile_grid_size)
        x = rescale(x, self.value_range, (0, 255))
        x = clahe(x, grid_h, grid_w, self.clip_limit)
        x = rescale(x, (0, 255), self.value_range)
        return self._from_channels_first(x.to(images.dtype))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("seed")
        return {
            **config,
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        }

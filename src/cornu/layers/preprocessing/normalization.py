"""`Normalization`: standardizes features with a mean and variance (or `adapt`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core.layer import Layer


def _as_numpy(batch: Any) -> np.ndarray:
    if isinstance(batch, (tuple, list)) and batch and not np.isscalar(batch[0]):
        batch = batch[0]  # (x, y) pairs: the features
    if isinstance(batch, torch.Tensor):
        return batch.detach().cpu().numpy()
    return np.asarray(batch)


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per feature.

    `(x - mean) / max(sqrt(variance), epsilon)`, with the statistics given
    as arguments or learned from data with `adapt`. They are kept per
    position on `axis` (the features) and taken over all other axes.

    Args:
        axis: the axis or axes that keep their own statistics (default `-1`);
            `None` for one mean and variance over everything.
        mean: the mean to use, instead of `adapt`.
        variance: the variance to use, with `mean`.
        invert: apply the inverse: `mean + x * sqrt(variance)`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        Any, with known sizes on `axis`.

    Output shape:
        The input shape.

    Example:
    >>> import numpy as np
    >>> layer = Normalization()
    >>> layer.adapt(np.array([[1.0], [3.0]], "float32"))
    >>> layer(np.array([[1.0], [3.0]], "float32")).tolist()
    [[-1.0], [1.0]]
    """

    _given_mean: torch.Tensor
    _given_variance: torch.Tensor

    def __init__(
        self,
        axis: int | tuple[int, ...] | list[int] | None = -1,
        mean: Any = None,
        variance: Any = None,
        invert: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization needs both `mean` and `variance`, or neither; "
                f"received mean={mean!r}, variance={variance!r}."
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "Normalization `mean` and `variance` must have the same shape, "
                    f"received {np.shape(mean)} and {np.shape(variance)}."
                )
            if np.ndim(mean) > len(self.axis):
                raise ValueError(
                    f"Normalization `mean` has rank {np.ndim(mean)}, more than the "
                    f"{len(self.axis)} axes of axis={self.axis}."
                )

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f'Layer "{self.name}" (Normalization) has axis={self.axis}, out of '
                f"range for inputs of shape {tuple(input_shape)}."
            )
        keep = tuple(sorted(a % ndim for a in self.axis))
        if any(input_shape[d] is None for d in keep):
            raise ValueError(
                f'Layer "{self.name}" (Normalization) needs known sizes on '
                f"axis={self.axis}, received shape {tuple(input_shape)}."
            )
        self._keep = keep
        self._reduce = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast = [input_shape[d] if d in keep else 1 for d in range(ndim)]
        self._stats_shape = tuple(input_shape[d] for d in keep)
        self._build_input_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(
                shape=self._stats_shape,
                initializer="zeros",
                trainable=False,
                name="mean",
            )
            self.adapt_variance = self.add_weight(
                shape=self._stats_shape,
                initializer="ones",
                trainable=False,
                name="variance",
            )
            self.count = self.add_weight(
                shape=(),
                dtype="int64",
                initializer="zeros",
                trainable=False,
                name="count",
            )
        else:
            self._set_given_stats()

    def _set_given_stats(self) -> None:
        # Given statistics broadcast against the kept axes, trailing first.
        dtype = self._compute_torch_dtype
        stats = []
        for value in (self.input_mean, self.input_variance):
            t = torch.as_tensor(np.asarray(value), dtype=dtype)
            shape = [1] * len(self._broadcast)
            for i in range(1, t.dim() + 1):
                shape[self._keep[-i]] = t.shape[-i]
            stats.append(t.reshape(shape).expand(self._broadcast).clone())
        self.register_buffer("_given_mean", stats[0], persistent=False)
        self.register_buffer("_given_variance", stats[1], persistent=False)

    def adapt(self, data: Any) -> None:
        """Learns the mean and variance of `data`.

        Args:
            data: a numpy array or tensor, or an iterable of batches (arrays,
                tensors or `(x, y)` pairs); batches are combined exactly.
        """
        if isinstance(data, (np.ndarray, torch.Tensor)):
            batches: Iterable[Any] = [data]
        elif isinstance(data, Iterable):
            batches = data
        else:
            raise TypeError(
                "Normalization.adapt expects an array, a tensor or an iterable of "
                f"batches, received {type(data).__name__}."
            )
        total_mean: np.ndarray | None = None
        total_var: np.ndarray | None = None
        total_count = 0
        for raw in batches:
            batch = _as_numpy(raw).astype("float64")
            if not self.built:
                self.build_from_config({"input_shape": tuple(batch.shape)})
            for d in self._keep:
                if batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(
                        f'Layer "{self.name}" (Normalization) was built for inputs '
                        f"of shape {self._build_input_shape}; adapt() received a "
                        f"batch of shape {batch.shape}."
                    )
            mean = batch.mean(axis=self._reduce)
            var = batch.var(axis=self._reduce)
            count = int(np.prod([batch.shape[d] for d in self._reduce]))
            if total_mean is None or total_var is None:
                total_mean, total_var, total_count = mean, var, count
                continue
            # Chan et al.'s parallel update: exact mean and variance of the union.
            new_count = total_count + count
            w = count / new_count
            new_mean = total_mean * (1 - w) + mean * w
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - w) + (
                var + (mean - new_mean) ** 2
            ) * w
            total_mean, total_count = new_mean, new_count
        if total_mean is None:
            raise ValueError(
                "Normalization.adapt received no data (an empty iterable)."
            )
        if self.input_mean is not None:
            raise ValueError(
                "Normalization.adapt cannot be used on a layer built with `mean` "
                "and `variance`."
            )
        with torch.no_grad():
            self.adapt_mean.copy_(torch.as_tensor(total_mean))
            self.adapt_variance.copy_(torch.as_tensor(total_var))
            self.count.fill_(total_count)

    def _stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.input_mean is not None:
            return self._given_mean, self._given_variance
        return (
            self.adapt_mean.reshape(self._broadcast),
            self.adapt_variance.reshape(self._broadcast),
        )

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        mean, variance = self._stats()
        x = inputs if inputs.dtype is mean.dtype else inputs.to(mean.dtype)
        std = torch.sqrt(variance).clamp(min=config.epsilon())
        if self.invert:
            return mean + x * std
        return (x - mean) / std

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "axis": self.axis,
            "invert": self.invert,
            "mean": np.array(self.input_mean).tolist(),
            "variance": np.array(self.input_variance).tolist(),
        }

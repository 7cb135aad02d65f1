"""`Discretization`: buckets numbers into ranges (bins)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import torch

from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.preprocessing._encoding import OUTPUT_MODES, encode_categorical


def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """A `(2, n)` summary of `values`: every `step`-th sorted value and its weight."""
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1) :: int(step)]
    return np.stack([picked, np.full_like(picked, step)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Resamples a summary at cumulative-weight fractions `epsilon, 2 epsilon, ...`."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    position = cumulative / cumulative[-1]
    bins = np.interp(fractions, position, summary[0])
    weights = np.diff(np.interp(fractions, position, cumulative), prepend=0.0)
    return np.stack((bins, weights)).astype("float32")


class Discretization(Layer):
    """Maps each number to the index of its bin.

    With boundaries `[b0, b1, ...]`, bin 0 is `x < b0`, bin `i` is
    `b[i-1] <= x < b[i]`, and the last is `x >= b[-1]`. Boundaries are given,
    or learned with `adapt` as `num_bins` approximate quantiles (Keras's
    algorithm, to relative accuracy `epsilon`).

    Args:
        bin_boundaries: the sorted boundaries; or `None` with `num_bins`.
        num_bins: the number of bins `adapt` learns.
        epsilon: the quantile accuracy of `adapt` (default 0.01).
        output_mode: `"int"` (default; bin indices), `"one_hot"`,
            `"multi_hot"` or `"count"` (over `len(boundaries) + 1` bins).
        sparse: must be `False`.

    Call arguments:
        inputs: numbers.

    Input shape:
        Any.

    Output shape:
        The input shape for `"int"`; the encodings' shapes otherwise.

    Example:
    >>> import numpy as np
    >>> layer = Discretization(bin_boundaries=[0.0, 1.0])
    >>> layer(np.array([-0.5, 0.0, 0.5, 1.0, 2.0])).tolist()
    [0, 1, 1, 2, 2]
    """

    def __init__(
        self,
        bin_boundaries: Any = None,
        num_bins: int | None = None,
        epsilon: float = 0.01,
        output_mode: str = "int",
        sparse: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"Discretization `output_mode` must be one of {OUTPUT_MODES}, "
                f"received: output_mode={output_mode!r}."
            )
        if sparse:
            raise ValueError("Discretization(sparse=True) is not supported.")
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError(
                "Discretization needs exactly one of `bin_boundaries` and "
                f"`num_bins`; received bin_boundaries={bin_boundaries!r}, "
                f"num_bins={num_bins!r}."
            )
        if num_bins is not None and (not isinstance(num_bins, int) or num_bins < 1):
            raise ValueError(
                "Discretization `num_bins` must be a positive integer, received: "
                f"num_bins={num_bins!r}."
            )
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in bin_boundaries]
            if bin_boundaries != sorted(bin_boundaries):
                raise ValueError(
                    "Discretization `bin_boundaries` must be sorted, received: "
                    f"bin_boundaries={bin_boundaries!r}."
                )
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.autocast = False
        self._summary = np.zeros((2, 0), "float32")

    def adapt(self, data: Any) -> None:
        """Learns `num_bins` quantile bins from `data` (an array, a tensor or
        an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError(
                "Discretization.adapt needs a layer made with `num_bins`, not "
                "`bin_boundaries`."
            )
        if isinstance(data, (np.ndarray, torch.Tensor)) or not isinstance(
            data, Iterable
        ):
            data = [data]
        summary = np.zeros((2, 0), "float32")
        for batch in data:
            if isinstance(batch, torch.Tensor):
                batch = batch.detach().cpu().numpy()
            new = _summarize(np.asarray(batch, "float32"), self.epsilon)
            # The newest summary first, as Keras merges (ties keep its order).
            merged = np.concatenate((new, summary), axis=1)
            merged = merged[:, np.argsort(merged[0])]
            summary = _compress(merged, self.epsilon)
        self._summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs: Any) -> torch.Tensor:
        if self.bin_boundaries is None:
            raise ValueError(
                f'Layer "{self.name}" (Discretization) has no bins yet: call '
                "`adapt` first or pass `bin_boundaries`."
            )
        x = torch.as_tensor(inputs)
        boundaries = torch.tensor(
            self.bin_boundaries, dtype=torch.float64, device=x.device
        )
        # right=True: a value equal to a boundary goes to the bin above it.
        bins = torch.bucketize(x.double(), boundaries, right=True)
        depth = len(self.bin_boundaries) + 1
        if self.output_mode == "int":
            return bins
        return encode_categorical(
            bins, self.output_mode, depth, self._compute_torch_dtype
        )

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if self.output_mode == "int" or self.bin_boundaries is None:
            return shape
        depth = len(self.bin_boundaries) + 1
        if self.output_mode == "one_hot" and (
            not shape or shape[-1] != 1 or len(shape) == 1
        ):
            return (*shape, depth)
        return (*shape[:-1], depth)

    def compute_output_spec(self, inputs: Any) -> Any:
        dtype = "int64" if self.output_mode == "int" else self.compute_dtype
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Discretization:
        # An adapted layer's config has both `num_bins` and the learned
        # `bin_boundaries`; `__init__` takes one, the boundaries are set after.
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if config.get("num_bins") is None:
            config["bin_boundaries"] = boundaries
            return cast(Discretization, super().from_config(config))
        layer = cast(Discretization, super().from_config(config))
        layer.bin_boundaries = boundaries
        return layer

    def get_config(self) -> dict[str, Any]:
        base = super().get_config()
        base.pop("trainable", None)  # Keras's Discretization does not take it
        return {
            **base,
            "bin_boundaries": self.bin_boundaries,
            "num_bins": self.num_bins,
            "epsilon": self.epsilon,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
        }

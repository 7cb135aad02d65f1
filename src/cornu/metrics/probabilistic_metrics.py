"""Probabilistic metrics: running means of cross-entropies, KL and Poisson."""

from __future__ import annotations

from typing import Any

from cornu.metrics.reduction_metrics import _LossMean


class KLDivergence(_LossMean):
    """The mean Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred))`.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = KLDivergence()
    >>> m.update_state([[0.5, 0.5]], [[0.5, 0.5]])
    >>> float(m.result())
    0.0
    """

    _loss = "kl_divergence"

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class Poisson(_LossMean):
    """The mean Poisson deviance term `y_pred - y_true * log(y_pred)`.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.

    Example:
    >>> m = Poisson()
    >>> m.update_state([[0.0, 0.0]], [[1.0, 1.0]])
    >>> float(m.result())
    1.0
    """

    _loss = "poisson"

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)


class BinaryCrossentropy(_LossMean):
    """The mean binary cross-entropy between labels and predictions.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        from_logits: whether predictions are logits.
        label_smoothing: squeezes labels towards 0.5 by this amount.

    Example:
    >>> m = BinaryCrossentropy()
    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
    >>> round(float(m.result()), 4)
    0.6931
    """

    _loss = "binary_crossentropy"

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ) -> None:
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(_LossMean):
    """The mean categorical cross-entropy of one-hot labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        from_logits: whether predictions are logits.
        label_smoothing: mixes labels with the uniform distribution by
            this amount.
        axis: the class axis.

    Example:
    >>> m = CategoricalCrossentropy()
    >>> m.update_state([[0.0, 1.0]], [[0.5, 0.5]])
    >>> round(float(m.result()), 4)
    0.6931
    """

    _loss = "categorical_crossentropy"

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ) -> None:
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(_LossMean):
    """The mean categorical cross-entropy of integer labels.

    Args:
        name: the metric's name.
        dtype: the dtype of the result.
        from_logits: whether predictions are logits.
        ignore_class: a label whose samples count as zero loss.
        axis: the class axis.

    Example:
    >>> m = SparseCategoricalCrossentropy()
    >>> m.update_state([1], [[0.5, 0.5]])
    >>> round(float(m.result()), 4)
    0.6931
    """

    _loss = "sparse_categorical_crossentropy"

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ) -> None:
        super().__init__(
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )

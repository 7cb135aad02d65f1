"""Metric-learning losses over embeddings: Circle loss."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.losses._utils import as_float, as_tensor
from cornu.losses.loss import _BuiltinLoss

Tensor = torch.Tensor


def _pos_neg_masks(
    query_labels: Tensor, key_labels: Tensor, remove_diagonal: bool
) -> tuple[Tensor, Tensor]:
    """Pairs sharing a label (positives) and the other pairs (negatives)."""
    query = query_labels.reshape(-1, 1)
    key = key_labels.reshape(-1, 1)
    positive = query == key.T
    negative = ~positive
    if remove_diagonal:
        eye = torch.eye(
            query.shape[0], key.shape[0], dtype=torch.bool, device=query.device
        )
        positive = positive & ~eye
    return positive, negative


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80.0,
    margin: float = 0.4,
) -> Tensor:
    """Circle loss (Sun et al., 2020) over L2-normalized embeddings.

    Each similarity is weighted by how far it is from its optimum, which
    pulls same-label pairs together and pushes other pairs apart. Samples
    whose loss is 0 are masked out of the reduction, as in Keras.

    Args:
        y_true: Integer labels, shape `(batch_size,)`.
        y_pred: L2-normalized embeddings, shape `(batch_size, dim)`.
        ref_labels: Labels of the reference embeddings. Defaults to `y_true`.
        ref_embeddings: L2-normalized reference embeddings. Defaults to
            `y_pred`.
        remove_diagonal: Whether to drop self-similarities from the
            positives. Defaults to `True`.
        gamma: Scale of the similarities. Defaults to `80`.
        margin: Relaxation factor. Defaults to `0.4`.

    Returns:
        Losses of shape `(batch_size,)`, with a `_keras_mask` of the positive
        ones.

    Example:
    >>> import torch
    >>> emb = torch.nn.functional.normalize(torch.tensor(
    ...     [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]), dim=-1)
    >>> circle(torch.tensor([0, 0, 1, 1]), emb).shape
    torch.Size([4])
    """
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true, y_pred)
    refs = y_pred if ref_embeddings is None else as_tensor(ref_embeddings, y_pred)
    refs = refs.to(y_pred.dtype)
    ref_labels = y_true if ref_labels is None else as_tensor(ref_labels, y_pred)

    distances = (1.0 - y_pred @ refs.T).clamp_min(0.0)
    positive, negative = _pos_neg_masks(y_true, ref_labels, remove_diagonal)
    pos_f = positive.to(distances.dtype)
    neg_f = negative.to(distances.dtype)

    # The optimum is a distance of -margin for positives and 1 + margin for
    # negatives; the decision margins are margin and 1 - margin.
    pos_weights = ((margin + distances) * pos_f).clamp_min(0.0)
    neg_weights = ((1.0 + margin - distances) * neg_f).clamp_min(0.0)
    pos_logits = -gamma * pos_weights * (margin - distances)
    neg_logits = gamma * neg_weights * ((1.0 - margin) - distances)

    neg_inf = float("-inf")
    p_loss = torch.logsumexp(torch.where(positive, pos_logits, neg_inf), dim=1)
    n_loss = torch.logsumexp(torch.where(negative, neg_logits, neg_inf), dim=1)
    loss = F.softplus(p_loss + n_loss)
    loss._keras_mask = loss > 0  # type: ignore[attr-defined]
    return loss


class Circle(_BuiltinLoss):
    """Circle loss between integer labels and L2-normalized embeddings.

    The model should end with a linear layer followed by
    `UnitNormalization`, so that embeddings have unit norm.

    Args:
        gamma: Scale of the similarities. Defaults to `80.0`.
        margin: Relaxation factor. Defaults to `0.4`.
        remove_diagonal: Whether to drop self-similarities from the
            positives. Defaults to `True`.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"circle"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> emb = torch.nn.functional.normalize(torch.tensor(
    ...     [[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]), dim=-1)
    >>> Circle()(torch.tensor([0, 0, 1, 1]), emb).shape
    torch.Size([])
    """

    _integer_labels = True

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str = "circle",
        dtype: Any = None,
    ) -> None:
        super().__init__(
            circle,
            name=name,
            reduction=reduction,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )

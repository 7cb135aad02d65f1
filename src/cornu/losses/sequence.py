"""Sequence losses: CTC (Connectionist Temporal Classification)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.losses._utils import as_float, as_tensor
from cornu.losses.loss import _BuiltinLoss

Tensor = torch.Tensor


def ctc(y_true: Any, y_pred: Any) -> Tensor:
    """CTC loss between padded label sequences and per-step logits.

    Label 0 is the blank and padding: a sequence's length is its number of
    non-zero labels, and every prediction uses all `max_length` steps.

    Args:
        y_true: Integer labels, shape `(batch_size, max_label_length)`,
            padded with 0.
        y_pred: Logits (not softmax-normalized), shape
            `(batch_size, max_length, num_classes)`.

    Returns:
        Negative log-likelihoods of shape `(batch_size,)`.

    Example:
    >>> import torch
    >>> out = ctc(torch.tensor([[1, 2]]), torch.zeros(1, 4, 3))
    >>> out.shape
    torch.Size([1])
    """
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true, y_pred)
    if y_true.ndim != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape "
            "`(batch_size, max_length)` in integer format. "
            f"Received: y_true.shape={tuple(y_true.shape)}"
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            "`(batch_size, max_length, num_classes)`. "
            f"Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    if y_pred.dtype in (torch.float16, torch.bfloat16):
        # As Keras: CTC runs in at least float32.
        y_pred = y_pred.float()
    y_true = y_true.long()
    batch, steps = y_pred.shape[:2]
    input_lengths = torch.full((batch,), steps, dtype=torch.long, device=y_pred.device)
    label_lengths = (y_true != 0).sum(dim=-1)
    log_probs = F.log_softmax(y_pred.transpose(0, 1), dim=-1)  # (T, B, C)
    return F.ctc_loss(
        log_probs, y_true, input_lengths, label_lengths, blank=0, reduction="none"
    )


class CTC(_BuiltinLoss):
    """CTC (Connectionist Temporal Classification) loss.

    Args:
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: Name of the instance. Defaults to `"ctc"`.
        dtype: Dtype of the computation. Defaults to `floatx()`.

    Returns:
        A loss; calling it returns the reduced loss.

    Example:
    >>> import torch
    >>> loss = CTC()
    >>> loss(torch.tensor([[1, 2]]), torch.zeros(1, 4, 3)).shape
    torch.Size([])
    """

    _integer_labels = True

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "ctc",
        dtype: Any = None,
    ) -> None:
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

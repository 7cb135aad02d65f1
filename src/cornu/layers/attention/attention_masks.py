"""Masks and the fused kernel shared by the attention layers."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from cornu.ops.nn import attention_kernels


def large_negative(dtype: torch.dtype) -> float:
    """The logit Keras gives masked positions on its fused path: finite, so a
    fully masked row averages the values instead of producing NaNs."""
    top = 65500.0 if dtype is torch.float16 else 3.38953e38
    return -0.7 * top


def causal_mask(q_len: int, v_len: int, device: torch.device) -> torch.Tensor:
    """`(1, q_len, v_len)`: query `i` sees keys `0..i` (top-left aligned)."""
    return torch.ones(q_len, v_len, dtype=torch.bool, device=device).tril().unsqueeze(0)


def sliding_window_mask(
    q_len: int, v_len: int, window: int, device: torch.device
) -> torch.Tensor:
    """`(1, q_len, v_len)`: query `i` sees keys `j` with `|i - j| < window`."""
    rows = torch.arange(q_len, device=device).view(1, q_len, 1)
    cols = torch.arange(v_len, device=device).view(1, 1, v_len)
    return (rows - cols).abs() < window


def combine_masks(
    q_len: int,
    v_len: int,
    device: torch.device,
    query_mask: Any = None,
    value_mask: Any = None,
    key_mask: Any = None,
    attention_mask: Any = None,
    use_causal_mask: bool = False,
    sliding_window: int | None = None,
) -> torch.Tensor | None:
    """One boolean `(B, q_len, v_len)` mask (or broadcastable), as Keras builds it
    from the query/value/key padding masks, causality, a sliding window and an
    explicit `attention_mask`; None when nothing is masked."""
    mask = None

    def both(a: torch.Tensor | None, b: torch.Tensor) -> torch.Tensor:
        return b if a is None else a & b

    if query_mask is not None:
        mask = torch.as_tensor(query_mask, device=device).bool().unsqueeze(-1)
    if value_mask is not None:
        mask = both(
            mask, torch.as_tensor(value_mask, device=device).bool().unsqueeze(-2)
        )
    if key_mask is not None:
        mask = both(mask, torch.as_tensor(key_mask, device=device).bool().unsqueeze(-2))
    if use_causal_mask:
        mask = both(mask, causal_mask(q_len, v_len, device))
    if sliding_window is not None:
        mask = both(mask, sliding_window_mask(q_len, v_len, sliding_window, device))
    if attention_mask is not None:
        explicit = torch.as_tensor(attention_mask, device=device).bool()
        mask = explicit if mask is None else explicit & mask
    return mask


def attention_mask_for(
    query: torch.Tensor,
    value: torch.Tensor,
    query_mask: Any,
    value_mask: Any,
    key_mask: Any,
    attention_mask: Any,
    use_causal_mask: bool,
    sliding_window: int | None,
) -> tuple[Any, bool]:
    """The combined mask of an attention call, and whether it is causal only.

    A purely causal call needs no mask tensor: the fused kernel takes
    `is_causal=True` instead.
    """
    causal_only = (
        use_causal_mask
        and sliding_window is None
        and all(m is None for m in (query_mask, value_mask, key_mask, attention_mask))
    )
    if causal_only:
        return None, True
    mask = combine_masks(
        query.shape[1],
        value.shape[1],
        query.device,
        query_mask,
        value_mask,
        key_mask,
        attention_mask,
        use_causal_mask,
        sliding_window,
    )
    return mask, False


def masked_softmax(
    scores: torch.Tensor, mask: torch.Tensor | None, axes: tuple[int, ...]
) -> torch.Tensor:
    """Keras's `Softmax` layer with a mask: masked positions get probability 0
    (a fully masked slice is all zeros)."""
    if mask is not None:
        low = -3e4 if scores.dtype is torch.float16 else -1e9
        scores = torch.where(mask, scores, low)
    if len(axes) == 1:
        probs = torch.softmax(scores, dim=axes[0])
    else:
        probs = torch.exp(scores - torch.logsumexp(scores, dim=axes, keepdim=True))
    return probs if mask is None else torch.where(mask, probs, 0.0)


def fused_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float,
    dropout: float = 0.0,
    is_causal: bool = False,
    flash_attention: bool | None = None,
) -> torch.Tensor:
    """`scaled_dot_product_attention` on heads-second inputs `(B, T, N, H)`.

    Masked logits get `large_negative` added, as on Keras's fused path
    (`mask` is broadcast to `(B, N, Tq, Tv)` from `(B, Tq, Tv)`). Key and
    value may have fewer heads than the query (grouped-query attention).
    """
    q, k, v = (t.transpose(1, 2) for t in (query, key, value))  # (B, N, T, H)
    bias = None
    if mask is not None:
        while mask.dim() < 4:
            mask = mask.unsqueeze(-3)
        bias = torch.zeros(mask.shape, dtype=q.dtype, device=q.device)
        bias = bias.masked_fill(~mask, large_negative(q.dtype))
    with attention_kernels(flash_attention):
        out = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=bias,
            dropout_p=dropout,
            is_causal=is_causal and bias is None,
            scale=scale,
            enable_gqa=q.shape[1] != k.shape[1],
        )
    return out.transpose(1, 2)  # (B, Tq, N, H)

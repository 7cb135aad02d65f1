"""`flash_attention` and `keras.config.disable_flash_attention` reach torch's kernel choice."""

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import cornu as keras


@pytest.fixture
def seen(monkeypatch: Any) -> Iterator[list[bool]]:
    """Whether the flash kernel was allowed at each attention call."""
    calls: list[bool] = []
    original = F.scaled_dot_product_attention

    def spy(*args: Any, **kwargs: Any) -> torch.Tensor:
        calls.append(torch.backends.cuda.flash_sdp_enabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(F, "scaled_dot_product_attention", spy)
    yield calls
    keras.config.enable_flash_attention()


@pytest.mark.parametrize("cls", ["MultiHeadAttention", "GroupQueryAttention"])
def test_config_switch_keeps_layers_off_flash(cls: str, seen: list[bool]) -> None:
    kwargs = {"num_heads": 2, "key_dim": 4}
    if cls == "GroupQueryAttention":
        kwargs = {"head_dim": 4, "num_query_heads": 2, "num_key_value_heads": 1}
    layer = getattr(keras.layers, cls)(**kwargs)
    x = torch.randn(2, 5, 6)
    default = layer(x, x)
    keras.config.disable_flash_attention()
    off = layer(x, x)
    keras.config.enable_flash_attention()
    again = layer(x, x)
    assert seen == [True, False, True]
    torch.testing.assert_close(off, default, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(again, default, rtol=1e-5, atol=1e-6)


def test_layer_argument_wins_over_the_automatic_default(seen: list[bool]) -> None:
    layer = keras.layers.MultiHeadAttention(2, 4, flash_attention=False)
    x = np.random.default_rng(0).standard_normal((2, 5, 6)).astype("float32")
    layer(x, x)
    assert seen == [False]


def test_ops_dot_product_attention_honours_the_flag(seen: list[bool]) -> None:
    q = torch.randn(2, 5, 2, 4)
    on = keras.ops.nn.dot_product_attention(q, q, q, flash_attention=True)
    off = keras.ops.nn.dot_product_attention(q, q, q, flash_attention=False)
    assert seen == [True, False]
    torch.testing.assert_close(on, off, rtol=1e-5, atol=1e-6)

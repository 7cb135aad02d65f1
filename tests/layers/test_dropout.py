"""Dropout: harness, statistics against torch.nn.Dropout, seeds, noise shapes."""

from __future__ import annotations

from typing import Any

import pytest
import torch

import cornu as keras
from cornu.layers.regularization.dropout import Dropout


def test_harness(layer_test: Any) -> None:
    layer_test(
        Dropout,
        {"rate": 0.5},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )
    layer_test(
        Dropout,
        {"rate": 0.2, "noise_shape": (None, 1, None), "seed": 3},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
    )


def test_identity_outside_training() -> None:
    x = torch.randn(4, 5)
    layer = Dropout(0.9)
    assert layer(x) is x
    assert layer(x, training=False) is x
    assert Dropout(0.0)(x, training=True) is x


@pytest.mark.parametrize("seed", [None, 7])
def test_statistics_match_torch_dropout(seed: int | None) -> None:
    rate = 0.3
    x = torch.full((200_000,), 2.0)
    y = Dropout(rate, seed=seed)(x, training=True)
    y_ref = torch.nn.Dropout(rate)(x)
    for out in (y, y_ref):
        dropped = (out == 0).float().mean().item()
        assert abs(dropped - rate) < 0.01
        kept = out[out != 0]
        torch.testing.assert_close(kept, torch.full_like(kept, 2.0 / (1 - rate)))
    assert abs(y.mean().item() - y_ref.mean().item()) < 0.02


def test_gradient_flows_through_kept_entries_only() -> None:
    x = torch.ones(1000, requires_grad=True)
    y = Dropout(0.5, seed=1)(x, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() * 2.0)


def test_seeded_layers_are_reproducible_and_draw_anew() -> None:
    x = torch.ones(64)
    a, b = Dropout(0.5, seed=42), Dropout(0.5, seed=42)
    first = a(x, training=True)
    assert torch.equal(first, b(x, training=True))
    assert not torch.equal(first, a(x, training=True))


def test_noise_shape_shares_the_mask() -> None:
    y = Dropout(0.5, noise_shape=(None, 1, None), seed=0)(
        torch.ones(4, 6, 8), training=True
    )
    assert torch.equal(y, y[:, :1, :].expand_as(y))
    assert (y == 0).any() and (y != 0).any()


def test_rate_one_drops_everything() -> None:
    assert (Dropout(1.0)(torch.ones(10), training=True) == 0).all()


def test_training_flag_reaches_dropout_in_a_model() -> None:
    inputs = keras.Input((100,))
    model = keras.Model(inputs, Dropout(0.5)(inputs))
    x = torch.ones(2, 100)
    assert torch.equal(model(x), x)
    assert (model(x, training=True) == 0).any()


@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5"])
def test_bad_rate(rate: Any) -> None:
    with pytest.raises(
        ValueError, match=r"Dropout `rate` must be a number in \[0, 1\]"
    ):
        Dropout(rate)


@pytest.mark.parametrize("noise_shape", ["abc", 3, (2, 0), (2, 1.5)])
def test_bad_noise_shape(noise_shape: Any) -> None:
    with pytest.raises(ValueError, match=r"Dropout `noise_shape` must be"):
        Dropout(0.5, noise_shape=noise_shape)

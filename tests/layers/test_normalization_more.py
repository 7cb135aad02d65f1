"""Group, unit, RMS and spectral normalization: harness, then numerics
against torch.nn (GroupNorm, RMSNorm), numpy formulas and real Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.core.dense import Dense
from cornu.layers.normalization.group_normalization import GroupNormalization
from cornu.layers.normalization.rms_normalization import RMSNormalization
from cornu.layers.normalization.spectral_normalization import SpectralNormalization
from cornu.layers.normalization.unit_normalization import UnitNormalization


def _keras_call(layer: Any, x: np.ndarray, **kwargs: Any) -> np.ndarray:
    return np.asarray(layer(x, **kwargs).detach().cpu())


# -- GroupNormalization -------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,shape",
    [
        ({"groups": 2}, (2, 5, 4)),
        ({"groups": -1}, (2, 3, 3, 6)),
        ({"groups": 3, "axis": 1}, (2, 6, 4, 3)),
        ({"groups": 1, "center": False}, (2, 4, 8)),
    ],
)
def test_group_normalization(layer_test: Any, kwargs: dict, shape: tuple) -> None:
    n_weights = 1 if kwargs.get("center") is False else 2
    layer_test(
        GroupNormalization,
        kwargs,
        input_shape=shape,
        expected_output_shape=shape,
        expected_num_trainable_weights=n_weights,
        supports_masking=True,
    )
    layer = GroupNormalization(
        **kwargs, gamma_initializer="random_normal", beta_initializer="random_normal"
    )
    x = torch.randn(shape, requires_grad=True)
    y = layer(x)
    axis = kwargs.get("axis", -1) % len(shape)
    channels = shape[axis]
    groups = layer.groups
    ref_layer = torch.nn.GroupNorm(groups, channels, eps=1e-3, affine=True)
    with torch.no_grad():
        ref_layer.weight.copy_(layer.gamma)
        ref_layer.bias.copy_(
            layer.beta if layer.beta is not None else torch.zeros(channels)
        )
    ref = ref_layer(x.movedim(axis, 1)).movedim(1, axis)
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)
    (g,) = torch.autograd.grad(y.square().sum() + y.sum(), x)
    (w,) = torch.autograd.grad(ref.square().sum() + ref.sum(), x)
    torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)


def test_group_normalization_matches_keras(keras_oracle: Any) -> None:
    x = np.random.default_rng(0).standard_normal((2, 4, 4, 6)).astype("float32")
    ours = GroupNormalization(groups=3, gamma_initializer="random_normal")
    y = ours(x)
    theirs = keras_oracle.layers.GroupNormalization(groups=3)
    theirs.build(x.shape)
    assert [w.path.split("/")[-1] for w in theirs.weights] == ["gamma", "beta"]
    assert [w.path.split("/")[-1] for w in ours.weights] == ["gamma", "beta"]
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        y.detach().numpy(), _keras_call(theirs, x), rtol=1e-5, atol=1e-5
    )


def test_group_normalization_errors() -> None:
    with pytest.raises(ValueError, match=r"`groups` must be a positive integer or -1"):
        GroupNormalization(groups=0)
    layer = GroupNormalization(groups=4, name="gn_x")
    with pytest.raises(
        ValueError,
        match=r'"gn_x" \(GroupNormalization\) has groups=4, which does not divide the 6',
    ):
        layer(np.zeros((2, 3, 6), "float32"))


# -- UnitNormalization --------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, 1, [1, 2]])
def test_unit_normalization(layer_test: Any, axis: Any) -> None:
    layer_test(
        UnitNormalization,
        {"axis": axis},
        input_shape=(2, 3, 4),
        expected_output_shape=(2, 3, 4),
        expected_num_trainable_weights=0,
        supports_masking=True,
    )
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype("float64")
    ax = tuple(axis) if isinstance(axis, list) else axis
    want = x / np.sqrt((x**2).sum(axis=ax, keepdims=True))
    got = UnitNormalization(axis=axis, dtype="float64")(x).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    xt = torch.from_numpy(x).requires_grad_(True)
    (g,) = torch.autograd.grad(
        UnitNormalization(axis=axis, dtype="float64")(xt).sum(), xt
    )
    dims = list(ax) if isinstance(ax, tuple) else [ax]
    ref_x = xt.detach().clone().requires_grad_(True)
    ref = ref_x / ref_x.square().sum(dim=dims, keepdim=True).sqrt()
    (w,) = torch.autograd.grad(ref.sum(), ref_x)
    torch.testing.assert_close(g, w)


def test_unit_normalization_zero_vector_and_keras(keras_oracle: Any) -> None:
    x = np.array([[0.0, 0.0], [3.0, 4.0]], "float32")
    y = UnitNormalization()(x).numpy()
    np.testing.assert_array_equal(y[0], [0.0, 0.0])
    np.testing.assert_allclose(
        y, _keras_call(keras_oracle.layers.UnitNormalization(), x)
    )


def test_unit_normalization_bad_axis() -> None:
    with pytest.raises(
        TypeError, match=r"UnitNormalization `axis` must be an int or a list"
    ):
        UnitNormalization(axis="last")
    with pytest.raises(
        ValueError, match=r"\(UnitNormalization\) has axis=3, out of range"
    ):
        UnitNormalization(axis=3)(np.ones((2, 3), "float32"))


# -- RMSNormalization ---------------------------------------------------------


@pytest.mark.parametrize("axis", [-1, [-2, -1], 1])
def test_rms_normalization(layer_test: Any, axis: Any) -> None:
    shape = (2, 3, 4)
    layer_test(
        RMSNormalization,
        {"axis": axis},
        input_shape=shape,
        expected_output_shape=shape,
        expected_num_trainable_weights=1,
    )
    layer = RMSNormalization(axis=axis, epsilon=1e-5)
    x = torch.randn(shape, requires_grad=True)
    layer(x)
    with torch.no_grad():
        layer.scale.copy_(torch.randn(layer.scale.shape))
    y = layer(x)
    dims = [a % 3 for a in (axis if isinstance(axis, list) else [axis])]
    bshape = [shape[d] if d in dims else 1 for d in range(3)]
    scale = layer.scale.detach().clone().requires_grad_(True)
    ref = (
        x
        * torch.rsqrt(x.square().mean(dim=dims, keepdim=True) + 1e-5)
        * scale.reshape(bshape)
    )
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-5)
    got = torch.autograd.grad(y.square().sum(), [x, layer.scale])
    want = torch.autograd.grad(ref.square().sum(), [x, scale])
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-4, atol=1e-4)
    if axis == -1:
        torch_rms = torch.nn.RMSNorm(4, eps=1e-5)
        with torch.no_grad():
            torch_rms.weight.copy_(layer.scale)
        torch.testing.assert_close(y, torch_rms(x), rtol=1e-5, atol=1e-5)


def test_rms_normalization_matches_keras(keras_oracle: Any) -> None:
    x = np.random.default_rng(2).standard_normal((2, 5, 6)).astype("float32")
    ours = RMSNormalization()
    ours(x)
    ours.set_weights([np.linspace(0.5, 1.5, 6, dtype="float32")])
    theirs = keras_oracle.layers.RMSNormalization()
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    assert theirs.weights[0].path.split("/")[-1] == ours.weights[0].path.split("/")[-1]
    np.testing.assert_allclose(
        ours(x).detach().numpy(), _keras_call(theirs, x), rtol=1e-5, atol=1e-6
    )
    assert {k: v for k, v in ours.get_config().items() if k in ("axis", "epsilon")} == {
        "axis": -1,
        "epsilon": 1e-6,
    }


# -- SpectralNormalization ----------------------------------------------------


def test_spectral_normalization_harness(layer_test: Any) -> None:
    layer_test(
        SpectralNormalization,
        {"layer": Dense(4), "power_iterations": 2},
        input_shape=(3, 5),
        expected_output_shape=(3, 4),
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=1,
    )


def test_spectral_normalization_numerics_and_keras(keras_oracle: Any) -> None:
    x = np.random.default_rng(3).standard_normal((4, 5)).astype("float32")
    ours = SpectralNormalization(
        Dense(3, bias_initializer="random_normal"), power_iterations=2
    )
    ours(x)
    assert [w.path for w in ours.weights] == [
        f"{ours.name}/{ours.layer.name}/kernel",
        f"{ours.name}/vector_u",
        f"{ours.name}/{ours.layer.name}/bias",
    ]
    kernel0 = ours.layer.kernel.detach().numpy().copy()
    u0 = ours.vector_u.detach().numpy().copy()
    # Outside training the kernel is left alone.
    np.testing.assert_allclose(
        ours(x).detach().numpy(),
        x @ kernel0 + ours.layer.bias.detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    y = ours(x, training=True).detach().numpy()
    # Numpy reference: power iteration, then W / sigma.
    u = u0
    for _ in range(2):
        v = u @ kernel0.T
        v = v / np.linalg.norm(v)
        u = v @ kernel0
        u = u / np.linalg.norm(u)
    sigma = (v @ kernel0 @ u.T).item()
    np.testing.assert_allclose(
        ours.layer.kernel.detach().numpy(), kernel0 / sigma, rtol=1e-5
    )
    np.testing.assert_allclose(ours.vector_u.detach().numpy(), u, rtol=1e-5)
    np.testing.assert_allclose(
        y,
        x @ (kernel0 / sigma) + ours.layer.bias.detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    # Many steps converge to the largest singular value: ~1 afterwards.
    for _ in range(30):
        ours(x, training=True)
    top = np.linalg.svd(ours.layer.kernel.detach().numpy(), compute_uv=False)[0]
    assert abs(top - 1.0) < 1e-3
    # Real Keras from the same starting weights (order kernel, vector_u, bias).
    theirs = keras_oracle.layers.SpectralNormalization(
        keras_oracle.layers.Dense(3), power_iterations=2
    )
    theirs.build(x.shape)
    theirs.set_weights([kernel0, u0, ours.layer.bias.detach().numpy()])
    np.testing.assert_allclose(
        y, _keras_call(theirs, x, training=True), rtol=1e-5, atol=1e-6
    )


def test_spectral_normalization_errors() -> None:
    with pytest.raises(
        ValueError, match=r"`power_iterations` must be a positive integer"
    ):
        SpectralNormalization(Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match=r"`layer` must be a Layer instance"):
        SpectralNormalization("dense")
    sn = SpectralNormalization(UnitNormalization(), name="sn_x")
    with pytest.raises(
        ValueError, match=r'"sn_x" \(SpectralNormalization\) wraps .* no `kernel`'
    ):
        sn(np.ones((2, 3), "float32"))

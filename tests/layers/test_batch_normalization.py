"""BatchNormalization: harness, torch.nn.BatchNorm numerics in training and
inference, moving statistics against Keras's formula and Keras, masks, errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.normalization.batch_normalization import BatchNormalization

ATOL, RTOL = 1e-5, 1e-5


def test_harness(layer_test: Any) -> None:
    for shape in [(4, 3), (4, 5, 6, 3)]:
        layer_test(
            BatchNormalization,
            {"momentum": 0.9},
            input_shape=shape,
            expected_output_shape=shape,
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=2,
            supports_masking=True,
        )
    layer_test(
        BatchNormalization,
        {"axis": 1, "center": False, "scale": False},
        input_shape=(4, 3, 5),
        expected_output_shape=(4, 3, 5),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=2,
    )


def test_weights_in_keras_order(keras_oracle: Any) -> None:
    ours = BatchNormalization()
    ours(torch.zeros(2, 3))
    ref = keras_oracle.layers.BatchNormalization()
    ref(np.zeros((2, 3), "float32"))
    assert [w.name for w in ours.weights] == [w.name for w in ref.weights]
    assert [w.name for w in ours.weights] == [
        "gamma",
        "beta",
        "moving_mean",
        "moving_variance",
    ]
    assert [w.trainable for w in ours.weights] == [True, True, False, False]


def _torch_bn(layer: BatchNormalization, ndim: int) -> torch.nn.Module:
    """torch's BatchNorm with the layer's weights, through the layout map:
    weight = gamma, bias = beta, running stats = moving stats,
    momentum = 1 - Keras momentum."""
    cls = {2: torch.nn.BatchNorm1d, 4: torch.nn.BatchNorm2d}[ndim]
    ref = cls(layer.gamma.shape[0], eps=layer.epsilon, momentum=1 - layer.momentum)
    with torch.no_grad():
        ref.weight.copy_(layer.gamma)
        ref.bias.copy_(layer.beta)
        ref.running_mean.copy_(layer.moving_mean)
        ref.running_var.copy_(layer.moving_variance)
    return ref


@pytest.mark.parametrize("shape", [(16, 3), (4, 5, 6, 3)])
def test_training_matches_torch_batchnorm(shape: tuple[int, ...]) -> None:
    layer = BatchNormalization(
        momentum=0.8,
        gamma_initializer="random_uniform",
        beta_initializer="random_normal",
    )
    x = (torch.randn(shape) * 3 + 1).requires_grad_(True)
    layer(torch.zeros(shape))  # builds; inference leaves the statistics alone
    ref = _torch_bn(layer, len(shape)).train()
    # channels last -> channels first for torch
    to_cf = (lambda t: t) if len(shape) == 2 else (lambda t: t.permute(0, 3, 1, 2))
    x_ref = to_cf(x.detach()).clone().requires_grad_(True)
    y = layer(x, training=True)
    y_ref = ref(x_ref)
    back = (lambda t: t) if len(shape) == 2 else (lambda t: t.permute(0, 2, 3, 1))
    torch.testing.assert_close(y, back(y_ref), atol=ATOL, rtol=RTOL)
    g = torch.randn_like(y)
    y.backward(g)
    y_ref.backward(to_cf(g))
    torch.testing.assert_close(x.grad, back(x_ref.grad), atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(layer.gamma.grad, ref.weight.grad, atol=1e-4, rtol=RTOL)
    torch.testing.assert_close(layer.beta.grad, ref.bias.grad, atol=1e-4, rtol=RTOL)
    # Same moving mean; torch's running variance is the unbiased one.
    torch.testing.assert_close(
        layer.moving_mean, ref.running_mean, atol=ATOL, rtol=RTOL
    )
    assert not torch.allclose(layer.moving_variance, ref.running_var, atol=1e-6)


@pytest.mark.parametrize("shape", [(16, 3), (4, 5, 6, 3)])
def test_inference_matches_torch_batchnorm(shape: tuple[int, ...]) -> None:
    layer = BatchNormalization(
        gamma_initializer="random_uniform",
        beta_initializer="random_normal",
        moving_mean_initializer="random_normal",
        moving_variance_initializer="ones",
    )
    layer(torch.zeros(shape))  # builds; inference leaves the statistics alone
    with torch.no_grad():
        layer.moving_variance.uniform_(0.5, 2.0)
    ref = _torch_bn(layer, len(shape)).eval()
    x = torch.randn(shape, requires_grad=True)
    to_cf = (lambda t: t) if len(shape) == 2 else (lambda t: t.permute(0, 3, 1, 2))
    back = (lambda t: t) if len(shape) == 2 else (lambda t: t.permute(0, 2, 3, 1))
    x_ref = to_cf(x.detach()).clone().requires_grad_(True)
    before = layer.moving_mean.detach().clone()
    for training in (None, False):
        y = layer(x, training=training)
        torch.testing.assert_close(y, back(ref(x_ref)), atol=ATOL, rtol=RTOL)
    assert torch.equal(layer.moving_mean, before)
    y.sum().backward()
    ref(x_ref).sum().backward()
    torch.testing.assert_close(x.grad, back(x_ref.grad), atol=ATOL, rtol=RTOL)


def _keras_weights(layer: Any) -> list[np.ndarray]:
    # Keras's own get_weights() trips a numpy DeprecationWarning on torch.
    return [w.value.detach().cpu().numpy() for w in layer.weights]


def _keras_formula(
    xs: list[np.ndarray], momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    mean, var = np.zeros(xs[0].shape[-1]), np.ones(xs[0].shape[-1])
    for x in xs:
        flat = x.reshape(-1, x.shape[-1]).astype("float64")
        mean = mean * momentum + flat.mean(0) * (1 - momentum)
        var = var * momentum + flat.var(0) * (1 - momentum)  # biased
    return mean, var


@pytest.mark.parametrize("shape", [(8, 4), (3, 5, 4), (2, 3, 3, 4), (1, 4)])
def test_moving_statistics_follow_keras_formula(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(0)
    xs = [
        (rng.standard_normal(shape) * (i + 1) + i).astype("float32") for i in range(4)
    ]
    layer = BatchNormalization(momentum=0.7)
    for x in xs:
        layer(torch.from_numpy(x), training=True)
    mean, var = _keras_formula(xs, 0.7)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, atol=1e-5, rtol=1e-5)


def test_matches_keras_over_steps(keras_oracle: Any) -> None:
    rng = np.random.default_rng(1)
    kwargs = {"momentum": 0.9, "epsilon": 1e-2, "gamma_initializer": "random_uniform"}
    ours = BatchNormalization(**kwargs)
    ref = keras_oracle.layers.BatchNormalization(**kwargs)
    xs = [rng.standard_normal((6, 5, 3)).astype("float32") * 2 for _ in range(3)]
    ours(torch.from_numpy(xs[0]))
    ref(xs[0])
    ref.set_weights(ours.get_weights())
    for x in xs:
        y = ours(torch.from_numpy(x), training=True)
        y_ref = np.asarray(ref(x, training=True).detach().cpu())
        np.testing.assert_allclose(y.detach().numpy(), y_ref, atol=1e-4, rtol=1e-4)
    for w, w_ref in zip(ours.get_weights(), _keras_weights(ref)):
        np.testing.assert_allclose(w, w_ref, atol=1e-5, rtol=1e-5)
    y = ours(torch.from_numpy(xs[0]), training=False)
    y_ref = np.asarray(ref(xs[0], training=False).detach().cpu())
    np.testing.assert_allclose(y.detach().numpy(), y_ref, atol=1e-5, rtol=1e-5)


def test_mask_statistics_match_keras(keras_oracle: Any) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    mask = rng.random((4, 6)) > 0.3
    ours = BatchNormalization(momentum=0.5)
    ref = keras_oracle.layers.BatchNormalization(momentum=0.5)
    y = ours(torch.from_numpy(x), training=True, mask=torch.from_numpy(mask))
    y_ref = np.asarray(ref(x, training=True, mask=mask).detach().cpu())
    np.testing.assert_allclose(y.detach().numpy(), y_ref, atol=1e-5, rtol=1e-5)
    for w, w_ref in zip(ours.get_weights(), _keras_weights(ref)):
        np.testing.assert_allclose(w, w_ref, atol=1e-6, rtol=1e-5)
    # Statistics over the unmasked positions only.
    kept = x[mask]
    expected_mean = 0.5 * kept.mean(0)
    np.testing.assert_allclose(ours.moving_mean.numpy(), expected_mean, atol=1e-5)


def test_channels_first_axis_matches_torch() -> None:
    layer = BatchNormalization(axis=1, momentum=0.9)
    x = torch.randn(4, 3, 5, 6)
    y = layer(x, training=True)
    ref = torch.nn.BatchNorm2d(3, eps=1e-3, momentum=0.1)
    torch.testing.assert_close(y, ref(x), atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(
        layer.moving_mean, ref.running_mean, atol=ATOL, rtol=RTOL
    )


def test_frozen_layer_runs_in_inference_mode() -> None:
    layer = BatchNormalization()
    x = torch.randn(8, 3) * 5 + 2
    layer(x)
    layer.trainable = False
    y = layer(x, training=True)
    torch.testing.assert_close(
        y, x / torch.sqrt(torch.tensor(1.0 + 1e-3)), atol=ATOL, rtol=RTOL
    )
    assert torch.equal(layer.moving_mean, torch.zeros(3))


def test_mixed_precision_keeps_float32_statistics() -> None:
    layer = BatchNormalization(dtype="mixed_bfloat16")
    y = layer(torch.randn(8, 3) * 4 + 1, training=True)
    assert y.dtype == torch.bfloat16
    assert layer.moving_mean.dtype == torch.float32


def test_fit_updates_moving_statistics() -> None:
    model = keras.Sequential([keras.Input((3,)), BatchNormalization(momentum=0.5)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).standard_normal((32, 3)).astype("float32") + 4
    model.fit(x, x, epochs=1, batch_size=32, verbose=0)
    assert (model.layers[-1].moving_mean.detach() > 1.5).all()


def test_wrong_channels_after_build() -> None:
    layer = BatchNormalization(name="bn_c")
    layer(torch.zeros(2, 3))
    with pytest.raises(
        ValueError,
        match=r'Layer "bn_c" \(BatchNormalization\) expects inputs with last dimension 3, '
        r"received shape \(2, 4\)",
    ):
        layer(torch.zeros(2, 4))


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"BatchNormalization `axis` must be an int"):
        BatchNormalization(axis=[1, 2])  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=r"BatchNormalization `momentum` must be in \[0, 1\]"
    ):
        BatchNormalization(momentum=1.5)
    with pytest.raises(
        ValueError, match=r'"bn_a" \(BatchNormalization\) has axis=3, out of range'
    ):
        BatchNormalization(axis=3, name="bn_a")(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"needs a known size on axis -1"):
        BatchNormalization()(keras.Input((None,)))
    with pytest.raises(ValueError, match=r"expects a mask with one dimension less"):
        BatchNormalization()(
            torch.zeros(2, 3), training=True, mask=torch.ones(2, 3).bool()
        )


def test_config_matches_keras(keras_oracle: Any) -> None:
    ours = BatchNormalization(momentum=0.9, center=False).get_config()
    ref = keras_oracle.layers.BatchNormalization(
        momentum=0.9, center=False
    ).get_config()
    ours.pop("name")
    ref.pop("name")
    assert ours == ref

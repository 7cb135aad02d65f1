"""Every optimizer's updates against real Keras and against NumPy references.

Each case runs a few steps on three variables (a matrix, a vector, a 3-D
tensor) with fixed random gradients, then compares: the `torch._foreach_*`
path with the per-variable path, cornu with Keras 3 (torch backend) on the
same values, and, for the formulas written out below, with a float64 NumPy
reference of Keras's formula.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import cornu
from cornu import optimizers
from cornu.core.variable import store_in_order

SHAPES = [(3, 4), (4,), (2, 3, 5)]
STEPS = 5

# (optimizer, arguments); learning rates chosen so that each term matters.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("AdamW", {"weight_decay": 0.1}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {}),
    ("Nadam", {}),
    ("Ftrl", {}),
    (
        "Ftrl",
        {
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.1,
            "beta": 0.5,
            "learning_rate_power": -0.7,
        },
    ),
    ("Lion", {}),
    ("Lamb", {}),
    ("Adafactor", {}),
    ("Adafactor", {"relative_step": False, "clip_threshold": 0.5}),
    ("Muon", {"learning_rate": 0.01}),
    ("Muon", {"learning_rate": 0.01, "nesterov": False, "rms_rate": None}),
    # Options of the base class, on a few optimizers.
    ("Adam", {"weight_decay": 0.1}),
    ("Adam", {"clipnorm": 0.5}),
    ("Adam", {"global_clipnorm": 0.5}),
    ("Adam", {"clipvalue": 0.2}),
    ("SGD", {"momentum": 0.5, "use_ema": True, "ema_overwrite_frequency": 2}),
    ("Adam", {"use_ema": True, "ema_momentum": 0.5}),
    ("Adam", {"gradient_accumulation_steps": 2}),
    (
        "RMSprop",
        {
            "gradient_accumulation_steps": 2,
            "use_ema": True,
            "ema_momentum": 0.5,
            "ema_overwrite_frequency": 2,
            "weight_decay": 0.05,
        },
    ),
    ("Adam", {"loss_scale_factor": 4.0}),
]


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, kwargs = case
    return name + "".join(f"-{k}={v}" for k, v in kwargs.items())


def _data(seed: int = 0) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    inits = [rng.normal(size=s).astype("float32") for s in SHAPES]
    grads = [
        [rng.normal(size=s).astype("float32") for s in SHAPES] for _ in range(STEPS)
    ]
    return inits, grads


def _run_cornu(
    name: str,
    kwargs: dict[str, Any],
    foreach: bool = True,
    fused: bool = True,
    transposed: bool = False,
    column_major: bool = False,
    device: str = "cpu",
) -> list[np.ndarray]:
    inits, grads = _data()
    variables = [
        cornu.Variable(x, name=f"v{i}", device=device) for i, x in enumerate(inits)
    ]
    if column_major:
        # As Dense holds its kernel: transposed memory, gradients alike.
        for v in variables:
            if v.ndim == 2:
                store_in_order(v, (1, 0))
        transposed = True
    opt = getattr(optimizers, name)(**{"learning_rate": 0.1, **kwargs})
    opt.foreach = foreach
    opt.fused = fused  # only Adam and AdamW read it
    for step_grads in grads:
        tensors = [torch.tensor(g, device=device) for g in step_grads]
        if transposed:
            # Same values, non-contiguous memory (as a gradient can be).
            tensors = [
                torch.tensor(g.T.copy(), device=device).T if g.ndim == 2 else t
                for g, t in zip(step_grads, tensors)
            ]
        opt.apply(tensors, variables)
    assert int(opt.iterations) == (
        STEPS // kwargs["gradient_accumulation_steps"]
        if kwargs.get("gradient_accumulation_steps")
        else STEPS
    )
    return [v.numpy() for v in variables]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_foreach_path_equals_per_variable_path(case: tuple[str, dict]) -> None:
    name, kwargs = case
    reference = _run_cornu(name, kwargs, foreach=False)
    paths = [_run_cornu(name, kwargs, foreach=True)]
    if name in ("Adam", "AdamW"):
        paths.append(_run_cornu(name, kwargs, foreach=True, fused=False))
        paths.append(_run_cornu(name, kwargs, foreach=True, transposed=True))
    paths.append(_run_cornu(name, kwargs, foreach=True, column_major=True))
    for path in paths:
        for a, b in zip(path, reference):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("case", CASES, ids=_case_id)
@pytest.mark.parametrize("fused", [True, False], ids=["fused", "unfused"])
def test_cuda_matches_cpu(case: tuple[str, dict], fused: bool) -> None:
    name, kwargs = case
    on_cuda = _run_cornu(name, kwargs, fused=fused, device="cuda")
    on_cpu = _run_cornu(name, kwargs, foreach=False)
    for a, b in zip(on_cuda, on_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_keras(case: tuple[str, dict], keras_oracle: Any) -> None:
    name, kwargs = case
    keras = keras_oracle
    inits, grads = _data()
    variables = [keras.Variable(x, name=f"v{i}") for i, x in enumerate(inits)]
    opt = getattr(keras.optimizers, name)(**{"learning_rate": 0.1, **kwargs})
    device = variables[0].value.device  # Keras picks CUDA when it can
    for step_grads in grads:
        opt.apply([torch.tensor(g, device=device) for g in step_grads], variables)
    expected = [v.value.detach().cpu().numpy() for v in variables]
    # Keras computes its scalar factors in float32 tensors, cornu in Python
    # floats (from float32-rounded hyper-parameters): ~1e-7 per step.
    for actual, wanted in zip(_run_cornu(name, kwargs), expected):
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=2e-6)


# -- float64 NumPy references of Keras's formulas ----------------------------
# Each takes (variable, gradient, state dict, step t from 1, lr, **kwargs) and
# updates `w` and `state` in place.


def _sgd(w, g, s, t, lr, momentum=0.0, nesterov=False):
    if momentum == 0:
        w -= lr * g
        return
    m = s.setdefault("m", np.zeros_like(w))
    m[...] = momentum * m - lr * g
    w += momentum * m - lr * g if nesterov else m


def _adam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    m = s.setdefault("m", np.zeros_like(w))
    v = s.setdefault("v", np.zeros_like(w))
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    if amsgrad:
        v_hat = s.setdefault("v_hat", np.zeros_like(w))
        np.maximum(v_hat, v, out=v_hat)
        v = v_hat
    alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    w -= alpha * m / (np.sqrt(v) + epsilon)


def _rmsprop(w, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    vel = s.setdefault("vel", np.zeros_like(w))
    vel[...] = rho * vel + (1 - rho) * g * g
    if centered:
        mg = s.setdefault("mg", np.zeros_like(w))
        mg[...] = rho * mg + (1 - rho) * g
        increment = lr * g / np.sqrt(vel - mg * mg + epsilon)
    else:
        increment = lr * g / np.sqrt(vel + epsilon)
    if momentum > 0:
        mom = s.setdefault("mom", np.zeros_like(w))
        mom[...] = momentum * mom + increment
        w -= mom
    else:
        w -= increment


def _adagrad(w, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = s.setdefault("acc", np.full_like(w, initial_accumulator_value))
    acc += g * g
    w -= lr * g / np.sqrt(acc + epsilon)


def _adadelta(w, g, s, t, lr, rho=0.95, epsilon=1e-7):
    ag = s.setdefault("ag", np.zeros_like(w))
    ad = s.setdefault("ad", np.zeros_like(w))
    ag[...] = rho * ag + (1 - rho) * g * g
    delta = -np.sqrt(ad + epsilon) * g / np.sqrt(ag + epsilon)
    ad[...] = rho * ad + (1 - rho) * delta * delta
    w += lr * delta


def _adamax(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = s.setdefault("m", np.zeros_like(w))
    u = s.setdefault("u", np.zeros_like(w))
    m += (g - m) * (1 - beta_1)
    u[...] = np.maximum(beta_2 * u, np.abs(g))
    w -= lr * m / ((1 - beta_1**t) * (u + epsilon))


def _nadam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = s.setdefault("m", np.zeros_like(w))
    v = s.setdefault("v", np.zeros_like(w))
    u_t = beta_1 * (1 - 0.5 * 0.96**t)
    u_next = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
    product = math.prod(beta_1 * (1 - 0.5 * 0.96**k) for k in range(1, t + 1))
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
    v_hat = v / (1 - beta_2**t)
    w -= lr * m_hat / (np.sqrt(v_hat) + epsilon)


def _ftrl(
    w,
    g,
    s,
    t,
    lr,
    learning_rate_power=-0.5,
    initial_accumulator_value=0.1,
    l1_regularization_strength=0.0,
    l2_regularization_strength=0.0,
    l2_shrinkage_regularization_strength=0.0,
    beta=0.0,
):
    n = s.setdefault("n", np.full_like(w, initial_accumulator_value))
    z = s.setdefault("z", np.zeros_like(w))
    p = -learning_rate_power
    l1 = l1_regularization_strength
    l2 = l2_regularization_strength + beta / (2 * lr)
    n_new = n + g * g
    z += g + 2 * l2_shrinkage_regularization_strength * w
    z -= (n_new**p - n**p) / lr * w
    w[...] = (np.clip(z, -l1, l1) - z) / (n_new**p / lr + 2 * l2)
    n[...] = n_new


def _lion(w, g, s, t, lr, beta_1=0.9, beta_2=0.99):
    m = s.setdefault("m", np.zeros_like(w))
    w -= lr * np.sign(beta_1 * m + (1 - beta_1) * g)
    m[...] = beta_2 * m + (1 - beta_2) * g


def _lamb(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = s.setdefault("m", np.zeros_like(w))
    v = s.setdefault("v", np.zeros_like(w))
    m += (g - m) * (1 - beta_1)
    v += (g * g - v) * (1 - beta_2)
    update = (m / (1 - beta_1**t)) / (np.sqrt(v / (1 - beta_2**t)) + epsilon)
    w_norm, u_norm = np.linalg.norm(w), np.linalg.norm(update)
    ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
    w -= ratio * lr * update


REFERENCES: list[tuple[str, Callable, dict[str, Any]]] = [
    ("SGD", _sgd, {}),
    ("SGD", _sgd, {"momentum": 0.9}),
    ("SGD", _sgd, {"momentum": 0.9, "nesterov": True}),
    ("Adam", _adam, {}),
    ("Adam", _adam, {"amsgrad": True, "beta_1": 0.8, "epsilon": 1e-3}),
    ("RMSprop", _rmsprop, {}),
    ("RMSprop", _rmsprop, {"momentum": 0.5, "centered": True, "rho": 0.8}),
    ("Adagrad", _adagrad, {"initial_accumulator_value": 0.5}),
    ("Adadelta", _adadelta, {"rho": 0.9}),
    ("Adamax", _adamax, {}),
    ("Nadam", _nadam, {}),
    ("Ftrl", _ftrl, {}),
    (
        "Ftrl",
        _ftrl,
        {
            "l1_regularization_strength": 0.01,
            "l2_regularization_strength": 0.1,
            "l2_shrinkage_regularization_strength": 0.1,
            "beta": 0.5,
        },
    ),
    ("Lion", _lion, {"beta_2": 0.9}),
    ("Lamb", _lamb, {}),
]


@pytest.mark.parametrize(
    "name, reference, kwargs",
    REFERENCES,
    ids=[_case_id((n, k)) for n, _, k in REFERENCES],
)
@pytest.mark.parametrize("foreach", [True, False], ids=["foreach", "per_variable"])
def test_matches_numpy_reference(
    name: str, reference: Callable, kwargs: dict[str, Any], foreach: bool
) -> None:
    lr = 0.05
    inits, grads = _data(seed=1)
    expected = [x.astype("float64") for x in inits]
    states: list[dict] = [{} for _ in inits]
    for t, step_grads in enumerate(grads, start=1):
        for w, g, s in zip(expected, step_grads, states):
            reference(w, g.astype("float64"), s, t, lr, **kwargs)

    variables = [cornu.Variable(x, name=f"v{i}") for i, x in enumerate(inits)]
    opt = getattr(optimizers, name)(learning_rate=lr, **kwargs)
    opt.foreach = foreach
    for step_grads in grads:
        opt.apply_gradients(zip([torch.tensor(g) for g in step_grads], variables))
    # float32 state against float64: a few ulps of float32 per step.
    for v, w in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), w, rtol=2e-5, atol=2e-6)


def test_fused_adam_runs_on_column_major_kernels(monkeypatch: Any) -> None:
    layer = cornu.layers.Dense(3)
    layer.build((None, 5))
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build(layer.trainable_weights)
    calls = []
    original = opt._fused_update_step
    monkeypatch.setattr(
        opt, "_fused_update_step", lambda *a: calls.append(1) or original(*a)
    )
    layer(torch.ones(2, 5)).sum().backward()
    grads = [w.grad for w in layer.trainable_weights]
    assert grads[0].stride() == layer.kernel.stride() == (1, 5)
    opt.apply(grads, layer.trainable_weights)
    assert calls == [1]
    assert opt._momentums[0].stride() == opt._velocities[0].stride() == (1, 5)


def test_fused_adam_on_conv_and_dense_layouts_equals_reference_path() -> None:
    def run(fused: bool, foreach: bool) -> list[np.ndarray]:
        cornu.utils.set_random_seed(3)
        model = cornu.Sequential(
            [
                cornu.Input((6, 6, 2)),
                cornu.layers.Conv2D(4, 3),
                cornu.layers.Flatten(),
                cornu.layers.Dense(3),
            ]
        )
        opt = optimizers.Adam(learning_rate=0.05)
        opt.fused, opt.foreach = fused, foreach
        x = torch.randn(5, 6, 6, 2, generator=torch.Generator().manual_seed(0))
        for _ in range(3):
            model.zero_grad()
            (model(x) ** 2).sum().backward()
            weights = model.trainable_weights
            opt.apply([w.grad for w in weights], weights)
        assert model.layers[0].kernel.stride() == (3, 1, 9, 18)
        return [w.numpy() for w in model.trainable_weights]

    reference = run(fused=False, foreach=False)
    for got in (run(fused=True, foreach=True), run(fused=False, foreach=True)):
        for a, b in zip(got, reference):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

"""`run_layer_test`: the generic checks every layer goes through."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import torch

from cornu import config, tree


def _random_input(shape: Any, dtype: str, rng: np.random.Generator) -> Any:
    if isinstance(shape, dict):
        return {k: _random_input(v, dtype, rng) for k, v in shape.items()}
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return [_random_input(s, dtype, rng) for s in shape]
    if dtype.startswith("int") or dtype.startswith("uint"):
        return rng.integers(0, 5, size=shape).astype(dtype)
    if dtype == "bool":
        return rng.random(size=shape) > 0.5
    return rng.standard_normal(size=shape).astype(dtype)


def _shape_of(x: Any) -> Any:
    return tree.map_structure(lambda t: tuple(t.shape), x)


def _assert_config_matches_init(layer: Any) -> None:
    cls = type(layer)
    params = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        sig = inspect.signature(init)
        params |= {
            n
            for n, p in sig.parameters.items()
            if n != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
            break
    base = {"name", "trainable", "dtype", "activity_regularizer", "autocast"}
    unknown = set(layer.get_config()) - params - base
    assert not unknown, f"get_config keys not accepted by __init__: {sorted(unknown)}"


def run_layer_test(
    layer_cls: Any,
    init_kwargs: dict[str, Any],
    input_shape: Any = None,
    input_dtype: str = "float32",
    input_data: Any = None,
    call_kwargs: dict[str, Any] | None = None,
    expected_output_shape: Any = None,
    expected_output_dtype: str | None = None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    expected_num_losses: int | None = None,
    supports_masking: bool | None = None,
    run_training_check: bool = True,
    run_symbolic_check: bool = True,
) -> Any:
    """Builds, calls and round-trips a layer, asserting at each step.

    Checks: `get_config` keys match `__init__` and `from_config` rebuilds an
    equal config; the eager output shape and dtype; weight counts; the same
    shape from a symbolic (`keras.Input`) call; `training=True/False` both
    run; and one gradient step changes the trainable weights.

    Returns:
        The eager output, for further numeric checks by the caller.
    """
    from cornu import Input, Model

    rng = np.random.default_rng(0)
    call_kwargs = call_kwargs or {}
    layer = layer_cls(**init_kwargs)
    _assert_config_matches_init(layer)
    config_before = layer.get_config()
    clone = layer_cls.from_config(config_before)
    assert clone.get_config() == {**config_before, "name": clone.name} or (
        clone.get_config() == config_before
    ), "from_config(get_config()) does not round-trip"
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking

    if input_data is None:
        input_data = _random_input(input_shape, input_dtype, rng)
    output = layer(input_data, **call_kwargs)
    assert layer.built
    if expected_output_shape is not None:
        got = _shape_of(output)
        want = (
            tuple(expected_output_shape)
            if all(isinstance(d, int) for d in expected_output_shape)
            else expected_output_shape
        )
        assert got == want, f"output shape {got}, expected {expected_output_shape}"
    if expected_output_dtype is not None:
        for out in tree.flatten(output):
            assert config.standardize_dtype(out.dtype) == expected_output_dtype
    if expected_num_trainable_weights is not None:
        assert len(layer.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    if expected_num_losses is not None:
        assert len(layer.losses) == expected_num_losses
    # Config after build still round-trips.
    rebuilt = layer_cls.from_config(layer.get_config())
    assert type(rebuilt) is layer_cls

    if run_symbolic_check:
        sym_layer = layer_cls(**init_kwargs)
        shapes = _shape_of(input_data)
        if isinstance(shapes, tuple) and all(isinstance(d, int) for d in shapes):
            sym_in: Any = Input(shape=shapes[1:], dtype=input_dtype)
        elif isinstance(shapes, dict):
            sym_in = {
                k: Input(shape=s[1:], dtype=input_dtype, name=k)
                for k, s in shapes.items()
            }
        else:
            sym_in = [Input(shape=s[1:], dtype=input_dtype) for s in shapes]
        sym_out = sym_layer(sym_in, **call_kwargs)
        for s, e in zip(tree.flatten(sym_out), tree.flatten(output)):
            assert s.shape[1:] == tuple(e.shape)[1:], (
                f"symbolic shape {s.shape} vs eager {tuple(e.shape)}"
            )
        model = Model(sym_in, sym_out)
        model_out = model(input_data)
        assert _shape_of(model_out) == _shape_of(output)

    for training in (True, False):
        kwargs = dict(call_kwargs)
        kwargs["training"] = training
        layer(input_data, **kwargs)

    if run_training_check and layer.trainable_weights:
        before = [w.detach().clone() for w in layer.trainable_weights]
        out = layer(input_data, training=True, **call_kwargs)
        loss = sum(
            (o.float() ** 2).mean() for o in tree.flatten(out) if o.is_floating_point()
        )
        loss = loss + sum(layer.losses, torch.zeros(()))
        grads = torch.autograd.grad(loss, layer.trainable_weights, allow_unused=True)
        with torch.no_grad():
            for w, g in zip(layer.trainable_weights, grads):
                if g is not None:
                    w.sub_(0.1 * g)
        changed = [
            not torch.equal(b, w.detach())
            for b, w in zip(before, layer.trainable_weights)
        ]
        assert any(changed), "a gradient step changed no trainable weight"
    return output

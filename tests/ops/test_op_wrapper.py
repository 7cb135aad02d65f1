"""The wrapper `keras_op` puts around each op: eager calls go straight to the
function with the caller's arguments; symbolic calls become graph nodes whose
config holds what the caller wrote."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.ops.core import keras_op


@keras_op("CornuTestAffine")
def _affine(x, scale=2.0, *, shift=0.0):
    return x * scale + shift


@keras_op("CornuTestShadow")
def _shadow(x, type="double"):  # a parameter named like a builtin
    return x * 2 if type == "double" else x


def test_wrapper_keeps_the_signature_and_defaults() -> None:
    assert inspect.signature(_affine) == inspect.signature(_affine.__wrapped__)
    t = torch.tensor([1.0, -2.0])
    torch.testing.assert_close(_affine(t), t * 2.0, rtol=0, atol=0)
    torch.testing.assert_close(_affine(t, 3.0, shift=1.0), t * 3 + 1, rtol=0, atol=0)
    torch.testing.assert_close(_affine(x=t, scale=0.5), t * 0.5, rtol=0, atol=0)
    with pytest.raises(TypeError, match="from 1 to 2 positional arguments"):
        _affine(t, 1.0, 2.0)  # `shift` is keyword-only
    with pytest.raises(TypeError, match="unexpected keyword argument 'bias'"):
        _affine(t, bias=1.0)


def test_lists_numpy_and_dtypes_take_the_eager_path() -> None:
    a = np.ones((2, 3), "float32")
    out = keras.ops.concatenate([a, torch.zeros(1, 3)], axis=0)
    assert isinstance(out, torch.Tensor) and tuple(out.shape) == (3, 3)
    assert keras.ops.cast(torch.ones(2), torch.int32).dtype == torch.int32


def test_symbolic_call_records_only_the_arguments_given() -> None:
    x = keras.Input(shape=(3,))
    y = _affine(x, shift=1.0)
    op = y._keras_history[0]
    assert op.class_name == "CornuTestAffine"
    assert op.get_config() == {"name": op.name, "shift": 1.0}
    model = keras.Model(x, y)
    got = model(np.ones((2, 3), "float32"))
    np.testing.assert_allclose(got.detach().numpy(), np.full((2, 3), 3.0), rtol=0)
    # A KerasTensor inside a list argument is found too.
    z = keras.ops.concatenate([x, x], axis=-1)
    assert tuple(z.shape) == (None, 6)
    assert z._keras_history[0].get_config()["axis"] == -1


def test_parameter_shadowing_a_builtin_still_works() -> None:
    t = torch.tensor([1.0, 2.0])
    torch.testing.assert_close(_shadow(t), t * 2, rtol=0, atol=0)
    torch.testing.assert_close(_shadow(t, type="same"), t, rtol=0, atol=0)
    assert tuple(_shadow(keras.Input(shape=(4,))).shape) == (None, 4)

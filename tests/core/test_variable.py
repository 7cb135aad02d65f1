import copy

import numpy as np
import pytest
import torch

import cornu as keras


def test_variable_is_a_parameter_with_keras_surface():
    v = keras.Variable(np.ones((2, 3)), name="kernel")
    assert isinstance(v, torch.nn.Parameter)
    assert v.name == "kernel" and v.path == "kernel"
    assert v.dtype == torch.float32  # float64 arrays take floatx, as in Keras
    assert v.trainable and v.requires_grad
    v.assign(np.full((2, 3), 2.0))
    v.assign_add(np.ones((2, 3)))
    v.assign_sub(np.full((2, 3), 0.5))
    np.testing.assert_allclose(v.numpy(), np.full((2, 3), 2.5))
    assert v.value is v


def test_trainable_flag_is_requires_grad():
    v = keras.Variable(np.zeros(3), trainable=False)
    assert not v.requires_grad and not v.trainable
    v.trainable = True
    assert v.requires_grad


def test_integer_variables_are_never_differentiable():
    v = keras.Variable(np.array([1, 2], dtype="int64"), trainable=True)
    assert v.dtype == torch.int64 and not v.requires_grad and v.trainable


def test_initializer_needs_shape():
    with pytest.raises(ValueError, match="needs a `shape`"):
        keras.Variable("zeros")
    v = keras.Variable("ones", shape=(2,))
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0])


def test_assign_checks_shape():
    v = keras.Variable(np.zeros((2, 2)), name="w")
    with pytest.raises(
        ValueError, match=r"shape \(3,\) to variable 'w' of shape \(2, 2\)"
    ):
        v.assign(np.zeros(3))


def test_deepcopy_keeps_class_and_values():
    v = keras.Variable(np.arange(4.0), name="w")
    w = copy.deepcopy(v)
    assert type(w) is keras.Variable and w.name == "w"
    np.testing.assert_array_equal(w.numpy(), v.numpy())
    assert w.data_ptr() != v.data_ptr()

import copy

import numpy as np
import pytest
import torch

import cornu as keras
from cornu import Variable
from cornu.core.variable import store_in_order


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


def test_initial_data_is_copied_not_shared():
    array = np.zeros(3, "float32")
    tensor = torch.zeros(3)
    for data in (array, tensor):
        variable = Variable(data)
        variable.assign_add(1.0)
        np.testing.assert_array_equal(np.asarray(data), np.zeros(3, "float32"))
        np.testing.assert_array_equal(variable.numpy(), np.ones(3, "float32"))


def test_store_in_order_keeps_values_and_changes_strides():
    values = np.arange(6, dtype="float32").reshape(2, 3)
    variable = Variable(values)
    store_in_order(variable, (1, 0))
    assert variable.stride() == (1, 2)
    assert isinstance(variable, Variable) and variable.requires_grad
    np.testing.assert_array_equal(variable.numpy(), values)
    (variable * torch.arange(3.0)).sum().backward()
    assert variable.grad.stride() == variable.stride()
    variable.assign(np.ones((2, 3), "float32"))
    assert variable.stride() == (1, 2)

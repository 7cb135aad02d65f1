"""The `Metric` base: state Variables, protocol, naming, dtype, config."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu import config
from cornu.core.dtype_policy import DTypePolicy
from cornu.metrics import Mean, Metric


class BinaryTruePositives(Metric):
    def __init__(self, name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.true_positives = self.add_variable((), "zeros", name="true_positives")

    def update_state(self, y_true: Any, y_pred: Any) -> None:
        with torch.no_grad():
            hits = torch.as_tensor(y_true).bool() & torch.as_tensor(y_pred).bool()
            self.true_positives.add_(hits.sum())

    def result(self) -> torch.Tensor:
        return self.true_positives.detach().clone()


class Pair(Metric):
    """A metric made of two sub-metrics, to check variable tracking."""

    def __init__(self) -> None:
        super().__init__(name="pair")
        self.first = Mean(name="first")
        self.second = Mean(name="second")
        self.scale = self.add_variable((2,), "ones", dtype="float64", name="scale")


def test_subclass_protocol() -> None:
    m = BinaryTruePositives()
    assert m.name.startswith("binary_true_positives")
    out = m([1, 1, 0, 1], [1, 0, 0, 1])
    assert float(out) == 2.0
    m.update_state([1], [1])
    assert float(m.result()) == 3.0
    m.reset_state()
    assert float(m.result()) == 0.0
    assert repr(m) == f"<BinaryTruePositives name={m.name}>"


def test_auto_names_are_unique() -> None:
    a, b = BinaryTruePositives(), BinaryTruePositives()
    assert a.name != b.name
    assert b.name.startswith("binary_true_positives_")


def test_variables_are_non_trainable_device_state() -> None:
    m = Pair()
    names = [v.path for v in m.variables]
    assert names == [
        "pair/scale",
        "first/total",
        "first/count",
        "second/total",
        "second/count",
    ]
    for v in m.variables:
        assert v.device == config.device()
        assert not v.trainable and not v.requires_grad
        assert v.aggregation == "sum"
    assert m.scale.dtype == torch.float64
    np.testing.assert_array_equal(m.scale.numpy(), [1.0, 1.0])
    m.reset_state()
    np.testing.assert_array_equal(m.scale.numpy(), [0.0, 0.0])


def test_add_variable_defaults_to_floatx_and_accepts_initializers() -> None:
    m = BinaryTruePositives(dtype="float64")
    assert m.dtype == "float64"
    # Keras's rule: the variable dtype defaults to floatx, not the metric's.
    assert m.true_positives.dtype == torch.float32
    v = m.add_variable((2, 2), lambda shape, dtype: np.full(shape, 3.0), name="three")
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 3.0))
    w = m.add_weight((3,), "zeros", dtype="int32", name="counts")
    assert w.dtype == torch.int32 and w.path == f"{m.name}/counts"


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        (None, "float32"),
        ("float64", "float64"),
        (torch.float16, "float16"),
        ("mixed_bfloat16", "bfloat16"),
        (DTypePolicy("float64"), "float64"),
    ],
)
def test_dtype(dtype: Any, expected: str) -> None:
    assert Mean(dtype=dtype).dtype == expected


def test_result_is_in_the_metric_dtype() -> None:
    m = Mean(dtype="float64")
    m.update_state([1.0, 2.0])
    assert m.result().dtype == torch.float64


def test_config_round_trip() -> None:
    m = BinaryTruePositives(name="tp", dtype="float64")
    assert m.get_config() == {"name": "tp", "dtype": "float64"}
    copy = BinaryTruePositives.from_config(m.get_config())
    assert copy.name == "tp" and copy.dtype == "float64"


def test_missing_super_init_is_reported() -> None:
    class Broken(Metric):
        def __init__(self) -> None:
            self.total = self.add_variable((), "zeros", name="total")

    with pytest.raises(RuntimeError, match=r"Broken: call `super\(\).__init__\(\)`"):
        Broken()


def test_base_methods_are_abstract() -> None:
    m = Metric(name="bare")
    with pytest.raises(NotImplementedError):
        m.update_state(1)
    with pytest.raises(NotImplementedError):
        m.result()
    m.reset_state()  # no variables: nothing to do


def test_stateless_forms_leave_the_state_alone() -> None:
    m = Mean()
    m.update_state([1.0, 3.0])
    state = m.stateless_reset_state()
    assert [float(s) for s in state] == [0.0, 0.0]
    state = m.stateless_update_state(state, [10.0])
    assert [float(s) for s in state] == [10.0, 1.0]
    assert float(m.stateless_result(state)) == 10.0
    assert float(m.result()) == 2.0  # unchanged
    with pytest.raises(ValueError, match="corresponding 1:1 to Mean\\(\\).variables"):
        m.stateless_result(state[:1])


def test_deepcopy_gives_independent_state() -> None:
    import copy

    m = Mean(name="m")
    m.update_state([2.0])
    twin = copy.deepcopy(m)
    twin.update_state([4.0])
    assert float(m.result()) == 2.0 and float(twin.result()) == 3.0
    assert twin.name == "m" and twin.total is not m.total

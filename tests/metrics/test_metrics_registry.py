"""The `keras.metrics` namespace: public names, `get`, `serialize`, `deserialize`."""

from __future__ import annotations

import inspect
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import cornu.metrics as metrics
from cornu.core.serialization import register_keras_serializable


def _keras_api_names() -> list[str]:
    """The names `/work/shared/keras-api.md` lists under `keras.metrics`."""
    path = Path("/work/shared/keras-api.md")
    if not path.exists():
        pytest.skip("keras-api.md is not available")
    text = path.read_text()
    section = re.search(r"## keras\.metrics \(\d+\)\n(.*?)\n## ", text, re.S)
    assert section is not None
    return section.group(1).split()


def test_every_public_keras_name_exists() -> None:
    missing = [n for n in _keras_api_names() if not hasattr(metrics, n)]
    assert missing == []


def test_loss_functions_are_re_exported() -> None:
    from cornu import losses

    for name in (
        "mean_squared_error",
        "huber",
        "binary_focal_crossentropy",
        "log_cosh",
    ):
        assert getattr(metrics, name) is getattr(losses, name)
    assert "huber" in dir(metrics)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = metrics.nope


def test_default_names_match_keras(keras: Any) -> None:
    for cls in metrics.ALL_OBJECTS:
        params = inspect.signature(cls.__init__).parameters.values()
        required = [
            p
            for p in params
            if p.name != "self"
            and p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        if required or cls is metrics.Metric:
            continue
        ours, theirs = cls(), getattr(keras.metrics, cls.__name__)()
        assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", theirs.name)


@pytest.mark.parametrize(
    ("identifier", "cls"),
    [
        ("accuracy", metrics.Accuracy),
        ("mse", metrics.MeanSquaredError),
        ("MSE", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError),
        ("mape", metrics.MeanAbsolutePercentageError),
        ("MSLE", metrics.MeanSquaredLogarithmicError),
        ("bce", metrics.BinaryCrossentropy),
        ("auc", metrics.AUC),
        ("AUC", metrics.AUC),
        ("binary_io_u", metrics.BinaryIoU),
        ("categorical_crossentropy", metrics.CategoricalCrossentropy),
        ("SparseTopKCategoricalAccuracy", metrics.SparseTopKCategoricalAccuracy),
        ("r2_score", metrics.R2Score),
        ("f1_score", metrics.F1Score),
        ("log_cosh_error", metrics.LogCoshError),
    ],
)
def test_get_by_name(keras: Any, identifier: str, cls: type) -> None:
    ours = metrics.get(identifier)
    assert type(ours) is cls
    assert type(keras.metrics.get(identifier)).__name__ == cls.__name__


@pytest.mark.parametrize("identifier", ["acc", "logcosh", "huber", "nope"])
def test_get_rejects_names_keras_rejects(keras: Any, identifier: str) -> None:
    with pytest.raises(
        ValueError, match=f"Could not interpret metric identifier: {identifier}"
    ):
        metrics.get(identifier)
    with pytest.raises(ValueError):
        keras.metrics.get(identifier)


def test_get_passes_objects_and_functions_through() -> None:
    m = metrics.Precision()
    assert metrics.get(m) is m
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.get(None) is None
    got = metrics.get(
        {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    )
    assert isinstance(got, metrics.CategoricalCrossentropy) and got.from_logits
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 3"):
        metrics.get(3)


def test_serialize_matches_keras(keras: Any) -> None:
    ours = metrics.serialize(
        metrics.AUC(name="auc_x", curve="PR", thresholds=[0.2, 0.6])
    )
    theirs = keras.metrics.serialize(
        keras.metrics.AUC(name="auc_x", curve="PR", thresholds=[0.2, 0.6])
    )
    assert json.loads(json.dumps(ours)) == json.loads(json.dumps(theirs, default=float))


@pytest.mark.parametrize(
    "metric",
    [
        lambda m: m.FBetaScore(beta=2.0, average="macro", name="fb"),
        lambda m: m.MeanIoU(num_classes=4, ignore_class=0),
        lambda m: m.SparseTopKCategoricalAccuracy(k=3, from_sorted_ids=True),
        lambda m: m.AUC(multi_label=True, num_labels=2, label_weights=[0.3, 0.7]),
    ],
    ids=["fbeta", "mean_iou", "sparse_top_k", "auc"],
)
def test_keras_written_configs_load_and_back(keras: Any, metric: Any) -> None:
    theirs = metric(keras.metrics)
    with warnings.catch_warnings():
        # Keras's own tensor-to-numpy path warns under NumPy 2 (label_weights).
        warnings.simplefilter("ignore", DeprecationWarning)
        blob = keras.metrics.serialize(theirs)
    blob = json.loads(json.dumps(blob, default=lambda x: x.tolist()))
    ours = metrics.deserialize(blob)
    assert type(ours).__name__ == type(theirs).__name__
    assert ours.get_config() == json.loads(json.dumps(ours.get_config()))  # JSON-ready
    back = keras.metrics.deserialize(json.loads(json.dumps(metrics.serialize(ours))))
    assert type(back) is type(theirs)


def test_deserialize_names_and_custom_objects() -> None:
    assert metrics.deserialize("mse") is metrics.MeanSquaredError
    assert metrics.deserialize("binary_accuracy") is metrics.BinaryAccuracy

    class Custom(metrics.Mean):
        pass

    config = {
        "module": None,
        "class_name": "Custom",
        "config": {"name": "c"},
        "registered_name": None,
    }
    assert isinstance(
        metrics.deserialize(config, custom_objects={"Custom": Custom}), Custom
    )


# -- MeanMetricWrapper -------------------------------------------------------
def test_wrapper_of_a_loss_function_round_trips(keras: Any) -> None:
    m = metrics.MeanMetricWrapper(metrics.mean_squared_error, name="mse_wrap")
    assert m._direction == "down"
    config = m.get_config()
    copy = metrics.MeanMetricWrapper.from_config(json.loads(json.dumps(config)))
    assert copy._fn is metrics.mean_squared_error
    # A config Keras wrote names the function its own way.
    theirs = keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error, name="w")
    ours = metrics.MeanMetricWrapper.from_config(theirs.get_config())
    assert ours._fn is metrics.mean_squared_error
    y_true, y_pred = np.ones((3, 2), "float32"), np.zeros((3, 2), "float32")
    ours.update_state(y_true, y_pred)
    theirs.update_state(y_true, y_pred)
    np.testing.assert_allclose(float(ours.result()), float(theirs.result()))


def test_wrapper_passes_keyword_arguments_and_serializes_them() -> None:
    @register_keras_serializable(package="metrics_test")
    def within(y_true: Any, y_pred: Any, tolerance: float = 0.1) -> torch.Tensor:
        diff = torch.as_tensor(y_true) - torch.as_tensor(y_pred)
        return (diff.abs() <= tolerance).float()

    m = metrics.MeanMetricWrapper(within, name="within", tolerance=0.5)
    m.update_state([1.0, 2.0, 3.0, 4.0], [1.2, 2.9, 3.4, 0.0])
    assert float(m.result()) == 0.5
    config = m.get_config()
    assert config["tolerance"] == 0.5 and config["name"] == "within"
    copy = metrics.MeanMetricWrapper.from_config(json.loads(json.dumps(config)))
    assert copy._fn is within and copy._fn_kwargs == {"tolerance": 0.5}


def test_wrapper_rejects_unknown_functions() -> None:
    config = {
        "name": "x",
        "dtype": "float32",
        "fn": {"class_name": "function", "config": "os_system"},
    }
    with pytest.raises(ValueError, match="Unknown metric function 'os_system'"):
        metrics.MeanMetricWrapper.from_config(config)


def test_wrapper_default_name_and_mean_semantics() -> None:
    m = metrics.MeanMetricWrapper(
        lambda y_true, y_pred: np.abs(np.subtract(y_true, y_pred))
    )
    assert m.name.startswith("mean_metric_wrapper")
    m.update_state([[0.0, 2.0]], [[1.0, 1.0]])
    np.testing.assert_allclose(float(m.result()), 1.0)

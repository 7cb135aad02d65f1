"""`keras.metrics`: metric classes, metric functions, and `get`/`serialize`.

Metric state lives on the device; `update_state` never reads back to the
host, so metrics cost nothing beyond their arithmetic in `fit()`.
"""

from __future__ import annotations

import inspect
from typing import Any

from cornu.core import serialization
from cornu.core.naming import to_snake_case
from cornu.metrics.accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from cornu.metrics.confusion_metrics import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
)
from cornu.metrics.correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from cornu.metrics.f_score_metrics import F1Score, FBetaScore
from cornu.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from cornu.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from cornu.metrics.metric import Metric
from cornu.metrics.probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
)
from cornu.metrics.reduction_metrics import (
    Mean,
    MeanMetricWrapper,
    Sum,
    _resolve_function,
)
from cornu.metrics.regression_metrics import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
)

# Loss functions Keras also exports from `keras.metrics`. They are resolved
# from `cornu.losses` on first access (see `__getattr__`), so that this
# package imports without pulling in the losses.
_LOSS_FUNCTIONS = (
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
)


def __getattr__(name: str) -> Any:
    if name in _LOSS_FUNCTIONS:
        from cornu import losses

        fn = getattr(losses, name)
        globals()[name] = fn  # later lookups skip this hook
        return fn
    raise AttributeError(f"module 'cornu.metrics' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LOSS_FUNCTIONS))


ALL_OBJECTS = {
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    R2Score,
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    PrecisionAtRecall,
    Recall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    TrueNegatives,
    TruePositives,
    ConcordanceCorrelation,
    PearsonCorrelation,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    F1Score,
    FBetaScore,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
}

# Names `get` answers: class names, their snake_case forms, and Keras's
# abbreviations (as Keras's table; "acc"/"accuracy" in `compile` are
# resolved from the data's shapes by the trainer, not here).
ALL_OBJECTS_DICT: dict[str, type] = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    }
)


def serialize(metric: Any) -> Any:
    """Returns a metric object or function in Keras's serialization schema.

    Args:
        metric: a `Metric` or a metric function.

    Returns:
        A JSON-ready dict.

    Example:
    >>> serialize(MeanSquaredError())["class_name"]
    'MeanSquaredError'
    """
    return serialization.serialize_keras_object(metric)


def _find(name: str | None, custom_objects: dict[str, Any] | None) -> Any:
    if not name:
        return None
    found = serialization.get_registered_object(name, custom_objects)
    return found if found is not None else ALL_OBJECTS_DICT.get(name)


def _decode_value(value: Any) -> Any:
    # Keras writes array-valued arguments (e.g. AUC's `label_weights`) as
    # `{"class_name": "__tensor__" | "__numpy__", "config": {"value": ...}}`.
    if isinstance(value, dict) and value.get("class_name") in (
        "__tensor__",
        "__numpy__",
    ):
        return value["config"]["value"]
    if isinstance(value, dict) and value.get("class_name") == "__tuple__":
        return tuple(value["config"]["value"])
    return value


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds a metric (or finds a metric class or function) from `config`.

    Args:
        config: a dict from `serialize`, or a name.
        custom_objects: user classes and functions by name.

    Returns:
        A `Metric` instance for a dict; the class (or function) for a name.

    Example:
    >>> deserialize(serialize(Precision(thresholds=0.3))).thresholds
    [0.3]
    """
    if isinstance(config, str):
        found = _find(config, custom_objects)
        if found is None:
            found = _resolve_function(config, custom_objects)
        return found
    if isinstance(config, dict) and "class_name" in config:
        if config["class_name"] == "function":
            return _resolve_function(config, custom_objects)
        cls = _find(config.get("registered_name"), custom_objects) or _find(
            config["class_name"], custom_objects
        )
        if inspect.isclass(cls) and issubclass(cls, Metric):
            inner = {
                k: _decode_value(v) for k, v in (config.get("config") or {}).items()
            }
            return cls.from_config(inner)
    return serialization.deserialize_keras_object(config, custom_objects=custom_objects)


def get(identifier: Any) -> Any:
    """Returns a metric from a name, a config dict, a class or an object.

    Names are class names or their snake_case forms, and `"mse"`, `"mae"`,
    `"mape"`, `"msle"`, `"bce"` (any case Keras accepts). A class is
    instantiated with its defaults; functions and objects pass through.

    Args:
        identifier: `None`, a name, a dict from `serialize`, or a metric
            class, object or function.

    Returns:
        A `Metric` instance or a function (`None` for `None`).

    Example:
    >>> type(get("mse")).__name__
    'MeanSquaredError'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret metric identifier: {identifier}")

"""`keras.losses`: loss classes, their per-sample functions, and lookup by name.

`get("categorical_crossentropy")` returns the function,
`get("CategoricalCrossentropy")` an instance; `serialize` / `deserialize`
use Keras's schema, so losses interchange with Keras through `.keras` files.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from cornu.core.serialization import deserialize_keras_object, serialize_keras_object
from cornu.losses.loss import Loss, LossFunctionWrapper
from cornu.losses.margin import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from cornu.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)
from cornu.losses.regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from cornu.losses.segmentation import Dice, Tversky, dice, tversky
from cornu.losses.sequence import CTC, ctc
from cornu.losses.similarity import Circle, circle

_CLASSES: tuple[type[Loss], ...] = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    Dice,
    Tversky,
    Circle,
    CTC,
)
_FUNCTIONS: tuple[Callable[..., Any], ...] = (
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    dice,
    tversky,
    circle,
    ctc,
)

# Every name `get` and `deserialize` answer to: class and function names plus
# Keras's short aliases.
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
    }
)
_BUILTIN_FUNCTIONS = frozenset(_FUNCTIONS)


def serialize(loss: Loss | Callable[..., Any]) -> dict[str, Any]:
    """Returns the Keras config of a `Loss` instance or a loss function.

    Built-in functions are written as Keras writes its own
    (`"module": "builtins"`), so that Keras finds them by name.

    Args:
        loss: A `Loss` instance or a loss function.

    Returns:
        A JSON-ready dict in Keras's serialization schema.

    Example:
    >>> serialize(mean_squared_error)["config"]
    'mean_squared_error'
    >>> serialize(Huber())["class_name"]
    'Huber'
    """
    if loss in _BUILTIN_FUNCTIONS:
        name = loss.__name__  # type: ignore[union-attr]
        return {
            "module": "builtins",
            "class_name": "function",
            "config": name,
            "registered_name": "function",
        }
    return serialize_keras_object(loss)


def deserialize(
    name: str | dict[str, Any], custom_objects: dict[str, Any] | None = None
) -> Loss | Callable[..., Any]:
    """Rebuilds a loss class, instance or function from its name or config.

    Args:
        name: A name (`"mse"`, `"Huber"`) or a config from `serialize`.
        custom_objects: Extra names to classes or functions.

    Returns:
        A `Loss` instance, a `Loss` class (for a class name), or a function.

    Example:
    >>> deserialize("mse") is mean_squared_error
    True
    >>> deserialize({"class_name": "Huber", "config": {"delta": 2.0}}).delta
    2.0
    """
    objects = {**ALL_OBJECTS_DICT, **(custom_objects or {})}
    if isinstance(name, str) and name in objects:
        return objects[name]
    if (
        isinstance(name, dict)
        and name.get("class_name") == "function"
        and isinstance(name.get("config"), str)
        and name["config"] in objects
        # Keras writes its own functions with the placeholder "function";
        # anything else names a registered custom function.
        and name.get("registered_name") in (None, "function", name["config"])
    ):
        return objects[name["config"]]
    return deserialize_keras_object(name, custom_objects=objects)


def get(identifier: Any) -> Loss | Callable[..., Any] | None:
    """Returns a loss from a name, a config, a class, an instance or a function.

    Names of functions (`"categorical_crossentropy"`, `"mse"`) give the
    function; names of classes (`"CategoricalCrossentropy"`) a new instance
    with default arguments.

    Args:
        identifier: `None`, a name, a config dict, a `Loss` class or
            instance, or a callable.

    Returns:
        A `Loss` instance or a loss function (`None` for `None`).

    Example:
    >>> get("categorical_crossentropy") is categorical_crossentropy
    True
    >>> get("CategoricalCrossentropy").name
    'categorical_crossentropy'
    >>> get({"class_name": "CategoricalCrossentropy",
    ...      "config": {"from_logits": True}}).from_logits
    True
    """
    if identifier is None:
        return None
    obj: Any
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier)
    else:
        obj = identifier
    if callable(obj):
        if inspect.isclass(obj):
            obj = obj()
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


__all__ = [cls.__name__ for cls in _CLASSES] + [fn.__name__ for fn in _FUNCTIONS]
__all__ += ["deserialize", "get", "serialize"]

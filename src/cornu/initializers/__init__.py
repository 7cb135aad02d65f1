"""`keras.initializers`: initial values of weights, found by name or config."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core import object_registry, serialization
from cornu.core.naming import to_snake_case
from cornu.initializers.constant_initializers import (
    STFT,
    Constant,
    Identity,
    Ones,
    Zeros,
)
from cornu.initializers.initializer import Initializer
from cornu.initializers.random_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    compute_fans,
)

# Keras's public aliases: the lower-case names are the classes themselves.
constant = Constant
zeros = Zeros
ones = Ones
identity = Identity
IdentityInitializer = Identity
stft = STFT
STFTInitializer = STFT
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
OrthogonalInitializer = Orthogonal

_CLASSES = (
    Initializer,
    Constant,
    Identity,
    Ones,
    STFT,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
# Every name `get` accepts, as Keras's lookup table has them.
ALL_OBJECTS_DICT: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
ALL_OBJECTS_DICT.update(
    {
        "IdentityInitializer": Identity,
        "STFTInitializer": STFT,
        "OrthogonalInitializer": Orthogonal,
        "normal": RandomNormal,
        "uniform": RandomUniform,
        "one": Ones,
        "zero": Zeros,
    }
)


def serialize(initializer: Any) -> Any:
    """Returns `initializer` in Keras's serialization schema (a dict).

    Example:
    >>> serialize(Zeros())["class_name"]
    'Zeros'
    """
    return serialization.serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuilds an initializer from `serialize`'s output (or a name).

    Example:
    >>> deserialize({"class_name": "Constant", "config": {"value": 2.0}})
    Constant(value=2.0)
    """
    return object_registry.deserialize_from(
        config, ALL_OBJECTS_DICT, custom_objects, "initializer"
    )


def _from_value(value: Any) -> Any:
    def initialize_fn(shape: Any, dtype: Any = None) -> torch.Tensor:
        if tuple(shape) != tuple(value.shape):
            raise ValueError(
                f"Expected `shape` to be {tuple(value.shape)} for direct "
                f"tensor as initializer. Received shape={tuple(shape)}"
            )
        tensor = value if isinstance(value, torch.Tensor) else torch.from_numpy(value)
        return tensor.to(device=config.device(), dtype=config.torch_dtype(dtype))

    return initialize_fn


def get(identifier: Any) -> Any:
    """Returns an initializer for a name, config, class, callable or value.

    Args:
        identifier: `None`; a name (`"glorot_uniform"`, `"Zeros"`); a
            config dict; an `Initializer` class (instantiated) or instance;
            a callable `(shape, dtype=None)`; or a tensor/array, which
            becomes an initializer returning that value.

    Returns:
        An initializer, or `None` for `None`.

    Example:
    >>> get("glorot_uniform")
    GlorotUniform(seed=None, input_axes=None, output_axes=None)
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        obj = deserialize(identifier)
    elif isinstance(identifier, (torch.Tensor, np.ndarray, np.generic)):
        if isinstance(identifier, np.generic):
            identifier = np.asarray(identifier)
        obj = _from_value(identifier)
    else:
        obj = identifier
    return object_registry.as_callable(obj, identifier, "initializer")


__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "STFT",
    "STFTInitializer",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "stft",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

"""`keras.saving`: `.keras` archives, weights files and the object registry.

Files interchange with Keras 3 (same zip layout, same config schema, same
HDF5 weights layout). Loading never runs code from a file; saving is
atomic.
"""

from cornu.core.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from cornu.saving.errors import InvalidFileError
from cornu.saving.file_editor import KerasFileEditor
from cornu.saving.saving_api import (
    load_model,
    load_weights,
    model_from_json,
    save_model,
    save_weights,
)

__all__ = [
    "CustomObjectScope",
    "InvalidFileError",
    "KerasFileEditor",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "model_from_json",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]

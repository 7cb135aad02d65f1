"""`keras.utils`: helpers Keras programs call."""

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
from cornu.random.seed import set_random_seed
from cornu.trainers.data_adapters import (
    pack_x_y_sample_weight,
    unpack_x_y_sample_weight,
)
from cornu.utils.numerical_utils import normalize, to_categorical
from cornu.utils.progbar import Progbar
from cornu.utils.py_dataset import PyDataset, Sequence

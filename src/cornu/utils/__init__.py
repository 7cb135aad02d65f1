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
from cornu.utils import bounding_boxes
from cornu.utils.audio_dataset_utils import audio_dataset_from_directory
from cornu.utils.backend_utils import (
    clear_session,
    get_source_inputs,
    is_keras_tensor,
    standardize_dtype,
)
from cornu.utils.config_utils import Config
from cornu.utils.dataset_utils import split_dataset
from cornu.utils.feature_space import FeatureSpace
from cornu.utils.file_utils import get_file
from cornu.utils.image_dataset_utils import image_dataset_from_directory
from cornu.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from cornu.utils.io_utils import (
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
from cornu.utils.model_visualization import model_to_dot, plot_model
from cornu.utils.numerical_utils import normalize, to_categorical
from cornu.utils.progbar import Progbar
from cornu.utils.py_dataset import PyDataset, Sequence
from cornu.utils.sequence_utils import pad_sequences
from cornu.utils.text_dataset_utils import text_dataset_from_directory
from cornu.utils.timeseries_dataset_utils import timeseries_dataset_from_array

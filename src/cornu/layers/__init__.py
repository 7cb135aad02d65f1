"""`keras.layers`: the layer catalogue, one public layer per module."""

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.activations.activation import Activation
from cornu.layers.activations.elu import ELU
from cornu.layers.activations.leaky_relu import LeakyReLU
from cornu.layers.activations.prelu import PReLU
from cornu.layers.activations.relu import ReLU
from cornu.layers.activations.softmax import Softmax
from cornu.layers.attention.additive_attention import AdditiveAttention
from cornu.layers.attention.attention import Attention
from cornu.layers.attention.grouped_query_attention import (
    GroupedQueryAttention,
    GroupQueryAttention,
)
from cornu.layers.attention.multi_head_attention import MultiHeadAttention
from cornu.layers.convolutional.conv1d import Conv1D
from cornu.layers.convolutional.conv1d_transpose import Conv1DTranspose
from cornu.layers.convolutional.conv2d import Conv2D
from cornu.layers.convolutional.conv2d_transpose import Conv2DTranspose
from cornu.layers.convolutional.conv3d import Conv3D
from cornu.layers.convolutional.conv3d_transpose import Conv3DTranspose
from cornu.layers.convolutional.depthwise_conv1d import DepthwiseConv1D
from cornu.layers.convolutional.depthwise_conv2d import DepthwiseConv2D
from cornu.layers.convolutional.separable_conv1d import SeparableConv1D
from cornu.layers.convolutional.separable_conv2d import SeparableConv2D
from cornu.layers.core.dense import Dense
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.core.embedding import Embedding
from cornu.layers.core.identity import Identity
from cornu.layers.core.input_layer import Input, InputLayer
from cornu.layers.core.lambda_layer import Lambda
from cornu.layers.core.masking import Masking
from cornu.layers.core.reversible_embedding import ReversibleEmbedding
from cornu.layers.core.torch_module_wrapper import TorchModuleWrapper
from cornu.layers.core.wrapper import Wrapper
from cornu.layers.merging.add import Add, add
from cornu.layers.merging.average import Average, average
from cornu.layers.merging.concatenate import Concatenate, concatenate
from cornu.layers.merging.dot import Dot, dot
from cornu.layers.merging.maximum import Maximum, maximum
from cornu.layers.merging.minimum import Minimum, minimum
from cornu.layers.merging.multiply import Multiply, multiply
from cornu.layers.merging.subtract import Subtract, subtract
from cornu.layers.normalization.batch_normalization import BatchNormalization
from cornu.layers.normalization.group_normalization import GroupNormalization
from cornu.layers.normalization.layer_normalization import LayerNormalization
from cornu.layers.normalization.rms_normalization import RMSNormalization
from cornu.layers.normalization.spectral_normalization import SpectralNormalization
from cornu.layers.normalization.unit_normalization import UnitNormalization
from cornu.layers.pooling.adaptive_average_pooling1d import AdaptiveAveragePooling1D
from cornu.layers.pooling.adaptive_average_pooling2d import AdaptiveAveragePooling2D
from cornu.layers.pooling.adaptive_average_pooling3d import AdaptiveAveragePooling3D
from cornu.layers.pooling.adaptive_max_pooling1d import AdaptiveMaxPooling1D
from cornu.layers.pooling.adaptive_max_pooling2d import AdaptiveMaxPooling2D
from cornu.layers.pooling.adaptive_max_pooling3d import AdaptiveMaxPooling3D
from cornu.layers.pooling.average_pooling1d import AveragePooling1D, AvgPool1D
from cornu.layers.pooling.average_pooling2d import AveragePooling2D, AvgPool2D
from cornu.layers.pooling.average_pooling3d import AveragePooling3D, AvgPool3D
from cornu.layers.pooling.global_average_pooling1d import (
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
)
from cornu.layers.pooling.global_average_pooling2d import (
    GlobalAveragePooling2D,
    GlobalAvgPool2D,
)
from cornu.layers.pooling.global_average_pooling3d import (
    GlobalAveragePooling3D,
    GlobalAvgPool3D,
)
from cornu.layers.pooling.global_max_pooling1d import (
    GlobalMaxPool1D,
    GlobalMaxPooling1D,
)
from cornu.layers.pooling.global_max_pooling2d import (
    GlobalMaxPool2D,
    GlobalMaxPooling2D,
)
from cornu.layers.pooling.global_max_pooling3d import (
    GlobalMaxPool3D,
    GlobalMaxPooling3D,
)
from cornu.layers.pooling.max_pooling1d import MaxPool1D, MaxPooling1D
from cornu.layers.pooling.max_pooling2d import MaxPool2D, MaxPooling2D
from cornu.layers.pooling.max_pooling3d import MaxPool3D, MaxPooling3D
from cornu.layers.preprocessing.aug_mix import AugMix
from cornu.layers.preprocessing.auto_contrast import AutoContrast
from cornu.layers.preprocessing.category_encoding import CategoryEncoding
from cornu.layers.preprocessing.center_crop import CenterCrop
from cornu.layers.preprocessing.contrast_limited_adaptive_histogram_equalization import (  # noqa: E501
    ContrastLimitedAdaptiveHistogramEqualization,
)
from cornu.layers.preprocessing.cut_mix import CutMix
from cornu.layers.preprocessing.discretization import Discretization
from cornu.layers.preprocessing.equalization import Equalization
from cornu.layers.preprocessing.hashed_crossing import HashedCrossing
from cornu.layers.preprocessing.hashing import Hashing
from cornu.layers.preprocessing.integer_lookup import IntegerLookup
from cornu.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes
from cornu.layers.preprocessing.mel_spectrogram import MelSpectrogram
from cornu.layers.preprocessing.mix_up import MixUp
from cornu.layers.preprocessing.normalization import Normalization
from cornu.layers.preprocessing.pipeline import Pipeline
from cornu.layers.preprocessing.rand_augment import RandAugment
from cornu.layers.preprocessing.random_brightness import RandomBrightness
from cornu.layers.preprocessing.random_color_degeneration import (
    RandomColorDegeneration,
)
from cornu.layers.preprocessing.random_color_jitter import RandomColorJitter
from cornu.layers.preprocessing.random_contrast import RandomContrast
from cornu.layers.preprocessing.random_crop import RandomCrop
from cornu.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from cornu.layers.preprocessing.random_erasing import RandomErasing
from cornu.layers.preprocessing.random_flip import RandomFlip
from cornu.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from cornu.layers.preprocessing.random_grayscale import RandomGrayscale
from cornu.layers.preprocessing.random_hue import RandomHue
from cornu.layers.preprocessing.random_invert import RandomInvert
from cornu.layers.preprocessing.random_perspective import RandomPerspective
from cornu.layers.preprocessing.random_posterization import RandomPosterization
from cornu.layers.preprocessing.random_rotation import RandomRotation
from cornu.layers.preprocessing.random_saturation import RandomSaturation
from cornu.layers.preprocessing.random_sharpness import RandomSharpness
from cornu.layers.preprocessing.random_shear import RandomShear
from cornu.layers.preprocessing.random_translation import RandomTranslation
from cornu.layers.preprocessing.random_zoom import RandomZoom
from cornu.layers.preprocessing.rescaling import Rescaling
from cornu.layers.preprocessing.resizing import Resizing
from cornu.layers.preprocessing.solarization import Solarization
from cornu.layers.preprocessing.stft_spectrogram import STFTSpectrogram
from cornu.layers.preprocessing.string_lookup import StringLookup
from cornu.layers.preprocessing.text_vectorization import TextVectorization
from cornu.layers.regularization.activity_regularization import ActivityRegularization
from cornu.layers.regularization.alpha_dropout import AlphaDropout
from cornu.layers.regularization.dropout import Dropout
from cornu.layers.regularization.gaussian_dropout import GaussianDropout
from cornu.layers.regularization.gaussian_noise import GaussianNoise
from cornu.layers.regularization.spatial_dropout import (
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from cornu.layers.reshaping.cropping1d import Cropping1D
from cornu.layers.reshaping.cropping2d import Cropping2D
from cornu.layers.reshaping.cropping3d import Cropping3D
from cornu.layers.reshaping.flatten import Flatten
from cornu.layers.reshaping.permute import Permute
from cornu.layers.reshaping.repeat_vector import RepeatVector
from cornu.layers.reshaping.reshape import Reshape
from cornu.layers.reshaping.up_sampling1d import UpSampling1D
from cornu.layers.reshaping.up_sampling2d import UpSampling2D
from cornu.layers.reshaping.up_sampling3d import UpSampling3D
from cornu.layers.reshaping.zero_padding1d import ZeroPadding1D
from cornu.layers.reshaping.zero_padding2d import ZeroPadding2D
from cornu.layers.reshaping.zero_padding3d import ZeroPadding3D
from cornu.layers.rnn.bidirectional import Bidirectional
from cornu.layers.rnn.conv_lstm1d import ConvLSTM1D
from cornu.layers.rnn.conv_lstm2d import ConvLSTM2D
from cornu.layers.rnn.conv_lstm3d import ConvLSTM3D
from cornu.layers.rnn.gru import GRU
from cornu.layers.rnn.gru_cell import GRUCell
from cornu.layers.rnn.lstm import LSTM
from cornu.layers.rnn.lstm_cell import LSTMCell
from cornu.layers.rnn.rnn import RNN
from cornu.layers.rnn.simple_rnn import SimpleRNN
from cornu.layers.rnn.simple_rnn_cell import SimpleRNNCell
from cornu.layers.rnn.stacked_rnn_cells import StackedRNNCells
from cornu.layers.rnn.time_distributed import TimeDistributed

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D


def serialize(layer: Layer) -> dict:
    """Returns `layer`'s config in Keras's serialization schema.

    Example:
    >>> serialize(Dense(2))["class_name"]
    'Dense'
    """
    from cornu.core.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config: dict, custom_objects: dict | None = None) -> Layer:
    """Rebuilds a layer from `serialize`'s output (or a Keras layer config).

    Example:
    >>> deserialize(serialize(Dense(2))).units
    2
    """
    from cornu.core.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)

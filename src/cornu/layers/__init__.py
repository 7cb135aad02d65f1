"""`keras.layers`: the layer catalogue, one public layer per module."""

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.activations.activation import Activation
from cornu.layers.activations.elu import ELU
from cornu.layers.activations.leaky_relu import LeakyReLU
from cornu.layers.activations.prelu import PReLU
from cornu.layers.activations.relu import ReLU
from cornu.layers.activations.softmax import Softmax
from cornu.layers.convolutional.conv1d import Conv1D
from cornu.layers.convolutional.conv2d import Conv2D
from cornu.layers.convolutional.conv3d import Conv3D
from cornu.layers.core.dense import Dense
from cornu.layers.core.einsum_dense import EinsumDense
from cornu.layers.core.embedding import Embedding
from cornu.layers.core.identity import Identity
from cornu.layers.core.input_layer import Input, InputLayer
from cornu.layers.core.lambda_layer import Lambda
from cornu.layers.core.masking import Masking
from cornu.layers.merging.add import Add, add
from cornu.layers.merging.average import Average, average
from cornu.layers.merging.concatenate import Concatenate, concatenate
from cornu.layers.merging.dot import Dot, dot
from cornu.layers.merging.maximum import Maximum, maximum
from cornu.layers.merging.minimum import Minimum, minimum
from cornu.layers.merging.multiply import Multiply, multiply
from cornu.layers.merging.subtract import Subtract, subtract
from cornu.layers.normalization.batch_normalization import BatchNormalization
from cornu.layers.normalization.layer_normalization import LayerNormalization
from cornu.layers.pooling.average_pooling1d import AveragePooling1D, AvgPool1D
from cornu.layers.pooling.average_pooling2d import AveragePooling2D, AvgPool2D
from cornu.layers.pooling.average_pooling3d import AveragePooling3D, AvgPool3D
from cornu.layers.pooling.max_pooling1d import MaxPool1D, MaxPooling1D
from cornu.layers.pooling.max_pooling2d import MaxPool2D, MaxPooling2D
from cornu.layers.pooling.max_pooling3d import MaxPool3D, MaxPooling3D
from cornu.layers.regularization.dropout import Dropout
from cornu.layers.reshaping.flatten import Flatten
from cornu.layers.reshaping.permute import Permute
from cornu.layers.reshaping.repeat_vector import RepeatVector
from cornu.layers.reshaping.reshape import Reshape

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D

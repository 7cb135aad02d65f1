"""`keras.layers`: the layer catalogue, one public layer per module."""

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.core.dense import Dense
from cornu.layers.core.input_layer import Input, InputLayer
from cornu.layers.convolutional.conv1d import Conv1D
from cornu.layers.convolutional.conv2d import Conv2D
from cornu.layers.convolutional.conv3d import Conv3D
from cornu.layers.pooling.average_pooling1d import AveragePooling1D, AvgPool1D
from cornu.layers.pooling.average_pooling2d import AveragePooling2D, AvgPool2D
from cornu.layers.pooling.average_pooling3d import AveragePooling3D, AvgPool3D
from cornu.layers.pooling.max_pooling1d import MaxPool1D, MaxPooling1D
from cornu.layers.pooling.max_pooling2d import MaxPool2D, MaxPooling2D
from cornu.layers.pooling.max_pooling3d import MaxPool3D, MaxPooling3D

Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D

"""`keras.layers`: the layer catalogue, one public layer per module."""

from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.layers.core.dense import Dense
from cornu.layers.core.input_layer import Input, InputLayer

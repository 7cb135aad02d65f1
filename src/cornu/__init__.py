"""cornu: the Keras API, native on PyTorch.

Write `import cornu as keras` and Keras code runs; every layer and model is a
`torch.nn.Module`.
"""

from cornu import config, ops, tree
from cornu.core.input_spec import InputSpec
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.core.variable import Variable

__version__ = "0.1.0"

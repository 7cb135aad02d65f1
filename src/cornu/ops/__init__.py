"""`keras.ops`: numpy-like functions over torch tensors, also usable on KerasTensors.

Everything is exported flat, as in `keras.ops`; the families are also
available as submodules (`ops.numpy`, `ops.nn`, `ops.math`, `ops.linalg`,
`ops.image`).
"""

from cornu.ops import image, linalg, math, nn, numpy
from cornu.ops.core import *  # noqa: F403
from cornu.ops.dtypes import result_type
from cornu.ops.einops import rearrange
from cornu.ops.linalg import *  # noqa: F403
from cornu.ops.math import *  # noqa: F403
from cornu.ops.nn import *  # noqa: F403
from cornu.ops.numpy import *  # noqa: F403

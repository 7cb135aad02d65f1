"""`keras.optimizers.schedules`: learning rates that change with the step."""

from cornu.optimizers.schedules.cosine_decay import CosineDecay
from cornu.optimizers.schedules.cosine_decay_restarts import CosineDecayRestarts
from cornu.optimizers.schedules.exponential_decay import ExponentialDecay
from cornu.optimizers.schedules.inverse_time_decay import InverseTimeDecay
from cornu.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    deserialize,
    serialize,
)
from cornu.optimizers.schedules.piecewise_constant_decay import (
    PiecewiseConstantDecay,
)
from cornu.optimizers.schedules.polynomial_decay import PolynomialDecay

"""`keras.models`: Model, Sequential, and (with saving) load/save helpers."""

from cornu.models.functional import Functional
from cornu.models.model import Model
from cornu.models.sequential import Sequential

"""`keras.models`: Model, Sequential, and (with saving) load/save helpers."""

from cornu.models.cloning import clone_model
from cornu.models.functional import Functional
from cornu.models.model import Model
from cornu.models.sequential import Sequential

_SAVING_FUNCTIONS = ("load_model", "save_model", "model_from_json")


def __getattr__(name: str):  # noqa: ANN202 - module attribute hook
    # The saving functions live in cornu.saving, a layer above models; they
    # are imported on first use so that importing models never imports it.
    if name in _SAVING_FUNCTIONS:
        from cornu.saving import saving_api

        return getattr(saving_api, name)
    raise AttributeError(f"module 'cornu.models' has no attribute {name!r}")

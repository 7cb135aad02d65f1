"""`keras.config` switches, `keras.mixed_precision`, `keras.dtype_policies`
and `keras.tree.MAP_TO_NONE`, compared with real Keras where it is installed."""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import cornu
from cornu import config
from cornu.core import dtype_policy, serialization
from cornu.saving.errors import InvalidFileError
from cornu.utils import io_utils

os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        KERAS: Any = importlib.import_module("keras")
except Exception:  # noqa: BLE001 - any import failure means "no oracle"
    KERAS = None


@pytest.fixture(autouse=True)
def _restore_globals() -> Iterator[None]:
    saved = (
        config._FLASH_ATTENTION,
        config._TRACEBACK_FILTERING,
        config._MAX_EPOCHS,
        config._MAX_STEPS_PER_EPOCH,
        serialization.UNSAFE_DESERIALIZATION,
        dtype_policy._GLOBAL,
        io_utils.is_interactive_logging_enabled(),
    )
    yield
    (
        config._FLASH_ATTENTION,
        config._TRACEBACK_FILTERING,
        config._MAX_EPOCHS,
        config._MAX_STEPS_PER_EPOCH,
        serialization.UNSAFE_DESERIALIZATION,
        dtype_policy._GLOBAL,
        interactive,
    ) = saved
    if interactive:
        io_utils.enable_interactive_logging()
    else:
        io_utils.disable_interactive_logging()


def _public(module: Any) -> set[str]:
    return {n for n in dir(module) if not n.startswith("_")}


@pytest.mark.skipif(KERAS is None, reason="real Keras is not installed")
def test_config_has_every_keras_config_function() -> None:
    assert _public(KERAS.config) - _public(cornu.config) == set()


@pytest.mark.skipif(KERAS is None, reason="real Keras is not installed")
def test_mixed_precision_names_match_keras() -> None:
    assert _public(KERAS.mixed_precision) - _public(cornu.mixed_precision) == set()


def test_flash_attention_flag_states_follow_keras() -> None:
    assert config.is_flash_attention_enabled() is None  # automatic by default
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is None
    if KERAS is not None:
        KERAS.config.disable_flash_attention()
        assert KERAS.config.is_flash_attention_enabled() is False
        KERAS.config.enable_flash_attention()
        assert KERAS.config.is_flash_attention_enabled() is None


def test_traceback_filtering_flag() -> None:
    assert config.is_traceback_filtering_enabled() is True
    config.disable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is False
    config.enable_traceback_filtering()
    assert config.is_traceback_filtering_enabled() is True


def test_interactive_logging_functions_are_the_io_utils_ones() -> None:
    assert config.enable_interactive_logging is io_utils.enable_interactive_logging
    assert config.disable_interactive_logging is io_utils.disable_interactive_logging
    config.disable_interactive_logging()
    assert config.is_interactive_logging_enabled() is False
    assert io_utils.is_interactive_logging_enabled() is False
    config.enable_interactive_logging()
    assert io_utils.is_interactive_logging_enabled() is True


def test_dtype_policy_through_config_and_mixed_precision() -> None:
    assert config.dtype_policy().name == "float32"
    config.set_dtype_policy("mixed_bfloat16")
    assert cornu.mixed_precision.global_policy().compute_dtype == "bfloat16"
    assert cornu.mixed_precision.dtype_policy().variable_dtype == "float32"
    cornu.mixed_precision.set_global_policy("float16")
    assert config.dtype_policy() == cornu.dtype_policies.DTypePolicy("float16")
    assert cornu.mixed_precision.Policy is cornu.dtype_policies.DTypePolicy
    from cornu.optimizers.loss_scale_optimizer import LossScaleOptimizer

    assert cornu.mixed_precision.LossScaleOptimizer is LossScaleOptimizer


def test_max_epochs_and_steps_are_stored_and_validated() -> None:
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None
    config.set_max_epochs(3)
    config.set_max_steps_per_epoch(7)
    assert (config.max_epochs(), config.max_steps_per_epoch()) == (3, 7)
    config.set_max_epochs(None)
    assert config.max_epochs() is None
    with pytest.raises(ValueError, match="`max_epochs` must be a positive int"):
        config.set_max_epochs(0)
    with pytest.raises(ValueError, match="`max_steps_per_epoch` .* received: 2.5"):
        config.set_max_steps_per_epoch(2.5)  # type: ignore[arg-type]


def test_backend_switches() -> None:
    assert config.is_nnx_enabled() is False
    config.set_backend("torch")
    with pytest.raises(ValueError, match="accepts 'torch', received: 'jax'"):
        config.set_backend("jax")


def _lambda_model_file(tmp_path: Path) -> str:
    inp = cornu.Input((2,))
    out = cornu.layers.Lambda(lambda t: t * 3.0)(inp)
    path = str(tmp_path / "lambda.keras")
    cornu.Model(inp, out).save(path)
    return path


def test_enable_unsafe_deserialization_lifts_safe_mode(tmp_path: Path) -> None:
    path = _lambda_model_file(tmp_path)
    with pytest.raises(InvalidFileError, match="Python lambda"):
        cornu.saving.load_model(path)
    config.enable_unsafe_deserialization()
    assert serialization.in_safe_mode() is False
    model = cornu.saving.load_model(path)  # safe_mode=True is overridden
    out = model.predict(np.ones((1, 2), "float32"), verbose=0)
    np.testing.assert_allclose(np.asarray(out), [[3.0, 3.0]])


def test_dtype_policies_namespace_round_trips_like_keras() -> None:
    dp = cornu.dtype_policies
    policy = dp.DTypePolicy("mixed_float16")
    config_dict = dp.serialize(policy)
    assert dp.deserialize(config_dict) == policy
    assert dp.get("mixed_bfloat16").compute_dtype == "bfloat16"
    assert dp.get(None) == config.dtype_policy()
    assert dp.FloatDTypePolicy("float32").name == "float32"
    with pytest.raises(ValueError, match="expects a dict produced by `serialize`"):
        dp.deserialize("float32")  # type: ignore[arg-type]
    if KERAS is not None:
        kpolicy = KERAS.dtype_policies.DTypePolicy("mixed_float16")
        assert KERAS.dtype_policies.serialize(kpolicy) == config_dict
        restored = KERAS.dtype_policies.deserialize(config_dict)
        assert (restored.compute_dtype, restored.variable_dtype) == (
            policy.compute_dtype,
            policy.variable_dtype,
        )


def test_map_to_none_in_traverse_matches_keras() -> None:
    def drop_twos(x: Any) -> Any:
        return cornu.tree.MAP_TO_NONE if x == 2 else None

    structure = [1, [2, 3], {"a": 2}]
    for top_down in (True, False):
        got = cornu.tree.traverse(drop_twos, structure, top_down=top_down)
        assert got == [1, [None, 3], {"a": None}]
        if KERAS is not None:

            def keras_drop(x: Any) -> Any:
                return KERAS.tree.MAP_TO_NONE if x == 2 else None

            assert KERAS.tree.traverse(keras_drop, structure, top_down=top_down) == got

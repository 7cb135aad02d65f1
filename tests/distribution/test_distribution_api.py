"""`keras.distribution` objects in one process: names, lookups and errors."""

from __future__ import annotations

import pytest
import torch

import cornu as keras
from cornu import distribution as D


def test_exports_keras_names() -> None:
    for name in (
        "DataParallel",
        "DeviceMesh",
        "FullyShardedDataParallel",
        "LayoutMap",
        "ModelParallel",
        "TensorLayout",
        "distribute_tensor",
        "distribution",
        "get_device_count",
        "initialize",
        "list_devices",
        "set_distribution",
    ):
        assert hasattr(keras.distribution, name), name


def test_single_process_devices_and_initialize() -> None:
    assert D.list_devices("cpu") == ["cpu:0"]
    assert D.get_device_count("cpu") == 1
    assert D.initialize() is False
    with pytest.raises(ValueError, match='`device_type` must be "cpu" or "gpu"'):
        D.list_devices("tpu")


def test_device_mesh_checks_shape_against_devices() -> None:
    mesh = D.DeviceMesh((2, 1), ["batch", "model"], devices=["cpu:0", "cpu:1"])
    assert mesh.devices.shape == (2, 1)
    with pytest.raises(ValueError, match=r"shape \(4,\) needs 4 devices; received 1"):
        D.DeviceMesh((4,), ["batch"])
    with pytest.raises(ValueError, match="same length"):
        D.DeviceMesh((1,), ["batch", "model"])


def test_mesh_larger_than_world_size_is_refused() -> None:
    mesh = D.DeviceMesh((2,), ["batch"], devices=["cpu:0", "cpu:1"])
    with pytest.raises(ValueError, match=r"spans 2 devices, but this job has 1"):
        _ = mesh.backend_mesh


def test_layout_map_matches_paths_by_regex() -> None:
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
    layout_map = D.LayoutMap(mesh)
    layout_map[".*dense.*kernel"] = (None, "model")
    layout_map[".*dense.*bias"] = ("model",)
    assert layout_map["sequential/dense_1/kernel"].axes == (None, "model")
    assert layout_map["dense/bias"].device_mesh is mesh
    assert layout_map["conv2d/kernel"] is None
    layout_map[".*kernel"] = (None, None)
    with pytest.raises(ValueError, match="matches several LayoutMap keys"):
        layout_map["dense/kernel"]
    with pytest.raises(ValueError, match="not axes of the mesh"):
        layout_map["x"] = ("nope",)


def test_model_parallel_reports_layout_keys_naming_no_variable() -> None:
    mesh = D.DeviceMesh((1, 1), ["batch", "model"], devices=["cpu:0"])
    layout_map = D.LayoutMap(mesh)
    layout_map[".*kernel"] = (None, "model")
    layout_map[".*embeddings"] = (None, "model")
    strategy = D.ModelParallel(layout_map=layout_map)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    kernel = [v for v in model.variables if v.path.endswith("kernel")][0]
    assert strategy.get_variable_layout(kernel).axes == (None, "model")
    with pytest.raises(ValueError, match=r"'\.\*embeddings' matches no variable"):
        strategy.check_layout_map(model)
    with pytest.raises(ValueError, match="must be a `LayoutMap`"):
        D.ModelParallel(layout_map={"a": (None,)})


def test_set_distribution_and_context_manager() -> None:
    assert D.distribution() is None
    strategy = D.DataParallel(devices=["cpu:0"])
    with D.set_distribution(strategy):
        assert D.distribution() is strategy
        other = D.DataParallel(devices=["cpu:0"])
        with other.scope():
            assert D.distribution() is other
        assert D.distribution() is strategy
    assert D.distribution() is None
    with pytest.raises(ValueError, match="expects a Distribution"):
        D.set_distribution("data_parallel")


def test_single_process_fit_is_unchanged_under_data_parallel() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with D.set_distribution(D.DataParallel(devices=["cpu:0"])):
        model.fit(torch.ones(4, 2), torch.ones(4, 1), verbose=0)
    assert "apply" not in model.optimizer.__dict__  # no gradient all-reduce


def test_distribute_tensor_is_identity_in_one_process() -> None:
    t = torch.ones(2, 2)
    mesh = D.DeviceMesh((1,), ["batch"], devices=["cpu:0"])
    assert D.distribute_tensor(t, D.TensorLayout(("batch", None), mesh)) is t


def test_fully_sharded_in_one_process_is_plain_training() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    strategy = D.FullyShardedDataParallel(devices=["cpu:0"])
    assert isinstance(strategy, D.DataParallel)
    with D.set_distribution(strategy):
        model.fit(torch.ones(4, 2), torch.ones(4, 1), verbose=0)
    assert type(model.weights[0]) is type(model.weights[1])  # no DTensors
    assert not type(model).__name__.startswith("FSDP")


def test_dist_timeout_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from cornu.distribution import process_group

    monkeypatch.setenv("CORNU_DIST_TIMEOUT", "7.5")
    assert process_group.timeout_seconds() == 7.5
    monkeypatch.delenv("CORNU_DIST_TIMEOUT")
    assert process_group.timeout_seconds() == 1800.0
    monkeypatch.setenv("CORNU_DIST_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="`CORNU_DIST_TIMEOUT` must be a positive"):
        process_group.timeout_seconds()

"""Round trips inside cornu: `.keras`, JSON, `.weights.h5` and `.safetensors`."""

from __future__ import annotations

import io
import json
import zipfile

import h5py
import numpy as np
import pytest
import torch
from saving_support import BUILDERS, build, predict

import cornu as keras
from cornu.models import functional
from cornu.saving import InvalidFileError, object_tree

ARCHS = sorted(BUILDERS)


def _assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("name", ARCHS)
def test_keras_archive_round_trip(name, tmp_path):
    model = build(name)
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert type(restored) is type(model)
    _assert_same(predict(restored, name), predict(model, name))
    _assert_same(restored.get_weights(), model.get_weights())


def test_archive_contents(tmp_path):
    model = build("sequential")
    keras.saving.save_model(model, tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
        metadata = json.loads(zf.read("metadata.json"))
    assert config["class_name"] == "Sequential"
    assert {"module", "class_name", "config", "registered_name"} <= set(config)
    assert metadata["keras_version"].startswith("3.")
    assert [layer["class_name"] for layer in config["config"]["layers"]] == [
        "InputLayer",
        "Dense",
        "Dense",
    ]


def test_file_object_round_trip(dense_model):
    buffer = io.BytesIO()
    dense_model.save(buffer)
    buffer.seek(0)
    restored = keras.saving.load_model(buffer)
    _assert_same(restored.get_weights(), dense_model.get_weights())


@pytest.mark.parametrize("name", ARCHS)
def test_json_round_trip(name):
    model = build(name)
    clone = keras.models.model_from_json(model.to_json())
    assert clone.to_json() == model.to_json()
    clone.set_weights(model.get_weights())
    _assert_same(predict(clone, name), predict(model, name))


@pytest.mark.parametrize("name", ARCHS)
def test_weights_h5_round_trip(name, tmp_path):
    source, target = build(name), build(name)
    source.save_weights(tmp_path / "m.weights.h5")
    target.load_weights(tmp_path / "m.weights.h5")
    _assert_same(predict(target, name), predict(source, name))


@pytest.mark.parametrize("name", ARCHS)
def test_safetensors_round_trip(name, tmp_path):
    pytest.importorskip("safetensors")
    source = build(name)
    source.save_weights(tmp_path / "m.safetensors")
    # A second model of the same architecture has other layer names, so it
    # loads by structure; the source itself loads by variable path.
    for target in (build(name), source):
        target.load_weights(tmp_path / "m.safetensors")
        _assert_same(predict(target, name), predict(source, name))


def test_safetensors_keys_are_variable_paths(dense_model, tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    dense_model.save_weights(tmp_path / "m.safetensors")
    tensors = st.load_file(str(tmp_path / "m.safetensors"))
    assert sorted(tensors) == sorted(w.path for w in dense_model.weights)
    for w in dense_model.weights:
        np.testing.assert_array_equal(tensors[w.path], w.detach().numpy())


def test_safetensors_missing_package_names_the_extra(
    dense_model, tmp_path, monkeypatch
):
    import builtins

    real_import = builtins.__import__

    def no_safetensors(name, *args, **kwargs):
        if name.startswith("safetensors"):
            raise ImportError("No module named 'safetensors'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_safetensors)
    with pytest.raises(ImportError, match=r"pip install cornu\[safetensors\]"):
        dense_model.save_weights(tmp_path / "m.safetensors")


def test_weights_from_keras_archive(dense_model, tmp_path):
    dense_model.save(tmp_path / "m.keras")
    other = build("sequential")
    other.load_weights(tmp_path / "m.keras")
    _assert_same(other.get_weights(), dense_model.get_weights())


def test_subclassed_model_with_layers_in_attributes(tmp_path):
    source, target = build("tower"), build("tower")
    source.save_weights(tmp_path / "t.weights.h5")
    target.load_weights(tmp_path / "t.weights.h5")
    _assert_same(predict(target, "tower"), predict(source, "tower"))
    # Keras's paths: attributes in sorted order; `stem` is reached first
    # through the model's `layers` (which sorts before it), by class name.
    paths = [s.path for s in object_tree.walk(source)]
    assert paths == ["", "blocks/dense", "blocks/dense_1", "head", "layers/dense"]


def test_keras_layer_order_is_by_depth():
    model = build("branchy")
    order = [op for op in functional.keras_operation_order(model)]
    # The deep branch's first layer (depth 1) comes before the shallow one.
    units = [getattr(op, "units", None) for op in order]
    assert units == [None, 3, 2, 2]


def test_custom_registered_layer_round_trip(tmp_path):
    @keras.saving.register_keras_serializable(package="tests")
    class Scale(keras.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

        def call(self, x):
            return x * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    x = keras.Input((3,))
    model = keras.Model(x, Scale(3.0)(keras.layers.Dense(3)(x)))
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    data = np.ones((2, 3), "float32")
    np.testing.assert_allclose(restored(data).detach(), model(data).detach())
    assert keras.saving.get_registered_name(Scale) == "tests>Scale"
    assert keras.saving.get_registered_object("tests>Scale") is Scale


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return x * 2

    x = keras.Input((3,))
    model = keras.Model(x, Doubler()(x))
    model.save(tmp_path / "m.keras")
    with pytest.raises(InvalidFileError, match="Unknown class 'Doubler'"):
        keras.saving.load_model(tmp_path / "m.keras")
    restored = keras.saving.load_model(
        tmp_path / "m.keras", custom_objects={"Doubler": Doubler}
    )
    np.testing.assert_array_equal(restored(np.ones((1, 3), "float32")).detach(), 2.0)
    with keras.saving.custom_object_scope({"Doubler": Doubler}):
        assert keras.saving.load_model(tmp_path / "m.keras") is not None


def test_save_refuses_other_extensions(dense_model, tmp_path):
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        dense_model.save(tmp_path / "m.zip")
    with pytest.raises(ValueError, match="legacy HDF5"):
        dense_model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"must end in\s+`\.weights\.h5`"):
        dense_model.save_weights(tmp_path / "m.h5")


def test_load_refuses_other_extensions(tmp_path):
    with pytest.raises(ValueError, match="weights only"):
        keras.saving.load_model(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"expected a `\.keras` file"):
        keras.saving.load_model(tmp_path / "m.pkl")
    with pytest.raises(FileNotFoundError, match="No such file"):
        keras.saving.load_model(tmp_path / "missing.keras")


def test_overwrite_false(dense_model, tmp_path):
    dense_model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        dense_model.save(tmp_path / "m.keras", overwrite=False)


def test_unbuilt_model_errors(tmp_path):
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="not built yet"):
        model.save_weights(tmp_path / "m.weights.h5")
    with pytest.warns(UserWarning, match="not built yet"):
        model.save(tmp_path / "m.keras")


def test_lambda_needs_unsafe_mode(tmp_path):
    import base64
    import marshal

    code = base64.b64encode(marshal.dumps((lambda x: x * 3).__code__)).decode()
    config = json.loads(build("sequential").to_json())
    config["config"]["layers"][1]["config"]["activation"] = {
        "class_name": "__lambda__",
        "config": {"value": [code, None, None]},
    }
    with pytest.raises(InvalidFileError, match=r"safe_mode=False"):
        keras.models.model_from_json(json.dumps(config))
    fn = keras.saving.deserialize_keras_object(
        config["config"]["layers"][1]["config"]["activation"], safe_mode=False
    )
    assert fn(2) == 6


def _compiled_and_trained():
    if not hasattr(keras, "optimizers") or not hasattr(keras.optimizers, "Adam"):
        pytest.skip("cornu.optimizers.Adam does not exist yet")
    model = build("sequential")
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = rng.standard_normal((16, 3)).astype("float32")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    return model, x, y


def test_optimizer_state_round_trip_and_training_continues(tmp_path):
    model, x, y = _compiled_and_trained()
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert restored.compiled
    assert restored.get_compile_config() == model.get_compile_config()
    _assert_same(
        [v.detach().numpy() for v in restored.optimizer.variables],
        [v.detach().numpy() for v in model.optimizer.variables],
    )
    assert int(restored.optimizer.iterations) == 4
    # One more epoch on each: the same steps from the same state.
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    restored.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_load_without_compile(tmp_path):
    model, _, _ = _compiled_and_trained()
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    assert not restored.compiled
    _assert_same(restored.get_weights(), model.get_weights())


def test_optimizer_state_in_weights_h5(tmp_path):
    model, _, _ = _compiled_and_trained()
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert f["optimizer/vars"].attrs["name"] == model.optimizer.name
        assert len(f["optimizer/vars"]) == len(model.optimizer.variables)


def test_bfloat16_weights_keep_keras_tagging(tmp_path):
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(3, dtype="bfloat16")(x))
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        kernel = f["layers/dense/vars/0"]
        assert kernel.attrs["dtype"] == "bfloat16" and kernel.dtype.itemsize == 2
    x2 = keras.Input((4,))
    other = keras.Model(x2, keras.layers.Dense(3, dtype="bfloat16")(x2))
    other.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(other.weights, model.weights):
        assert a.dtype == b.dtype
        assert torch.equal(a.detach(), b.detach())

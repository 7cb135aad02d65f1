"""`KerasFileEditor` on files written by cornu and by real Keras 3.

Real Keras runs in a subprocess (torch backend): it writes a `.keras`
archive and a `.weights.h5` file, its predictions, and the result of the
same edits made with its own `KerasFileEditor`, which cornu's edits must
reproduce dataset for dataset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from saving_support import requires_keras

import cornu as keras
from cornu.saving import InvalidFileError, KerasFileEditor

# -- models, written once for both libraries -----------------------------------------
MODELS = """
def nested(k):
    inp = k.Input((4,), name="inp")
    inner = k.Sequential(
        [k.Input((4,)), k.layers.Dense(3, name="in_d")], name="inner"
    )
    x = inner(inp)
    x = k.layers.Reshape((3, 1))(x)
    x = k.layers.MultiHeadAttention(2, 2, name="mha")(x, x)
    y = k.layers.Dense(2, name="out")(k.layers.Flatten()(x))
    return k.Model(inp, y)


def flat(k):
    return k.Sequential(
        [k.Input((3,)), k.layers.Dense(4, name="first"), k.layers.Dense(2, name="second")]
    )


def train(model, np):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    return x
"""
namespace: dict[str, Any] = {}
exec(MODELS, namespace)  # noqa: S102 - the test's own model definitions
nested, flat, train = namespace["nested"], namespace["flat"], namespace["train"]

EDITS = [
    ("rename_object", ("dense_1", "renamed")),
    ("delete_weight", ("layers/dense", "1")),
    ("add_weights", ("dense", {"1": "ones4"})),
    ("add_object", ("layers/extra", {"0": "arange6"})),
    ("delete_object", ("layers/renamed",)),
    ("add_object", ("layers/renamed_again", {"0": "arange6", "1": "ones4"})),
]


def _value(spec: Any) -> Any:
    if spec == "ones4":
        return np.ones(4, "float32")
    if spec == "arange6":
        return np.arange(6, dtype="float32").reshape(2, 3)
    if isinstance(spec, dict):
        return {k: _value(v) for k, v in spec.items()}
    return spec


def _apply_edits(editor: Any) -> None:
    for method, args in EDITS:
        getattr(editor, method)(*[_value(a) for a in args])


ORACLE = (
    MODELS
    + """
import json, sys
import numpy as np
import keras

out = sys.argv[1]
EDITS = json.loads(sys.argv[2])
keras.utils.set_random_seed(1)
model = nested(keras)
x = train(model, np)
model.save(f"{out}/nested.keras")
np.save(f"{out}/nested_x.npy", x)
np.save(f"{out}/nested_y.npy", np.asarray(model(x).detach().cpu().numpy()))
small = flat(keras)
small.save_weights(f"{out}/flat.weights.h5")

def value(spec):
    if spec == "ones4":
        return np.ones(4, "float32")
    if spec == "arange6":
        return np.arange(6, dtype="float32").reshape(2, 3)
    if isinstance(spec, dict):
        return {k: value(v) for k, v in spec.items()}
    return spec

editor = keras.saving.KerasFileEditor(f"{out}/flat.weights.h5")
for method, args in EDITS:
    getattr(editor, method)(*[value(a) for a in args])
editor.save(f"{out}/flat_edited_by_keras.weights.h5")
"""
)


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("editor")
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONWARNINGS": "ignore"}
    edits = [[m, list(a)] for m, a in EDITS]
    proc = subprocess.run(
        [sys.executable, "-c", ORACLE, str(out), json.dumps(edits)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"the Keras oracle failed:\n{proc.stderr[-4000:]}"
    return out


def _datasets(source: Any) -> dict[str, np.ndarray]:
    """Every dataset of an h5 file (path or bytes), by path."""
    out: dict[str, np.ndarray] = {}
    if isinstance(source, bytes):
        import io

        source = io.BytesIO(source)
    with h5py.File(source, "r") as f:
        f.visititems(
            lambda name, obj: (
                out.__setitem__(name, obj[()])
                if isinstance(obj, h5py.Dataset)
                else None
            )
        )
    return out


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    out = {}
    for key, value in tree.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict):
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def _as_tree_paths(datasets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """File paths without the `vars` level, as the editor's tree has them."""
    out = {}
    for path, value in datasets.items():
        parts = [p for p in path.split("/") if p != "vars"]
        out["/".join(parts)] = value
    return out


# -- files written by Keras ------------------------------------------------------------
@requires_keras
def test_reads_a_keras_archive(keras_files: Path, capsys: Any) -> None:
    path = keras_files / "nested.keras"
    editor = KerasFileEditor(path)
    printed = capsys.readouterr().out
    assert f"Keras model file '{path}'" in printed
    assert "Saved with Keras 3." in printed
    assert editor.metadata is not None and editor.metadata["keras_version"]
    assert editor.config is not None and editor.config["class_name"] == "Functional"

    with zipfile.ZipFile(path) as zf:
        in_file = _as_tree_paths(_datasets(zf.read("model.weights.h5")))
    in_editor = _flatten(editor.weights_dict)
    assert sorted(in_editor) == sorted(in_file)
    for key, value in in_file.items():
        np.testing.assert_array_equal(in_editor[key], value)
    # Objects nested in others (a model in a model, the attention's
    # projections) are kept, with their names.
    assert "layers/sequential/layers/dense/0" in in_editor
    assert "layers/multi_head_attention/query_dense/0" in in_editor
    assert editor.object_metadata["/layers/multi_head_attention"]["name"] == "mha"
    assert editor.object_metadata["/optimizer"]["name"] == "adam"


@requires_keras
def test_compare_and_resave_a_keras_archive(keras_files: Path, tmp_path: Path) -> None:
    editor = KerasFileEditor(keras_files / "nested.keras")
    model = nested(keras)
    # Before training the cornu model has no optimizer state: one error.
    result = editor.compare(model)
    assert result == {"status": "error", "error_count": 1, "match_count": 12}
    x = np.load(keras_files / "nested_x.npy")
    train(model, np)
    assert editor.compare(model) == {
        "status": "success",
        "error_count": 0,
        "match_count": 12 + 26,
    }
    out = tmp_path / "resaved.weights.h5"
    editor.save(out)
    model.load_weights(out)
    np.testing.assert_allclose(
        model.predict(x, verbose=0), np.load(keras_files / "nested_y.npy"), atol=1e-5
    )


@requires_keras
def test_edits_match_keras_editor(keras_files: Path, tmp_path: Path) -> None:
    editor = KerasFileEditor(keras_files / "flat.weights.h5")
    _apply_edits(editor)
    out = tmp_path / "flat_edited_by_cornu.weights.h5"
    editor.save(out)
    ours = _datasets(str(out))
    theirs = _datasets(str(keras_files / "flat_edited_by_keras.weights.h5"))
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        np.testing.assert_array_equal(ours[key], value)
        assert ours[key].dtype == value.dtype
    assert "layers/extra/vars/0" in ours
    assert "layers/dense_1/vars/0" not in ours


# -- files written by cornu -----------------------------------------------------------------
def _cornu_weights(tmp_path: Path) -> tuple[Any, Path]:
    model = flat(keras)
    path = tmp_path / "flat.weights.h5"
    model.save_weights(path)
    return model, path


def test_round_trip_of_an_unedited_file(tmp_path: Path) -> None:
    model, path = _cornu_weights(tmp_path)
    editor = KerasFileEditor(path)
    assert editor.config is None and editor.metadata is None
    assert editor.compare(model)["status"] == "success"
    out = tmp_path / "copy.weights.h5"
    editor.save(out)
    fresh = flat(keras)
    fresh.load_weights(out)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_edit_then_load_into_a_changed_model(tmp_path: Path) -> None:
    model, path = _cornu_weights(tmp_path)
    wider = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(4),
            keras.layers.Dense(2),
            keras.layers.Dense(5),
        ]
    )
    editor = KerasFileEditor(path)
    result = editor.compare(wider)
    assert result["status"] == "error" and result["error_count"] == 1
    kernel = np.full((2, 5), 0.5, "float32")
    editor.add_object("layers/dense_2", {"0": kernel, "1": np.zeros(5, "float32")})
    assert editor.compare(wider) == {
        "status": "success",
        "error_count": 0,
        "match_count": 6,
    }
    out = tmp_path / "wider.weights.h5"
    editor.save(out)
    wider.load_weights(out)
    np.testing.assert_array_equal(wider.layers[2].kernel.numpy(), kernel)
    np.testing.assert_array_equal(
        wider.layers[0].kernel.numpy(), model.layers[0].kernel.numpy()
    )


def test_compare_reports_each_difference(tmp_path: Path, capsys: Any) -> None:
    model, path = _cornu_weights(tmp_path)
    editor = KerasFileEditor(path)
    editor.delete_weight("dense_1", "1")
    editor.add_weights("layers/dense", {"2": np.zeros(3, "float32")})
    editor.delete_object("layers/dense_1")
    editor.add_object("layers/dense_1", {"0": np.zeros((9, 9), "float32")})
    capsys.readouterr()
    result = editor.compare(model)
    printed = capsys.readouterr().out
    # A missing bias, an extra weight, a kernel of the wrong shape.
    assert result == {"status": "error", "error_count": 3, "match_count": 2}
    assert "Weight /layers/dense_1/1 present in reference model" in printed
    assert "Weight /layers/dense/2 present in saved file" in printed
    assert "Weight shape mismatch for /layers/dense_1/0" in printed
    assert "shape=(4, 2)" in printed and "shape=(9, 9)" in printed


def test_summary_prints_the_tree(tmp_path: Path, capsys: Any) -> None:
    _, path = _cornu_weights(tmp_path)
    editor = KerasFileEditor(path)
    capsys.readouterr()
    editor.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Weights structure"
    assert lines[1] == "  > layers"
    assert any("dense ('first')" in line for line in lines)
    assert any("0: shape=(3, 4), dtype=float32" in line for line in lines)
    assert any("1: shape=(2,), dtype=float32" in line for line in lines)


def test_rename_keeps_position_and_metadata_is_read(tmp_path: Path) -> None:
    _, path = _cornu_weights(tmp_path)
    editor = KerasFileEditor(path)
    editor.rename_object("layers/dense", "head")
    assert list(editor.weights_dict["layers"]) == ["head", "dense_1"]
    assert editor.object_metadata["/layers/dense_1"] == {"name": "second"}


def test_edit_errors(tmp_path: Path) -> None:
    _, path = _cornu_weights(tmp_path)
    editor = KerasFileEditor(path)
    with pytest.raises(ValueError, match="expected a `.keras` or `.weights.h5`"):
        KerasFileEditor(tmp_path / "model.h5")
    with pytest.raises(ValueError, match="Name '0' occurs more than once"):
        editor.delete_object("0")
    with pytest.raises(ValueError, match="Source name 'nope' does not appear"):
        editor.delete_object("nope")
    with pytest.raises(ValueError, match="Path 'layers/nope' not found"):
        editor.rename_object("layers/nope", "x")
    with pytest.raises(ValueError, match="should be a leaf name"):
        editor.rename_object("dense", "layers/x")
    with pytest.raises(ValueError, match="an object named 'dense_1' already exists"):
        editor.rename_object("dense", "dense_1")
    with pytest.raises(ValueError, match=r"Weight 7 not found .* \['0', '1'\]"):
        editor.delete_weight("dense", "7")
    with pytest.raises(ValueError, match="should be a dict"):
        editor.add_weights("dense", [np.zeros(2)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be a numeric array"):
        editor.add_weights("dense", {"2": np.array(["a"])})
    with pytest.raises(ValueError, match="Path 'nope/deeper' not found"):
        editor.add_object("nope/deeper/x", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="already exists. Use `add_weights`"):
        editor.add_object("layers/dense", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="expected a `.weights.h5` extension"):
        editor.save(tmp_path / "out.keras")


# -- the file is never trusted ---------------------------------------------------------------
def test_links_and_non_numeric_data_are_refused(tmp_path: Path) -> None:
    _, path = _cornu_weights(tmp_path)
    soft = tmp_path / "soft.weights.h5"
    soft.write_bytes(path.read_bytes())
    with h5py.File(soft, "a") as f:
        f["layers/dense/vars/2"] = h5py.SoftLink("/layers/dense_1/vars/0")
    with pytest.raises(InvalidFileError, match="SoftLink"):
        KerasFileEditor(soft)

    external = tmp_path / "external.weights.h5"
    external.write_bytes(path.read_bytes())
    with h5py.File(external, "a") as f:
        f["layers/dense/vars/2"] = h5py.ExternalLink("/etc/passwd", "/x")
    with pytest.raises(InvalidFileError, match="ExternalLink"):
        KerasFileEditor(external)

    strings = tmp_path / "strings.weights.h5"
    strings.write_bytes(path.read_bytes())
    with h5py.File(strings, "a") as f:
        f["layers/dense/vars"].create_dataset("2", data=np.array([b"abc"]))
    with pytest.raises(InvalidFileError, match="weights must be numeric"):
        KerasFileEditor(strings)


def test_archive_config_is_never_deserialized(tmp_path: Path) -> None:
    model = flat(keras)
    path = tmp_path / "model.keras"
    model.save(path)
    hostile = tmp_path / "hostile.keras"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(hostile, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "config.json":
                config = json.loads(data)
                config["config"]["layers"][1] = {
                    "module": "os",
                    "class_name": "system",
                    "config": {"command": "touch pwned"},
                }
                data = json.dumps(config).encode()
            dst.writestr(info, data)
    editor = KerasFileEditor(hostile)
    assert editor.config is not None
    assert editor.config["config"]["layers"][1]["class_name"] == "system"
    assert editor.compare(model)["status"] == "success"
    assert not (tmp_path / "pwned").exists()


def test_bfloat16_weights_survive_a_resave(tmp_path: Path) -> None:
    layer_model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, dtype="bfloat16")]
    )
    path = tmp_path / "bf16.weights.h5"
    layer_model.save_weights(path)
    editor = KerasFileEditor(path)
    out = tmp_path / "bf16_copy.weights.h5"
    editor.save(out)
    fresh = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, dtype="bfloat16")]
    )
    fresh.load_weights(out)
    for a, b in zip(fresh.weights, layer_model.weights):
        assert str(a.dtype) == "torch.bfloat16"
        np.testing.assert_array_equal(a.detach().float(), b.detach().float())

"""`.keras` and `.weights.h5` files move both ways between cornu and real Keras 3."""

from __future__ import annotations

import io
import zipfile

import h5py
import numpy as np
import pytest
from saving_support import (
    ALL_BUILDERS,
    BUILDERS,
    build,
    predict,
    require,
    requires_keras,
)

import cornu as keras

pytestmark = requires_keras
ARCHS = sorted(BUILDERS)
ALL_ARCHS = sorted(ALL_BUILDERS)

ARCHIVE_ARCHS = ARCHS


def _close(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ARCHIVE_ARCHS)
def test_keras_loads_cornu_archive(oracle, name):
    require(name)
    fname = f"{name}.keras"
    _close(oracle.keras_out(fname), oracle.cornu_predictions[fname])


@pytest.mark.parametrize("name", ALL_ARCHS)
def test_keras_loads_cornu_weights_h5(oracle, name):
    require(name)
    fname = f"{name}.weights.h5"
    _close(oracle.keras_out(fname), oracle.cornu_predictions[fname])


@pytest.mark.parametrize("name", ARCHIVE_ARCHS)
def test_cornu_loads_keras_archive(oracle, name):
    require(name)
    path = oracle.keras_file(name).with_suffix(".keras")
    model = keras.saving.load_model(path)
    want = oracle.keras_predictions(name)
    _close(predict(model, name), [want[f"y{i}"] for i in range(len(want))])


@pytest.mark.parametrize("name", ALL_ARCHS)
def test_cornu_loads_keras_weights_h5(oracle, name):
    require(name)
    model = build(name)
    model.load_weights(str(oracle.keras_file(name)) + ".weights.h5")
    want = oracle.keras_predictions(name)
    _close(predict(model, name), [want[f"y{i}"] for i in range(len(want))])


@pytest.mark.parametrize("name", ARCHS)
def test_weights_layout_matches_keras(oracle, name, tmp_path):
    """Same HDF5 dataset paths and shapes as Keras writes for the architecture."""
    require(name)
    build(name).save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        ours: dict[str, list[int]] = {}
        with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
            f.visititems(
                lambda n, o: (
                    ours.__setitem__(n, list(o.shape))
                    if isinstance(o, h5py.Dataset)
                    else None
                )
            )
    oracle.keras_file(name)  # surfaces Keras-side errors first
    assert ours == oracle.report["layouts"][name]


def test_archive_members_match_keras(oracle, tmp_path):
    build("sequential").save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as ours:
        with zipfile.ZipFile(
            oracle.keras_file("sequential").with_suffix(".keras")
        ) as ks:
            assert ours.namelist() == ks.namelist()
            assert all(i.compress_type == zipfile.ZIP_STORED for i in ours.infolist())


def test_cornu_restores_keras_optimizer_state(oracle):
    path = oracle.keras_file("compiled").with_suffix(".keras")
    if not hasattr(keras, "optimizers") or not hasattr(keras.optimizers, "Adam"):
        pytest.skip("cornu.optimizers.Adam does not exist yet")
    model = keras.saving.load_model(path)
    want = oracle.keras_predictions("compiled")
    _close(predict(model, "sequential"), [want["y0"]])
    if getattr(model, "optimizer", None) is None:
        pytest.skip("cornu's compile() does not exist yet: no optimizer to restore")
    got = [np.asarray(v.detach().cpu()) for v in model.optimizer.variables]
    expected = [want[f"opt{i}"] for i in range(len(got))]
    assert len(got) == sum(k.startswith("opt") for k in want)
    for g, w in zip(got, expected):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)


def test_keras_restores_cornu_optimizer_state(oracle):
    if "compiled.keras" not in oracle.cornu_predictions:
        pytest.skip("cornu's compile()/fit() or optimizers do not exist yet")
    _close(
        oracle.keras_out("compiled.keras"), oracle.cornu_predictions["compiled.keras"]
    )
    state = oracle.report["optimizer"]["compiled.keras"]
    assert state["iterations"] == 4  # 2 epochs of 2 batches

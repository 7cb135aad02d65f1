"""Saves are atomic: an interrupted save leaves the previous file loadable."""

from __future__ import annotations

import os

import numpy as np
import pytest
from saving_support import build

import cornu as keras
from cornu.saving import keras_archive, weights_h5


class Interrupted(Exception):
    pass


def _interrupt(*args, **kwargs):
    raise Interrupted("simulated crash in the middle of the save")


@pytest.mark.parametrize(
    "where",
    [(weights_h5, "write_weights"), (keras_archive, "write_archive")],
    ids=["during_weights", "during_zip"],
)
def test_interrupted_keras_save_keeps_previous_file(where, tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    old = build("sequential")
    old.save(path)
    new = build("sequential")
    monkeypatch.setattr(*where, _interrupt)
    with pytest.raises(Interrupted):
        new.save(path)
    monkeypatch.undo()
    restored = keras.saving.load_model(path)
    for a, b in zip(restored.get_weights(), old.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["m.keras"], "temporary files were left behind"


def test_interrupted_weights_save_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.weights.h5"
    old = build("sequential")
    old.save_weights(path)
    monkeypatch.setattr(weights_h5, "write_weights", _interrupt)
    with pytest.raises(Interrupted):
        build("sequential").save_weights(path)
    monkeypatch.undo()
    target = build("sequential")
    target.load_weights(path)
    for a, b in zip(target.get_weights(), old.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["m.weights.h5"]


def test_interrupted_safetensors_save_keeps_previous_file(tmp_path, monkeypatch):
    st = pytest.importorskip("safetensors.torch")
    path = tmp_path / "m.safetensors"
    old = build("sequential")
    old.save_weights(path)
    monkeypatch.setattr(st, "save_file", _interrupt)
    with pytest.raises(Interrupted):
        build("sequential").save_weights(path)
    monkeypatch.undo()
    target = build("sequential")
    target.load_weights(path)
    for a, b in zip(target.get_weights(), old.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_save_fsyncs_before_rename(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(
        os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))
    )
    monkeypatch.setattr(
        os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))
    )
    build("sequential").save(tmp_path / "m.keras")
    assert events[:2] == ["fsync", "replace"]

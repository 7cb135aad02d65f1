"""`model.export`: ONNX, torch.export and ExecuTorch artifacts, each verified."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.export import ExportResult, ExportVerificationError, export_lib

sys.path.insert(0, str(Path(__file__).parents[1] / "saving"))
from interop_models import ALL_BUILDERS  # noqa: E402

HAS_ONNX = all(
    importlib.util.find_spec(m) is not None
    for m in ("onnx", "onnxruntime", "onnxscript")
)
HAS_EXECUTORCH = importlib.util.find_spec("executorch") is not None


def _reference(model, xs):
    out = model(xs[0] if len(xs) == 1 else list(xs), training=False)
    out = out if isinstance(out, (list, tuple)) else [out]
    return [y.detach().numpy() for y in out]


@pytest.mark.parametrize("name", ["sequential", "multi_io", "tower"])
def test_torch_export_is_verified_and_reloadable(name, tmp_path, capsys):
    model = ALL_BUILDERS[name](keras)
    path = tmp_path / "model.pt2"
    result = model.export(path, format="torch")
    assert isinstance(result, ExportResult)
    assert result.format == "torch" and result.path == str(path)
    assert result.runtime.startswith("torch.export.load")
    assert result.batch_sizes == (1, 3)
    assert result.max_abs_diff < 1e-5
    assert "max abs diff" in capsys.readouterr().out
    # The artifact runs on its own, at a batch size never seen, without cornu
    # types in its weights.
    program = torch.export.load(str(path))
    assert all(type(t) is torch.nn.Parameter for t in program.state_dict.values())
    n_inputs = 2 if name == "multi_io" else 1
    rng = np.random.default_rng(0)
    shapes = [(7, 4), (7, 3)][:n_inputs]
    xs = [rng.standard_normal(s).astype("float32") for s in shapes]
    got = program.module()(*[torch.from_numpy(x) for x in xs])
    got = got if isinstance(got, (list, tuple)) else [got]
    for g, w in zip(got, _reference(model, xs)):
        np.testing.assert_allclose(g.detach().numpy(), w, rtol=1e-5, atol=1e-6)
    assert os.listdir(tmp_path) == ["model.pt2"]


@pytest.mark.skipif(not HAS_ONNX, reason="onnx/onnxruntime/onnxscript not installed")
def test_onnx_export_has_dynamic_batch(tmp_path):
    import onnxruntime as ort

    model = ALL_BUILDERS["multi_io"](keras)
    path = tmp_path / "model.onnx"
    result = model.export(path, verbose=False)  # format from the extension
    assert result.format == "onnx" and result.runtime.startswith("onnxruntime")
    assert result.max_abs_diff < 1e-5
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = session.get_inputs()
    assert [i.name for i in inputs] == ["in_a", "in_b"]
    assert all(isinstance(i.shape[0], str) for i in inputs), "batch is not dynamic"
    rng = np.random.default_rng(1)
    xs = [
        rng.standard_normal((6, 4)).astype("f4"),
        rng.standard_normal((6, 3)).astype("f4"),
    ]
    got = session.run(None, {"in_a": xs[0], "in_b": xs[1]})
    for g, w in zip(got, _reference(model, xs)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_mismatching_artifact_is_an_error_and_not_kept(tmp_path, monkeypatch):
    real = export_lib._export_torch

    def drifting(program, path):
        run, runtime = real(program, path)
        return (lambda xs: [y + 0.01 for y in run(xs)]), runtime

    monkeypatch.setattr(export_lib, "_export_torch", drifting)
    model = ALL_BUILDERS["sequential"](keras)
    with pytest.raises(ExportVerificationError, match=r"max abs diff 0\.01 exceeds"):
        model.export(tmp_path / "model.pt2", format="torch", verbose=False)
    assert os.listdir(tmp_path) == []


def test_given_sample_inputs_are_used(tmp_path, monkeypatch):
    seen = []
    real = export_lib._compare

    def spy(got, want, atol, rtol):
        seen.append(want[0].shape[0])
        return real(got, want, atol, rtol)

    monkeypatch.setattr(export_lib, "_compare", spy)
    model = ALL_BUILDERS["sequential"](keras)
    data = np.ones((4, 4), "float32")
    result = model.export(
        tmp_path / "m.pt2",
        format="torch",
        sample_inputs=data,
        batch_sizes=(2, 6),
        verbose=False,
    )
    assert seen == [2, 6] and result.batch_sizes == (2, 6)


def test_subclassed_model_needs_a_signature_until_built(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x)

    model = Net()
    with pytest.raises(ValueError, match="not built yet"):
        model.export(tmp_path / "m.pt2", format="torch")
    model(np.ones((1, 5), "float32"))
    result = model.export(tmp_path / "m.pt2", format="torch", verbose=False)
    assert result.max_abs_diff < 1e-5
    signature = export_lib.model_signature(model, [keras.Input((5,))])
    assert signature.specs[0].shape == (None, 5)


def test_bad_formats(tmp_path):
    model = ALL_BUILDERS["sequential"](keras)
    with pytest.raises(ValueError, match="no TensorFlow"):
        model.export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(ValueError, match=r"Unknown export format 'tflite'"):
        model.export(tmp_path / "m", format="tflite")


@pytest.mark.skipif(HAS_EXECUTORCH, reason="executorch is installed")
def test_executorch_missing_names_the_extra(tmp_path):
    model = ALL_BUILDERS["sequential"](keras)
    with pytest.raises(ImportError, match=r"pip install cornu\[executorch\]"):
        model.export(tmp_path / "m.pte")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(not HAS_EXECUTORCH, reason="executorch is not installed")
def test_executorch_export_is_verified(tmp_path):
    model = ALL_BUILDERS["multi_io"](keras)
    result = model.export(tmp_path / "m.pte", verbose=False)
    assert result.format == "executorch" and result.runtime.startswith("ExecuTorch")
    assert result.max_abs_diff < 1e-5


def test_onnx_missing_runtime_names_the_extra(tmp_path, monkeypatch):
    import importlib

    real_import_module = importlib.import_module

    def no_onnxruntime(name, *args, **kwargs):
        if name.startswith("onnxruntime"):
            raise ImportError("No module named 'onnxruntime'")
        return real_import_module(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", no_onnxruntime)
    model = ALL_BUILDERS["sequential"](keras)
    with pytest.raises(ImportError, match=r"pip install cornu\[onnx\]"):
        model.export(tmp_path / "m.onnx", verbose=False)
    assert os.listdir(tmp_path) == []

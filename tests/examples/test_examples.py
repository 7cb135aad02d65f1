"""Every script in examples/ runs; the README quickstart runs as written."""

import re
import runpy
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def test_digits_convnet_example_trains(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(
        sys, "argv", ["digits_convnet.py", "--epochs", "2", "--verbose", "0"]
    )
    module = runpy.run_path(str(ROOT / "examples" / "digits_convnet.py"))
    argv = ["--epochs", "2", "--verbose", "0", "--output-dir", str(tmp_path)]
    accuracy = module["main"](argv)
    out = capsys.readouterr().out
    assert "test accuracy" in out and 'Model: "sequential' in out
    picture = tmp_path / "digits_convnet.png"
    if shutil.which("dot"):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "no model picture: plot_model needs Graphviz" in out
    assert accuracy > 0.5  # two epochs already learn the digits; the demo runs 30


def test_readme_quickstart_runs_as_written(capsys):
    text = (ROOT / "README.md").read_text()
    code = re.search(r"## Quickstart\n\n```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["y"].shape == (32, 10)
    assert len(namespace["grads"]) == len(namespace["model"].trainable_weights)
    assert all(g is not None for g in namespace["grads"])
    assert len(namespace["history"].history["loss"]) == 5
    assert isinstance(namespace["y"], type(namespace["grads"][0]))
    assert np.isfinite(namespace["history"].history["loss"][-1])
    assert "Total params" in capsys.readouterr().out

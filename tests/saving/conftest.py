"""Fixtures for the saving tests: small models and the real-Keras oracle."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from interop_models import missing_layers
from saving_support import (  # noqa: F401
    ALL_BUILDERS,
    BUILDERS,
    HERE,
    KERAS_MISSING,
    build,
    predict,
    require,
    requires_keras,
)

import cornu as keras
from cornu.saving import saving_api


@pytest.fixture
def dense_model() -> Any:
    return build("sequential")


@dataclasses.dataclass
class Oracle:
    """Files written by each library and what the other made of them."""

    workdir: Path
    report: dict
    cornu_predictions: dict[str, list[np.ndarray]]

    def keras_out(self, fname: str) -> list[np.ndarray]:
        err = self.report["errors"].get(fname)
        assert err is None, f"Keras failed on cornu's {fname}:\n{err}"
        with np.load(self.workdir / "keras_out" / f"{fname}.npz") as data:
            return [data[f"y{i}"] for i in range(len(data.files))]

    def keras_file(self, name: str) -> Path:
        err = self.report["errors"].get(name)
        assert err is None, f"Keras failed to build/save {name}:\n{err}"
        return self.workdir / "keras" / name

    def keras_predictions(self, name: str) -> dict[str, np.ndarray]:
        with np.load(self.keras_file(name).with_suffix(".npz")) as data:
            return {k: data[k] for k in data.files}


def _save_compiled_cornu(directory: Path, predictions: dict) -> None:
    """A compiled, trained cornu model, when compile/fit exist yet."""
    model = build("sequential")
    if not hasattr(model, "fit") or not hasattr(keras, "optimizers"):
        return
    try:
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        rng = np.random.default_rng(0)
        x = rng.standard_normal((16, 4)).astype("float32")
        y = rng.standard_normal((16, 3)).astype("float32")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    except (AttributeError, NotImplementedError, TypeError):
        return
    model.save(directory / "compiled.keras")
    predictions["compiled.keras"] = predict(model, "sequential")


@pytest.fixture(scope="session")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Oracle:
    """Writes cornu files, then runs Keras once to read them and write its own."""
    if KERAS_MISSING:
        pytest.skip("real Keras 3 is not installed; `pip install cornu[interop]`")
    workdir = tmp_path_factory.mktemp("interop")
    cornu_dir = workdir / "cornu"
    cornu_dir.mkdir()
    predictions: dict[str, list[np.ndarray]] = {}
    archs = [n for n in ALL_BUILDERS if not missing_layers(keras, n)]
    (workdir / "archs.json").write_text(json.dumps(archs))
    for name in archs:
        model = build(name)
        saving_api.save_weights(model, cornu_dir / f"{name}.weights.h5")
        predictions[f"{name}.weights.h5"] = predict(model, name)
        if name in BUILDERS:
            model.save(cornu_dir / f"{name}.keras")
            predictions[f"{name}.keras"] = predictions[f"{name}.weights.h5"]
    _save_compiled_cornu(cornu_dir, predictions)
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(
        [sys.executable, str(HERE / "keras_oracle.py"), str(workdir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"the Keras oracle crashed:\n{proc.stderr[-4000:]}"
    report = json.loads((workdir / "keras" / "report.json").read_text())
    return Oracle(workdir, report, predictions)

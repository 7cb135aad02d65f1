"""Runs under real Keras 3 (KERAS_BACKEND=torch), in a subprocess of the tests.

Usage: python keras_oracle.py WORKDIR

1. Loads every file cornu wrote to WORKDIR/cornu (`<name>.keras` with
   `keras.saving.load_model`, `<name>.weights.h5` into a fresh Keras model
   of the same architecture) and writes Keras's predictions to
   WORKDIR/keras_out/<file>.npz.
2. Builds every architecture in `interop_models` with Keras and writes
   WORKDIR/keras/<name>.keras, <name>.weights.h5 and <name>.npz (the
   predictions), plus a compiled and trained model, `compiled.keras`.
3. Writes WORKDIR/keras/report.json: errors met, and the HDF5 layout of
   each Keras file (dataset paths and shapes).
"""

from __future__ import annotations

import io
import json
import os
import sys
import traceback
import zipfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import h5py  # noqa: E402
import keras  # noqa: E402
from interop_models import (  # noqa: E402
    ALL_BUILDERS,
    BUILDERS,
    WEIGHTS_ONLY_BUILDERS,
    model_inputs,
    sample_inputs,
    to_numpy_list,
)


def layout(h5bytes: bytes) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    with h5py.File(io.BytesIO(h5bytes), "r") as f:
        f.visititems(
            lambda name, obj: (
                out.__setitem__(name, list(obj.shape))
                if isinstance(obj, h5py.Dataset)
                else None
            )
        )
    return out


def predict(model: keras.Model, name: str) -> dict[str, np.ndarray]:
    ys = to_numpy_list(model(model_inputs(sample_inputs(name)), training=False))
    return {f"y{i}": y for i, y in enumerate(ys)}


def main(workdir: str) -> None:
    report: dict = {"errors": {}, "layouts": {}, "optimizer": {}}
    os.makedirs(os.path.join(workdir, "keras_out"), exist_ok=True)
    os.makedirs(os.path.join(workdir, "keras"), exist_ok=True)
    cornu_dir = os.path.join(workdir, "cornu")
    for fname in sorted(os.listdir(cornu_dir)) if os.path.isdir(cornu_dir) else []:
        path = os.path.join(cornu_dir, fname)
        name = fname.split(".")[0]
        try:
            if fname.endswith(".keras"):
                model = keras.saving.load_model(path)
                if getattr(model, "optimizer", None) is not None and model.built:
                    report["optimizer"][fname] = {
                        "iterations": int(model.optimizer.iterations.numpy()),
                        "n_variables": len(model.optimizer.variables),
                    }
            elif fname.endswith(".weights.h5"):
                model = ALL_BUILDERS[name](keras)
                model.load_weights(path)
            else:
                continue
            np.savez(
                os.path.join(workdir, "keras_out", fname + ".npz"),
                **predict(model, name),
            )
        except Exception:  # noqa: BLE001 - reported to the test
            report["errors"][fname] = traceback.format_exc()

    with open(os.path.join(workdir, "archs.json")) as f:
        wanted = json.load(f)
    keras.utils.set_random_seed(3)
    for name, build in BUILDERS.items():
        if name not in wanted:
            continue
        try:
            model = build(keras)
            base = os.path.join(workdir, "keras", name)
            model.save(base + ".keras")
            model.save_weights(base + ".weights.h5")
            np.savez(base + ".npz", **predict(model, name))
            with zipfile.ZipFile(base + ".keras") as zf:
                report["layouts"][name] = layout(zf.read("model.weights.h5"))
        except Exception:  # noqa: BLE001
            report["errors"][name] = traceback.format_exc()

    for name, build in WEIGHTS_ONLY_BUILDERS.items():
        try:
            model = build(keras)
            base = os.path.join(workdir, "keras", name)
            model.save_weights(base + ".weights.h5")
            np.savez(base + ".npz", **predict(model, name))
            with open(base + ".weights.h5", "rb") as f:
                report["layouts"][name] = layout(f.read())
        except Exception:  # noqa: BLE001
            report["errors"][name] = traceback.format_exc()

    try:
        model = BUILDERS["sequential"](keras)
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
        rng = np.random.default_rng(0)
        x = rng.standard_normal((16, 4)).astype("float32")
        y = rng.standard_normal((16, 3)).astype("float32")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        base = os.path.join(workdir, "keras", "compiled")
        model.save(base + ".keras")
        np.savez(
            base + ".npz",
            **predict(model, "sequential"),
            **{f"opt{i}": v.numpy() for i, v in enumerate(model.optimizer.variables)},
        )
    except Exception:  # noqa: BLE001
        report["errors"]["compiled"] = traceback.format_exc()

    with open(os.path.join(workdir, "keras", "report.json"), "w") as f:
        json.dump(report, f)


if __name__ == "__main__":
    main(sys.argv[1])

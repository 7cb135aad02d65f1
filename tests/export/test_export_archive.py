"""ExportArchive: several endpoints of one model, each a verified torch.export program."""

import json

import numpy as np
import pytest
import torch

import cornu as keras


def test_two_endpoints_and_variables(tmp_path):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2)(hidden))
    archive = keras.export.ExportArchive()
    archive.track(model)
    spec = [keras.InputSpec(shape=(None, 4), dtype="float32")]
    archive.add_endpoint("serve", lambda x: model(x, training=False), spec)
    archive.add_endpoint("embed", lambda x: model.layers[1](x), spec)
    archive.add_variable_collection("weights", model.weights)
    results = archive.write_out(tmp_path / "archive", verbose=False)
    assert sorted(results) == ["embed", "serve"]
    manifest = json.loads((tmp_path / "archive" / "manifest.json").read_text())
    assert manifest == {
        "endpoints": ["embed", "serve"],
        "variable_collections": {"weights": 4},
    }
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    program = torch.export.load(str(tmp_path / "archive" / "serve.pt2"))
    (out,) = program.module()(torch.from_numpy(x))
    torch.testing.assert_close(out, model(x), rtol=1e-5, atol=1e-6)
    embed = torch.export.load(str(tmp_path / "archive" / "embed.pt2"))
    (hid,) = embed.module()(torch.from_numpy(x))
    torch.testing.assert_close(hid, model.layers[1](x), rtol=1e-5, atol=1e-6)
    with np.load(tmp_path / "archive" / "variables.npz", allow_pickle=False) as saved:
        np.testing.assert_array_equal(
            saved["weights/0"], model.weights[0].detach().numpy()
        )


def test_errors():
    archive = keras.export.ExportArchive()
    with pytest.raises(ValueError, match="can only track layers and models"):
        archive.track("model")
    with pytest.raises(ValueError, match="needs both `fn` and `input_signature`"):
        archive.add_endpoint("serve", lambda x: x)
    archive.add_endpoint("serve", lambda x: x, [keras.InputSpec(shape=(None, 2))])
    with pytest.raises(ValueError, match="already taken"):
        archive.add_endpoint("serve", lambda x: x, [keras.InputSpec(shape=(None, 2))])
    with pytest.raises(ValueError, match="No endpoints"):
        keras.export.ExportArchive().write_out("unused")

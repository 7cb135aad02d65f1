import shutil

import pytest

import cornu as keras
from cornu.utils import model_visualization


def _multi_io():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    c = keras.layers.Concatenate(name="cat")([a, b])
    o1 = keras.layers.Dense(2, activation="relu", name="o1")(c)
    o2 = keras.layers.Dense(1, name="o2")(c)
    return keras.Model([a, b], [o1, o2])


def test_dot_text_nodes_and_edges(tmp_path):
    text = keras.utils.model_to_dot(
        _multi_io(), show_shapes=True, show_layer_activations=True, rankdir="LR"
    )
    assert 'label="cat (Concatenate)\\nOutput shape: (None, 6)"' in text
    assert "Activation: relu" in text and "rankdir=LR" in text
    assert text.count("->") == 4 and "n0 -> n2;" in text and "n2 -> n4;" in text
    path = keras.utils.plot_model(_multi_io(), str(tmp_path / "m.dot"))
    assert (
        __import__("pathlib").Path(path).read_text().startswith('digraph "functional')
    )
    with pytest.raises(ValueError, match='`rankdir` must be "TB" or "LR"'):
        keras.utils.model_to_dot(_multi_io(), rankdir="XY")


def test_png_needs_graphviz(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    if shutil.which("dot"):
        path = keras.utils.plot_model(model, str(tmp_path / "m.png"))
        assert __import__("pathlib").Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setattr(model_visualization.shutil, "which", lambda name: None)
    monkeypatch.setitem(__import__("sys").modules, "pydot", None)
    with pytest.raises(ImportError, match="apt-get install graphviz"):
        keras.utils.plot_model(model, str(tmp_path / "m2.png"))

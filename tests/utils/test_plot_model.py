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


def _nested():
    inner_seq = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3, name="d1"),
            keras.layers.Dense(2, name="d2"),
        ],
        name="inner_seq",
    )
    fi = keras.Input((2,), name="fi")
    inner_fn = keras.Model(fi, keras.layers.Dense(5, name="fd")(fi), name="inner_fn")
    x = keras.Input((4,), name="x")
    z = keras.layers.Dense(1, name="head")(inner_fn(inner_seq(x)))
    return keras.Model(x, z, name="outer")


def _node_ids(text):
    """{layer name: node id} from the DOT text."""
    import re

    return {
        m.group(2): m.group(1) for m in re.finditer(r'(n\d+) \[label="(\w+) \(', text)
    }


def test_expand_nested_draws_clusters_and_inner_edges():
    text = keras.utils.model_to_dot(_nested(), expand_nested=True)
    ids = _node_ids(text)
    assert set(ids) == {"x", "d1", "d2", "fi", "fd", "head"}
    # One dashed cluster per nested model, holding its own layers.
    seq = text.index('subgraph "cluster_inner_seq" {')
    fn = text.index('subgraph "cluster_inner_fn" {')
    seq_block = text[seq : text.index("}", seq)]
    fn_block = text[fn : text.index("}", fn)]
    assert 'label="inner_seq"; style=dashed; labeljust=l;' in seq_block
    assert ids["d1"] in seq_block and ids["d2"] in seq_block
    assert ids["fi"] in fn_block and ids["fd"] in fn_block
    assert ids["head"] not in seq_block + fn_block
    # Edges enter a Sequential at its first layer and a Functional at its
    # InputLayer, and leave from the layer producing the output.
    edges = {
        (a, b)
        for a, b in (
            line.strip(" ;").split(" -> ") for line in text.splitlines() if "->" in line
        )
    }
    expected = {("x", "d1"), ("d1", "d2"), ("d2", "fi"), ("fi", "fd"), ("fd", "head")}
    assert edges == {(ids[a], ids[b]) for a, b in expected}
    assert "inner_seq (Sequential)" not in text


def test_expand_nested_off_and_deeper_nesting():
    flat = keras.utils.model_to_dot(_nested())
    assert "cluster_" not in flat and "inner_fn (Functional)" in flat
    assert flat.count("->") == 3
    # A Sequential inside a Sequential inside a functional model.
    core = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(3, name="c1")], name="core"
    )
    mid = keras.Sequential(
        [keras.Input((3,)), core, keras.layers.Dense(2, name="m2")], name="mid"
    )
    x = keras.Input((3,), name="x")
    model = keras.Model(x, mid(x), name="top")
    text = keras.utils.model_to_dot(model, expand_nested=True)
    ids = _node_ids(text)
    mid_at = text.index('subgraph "cluster_mid"')
    assert text.index('subgraph "cluster_core"') > mid_at
    edges = [line.strip(" ;") for line in text.splitlines() if "->" in line]
    assert sorted(edges) == sorted(
        [f"{ids['x']} -> {ids['c1']}", f"{ids['c1']} -> {ids['m2']}"]
    )
    sub = keras.utils.model_to_dot(model, subgraph=True)
    assert sub.startswith('subgraph "cluster_top" {')
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        keras.utils.model_to_dot(model, colour="red")
    with pytest.raises(ValueError, match="`layer_range` is no longer supported"):
        keras.utils.model_to_dot(model, layer_range=["a", "b"])


def test_expand_nested_renders_with_graphviz(tmp_path):
    if not shutil.which("dot"):
        pytest.skip("the Graphviz `dot` program is not installed")
    path = keras.utils.plot_model(
        _nested(), str(tmp_path / "nested.svg"), expand_nested=True, show_shapes=True
    )
    svg = __import__("pathlib").Path(path).read_text()
    assert "cluster_inner_seq" in svg or "inner_seq" in svg

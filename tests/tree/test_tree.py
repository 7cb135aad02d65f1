"""`keras.tree` against real Keras's tree on the same structures."""

import pytest

import cornu as keras

K = pytest.importorskip("keras", reason="real Keras 3 is not installed")

# Keys inserted in sorted order: Keras 3.15 sorts top-level dict keys but keeps
# nested ones in insertion order, cornu sorts both (noted in the ops issue).
STRUCT = {"a": {"x": None, "y": 4}, "b": (1, [2, 3])}


def test_flatten_and_paths_match_keras():
    assert keras.tree.flatten(STRUCT) == K.tree.flatten(STRUCT)
    assert keras.tree.flatten_with_path(STRUCT) == [
        (tuple(p), v) for p, v in K.tree.flatten_with_path(STRUCT)
    ]


def test_map_pack_and_lists_to_tuples_match_keras():
    double = lambda v: None if v is None else v * 2  # noqa: E731
    assert keras.tree.map_structure(double, STRUCT) == K.tree.map_structure(
        double, STRUCT
    )
    flat = list(range(5))
    assert keras.tree.pack_sequence_as(STRUCT, flat) == K.tree.pack_sequence_as(
        STRUCT, flat
    )
    assert keras.tree.lists_to_tuples(STRUCT) == K.tree.lists_to_tuples(STRUCT)
    shallow = {"a": 0, "b": (0, 0)}
    got = keras.tree.map_structure_up_to(shallow, lambda s: str(s), STRUCT)
    assert got == K.tree.map_structure_up_to(shallow, lambda s: str(s), STRUCT)


def test_traverse_and_shapes_match_keras():
    visit = lambda x: "leaf" if x == 4 else None  # noqa: E731
    assert keras.tree.traverse(visit, STRUCT) == K.tree.traverse(visit, STRUCT)
    shapes = {"a": (None, 3), "b": [(2, 4), (5,)]}
    grow = lambda s: (*s, 1)  # noqa: E731
    assert keras.tree.map_shape_structure(grow, shapes) == K.tree.map_shape_structure(
        grow, shapes
    )


def test_structure_errors():
    with pytest.raises(ValueError, match="same paths"):
        keras.tree.assert_same_paths({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="Structures do not match"):
        keras.tree.assert_same_structure([1, 2], [1])

"""Inputs shared by `make_keras_files.py` (real Keras) and the cornu tests."""

from __future__ import annotations

import numpy as np

DOCS = [
    "The cat sat on the mat.",
    "A dog, a CAT!",
    "École été ÉTÉ x\u00a0y",
    "  spaces\tand\ttabs  ",
    "the the the end",
]
QUERIES = [
    ["the cat"],
    ["dog on a mat, again"],
    ["École ÉTÉ"],
    ["unknown words only"],
    [""],
]

# TextVectorization arguments, and the documents it adapts on (None: none).
TV_CASES: dict[str, tuple[dict, list[str] | None]] = {
    "int_default": ({}, DOCS),
    "int_len": ({"output_sequence_length": 3}, DOCS),
    "int_max": ({"max_tokens": 6, "output_sequence_length": 5}, DOCS),
    "lower": ({"standardize": "lower"}, DOCS),
    "strip": ({"standardize": "strip_punctuation"}, DOCS),
    "none_std": ({"standardize": None}, DOCS),
    "char": ({"split": "character", "output_sequence_length": 8}, DOCS),
    "ngrams2": ({"ngrams": 2}, DOCS),
    "ngrams13": ({"ngrams": (1, 3), "output_mode": "count"}, DOCS),
    "multi_hot": ({"output_mode": "multi_hot"}, DOCS),
    "count_pad": (
        {"output_mode": "count", "max_tokens": 20, "pad_to_max_tokens": True},
        DOCS,
    ),
    "tf_idf": ({"output_mode": "tf_idf"}, DOCS),
    "tf_idf_max": ({"output_mode": "tf_idf", "max_tokens": 5}, DOCS),
    "vocab": ({"vocabulary": ["cat", "the", "mat", "dog"]}, None),
    "vocab_tfidf": (
        {
            "vocabulary": ["cat", "the"],
            "idf_weights": [0.5, 0.25],
            "output_mode": "tf_idf",
        },
        None,
    ),
}

HC_FEATURES = [
    (
        np.array(["A", "B", "A", "B", "A", "é", ""]),
        np.array([101, 101, 101, 102, 102, -5, 0]),
    ),
    (np.array([1, 2, 3, -4, 2**40, 0, 7]), np.array([5, 5, 5, 5, 5, 5, 5])),
    (
        np.array(["x", "y", "z", "x", "y", "z", "w"]),
        np.array(["p", "q", "p", "q", "p", "q", "r"]),
    ),
]
HC_BINS = (3, 17, 1000)

SL_ADAPT = [["a", "b", "b"], ["c", "a", "a"], ["d", "d", "d"]]
SL_QUERY = [["a", "d", "zz"], ["b", "b", "c"]]

FS_DATA = {
    "age": np.array([20.0, 30.0, 40.0, 50.0, 60.0, 70.0]),
    "fare": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
    "city": np.array(["paris", "rome", "paris", "oslo", "rome", "paris"]),
    "rooms": np.array([1, 2, 2, 3, 2, 1]),
    "tag": np.array(["x", "y", "z", "x", "y", "z"]),
    "d": np.arange(6.0),
}

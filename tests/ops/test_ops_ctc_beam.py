"""`ops.ctc_decode(strategy="beam_search")` against real Keras and a brute force.

The NumPy reference enumerates every alignment of a short sequence, collapses
it (merge repeats, drop blanks) and sums the probabilities of alignments per
labelling: the exact distribution a prefix beam search approximates. With a
beam wide enough to hold every prefix, the search is exact, so its best paths
and log-probabilities must equal the reference's.
"""

from __future__ import annotations

import itertools
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
import pytest
import torch
from _ops_cases import real_keras

from cornu import ops
from cornu.core.keras_tensor import KerasTensor

KERAS = real_keras()


def _brute_force(
    logits: np.ndarray, length: int, blank: int
) -> list[tuple[tuple[int, ...], float]]:
    """All labellings of `logits[:length]` with their log-probabilities, best first."""
    z = logits[:length].astype(np.float64)
    logp = z - z.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))  # log-softmax per step
    prob: dict[tuple[int, ...], float] = defaultdict(float)
    for alignment in itertools.product(range(z.shape[-1]), repeat=length):
        labels, prev = [], None
        for c in alignment:
            if c != prev and c != blank:
                labels.append(c)
            prev = c
        score = sum(logp[t, c] for t, c in enumerate(alignment))
        prob[tuple(labels)] += float(np.exp(score))
    ranked = sorted(prob.items(), key=lambda kv: -kv[1])
    return [(labels, float(np.log(p))) for labels, p in ranked]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("mask_index", [0, None, 1])
def test_wide_beam_is_exact(seed: int, mask_index: int | None) -> None:
    rng = np.random.default_rng(seed)
    batch, steps, classes, top = 3, 4, 3, 3
    logits = (rng.normal(size=(batch, steps, classes)) * 2).astype("float32")
    lengths = np.array([4, 3, 2])
    paths, scores = ops.ctc_decode(
        logits,
        lengths,
        strategy="beam_search",
        beam_width=64,
        top_paths=top,
        mask_index=mask_index,
    )
    assert tuple(paths.shape) == (top, batch, steps) and paths.dtype == torch.int32
    assert tuple(scores.shape) == (batch, top) and scores.dtype == torch.float32
    blank = classes - 1 if mask_index is None else mask_index
    for b in range(batch):
        want = _brute_force(logits[b], int(lengths[b]), blank)[:top]
        for k, (labels, logprob) in enumerate(want):
            got = paths[k, b].tolist()
            assert got[: len(labels)] == list(labels)
            assert all(v == -1 for v in got[len(labels) :])
            np.testing.assert_allclose(float(scores[b, k]), logprob, rtol=1e-5)


@pytest.mark.skipif(KERAS is None, reason="real Keras is not installed")
@pytest.mark.parametrize(
    ("seed", "beam_width", "top_paths", "mask_index", "dtype"),
    [
        (0, 3, 2, 0, "float32"),
        (1, 3, 2, None, "float32"),
        (2, 1, 1, 0, "float32"),
        (3, 5, 3, 2, "float32"),
        (4, 10, 4, 0, "float64"),
        (5, 2, 2, None, "float16"),
    ],
)
def test_matches_keras(
    seed: int, beam_width: int, top_paths: int, mask_index: int | None, dtype: str
) -> None:
    rng = np.random.default_rng(seed)
    logits = (rng.normal(size=(3, 7, 5)) * 2).astype(dtype)
    lengths = np.array([7, 5, 3], "int32")
    kwargs: dict[str, Any] = {
        "strategy": "beam_search",
        "beam_width": beam_width,
        "top_paths": top_paths,
        "mask_index": mask_index,
    }
    paths, scores = ops.ctc_decode(logits, lengths, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the oracle's own warnings
        kpaths, kscores = KERAS.ops.ctc_decode(logits, lengths, **kwargs)
    np.testing.assert_array_equal(paths.cpu().numpy(), np.asarray(kpaths.cpu()))
    assert str(scores.dtype).replace("torch.", "") == KERAS.backend.standardize_dtype(
        kscores.dtype
    )
    np.testing.assert_allclose(
        scores.cpu().numpy(), np.asarray(kscores.cpu()), rtol=1e-5, atol=1e-5
    )


def test_symbolic_shapes_match_keras() -> None:
    x, n = KerasTensor((None, 6, 4)), KerasTensor((None,), "int32")
    paths, scores = ops.ctc_decode(x, n, strategy="beam_search", top_paths=3)
    assert (paths.shape, paths.dtype) == ((3, None, 6), "int32")
    assert (scores.shape, scores.dtype) == ((None, 3), "float32")
    if KERAS is not None:
        kx, kn = KERAS.KerasTensor((None, 6, 4)), KERAS.KerasTensor((None,), "int32")
        kp, ks = KERAS.ops.ctc_decode(kx, kn, strategy="beam_search", top_paths=3)
        assert (kp.shape, ks.shape) == (paths.shape, scores.shape)


def test_unknown_strategy() -> None:
    with pytest.raises(ValueError, match="'greedy' or 'beam_search', received: 'best'"):
        ops.ctc_decode(np.zeros((1, 2, 3), "float32"), [2], strategy="best")

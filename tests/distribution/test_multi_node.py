"""Two machines simulated by two `torchrun --nnodes=2` launchers on loopback."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from dist_launch import check, load, weights


def test_two_node_run_equals_one_node_run(launches: dict[str, Any]) -> None:
    for run in launches["runs"]["nodes"]:
        check(run)
    check(launches["runs"]["multi"])
    one_node = load(launches["dirs"]["multi"] / "main_rank0.npz")
    for rank in (0, 1):
        two_nodes = load(launches["dirs"]["nodes"] / f"fit_rank{rank}.npz")
        got, expected = weights(two_nodes), weights(one_node)
        assert len(got) == len(expected) == 4
        for a, b in zip(expected, got):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        history = json.loads(str(two_nodes["history"]))
        for key, values in json.loads(str(one_node["history"])).items():
            np.testing.assert_allclose(history[key], values, rtol=1e-6)

"""Every benchmark workload runs end to end at a tiny size (no timing checks)."""

import sys
from pathlib import Path

import pytest
import torch

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import run  # noqa: E402
import workloads  # noqa: E402


@pytest.mark.parametrize("name", sorted(workloads.WORKLOADS))
def test_workload_runs_and_both_sides_train(name):
    factory = workloads.WORKLOADS[name]
    workload = factory(256)
    result = run.time_pair(workload, rounds=1, warmup=0)
    assert result["ratio"] > 0 and result["steps"] == workload.steps


@pytest.mark.parametrize("name", ["tiny", "mlp", "cnn"])
def test_raw_loop_does_the_same_math(name):
    """Same initial weights and shuffle: one epoch of each ends at the same weights."""
    # With a negligible epsilon, Keras's and torch's Adam formulas agree.
    w = workloads.WORKLOADS[name](256, epsilon=1e-12)
    initial = w.model.layers[-1].kernel.detach().clone()
    torch.manual_seed(7)
    w.cornu()
    torch.manual_seed(7)
    w.raw()
    ours = w.model.layers[-1].kernel.detach()
    theirs = (
        [m for m in w.net.modules() if isinstance(m, torch.nn.Linear)][-1]
        .weight.detach()
        .T
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)
    # Both sides trained: equal weights are not just the shared starting point.
    assert not torch.equal(ours, initial)


def test_run_writes_results(tmp_path):
    out = tmp_path / "RESULTS.md"
    report = run.main(
        [
            "--workloads",
            "tiny,data,rnn",
            "--compile",
            "mlp",
            "--scale",
            "0.02",
            "--rounds",
            "1",
            "--no-keras",
            "--output",
            str(out),
        ]
    )
    text = out.read_text()
    assert "| tiny |" in text and "| data |" in text and "| rnn |" in text
    assert "| mlp |" in text and "Import:" in text  # the jit_compile table
    assert report["imports"]["cornu"] > 0
    assert [r["name"] for r in report["ops"]] == [
        "add",
        "matmul",
        "softmax",
        "concatenate",
        "take",
    ]
    assert "| softmax |" in text and all(r["ratio"] > 0 for r in report["ops"])
    assert [r["name"] for r in report["rnn_paths"]] == ["lstm", "gru"]
    assert "| LSTM |" in text and "| GRU |" in text


def test_ops_cases_compute_what_torch_computes():
    import ops_overhead

    for name, (cornu_fn, torch_fn) in ops_overhead.CASES.items():
        torch.testing.assert_close(cornu_fn(), torch_fn(), msg=name)


def test_transformer_benchmark_runs_tiny_on_cpu():
    import transformer

    result = transformer.main(["--tiny", "--steps", "2", "--rounds", "1"])
    assert result["config"] == transformer.TINY
    assert result["cornu"]["tokens_per_s"] > 0 and result["raw"]["tokens_per_s"] > 0
    # Both models have the same architecture, so the same parameter count.
    model = transformer.cornu_model(transformer.TINY)
    assert model.count_params() == result["params"]

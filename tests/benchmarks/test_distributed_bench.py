"""`benchmarks/distributed.py` runs end to end at a tiny size (no timing checks)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCH))

import distributed  # noqa: E402


def test_reports_throughput_and_world_size_one_ratios() -> None:
    report = distributed.main(["--size", "512", "--rounds", "1"])
    assert report["throughput_ratio_2x1_over_1x2"] > 0
    assert report["ddp_path_over_plain_at_world_size_1"] > 0
    for run in ("one_process_two_threads", "two_processes_one_thread"):
        assert report[run]["samples_per_s"] > 0
    assert set(report["world_size_1"]) == {"plain", "path"}

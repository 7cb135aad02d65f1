"""A rank that dies or hangs makes the others fail with a clear error, and
`torchrun --max-restarts` with `BackupAndRestore` resumes the training."""

from __future__ import annotations

from typing import Any

import numpy as np
from dist_launch import check, load, weights


def _rank_zero_error(launches: dict[str, Any], mode: str) -> str:
    rc, out, _ = launches["runs"][mode][0].wait()
    assert rc != 0, out[-3000:]
    return out


def test_killed_rank_makes_the_other_fail_with_a_clear_error(
    launches: dict[str, Any],
) -> None:
    out = _rank_zero_error(launches, "kill")
    assert "DistributedError: Rank 0 of 2:" in out, out[-3000:]
    assert "Another process has probably died, hung" in out
    assert "CORNU_DIST_TIMEOUT" in out


def test_hung_rank_makes_the_other_fail_after_the_timeout(
    launches: dict[str, Any],
) -> None:
    out = _rank_zero_error(launches, "hang")
    assert "DistributedError: Rank 0 of 2:" in out, out[-3000:]
    # The configured timeout (CORNU_DIST_TIMEOUT=5) is named in the message.
    assert "wait at most 5 s" in out
    # Rank 0 stopped by itself while rank 1 still hung (the fixture ends
    # rank 1 only after rank 0 has exited).
    assert launches["runs"]["hang"][1].proc.returncode != 0


def test_restart_resumes_from_backup_and_ends_like_an_uninterrupted_run(
    launches: dict[str, Any],
) -> None:
    check(launches["runs"]["restart"])
    check(launches["runs"]["single"])
    out = launches["dirs"]["restart"]
    for rank in (0, 1):
        first = (out / f"epochs_attempt0_rank{rank}.txt").read_text().split()
        assert first == ["0", "1", "2"]  # rank 1 died during epoch 2
        second = (out / f"epochs_attempt1_rank{rank}.txt").read_text().split()
        assert second == ["2"]  # both ranks resumed from the epoch-2 backup
    single = weights(load(launches["dirs"]["single"] / "main_rank0.npz"))
    for rank in (0, 1):
        resumed = weights(load(out / f"restart_rank{rank}.npz"))
        assert len(resumed) == len(single) == 4
        for a, b in zip(single, resumed):
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert not (out / "backup" / "latest.backup.npz").exists()  # deleted at end

"""BatchNormalization: batch renormalization (against Keras and NumPy) and
synchronized statistics (single process, the reduction's math, two processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.normalization.batch_normalization import (
    BatchNormalization,
    combine_moments,
)

ATOL, RTOL = 1e-5, 1e-5
CLIP = {"rmax": 1.4, "rmin": 0.8, "dmax": 0.25}


def _randomize(layer: Any, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    values = [
        rng.uniform(0.5, 2.0, tuple(w.shape)).astype("float32") for w in layer.weights
    ]
    layer.set_weights(values)
    return values


def _numpy_renorm_step(
    x: np.ndarray, w: dict[str, np.ndarray], momentum: float, renorm_momentum: float,
    eps: float, clip: dict[str, float],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:  # fmt: skip
    """One training step of batch renormalization on (N, C) inputs."""
    mean, var = x.mean(0), x.var(0)
    std = np.sqrt(var + eps)
    renorm_std = np.maximum(w["renorm_stddev"], np.sqrt(eps))
    r = np.clip(std / renorm_std, clip.get("rmin", 0), clip.get("rmax", np.inf))
    d = (mean - w["renorm_mean"]) / renorm_std
    d = np.clip(d, -clip.get("dmax", np.inf), clip.get("dmax", np.inf))
    y = w["gamma"] * ((x - mean) / std * r + d) + w["beta"]
    new = dict(w)
    new["renorm_mean"] = w["renorm_mean"] * renorm_momentum + mean * (
        1 - renorm_momentum
    )
    new["renorm_stddev"] = w["renorm_stddev"] * renorm_momentum + std * (
        1 - renorm_momentum
    )
    new["moving_mean"] = w["moving_mean"] * momentum + mean * (1 - momentum)
    new["moving_stddev"] = w["moving_stddev"] * momentum + std * (1 - momentum)
    new["moving_variance"] = np.maximum(new["moving_stddev"] ** 2 - eps, 0)
    return y, new


# -- batch renormalization -------------------------------------------------------
def test_renorm_harness(layer_test: Any) -> None:
    for shape, axis in [((6, 3), -1), ((4, 3, 5), 1)]:
        layer_test(
            BatchNormalization,
            {"axis": axis, "renorm": True, "renorm_clipping": CLIP},
            input_shape=shape,
            expected_output_shape=shape,
            expected_num_trainable_weights=2,
            expected_num_non_trainable_weights=5,
            supports_masking=True,
        )


def test_renorm_weights_and_initial_values() -> None:
    layer = BatchNormalization(renorm=True, moving_variance_initializer="constant")
    layer.build((None, 2))
    assert [w.name for w in layer.weights] == [
        "gamma", "beta", "moving_mean", "moving_variance",
        "moving_stddev", "renorm_mean", "renorm_stddev",
    ]  # fmt: skip
    assert not any(w.trainable for w in layer.weights[2:])
    # The stddevs start at sqrt(variance initializer) (constant: 0).
    assert not torch.any(layer.moving_stddev) and not torch.any(layer.renorm_stddev)
    assert layer.get_config()["renorm_clipping"] == {}
    assert BatchNormalization().get_config()["renorm_clipping"] is None


@pytest.mark.parametrize("clip", [{}, CLIP])
def test_renorm_matches_numpy(clip: dict[str, float]) -> None:
    layer = BatchNormalization(
        renorm=True, renorm_clipping=clip, momentum=0.8, renorm_momentum=0.7
    )
    layer.build((None, 4))
    values = _randomize(layer)
    names = [w.name for w in layer.weights]
    state = dict(zip(names, values))
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = (rng.standard_normal((12, 4)) * 2.5 + 1.5).astype("float32")
        want, state = _numpy_renorm_step(x, state, 0.8, 0.7, 1e-3, clip)
        got = layer(torch.from_numpy(x), training=True)
        np.testing.assert_allclose(got.detach().numpy(), want, atol=ATOL, rtol=RTOL)
        for name, w in zip(names, layer.get_weights()):
            np.testing.assert_allclose(
                w, state[name], atol=ATOL, rtol=RTOL, err_msg=name
            )
    # Inference uses the moving statistics, as without renorm.
    x = rng.standard_normal((5, 4)).astype("float32")
    want = (
        state["gamma"]
        * (x - state["moving_mean"])
        / np.sqrt(state["moving_variance"] + 1e-3)
        + state["beta"]
    )
    got = layer(torch.from_numpy(x), training=False).detach().numpy()
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=RTOL)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"renorm_clipping": CLIP},
        {"center": False, "renorm_clipping": {"dmax": 0.1}},
        {"scale": False, "renorm_clipping": {"rmax": 1.1}},
        {"axis": 1, "renorm_clipping": CLIP},
    ],
)
def test_renorm_matches_keras_with_gradients(keras_oracle: Any, kwargs: dict) -> None:
    kwargs = {**kwargs, "renorm": True, "momentum": 0.9, "renorm_momentum": 0.6}
    shape = (6, 3, 5) if kwargs.get("axis") == 1 else (6, 5, 3)
    ours = BatchNormalization(**kwargs)
    ref = keras_oracle.layers.BatchNormalization(**kwargs)
    ours.build(shape)
    ref.build(shape)
    ref.set_weights(_randomize(ours))
    rng = np.random.default_rng(2)
    for step in range(3):
        x = (rng.standard_normal(shape) * 2 + 0.5).astype("float32")
        mask = rng.random(shape[:-1]) > 0.3 if step == 2 else None
        xo = torch.tensor(x, requires_grad=True)
        xr = torch.tensor(x, requires_grad=True)
        mo = None if mask is None else torch.from_numpy(mask)
        yo = ours(xo, training=True, mask=mo)
        yr = ref(xr, training=True, mask=mo)
        np.testing.assert_allclose(
            yo.detach().numpy(), yr.detach().cpu().numpy(), atol=ATOL, rtol=RTOL
        )
        g = torch.from_numpy(rng.standard_normal(shape).astype("float32"))
        params_o = [xo, *ours.trainable_weights]
        params_r = [xr, *(v.value for v in ref.trainable_weights)]
        grads_o = torch.autograd.grad((yo * g).sum(), params_o)
        grads_r = torch.autograd.grad((yr * g).sum(), params_r)
        for a, b in zip(grads_o, grads_r):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
        ref_weights = [v.value.detach().cpu().numpy() for v in ref.weights]
        for a, b in zip(ours.get_weights(), ref_weights):
            np.testing.assert_allclose(a, b, atol=ATOL, rtol=RTOL)
    config, ref_config = ours.get_config(), ref.get_config()
    config.pop("name")
    ref_config.pop("name")
    assert config == ref_config


def test_renorm_clipping_errors() -> None:
    with pytest.raises(ValueError, match=r"accepts the keys 'rmax', 'rmin' and 'dmax'"):
        BatchNormalization(renorm=True, renorm_clipping={"rmaxx": 2.0})
    with pytest.raises(ValueError, match=r"needs rmax >= rmin, received: rmax=1.0"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": 1.0, "rmin": 2.0})
    with pytest.raises(ValueError, match=r"needs dmax >= 0, received: dmax=-1"):
        BatchNormalization(renorm=True, renorm_clipping={"dmax": -1})


# -- synchronized statistics --------------------------------------------------------
@pytest.mark.parametrize("use_mask", [False, True])
def test_synchronized_in_one_process_equals_unsynchronized(use_mask: bool) -> None:
    plain = BatchNormalization(momentum=0.7)
    synced = BatchNormalization(momentum=0.7, synchronized=True)
    assert synced.get_config()["synchronized"] is True
    for layer in (plain, synced):
        layer.build((None, 4, 3))
        _randomize(layer)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4, 3)).astype("float32")
    mask = torch.from_numpy(rng.random((5, 4)) > 0.4) if use_mask else None
    outs = []
    for layer in (plain, synced):
        xt = torch.tensor(x, requires_grad=True)
        y = layer(xt, training=True, mask=mask)
        (y**2).sum().backward()
        outs.append((y.detach(), xt.grad, layer.gamma.grad, layer.get_weights()))
    torch.testing.assert_close(outs[0][0], outs[1][0], atol=0, rtol=0)
    torch.testing.assert_close(outs[0][1], outs[1][1], atol=0, rtol=0)
    torch.testing.assert_close(outs[0][2], outs[1][2], atol=0, rtol=0)
    for a, b in zip(outs[0][3], outs[1][3]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("use_mask", [False, True])
def test_summed_moments_equal_the_combined_batch(use_mask: bool) -> None:
    # What the all-reduce computes: per-process sums added up, then combined.
    rng = np.random.default_rng(4)
    shards = [
        (rng.standard_normal((n, 6, 3)) * 3 + 2).astype("float64") for n in (4, 7, 2)
    ]
    keeps = [rng.random(s.shape[:-1]) > 0.3 for s in shards]
    if not use_mask:
        keeps = [np.ones_like(k) for k in keeps]
    total = sum((s * k[..., None]).sum((0, 1)) for s, k in zip(shards, keeps))
    total_sq = sum((s**2 * k[..., None]).sum((0, 1)) for s, k in zip(shards, keeps))
    count = sum(
        np.broadcast_to(k[..., None], s.shape).sum((0, 1))
        for s, k in zip(shards, keeps)
    ).astype("float64")
    eps = 1e-7 if use_mask else 0.0
    mean, var = combine_moments(
        torch.from_numpy(total),
        torch.from_numpy(total_sq),
        torch.from_numpy(count),
        eps,
    )
    everything = np.concatenate(shards).reshape(-1, 3)
    kept = everything[np.concatenate(keeps).reshape(-1)]
    np.testing.assert_allclose(
        mean.numpy(), kept.sum(0) / (len(kept) + eps), rtol=1e-12
    )
    np.testing.assert_allclose(
        var.numpy(), kept.var(0) * len(kept) / (len(kept) + eps), rtol=1e-9
    )


_RANK_SCRIPT = textwrap.dedent(
    """
    import sys

    import numpy as np
    import torch
    import torch.distributed as dist

    from cornu.layers.normalization.batch_normalization import BatchNormalization

    if not dist.is_initialized():
        dist.init_process_group("gloo")
    rank = dist.get_rank()
    data = np.load(sys.argv[1])
    layer = BatchNormalization(momentum=0.6, synchronized=True, renorm=RENORM)
    layer.build((None, 1, 3))
    layer.set_weights(list(data["weights"]))
    rows = slice(0, 5) if rank == 0 else slice(5, 12)  # unequal shards
    x = torch.tensor(data["x"][rows], requires_grad=True)
    mask = torch.from_numpy(data["mask"][rows]) if MASKED else None
    y = layer(x[:, None, :], training=True, mask=mask)[:, 0, :]
    (y * torch.from_numpy(data["g"][rows])).sum().backward()
    np.savez(
        sys.argv[2] + f"/rank{rank}.npz", y=y.detach().numpy(), xgrad=x.grad.numpy(),
        gamma_grad=layer.gamma.grad.numpy(), weights=np.stack(layer.get_weights()),
    )
    dist.destroy_process_group()
    """
)


@pytest.mark.parametrize("renorm, masked", [(False, False), (True, True)])
def test_two_processes_normalize_with_the_global_batch(
    tmp_path: Path, renorm: bool, masked: bool
) -> None:
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun is not installed next to the interpreter")
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((12, 3)) * 2 + 1).astype("float32")
    g = rng.standard_normal((12, 3)).astype("float32")
    mask = rng.random((12, 1)) > 0.3
    reference = BatchNormalization(momentum=0.6, renorm=renorm)
    reference.build((None, 1, 3))
    weights = _randomize(reference)
    np.savez(tmp_path / "data.npz", x=x, g=g, mask=mask, weights=np.stack(weights))
    script = _RANK_SCRIPT.replace("RENORM", str(renorm)).replace("MASKED", str(masked))
    (tmp_path / "rank.py").write_text(script)
    env = dict(os.environ, OMP_NUM_THREADS="1", CORNU_DEVICE="cpu")
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    done = subprocess.run(
        [str(torchrun), "--standalone", "--nproc-per-node=2", str(tmp_path / "rank.py"),
         str(tmp_path / "data.npz"), str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]

    # One process, the whole batch: the same outputs, gradients and statistics.
    xt = torch.tensor(x, requires_grad=True)
    mask_t = torch.from_numpy(mask) if masked else None
    y = reference(xt[:, None, :], training=True, mask=mask_t)[:, 0, :]
    (y * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(
        np.concatenate([r["y"] for r in ranks]),
        y.detach().numpy(),
        atol=1e-5,
        rtol=1e-5,
    )
    np.testing.assert_allclose(
        np.concatenate([r["xgrad"] for r in ranks]),
        xt.grad.numpy(),
        atol=1e-5,
        rtol=1e-4,
    )
    np.testing.assert_allclose(
        ranks[0]["gamma_grad"] + ranks[1]["gamma_grad"],
        reference.gamma.grad.numpy(),
        atol=1e-5,
        rtol=1e-4,
    )
    for r in ranks:
        np.testing.assert_allclose(
            r["weights"], np.stack(reference.get_weights()), atol=1e-6, rtol=1e-5
        )


# Keras's own saving code trips numpy's `__array__` deprecation on torch.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy")
def test_renorm_keras_file_round_trip(keras_oracle: Any, tmp_path: Path) -> None:
    import cornu
    from cornu import saving

    inputs = cornu.Input((5, 3))
    layer = BatchNormalization(renorm=True, renorm_clipping=CLIP, momentum=0.5)
    model = cornu.Model(inputs, layer(inputs))
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((4, 5, 3)) * 2 + 1).astype("float32")
    model(x, training=True)  # moves all five statistics
    expected = model(x).detach().numpy()
    saving.save_model(model, tmp_path / "cornu.keras")

    ref = keras_oracle.saving.load_model(tmp_path / "cornu.keras")
    ref_layer = ref.layers[-1]
    for ours, theirs in zip(layer.weights, ref_layer.weights):
        np.testing.assert_array_equal(
            ours.detach().numpy(), theirs.value.detach().cpu().numpy()
        )
    np.testing.assert_allclose(
        ref(x).detach().cpu().numpy(), expected, atol=1e-6, rtol=1e-6
    )
    ref(x, training=True)  # Keras moves the statistics on; cornu reads them
    ref.save(tmp_path / "keras.keras")
    back = saving.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(
        back(x).detach().numpy(), ref(x).detach().cpu().numpy(), atol=1e-6, rtol=1e-6
    )

"""Global and adaptive pooling: harness, then numerics against numpy,
torch.nn's adaptive pools and real Keras."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.pooling import (
    adaptive_average_pooling1d,
    adaptive_average_pooling2d,
    adaptive_average_pooling3d,
    adaptive_max_pooling1d,
    adaptive_max_pooling2d,
    adaptive_max_pooling3d,
    global_average_pooling1d,
    global_average_pooling2d,
    global_average_pooling3d,
    global_max_pooling1d,
    global_max_pooling2d,
    global_max_pooling3d,
)

GLOBAL = {
    ("avg", 1): global_average_pooling1d.GlobalAveragePooling1D,
    ("avg", 2): global_average_pooling2d.GlobalAveragePooling2D,
    ("avg", 3): global_average_pooling3d.GlobalAveragePooling3D,
    ("max", 1): global_max_pooling1d.GlobalMaxPooling1D,
    ("max", 2): global_max_pooling2d.GlobalMaxPooling2D,
    ("max", 3): global_max_pooling3d.GlobalMaxPooling3D,
}
ADAPTIVE = {
    ("avg", 1): adaptive_average_pooling1d.AdaptiveAveragePooling1D,
    ("avg", 2): adaptive_average_pooling2d.AdaptiveAveragePooling2D,
    ("avg", 3): adaptive_average_pooling3d.AdaptiveAveragePooling3D,
    ("max", 1): adaptive_max_pooling1d.AdaptiveMaxPooling1D,
    ("max", 2): adaptive_max_pooling2d.AdaptiveMaxPooling2D,
    ("max", 3): adaptive_max_pooling3d.AdaptiveMaxPooling3D,
}


@pytest.mark.parametrize("mode,rank", sorted(GLOBAL))
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(
    layer_test: Any, mode: str, rank: int, data_format: str, keepdims: bool
) -> None:
    cls = GLOBAL[(mode, rank)]
    shape = (2, *(3, 4, 5)[:rank], 6)
    if data_format == "channels_first":
        shape = (2, 6, *(3, 4, 5)[:rank])
    kwargs = dict(data_format=data_format, keepdims=keepdims)
    out = layer_test(cls, kwargs, input_shape=shape, expected_num_trainable_weights=0)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    axes = (
        tuple(range(1, rank + 1))
        if data_format == "channels_last"
        else tuple(range(2, rank + 2))
    )
    reduce = np.mean if mode == "avg" else np.max
    want = reduce(x, axis=axes, keepdims=keepdims)
    assert tuple(out.shape) == want.shape
    np.testing.assert_allclose(cls(**kwargs)(x).numpy(), want, rtol=1e-6, atol=1e-6)


def test_global_average_1d_with_mask(keras_oracle: Any) -> None:
    cls = GLOBAL[("avg", 1)]
    x = torch.randn(3, 5, 4, requires_grad=True)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]).bool()
    y = cls()(x, mask=mask)
    want = torch.stack([x[i, mask[i]].mean(0) for i in range(3)])
    torch.testing.assert_close(y, want)
    (g,) = torch.autograd.grad(y.sum(), x)
    torch.testing.assert_close(
        g, mask[..., None].float().div(mask.sum(1)[:, None, None]).expand_as(x)
    )
    # Masked steps holding inf do not leak in (Keras uses `where`, not a product).
    xi = x.detach().clone()
    xi[0, 4] = float("inf")
    assert torch.isfinite(cls()(xi, mask=mask)).all()
    theirs = keras_oracle.layers.GlobalAveragePooling1D()(
        x.detach().numpy(), mask=mask.numpy()
    )
    np.testing.assert_allclose(y.detach().numpy(), np.asarray(theirs.cpu()), rtol=1e-6)


def test_global_average_1d_takes_the_embedding_mask() -> None:
    import cornu as keras

    inputs = keras.Input((5,), dtype="int32")
    emb = keras.layers.Embedding(10, 4, mask_zero=True)
    model = keras.Model(inputs, GLOBAL[("avg", 1)]()(emb(inputs)))
    ids = torch.tensor([[3, 4, 0, 0, 0], [1, 2, 3, 4, 5]])
    vectors = emb(ids).detach().numpy()
    want = np.stack([vectors[0, :2].mean(0), vectors[1].mean(0)])
    np.testing.assert_allclose(model(ids).detach().numpy(), want, rtol=1e-6)


@pytest.mark.parametrize("mode,rank", sorted(ADAPTIVE))
def test_adaptive_pooling(layer_test: Any, mode: str, rank: int) -> None:
    cls = ADAPTIVE[(mode, rank)]
    sizes = (7, 5, 6)[:rank]
    out_size = (3, 2, 4)[:rank]
    shape = (2, *sizes, 3)
    layer_test(
        cls,
        {"output_size": out_size},
        input_shape=shape,
        expected_output_shape=(2, *out_size, 3),
        expected_num_trainable_weights=0,
    )
    x = torch.randn(shape, requires_grad=True)
    y = cls(out_size)(x)
    torch_cls = getattr(
        torch.nn, f"Adaptive{'Avg' if mode == 'avg' else 'Max'}Pool{rank}d"
    )
    ref = torch_cls(out_size)(x.movedim(-1, 1)).movedim(1, -1)
    torch.testing.assert_close(y, ref)
    (g,) = torch.autograd.grad(y.square().sum(), x)
    (w,) = torch.autograd.grad(ref.square().sum(), x)
    torch.testing.assert_close(g, w)
    # Channels-first takes the input as torch does.
    xc = torch.randn(2, 3, *sizes)
    torch.testing.assert_close(
        cls(out_size, data_format="channels_first")(xc), torch_cls(out_size)(xc)
    )


def test_adaptive_average_bins_numpy() -> None:
    # Length 5 into 3 bins: [0, 2), [1, 4), [3, 5) (floor / ceil bounds).
    x = np.arange(5, dtype="float32").reshape(1, 5, 1)
    y = ADAPTIVE[("avg", 1)](3)(x).numpy().ravel()
    np.testing.assert_allclose(y, [0.5, 2.0, 3.5])


@pytest.mark.parametrize("mode", ["Average", "Max"])
def test_adaptive_matches_keras(keras_oracle: Any, mode: str) -> None:
    x = np.random.default_rng(1).standard_normal((2, 7, 9, 3)).astype("float32")
    ours = ADAPTIVE[(mode[:3].lower().replace("ave", "avg"), 2)]((3, 4))(x)
    theirs = getattr(keras_oracle.layers, f"Adaptive{mode}Pooling2D")((3, 4))(x)
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs.cpu()), rtol=1e-6)


def test_aliases_and_errors() -> None:
    assert global_average_pooling2d.GlobalAvgPool2D is GLOBAL[("avg", 2)]
    assert global_max_pooling3d.GlobalMaxPool3D is GLOBAL[("max", 3)]
    with pytest.raises(
        ValueError, match=r"`output_size` argument must be a tuple of 2"
    ):
        ADAPTIVE[("avg", 2)]((2, 2, 2))
    with pytest.raises(ValueError, match=r"`data_format` must be"):
        GLOBAL[("max", 2)](data_format="nhwc")
    layer = GLOBAL[("avg", 2)](name="gap_x")
    with pytest.raises(
        ValueError,
        match=r'"gap_x" \(GlobalAveragePooling2D\) expects inputs with ndim=4',
    ):
        layer(np.zeros((2, 3, 4), "float32"))

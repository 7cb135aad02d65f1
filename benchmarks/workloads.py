"""Benchmark workloads: each pairs a cornu run with a hand-written PyTorch loop
doing the same math on the same data, with the same initial weights.

A workload is a function `(size) -> Workload`; `size` scales the data so the
tests can run every workload in seconds.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import cornu as keras


@dataclasses.dataclass
class Workload:
    name: str
    unit: str  # what one timed "step" is (a training step, a predict batch)
    steps: int  # steps per timed run
    cornu: Callable[[], Any]  # one timed run of cornu
    raw: Callable[[], Any]  # one timed run of the hand-written loop
    flops_per_step: float = 0.0
    keras_spec: dict[str, Any] | None = None  # how to rebuild it in Keras 3
    model: Any = None  # the cornu model, and the torch module of the raw loop
    net: Any = None
    arrays: tuple[Any, Any] | None = None  # the (x, y) numpy arrays fit trains on


def _copy_dense(layer: Any, linear: torch.nn.Linear) -> None:
    # Keras kernel (in, out) is the transpose of torch's weight (out, in).
    with torch.no_grad():
        linear.weight.copy_(layer.kernel.detach().T)
        linear.bias.copy_(layer.bias.detach())


def _raw_fit_epoch(
    net: torch.nn.Module,
    opt: torch.optim.Optimizer,
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    correct_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    steps: int | None = None,
) -> float:
    """The reference loop: what a careful PyTorch user writes by hand."""
    n = x.shape[0]
    perm = torch.randperm(n, device=x.device)
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    for i, start in enumerate(range(0, n, batch_size)):
        if steps is not None and i >= steps:
            break
        idx = perm[start : start + batch_size]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        out = net(xb)
        loss = loss_fn(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            loss_sum += loss.detach() * xb.shape[0]
            correct += correct_fn(out.detach(), yb)
    return float(loss_sum / n), float(correct / n)  # one sync per epoch, as fit


def _fit_epoch(
    model: Any, x: np.ndarray, y: np.ndarray, batch_size: int
) -> Callable[[], Any]:
    return lambda: model.fit(
        x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=True
    )


def tiny(size: int = 16384, epsilon: float = 1e-7) -> Workload:
    """Dense 20-64-1, batch 32, Adam, binary accuracy: where overhead shows."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((size, 20)).astype("float32")
    y = (x[:, :1] + 0.5 * x[:, 1:2] > 0).astype("float32")
    model = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, epsilon=epsilon),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
    )
    net = torch.nn.Sequential(
        torch.nn.Linear(20, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1)
    )
    _copy_dense(model.layers[0], net[0])
    _copy_dense(model.layers[1], net[2])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=epsilon, fused=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    steps = math.ceil(size / 32)

    def raw() -> Any:
        return _raw_fit_epoch(
            net,
            opt,
            xt,
            yt,
            32,
            F.binary_cross_entropy_with_logits,
            lambda out, yb: ((out > 0).float() == yb).float().sum(),
        )

    return Workload(
        "tiny",
        "step",
        steps,
        _fit_epoch(model, x, y, 32),
        raw,
        flops_per_step=6 * 32 * (20 * 64 + 64),
        keras_spec={"kind": "tiny", "size": size},
        model=model,
        net=net,
        arrays=(x, y),
    )


def _mlp_model() -> Any:
    return keras.Sequential(
        [
            keras.Input((784,)),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def _mlp_net(model: Any) -> torch.nn.Module:
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 512),
        torch.nn.ReLU(),
        torch.nn.Linear(512, 512),
        torch.nn.ReLU(),
        torch.nn.Linear(512, 10),
    )
    for layer, linear in zip(model.layers, (net[0], net[2], net[4])):
        _copy_dense(layer, linear)
    return net


def mlp(size: int = 12800, epsilon: float = 1e-7) -> Workload:
    """784-512-512-10, batch 128, sparse categorical cross-entropy from logits."""
    rng = np.random.default_rng(1)
    x = rng.random((size, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=(size,)).astype("int64")
    model = _mlp_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, epsilon=epsilon),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    net = _mlp_net(model)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=epsilon, fused=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def raw() -> Any:
        return _raw_fit_epoch(
            net,
            opt,
            xt,
            yt,
            128,
            F.cross_entropy,
            lambda out, yb: (out.argmax(-1) == yb).float().sum(),
        )

    flops = 6 * 128 * (784 * 512 + 512 * 512 + 512 * 10)
    return Workload(
        "mlp",
        "step",
        math.ceil(size / 128),
        _fit_epoch(model, x, y, 128),
        raw,
        flops_per_step=flops,
        keras_spec={"kind": "mlp", "size": size},
        model=model,
        net=net,
        arrays=(x, y),
    )


def predict(size: int = 25600) -> Workload:
    """`predict` on the mlp model, batch 256, against an inference_mode loop."""
    rng = np.random.default_rng(2)
    x = rng.random((size, 784), dtype=np.float32)
    model = _mlp_model()
    net = _mlp_net(model)
    xt = torch.from_numpy(x)

    def raw() -> Any:
        outs = []
        with torch.inference_mode():
            for start in range(0, size, 256):
                outs.append(net(xt[start : start + 256]))
            return torch.cat(outs).numpy()

    return Workload(
        "predict",
        "batch",
        math.ceil(size / 256),
        lambda: model.predict(x, batch_size=256, verbose=0),
        raw,
        flops_per_step=2 * 256 * (784 * 512 + 512 * 512 + 512 * 10),
        keras_spec={"kind": "predict", "size": size},
    )


def data(size: int = 65536) -> Workload:
    """The in-memory input pipeline alone: shuffled batches of numpy data."""
    from cornu.trainers.data_adapters import ArrayDataAdapter

    rng = np.random.default_rng(3)
    x = rng.random((size, 784), dtype=np.float32)
    y = rng.integers(0, 10, size=(size,)).astype("int64")
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def cornu_run() -> Any:
        adapter = ArrayDataAdapter(x, y, batch_size=128, shuffle=True)
        return sum(1 for _ in adapter.epoch())

    def raw() -> Any:
        perm = torch.randperm(size)
        batches = 0
        for start in range(0, size, 128):
            idx = perm[start : start + 128]
            xt.index_select(0, idx), yt.index_select(0, idx)
            batches += 1
        return batches

    return Workload("data", "batch", math.ceil(size / 128), cornu_run, raw)


def _cnn_model() -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            layers.Conv2D(32, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(10),
        ]
    )


class _RawCNN(torch.nn.Module):
    def __init__(self, model: Any) -> None:
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = torch.nn.Conv2d(32, 64, 3, padding=1)
        self.fc = torch.nn.Linear(8 * 8 * 64, 10)
        conv1, _, conv2, _, _, dense = model.layers
        with torch.no_grad():
            # Keras conv kernel (kh, kw, in, out) -> torch (out, in, kh, kw).
            self.c1.weight.copy_(conv1.kernel.detach().permute(3, 2, 0, 1))
            self.c1.bias.copy_(conv1.bias.detach())
            self.c2.weight.copy_(conv2.kernel.detach().permute(3, 2, 0, 1))
            self.c2.bias.copy_(conv2.bias.detach())
        _copy_dense(dense, self.fc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Channels-last input, as Keras users give it: (B, H, W, C).
        x = x.permute(0, 3, 1, 2)
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        # Flatten in (H, W, C) order so the Dense kernel matches Keras's.
        return self.fc(x.permute(0, 2, 3, 1).flatten(1))


def cnn(size: int = 3200, epsilon: float = 1e-7) -> Workload:
    """A CIFAR-shaped two-block convnet, channels-last, batch 64."""
    rng = np.random.default_rng(4)
    x = rng.random((size, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 10, size=(size,)).astype("int64")
    model = _cnn_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, epsilon=epsilon),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    net = _RawCNN(model)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=epsilon, fused=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def raw() -> Any:
        return _raw_fit_epoch(
            net,
            opt,
            xt,
            yt,
            64,
            F.cross_entropy,
            lambda out, yb: (out.argmax(-1) == yb).float().sum(),
        )

    return Workload(
        "cnn",
        "step",
        math.ceil(size / 64),
        _fit_epoch(model, x, y, 64),
        raw,
        keras_spec={"kind": "cnn", "size": size},
        model=model,
        net=net,
        arrays=(x, y),
    )


def rnn(size: int = 1280, epsilon: float = 1e-7) -> Workload:
    """Embedding + LSTM(64) text classifier, sequences of 100 tokens, batch 64."""
    rng = np.random.default_rng(5)
    vocab, length = 1000, 100
    x = rng.integers(1, vocab, size=(size, length)).astype("int64")
    y = rng.integers(0, 2, size=(size, 1)).astype("float32")
    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((length,), dtype="int64"),
            layers.Embedding(vocab, 32),
            layers.LSTM(64),
            layers.Dense(1),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, epsilon=epsilon),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)],
    )
    net = _RawLSTM(model)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=epsilon, fused=True)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def raw() -> Any:
        return _raw_fit_epoch(
            net,
            opt,
            xt,
            yt,
            64,
            F.binary_cross_entropy_with_logits,
            lambda out, yb: ((out > 0).float() == yb).float().sum(),
        )

    return Workload(
        "rnn",
        "step",
        math.ceil(size / 64),
        _fit_epoch(model, x, y, 64),
        raw,
        keras_spec={"kind": "rnn", "size": size},
        model=model,
        net=net,
        arrays=(x, y),
    )


class _RawLSTM(torch.nn.Module):
    def __init__(self, model: Any) -> None:
        super().__init__()
        embedding, lstm, dense = model.layers
        self.embedding = torch.nn.Embedding(*embedding.embeddings.shape)
        self.lstm = torch.nn.LSTM(32, 64, batch_first=True)
        self.fc = torch.nn.Linear(64, 1)
        with torch.no_grad():
            self.embedding.weight.copy_(embedding.embeddings.detach())
            cell = lstm.cell
            # Keras: kernel (in, 4u), recurrent (u, 4u), one bias; gates i, f, c, o
            # in the same order as torch's i, f, g, o.
            self.lstm.weight_ih_l0.copy_(cell.kernel.detach().T)
            self.lstm.weight_hh_l0.copy_(cell.recurrent_kernel.detach().T)
            self.lstm.bias_ih_l0.copy_(cell.bias.detach())
            self.lstm.bias_hh_l0.zero_()
        _copy_dense(dense, self.fc)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(self.embedding(x))
        return self.fc(h[-1])


WORKLOADS: dict[str, Callable[..., Workload]] = {
    "tiny": tiny,
    "mlp": mlp,
    "cnn": cnn,
    "predict": predict,
    "data": data,
    "rnn": rnn,
}

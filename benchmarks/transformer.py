"""A GPT-2-shaped language model: cornu `fit` against a hand-written loop.

On a GPU: GPT-2 small (12 layers, 12 heads, width 768, 1024 tokens), bf16
autocast, fused AdamW, scaled-dot-product attention; reports tokens/s and
model FLOPs utilisation. On the CPU the same code runs a tiny configuration
(what the tests check). Run: `python benchmarks/transformer.py [--tiny]`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

import cornu as keras
from cornu.core.dtype_policy import set_dtype_policy

GPT2_SMALL = dict(vocab=50257, length=1024, width=768, heads=12, layers=12, batch=8)
TINY = dict(vocab=256, length=32, width=64, heads=4, layers=2, batch=4)

# Dense bf16 peak of the GPUs this runs on, for model FLOPs utilisation.
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}


class PositionEmbedding(keras.layers.Layer):
    """Adds a learned embedding of each position to the token embeddings."""

    def __init__(self, length: int, width: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.length, self.width = length, width

    def build(self, input_shape: Any) -> None:
        self.positions = self.add_weight(
            shape=(self.length, self.width),
            initializer="random_normal",
            name="positions",
        )

    def call(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.positions[: x.shape[1]]  # (B, T, C)


def cornu_model(c: dict[str, int]) -> Any:
    layers = keras.layers
    tokens = keras.Input((c["length"],), dtype="int64")
    x = layers.Embedding(c["vocab"], c["width"])(tokens)
    x = PositionEmbedding(c["length"], c["width"])(x)
    for _ in range(c["layers"]):
        h = layers.LayerNormalization(epsilon=1e-5)(x)
        h = layers.MultiHeadAttention(c["heads"], c["width"] // c["heads"])(
            h, h, use_causal_mask=True
        )
        x = x + h
        h = layers.LayerNormalization(epsilon=1e-5)(x)
        h = layers.Dense(4 * c["width"], activation="gelu")(h)
        x = x + layers.Dense(c["width"])(h)
    x = layers.LayerNormalization(epsilon=1e-5)(x)
    logits = layers.Dense(c["vocab"])(x)  # (B, T, vocab)
    return keras.Model(tokens, logits)


class RawBlock(torch.nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(width)
        self.qkv = torch.nn.Linear(width, 3 * width)
        self.proj = torch.nn.Linear(width, width)
        self.ln2 = torch.nn.LayerNorm(width)
        self.fc = torch.nn.Linear(width, 4 * width)
        self.out = torch.nn.Linear(4 * width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=-1)
        q, k, v = (
            z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v)
        )
        h = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, H, T, D)
        x = x + self.proj(h.transpose(1, 2).reshape(b, t, c))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class RawGPT(torch.nn.Module):
    def __init__(self, c: dict[str, int]) -> None:
        super().__init__()
        self.tokens = torch.nn.Embedding(c["vocab"], c["width"])
        self.positions = torch.nn.Parameter(torch.randn(c["length"], c["width"]) * 0.05)
        self.blocks = torch.nn.ModuleList(
            RawBlock(c["width"], c["heads"]) for _ in range(c["layers"])
        )
        self.ln = torch.nn.LayerNorm(c["width"])
        self.head = torch.nn.Linear(c["width"], c["vocab"])

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tokens(idx) + self.positions[: idx.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def model_flops_per_token(c: dict[str, int], params: int) -> float:
    # 6N for the matmuls with weights, plus attention's 12 * layers * T * width.
    return 6.0 * params + 12.0 * c["layers"] * c["length"] * c["width"]


def run(c: dict[str, int], steps: int, rounds: int) -> dict[str, Any]:
    device = keras.config.device()
    cuda = device.type == "cuda"
    rng = np.random.default_rng(0)
    n = c["batch"] * steps
    x = rng.integers(0, c["vocab"], size=(n, c["length"])).astype("int64")
    y = np.roll(x, -1, axis=1)
    if cuda:
        set_dtype_policy("mixed_bfloat16")
    model = cornu_model(c)
    model.compile(
        optimizer=keras.optimizers.AdamW(3e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    raw = RawGPT(c).to(device)
    opt = torch.optim.AdamW(raw.parameters(), lr=3e-4, fused=True)
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    def raw_epoch() -> None:
        perm = torch.randperm(n, device=device)
        for start in range(0, n, c["batch"]):
            idx = perm[start : start + c["batch"]]
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cuda):
                logits = raw(xt.index_select(0, idx))
                loss = F.cross_entropy(
                    logits.flatten(0, 1).float(), yt.index_select(0, idx).flatten()
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()

    def cornu_epoch() -> None:
        model.fit(x, y, batch_size=c["batch"], epochs=1, verbose=0)

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    times: dict[str, list[float]] = {"cornu": [], "raw": []}
    for fn in (cornu_epoch, raw_epoch):
        fn()
    for _ in range(rounds):
        for name, fn in (("cornu", cornu_epoch), ("raw", raw_epoch)):
            sync()
            start = time.perf_counter()
            fn()
            sync()
            times[name].append((time.perf_counter() - start) / steps)
    params = sum(p.numel() for p in raw.parameters())
    flops = model_flops_per_token(c, params)
    tokens = c["batch"] * c["length"]
    result: dict[str, Any] = {"config": c, "params": params}
    peak = None
    if cuda:
        name = torch.cuda.get_device_name()
        peak = next((v for k, v in PEAK_TFLOPS.items() if k in name), None)
    for side, values in times.items():
        step = statistics.median(values)
        tps = tokens / step
        result[side] = {
            "step_s": step,
            "tokens_per_s": tps,
            "tflops": tps * flops / 1e12,
        }
        if peak:
            result[side]["mfu"] = tps * flops / 1e12 / peak
    result["ratio"] = result["cornu"]["step_s"] / result["raw"]["step_s"]
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--tiny", action="store_true", help="the CPU-sized configuration"
    )
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    tiny = args.tiny or not torch.cuda.is_available()
    result = run(TINY if tiny else GPT2_SMALL, args.steps, args.rounds)
    for side in ("cornu", "raw"):
        r = result[side]
        mfu = f", MFU {r['mfu']:.1%}" if "mfu" in r else ""
        print(
            f"{side}: {r['tokens_per_s']:,.0f} tokens/s, {r['tflops']:.2f} TFLOP/s{mfu}"
        )
    print(
        f"cornu/raw step time: {result['ratio']:.3f} ({result['params']:,} parameters)"
    )
    return result


if __name__ == "__main__":
    main()

"""Model builders shared by cornu's tests and the real-Keras oracle script.

Each builder takes the Keras module (`cornu` or `keras`) and builds the same
architecture with it, so the interop tests compare like with like and the
builders themselves prove that the code runs unchanged on both.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def sequential(keras: Any) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((4,)),
            layers.Dense(8, activation="relu"),
            layers.Dense(3, activation="softmax"),
        ]
    )


def multi_io(keras: Any) -> Any:
    """Two inputs, three outputs, one layer shared between two branches."""
    layers = keras.layers
    a = keras.Input((4,), name="in_a")
    b = keras.Input((3,), name="in_b")
    h1 = layers.Dense(5, activation="tanh")(a)
    h2 = layers.Dense(5)(b)
    shared = layers.Dense(2)
    side = layers.Dense(1, activation="sigmoid")(h1)
    return keras.Model([a, b], [shared(h1), shared(h2), side])


def branchy(keras: Any) -> Any:
    """Layers whose Keras order (by depth) differs from their call order."""
    layers = keras.layers
    x = keras.Input((4,))
    first = layers.Dense(2)(x)
    deep = layers.Dense(3, activation="relu")(x)
    deeper = layers.Dense(2)(deep)
    return keras.Model(x, [first, deeper])


def nested(keras: Any) -> Any:
    """A Sequential and a functional model used as layers of a functional model."""
    layers = keras.layers
    inner_seq = keras.Sequential(
        [keras.Input((6,)), layers.Dense(6, activation="relu"), layers.Dense(6)]
    )
    i = keras.Input((6,))
    inner_fn = keras.Model(i, layers.Dense(3)(i))
    x = keras.Input((4,))
    h = layers.Dense(6)(x)
    h = inner_seq(h)
    return keras.Model(x, layers.Dense(2)(inner_fn(h)))


def tower(keras: Any) -> Any:
    """A subclassed model holding layers in attributes and in a list.

    Keras finds their weights by walking attributes in sorted order, so the
    file layout depends on the attribute names, not on the layers' names.
    """
    layers = keras.layers

    class Tower(keras.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.stem = layers.Dense(4)
            self.blocks = [layers.Dense(4, activation="relu"), layers.Dense(4)]
            self.head = layers.Dense(2)

        def call(self, x: Any) -> Any:
            x = self.stem(x)
            for block in self.blocks:
                x = block(x)
            return self.head(x)

    model = Tower()
    model(np.zeros((1, 4), "float32"))
    return model


def convnet(keras: Any) -> Any:
    """Convolution, batch normalization (non-trainable state), pooling."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            layers.Conv2D(4, 3, activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.1),
            layers.Dense(2),
        ]
    )


def merge(keras: Any) -> Any:
    """Merging layers joining two branches."""
    layers = keras.layers
    a = keras.Input((4,))
    b = keras.Input((4,))
    summed = layers.Add()([layers.Dense(3)(a), layers.Dense(3)(b)])
    joined = layers.Concatenate()([summed, a])
    return keras.Model([a, b], layers.Dense(2)(joined))


def embed(keras: Any) -> Any:
    """Integer inputs through an embedding and layer normalization."""
    layers = keras.layers
    tokens = keras.Input((5,), dtype="int32")
    h = layers.LayerNormalization()(layers.Embedding(10, 4)(tokens))
    return keras.Model(tokens, layers.Dense(2)(layers.Flatten()(h)))


def recurrent(keras: Any) -> Any:
    layers = keras.layers
    return keras.Sequential(
        [keras.Input((6, 3)), layers.LSTM(4, return_sequences=True), layers.GRU(3)]
    )


def attention(keras: Any) -> Any:
    layers = keras.layers
    x = keras.Input((6, 4))
    h = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x)
    return keras.Model(x, layers.GlobalAveragePooling1D()(h))


def raw_ops(keras: Any) -> Any:
    """Raw `keras.ops` calls as graph nodes, numbers among their arguments."""
    ops = keras.ops
    x = keras.Input((6,))
    h = keras.layers.Dense(6)(x)
    gate = ops.cast(ops.greater(h, 0.1), "float32")
    h = ops.add(ops.multiply(h, gate), 1.5)
    h = ops.clip(ops.subtract(ops.square(h), 0.25), -2.0, 4.0)
    h = ops.where(ops.less(h, 0.0), 0.0, h)
    stats = ops.concatenate(
        [ops.mean(h, axis=-1, keepdims=True), ops.max(h, axis=-1, keepdims=True)],
        axis=-1,
    )
    h = ops.tanh(ops.divide(h, ops.add(ops.sqrt(ops.abs(h)), 1.0)))
    h = ops.exp(ops.negative(ops.power(h, 2.0)))
    return keras.Model(x, ops.concatenate([ops.log1p(h), stats], axis=-1))


def spectrogram(keras: Any) -> Any:
    """Audio in, a trainable STFT front end (its kernels are weights)."""
    layers = keras.layers
    return keras.Sequential(
        [
            keras.Input((64, 1)),
            layers.STFTSpectrogram(
                mode="log", frame_length=16, frame_step=8, window=None, trainable=True
            ),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )


# Architectures saved as `.keras` and as `.weights.h5`.
BUILDERS = {
    "sequential": sequential,
    "multi_io": multi_io,
    "branchy": branchy,
    "nested": nested,
    "convnet": convnet,
    "merge": merge,
    "embed": embed,
    "recurrent": recurrent,
    "attention": attention,
    "raw_ops": raw_ops,
    "spectrogram": spectrogram,
}

# The layers each architecture needs; an architecture whose layers cornu does
# not have yet is skipped (with that reason).
REQUIRES = {
    "convnet": ["Conv2D", "BatchNormalization", "MaxPooling2D", "Flatten", "Dropout"],
    "merge": ["Add", "Concatenate"],
    "embed": ["Embedding", "LayerNormalization", "Flatten"],
    "recurrent": ["LSTM", "GRU"],
    "attention": ["MultiHeadAttention", "GlobalAveragePooling1D"],
    "spectrogram": ["STFTSpectrogram", "Flatten"],
}

# Input specs (shape without batch, dtype, and for integers the exclusive max).
INPUTS: dict[str, list[tuple[tuple[int, ...], str, int]]] = {
    "multi_io": [((4,), "float32", 0), ((3,), "float32", 0)],
    "merge": [((4,), "float32", 0), ((4,), "float32", 0)],
    "convnet": [((8, 8, 3), "float32", 0)],
    "embed": [((5,), "int32", 10)],
    "recurrent": [((6, 3), "float32", 0)],
    "attention": [((6, 4), "float32", 0)],
    "raw_ops": [((6,), "float32", 0)],
    "spectrogram": [((64, 1), "float32", 0)],
}


def missing_layers(keras: Any, name: str) -> list[str]:
    """The layers architecture `name` needs that `keras.layers` lacks."""
    return [n for n in REQUIRES.get(name, []) if not hasattr(keras.layers, n)]


# Architectures exchanged as `.weights.h5` only (no config to rebuild from).
WEIGHTS_ONLY_BUILDERS = {"tower": tower}
ALL_BUILDERS = {**BUILDERS, **WEIGHTS_ONLY_BUILDERS}


def sample_inputs(name: str, batch: int = 5) -> list[np.ndarray]:
    """Deterministic inputs for the model built by `BUILDERS[name]`."""
    rng = np.random.default_rng(7)
    out = []
    for shape, dtype, high in INPUTS.get(name, [((4,), "float32", 0)]):
        if dtype.startswith("int"):
            out.append(rng.integers(0, high, (batch, *shape)).astype(dtype))
        else:
            out.append(rng.standard_normal((batch, *shape)).astype(dtype))
    return out


def model_inputs(xs: list[np.ndarray]) -> Any:
    return xs[0] if len(xs) == 1 else list(xs)


def to_numpy_list(outputs: Any) -> list[np.ndarray]:
    if isinstance(outputs, dict):
        outputs = [outputs[k] for k in sorted(outputs)]
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    out = []
    for y in outputs:
        if hasattr(y, "detach"):
            y = y.detach().cpu().numpy()
        out.append(np.asarray(y))
    return out

"""Train a small convnet on the UCI handwritten digits (8x8 images) end to end.

This is what `make demo` runs: load the data that ships with the repository,
build a Keras-style model with cornu, train it with `fit` (progress bar,
validation split, early stopping), evaluate on held-out digits and predict.
Written exactly as a Keras user would, after `import cornu as keras`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import cornu as keras

DATA = Path(__file__).resolve().parent / "data" / "digits.npz"


def load_digits() -> tuple[
    tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]
]:
    """1,797 8x8 digit images, split 80/20 with a fixed shuffle."""
    with np.load(DATA, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    x = (images.astype("float32") / 16.0)[..., None]  # (N, 8, 8, 1), channels-last
    y = labels.astype("int64")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def build_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input(shape=(8, 8, 1)),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.25),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--verbose", default="auto")
    parser.add_argument(
        "--output-dir", default="build/demo", help="where the model's picture goes"
    )
    args = parser.parse_args(argv)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)

    keras.utils.set_random_seed(1337)
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = build_model()
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=2e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        batch_size=32,
        epochs=args.epochs,
        validation_split=0.1,
        verbose=verbose,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_accuracy", patience=6, restore_best_weights=True
            )
        ],
    )
    elapsed = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    predictions = model.predict(x_test[:10], verbose=0).argmax(axis=-1)
    print(f"trained in {elapsed:.1f} s")
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f} on {len(x_test)} digits")
    print(f"first predictions {predictions.tolist()}, labels {y_test[:10].tolist()}")
    picture = Path(args.output_dir) / "digits_convnet.png"
    picture.parent.mkdir(parents=True, exist_ok=True)
    try:
        keras.utils.plot_model(model, str(picture), show_shapes=True)
        print(f"model picture: {picture}")
    except ImportError as e:  # Graphviz is optional
        print(f"no model picture: {e}")
    return accuracy


if __name__ == "__main__":
    main()

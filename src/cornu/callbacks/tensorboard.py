"""`TensorBoard`: writes metrics, histograms and images for TensorBoard."""

from __future__ import annotations

import importlib.util
import os
import time
from typing import Any

import numpy as np
import torch

from cornu.callbacks._utils import get_learning_rate
from cornu.callbacks.callback import Callback


class TensorBoard(Callback):
    """Logs events for TensorBoard, through `torch.utils.tensorboard`.

    Requires the `tensorboard` package (`pip install tensorboard`). Training
    events go to `log_dir/train`, validation events to `log_dir/validation`,
    with Keras's tag names: `epoch_loss`, `epoch_learning_rate`,
    `batch_loss`, `evaluation_loss_vs_iterations`, `<weight path>/histogram`.
    View them with `tensorboard --logdir=log_dir`.

    Args:
        log_dir: the directory for the event files.
        histogram_freq: every how many epochs to write histograms of the
            weights (0: never).
        write_graph: accepted for compatibility; graphs are not written (as
            with Keras's torch backend).
        write_images: also write the weights as images (with histograms);
            needs the `pillow` package.
        write_steps_per_second: log training steps per second.
        update_freq: `"epoch"`, `"batch"` (every batch) or an integer: log
            batch metrics every that many batches. Batch metrics are read
            only on the batches logged.
        profile_batch: must be 0: profiling is not available (as with Keras's
            torch backend).
        embeddings_freq: every how many epochs to write the weights of
            `Embedding` layers to the projector (0: never).
        embeddings_metadata: a metadata file for all embedding layers, or a
            dict from layer name to metadata file (one label per line).

    Example:
    ```python
    tensorboard = keras.callbacks.TensorBoard(log_dir="./logs")
    model.fit(x, y, epochs=2, callbacks=[tensorboard])
    ```
    """

    def __init__(
        self,
        log_dir: str | os.PathLike[str] = "logs",
        histogram_freq: int = 0,
        write_graph: bool = True,
        write_images: bool = False,
        write_steps_per_second: bool = False,
        update_freq: str | int = "epoch",
        profile_batch: int = 0,
        embeddings_freq: int = 0,
        embeddings_metadata: str | dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        if importlib.util.find_spec("tensorboard") is None:
            raise ImportError(
                "The TensorBoard callback requires the `tensorboard` package. "
                "Install it with `pip install tensorboard`."
            )
        if write_images and importlib.util.find_spec("PIL") is None:
            raise ImportError(
                "TensorBoard(write_images=True) requires the `pillow` package "
                "to encode images. Install it with `pip install pillow`."
            )
        if profile_batch:
            raise ValueError(
                "Profiling is not yet available with the torch backend. "
                f"Received: profile_batch={profile_batch} (must be 0)"
            )
        if update_freq != "epoch" and update_freq != "batch":
            if not isinstance(update_freq, int) or update_freq < 1:
                raise ValueError(
                    "Expected `update_freq` to be 'epoch', 'batch' or a positive "
                    f"integer. Received: update_freq={update_freq!r}"
                )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq: str | int = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")
        self._writers: dict[str, Any] = {}
        self._global_train_batch = 0
        self._epoch_start_time = 0.0
        self._epoch_start_iterations = 0.0
        self._batch_start_time = 0.0

    # Writers are made on first use so that no empty event file appears.

    def _writer(self, which: str) -> Any:
        writer = self._writers.get(which)
        if writer is None:
            from torch.utils.tensorboard import SummaryWriter

            directory = self._train_dir if which == "train" else self._val_dir
            writer = SummaryWriter(log_dir=directory)
            self._writers[which] = writer
        return writer

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._global_train_batch = 0

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._close_writers()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.write_steps_per_second:
            self._epoch_start_time = time.time()
            self._epoch_start_iterations = self._iterations()

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start_time = time.time()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        step = self._global_train_batch
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._batch_start_time, 1e-9)
            self._writer("train").add_scalar(
                "batch_steps_per_second", 1.0 / elapsed, global_step=step
            )
        if self.update_freq == "epoch" or step % int(self.update_freq) != 0:
            return
        # Reading the logs waits for the device: only on logged batches.
        writer = self._writer("train")
        for name, value in (logs or {}).items():
            scalar = _scalar(value)
            if scalar is not None:
                writer.add_scalar(f"batch_{name}", scalar, global_step=step)

    def on_test_end(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None or not hasattr(optimizer, "iterations") or not logs:
            return
        step = int(self._iterations())
        writer = self._writer("val")
        for name, value in logs.items():
            scalar = _scalar(value)
            if scalar is not None:
                writer.add_scalar(
                    f"evaluation_{name}_vs_iterations", scalar, global_step=step
                )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._log_epoch_metrics(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()

    def _iterations(self) -> float:
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", 0)
        if isinstance(iterations, torch.Tensor):
            return float(iterations.detach().cpu())
        return float(iterations)

    def _log_epoch_metrics(self, epoch: int, logs: dict[str, Any]) -> None:
        if not logs:
            return
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        members = getattr(optimizer, "optimizers", None)
        if members is not None:
            for opt in members:
                train[f"learning_rate_{opt.name}"] = get_learning_rate(opt)
        elif optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = get_learning_rate(optimizer)
        if self.write_steps_per_second:
            elapsed = max(time.time() - self._epoch_start_time, 1e-9)
            steps = self._iterations() - self._epoch_start_iterations
            train["steps_per_second"] = steps / elapsed
        for which, values in (("train", train), ("val", val)):
            if not values:
                continue
            writer = self._writer(which)
            for name, value in values.items():
                scalar = _scalar(value)
                if scalar is not None:
                    writer.add_scalar(f"epoch_{name}", scalar, global_step=epoch)

    def _log_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in getattr(self.model, "layers", []):
            for weight in layer.weights:
                path = getattr(weight, "path", None) or getattr(weight, "name", None)
                name = str(path or "weight").replace(":", "_")
                values = weight.detach().float().cpu().numpy()
                writer.add_histogram(f"{name}/histogram", values, global_step=epoch)
                if self.write_images:
                    image = _weight_image(values)
                    if image is not None:
                        writer.add_images(
                            f"{name}/image",
                            image,
                            global_step=epoch,
                            dataformats="NHWC",
                        )

    def _log_embeddings(self, epoch: int) -> None:
        writer = self._writer("train")
        metadata = self.embeddings_metadata
        for layer in getattr(self.model, "layers", []):
            if type(layer).__name__ != "Embedding":
                continue
            table = layer.weights[0].detach().float().cpu()
            labels = None
            path = (
                metadata
                if isinstance(metadata, str)
                else (metadata or {}).get(layer.name)
            )
            if path:
                with open(path, encoding="utf-8") as f:
                    labels = [line.rstrip("\n") for line in f][: table.shape[0]]
            writer.add_embedding(
                table, metadata=labels, tag=layer.name, global_step=epoch
            )


def _scalar(value: Any) -> float | None:
    """A float for TensorBoard, or `None` for values that are not scalars."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        return float(value.reshape(())) if value.size == 1 else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _weight_image(values: np.ndarray) -> np.ndarray | None:
    """The weight as a batch of grey images (NHWC), as Keras lays it out."""
    image = np.squeeze(values)
    if image.ndim == 1:  # A bias: one column.
        image = image.reshape(1, -1, 1, 1)
    elif image.ndim == 2:  # A dense kernel, wide side horizontal.
        if image.shape[0] > image.shape[1]:
            image = image.T
        image = image.reshape(1, image.shape[0], image.shape[1], 1)
    elif image.ndim == 3:  # A 1-D conv kernel: one image per input channel.
        image = np.transpose(image, (2, 0, 1))[..., None]
    else:
        return None
    # Scale to [0, 1] so TensorBoard shows contrast, whatever the range.
    low, high = float(image.min()), float(image.max())
    return (image - low) / (high - low) if high > low else np.zeros_like(image)

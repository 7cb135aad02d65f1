"""The training API mixed into `Model`: compile, fit, evaluate, predict.

The hot path of `fit` is, per step: take the batch (already on the device),
forward, loss, `backward`, optimizer update, metric state update. Nothing
else: no `.item()`, no host copies, no Python work per sample. Logs stay
on the device until a callback or the progress bar reads them.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from cornu import config, tree
from cornu.trainers import data_adapters
from cornu.trainers.compile_utils import CompileLoss, CompileMetrics
from cornu.trainers.logs import LazyLogs, flatten_results, materialize, to_python


class Trainer:
    if TYPE_CHECKING:  # provided by Layer, which Model mixes in
        trainable_weights: list[Any]
        losses: list[Any]

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    """compile/fit/evaluate/predict, with Keras's arguments and results.

    Override `train_step`, `test_step` or `predict_step` to change what a
    step does while keeping the loop, callbacks and progress bar.

    Example of a custom `train_step`:
    >>> import cornu as keras
    >>> class MyModel(keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.dense = keras.layers.Dense(1)
    ...     def call(self, x):
    ...         return self.dense(x)
    ...     def train_step(self, data):
    ...         x, y = data[0], data[1]
    ...         y_pred = self(x, training=True)
    ...         loss = self.compute_loss(x, y, y_pred)
    ...         self.zero_grad()
    ...         loss.backward()
    ...         weights = self.trainable_weights
    ...         self.optimizer.apply([w.grad for w in weights], weights)
    ...         return self.compute_metrics(x, y, y_pred)
    >>> model = MyModel()
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.ones((8, 2)), np.ones((8, 1)), verbose=0)
    >>> len(history.history["loss"])
    1
    """

    def __init__(self) -> None:
        self.compiled = False
        self.optimizer: Any = None
        self.loss: Any = None
        self._compile_loss: CompileLoss | None = None
        self._compile_metrics: CompileMetrics | None = None
        self._loss_tracker: Any = None
        self.stop_training = False
        self.history: Any = None
        self._run_eagerly = False
        self._jit_compile = False
        self.steps_per_execution = 1
        self._compile_config: dict[str, Any] | None = None
        self._jit_forward: Any = None
        self._initial_epoch: int | None = None
        self._initial_step: int | None = None

    # -- compile --------------------------------------------------------------
    def compile(  # type: ignore[override]
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        steps_per_execution: int = 1,
        jit_compile: Any = "auto",
        auto_scale_loss: bool = True,
    ) -> None:
        """Configures the model for training.

        Args:
            optimizer: a name (`"adam"`) or an optimizer object.
            loss: a name, function or `Loss`; a list or dict for
                per-output losses.
            loss_weights: scalars weighting each output's loss.
            metrics: names, functions or `Metric`s; per-output lists/dicts.
            weighted_metrics: metrics that take the sample weights.
            run_eagerly: never compile the step.
            steps_per_execution: steps run between callback batch hooks.
            jit_compile: `True` applies `torch.compile` to the forward pass
                and loss; `"auto"` does so only on CUDA.
        """
        from cornu import metrics as metrics_module
        from cornu import optimizers

        self.optimizer = (
            optimizer if hasattr(optimizer, "apply") else optimizers.get(optimizer)
        )
        self.loss = loss
        output_names = self._output_names()
        self._compile_loss = (
            CompileLoss(loss, loss_weights, output_names) if loss is not None else None
        )
        self._compile_metrics = (
            CompileMetrics(metrics, weighted_metrics, output_names)
            if metrics is not None or weighted_metrics is not None
            else None
        )
        self._loss_tracker = metrics_module.Mean(name="loss")
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(
                "`steps_per_execution` must be a positive integer, received "
                f"{steps_per_execution!r}."
            )
        self.steps_per_execution = steps_per_execution
        self._run_eagerly = bool(run_eagerly)
        if jit_compile == "auto":
            jit_compile = config.device().type == "cuda"
        self._jit_compile = bool(jit_compile) and not run_eagerly
        self._jit_forward = None
        self._compile_config = {
            "optimizer": optimizer,
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
        }
        self.compiled = True

    @property
    def run_eagerly(self) -> bool:
        return self._run_eagerly

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = bool(value)

    @property
    def jit_compile(self) -> bool:
        return self._jit_compile

    @jit_compile.setter
    def jit_compile(self, value: bool) -> None:
        self._jit_compile = bool(value)
        self._jit_forward = None

    def get_compile_config(self) -> dict[str, Any] | None:
        from cornu.core.serialization import serialize_keras_object

        if self._compile_config is None:
            return None
        return {k: serialize_keras_object(v) for k, v in self._compile_config.items()}

    def compile_from_config(self, config: dict[str, Any]) -> None:
        from cornu.core.serialization import deserialize_keras_object

        kwargs = {
            k: deserialize_keras_object(v)
            if isinstance(v, dict) and "class_name" in v
            else v
            for k, v in config.items()
        }
        self.compile(**kwargs)

    def _output_names(self) -> list[str]:
        outputs = getattr(self, "outputs", None)
        if isinstance(outputs, list) and outputs:
            structure = getattr(self, "_outputs_struct", None)
            if isinstance(structure, dict):
                return sorted(structure)
            return [t._keras_history[0].name for t in outputs]
        return ["output"]

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise ValueError(f"You must call `compile()` before calling `{method}()`.")

    # -- metrics --------------------------------------------------------------
    @property
    def metrics(self) -> list[Any]:
        """The loss tracker, the compiled metrics, then metrics the model tracks."""
        out: list[Any] = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_metrics is not None:
            out.append(self._compile_metrics)
        for value in self.__dict__.values():
            if _is_metric(value) and value not in out:
                out.append(value)
        return out

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    @property
    def metrics_variables(self) -> list[Any]:
        return [v for m in self.metrics for v in m.variables]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict[str, Any]:
        """The current metric values, as Python floats, by name."""
        return {
            k: to_python(v) for k, v in sorted(flatten_results(self.metrics).items())
        }

    # -- steps ----------------------------------------------------------------
    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> torch.Tensor:
        """The compiled loss plus the model's added and regularization losses."""
        total: Any = None
        if self._compile_loss is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        extra = self._collect_losses()
        if extra:
            penalty = torch.stack(
                [torch.as_tensor(v).sum().float() for v in extra]
            ).sum()
            total = penalty if total is None else total + penalty
        if total is None:
            raise ValueError(
                "No loss to compute. Provide a `loss` argument in `compile()`."
            )
        return total

    def compute_metrics(
        self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None
    ) -> Any:
        """Updates the compiled metrics and returns the logs (read lazily)."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self._lazy_logs

    @property
    def _lazy_logs(self) -> LazyLogs:
        logs = self.__dict__.get("_lazy_logs_obj")
        if logs is None:
            logs = LazyLogs(lambda: flatten_results(self.metrics))
            self.__dict__["_lazy_logs_obj"] = logs
        return logs.invalidate()

    def _forward_and_loss(self, x: Any, y: Any, sw: Any) -> tuple[Any, Any]:
        y_pred = self(x, training=True)
        return y_pred, self.compute_loss(x, y, y_pred, sw)

    def train_step(self, data: Any) -> Any:
        """One optimization step on a batch; returns the logs."""
        x, y, sample_weight = data_adapters.unpack_x_y_sample_weight(data)
        if self._jit_forward is not None:
            y_pred, loss = self._jit_forward(x, y, sample_weight)
        else:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._track_loss(loss, _batch_size(x))
        weights = self._train_weights
        if weights:
            if self.optimizer is not None and hasattr(self.optimizer, "scale_loss"):
                loss = self.optimizer.scale_loss(loss)
            loss.backward()
            grads = [w.grad for w in weights]
            self.optimizer.apply(grads, weights)
            for w in weights:
                w.grad = None
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data: Any) -> Any:
        """One evaluation step on a batch; returns the logs."""
        x, y, sample_weight = data_adapters.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._track_loss(loss, _batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _track_loss(self, loss: torch.Tensor, batch_size: int) -> None:
        # The loss tracker's running mean, weighted by batch size as in Keras,
        # in two in-place kernels (no sync).
        tracker = self._loss_tracker
        with torch.no_grad():
            tracker.total.add_(loss.detach(), alpha=batch_size)
            tracker.count.add_(batch_size)

    def _collect_losses(self) -> list[torch.Tensor]:
        """`self.losses` from caches: added losses of the last call, then penalties."""
        cache = self.__dict__.get("_loss_sources")
        if cache is None:
            from cornu.core.layer import Layer

            layers = [m for m in self.modules() if isinstance(m, Layer)]  # type: ignore[attr-defined]
            penalties = [pair for layer in layers for pair in layer._regularized]
            cache = (layers, penalties)
            self.__dict__["_loss_sources"] = cache
        layers, penalties = cache
        out = [loss for layer in layers if layer._losses for loss in layer._losses]
        out += [reg(v) for v, reg in penalties]
        return out

    def predict_step(self, data: Any) -> Any:
        """The model's output on a batch."""
        x, _, _ = data_adapters.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def zero_grad(self, set_to_none: bool = True) -> None:  # type: ignore[override]
        for w in self.trainable_weights:
            w.grad = None

    @property
    def _train_weights(self) -> list[Any]:
        weights = self.__dict__.get("_cached_train_weights")
        if weights is None:
            weights = self.trainable_weights
            self.__dict__["_cached_train_weights"] = weights
        return weights

    def _refresh_train_weights(self) -> None:
        self.__dict__["_cached_train_weights"] = None
        self.__dict__["_loss_sources"] = None

    def _prepare_jit(self) -> None:
        if self._jit_compile and self._jit_forward is None:
            # Static shapes: a short last batch recompiles once rather than
            # switching the whole step to dynamic shapes.
            self._jit_forward = torch.compile(self._forward_and_loss, dynamic=False)

    # -- loops ----------------------------------------------------------------
    def _callbacks(self, callbacks: Any, verbose: Any, epochs: int, steps: Any) -> Any:
        from cornu.callbacks import CallbackList

        runtime = self.__dict__.get("_dist_runtime")
        if runtime is not None:  # cornu.distribution: print and write on rank 0
            verbose, callbacks = runtime.rank_zero_callbacks(verbose, callbacks)
        if isinstance(callbacks, CallbackList):
            return callbacks
        return CallbackList(
            callbacks,
            add_history=True,
            add_progbar=verbose != 0,
            model=self,
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Any = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: Any = True,
        class_weight: dict[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int = 1,
    ) -> Any:
        """Trains the model for `epochs` epochs; returns a `History`."""
        self._assert_compiled("fit")
        verbose = _resolve_verbose(verbose)
        max_epochs = config.max_epochs()
        if max_epochs and max_epochs < epochs:  # a debugging cap, as Keras
            warnings.warn(f"Limiting epochs to {max_epochs}", stacklevel=2)
            epochs = max_epochs
        if validation_split and validation_data is None:
            if not data_adapters.is_array_data(x):
                raise ValueError(
                    "`validation_split` is only supported for arrays and tensors; "
                    f"received x of type {type(x).__name__}. Use `validation_data`."
                )
            (x, y, sample_weight), validation_data = data_adapters.split_arrays(
                (x, y, sample_weight), validation_split
            )
        adapter = data_adapters.get_data_adapter(
            x, y, sample_weight, batch_size, shuffle, class_weight, steps_per_epoch
        )
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = data_adapters.unpack_x_y_sample_weight(validation_data)
            val_adapter = data_adapters.get_data_adapter(
                vx,
                vy,
                vsw,
                validation_batch_size or batch_size,
                False,
                None,
                validation_steps,
            )
        runtime = _dist_runtime(self)
        if runtime is not None:  # cornu.distribution: this rank's part of the data
            runtime.shard(adapter, training=True)
            if val_adapter is not None:
                runtime.shard(val_adapter)
        steps_per_epoch = _cap_steps(steps_per_epoch, adapter)
        steps = steps_per_epoch or adapter.steps_per_epoch
        cbs = self._callbacks(callbacks, verbose, epochs, steps)
        self.stop_training = False
        self._refresh_train_weights()
        self._prepare_jit()
        self._initial_epoch = self._initial_step = None
        cbs.on_train_begin()
        if self._initial_epoch is not None:
            initial_epoch = max(initial_epoch, int(self._initial_epoch))
        # Batches of the first epoch a restored run already trained on (set,
        # like the epoch, by `on_train_begin`); later epochs start at 0.
        resume_step = int(self._initial_step or 0)
        iterator = _EpochIterator(adapter, steps_per_epoch)
        train_step = self.train_step
        spe = self.steps_per_execution
        batch_hooks = getattr(cbs, "_batch_hooks_active", True)
        epoch_logs: dict[str, Any] = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            self._refresh_train_weights()
            cbs.on_epoch_begin(epoch)
            logs: Any = None
            batches = iterator.epoch()
            skip, resume_step = resume_step, 0
            # A run restored mid-epoch skips the batches it already trained on
            # (same shuffle: the permutation is drawn as before).
            for _ in range(skip):
                next(batches, None)
            if skip and runtime is not None:  # cornu.distribution: no step ran
                runtime.forget_batches()
            with torch.enable_grad():
                for step, batch in _grouped(batches, spe, start=skip):
                    if batch_hooks:
                        cbs.on_train_batch_begin(step)
                    for data in batch:
                        logs = train_step(data)
                    if batch_hooks:
                        cbs.on_train_batch_end(step, _as_logs(logs))
                    if self.stop_training:
                        break
            if logs is None:
                raise ValueError(
                    "The training data yielded no batches: check `x` and "
                    "`steps_per_epoch`."
                )
            epoch_logs = self._epoch_logs(logs)
            if val_adapter is not None and _should_validate(epoch, validation_freq):
                val_logs = self.evaluate(
                    val_adapter,
                    verbose=0,
                    steps=validation_steps,
                    return_dict=True,
                    callbacks=cbs,
                )
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.on_train_end(epoch_logs)
        return self.history

    def _epoch_logs(self, logs: Any) -> dict[str, Any]:
        runtime = self.__dict__.get("_dist_runtime")
        if runtime is not None:  # cornu.distribution: global metric states
            runtime.reduce_metrics(self)
        if isinstance(logs, LazyLogs) or logs is None:
            return self.get_metrics_result()
        return materialize(logs)

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Any = None,
        return_dict: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Returns the loss and metric values on the data (see Keras)."""
        self._assert_compiled("evaluate")
        use_callbacks = kwargs.pop("_callbacks", True)
        if kwargs:
            raise TypeError(f"evaluate() got unexpected arguments: {sorted(kwargs)}.")
        if isinstance(
            x, (data_adapters.ArrayDataAdapter, data_adapters.IterableDataAdapter)
        ):
            adapter = x
        else:
            adapter = data_adapters.get_data_adapter(
                x, y, sample_weight, batch_size, False, None, steps
            )
        runtime = _dist_runtime(self) if use_callbacks else None
        if runtime is not None:  # cornu.distribution: this rank's part of the data
            runtime.shard(adapter)
        verbose = _resolve_verbose(verbose)
        steps = _cap_steps(steps, adapter)
        cbs = (
            self._callbacks(callbacks, verbose, 1, steps or adapter.steps_per_epoch)
            if use_callbacks
            else None
        )
        self.reset_metrics()
        self._refresh_train_weights()
        if cbs is not None:
            cbs.on_test_begin()
        logs: Any = None
        test_step = self.test_step
        with torch.no_grad():
            for step, batch in enumerate(_EpochIterator(adapter, steps).epoch()):
                if cbs is not None:
                    cbs.on_test_batch_begin(step)
                logs = test_step(batch)
                if cbs is not None:
                    cbs.on_test_batch_end(step, _as_logs(logs))
        if logs is None:
            raise ValueError("The evaluation data yielded no batches.")
        result = self._epoch_logs(logs)
        if cbs is not None:
            cbs.on_test_end(result)
        if return_dict:
            return result
        return self._flatten_in_order(result)

    def _flatten_in_order(self, logs: dict[str, Any]) -> Any:
        names = ["loss"] + [
            m.name
            for c in self.metrics
            for m in (c.metrics if isinstance(c, CompileMetrics) else [c])
            if m.name != "loss"
        ]
        values = [logs[n] for n in names if n in logs]
        values += [v for k, v in logs.items() if k not in names]
        return values[0] if len(values) == 1 else values

    def predict(
        self,
        x: Any,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Any = None,
    ) -> Any:
        """The model's outputs on `x`, as numpy arrays nested like the outputs."""
        adapter = data_adapters.get_data_adapter(
            x, None, None, batch_size, False, None, steps
        )
        runtime = _dist_runtime(self)
        if runtime is not None:  # cornu.distribution: this rank's part of the data
            runtime.shard(adapter)
        verbose = _resolve_verbose(verbose)
        steps = _cap_steps(steps, adapter)
        cbs = self._callbacks(callbacks, verbose, 1, steps or adapter.steps_per_epoch)
        cbs.on_predict_begin()
        outputs: list[Any] = []
        predict_step = self.predict_step
        batches = _EpochIterator(adapter, steps).epoch()
        with torch.inference_mode():
            # With no predict-batch hook in use, the loop is the step alone.
            if cbs._predict_hooks_active:
                for step, batch in enumerate(batches):
                    cbs.on_predict_batch_begin(step)
                    out = predict_step(batch)
                    outputs.append(out)
                    cbs.on_predict_batch_end(step, {"outputs": out})
            else:
                outputs = [predict_step(batch) for batch in batches]
        cbs.on_predict_end()
        if runtime is not None:  # cornu.distribution: all ranks' outputs, in order
            outputs = runtime.gather_predictions(
                outputs, getattr(adapter, "shard", None) is not None
            )
        if not outputs:
            raise ValueError("The prediction data yielded no batches.")
        first = outputs[0]
        if isinstance(first, torch.Tensor):
            return _to_numpy(torch.cat(outputs))
        flat = [tree.flatten(o) for o in outputs]
        joined = [
            _to_numpy(torch.cat([f[i] for f in flat])) for i in range(len(flat[0]))
        ]
        return tree.pack_sequence_as(first, joined)

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict[int, float] | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One training step on one batch; returns the logs."""
        self._assert_compiled("train_on_batch")
        adapter = data_adapters.get_data_adapter(
            x, y, sample_weight, _num_samples(x), False, class_weight
        )
        self._refresh_train_weights()
        with torch.enable_grad():
            for batch in adapter.epoch():
                logs = self.train_step(batch)
        result = self._epoch_logs(logs)
        return result if return_dict else self._flatten_in_order(result)

    def test_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        return_dict: bool = False,
    ) -> Any:
        """One evaluation step on one batch; returns the logs."""
        self._assert_compiled("test_on_batch")
        adapter = data_adapters.get_data_adapter(x, y, sample_weight, _num_samples(x))
        self.reset_metrics()
        with torch.no_grad():
            for batch in adapter.epoch():
                logs = self.test_step(batch)
        result = self._epoch_logs(logs)
        return result if return_dict else self._flatten_in_order(result)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's output on one batch, as numpy."""
        adapter = data_adapters.ArrayDataAdapter(x, batch_size=_num_samples(x))
        with torch.inference_mode():
            out = self.predict_step((adapter.x,))
        return tree.map_structure(_to_numpy, out)


# cornu.distribution hook: checked once per fit/evaluate/predict call, so a
# single process pays one environment lookup made at import.
_MULTI_PROCESS = int(os.environ.get("WORLD_SIZE", "1")) > 1


def _dist_runtime(model: Any) -> Any:
    """cornu.distribution's data-parallel runtime for this call, or None."""
    if _MULTI_PROCESS or "cornu.distribution" in sys.modules:
        from cornu.distribution import runtime

        return runtime.for_model(model)
    return None


def _to_numpy(t: torch.Tensor) -> Any:
    # numpy has no bfloat16: such outputs come back as float32.
    if t.dtype is torch.bfloat16:
        t = t.float()
    return t.cpu().numpy()


def _cap_steps(steps: int | None, adapter: Any) -> int | None:
    """`steps` capped by `keras.config.set_max_steps_per_epoch`, as Keras."""
    cap = config.max_steps_per_epoch()
    known = steps or adapter.steps_per_epoch
    if cap and (not known or cap < known):
        warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return cap
    return steps


class _EpochIterator:
    """Yields an epoch's batches; with `steps`, a fixed number per epoch."""

    def __init__(self, adapter: Any, steps: int | None) -> None:
        self.adapter = adapter
        self.steps = steps
        self._persistent: Iterator[Any] | None = None

    def epoch(self) -> Iterator[Any]:
        if self.steps is None:
            yield from self.adapter.epoch()
            return
        count = 0
        is_array = isinstance(self.adapter, data_adapters.ArrayDataAdapter)
        while count < self.steps:
            source = self.adapter.epoch() if is_array else self._persistent
            if source is None:
                source = self._persistent = iter(self.adapter.epoch())
            got = False
            for batch in source:
                got = True
                yield batch
                count += 1
                if count >= self.steps:
                    return
            self._persistent = None
            if not got:
                warnings.warn(
                    "The data ran out before `steps` batches; stopping early.",
                    stacklevel=3,
                )
                return


def _grouped(
    batches: Iterator[Any], size: int, start: int = 0
) -> Iterator[tuple[int, list[Any]]]:
    if size == 1:
        for step, batch in enumerate(batches, start):
            yield step, [batch]
        return
    group: list[Any] = []
    step = start
    for batch in batches:
        group.append(batch)
        if len(group) == size:
            yield step, group
            step += size
            group = []
    if group:
        yield step, group


def _as_logs(logs: Any) -> Any:
    if isinstance(logs, LazyLogs) or logs is None:
        return logs
    if isinstance(logs, dict):
        return LazyLogs(lambda logs=logs: logs)
    return logs


def _is_metric(value: Any) -> bool:
    return (
        hasattr(value, "update_state")
        and hasattr(value, "result")
        and hasattr(value, "reset_state")
        and not isinstance(value, type)
    )


def _batch_size(x: Any) -> int:
    first = x if isinstance(x, torch.Tensor) else tree.flatten(x)[0]
    return int(first.shape[0])


def _num_samples(x: Any) -> int:
    return int(tree.flatten(x)[0].shape[0])


def _resolve_verbose(verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2; received {verbose!r}.")
    return int(verbose)


def _should_validate(epoch: int, freq: Any) -> bool:
    if isinstance(freq, int):
        return (epoch + 1) % freq == 0
    return (epoch + 1) in freq

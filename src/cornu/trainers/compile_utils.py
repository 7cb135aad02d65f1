"""What `compile(loss=..., metrics=...)` becomes: one loss and one metric
container that map the user's (possibly per-output) choices onto outputs."""

from __future__ import annotations

from typing import Any

import torch

from cornu import tree


def _is_binary_or_sparse(y_true: Any, y_pred: Any) -> tuple[bool, bool]:
    t_rank, p_rank = len(y_true.shape), len(y_pred.shape)
    t_last = y_true.shape[-1] if t_rank else 1
    p_last = y_pred.shape[-1] if p_rank else 1
    is_binary = p_last == 1
    is_sparse = t_rank < p_rank or (t_last == 1 and p_last > 1)
    return is_binary, is_sparse


def _object_name(obj: Any) -> str:
    if isinstance(obj, str):
        return obj
    name = getattr(obj, "name", None)
    if isinstance(name, str):
        return name
    return getattr(obj, "__name__", type(obj).__name__)


def resolve_loss(identifier: Any, y_true: Any, y_pred: Any) -> Any:
    """A `Loss` object for a loss given by name, function or object."""
    from cornu import losses

    if identifier is None:
        return None
    fn: Any
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _is_binary_or_sparse(y_true, y_pred)
        fn = (
            losses.binary_crossentropy
            if is_binary
            else losses.sparse_categorical_crossentropy
            if is_sparse
            else losses.categorical_crossentropy
        )
    else:
        fn = losses.get(identifier)
    if isinstance(fn, losses.Loss):
        return fn
    return losses.LossFunctionWrapper(fn, name=_object_name(identifier))


def resolve_metric(identifier: Any, y_true: Any, y_pred: Any) -> Any:
    """A `Metric` object for a metric given by name, function or object."""
    from cornu import metrics

    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary, is_sparse = _is_binary_or_sparse(y_true, y_pred)
        if is_binary:
            return metrics.BinaryAccuracy(name=identifier)
        if is_sparse:
            return metrics.SparseCategoricalAccuracy(name=identifier)
        return metrics.CategoricalAccuracy(name=identifier)
    obj = metrics.get(identifier)
    if not isinstance(obj, metrics.Metric):
        obj = metrics.MeanMetricWrapper(obj, name=_object_name(identifier))
    elif isinstance(identifier, str):
        obj.name = identifier
    return obj


def _per_output(spec: Any, output_names: list[str], what: str) -> list[Any]:
    """Spreads a compile argument over the outputs (one value, a list, or a dict)."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = set(spec) - set(output_names)
        if unknown:
            raise ValueError(
                f"`{what}` has keys {sorted(unknown)} that are not output names; "
                f"the model's outputs are {output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and what == "loss":
        if len(spec) != n:
            raise ValueError(
                f"`loss` is a list of {len(spec)} entries but the model has {n} "
                f"output(s) ({output_names})."
            )
        return list(spec)
    return [spec] * n


def _match_targets(
    y: Any, y_pred: Any, output_names: list[str]
) -> tuple[list[Any], list[Any]]:
    preds = tree.flatten(y_pred)
    if isinstance(y, dict):
        if isinstance(y_pred, dict):
            return [y.get(k) for k in sorted(y_pred)], preds
        return [y.get(name) for name in output_names], preds
    targets = tree.flatten(y) if isinstance(y, (list, tuple)) else [y]
    if len(targets) != len(preds):
        raise ValueError(
            f"The model has {len(preds)} output(s) ({output_names}) but the "
            f"targets have {len(targets)} array(s)."
        )
    return targets, preds


class CompileLoss:
    """The compiled loss: a weighted sum of per-output losses."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str]) -> None:
        self._user_loss = loss
        self._user_weights = loss_weights
        self.output_names = output_names
        self._losses: list[Any] | None = None
        self._weights: list[float | None] = []
        self._single: Any = None

    def build(self, y_true: Any, y_pred: Any) -> None:
        targets, preds = _match_targets(y_true, y_pred, self.output_names)
        names = self.output_names
        if len(preds) != len(names):
            names = [f"output_{i}" for i in range(len(preds))]
            self.output_names = names
        specs = _per_output(self._user_loss, names, "loss")
        if isinstance(self._user_loss, (list, tuple)) and len(specs) != len(preds):
            raise ValueError("The number of losses does not match the outputs.")
        self._losses = [
            resolve_loss(s, t, p) if t is not None else None
            for s, t, p in zip(specs, targets, preds)
        ]
        if all(loss is None for loss in self._losses):
            raise ValueError(
                "No loss to compute: `compile(loss=...)` matched no output."
            )
        if self._user_weights is None:
            self._weights = [None] * len(preds)
        elif isinstance(self._user_weights, dict):
            self._weights = [self._user_weights.get(n) for n in names]
        elif isinstance(self._user_weights, (list, tuple)):
            if len(self._user_weights) != len(preds):
                raise ValueError(
                    f"`loss_weights` has {len(self._user_weights)} entries but the "
                    f"model has {len(preds)} output(s)."
                )
            self._weights = [float(w) for w in self._user_weights]
        else:
            self._weights = [float(self._user_weights)] * len(preds)
        if (
            len(preds) == 1
            and self._weights[0] is None
            and not isinstance(y_pred, (list, dict))
        ):
            self._single = self._losses[0]

    def __call__(
        self, y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> torch.Tensor:
        single = self._single
        if single is not None and isinstance(y_pred, torch.Tensor):
            return single(y_true, y_pred, sample_weight)
        if self._losses is None:
            self.build(y_true, y_pred)
            if self._single is not None and isinstance(y_pred, torch.Tensor):
                return self._single(y_true, y_pred, sample_weight)
        targets, preds = _match_targets(y_true, y_pred, self.output_names)
        weights = (
            tree.flatten(sample_weight)
            if isinstance(sample_weight, (list, tuple, dict))
            else [sample_weight] * len(preds)
        )
        total: Any = None
        for fn, w, t, p, sw in zip(
            self._losses or [], self._weights, targets, preds, weights
        ):  # type: ignore[arg-type]
            if fn is None or t is None:
                continue
            value = fn(t, p, sw)
            if w is not None:
                value = value * w
            total = value if total is None else total + value
        return total

    def get_config(self) -> dict[str, Any]:
        return {"loss": self._user_loss, "loss_weights": self._user_weights}


class CompileMetrics:
    """The compiled metrics, per output; built on the first batch (from shapes)."""

    def __init__(
        self,
        metrics: Any,
        weighted_metrics: Any,
        output_names: list[str],
    ) -> None:
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self.output_names = output_names
        self.built = False
        self._plan: list[tuple[int, Any, bool]] = []
        self.name = "compile_metrics"

    def build(self, y_true: Any, y_pred: Any) -> None:
        targets, preds = _match_targets(y_true, y_pred, self.output_names)
        names = (
            self.output_names
            if len(self.output_names) == len(preds)
            else [f"output_{i}" for i in range(len(preds))]
        )
        multi = len(preds) > 1
        plan: list[tuple[int, Any, bool]] = []
        for weighted, spec in (
            (False, self._user_metrics),
            (True, self._user_weighted),
        ):
            if spec is None:
                continue
            if isinstance(spec, dict):
                per_output = [spec.get(n) for n in names]
            elif (
                multi
                and isinstance(spec, (list, tuple))
                and len(spec) == len(preds)
                and all(isinstance(s, (list, tuple)) or s is None for s in spec)
            ):
                per_output = list(spec)
            else:
                per_output = [spec] * len(preds)
            for i, out_spec in enumerate(per_output):
                if out_spec is None or targets[i] is None:
                    continue
                items = out_spec if isinstance(out_spec, (list, tuple)) else [out_spec]
                for item in items:
                    metric = resolve_metric(item, targets[i], preds[i])
                    prefix = f"{names[i]}_" if multi else ""
                    metric.name = prefix + metric.name
                    if weighted and metric.name in {m.name for _, m, _ in plan}:
                        metric.name = f"weighted_{metric.name}"
                    plan.append((i, metric, weighted))
        self._plan = plan
        self.built = True

    @property
    def metrics(self) -> list[Any]:
        return [m for _, m, _ in self._plan]

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        if not self._plan:
            return
        if isinstance(y_pred, torch.Tensor) and not isinstance(
            y_true, (list, tuple, dict)
        ):
            for _, metric, weighted in self._plan:
                metric.update_state(y_true, y_pred, sample_weight if weighted else None)
            return
        targets, preds = _match_targets(y_true, y_pred, self.output_names)
        weights = (
            tree.flatten(sample_weight)
            if isinstance(sample_weight, (list, tuple, dict))
            else [sample_weight] * len(preds)
        )
        for i, metric, weighted in self._plan:
            metric.update_state(targets[i], preds[i], weights[i] if weighted else None)

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def result(self) -> dict[str, Any]:
        return {m.name: m.result() for m in self.metrics}

    @property
    def variables(self) -> list[Any]:
        return [v for m in self.metrics for v in m.variables]

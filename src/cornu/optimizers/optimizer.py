"""`Optimizer`: the base class of Keras optimizers, on torch tensors.

One step (`apply`) runs, in Keras's order: drop `None` gradients, unscale by
`loss_scale_factor`, accumulate (`gradient_accumulation_steps`), clip, decay
the weights, update (`update_step`), update the moving average (`use_ema`),
apply the variables' constraints, count the step.

The update runs as `torch._foreach_*` kernels over all variables at once
(`_foreach_update_step`) when the optimizer defines it and `foreach` is True;
otherwise `update_step` runs once per variable, Keras's readable form, which
is also the reference the fast path is tested against.

The kernels see the optimizer's own slot variables through plain-tensor
aliases (`.detach()`: same storage and version counter): torch looks up
`__torch_function__` on every tensor-subclass instance in an op's arguments,
which costs about as much as the op itself on a small model. Model variables
are passed as they are, since their `.data` may be replaced (`module.to`).

Nothing in a step reads a value back from the device. The step count and a
constant learning rate live in 0-d CPU Variables read and written through
NumPy views (`_HostScalar`), so bias corrections and schedules are computed
in Python arithmetic, and `iterations` is always current.
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch

from cornu import config
from cornu.core import naming, serialization
from cornu.core.variable import Variable, match_layout
from cornu.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
    PythonMathSchedule,
)

_CPU = torch.device("cpu")
# What the `torch._foreach_*` kernels take and return.
TensorList = list[Any] | tuple[Any, ...]


class _HostScalar:
    """A 0-d CPU Variable, read and written from Python without a kernel.

    The NumPy view shares the Variable's memory, so a write through it is
    seen by the Variable (saving, `iterations.numpy()`), and a write to the
    Variable (`assign`, loading) is seen here.
    """

    __slots__ = ("variable", "_view")

    def __init__(self, variable: Variable) -> None:
        self.variable = variable
        self._view = variable.detach().numpy()

    def get(self) -> Any:
        return self._view.item()

    def set(self, value: Any) -> None:
        self._view[()] = value

    def __deepcopy__(self, memo: dict) -> _HostScalar:
        import copy

        return _HostScalar(copy.deepcopy(self.variable, memo))


@functools.lru_cache(maxsize=256)
def as_float32(value: float) -> float:
    """`value` rounded to float32, as Keras casts hyper-parameters to the
    variables' dtype before computing bias corrections (`1 - beta**t`
    amplifies the rounding of `beta`)."""
    return float(np.float32(value))


def _to_float(value: Any) -> float:
    # Only user callables and user schedules get here; a tensor on an
    # accelerator costs one read-back, as it must.
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def _defining_class(cls: type, attr: str) -> type:
    for klass in cls.__mro__:
        if attr in klass.__dict__:
            return klass
    return object


class Optimizer:
    """The base class of optimizers.

    Subclasses create their slot variables in `build` (with
    `add_variable_from_reference` or `add_optimizer_variables`), implement
    `update_step(gradient, variable, learning_rate)`, and list their
    hyper-parameters in `get_config`. They may also implement
    `_foreach_update_step(grads, variables, learning_rate)`, the same update
    over lists of tensors with `torch._foreach_*` kernels.

    Args:
        learning_rate: a float, a `LearningRateSchedule`, or a callable taking
            no argument and returning the learning rate.
        weight_decay: if set, each step first multiplies the variables by
            `1 - weight_decay * learning_rate`.
        clipnorm: if set, clips each gradient to this L2 norm.
        clipvalue: if set, clips each gradient element to
            `[-clipvalue, clipvalue]`.
        global_clipnorm: if set, scales all gradients so that their joint L2
            norm is at most this.
        use_ema: whether to keep an exponential moving average of the
            variables.
        ema_momentum: the momentum of that average.
        ema_overwrite_frequency: if set, every this many steps the variables
            are overwritten with their average.
        loss_scale_factor: if set, `scale_loss` multiplies the loss by it and
            the gradients are divided by it before the update.
        gradient_accumulation_steps: if set (>= 2), gradients are summed and
            the variables updated with their mean once every this many steps.
        name: the optimizer's name (default: from the class name).

    Example:
    >>> from cornu.optimizers import SGD
    >>> w = Variable(np.array([1.0, 2.0]), name="w")
    >>> opt = SGD(learning_rate=0.5)
    >>> _ = opt.apply_gradients([(torch.tensor([1.0, 1.0]), w)])
    >>> w.numpy().tolist(), int(opt.iterations)
    ([0.5, 1.5], 1)
    """

    # Whether to run the `torch._foreach_*` form of the update when the class
    # has one. Not a Keras argument, so it is not in the config.
    foreach: bool = True

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule | Callable[[], Any],
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.pop("decay", None) is not None:
            warnings.warn(
                "Argument `decay` is no longer supported and will be ignored.",
                stacklevel=2,
            )
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. "
                "Received: gradient_accumulation_steps="
                f"{gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    "`ema_momentum` must be in the range [0, 1]. "
                    f"Received: ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int)
                or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or "
                    "None. Received: ema_overwrite_frequency="
                    f"{ema_overwrite_frequency}"
                )
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can "
                f"be set. Received: clipnorm={clipnorm}, "
                f"clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.name = name or naming.auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        self._variables: list[Variable] = []
        self._trainable_variables: list[Any] = []
        self._trainable_variables_indices: dict[int, int] = {}
        self._exclude_from_weight_decay: set[int] = set()
        self._exclude_from_weight_decay_pattern: re.Pattern | None = None
        self._exclude_from_weight_decay_cache: dict[int, bool] = {}
        # Filled by `build`; see there.
        self._decayed: list[Any] = []
        self._constrained: list[tuple[int, Any]] = []
        self._overwritten: set[int] = set()
        self._ema_pairs: tuple[list[Any], list[Any]] = ([], [])
        self._slot_aliases: dict[int, tuple[list[Any], list[Any]]] = {}
        self._model_variables_moving_average: list[Any] = []
        self._accumulated_gradients: list[Any] = []
        # Indices (into the built variable list) of the variables being
        # updated this step; None means all of them, in order.
        self._indices: list[int] | None = None
        # `iterations + 1` for this step, set before the update runs.
        self._local_step = 1
        self._learning_rate_now = 0.0
        self._has_foreach = False

        self._iterations_scalar = self._add_host_scalar("iteration", 0, "int32")
        self._iterations = self._iterations_scalar.variable
        self._lr_scalar: _HostScalar | None = None
        self._learning_rate: Any = None
        self._set_learning_rate(learning_rate)

    # -- learning rate -----------------------------------------------------
    def _set_learning_rate(self, learning_rate: Any) -> None:
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            if self._lr_scalar is not None:
                self._untrack_variable(self._lr_scalar.variable)
                self._lr_scalar = None
            self._learning_rate = learning_rate
        elif self._learning_rate is None:
            value = self._check_learning_rate(learning_rate)
            self._lr_scalar = self._add_host_scalar(
                "learning_rate", value, config.floatx()
            )
            self._learning_rate = self._lr_scalar.variable
        elif self._lr_scalar is not None:
            self._lr_scalar.set(self._check_learning_rate(learning_rate))
        else:
            kind = (
                "a `LearningRateSchedule`"
                if isinstance(self._learning_rate, LearningRateSchedule)
                else "a callable"
            )
            raise TypeError(
                f"This optimizer was created with {kind} as its `learning_rate` "
                "constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument."
            )
        self._learning_rate_fn = self._make_learning_rate_fn()

    @staticmethod
    def _check_learning_rate(value: Any) -> float:
        if isinstance(value, torch.Tensor) and value.numel() == 1:
            return float(value.detach())
        if isinstance(value, (float, int, np.floating, np.integer)) and not isinstance(
            value, bool
        ):
            return float(value)
        raise ValueError(
            "Argument `learning_rate` should be float, or an instance "
            "of LearningRateSchedule, or a callable "
            "(that takes in the current iteration value "
            "and returns the corresponding learning rate value). "
            f"Received instead: learning_rate={value}"
        )

    def _make_learning_rate_fn(self) -> Callable[[], float]:
        """Returns a function computing this step's learning rate as a float."""
        if self._lr_scalar is not None:
            return self._lr_scalar.get
        lr = self._learning_rate
        get_step = self._iterations_scalar.get
        if (
            isinstance(lr, PythonMathSchedule)
            and type(lr).__call__ is PythonMathSchedule.__call__
        ):
            return lambda: float(lr.python_value(get_step()))
        if isinstance(lr, LearningRateSchedule):
            # A user's schedule gets the step as a tensor, as in Keras.
            return lambda: _to_float(lr(self._iterations))
        return lambda: _to_float(lr())

    @property
    def learning_rate(self) -> Any:
        """The learning rate: a Variable when constant, else its current value.

        Assign a float (`opt.learning_rate = 0.01`) or call
        `opt.learning_rate.assign(0.01)` to change a constant rate; assign a
        schedule or callable to replace it.
        """
        if self._lr_scalar is not None:
            return self._lr_scalar.variable
        if isinstance(self._learning_rate, LearningRateSchedule):
            value = self._learning_rate(self._iterations)
        else:
            value = self._learning_rate()
        if isinstance(value, torch.Tensor):
            return value
        return torch.tensor(value, dtype=config.torch_dtype(config.floatx()))

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        self._set_learning_rate(learning_rate)

    def _get_current_learning_rate(self) -> float:
        return self._learning_rate_fn()

    # -- iterations ----------------------------------------------------------
    @property
    def iterations(self) -> Any:
        """The number of update steps taken (a 0-d int32 Variable).

        With gradient accumulation, the number of real updates:
        `apply` calls // `gradient_accumulation_steps`.
        """
        if self.gradient_accumulation_steps:
            steps = self._iterations_scalar.get() // self.gradient_accumulation_steps
            return torch.tensor(steps, dtype=torch.int32)
        return self._iterations

    def _optimizer_steps(self) -> int:
        steps = self._iterations_scalar.get()
        if self.gradient_accumulation_steps:
            return steps // self.gradient_accumulation_steps
        return steps

    # -- variables -----------------------------------------------------------
    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state, in Keras's order (the saved-file layout)."""
        return self._variables[:]

    def _track_variable(self, variable: Variable) -> None:
        self._variables.append(variable)

    def _untrack_variable(self, variable: Variable) -> None:
        self._variables = [v for v in self._variables if v is not variable]

    def _new_variable(
        self,
        name: str,
        value: Any,
        dtype: Any,
        shape: Any = None,
        aggregation: str = "none",
        device: Any = None,
    ) -> Variable:
        variable = Variable(
            value,
            shape=shape,
            dtype=dtype,
            trainable=False,
            aggregation=aggregation,
            name=name,
            device=device,
        )
        variable._path = f"{self.name}/{name}"
        return variable

    def _add_host_scalar(self, name: str, value: Any, dtype: Any) -> _HostScalar:
        torch_dtype = config.torch_dtype(dtype)
        if torch_dtype == torch.bfloat16:
            torch_dtype = torch.float32  # NumPy has no bfloat16 view
        tensor = torch.tensor(value, dtype=torch_dtype)
        variable = self._new_variable(
            name, tensor, torch_dtype, aggregation="only_first_replica", device=_CPU
        )
        self._track_variable(variable)
        return _HostScalar(variable)

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "none",
        layout: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Creates and tracks an optimizer variable.

        Args:
            shape: the variable's shape.
            initializer: `"zeros"`, `"ones"`, a number, or an initializer (a
                name, object or callable taking `shape, dtype`).
            dtype: the dtype; defaults to `config.floatx()`.
            aggregation: kept for Keras compatibility.
            layout: kept for Keras compatibility (ignored).
            name: the variable's name.

        Returns:
            The new `Variable`, on `config.device()`.
        """
        return self._add_variable_on(
            shape, initializer, dtype, aggregation, name, config.device()
        )

    def _add_variable_on(
        self,
        shape: Sequence[int],
        initializer: Any,
        dtype: Any,
        aggregation: str,
        name: str | None,
        device: Any,
    ) -> Variable:
        shape = tuple(int(d) for d in shape)
        torch_dtype = config.torch_dtype(dtype)
        if isinstance(initializer, str) and initializer in ("zeros", "ones"):
            fill = torch.zeros if initializer == "zeros" else torch.ones
            value = fill(shape, dtype=torch_dtype, device=device)
        elif isinstance(initializer, (int, float)) and not isinstance(
            initializer, bool
        ):
            value = torch.full(shape, initializer, dtype=torch_dtype, device=device)
        else:
            value = initializer  # a name or callable: the Variable resolves it
        variable = self._new_variable(
            name or "variable",
            value,
            torch_dtype,
            shape=shape,
            aggregation=aggregation,
            device=device,
        )
        self._track_variable(variable)
        return variable

    def add_variable_from_reference(
        self,
        reference_variable: Any,
        name: str | None = None,
        initializer: Any = "zeros",
    ) -> Variable:
        """Creates a variable shaped like a model variable (a slot).

        Args:
            reference_variable: the model variable.
            name: the slot's name; the variable is named
                `{reference path with "/" as "_"}_{name}`, as in Keras.
            initializer: as for `add_variable`.

        Returns:
            The new `Variable`, with the reference's shape, dtype and device.
        """
        name = name or "var"
        path = getattr(reference_variable, "path", None)
        if path is not None:
            name = f"{path.replace('/', '_')}_{name}"
        else:
            ref_name = str(getattr(reference_variable, "name", "variable"))
            name = f"{ref_name.replace('/', '_').replace(':', '_')}_{name}"
        variable = self._add_variable_on(
            reference_variable.shape,
            initializer,
            reference_variable.dtype,
            "none",
            name,
            reference_variable.device,
        )
        # Slots share the weight's strides, so elementwise and fused updates
        # walk weight, gradient and slots in the same order.
        if isinstance(reference_variable, torch.Tensor):
            match_layout(variable, reference_variable)
        # Which weight the slot belongs to (cornu.distribution shards slots
        # of sharded weights like the weights).
        variable._slot_of = reference_variable
        return variable

    def add_optimizer_variables(
        self,
        trainable_variables: Sequence[Any],
        name: str | Sequence[str],
        initializer: Any = "zeros",
    ) -> Any:
        """Creates one slot per model variable, for each name in `name`.

        Variables are created interleaved (all slots of the first model
        variable, then of the second...), which is Keras's saved order.
        Variables flagged `overwrite_with_gradient` get `None`.

        Args:
            trainable_variables: the model variables.
            name: a slot name, or a list of them.
            initializer: an initializer, or one per name.

        Returns:
            A list of slots per name: one list for a single name, else a tuple
            of lists.
        """
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(name, str) or not isinstance(initializer, (list, tuple)):
            initializers = [initializer] * len(names)
        else:
            initializers = list(initializer)
        if len(names) != len(initializers):
            raise ValueError(
                "The number of provided names must match the number of "
                f"provided initializers.  Received name='{name}', "
                f"initializer='{initializer}'"
            )
        slots: tuple[list[Any], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            overwrite = _overwrites_with_gradient(variable)
            for i, (slot_name, init) in enumerate(zip(names, initializers)):
                slots[i].append(
                    None
                    if overwrite
                    else self.add_variable_from_reference(variable, slot_name, init)
                )
        return slots[0] if isinstance(name, str) else slots

    def build(self, variables: Sequence[Any]) -> None:
        """Creates the optimizer's state for `variables` (done by `apply`).

        Args:
            variables: the model variables this optimizer will update.
        """
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average"
            )
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = []
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[id(variable)] = i
            if self.gradient_accumulation_steps:
                self._accumulated_gradients.append(
                    self.add_variable_from_reference(variable, "gradient_accumulator")
                )
        self._trainable_variables = variables[:]
        # Precomputed per-variable facts, so that a step does no lookups.
        self._overwritten = {
            i for i, v in enumerate(variables) if _overwrites_with_gradient(v)
        }
        self._constrained = [
            (i, c)
            for i, v in enumerate(variables)
            if (c := getattr(v, "constraint", None)) is not None
        ]
        self._ema_pairs = self._pair_averages()
        self._reset_weight_decay_cache()
        self._has_foreach = self._uses_foreach()
        self.built = True

    def _pair_averages(self) -> tuple[list[Any], list[Any]]:
        """The (aliased) moving averages and their model variables."""
        pairs = [
            (_alias(a), v)
            for a, v in zip(
                self._model_variables_moving_average, self._trainable_variables
            )
            if a is not None
        ]
        return [a for a, _ in pairs], [v for _, v in pairs]

    def _var_key(self, variable: Any) -> int:
        return id(variable)

    def _get_variable_index(self, variable: Any) -> int:
        return self._trainable_variables_indices[id(variable)]

    def _select(self, slots: list[Any]) -> list[Any]:
        """Plain-tensor aliases of the slots of the variables of this step.

        Args:
            slots: a per-variable list of slot variables, as built (e.g.
                `self._momentums`).

        Returns:
            The aliases of the slots for the variables being updated, in order.
        """
        cached = self._slot_aliases.get(id(slots))
        if cached is None or cached[0] is not slots:
            # The cache holds `slots` itself, so its id cannot be reused.
            cached = (slots, [None if s is None else _alias(s) for s in slots])
            self._slot_aliases[id(slots)] = cached
        aliases = cached[1]
        indices = self._indices
        return aliases if indices is None else [aliases[i] for i in indices]

    def _check_variables_are_known(self, variables: Iterable[Any]) -> None:
        for v in variables:
            if id(v) not in self._trainable_variables_indices:
                raise ValueError(
                    f"Unknown variable: {getattr(v, 'path', v)}. This optimizer "
                    "can only be called for the variables it was originally "
                    "built with. When working with a new set of variables, you "
                    "should recreate a new optimizer instance."
                )

    # -- Keras's assignment helpers, for subclasses --------------------------
    def assign(self, variable: Any, value: Any) -> None:
        """Sets `variable` to `value` in place."""
        with torch.no_grad():
            variable.copy_(value)

    def assign_add(self, variable: Any, value: Any) -> None:
        """Adds `value` to `variable` in place."""
        with torch.no_grad():
            variable.add_(value)

    def assign_sub(self, variable: Any, value: Any) -> None:
        """Subtracts `value` from `variable` in place."""
        with torch.no_grad():
            variable.sub_(value)

    # -- the step --------------------------------------------------------------
    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """Updates one variable from its gradient; subclasses implement it.

        Args:
            gradient: the (processed) gradient of `variable`.
            variable: the model variable, updated in place.
            learning_rate: this step's learning rate, a Python float.
        """
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement "
            "`update_step(gradient, variable, learning_rate)`."
        )

    def _foreach_update_step(
        self, grads: list[Any], variables: list[Any], learning_rate: float
    ) -> None:
        raise NotImplementedError

    def _uses_foreach(self) -> bool:
        # A subclass that overrides `update_step` below the class defining the
        # fast path must get its own `update_step`, not the inherited kernels.
        cls = type(self)
        fast = _defining_class(cls, "_foreach_update_step")
        if fast is Optimizer:
            return False
        return issubclass(fast, _defining_class(cls, "update_step"))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> Variable:
        """Applies `(gradient, variable)` pairs; builds on the first call.

        Args:
            grads_and_vars: pairs of a gradient (or None) and its variable.

        Returns:
            The `iterations` Variable.
        """
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Any = None) -> None:
        """Updates variables from their gradients (one optimizer step).

        Args:
            grads: the gradients, one per variable (`None` for a variable
                without gradient: it is skipped, with a warning).
            trainable_variables: the variables; optional once built, when
                `grads` matches the variables passed to `build`.
        """
        if not isinstance(grads, (list, tuple)):
            grads = list(grads)
        if len(grads) == 0:
            return
        if _MULTI_PROCESS and _apply_across_processes(self, grads, trainable_variables):
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer "
                    "must already be built on a list of variables. "
                    "Call `optimizer.build(trainable_variables)` first. "
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the "
                    "gradients must match `optimizer.variables` one-to-one. "
                    f"Received a list of {len(grads)} gradients, but the "
                    f"optimizer is tracking {len(self._trainable_variables)} "
                    "trainable variables."
                )
            variables: TensorList = self._trainable_variables
            in_order = True
        else:
            if not isinstance(trainable_variables, (list, tuple)):
                trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(list(trainable_variables))
            variables = trainable_variables
            in_order = self._is_built_order(variables)
            if not in_order:
                self._check_variables_are_known(variables)

        # Set the grad mode directly: a `torch.no_grad()` block costs more
        # than the whole update of a small model.
        grad_mode = torch.is_grad_enabled()
        torch._C._set_grad_enabled(False)
        try:
            self._apply(grads, variables, in_order)
        finally:
            torch._C._set_grad_enabled(grad_mode)

    def _is_built_order(self, variables: TensorList) -> bool:
        built = self._trainable_variables
        if variables is built:
            return True
        if len(variables) != len(built):
            return False
        for a, b in zip(variables, built):
            if a is not b:
                return False
        return True

    def _apply(self, grads: TensorList, variables: TensorList, in_order: bool) -> None:
        if in_order and not self._overwritten and not _has_none(grads):
            self._indices = None
        else:
            grads, variables = self._filter_empty_gradients(grads, variables)
            indices = [self._trainable_variables_indices[id(v)] for v in variables]
            if self._overwritten:
                grads, variables, indices = self._overwrite_variables_with_gradients(
                    grads, variables, indices
                )
            self._indices = indices
        if grads:
            if self.loss_scale_factor is not None:
                grads = torch._foreach_div(grads, self.loss_scale_factor)
            self._backend_apply_gradients(grads, variables)
            if self._constrained:
                self._apply_constraints()
        self._iterations_scalar.set(self._iterations_scalar.get() + 1)

    def _apply_constraints(self) -> None:
        updated = None if self._indices is None else set(self._indices)
        for i, constraint in self._constrained:
            if updated is None or i in updated:
                variable = self._trainable_variables[i]
                variable.copy_(constraint(variable))

    def _backend_apply_gradients(
        self, grads: TensorList, variables: TensorList
    ) -> None:
        learning_rate = self._learning_rate_fn()
        self._learning_rate_now = learning_rate
        optimizer_steps = self._optimizer_steps()
        self._local_step = optimizer_steps + 1
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = self._select(self._accumulated_gradients)
            if (self._iterations_scalar.get() + 1) % steps == 0:
                grads = torch._foreach_add(grads, accumulators)
                torch._foreach_div_(grads, steps)
                self._clip_and_update(grads, variables, learning_rate)
                torch._foreach_zero_(
                    [a for a in self._accumulated_gradients if a is not None]
                )
            else:
                torch._foreach_add_(accumulators, grads)
        else:
            self._clip_and_update(grads, variables, learning_rate)

        if self.use_ema:
            self._update_model_variables_moving_average(optimizer_steps)
            frequency = self.ema_overwrite_frequency
            if frequency and (optimizer_steps + 1) % frequency == 0:
                averages, model_variables = self._ema_pairs
                torch._foreach_copy_(model_variables, averages)

    def _clip_and_update(
        self, grads: TensorList, variables: TensorList, learning_rate: float
    ) -> None:
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables)
        self._backend_update_step(grads, variables, learning_rate)

    def _backend_update_step(
        self, grads: TensorList, variables: TensorList, learning_rate: float
    ) -> None:
        if self.foreach and self._has_foreach:
            self._foreach_update_step(list(grads), list(variables), learning_rate)
        else:
            for grad, variable in zip(grads, variables):
                self.update_step(grad, variable, learning_rate)

    def _filter_empty_gradients(
        self, grads: TensorList, variables: TensorList
    ) -> tuple[list[Any], list[Any]]:
        kept_grads, kept_vars, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "path", getattr(v, "name", repr(v))))
            else:
                kept_grads.append(g)
                kept_vars.append(v)
        if not kept_grads:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing "
                "the loss. If using `model.compile()`, did you forget to provide "
                "a `loss` argument?",
                stacklevel=4,
            )
        return kept_grads, kept_vars

    def _overwrite_variables_with_gradients(
        self, grads: list[Any], variables: list[Any], indices: list[int]
    ) -> tuple[list[Any], list[Any], list[int]]:
        """Sets `overwrite_with_gradient` variables to their gradient.

        With gradient accumulation, the gradient is the running maximum
        since the last update, as in Keras (float8 scaling factors).
        """
        kept: tuple[list[Any], list[Any], list[int]] = ([], [], [])
        steps = self.gradient_accumulation_steps
        for g, v, i in zip(grads, variables, indices):
            if i not in self._overwritten:
                kept[0].append(g)
                kept[1].append(v)
                kept[2].append(i)
            elif steps:
                accumulator = self._accumulated_gradients[i]
                running_max = torch.maximum(g, accumulator)
                if (self._iterations_scalar.get() + 1) % steps == 0:
                    v.copy_(running_max)
                    accumulator.zero_()
                else:
                    accumulator.copy_(running_max)
            else:
                v.copy_(g)
        return kept

    # -- gradient processing -------------------------------------------------
    def _clip_gradients(self, grads: TensorList) -> TensorList:
        if self.clipnorm and self.clipnorm > 0:
            # g * clipnorm / max(||g||, clipnorm), per gradient.
            scales = torch._foreach_norm(grads)
            torch._foreach_clamp_min_(scales, self.clipnorm)
            torch._foreach_reciprocal_(scales)
            torch._foreach_mul_(scales, self.clipnorm)
            return torch._foreach_mul(grads, scales)
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            clipped = torch._foreach_clamp_min(grads, -self.clipvalue)
            torch._foreach_clamp_max_(clipped, self.clipvalue)
            return clipped
        return grads

    def exclude_from_weight_decay(
        self,
        var_list: Iterable[Any] | None = None,
        var_names: Iterable[str] | None = None,
    ) -> None:
        """Exempts variables from weight decay.

        Args:
            var_list: variables to exempt.
            var_names: substrings (regular expressions); a variable whose
                name contains any of them is exempt (e.g. `["bias"]`).
        """
        self._exclude_from_weight_decay = {id(v) for v in var_list or ()}
        names = list(var_names or ())
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(set(names))) if names else None
        )
        self._reset_weight_decay_cache()

    def _reset_weight_decay_cache(self) -> None:
        self._exclude_from_weight_decay_cache = {}
        self._decayed = [
            v for v in self._trainable_variables if self._use_weight_decay(v)
        ]

    def _use_weight_decay(self, variable: Any) -> bool:
        key = id(variable)
        cached = self._exclude_from_weight_decay_cache.get(key)
        if cached is not None:
            return cached
        pattern = self._exclude_from_weight_decay_pattern
        use = key not in self._exclude_from_weight_decay and not (
            pattern is not None
            and pattern.search(str(getattr(variable, "name", ""))) is not None
        )
        self._exclude_from_weight_decay_cache[key] = use
        return use

    def _apply_weight_decay(self, variables: Sequence[Any]) -> None:
        if self.weight_decay is None:
            return
        if self._indices is None:
            decayed = self._decayed
        else:
            decayed = [v for v in variables if self._use_weight_decay(v)]
        if decayed:
            # Keras's `var -= var * wd * lr`, as one multiply.
            factor = 1 - self.weight_decay * self._learning_rate_now
            torch._foreach_mul_(decayed, factor)

    # -- moving average --------------------------------------------------------
    def _update_model_variables_moving_average(self, optimizer_steps: int) -> None:
        averages, model_variables = self._ema_pairs
        if not averages:
            return
        if optimizer_steps == 0:
            # Keras uses momentum 0 on the first step: the average starts at
            # the variables' values.
            torch._foreach_copy_(averages, model_variables)
        else:
            momentum = self.ema_momentum
            torch._foreach_mul_(averages, momentum)
            torch._foreach_add_(averages, model_variables, alpha=1 - momentum)

    def _overwrite_model_variables_with_average_value(
        self, trainable_variables: Sequence[Any]
    ) -> None:
        averages = self._model_variables_moving_average
        if len(trainable_variables) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) "
                "to override does not match the length of model variables "
                f"stored in the optimizer ({len(averages)}). Please "
                "check if the optimizer was called on your model."
            )
        with torch.no_grad():
            for variable, average in zip(trainable_variables, averages):
                if average is not None:
                    variable.copy_(average)

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """Sets the variables to their final values (the moving average if
        `use_ema`); `fit()` calls it after the last epoch.

        Args:
            var_list: the model's trainable variables.
        """
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    # -- loss scaling ------------------------------------------------------------
    def scale_loss(self, loss: Any) -> Any:
        """Multiplies the loss by `loss_scale_factor`, if set."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # -- state -----------------------------------------------------------------
    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets the optimizer's variables from a list of arrays."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not "
                "yet been built. Please call "
                "`optimizer.build(trainable_variables)` to create the "
                "optimizer weights before calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(np.shape(weight)):
                raise ValueError(
                    f"Optimizer variable {variable.path} has shape "
                    f"{tuple(variable.shape)} not compatible with provided "
                    f"weight shape {tuple(np.shape(weight))}."
                )
            variable.assign(weight)

    def save_own_variables(self, store: Any) -> None:
        """Writes the variables to `store` under keys "0", "1", ..."""
        from cornu.distribution.runtime import full_value

        for i, variable in enumerate(self.variables):
            # Whole (a sharded weight's slots are gathered), and a copy:
            # `numpy()` of a CPU tensor shares its memory.
            store[str(i)] = np.array(full_value(variable).detach().cpu().numpy())

    def load_own_variables(self, store: Any) -> None:
        """Reads the variables from `store`, as written by `save_own_variables`."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', "
                f"because it has {len(variables)} variables whereas "
                f"the saved optimizer has {len(store.keys())} variables. "
            )
            if not variables:
                msg += (
                    "This is likely because the optimizer has not been "
                    "called/built yet."
                )
            warnings.warn(msg, stacklevel=2)
            return
        from cornu.distribution.runtime import assign_full_value

        for i, variable in enumerate(variables):
            # A sharded weight's slot keeps its own part of the whole value.
            assign_full_value(variable, torch.as_tensor(np.asarray(store[str(i)])))

    # -- serialization -------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Returns the optimizer's hyper-parameters (not its state)."""
        if self._lr_scalar is not None:
            learning_rate: Any = float(self._lr_scalar.get())
        else:  # a schedule or a (registered) function
            learning_rate = serialization.serialize_keras_object(self._learning_rate)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(
        cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None
    ) -> Optimizer:
        """Creates an optimizer from the output of `get_config()`."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = serialization.deserialize_keras_object(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    def __getstate__(self) -> dict[str, Any]:
        # Aliases would be copied as independent tensors, and the learning
        # rate function would still read the original's step: rebuild both.
        state = self.__dict__.copy()
        state["_slot_aliases"] = {}
        state["_ema_pairs"] = ([], [])
        del state["_learning_rate_fn"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._ema_pairs = self._pair_averages()
        self._learning_rate_fn = self._make_learning_rate_fn()


def _alias(tensor: Any) -> Any:
    """A plain `torch.Tensor` sharing `tensor`'s storage and version counter."""
    return tensor.detach() if isinstance(tensor, torch.Tensor) else tensor


def _has_none(grads: Sequence[Any]) -> bool:
    for g in grads:
        if g is None:
            return True
    return False


def _overwrites_with_gradient(variable: Any) -> bool:
    return bool(getattr(variable, "overwrite_with_gradient", False))


def global_norm(value_list: Sequence[Any]) -> torch.Tensor:
    """The L2 norm of all tensors of `value_list` together (None skipped)."""
    norms = torch._foreach_norm([v for v in value_list if v is not None])
    return torch.linalg.vector_norm(torch.stack(norms))


def clip_by_global_norm(value_list: Sequence[Any], clip_norm: float) -> list[Any]:
    """Scales tensors so that their global norm is at most `clip_norm`.

    As in Keras, a non-finite norm makes every result NaN.
    """
    norm = global_norm(value_list)
    # clip_norm * min(1 / norm, 1 / clip_norm), and NaN when norm is not finite.
    scale = norm.reciprocal().clamp_max_(1.0 / clip_norm).mul_(clip_norm)
    scale.add_(norm - norm)
    kept = [v for v in value_list if v is not None]
    scaled = iter(torch._foreach_mul(kept, scale))
    return [None if v is None else next(scaled) for v in value_list]


# cornu.distribution hook: under `torchrun` (or after
# `keras.distribution.initialize`) every step averages its gradients across
# processes once; a single process pays one global lookup per `apply`.
_MULTI_PROCESS = int(os.environ.get("WORLD_SIZE", "1")) > 1


def _apply_across_processes(optimizer: Any, grads: Any, variables: Any) -> bool:
    from cornu.distribution import runtime

    return runtime.apply_across_processes(optimizer, grads, variables)

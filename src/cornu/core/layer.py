"""`Layer`: the Keras layer, as a `torch.nn.Module`.

A layer stores hyper-parameters in `__init__`, creates its weights in
`build(input_shape)` (called once, from the first input's shape) and computes
in `call`. `__call__` adds, on top of `call`: the deferred build, numpy
conversion, the `training` flag passed down to nested layers, masks, input
casting to the dtype policy, activity regularization and clear errors.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from cornu import config, tree
from cornu.core import dtype_policy as dtype_policies
from cornu.core import naming
from cornu.core.input_spec import check_input
from cornu.core.keras_tensor import KerasTensor, any_symbolic
from cornu.core.node import Node
from cornu.core.operation import Operation, compute_spec
from cornu.core.variable import Variable

# Keys the base Layer writes itself in get_config.
_BASE_KEYS = frozenset(
    {"name", "trainable", "dtype", "activity_regularizer", "autocast"}
)


class _CallContext:
    """State shared by nested `__call__`s: the `training` flag of the outer call."""

    training: bool | None = None
    fake_depth: int = 0


_CTX = _CallContext()


@contextlib.contextmanager
def _real_tensors() -> Iterator[None]:
    """Creates real weights even while output shapes are being traced."""
    if _CTX.fake_depth == 0:
        yield
        return
    from torch._subclasses.fake_tensor import unset_fake_temporarily

    with unset_fake_temporarily():
        yield


def _shape_of(x: Any) -> Any:
    if isinstance(x, (torch.Tensor, KerasTensor, np.ndarray)):
        return tuple(x.shape)
    return x


def _to_tensor(x: Any) -> Any:
    # Arrays of strings or Python objects stay numpy: torch has no such tensors
    # (text preprocessing layers read them as they are).
    if isinstance(x, np.ndarray) and x.dtype.kind not in ("U", "S", "O"):
        from cornu.ops.core import convert_to_tensor

        return convert_to_tensor(x)
    return x


class Layer(Operation, torch.nn.Module):
    """The base class of all layers; subclass it to write your own.

    Args:
        trainable: whether the layer's weights are updated in training.
        name: a unique name; by default the snake-cased class name,
            numbered (`dense`, `dense_1`, ...).
        dtype: a dtype policy or name (`"float32"`, `"mixed_float16"`).
        activity_regularizer: a regularizer applied to the outputs.
        input_shape: for the first layer of a `Sequential`, the input shape
            without the batch dimension.

    Example:
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, x):
    ...         return x * self.w
    >>> Scale()(np.ones((2, 3), "float32")).shape
    torch.Size([2, 3])
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_cornu_wrapped", False):
            cls.build = _wrap_build(build)  # type: ignore[method-assign]

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        obj = super().__new__(cls)
        # Kept for the default get_config of subclasses that do not write one.
        obj.__dict__["_init_args"] = (args, kwargs)
        return obj

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        torch.nn.Module.__init__(self)
        if kwargs.pop("quantization_config", None) is not None:
            raise NotImplementedError(
                f"{type(self).__name__}: `quantization_config` is not supported yet."
            )
        input_shape = kwargs.pop("input_shape", None)
        input_dim = kwargs.pop("input_dim", None)
        batch_size = kwargs.pop("batch_size", None)
        kwargs.pop("batch_input_shape", None)
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword "
                f"argument(s): {sorted(kwargs)}."
            )
        Operation.__init__(self, name=name)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._input_shape_arg = tuple(input_shape) if input_shape else None
        self._batch_size_arg = batch_size
        self.built = False
        # Name scopes: the path this layer was first entered under, and
        # whether its first call (which builds lazily) is still to come.
        self._parent_path: str | None = None
        self._first_call = True
        self._trainable = bool(trainable)
        self.dtype_policy = dtype_policies.get(dtype)
        self.autocast = autocast
        self.supports_masking = False
        self.input_spec: Any = None
        self._losses: list[torch.Tensor] = []
        self._regularized: list[tuple[Variable, Any]] = []
        self._build_shapes: Any = None
        from cornu import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        sig = inspect.signature(self.call).parameters
        self._call_has_training = "training" in sig
        self._call_has_mask = "mask" in sig
        self._computes_mask = type(self).compute_mask is not Layer.compute_mask
        self._custom_build = type(self).build is not Layer.build

    # -- dtype policy ---------------------------------------------------------
    @property
    def dtype_policy(self) -> dtype_policies.DTypePolicy:
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        self._dtype_policy = dtype_policies.get(value)
        self._compute_torch_dtype = config.torch_dtype(self._dtype_policy.compute_dtype)
        # Mixed policies compute under torch.autocast, which casts the float32
        # weights to the compute dtype where it pays (matmul, convolution).
        mixed = self._dtype_policy.compute_dtype != self._dtype_policy.variable_dtype
        self._autocast_dtype = self._compute_torch_dtype if mixed else None

    @property
    def dtype(self) -> str:  # type: ignore[override]
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype_policy.variable_dtype

    # -- weights --------------------------------------------------------------
    def add_weight(
        self,
        shape: Any = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        name: str | None = None,
    ) -> Variable:
        """Creates a weight, tracks it, and returns it.

        Args:
            shape: the weight's shape (default `()`).
            initializer: a name, an initializer object or callable; by
                default `"glorot_uniform"` for floats, `"zeros"` otherwise.
            dtype: defaults to the layer's variable dtype.
            trainable: whether the optimizer updates it.
            regularizer: a name or callable adding a penalty to `losses`.
            constraint: a name or callable applied after optimizer updates.
            name: the weight's name (e.g. `"kernel"`).
        """
        from cornu import constraints, initializers, regularizers

        shape = tuple(int(d) for d in (shape or ()))
        dtype = config.standardize_dtype(dtype or self.variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if config.is_float_dtype(dtype) else "zeros"
        init = initializers.get(initializer)
        # Under the layer's own scope, the path is e.g. `model/dense/kernel`.
        with naming.name_scope(self.name, caller=self), _real_tensors():
            var = Variable(
                init,
                shape=shape,
                dtype=dtype,
                trainable=trainable,
                autocast=autocast,
                aggregation=aggregation,
                name=name or "variable",
            )
        key = self._free_key(var.name)
        self.register_parameter(key, var)
        reg = regularizers.get(regularizer)
        if reg is not None:
            var.regularizer = reg
            self._regularized.append((var, reg))
        var.constraint = constraints.get(constraint)
        if not self._trainable:
            var.trainable = False
        return var

    def _free_key(self, name: str) -> str:
        key = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "w"
        if self.__dict__.get(key, 0) is None:
            # `self.bias = None` set in __init__, replaced by the weight now.
            del self.__dict__[key]
        base, i = key, 1
        while (
            key in self._parameters
            or key in self._modules
            or key in self._buffers
            or key in self.__dict__
            or hasattr(type(self), key)
        ):
            key = f"{base}_{i}"
            i += 1
        return key

    def _own_weights(self) -> list[Variable]:
        seen: set[int] = set()
        own: list[Any] = []
        for v in self._parameters.values():
            if v is not None and id(v) not in seen:
                seen.add(id(v))
                own.append(v)
        # Keras orders a layer's own weights trainable first (as created).
        return sorted(own, key=lambda v: not getattr(v, "_created_trainable", True))

    def _sublayers(self) -> list[Layer]:
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    @property
    def weights(self) -> list[Variable]:
        """All weights of the layer and its sublayers, each once."""
        out: list[Variable] = []
        seen: set[int] = set()
        for w in self._own_weights():
            seen.add(id(w))
            out.append(w)
        for module in self._modules.values():
            if module is None:
                continue
            # Plain torch modules inside a layer (raw PyTorch in a subclassed
            # model) contribute their parameters too, so they are trained.
            params = (
                module.weights if isinstance(module, Layer) else module.parameters()
            )
            for p in params:
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)  # type: ignore[arg-type]
        return out

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [w for w in self.weights if _is_trainable(w)]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not _is_trainable(w)]

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self._trainable = value
        for w in self._own_weights():
            if isinstance(w, Variable):
                w.trainable = value and getattr(w, "_created_trainable", True)
            else:
                w.requires_grad_(value)
        for module in self._modules.values():
            if isinstance(module, Layer):
                module.trainable = value
            elif module is not None:
                module.requires_grad_(value)

    def get_weights(self) -> list[np.ndarray]:
        """The weights' values as numpy arrays, in `weights` order."""
        # A fully sharded weight is gathered whole: every rank must call this.
        from cornu.distribution.runtime import full_value

        # Copies: on the CPU, .numpy() would share memory with the live weights.
        return [full_value(w).detach().cpu().numpy().copy() for w in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Sets the weights from arrays, in `weights` order; shapes must match."""
        from cornu.distribution.runtime import assign_full_value

        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f'Layer "{self.name}" expects {len(params)} weight(s), '
                f"received {len(weights)}."
            )
        for p, value in zip(params, weights):
            value = np.asarray(value) if not isinstance(value, torch.Tensor) else value
            if tuple(value.shape) != tuple(p.shape):
                raise ValueError(
                    f'Layer "{self.name}" weight "{getattr(p, "path", "")}" has '
                    f"shape {tuple(p.shape)}, received a value of shape "
                    f"{tuple(value.shape)}."
                )
            # A fully sharded weight keeps its own part of the value.
            assign_full_value(p, torch.as_tensor(value))

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f'Layer "{self.name}" is not built yet: call it on data (or '
                "build it) before counting its parameters."
            )
        return int(sum(w.numel() for w in self.weights))

    # -- losses ---------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        """Adds a scalar loss term (read back through `losses`)."""
        self._losses.append(loss)

    def _regularization_losses(self) -> list[torch.Tensor]:
        return [reg(v) for v, reg in self._regularized]

    @property
    def losses(self) -> list[torch.Tensor]:
        """Losses added in the last call, then weight regularization penalties."""
        out = list(self._losses) + self._regularization_losses()
        for layer in self._sublayers():
            out.extend(layer.losses)
        return out

    def _clear_losses(self) -> None:
        self._losses.clear()
        for layer in self._sublayers():
            layer._clear_losses()

    # -- build and call -------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        """Creates the weights from the input shape (override in subclasses)."""
        self.built = True

    def build_from_config(self, config: dict[str, Any]) -> None:
        shape = config.get("input_shape")
        if shape is not None and not self.built:
            self._build_with(_as_shape(shape))

    def get_build_config(self) -> dict[str, Any] | None:
        if self._build_shapes is None:
            return None
        return {"input_shape": self._build_shapes}

    def _build_with(self, shapes: Any) -> None:
        with _real_tensors():
            if self._custom_build:
                self.build(shapes)
            self.built = True
        self._build_shapes = shapes

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not define `call`."
        )

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.call(*args, **kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return previous_mask if self.supports_masking else None

    def compute_output_shape(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = [tree.map_structure(_shape_of, a) for a in args]
            out = self.compute_output_shape(*shapes)
            dtype = self.compute_dtype
            return _spec_from_shapes(out, dtype)
        return self._trace_output_spec(*args, **kwargs)

    def _trace_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """The output KerasTensors, from running `call` on fake tensors."""
        _CTX.fake_depth += 1
        try:
            return compute_spec(self._traced_call, args, kwargs)
        finally:
            _CTX.fake_depth -= 1

    def _traced_call(self, *args: Any, **kwargs: Any) -> Any:
        args = self._cast_inputs(args)
        if not self._call_has_training:
            kwargs.pop("training", None)
        if not self._call_has_mask:
            kwargs.pop("mask", None)
        return self.call(*args, **kwargs)

    def _cast_inputs(self, args: tuple) -> tuple:
        if not args:
            return args
        want = self._compute_torch_dtype if self.autocast else None

        def cast(x: Any) -> Any:
            x = _to_tensor(x)
            if (
                want is not None
                and isinstance(x, torch.Tensor)
                and x.dtype is not want
                and x.is_floating_point()
            ):
                return x.to(want)
            return x

        first = args[0]
        if isinstance(first, torch.Tensor):
            first = cast(first)
        else:
            first = tree.map_structure(cast, first)
        return (first, *args[1:])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._first_call:
            return self._first_scoped_call(args, kwargs)
        if not args:
            args, kwargs = self._first_from_kwargs(kwargs)
        if any_symbolic(args, kwargs):
            return self._symbolic_call(args, kwargs)
        first = args[0]
        if not isinstance(first, torch.Tensor) or (
            self.autocast
            and first.dtype is not self._compute_torch_dtype
            and first.is_floating_point()
        ):
            args = self._cast_inputs(args)
            first = args[0]
        if not self.built:
            self._maybe_build(first)
        if self._losses:
            self._losses.clear()

        ctx = _CTX
        outer_training = ctx.training
        training = kwargs.get("training")
        if training is None:
            if self._call_has_training and outer_training is not None:
                kwargs["training"] = outer_training
        else:
            ctx.training = bool(training)
            if not self._call_has_training:
                del kwargs["training"]
        previous_mask = getattr(first, "_keras_mask", None)
        if previous_mask is None and type(first) is list and self._call_has_mask:
            masks = [getattr(x, "_keras_mask", None) for x in first]
            if any(m is not None for m in masks):
                previous_mask = masks
        if (
            self._call_has_mask
            and previous_mask is not None
            and kwargs.get("mask") is None
        ):
            kwargs["mask"] = previous_mask
        elif not self._call_has_mask and "mask" in kwargs:
            previous_mask = kwargs.pop("mask")
        try:
            if self._autocast_dtype is not None:
                with torch.autocast(config.device().type, dtype=self._autocast_dtype):
                    outputs = self._dispatch(args, kwargs)
            else:
                outputs = self._dispatch(args, kwargs)
        except Exception as e:
            self._explain_error(e, args)
            raise
        finally:
            ctx.training = outer_training

        if self._computes_mask or (previous_mask is not None and self.supports_masking):
            # A mask `call` set on its output itself is kept.
            if (
                isinstance(outputs, torch.Tensor)
                and getattr(outputs, "_keras_mask", None) is None
            ):
                mask = self.compute_mask(first, previous_mask)
                if mask is not None:
                    outputs._keras_mask = mask  # type: ignore[attr-defined]
        if self.activity_regularizer is not None:
            for out in tree.flatten(outputs):
                if isinstance(out, torch.Tensor):
                    penalty = self.activity_regularizer(out)
                    if out.ndim > 0:
                        penalty = penalty / out.shape[0]
                    self.add_loss(penalty)
        return outputs

    def _open_name_scope(self) -> naming.name_scope:
        """This layer's name scope, under the path it was first entered at."""
        if self._parent_path is None:
            self._parent_path = naming.current_path()
        return naming.name_scope(self.name, caller=self)

    def _first_scoped_call(self, args: tuple, kwargs: dict) -> Any:
        # The first call builds the layer and, lazily, its sublayers: under
        # this layer's scope their weights get Keras's nested paths. Later
        # calls skip the scope (nothing is created any more).
        self._first_call = False
        try:
            with self._open_name_scope():
                return Layer.__call__(self, *args, **kwargs)
        except BaseException:
            self._first_call = True
            raise

    def _dispatch(self, args: tuple, kwargs: dict) -> Any:
        if self._forward_pre_hooks or self._forward_hooks:
            # Through torch's own call, so module hooks (FSDP's among them) run.
            return torch.nn.Module.__call__(self, *args, **kwargs)
        return self.call(*args, **kwargs)

    def _first_from_kwargs(self, kwargs: dict) -> tuple[tuple, dict]:
        """For keyword-only calls (`mha(query=q, value=v)`): the first `call`
        parameter moves to the front, as Keras allows."""
        params = list(inspect.signature(self.call).parameters)
        if not params or params[0] not in kwargs:
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}) was called '
                "without inputs; pass them as the first argument."
            )
        kwargs = dict(kwargs)
        return (kwargs.pop(params[0]),), kwargs

    def _maybe_build(self, first: Any) -> None:
        shapes = tree.map_structure(_shape_of, first)
        check_input(self, self.input_spec, first)
        self._build_with(shapes)

    def _explain_error(self, error: Exception, args: tuple) -> None:
        """Turns a low-level error into one naming the layer and the shapes."""
        if getattr(error, "_cornu_explained", False):
            return
        error._cornu_explained = True  # type: ignore[attr-defined]
        if self.input_spec is not None and args:
            try:
                check_input(self, self.input_spec, args[0])
            except ValueError as clear:
                raise clear from error
        shapes = tree.map_structure(_shape_of, args[0]) if args else None
        error.add_note(
            f'Raised in layer "{self.name}" ({type(self).__name__}) called on '
            f"inputs of shape {shapes}."
        )

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        first = args[0] if args else None
        if not self.built:
            shapes = tree.map_structure(_shape_of, first)
            check_input(self, self.input_spec, first)
            self._build_with(shapes)
        else:
            check_input(self, self.input_spec, first)
        try:
            outputs = self.compute_output_spec(*args, **kwargs)
        except Exception as e:
            self._explain_error(e, args)
            raise
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    # -- graph helpers --------------------------------------------------------
    @property
    def input(self) -> Any:
        return self._node_attr("call_args", 0)

    @property
    def output(self) -> Any:
        return self._node_attr("output_structure", None)

    def _node_attr(self, attr: str, index: int | None) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(
                f'Layer "{self.name}" has never been called on symbolic inputs, '
                "so it has no defined input or output."
            )
        value = getattr(self._inbound_nodes[0], attr)
        return value[index] if index is not None else value

    # -- configuration --------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        from cornu import regularizers

        config: dict[str, Any] = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policies.serialize(self.dtype_policy),
        }
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(
                self.activity_regularizer
            )
        if (
            type(self).get_config is Layer.get_config
            and type(self).__init__ is not Layer.__init__
        ):
            args, kwargs = self.__dict__.get("_init_args", ((), {}))
            if args:
                params = list(inspect.signature(type(self).__init__).parameters)[1:]
                kwargs = {**dict(zip(params, args)), **kwargs}
            config.update({k: v for k, v in kwargs.items() if k not in _BASE_KEYS})
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = dtype_policies.get(config["dtype"])
        return cls(**config)

    # -- Python plumbing ------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, torch.nn.Parameter):
            self._rename_weight(name, value)
        elif isinstance(value, (list, tuple, dict)) and not name.startswith("_"):
            self._track_collection(name, value)
        torch.nn.Module.__setattr__(self, name, value)

    def _rename_weight(self, name: str, value: torch.nn.Parameter) -> None:
        # add_weight registered the weight under its own name; when it is then
        # assigned to an attribute, the attribute name becomes its key (as in
        # torch), keeping its place in the creation order.
        params = self.__dict__.get("_parameters")
        if params is None or name in params:
            return
        old = next((k for k, v in params.items() if v is value), None)
        if old is None:
            return
        if self.__dict__.get(name, 0) is None:
            del self.__dict__[name]
        renamed = {(name if k == old else k): v for k, v in params.items()}
        params.clear()
        params.update(renamed)

    def _track_collection(self, name: str, value: Any) -> None:
        # Layers and weights held in lists or dicts are registered under
        # "name_key" (torch refuses dots in module names).
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(item, torch.nn.Module):
                self._modules[f"{name}_{key}"] = item
            elif isinstance(item, torch.nn.Parameter):
                self._parameters[f"{name}_{key}"] = item

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def _wrap_build(build: Any) -> Any:
    """Makes a direct `layer.build(shape)` mark the layer built, as in Keras,
    so that its first call does not build it again."""

    @functools.wraps(build)
    def wrapped(self: Layer, *args: Any, **kwargs: Any) -> Any:
        with self._open_name_scope(), _real_tensors():
            out = build(self, *args, **kwargs)
        self.built = True
        if self._build_shapes is None and args:
            self._build_shapes = args[0]
        return out

    wrapped._cornu_wrapped = True  # type: ignore[attr-defined]
    return wrapped


def _is_trainable(w: Any) -> bool:
    return w.trainable if isinstance(w, Variable) else bool(w.requires_grad)


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(
        d is None or isinstance(d, (int, np.integer)) for d in x
    )


def _spec_from_shapes(shapes: Any, dtype: str) -> Any:
    if _is_shape(shapes):
        return KerasTensor(shapes, dtype=dtype)
    if isinstance(shapes, dict):
        return {k: _spec_from_shapes(v, dtype) for k, v in shapes.items()}
    return type(shapes)(_spec_from_shapes(v, dtype) for v in shapes)


def _as_shape(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {k: _as_shape(v) for k, v in shape.items()}
    if _is_shape(shape):
        return tuple(shape)
    return [_as_shape(s) for s in shape]


__all__ = ["Layer", "naming"]

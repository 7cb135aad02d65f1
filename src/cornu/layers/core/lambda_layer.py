"""`Lambda`: wraps a Python function as a layer."""

from __future__ import annotations

import base64
import builtins
import inspect
import marshal
import types
from collections.abc import Callable
from typing import Any

from cornu import tree
from cornu.core import serialization
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import _CTX, Layer
from cornu.core.operation import compute_spec


def _is_shape(x: Any) -> bool:
    return isinstance(x, (tuple, list)) and all(
        d is None or isinstance(d, int) for d in x
    )


def _map_shapes(fn: Callable[[Any], Any], structure: Any) -> Any:
    """Applies `fn` to each shape (a tuple of ints/None) in a nested structure."""
    if _is_shape(structure) or isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    return type(structure)(_map_shapes(fn, v) for v in structure)


def _accepted_args(fn: Callable[..., Any]) -> set[str]:
    try:
        return set(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # some builtins have no signature
        return set()


def _by_name(fn: Any) -> bool:
    """Whether `fn` can be saved by name: registered, or one of cornu's own."""
    registered = serialization.get_registered_name(fn) != getattr(fn, "__name__", None)
    module = getattr(fn, "__module__", None) or ""
    return registered or module == "cornu" or module.startswith("cornu.")


def _dump_function(fn: Any) -> Any:
    """A function's serialized form: by name when it can be found again by
    name, else Keras's `__lambda__` form (bytecode)."""
    if isinstance(fn, types.FunctionType) and not _by_name(fn):
        # Lambdas and unregistered functions: loading never imports the
        # module they came from, so only their bytecode (base64 of marshal,
        # as Keras writes it) can bring them back. Writing it is harmless;
        # reading it runs code, so loading refuses it in safe mode.
        closure = fn.__closure__
        return {
            "class_name": "__lambda__",
            "config": {
                "code": base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii"),
                "defaults": fn.__defaults__,
                "closure": tuple(c.cell_contents for c in closure) if closure else None,
            },
        }
    if callable(fn):
        return serialization.serialize_keras_object(fn)
    raise ValueError(
        f"Lambda expects a callable to serialize, received {fn!r} of type "
        f"{type(fn).__name__}."
    )


def _load_lambda(config: dict[str, Any], safe_mode: bool) -> Any:
    if safe_mode:
        raise ValueError(
            "Refusing to deserialize a `Lambda` layer whose function is stored "
            "as Python bytecode (a lambda or an unregistered function): loading "
            "it runs code from the file. If you trust its source, pass "
            "`safe_mode=False` to the loading function, or register the "
            "function with `register_keras_serializable`."
        )
    import cornu

    code = marshal.loads(base64.decodebytes(config["code"].encode("ascii")))
    defaults = config.get("defaults")
    closure = config.get("closure")
    return types.FunctionType(
        code,
        {"__builtins__": builtins, "keras": cornu, "ops": cornu.ops},
        code.co_name,
        tuple(defaults) if defaults is not None else None,
        tuple(types.CellType(v) for v in closure) if closure is not None else None,
    )


def _load_function(config: Any, custom_objects: Any, safe_mode: bool) -> Any:
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        return _load_lambda(config["config"], safe_mode)
    if isinstance(config, dict) and "class_name" in config:
        return serialization.deserialize_keras_object(
            config, custom_objects=custom_objects, safe_mode=safe_mode
        )
    return config


class Lambda(Layer):
    """Wraps a function of tensors as a layer.

    Use it for quick, stateless expressions in `Sequential` and functional
    models; anything with weights should be a `Layer` subclass. A function
    registered with `register_keras_serializable` (or one of cornu's own)
    saves by name; a `lambda` or any other Python function is saved as
    bytecode (Keras's `__lambda__` form), which loading refuses unless
    `safe_mode=False` (and which loads only on the same Python version).

    Args:
        function: the function; it receives the inputs first, and `mask` and
            `training` when it accepts them.
        output_shape: the output shape without the batch axis (a tuple, or a
            nested structure of tuples), or a function of the full input
            shape; by default it is inferred by tracing `function`.
        mask: `None` (no output mask), a function
            `(inputs, mask) -> output_mask`, or a fixed mask tensor.
        arguments: keyword arguments passed to `function`.

    Call arguments:
        inputs: the inputs passed to `function`.
        mask: the incoming mask, passed on when `function` accepts `mask`.
        training: passed on when `function` accepts `training`.

    Input shape:
        Any accepted by `function`.

    Output shape:
        `output_shape` if given, else inferred.

    Example:
    >>> Lambda(lambda x: x * 2)(np.ones((2, 3), "float32")).tolist()
    [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """

    def __init__(
        self,
        function: Callable[..., Any],
        output_shape: Any = None,
        mask: Any = None,
        arguments: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(
                f"Lambda `function` must be callable, received: {function!r}."
            )
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        accepted = _accepted_args(function)
        self._fn_expects_mask = "mask" in accepted
        self._fn_expects_training = "training" in accepted

    def call(self, inputs: Any, mask: Any = None, training: bool | None = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_expects_mask:
            kwargs["mask"] = mask
        if self._fn_expects_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            inputs = _map_shapes(
                lambda s: KerasTensor(s, self.compute_dtype), input_shape
            )
            return _map_shapes(lambda t: t.shape, self._trace(inputs))
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch_size = tree.flatten(input_shape)[0]
        return _map_shapes(lambda s: (batch_size, *s), self._output_shape)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if self._output_shape is None:
            # Tracing keeps the function's own output dtypes.
            return self._trace(inputs, *args, **kwargs)
        shapes = self.compute_output_shape(_map_shapes(lambda t: t.shape, inputs))
        return _map_shapes(lambda s: KerasTensor(s, dtype=self.compute_dtype), shapes)

    def _trace(self, *args: Any, **kwargs: Any) -> Any:
        # Runs `call` on fake tensors, as Layer does for layers without
        # `compute_output_shape`.
        _CTX.fake_depth += 1
        try:
            return compute_spec(self._traced_call, args, kwargs)
        except Exception as e:
            raise NotImplementedError(
                f'Layer "{self.name}" (Lambda) could not infer the shape of its '
                "output; pass `output_shape` to the Lambda layer."
            ) from e
        finally:
            _CTX.fake_depth -= 1

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            **super().get_config(),
            "function": _dump_function(self.function),
        }
        if self._output_shape is not None:
            config["output_shape"] = (
                _dump_function(self._output_shape)
                if callable(self._output_shape)
                else self._output_shape
            )
        if self.mask is not None:
            config["mask"] = (
                _dump_function(self.mask)
                if callable(self.mask)
                else serialization.serialize_keras_object(self.mask)
            )
        config["arguments"] = serialization.serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(  # type: ignore[override]
        cls,
        config: dict[str, Any],
        custom_objects: dict[str, Any] | None = None,
        safe_mode: bool | None = None,
    ) -> Lambda:
        """Rebuilds the layer; a Python lambda is refused in safe mode.

        Args:
            config: the output of `get_config`.
            custom_objects: names to resolve the function by.
            safe_mode: `False` allows loading lambdas' bytecode; `None` uses
                the enclosing loading call's setting (safe by default).
        """
        config = dict(config)
        safe = serialization.in_safe_mode() if safe_mode is None else bool(safe_mode)
        config["function"] = _load_function(config["function"], custom_objects, safe)
        if "output_shape" in config:
            shape = _load_function(config["output_shape"], custom_objects, safe)
            if _is_shape(shape):
                shape = tuple(shape)
            config["output_shape"] = shape
        if "mask" in config:
            config["mask"] = _load_function(config["mask"], custom_objects, safe)
        if "arguments" in config:
            config["arguments"] = serialization.deserialize_keras_object(
                config["arguments"], custom_objects=custom_objects, safe_mode=safe
            )
        return super().from_config(config)  # type: ignore[return-value]

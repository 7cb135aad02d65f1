"""Core operations: conversion, casting, shapes, indexing, scatter and control flow."""

from __future__ import annotations

import builtins
import functools
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import torch

from cornu import config, tree
from cornu.core.keras_tensor import _PLAIN, KerasTensor, any_symbolic
from cornu.core.operation import (
    OPERATION_CLASSES,
    OPS_BY_CLASS_NAME,
    Operation,
    compute_spec,
    symbolic_op,
)

F = TypeVar("F", bound=Callable[..., Any])


def keras_op(class_name: str) -> Callable[[F], F]:
    """Makes a torch-level function also work on KerasTensors.

    On tensors the function runs as written; on KerasTensors it is recorded
    as a graph node named `class_name` (Keras's name for the operation).
    """

    def deco(fn: F) -> F:
        def generic(*args: Any, **kwargs: Any) -> Any:
            if any_symbolic(args, kwargs):
                return symbolic_op(fn, class_name, args, kwargs)
            return fn(*args, **kwargs)

        wrapper = _with_signature_of(fn, generic)
        functools.update_wrapper(wrapper, fn)
        wrapper.__keras_op__ = class_name  # type: ignore[attr-defined]
        OPS_BY_CLASS_NAME.setdefault(class_name, fn)
        return wrapper  # type: ignore[return-value]

    return deco


# Argument types that can never hold a KerasTensor: an op whose arguments all
# have one of them (or are short lists/tuples of them) runs straight away.
_EAGER = _PLAIN | {torch.dtype, np.ndarray}


# The names the generated wrappers use besides the op's own parameters.
_GENERATED_NAMES = frozenset(
    {"type", "list", "tuple", "locals", "_EAGER", "_fn", "_slow", "_item", "_kind"}
    | {"_params", "_defaults"}
)


def _with_signature_of(fn: Callable[..., Any], generic: Callable[..., Any]) -> Any:
    """A function with `fn`'s own parameters that calls `fn` directly when no
    argument can be symbolic, and `generic` otherwise.

    Spelling the parameters out (rather than `*args, **kwargs`) lets Python
    bind them without building a tuple and a dict, and the check is one
    exact-type test per argument: on small tensors an op then costs little
    more than the torch call it makes.
    """
    params = list(inspect.signature(fn).parameters.values())
    plain_kinds = (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
    if any(p.kind not in plain_kinds or p.name in _GENERATED_NAMES for p in params):
        # *args/**kwargs, or a parameter shadowing a name the generated code
        # uses: checked generically.
        return generic
    names = [p.name for p in params]
    keyword_only = {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}
    parts = list(names)
    if keyword_only:
        parts.insert(min(names.index(n) for n in keyword_only), "*")
    header = ", ".join(parts)
    call = ", ".join(f"{n}={n}" if n in keyword_only else n for n in names)
    slow = "return _slow(_params, _defaults, locals())"
    lines = [f"def {fn.__name__}({header}):"]
    for n in names:
        # Straight-line checks, no call: tensors and scalars pass at once,
        # lists/tuples (e.g. concatenate's inputs) item by item.
        lines += [
            f"    _kind = type({n})",
            "    if _kind not in _EAGER:",
            "        if _kind is not list and _kind is not tuple:",
            f"            {slow}",
            f"        for _item in {n}:",
            "            if type(_item) not in _EAGER:",
            f"                {slow}",
        ]
    lines.append(f"    return _fn({call})")
    source = "\n".join(lines) + "\n"
    defaults = {
        p.name: p.default for p in params if p.default is not inspect.Parameter.empty
    }
    namespace: dict[str, Any] = {
        "_EAGER": _EAGER,
        "_fn": fn,
        "_slow": functools.partial(_call_generic, generic),
        "_params": params,
        "_defaults": defaults,
    }
    exec(compile(source, f"<keras op {fn.__name__}>", "exec"), namespace)  # noqa: S102
    wrapper = namespace[fn.__name__]
    wrapper.__defaults__ = fn.__defaults__
    wrapper.__kwdefaults__ = fn.__kwdefaults__
    return wrapper


def _call_generic(
    generic: Callable[..., Any],
    params: list[inspect.Parameter],
    defaults: dict[str, Any],
    values: dict[str, Any],
) -> Any:
    # Arguments left at their default are not passed on, so a recorded
    # graph node's config holds what the caller wrote, as before.
    # Positional as long as no argument before was left out, then keywords.
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    positional = True
    for p in params:
        value = values[p.name]
        if p.name in defaults and value is defaults[p.name]:
            positional = False
        elif positional and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            args.append(value)
        else:
            kwargs[p.name] = value
    return generic(*args, **kwargs)


def _has_float(x: Any) -> bool:
    if isinstance(x, float):
        return True
    return isinstance(x, (list, tuple)) and any(_has_float(v) for v in x)


def _default_float(x: Any) -> torch.dtype | None:
    # Python floats (at any depth of a nested list) take floatx, as in Keras.
    return config.torch_dtype(config.floatx()) if _has_float(x) else None


def convert_to_tensor(
    x: Any, dtype: Any = None, sparse: Any = None, ragged: Any = None
) -> Any:
    """Returns `x` as a torch tensor on the current device.

    numpy arrays are wrapped without a copy on the CPU; Python floats take
    `floatx()`, Python ints `int32`, as in Keras.
    """
    if isinstance(x, KerasTensor):
        return x if dtype is None else cast(x, dtype)
    want = config.torch_dtype(dtype) if dtype is not None else None
    if isinstance(x, torch.Tensor):
        if want is not None and x.dtype != want:
            x = x.to(want)
        return x
    if isinstance(x, np.ndarray):
        if not x.flags.writeable or x.dtype == object:
            x = np.array(x)
        t = torch.from_numpy(np.ascontiguousarray(x))
    elif isinstance(x, (bool, np.bool_)):
        t = torch.tensor(bool(x))
    elif isinstance(x, int) and not isinstance(x, bool):
        t = torch.tensor(x, dtype=torch.int32)
    elif isinstance(x, np.generic):
        t = torch.from_numpy(np.asarray(x))
    elif hasattr(x, "__array__") and not isinstance(x, (list, tuple)):
        t = torch.from_numpy(np.array(x))
    else:
        default = _default_float(x)
        if isinstance(x, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in x):
            t = torch.stack([convert_to_tensor(v) for v in x])
        else:
            arr = np.asarray(x)
            if (
                arr.dtype == np.int64
                and default is None
                and not isinstance(x, np.ndarray)
            ):
                arr = arr.astype(np.int32)
            t = torch.from_numpy(arr)
        if default is not None and t.is_floating_point():
            t = t.to(default)
    dev = config.device()
    if t.device != dev:
        t = t.to(dev)
    if want is not None and t.dtype != want:
        t = t.to(want)
    return t


def convert_to_numpy(x: Any) -> np.ndarray:
    """Returns `x` as a numpy array (copied to the host when needed)."""
    if isinstance(x, torch.Tensor):
        x = x.detach()
        if x.dtype == torch.bfloat16:
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    """True for torch tensors (including cornu Variables)."""
    return isinstance(x, torch.Tensor)


@keras_op("Cast")
def cast(x: Any, dtype: Any) -> Any:
    """Casts `x` to `dtype` (a name or torch dtype)."""
    return convert_to_tensor(x).to(config.torch_dtype(dtype))


def shape(x: Any) -> tuple:
    """The shape of `x` as a tuple (`None` for unknown symbolic sizes)."""
    if not hasattr(x, "shape"):
        x = convert_to_tensor(x)
    return tuple(x.shape)


def dtype(x: Any) -> str:
    """The dtype of `x` as a Keras name (`"float32"`)."""
    if isinstance(x, KerasTensor):
        return x.dtype
    return config.standardize_dtype(convert_to_tensor(x).dtype)


def _get_item(x: Any, key: Any) -> Any:
    return x[key]


def get_item(x: Any, key: Any) -> Any:
    """`x[key]` (numpy-style indexing)."""
    if isinstance(x, KerasTensor):
        if _symbolic(key):
            # As Keras: a symbolic index or mask has no static meaning here.
            raise ValueError(
                "Indexing a KerasTensor accepts ints, slices, None, Ellipsis "
                f"and constant arrays as keys, received the symbolic key {key!r}. "
                "Use `ops.take`, `ops.take_along_axis` or `ops.where` instead."
            )
        return symbolic_op(_get_item, "GetItem", (x,), {"key": key})
    return convert_to_tensor(x)[key]


@keras_op("StopGradient")
def stop_gradient(variable: Any) -> Any:
    """`variable` as a tensor that gradients do not flow through."""
    if isinstance(variable, torch.Tensor):
        return variable.detach()
    return convert_to_tensor(variable)


def compute_output_spec(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """The KerasTensor(s) `fn` would return for these (symbolic) arguments."""
    return compute_spec(fn, args, kwargs)


@keras_op("SaturateCast")
def saturate_cast(x: Any, dtype: Any) -> Any:
    """Casts `x` to `dtype`, clipping values to its range first (no wrap-around).

    Example:
        >>> saturate_cast([-1.0, 300.0], "uint8")
        tensor([  0, 255], dtype=torch.uint8)
    """
    x = convert_to_tensor(x)
    target = config.torch_dtype(dtype)
    if target == torch.bool or target.is_complex:
        return x.to(target)
    info = torch.finfo(target) if target.is_floating_point else torch.iinfo(target)
    lo, hi = info.min, info.max
    if x.dtype.is_floating_point:
        src = torch.finfo(x.dtype)
        lo, hi = max(lo, src.min), min(hi, src.max)
        lo_t = torch.tensor(lo, dtype=x.dtype, device=x.device)
        hi_t = torch.tensor(hi, dtype=x.dtype, device=x.device)
        # An int bound may round up in the float type (2**31 - 1 -> 2**31);
        # step inside the range so the cast cannot overflow.
        if not target.is_floating_point:
            if hi_t.double() > hi:
                hi_t = torch.nextafter(hi_t, torch.tensor(-torch.inf, dtype=x.dtype))
            if lo_t.double() < lo:
                lo_t = torch.nextafter(lo_t, torch.tensor(torch.inf, dtype=x.dtype))
        return torch.clamp(x, lo_t, hi_t).to(target)
    if x.dtype == torch.bool:
        return x.to(target)
    src_i = torch.iinfo(x.dtype)
    lo, hi = max(lo, src_i.min), min(hi, src_i.max)
    return torch.clamp(x, lo, hi).to(target)


@keras_op("Unstack")
def unstack(x: Any, num: int | None = None, axis: int = 0) -> list[Any]:
    """Splits `x` along `axis` into a list of tensors with that axis removed."""
    x = convert_to_tensor(x)
    if num is not None and num != x.shape[axis]:
        raise ValueError(
            f"unstack: `num` is {num} but axis {axis} has size {x.shape[axis]}."
        )
    return list(x.unbind(axis))


# --------------------------------------------------------------------------
# slicing and scattering


def _ints(values: Any) -> list[int]:
    if isinstance(values, torch.Tensor):
        return [int(v) for v in values.tolist()]
    return [int(v) for v in values]


@keras_op("Slice")
def slice(inputs: Any, start_indices: Sequence[Any], shape: Sequence[int]) -> Any:
    """The block of `inputs` of size `shape` starting at `start_indices`."""
    x = convert_to_tensor(inputs)
    starts, sizes = _ints(start_indices), _ints(shape)
    index = tuple(builtins.slice(s, s + n) for s, n in zip(starts, sizes, strict=False))
    return x[index]


@keras_op("SliceUpdate")
def slice_update(inputs: Any, start_indices: Sequence[Any], updates: Any) -> Any:
    """A copy of `inputs` with the block at `start_indices` replaced by `updates`."""
    x = convert_to_tensor(inputs)
    u = convert_to_tensor(updates).to(x.dtype)
    starts = _ints(start_indices)
    index = tuple(
        builtins.slice(s, s + n) for s, n in zip(starts, u.shape, strict=False)
    )
    out = x.clone()
    out[index] = u
    return out


@keras_op("Scatter")
def scatter(indices: Any, values: Any, shape: Sequence[int]) -> Any:
    """A zero tensor of `shape` with `values` added at `indices`.

    Args:
        indices: `(n, k)` int indices into the first `k` axes of `shape`.
        values: `(n, *shape[k:])` values; duplicates are summed.
        shape: the output shape.

    Returns:
        The scattered tensor.
    """
    idx = convert_to_tensor(indices).long()
    vals = convert_to_tensor(values)
    k = idx.shape[-1]
    idx = idx.reshape(-1, k)
    vals = vals.reshape(-1, *tuple(shape)[k:])
    out = torch.zeros(tuple(shape), dtype=vals.dtype, device=vals.device)
    return out.index_put_(tuple(idx.unbind(-1)), vals, accumulate=True)


_REDUCE = {"max": "amax", "min": "amin", "mul": "prod", "add": "sum"}


@keras_op("ScatterUpdate")
def scatter_update(
    inputs: Any, indices: Any, updates: Any, reduction: str | None = None
) -> Any:
    """A copy of `inputs` with `updates` written (or combined) at `indices`.

    Args:
        inputs: the tensor to update.
        indices: `(n, k)` int indices into the first `k` axes.
        updates: `(n, *inputs.shape[k:])` values.
        reduction: None (overwrite), `"add"`, `"max"`, `"min"` or `"mul"`.

    Returns:
        The updated copy.
    """
    x = convert_to_tensor(inputs)
    idx = convert_to_tensor(indices).long()
    upd = convert_to_tensor(updates).to(x.dtype)
    k = idx.shape[-1]
    if reduction is None:
        out = x.clone()
        out[tuple(idx.unbind(-1))] = upd
        return out
    if reduction not in _REDUCE:
        raise ValueError(
            "`reduction` must be None, 'add', 'max', 'min' or 'mul', received: "
            f"{reduction!r}."
        )
    # Linearise the k leading coordinates so one index_reduce does the work.
    lead = x.shape[:k]
    strides = torch.tensor(
        [math.prod(lead[i + 1 :]) for i in range(k)], device=idx.device
    )
    flat = (idx * strides).sum(-1)
    out = x.reshape(-1, *x.shape[k:]).clone()
    src = upd.reshape(-1, *x.shape[k:])
    index = flat.reshape(-1, *([1] * (src.ndim - 1))).expand_as(src)
    out.scatter_reduce_(0, index, src, _REDUCE[reduction], include_self=True)
    return out.reshape(x.shape)


# --------------------------------------------------------------------------
# control flow
#
# On tensors these are Python control flow over torch, as Keras on torch.
# On KerasTensors each is recorded as one graph operation (`Cond`, `Scan`,
# ...) whose output spec comes from tracing the user's function once on fake
# tensors, as Keras does; the loop itself runs when the graph runs.


def _symbolic(*structures: Any) -> bool:
    return any(isinstance(t, KerasTensor) for t in tree.flatten(list(structures)))


def _fresh(x: Any) -> Any:
    """A history-free KerasTensor with the shape and dtype of `x`."""
    if isinstance(x, KerasTensor):
        return KerasTensor(x.shape, dtype=x.dtype)
    if isinstance(x, torch.Tensor):
        return KerasTensor(tuple(x.shape), dtype=config.standardize_dtype(x.dtype))
    if x is None:
        return None
    t = convert_to_tensor(x)
    return KerasTensor(tuple(t.shape), dtype=config.standardize_dtype(t.dtype))


def _trace(fn: Callable[..., Any], *args: Any) -> Any:
    """The specs of `fn(*args)`'s outputs (fresh KerasTensors, no graph nodes)."""
    return tree.map_structure(_fresh, compute_spec(fn, args, {}))


def _element(t: Any, axis: int = 0) -> Any:
    """The spec of one slice of `t` along `axis` (the axis removed)."""
    t = _fresh(t)
    axis = axis % t.ndim
    return KerasTensor(t.shape[:axis] + t.shape[axis + 1 :], dtype=t.dtype)


def _stacked(n: int | None, y: Any) -> Any:
    """`y`'s specs with a leading axis of size `n`."""
    return tree.map_structure(
        lambda t: None if t is None else KerasTensor((n, *t.shape), dtype=t.dtype), y
    )


def _same_spec(a: Any, b: Any) -> bool:
    try:
        tree.assert_same_structure(a, b)
    except (TypeError, ValueError):
        return False
    for x, y in zip(tree.flatten(a), tree.flatten(b), strict=True):
        if (x is None) != (y is None):
            return False
        if x is not None and (x.shape, x.dtype) != (y.shape, y.dtype):
            return False
    return True


class _ControlFlow(Operation):
    """A control-flow operation, saved under Keras's module and class name."""

    keras_module = "keras.src.ops.core"

    @property
    def class_name(self) -> str:
        return type(self).__name__

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Operation:
        return cls(**config)


class _Unsaveable(_ControlFlow):
    """An operation that holds Python functions as hyper-parameters.

    As in Keras, it runs in a functional model but cannot be saved.
    """

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Operation {self.name!r} ({type(self).__name__}) keeps Python "
            "functions in its configuration and cannot be serialized, as in "
            "Keras. Wrap the computation in a `Layer` subclass with "
            "`get_config` to save the model."
        )


class Cond(_ControlFlow):
    """`cond` as a graph operation (its predicate is symbolic)."""

    def call(self, pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]):
        out = true_fn() if bool(pred) else false_fn()
        if _symbolic(out):
            raise ValueError(
                f"Operation {self.name!r} (Cond): the selected branch returned "
                "a symbolic KerasTensor while the graph was running. Branches "
                "of `cond` cannot close over symbolic tensors; compute the "
                "tensors they need inside a `Layer` instead."
            )
        return out

    def compute_output_spec(self, pred: Any, true_fn: Any, false_fn: Any) -> Any:
        true_spec, false_spec = _trace(true_fn), _trace(false_fn)
        if not _same_spec(true_spec, false_spec):
            raise ValueError(
                "`true_fn` and `false_fn` should return outputs of the same "
                "kind (struct, dtype and shape). Got "
                f"{true_spec} and {false_spec} instead."
            )
        return true_spec


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any]) -> Any:
    """`true_fn()` if `pred` else `false_fn()`.

    With a symbolic `pred` the choice is recorded in the graph; both branches
    must then return the same structure, shapes and dtypes.

    Example:
        >>> cond(torch.tensor(True), lambda: 1.0, lambda: 2.0)
        1.0
    """
    if _symbolic(pred):
        return Cond()(pred, true_fn, false_fn)
    return true_fn() if bool(pred) else false_fn()


class Switch(_ControlFlow):
    """`switch` as a graph operation (some operand is symbolic)."""

    def call(self, index: Any, branches: Sequence[Callable[..., Any]], *operands: Any):
        return _switch(index, branches, operands)

    def compute_output_spec(self, index: Any, branches: Any, *operands: Any) -> Any:
        # As in Keras, the first branch stands for all of them.
        return _trace(branches[0], *operands)


def _switch(index: Any, branches: Sequence[Callable[..., Any]], operands: tuple):
    if isinstance(index, KerasTensor):
        raise ValueError(
            "switch: `index` is a symbolic KerasTensor but no operand is; "
            "pass the tensors the branches use as `*operands`."
        )
    i = min(max(int(index), 0), len(branches) - 1)
    return branches[i](*operands)


def switch(index: Any, branches: Sequence[Callable[..., Any]], *operands: Any) -> Any:
    """Calls `branches[index](*operands)`, `index` clamped to the valid range.

    Example:
        >>> switch(1, [lambda x: x + 1, lambda x: x * 2], 3)
        6
    """
    if _symbolic(operands):
        return Switch()(index, branches, *operands)
    return _switch(index, branches, operands)


class WhileLoop(_Unsaveable):
    """`while_loop` as a graph operation (its loop variables are symbolic)."""

    def __init__(
        self,
        cond: Callable[..., Any],
        body: Callable[..., Any],
        maximum_iterations: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.cond = cond
        self.body = body
        self.maximum_iterations = maximum_iterations

    def call(self, loop_vars: Any) -> Any:
        return _while_loop(self.cond, self.body, loop_vars, self.maximum_iterations)

    def compute_output_spec(self, loop_vars: Any) -> Any:
        return tree.map_structure(_fresh, loop_vars)


def _while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None,
) -> Any:
    is_seq = isinstance(loop_vars, (list, tuple))
    vars_ = tuple(loop_vars) if is_seq else (loop_vars,)
    vars_ = tree.map_structure(convert_to_tensor, vars_)
    i = 0
    while (maximum_iterations is None or i < maximum_iterations) and bool(cond(*vars_)):
        out = body(*vars_)
        vars_ = tuple(out) if isinstance(out, (list, tuple)) else (out,)
        i += 1
    # Eagerly a tuple for any sequence of loop variables, as Keras on torch.
    return vars_ if is_seq else vars_[0]


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`.

    Returns:
        The final loop variables, in the structure of `loop_vars`.

    Example:
        >>> while_loop(lambda i: i < 10, lambda i: i + 1, 0)
        tensor(10, dtype=torch.int32)
    """
    if _symbolic(loop_vars):
        return WhileLoop(cond, body, maximum_iterations)(loop_vars)
    return _while_loop(cond, body, loop_vars, maximum_iterations)


class ForiLoop(_Unsaveable):
    """`fori_loop` as a graph operation (a bound or the state is symbolic)."""

    def __init__(
        self, body_fun: Callable[[Any, Any], Any], name: str | None = None
    ) -> None:
        super().__init__(name=name)
        self.body_fun = body_fun

    def call(self, lower: Any, upper: Any, init_val: Any) -> Any:
        return _fori_loop(lower, upper, self.body_fun, init_val)

    def compute_output_spec(self, lower: Any, upper: Any, init_val: Any) -> Any:
        return tree.map_structure(_fresh, init_val)


def _fori_loop(
    lower: Any, upper: Any, body_fun: Callable[[Any, Any], Any], init_val: Any
) -> Any:
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def fori_loop(
    lower: int, upper: int, body_fun: Callable[[Any, Any], Any], init_val: Any
) -> Any:
    """`val = body_fun(i, val)` for `i` in `range(lower, upper)`.

    Example:
        >>> fori_loop(0, 4, lambda i, s: s + i, 0)
        6
    """
    if _symbolic(lower, upper, init_val):
        return ForiLoop(body_fun)(lower, upper, init_val)
    return _fori_loop(lower, upper, body_fun, init_val)


class Scan(_ControlFlow):
    """`scan` as a graph operation (`init` or `xs` is symbolic)."""

    def __init__(
        self,
        length: int | None = None,
        reverse: bool = False,
        unroll: int | bool = 1,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.length = length
        self.reverse = reverse
        self.unroll = unroll

    def call(self, f: Callable[[Any, Any], Any], init: Any, xs: Any = None) -> Any:
        return _scan(f, init, xs, self.length, self.reverse)

    def compute_output_spec(self, f: Any, init: Any, xs: Any = None) -> Any:
        if xs is None:
            if self.length is None:
                raise ValueError("scan needs `xs` or `length`.")
            n, x = int(self.length), None
        else:
            flat = tree.flatten(xs)
            n = (
                int(self.length)
                if self.length is not None
                else _fresh(flat[0]).shape[0]
            )
            x = tree.map_structure(_element, xs)
        carry, y = _trace(f, tree.map_structure(_fresh, init), x)
        return carry, _stacked(n, y)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "length": self.length,
            "reverse": self.reverse,
            "unroll": self.unroll,
        }


def _scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any,
    length: int | None,
    reverse: bool,
) -> tuple[Any, Any]:
    if xs is None and length is None:
        raise ValueError("scan needs `xs` or `length`.")
    flat_xs = [] if xs is None else [convert_to_tensor(v) for v in tree.flatten(xs)]
    n = int(length) if length is not None else flat_xs[0].shape[0]
    carry = tree.map_structure(convert_to_tensor, init)
    steps = range(n - 1, -1, -1) if reverse else range(n)
    ys = []
    for i in steps:
        x = None if xs is None else tree.pack_sequence_as(xs, [v[i] for v in flat_xs])
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys or ys[0] is None:
        return carry, None
    stacked = tree.map_structure(lambda *vs: torch.stack(list(vs)), *ys)
    return carry, stacked


def scan(
    f: Callable[[Any, Any], tuple[Any, Any]],
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Loops `carry, y = f(carry, x)` over the leading axis of `xs`.

    Args:
        f: the step function.
        init: the initial carry (a structure of tensors).
        xs: a structure of tensors scanned along axis 0, or None.
        length: the number of steps when `xs` is None.
        reverse: scan from the end.
        unroll: accepted for compatibility (no effect in eager torch).

    Returns:
        `(final_carry, stacked_ys)`.

    Example:
        >>> scan(lambda c, x: (c + x, c + x), 0, torch.tensor([1, 2, 3]))
        (tensor(6), tensor([1, 3, 6]))
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable, received: {f!r}.")
    if _symbolic(init, xs):
        return Scan(length=length, reverse=reverse, unroll=unroll)(f, init, xs)
    return _scan(f, init, xs, length, reverse)


def _map_spec(f: Callable[[Any], Any], xs: Any) -> Any:
    n = _fresh(tree.flatten(xs)[0]).shape[0]
    return _stacked(n, _trace(f, tree.map_structure(_element, xs)))


class Map(_ControlFlow):
    """`map` as a graph operation (`xs` is symbolic)."""

    def call(self, f: Callable[[Any], Any], xs: Any) -> Any:
        return _map(f, xs)

    def compute_output_spec(self, f: Any, xs: Any) -> Any:
        return _map_spec(f, xs)


def _map(f: Callable[[Any], Any], xs: Any) -> Any:
    _, ys = _scan(lambda c, x: (c, f(x)), (), xs, None, False)
    return ys


def map(f: Callable[[Any], Any], xs: Any) -> Any:
    """`f` applied to each slice of `xs` along axis 0, results stacked.

    Example:
        >>> map(lambda x: x * 2, torch.tensor([1, 2, 3]))
        tensor([2, 4, 6])
    """
    if _symbolic(xs):
        return Map()(f, xs)
    return _map(f, xs)


class VectorizedMap(_ControlFlow):
    """`vectorized_map` as a graph operation (`elements` is symbolic)."""

    def __init__(self, function: Callable[[Any], Any], name: str | None = None):
        super().__init__(name=name)
        self.function = function

    def call(self, elements: Any) -> Any:
        return _vectorized_map(self.function, elements)

    def compute_output_spec(self, elements: Any) -> Any:
        return _map_spec(self.function, elements)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "function": self.function}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Operation:
        from cornu.core import serialization

        config = dict(config)
        function = config["function"]
        if isinstance(function, dict):
            config["function"] = serialization.deserialize_keras_object(function)
        return cls(**config)


def _vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    elements = tree.map_structure(convert_to_tensor, elements)
    return torch.vmap(function)(elements)


def vectorized_map(function: Callable[[Any], Any], elements: Any) -> Any:
    """`function` mapped over axis 0 of `elements` with `torch.vmap`.

    Example:
        >>> vectorized_map(lambda x: x.sum(), torch.ones(3, 2))
        tensor([2., 2., 2.])
    """
    if _symbolic(elements):
        return VectorizedMap(function)(elements)
    return _vectorized_map(function, elements)


def _along(x: torch.Tensor, axis: int, start: int, stop: int | None, step: int = 1):
    index = [builtins.slice(None)] * x.ndim
    index[axis] = builtins.slice(start, stop, step)
    return x[tuple(index)]


def _interleave(a: torch.Tensor, b: torch.Tensor, axis: int) -> torch.Tensor:
    """a0, b0, a1, b1, ... along `axis` (`a` may be one longer)."""
    nb = b.shape[axis]
    pairs = torch.stack([_along(a, axis, 0, nb), b], dim=axis + 1)
    out = pairs.flatten(axis, axis + 1)
    if a.shape[axis] > nb:
        out = torch.cat([out, _along(a, axis, nb, None)], dim=axis)
    return out


def _check_lengths(flat: list, axis: int) -> int:
    n = flat[0].shape[axis]
    if any(e.shape[axis] != n for e in flat):
        raise ValueError(
            "associative_scan expects all inputs to have the same size along "
            f"axis {axis}, received shapes {[tuple(e.shape) for e in flat]}."
        )
    return axis % len(flat[0].shape)


class AssociativeScan(_ControlFlow):
    """`associative_scan` as a graph operation (`elems` is symbolic)."""

    def __init__(self, reverse: bool = False, axis: int = 0, name: str | None = None):
        super().__init__(name=name)
        self.reverse = reverse
        self.axis = axis

    def call(self, f: Callable[[Any, Any], Any], elems: Any) -> Any:
        return _associative_scan(f, elems, self.reverse, self.axis)

    def compute_output_spec(self, f: Any, elems: Any) -> Any:
        flat = [_fresh(e) for e in tree.flatten(elems)]
        axis = _check_lengths(flat, self.axis)

        def one(t: KerasTensor) -> KerasTensor:
            return KerasTensor(t.shape[:axis] + (1,) + t.shape[axis + 1 :], t.dtype)

        x = tree.pack_sequence_as(elems, [one(t) for t in flat])
        y = tree.flatten(_trace(f, x, x))
        out = [KerasTensor(t.shape, dtype=v.dtype) for t, v in zip(flat, y)]
        return tree.pack_sequence_as(elems, out)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "reverse": self.reverse, "axis": self.axis}


def associative_scan(
    f: Callable[[Any, Any], Any], elems: Any, reverse: bool = False, axis: int = 0
) -> Any:
    """Inclusive prefix scan with an associative `f`, in O(log n) vector steps.

    Example:
        >>> associative_scan(lambda a, b: a + b, torch.tensor([1, 2, 3]))
        tensor([1, 3, 6])
    """
    if not callable(f):
        raise TypeError(f"`f` must be callable, received: {f!r}.")
    if _symbolic(elems):
        return AssociativeScan(reverse=reverse, axis=axis)(f, elems)
    return _associative_scan(f, elems, reverse, axis)


def _associative_scan(
    f: Callable[[Any, Any], Any], elems: Any, reverse: bool, axis: int
) -> Any:
    flat = [convert_to_tensor(e) for e in tree.flatten(elems)]
    axis = _check_lengths(flat, axis)
    if reverse:
        flat = [torch.flip(e, (axis,)) for e in flat]

    def combine(a: list, b: list) -> list:
        out = f(tree.pack_sequence_as(elems, a), tree.pack_sequence_as(elems, b))
        return [convert_to_tensor(v) for v in tree.flatten(out)]

    def rec(xs: list) -> list:
        m = xs[0].shape[axis]
        if m < 2:
            return xs
        pairs = combine(
            [_along(e, axis, 0, m - 1, 2) for e in xs],
            [_along(e, axis, 1, None, 2) for e in xs],
        )
        odd = rec(pairs)
        rest = [_along(e, axis, 2, None, 2) for e in xs]
        if m % 2 == 0:
            even = combine([_along(o, axis, 0, -1) for o in odd], rest)
        else:
            even = combine(odd, rest)
        even = [
            torch.cat([_along(e, axis, 0, 1), v], dim=axis) for e, v in zip(xs, even)
        ]
        return [_interleave(e, o, axis) for e, o in zip(even, odd)]

    out = rec(flat)
    if reverse:
        out = [torch.flip(e, (axis,)) for e in out]
    return tree.pack_sequence_as(elems, out)


def _call_grad(grad_fn: Callable[..., Any], args: tuple, upstream: Any) -> Any:
    params = inspect.signature(grad_fn).parameters.values()
    takes_kw = any(
        p.name == "upstream" and p.kind is not p.POSITIONAL_ONLY for p in params
    )
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    if takes_kw and varargs:
        return grad_fn(*args, upstream=upstream)
    return grad_fn(upstream)


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorates `f(*args) -> (output, grad_fn)` so that autograd uses `grad_fn`.

    `grad_fn` may be written TensorFlow/JAX-style, `grad_fn(upstream)`, or
    Keras-on-torch style, `grad_fn(*args, upstream=...)`; it returns one
    gradient per argument.

    Example:
        >>> @custom_gradient
        ... def clip_grad(x):
        ...     return x * 1.0, lambda upstream: upstream.clamp(-1, 1)
    """

    class _Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, *args: Any) -> Any:
            with torch.enable_grad():
                out, grad_fn = f(*args)
            ctx.grad_fn = grad_fn
            ctx.args = args
            return out.detach() if isinstance(out, torch.Tensor) else out

        @staticmethod
        def backward(ctx: Any, *upstream: Any) -> Any:
            up = upstream[0] if len(upstream) == 1 else upstream
            grads = _call_grad(ctx.grad_fn, ctx.args, up)
            if not isinstance(grads, (tuple, list)):
                grads = (grads,)
            return tuple(grads)

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        return _Fn.apply(*(convert_to_tensor(a) for a in args))

    return wrapper


for _cls in (
    AssociativeScan,
    Cond,
    ForiLoop,
    Map,
    Scan,
    Switch,
    VectorizedMap,
    WhileLoop,
):
    OPERATION_CLASSES[_cls.__name__] = _cls

__all__ = [
    "associative_scan",
    "cast",
    "compute_output_spec",
    "cond",
    "convert_to_numpy",
    "convert_to_tensor",
    "custom_gradient",
    "dtype",
    "fori_loop",
    "get_item",
    "is_tensor",
    "keras_op",
    "map",
    "saturate_cast",
    "scan",
    "scatter",
    "scatter_update",
    "shape",
    "slice",
    "slice_update",
    "stop_gradient",
    "switch",
    "unstack",
    "vectorized_map",
    "while_loop",
]

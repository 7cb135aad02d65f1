"""Post-training int8 / int4 quantization for `Dense`, `EinsumDense`, `Embedding`.

`layer.quantize("int8")` replaces the layer's float main weight (`kernel`,
`embeddings`) by an int8 weight of the same name and shape plus a float
scale (`kernel_scale`, `embeddings_scale`), both non-trainable, and sets the
layer's policy to `QuantizedDTypePolicy("int8", <old policy>)`. As Keras
does, the scale is `127 / max|w|` per output channel (the reduced axes are
the input axes), values are rounded half to even, and:

- `Dense` / `EinsumDense` quantize their inputs too (abs-max over the
  reduced input axes, per call), multiply in integers and divide the int32
  result by `inputs_scale * kernel_scale`; the input gradient is that of the
  dequantized kernel.
- `Embedding` gathers int8 rows and divides them by their row scale.

`layer.quantize("int4")` follows Keras's int4 scheme: the weight, seen as a
`(rows, columns)` matrix (rows: the contracted axes; for `Embedding`, one
row per token and a column per feature), is stored packed two values per
int8 byte along its last axis (`(rows, ceil(columns / 2))`). With
`block_size=None` / `-1` it has one abs-max scale per output (range
`[-8, 7]`), as int8 has; with a `block_size` (default 128) the contracted
axis is cut into groups, each with a step `kernel_scale`, an int8
`kernel_zero` and the group index of every row in `g_idx`, dequantized as
`(q - zero) * scale`. int4 is weight-only unless the config has an
`activation_quantizer`; the policy becomes `Int4DTypePolicy("int4/<block>")`.
As Keras does, `layer.kernel` / `layer.embeddings` of an int4 layer is the
unpacked int8 values in the float weight's shape (the variable of that name
stays packed, and is what weight files hold), and LoRA works on int4 layers:
its factors have the float weight's shapes, whether LoRA is enabled before or
after `quantize`, and the forward adds `scale * (inputs @ a) @ b`.

`layer.quantize("float8")` (`Dense`, `EinsumDense`) keeps the float kernel
and adds Keras's float8 scale and amax-history variables
(`quantization_float8`).

The layer files stay free of quantization: a layer lists its mixin
(`DenseQuantization`, ...) first in its bases. The mixin hooks `build` (a
layer whose policy is already quantized, e.g. from a saved config, builds its
int8 weights), the `dtype_policy` setter (a quantized policy set on a built
layer quantizes it), `call` (a quantized layer's instance `call` is its
integer path, so float layers pay nothing) and weight files (Keras's order:
`kernel`, `bias`, `kernel_scale`).
"""

from __future__ import annotations

import functools
import re
import string
import warnings
from typing import Any, ClassVar

import numpy as np
import torch

from cornu.core import dtype_policy as dtype_policies
from cornu.core.layer import Layer

# Importing the public module registers the int4 and float8 policies with the
# core policy lookup.
from cornu.dtype_policies import Int4DTypePolicy, QuantizedFloat8DTypePolicy
from cornu.layers.core.lora import _as_tensor
from cornu.layers.core.quantization_float8 import Float8Quantization
from cornu.quantizers import quantization_config as qconfig
from cornu.quantizers.quantizers import (
    AbsMaxQuantizer,
    abs_max_quantize,
    abs_max_quantize_grouped_with_zero_point,
    dequantize_grouped,
    int_einsum,
    int_matmul,
    pack_int4,
    unpack_int4,
    with_dequantized_gradient,
)

_INT4_RANGE = (-8, 7)


def _quantize_after_build(build: Any) -> Any:
    @functools.wraps(build)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = build(self, *args, **kwargs)
        mode = self.quantization_mode
        if mode is not None and not self._is_quantized:
            self._check_mode(mode)
            self._quantized_build(mode, self._block_size_of(None))
        return out

    wrapped._quantization_hooked = True  # type: ignore[attr-defined]
    return wrapped


class QuantizationMixin:
    """Adds `quantize(mode)` to a layer whose main weight is `_lora_weight`.

    Subclasses (one per layer kind) define `_scale_shape`,
    `_quantize_weight` (float weight -> int8 weight and scale) and
    `_int8_call`.
    """

    _lora_weight: ClassVar[str] = "kernel"
    _quantizable_class: ClassVar[type | None] = None
    _quantization_modes: ClassVar[tuple[str, ...]] = ("int8", "int4")
    _is_quantized: bool = False
    quantization_config: Any = None
    _inputs_quantizer: Any = None
    # int4: the block size (None: per channel) and the unpacked weight shape.
    _int4_block_size: int | None = None
    _int4_shape: tuple = ()
    # int4: the axis of the flattened weight cut into groups.
    _int4_group_axis: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Wrapped before the LoRA hook wraps it, so that a layer built from a
        # quantized config has its int8 weights before LoRA is enabled.
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_quantization_hooked", False):
            cls.build = _quantize_after_build(build)  # type: ignore[attr-defined]
        if any(
            issubclass(base, QuantizationMixin) and not issubclass(base, Layer)
            for base in cls.__bases__
        ):
            cls._quantizable_class = cls
        super().__init_subclass__(**kwargs)

    def _init_quantization(self, quantization_config: Any) -> None:
        """Stores the `quantization_config` argument of `__init__`."""
        self.quantization_config = qconfig.get_config(quantization_config)

    def _serialized_quantization_config(self) -> dict[str, Any] | None:
        return qconfig.serialize(self.quantization_config)

    # -- dtype policy -------------------------------------------------------------
    @property
    def quantization_mode(self) -> str | None:
        """The quantization mode of this layer, `None` if not quantized."""
        return self.dtype_policy.quantization_mode  # type: ignore[attr-defined]

    @property
    def dtype_policy(self) -> dtype_policies.DTypePolicy:
        return self._dtype_policy  # type: ignore[attr-defined]

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        Layer.dtype_policy.fset(self, value)  # type: ignore[attr-defined]
        mode = self._dtype_policy.quantization_mode  # type: ignore[attr-defined]
        if (
            mode is not None
            and getattr(self, "built", False)
            and not self._is_quantized
        ):
            self.quantize(mode)

    # -- public API ---------------------------------------------------------------
    def quantize(
        self, mode: str | None = None, type_check: bool = True, config: Any = None
    ) -> None:
        """Quantizes the layer's main weight in place (`"int8"`, `"int4"`, `"float8"`).

        Args:
            mode: the quantization mode: `"int8"`, `"int4"`, or for `Dense`
                and `EinsumDense` `"float8"` (float8 training).
            type_check: refuse subclasses of the layer (their `call` may use
                the weight in ways the quantized path does not know).
            config: an `Int8QuantizationConfig` (custom weight quantizer, or
                `activation_quantizer=None` for weight-only int8) or an
                `Int4QuantizationConfig` (`block_size`); default: the mode's
                default config.

        Raises:
            ValueError: the mode is unknown, the layer is not built or is
                already quantized, or int8 with compute dtype float16.
            NotImplementedError: a subclass with `type_check`, a mode the
                layer does not support.

        Example:
        >>> from cornu.layers.core.dense import Dense
        >>> layer = Dense(4)
        >>> layer.build((None, 3))
        >>> layer.quantize("int8")
        >>> [(w.name, str(w.dtype)) for w in layer.weights]
        [('bias', 'torch.float32'), ('kernel', 'torch.int8'), ('kernel_scale', 'torch.float32')]
        >>> layer.dtype_policy.name
        'int8_from_float32'
        """
        resolved = qconfig.resolve(mode, config)
        mode = resolved.mode
        if not self.built:  # type: ignore[attr-defined]
            raise ValueError(
                "Cannot quantize a layer that isn't yet built. Layer "
                f"'{self.name}' (of type '{type(self).__name__}') is not built yet."  # type: ignore[attr-defined]
            )
        if self._is_quantized:
            raise ValueError(
                f"Layer '{self.name}' is already quantized with "  # type: ignore[attr-defined]
                f"dtype_policy='{self.dtype_policy.name}'. Received: mode={mode}"
            )
        if mode == "int8" and self.compute_dtype == "float16":  # type: ignore[attr-defined]
            raise ValueError(
                f"Quantization mode='{mode}' doesn't work well with "
                "compute_dtype='float16'. Consider loading model/layer with "
                "another dtype policy such as 'mixed_bfloat16' or "
                "'mixed_float16' before calling `quantize()`."
            )
        if type_check and type(self) is not self._quantizable_class:
            raise NotImplementedError(
                f"Layer {type(self).__name__} does not have a `quantize` method "
                "implemented."
            )
        self._check_mode(mode)
        self._check_call()
        self.quantization_config = resolved
        if mode == "float8":
            self._quantized_build(mode)
            if self.dtype_policy.quantization_mode is None:
                source = self.dtype_policy.name
                self.dtype_policy = QuantizedFloat8DTypePolicy(mode, source)
            return
        # The float weight alone: as Keras does, LoRA factors stay as they are.
        weight = self._stored_weight()
        zero = None
        with torch.no_grad():
            if mode == "int4":
                block_size = self._block_size_of(resolved)
                values, scale, zero = self._quantize_int4(weight, resolved, block_size)
                values = pack_int4(values, axis=-1)[0]
            else:
                block_size = None
                values, scale = self._quantize_weight(weight, resolved.weight_quantizer)
        self._quantized_build(mode, block_size)
        with torch.no_grad():
            self._int_weight().copy_(values)
            self._scale().copy_(scale.to(self._scale().dtype))
            if zero is not None:
                self._zero().copy_(zero)
        if self.dtype_policy.quantization_mode is None:
            source = self.dtype_policy.name
            if mode == "int4":
                size = resolved.block_size  # type: ignore[attr-defined]
                policy = Int4DTypePolicy(f"int4/{-1 if size is None else size}", source)
                self.dtype_policy = policy
            else:
                self.dtype_policy = dtype_policies.QuantizedDTypePolicy(mode, source)

    # -- building -------------------------------------------------------------------
    def _where(self) -> str:
        return f'Layer "{self.name}" ({type(self).__name__})'  # type: ignore[attr-defined]

    def _check_mode(self, mode: str) -> None:
        if mode not in self._quantization_modes:
            raise NotImplementedError(
                f"{self._where()}: quantization mode {mode!r} is not supported "
                f"for this layer; supported: {self._quantization_modes}."
            )

    def _check_call(self) -> None:
        base = self._quantizable_class
        if base is not None and type(self).call is not base.call:  # type: ignore[attr-defined,misc]
            # The integer path would silently replace the subclass's `call`.
            raise NotImplementedError(
                f"{self._where()} overrides `call`, so it cannot run quantized "
                f"as a {base.__name__}; quantization of this layer is not "
                "supported."
            )

    def _int_weight(self) -> torch.Tensor:
        return self._stored_weight()

    def _stored_weight(self) -> torch.Tensor:
        """The main weight variable itself (for int4, the packed one)."""
        return self.__dict__["_parameters"][self._lora_weight]

    def _public_weight(self) -> torch.Tensor:
        """What `layer.kernel` / `layer.embeddings` returns, as in Keras.

        The variable itself, except on an int4 layer: there the unpacked
        int8 values in the float weight's shape, plus the LoRA update (cast
        to the compute dtype) once LoRA is on. Saving and the forward pass
        read the packed variable through `_stored_weight`.
        """
        name = self._lora_weight
        stored = self.__dict__["_parameters"].get(name)
        if stored is None:
            raise AttributeError(
                f"{type(self).__name__!r} object has no attribute {name!r}"
            )
        if not self._int4_shape:
            return stored
        weight = self._int4_unpacked().reshape(self._int4_shape)
        if getattr(self, "lora_enabled", False):
            weight = weight + self._lora_delta()  # type: ignore[attr-defined]
            weight = weight.to(self._compute_torch_dtype)  # type: ignore[attr-defined]
        return weight

    def _set_public_weight(self, value: Any) -> None:
        # Reached only for values torch's module `__setattr__` does not
        # register itself (weights are Parameters): refused as torch does.
        self.register_parameter(self._lora_weight, value)  # type: ignore[attr-defined]

    def _int4_unpacked(self) -> torch.Tensor:
        """The stored int4 weight unpacked to `(rows, columns)` int8 values."""
        columns = self._int4_layout(self._int4_shape, self._int4_block_size)[1]
        return unpack_int4(self._stored_weight(), columns, axis=-1)

    def _int4_dequantized(self) -> torch.Tensor:
        """The int4 weight as floats, in the float weight's shape."""
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        values = self._int4_unpacked()
        scale = self._scale().to(dtype)
        axis = self._int4_group_axis
        if self._int4_block_size is None:
            if axis == -1:
                scale = scale.unsqueeze(-1)  # one scale per row
            weight = values.to(dtype) / scale
        else:
            weight = dequantize_grouped(
                values, scale, self._zero(), self.g_idx, axis
            ).to(dtype)
        return weight.reshape(self._int4_shape)

    def _scale(self) -> torch.Tensor:
        return getattr(self, f"{self._lora_weight}_scale")

    def _zero(self) -> torch.Tensor:
        return getattr(self, f"{self._lora_weight}_zero")

    def _block_size_of(self, config: Any) -> int | None:
        """The int4 block size (None: per channel), as Keras looks it up:
        the config's, else the `Int4DTypePolicy`'s, else per channel."""
        config = config if config is not None else self.quantization_config
        if isinstance(config, qconfig.Int4QuantizationConfig):
            size = config.block_size
        else:
            size = getattr(self.dtype_policy, "block_size", None)
        return None if size is None or size == -1 else int(size)

    def _quantized_build(
        self, mode: str = "int8", block_size: int | None = None
    ) -> None:
        """Replaces the float main weight by quantized zeros and scales of ones."""
        self._check_call()
        if mode == "float8":
            self._float8_build()  # type: ignore[attr-defined]
            return
        name = self._lora_weight
        old = getattr(self, name)
        shape = tuple(old.shape)
        delattr(self, name)
        if mode == "int4":
            self._int4_build(shape, block_size)
            return
        add_weight = self.add_weight  # type: ignore[attr-defined]
        setattr(
            self,
            name,
            add_weight(
                name=name,
                shape=shape,
                initializer="zeros",
                dtype="int8",
                trainable=False,
            ),
        )
        setattr(
            self,
            f"{name}_scale",
            add_weight(
                name=f"{name}_scale",
                shape=self._scale_shape(shape),
                initializer="ones",
                trainable=False,
            ),
        )
        config = self.quantization_config
        self._inputs_quantizer = (
            config.activation_quantizer if config is not None else AbsMaxQuantizer()
        )
        self._is_quantized = True
        # The instance attribute shadows the class's float `call`.
        self.call = self._int8_call

    def _int4_build(self, shape: tuple, block_size: int | None) -> None:
        """The packed int4 weight, its scale and, per block, zero and `g_idx`."""
        rows, columns, scale_shape, group_len = self._int4_layout(shape, block_size)
        name = self._lora_weight
        add_weight = self.add_weight  # type: ignore[attr-defined]
        frozen = {"initializer": "zeros", "trainable": False}
        setattr(
            self,
            name,
            add_weight(
                name=name, shape=(rows, (columns + 1) // 2), dtype="int8", **frozen
            ),
        )
        setattr(
            self,
            f"{name}_scale",
            add_weight(
                name=f"{name}_scale",
                shape=scale_shape,
                initializer="ones",
                trainable=False,
            ),
        )
        if block_size is not None:
            setattr(
                self,
                f"{name}_zero",
                add_weight(
                    name=f"{name}_zero", shape=scale_shape, dtype="int8", **frozen
                ),
            )
            self.g_idx = add_weight(
                name="g_idx", shape=(group_len,), dtype="float32", **frozen
            )
            with torch.no_grad():
                index = torch.arange(group_len, dtype=torch.float32)
                self.g_idx.copy_(torch.floor(index / block_size))
        config = self.quantization_config
        self._inputs_quantizer = config.activation_quantizer if config else None
        self._int4_block_size = block_size
        self._int4_shape = shape
        self._is_quantized = True
        self.call = self._int4_call

    def _int4_layout(
        self, shape: tuple, block_size: int | None
    ) -> tuple[int, int, tuple, int]:
        """`(rows, columns, scale_shape, len(g_idx))` of the int4 weight."""
        raise NotImplementedError

    def _quantize_int4(
        self, weight: torch.Tensor, config: Any, block_size: int | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """The unpacked `(rows, columns)` int4 values, the scale and the zero."""
        raise NotImplementedError

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _scale_shape(self, weight_shape: tuple) -> tuple:
        raise NotImplementedError

    def _quantize_weight(
        self, weight: torch.Tensor, quantizer: Any = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The int8 weight and its scale (in the stored layout)."""
        raise NotImplementedError

    def _dequantized(self) -> torch.Tensor:
        raise NotImplementedError

    def _int8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _lora_output(self, x: torch.Tensor, lora_in: torch.Tensor) -> torch.Tensor:
        """`x` plus the LoRA branch `scale * (lora_in @ b)`, in the compute dtype."""
        if not getattr(self, "lora_enabled", False):
            return x
        b = getattr(self, f"lora_{self._lora_weight}_b")
        scale = self.lora_alpha / self.lora_rank  # type: ignore[attr-defined]
        x = x + scale * torch.matmul(lora_in, b)
        return x.to(self._compute_torch_dtype)  # type: ignore[attr-defined]

    # -- weight files --------------------------------------------------------------
    @property
    def _uses_own_variables_io(self) -> bool:
        return self._is_quantized or bool(getattr(self, "lora_enabled", False))

    def _file_weights(self) -> list[tuple[str, torch.Tensor]]:
        """Keras's file order of a quantized layer: weight, bias, scale, and
        for sub-channel int4 the zero point and `g_idx`."""
        name = self._lora_weight
        out = [(name, self._stored_weight())]
        bias = getattr(self, "bias", None)
        if bias is not None:
            out.append(("bias", bias))
        if self.quantization_mode == "float8":
            names = Float8Quantization._float8_variables
            return out + [(n, getattr(self, n)) for n in names]
        out.append((f"{name}_scale", self._scale()))
        if self._int4_block_size is not None:
            out.append((f"{name}_zero", self._zero()))
            out.append(("g_idx", self.g_idx))
        return out

    def _merged_quantized(self) -> dict[str, torch.Tensor]:
        """The quantized weight, scale (and int4 zero) with the LoRA update
        merged in and quantized again, as Keras saves a LoRA layer."""
        name = self._lora_weight
        if not self._int4_shape:
            weight = self._dequantized() + self._lora_delta()  # type: ignore[attr-defined]
            values, scale = self._quantize_weight(weight)
            return {name: values, f"{name}_scale": scale}
        weight = self._int4_dequantized() + self._lora_delta()  # type: ignore[attr-defined]
        block_size = self._int4_block_size
        # No config: the merged weight gets the default int4 quantizer.
        values, scale, zero = self._quantize_int4(weight, None, block_size)
        merged = {
            name: pack_int4(values, axis=-1)[0],
            f"{name}_scale": scale,
        }
        if zero is not None:
            merged[f"{name}_zero"] = zero
        return merged

    def save_own_variables(self, store: dict[str, Any]) -> None:
        if not self._is_quantized:
            super().save_own_variables(store)  # type: ignore[misc]
            return
        items = self._file_weights()
        with torch.no_grad():
            if getattr(self, "lora_enabled", False):
                merged = self._merged_quantized()
                items = [
                    (n, merged[n].reshape(v.shape).to(v.dtype) if n in merged else v)
                    for n, v in items
                ]
        for i, (_, value) in enumerate(items):
            store[str(i)] = value.detach()

    def load_own_variables(self, store: dict[str, Any]) -> None:
        if not self._is_quantized:
            super().load_own_variables(store)  # type: ignore[misc]
            return
        targets = self._file_weights()
        if len(store) != len(targets):
            raise ValueError(
                f"{self._where()} expects {len(targets)} saved weight(s) "
                f"({', '.join(n for n, _ in targets)}), received {len(store)}."
            )
        values = [_as_tensor(store[str(i)]) for i in range(len(targets))]
        for (name, target), value in zip(targets, values):
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(
                    f"{self._where()} expects a saved {name!r} of shape "
                    f"{tuple(target.shape)}, received shape {tuple(value.shape)}."
                )
        with torch.no_grad():
            for (_, target), value in zip(targets, values):
                target.copy_(value.to(device=target.device, dtype=target.dtype))
            if getattr(self, "lora_enabled", False):
                getattr(self, f"lora_{self._lora_weight}_a").zero_()
                getattr(self, f"lora_{self._lora_weight}_b").zero_()


# -- Dense ------------------------------------------------------------------------
class DenseQuantization(QuantizationMixin, Float8Quantization):
    """Quantized `Dense`: int8 (one scale per unit, inputs quantized per row),
    int4 (kernel packed along the units) and float8."""

    _quantization_modes: ClassVar[tuple[str, ...]] = ("int8", "int4", "float8")

    @property
    def kernel(self) -> torch.Tensor:
        """The kernel variable; on an int4 layer its unpacked values.

        Returns:
            The `(input_dim, units)` variable, or on an int4 layer a tensor
            of int8 values in `[-8, 7]` of that shape (float, with the LoRA
            update added, once LoRA is on).

        Example:
        >>> from cornu.layers.core.dense import Dense
        >>> layer = Dense(5)
        >>> layer.build((None, 3))
        >>> layer.quantize("int4")
        >>> tuple(layer.kernel.shape), str(layer.kernel.dtype)
        ((3, 5), 'torch.int8')
        >>> [tuple(w.shape) for w in layer.weights if w.name == "kernel"]
        [(3, 3)]
        """
        return self._public_weight()

    @kernel.setter
    def kernel(self, value: Any) -> None:
        self._set_public_weight(value)

    def _float8_product(
        self, inputs: torch.Tensor, kernel: torch.Tensor
    ) -> torch.Tensor:
        return torch.matmul(inputs, kernel)

    def _scale_shape(self, weight_shape: tuple) -> tuple:
        return (weight_shape[-1],)

    def _quantize_weight(
        self, weight: torch.Tensor, quantizer: Any = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        quantizer = quantizer or AbsMaxQuantizer(axis=0)
        values, scale = quantizer(weight)  # (in, out), (1, out)
        return values, scale.squeeze(0)

    def _dequantized(self) -> torch.Tensor:
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        return self.kernel.to(dtype) / self.kernel_scale.to(dtype)  # type: ignore[attr-defined]

    def _int8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        # Float weights are read in the compute dtype, as Keras autocasts them.
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        kernel, kernel_scale = self.kernel, self.kernel_scale.to(dtype)  # type: ignore[attr-defined]
        if self._inputs_quantizer is None:
            # Weight-only: float inputs times the int8 kernel, then de-scaled.
            x = torch.matmul(inputs, kernel.to(inputs.dtype)) / kernel_scale
        else:
            q, inputs_scale = self._inputs_quantizer(inputs, axis=-1)  # (..., 1)
            x = int_matmul(q, kernel).to(dtype) / (kernel_scale * inputs_scale)
            x = with_dequantized_gradient(
                inputs, x, lambda t: torch.matmul(t, self._dequantized().to(t.dtype))
            )
        if getattr(self, "lora_enabled", False):
            x = self._lora_output(x, torch.matmul(inputs, self.lora_kernel_a))  # type: ignore[attr-defined]
        if self.bias is not None:  # type: ignore[attr-defined]
            x = x + self.bias.to(self._compute_torch_dtype)  # type: ignore[attr-defined]
        act = self._act  # type: ignore[attr-defined]
        return x if act is None else act(x)

    # -- int4: kernel (in, ceil(units / 2)), groups along the input axis ---------------
    def _int4_layout(
        self, shape: tuple, block_size: int | None
    ) -> tuple[int, int, tuple, int]:
        rows, columns = shape
        if block_size is None:
            return rows, columns, (columns,), rows
        return rows, columns, (-(-rows // block_size), columns), rows

    def _quantize_int4(
        self, weight: torch.Tensor, config: Any, block_size: int | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        if block_size is not None:
            return abs_max_quantize_grouped_with_zero_point(weight, block_size)
        quantizer = getattr(config, "weight_quantizer", None) or AbsMaxQuantizer(
            axis=0, value_range=_INT4_RANGE
        )
        values, scale = quantizer(weight)  # (in, units), (1, units)
        return values, scale.squeeze(0), None

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        kernel = self._int4_unpacked()  # (input_dim, units)
        scale = self.kernel_scale.to(dtype)  # type: ignore[attr-defined]
        if self._int4_block_size is not None:
            weight = dequantize_grouped(kernel, scale, self.kernel_zero, self.g_idx, 0)  # type: ignore[attr-defined]
            x = torch.matmul(inputs, weight.to(dtype))
        else:
            if self._inputs_quantizer is None:
                x = torch.matmul(inputs, kernel.to(inputs.dtype)).to(dtype) / scale
            else:
                q, inputs_scale = self._inputs_quantizer(inputs, axis=-1)
                x = int_matmul(q, kernel).to(dtype) / (scale * inputs_scale)
            x = with_dequantized_gradient(
                inputs,
                x,
                lambda t: torch.matmul(t, (kernel.to(dtype) / scale).to(t.dtype)),
            )
        if getattr(self, "lora_enabled", False):
            a = self.lora_kernel_a  # type: ignore[attr-defined]
            x = self._lora_output(x, torch.matmul(inputs.to(a.dtype), a))
        if self.bias is not None:  # type: ignore[attr-defined]
            x = x + self.bias.to(dtype)  # type: ignore[attr-defined]
        act = self._act  # type: ignore[attr-defined]
        return x if act is None else act(x)


# -- EinsumDense ----------------------------------------------------------------
class _EinsumLayout:
    """How the abs-max scales of an einsum's operands line up with its output.

    A scale keeps the operand's axes, with size 1 on the reduced ones (those
    absent from the output). It is permuted, expanded and squeezed so that
    it broadcasts against the output; the kernel scale is stored in that
    form, with Keras's axis bookkeeping, so files interchange.
    """

    def __init__(self, equation: str, ndim: int) -> None:
        in_spec, w_spec, out_spec = _full_specs(equation, ndim)
        self.input_reduced = [i for i, c in enumerate(in_spec) if c not in out_spec]
        self.kernel_reduced = [i for i, c in enumerate(w_spec) if c not in out_spec]
        # The last lookup of this scan seeds the insert position used below
        # when an operand has no expand axis left, as Keras's layout does.
        index = out_spec.find(w_spec[-1]) if w_spec else -1
        self.input_expand = [i for i, c in enumerate(out_spec) if c not in in_spec]
        self.kernel_expand = [i for i, c in enumerate(out_spec) if c not in w_spec]
        self.input_transpose = [in_spec.find(c) for c in out_spec if c in in_spec]
        self.kernel_transpose = [w_spec.find(c) for c in out_spec if c in w_spec]
        self.input_squeeze: list[int] = []
        self.kernel_squeeze: list[int] = []
        for reduced, expand, transpose, squeeze in (
            (
                self.input_reduced,
                self.input_expand,
                self.input_transpose,
                self.input_squeeze,
            ),
            (
                self.kernel_reduced,
                self.kernel_expand,
                self.kernel_transpose,
                self.kernel_squeeze,
            ),
        ):
            for axis in reduced:
                if expand:
                    index = expand.pop(0)
                else:
                    squeeze.append(axis)
                transpose.insert(index, axis)

    @staticmethod
    def _forward(
        scale: torch.Tensor, transpose: list[int], expand: list[int], squeeze: list[int]
    ) -> torch.Tensor:
        if transpose:
            scale = scale.permute(transpose)
        if expand:
            rank = scale.dim() + len(expand)
            for axis in sorted(a % rank for a in expand):
                scale = scale.unsqueeze(axis)
        if squeeze:
            scale = torch.squeeze(scale, dim=tuple(squeeze))
        return scale

    def input_scale(self, scale: torch.Tensor) -> torch.Tensor:
        return self._forward(
            scale, self.input_transpose, self.input_expand, self.input_squeeze
        )

    def kernel_scale(self, scale: torch.Tensor) -> torch.Tensor:
        return self._forward(
            scale, self.kernel_transpose, self.kernel_expand, self.kernel_squeeze
        )

    def kernel_scale_shape(self, kernel_shape: tuple) -> tuple:
        shape = [
            1 if i in self.kernel_reduced else d for i, d in enumerate(kernel_shape)
        ]
        return tuple(self.kernel_scale(torch.empty(shape, device="meta")).shape)

    def dequant_scale(self, scale: torch.Tensor) -> torch.Tensor:
        """The stored kernel scale back in the kernel's own layout."""
        if self.kernel_squeeze:
            rank = scale.dim() + len(self.kernel_squeeze)
            for axis in sorted(a % rank for a in self.kernel_squeeze):
                scale = scale.unsqueeze(axis)
        if self.kernel_expand:
            scale = torch.squeeze(scale, dim=tuple(self.kernel_expand))
        if self.kernel_transpose:
            scale = scale.permute(list(np.argsort(self.kernel_transpose)))
        return scale


def _full_specs(equation: str, ndim: int) -> tuple[str, str, str]:
    """The equation's specs, with `...` replaced by letters for `ndim` inputs."""
    lhs, out_spec = equation.split("->")
    in_spec, w_spec = lhs.split(",")
    if "..." not in in_spec:
        return in_spec, w_spec, out_spec
    used = set(in_spec + w_spec + out_spec)
    free = sorted(set(string.ascii_letters) - used)
    core_in = in_spec.replace("...", "")
    core_out = out_spec.replace("...", "")
    elided = ndim - len(core_in)
    if in_spec.startswith("..."):
        pad = "".join(free[i] for i in reversed(range(elided)))
        return pad + core_in, w_spec, pad + core_out
    pad = "".join(free[:elided])
    return core_in + pad, w_spec, core_out + pad


class EinsumDenseQuantization(QuantizationMixin, Float8Quantization):
    """Quantized `EinsumDense`: int8 (one scale per output position of the
    kernel), int4 (kernel flattened to (reduced, other) and packed) and float8."""

    _quantization_modes: ClassVar[tuple[str, ...]] = ("int8", "int4", "float8")

    @property
    def kernel(self) -> torch.Tensor:
        """The kernel variable; on an int4 layer its unpacked values."""
        return self._public_weight()

    @kernel.setter
    def kernel(self, value: Any) -> None:
        self._set_public_weight(value)

    def _float8_product(
        self, inputs: torch.Tensor, kernel: torch.Tensor
    ) -> torch.Tensor:
        return torch.einsum(self.equation, inputs, kernel)  # type: ignore[attr-defined]

    _einsum_layout: _EinsumLayout | None = None

    def _layout(self) -> _EinsumLayout:
        if self._einsum_layout is None:
            ndim = self.input_spec.ndim  # type: ignore[attr-defined]
            self._einsum_layout = _EinsumLayout(self.equation, ndim)  # type: ignore[attr-defined]
        return self._einsum_layout

    def _scale_shape(self, weight_shape: tuple) -> tuple:
        return self._layout().kernel_scale_shape(weight_shape)

    def _quantize_weight(
        self, weight: torch.Tensor, quantizer: Any = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        layout = self._layout()
        quantizer = quantizer or AbsMaxQuantizer(axis=layout.kernel_reduced)
        values, scale = quantizer(weight)
        return values, layout.kernel_scale(scale)

    def _dequantized(self) -> torch.Tensor:
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        scale = self._layout().dequant_scale(self.kernel_scale.to(dtype))  # type: ignore[attr-defined]
        return self.kernel.to(dtype) / scale  # type: ignore[attr-defined]

    def _int8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        layout = self._layout()
        equation = self.equation  # type: ignore[attr-defined]
        if self._inputs_quantizer is None:
            # Weight-only: float inputs times the dequantized kernel.
            x = torch.einsum(equation, inputs, self._dequantized().to(inputs.dtype))
        else:
            q, inputs_scale = self._inputs_quantizer(inputs, axis=layout.input_reduced)
            inputs_scale = layout.input_scale(inputs_scale)
            dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
            x = int_einsum(equation, q, self.kernel).to(dtype)  # type: ignore[attr-defined]
            x = x / (inputs_scale * self.kernel_scale.to(dtype))  # type: ignore[attr-defined]
            x = with_dequantized_gradient(
                inputs,
                x,
                lambda t: torch.einsum(equation, t, self._dequantized().to(t.dtype)),
            )
        if getattr(self, "lora_enabled", False):
            lora_in = torch.einsum(equation, inputs, self.lora_kernel_a)  # type: ignore[attr-defined]
            x = self._lora_output(x, lora_in)
        if self.bias is not None:  # type: ignore[attr-defined]
            x = x + self.bias.to(self._compute_torch_dtype)  # type: ignore[attr-defined]
        act = self._act  # type: ignore[attr-defined]
        return x if act is None else act(x)

    # -- int4: the kernel as (reduced axes, other axes), packed along the last ------
    def _int4_layout(
        self, shape: tuple, block_size: int | None
    ) -> tuple[int, int, tuple, int]:
        reduced = self._layout().kernel_reduced
        rows = int(np.prod([d for i, d in enumerate(shape) if i in reduced]))
        columns = int(np.prod([d for i, d in enumerate(shape) if i not in reduced]))
        if block_size is None:
            return rows, columns, (columns,), rows
        return rows, columns, (-(-rows // block_size), columns), rows

    def _quantize_int4(
        self, weight: torch.Tensor, config: Any, block_size: int | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        rows, columns, _, _ = self._int4_layout(tuple(weight.shape), block_size)
        # A plain row-major reshape, as Keras flattens the kernel (whatever
        # the position of the reduced axes); the weight quantizer of the
        # config is not used, as in Keras.
        flat = weight.reshape(rows, columns)
        if block_size is not None:
            return abs_max_quantize_grouped_with_zero_point(flat, block_size)
        values, scale = abs_max_quantize(flat, 0, _INT4_RANGE)
        return values, scale.squeeze(0), None

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        equation = self.equation  # type: ignore[attr-defined]
        shape = self._int4_shape
        kernel = self._int4_unpacked()  # (rows, columns)
        scale = self.kernel_scale.to(dtype)  # type: ignore[attr-defined]
        if self._int4_block_size is not None:
            weight = dequantize_grouped(kernel, scale, self.kernel_zero, self.g_idx, 0)  # type: ignore[attr-defined]
            x = torch.einsum(equation, inputs, weight.to(dtype).reshape(shape))
        else:
            weight = (kernel.to(dtype) / scale).reshape(shape)
            if self._inputs_quantizer is None:
                x = torch.einsum(equation, inputs, weight)
            else:
                layout = self._layout()
                q, inputs_scale = self._inputs_quantizer(
                    inputs, axis=layout.input_reduced
                )
                x = torch.einsum(equation, q.to(dtype), weight)
                x = x / layout.input_scale(inputs_scale)
                x = with_dequantized_gradient(
                    inputs, x, lambda t: torch.einsum(equation, t, weight.to(t.dtype))
                )
        if getattr(self, "lora_enabled", False):
            a = self.lora_kernel_a  # type: ignore[attr-defined]
            x = self._lora_output(x, torch.einsum(equation, inputs.to(a.dtype), a))
        if self.bias is not None:  # type: ignore[attr-defined]
            x = x + self.bias.to(dtype)  # type: ignore[attr-defined]
        act = self._act  # type: ignore[attr-defined]
        return x if act is None else act(x)


# -- Embedding ------------------------------------------------------------------
class EmbeddingQuantization(QuantizationMixin):
    """Quantized `Embedding`: int8 (one scale per row, per token) and int4
    (rows packed along the features, groups along the features)."""

    _int4_group_axis: ClassVar[int] = -1

    @property
    def embeddings(self) -> torch.Tensor:
        """The embeddings variable; on an int4 layer its unpacked values."""
        return self._public_weight()

    @embeddings.setter
    def embeddings(self, value: Any) -> None:
        self._set_public_weight(value)

    def _scale_shape(self, weight_shape: tuple) -> tuple:
        return (weight_shape[0],)

    def _quantize_weight(
        self, weight: torch.Tensor, quantizer: Any = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        quantizer = quantizer or AbsMaxQuantizer(axis=-1)
        values, scale = quantizer(weight)  # (vocab, dim), (vocab, 1)
        return values, scale.squeeze(-1)

    def _dequantized(self) -> torch.Tensor:
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        weight = self.embeddings.to(dtype)  # type: ignore[attr-defined]
        return weight / self.embeddings_scale.to(dtype).unsqueeze(-1)  # type: ignore[attr-defined]

    def _int8_call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype is not torch.int64 and inputs.dtype is not torch.int32:
            inputs = inputs.long()
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        scale = self.embeddings_scale.to(dtype)[inputs]  # type: ignore[attr-defined]
        rows = self.embeddings[inputs].to(dtype)  # type: ignore[attr-defined]
        outputs = rows / scale.unsqueeze(-1)  # (B, ..., output_dim)
        if getattr(self, "lora_enabled", False):
            outputs = self._lora_output(outputs, self.lora_embeddings_a[inputs])  # type: ignore[attr-defined]
        return outputs

    # -- int4: embeddings (vocab, ceil(dim / 2)), groups along the feature axis -------
    def _int4_layout(
        self, shape: tuple, block_size: int | None
    ) -> tuple[int, int, tuple, int]:
        rows, columns = shape
        if block_size is None:
            return rows, columns, (rows,), columns
        return rows, columns, (rows, -(-columns // block_size)), columns

    def _quantize_int4(
        self, weight: torch.Tensor, config: Any, block_size: int | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        if block_size is not None:
            # Grouped along the features: quantized as (dim, vocab).
            values, scale, zero = abs_max_quantize_grouped_with_zero_point(
                weight.T, block_size
            )
            return values.T.contiguous(), scale.T.contiguous(), zero.T.contiguous()
        quantizer = getattr(config, "weight_quantizer", None) or AbsMaxQuantizer(
            axis=-1, value_range=_INT4_RANGE
        )
        values, scale = quantizer(weight)  # (vocab, dim), (vocab, 1)
        return values, scale.squeeze(-1), None

    def _int4_call(self, inputs: torch.Tensor) -> torch.Tensor:
        if inputs.dtype is not torch.int64 and inputs.dtype is not torch.int32:
            inputs = inputs.long()
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        rows = self._int4_unpacked()[inputs].to(dtype)  # (B, ..., output_dim)
        scale = self.embeddings_scale.to(dtype)[inputs]  # type: ignore[attr-defined]
        if self._int4_block_size is None:
            outputs = rows / scale.unsqueeze(-1)
        else:
            zero = self.embeddings_zero[inputs]  # type: ignore[attr-defined]
            outputs = dequantize_grouped(rows, scale, zero, self.g_idx, -1)  # type: ignore[attr-defined]
        if getattr(self, "lora_enabled", False):
            outputs = self._lora_output(outputs, self.lora_embeddings_a[inputs])  # type: ignore[attr-defined]
        return outputs


def _selected(layer: Any, filters: Any) -> bool:
    if filters is None:
        return True
    if isinstance(filters, str):
        return bool(re.search(filters, layer.name))
    if isinstance(filters, (list, tuple)):
        return any(re.search(pattern, layer.name) for pattern in filters)
    return bool(filters(layer))


def quantize_model(
    model: Any,
    mode: str | None = None,
    config: Any = None,
    filters: Any = None,
    type_check: bool = True,
) -> None:
    """Quantizes every leaf layer of `model` that supports it (`Model.quantize`).

    Layers without `quantize` are skipped; a subclass of a quantizable
    layer is skipped with a warning, as Keras does.
    """
    if filters is not None and not isinstance(filters, (str, list, tuple)):
        if not callable(filters):
            raise ValueError(
                "The `filters` argument must be a regex string, a list of "
                f"regex strings, or a callable. Received: {type(filters)}"
            )
    config = qconfig.resolve(mode, config)
    mode = config.mode
    if not model.built:
        raise ValueError(
            "Cannot quantize a layer that isn't yet built. Layer "
            f"'{model.name}' (of type '{type(model).__name__}') is not built yet."
        )
    for layer in model.modules():
        if not isinstance(layer, QuantizationMixin) or not _selected(layer, filters):
            continue
        try:
            layer.quantize(mode, type_check=type_check, config=config)
        except NotImplementedError as e:
            # As Keras does: a layer that cannot take this mode is skipped.
            warnings.warn(str(e), stacklevel=3)


__all__ = [
    "DenseQuantization",
    "EinsumDenseQuantization",
    "EmbeddingQuantization",
    "QuantizationMixin",
    "quantize_model",
]

"""`EinsumDense`: a dense layer whose product is any einsum equation."""

from __future__ import annotations

import re
from typing import Any

import torch

from cornu import activations, constraints, initializers, regularizers
from cornu.core.input_spec import InputSpec
from cornu.core.layer import Layer
from cornu.initializers import VarianceScaling
from cornu.layers.core.lora import LoraMixin
from cornu.layers.core.quantization import EinsumDenseQuantization

# The three forms Keras accepts, with "..." written as "0": no ellipsis,
# ellipsis on the left of input and output, or on their right.
_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$"), False),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$"), True),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$"), False),
)


def _parse(equation: str) -> tuple[str, str, str, bool]:
    """Splits an equation into (input, kernel, output) specs and `left_elided`."""
    text = equation.replace("...", "0")
    for pattern, left_elided in _FORMS:
        match = pattern.match(text)
        if match:
            return match.group(1), match.group(2), match.group(3), left_elided
    raise ValueError(
        f"EinsumDense `equation` must look like 'ab,bc->ac', '...b,bc->...c' "
        f"or 'ab...,bc->ac...', received: {equation!r}."
    )


def analyze_equation(
    equation: str, bias_axes: str | None, input_shape: Any, output_shape: tuple
) -> tuple[list, list | None, list, list[int], list[int]]:
    """Shapes implied by an equation, following Keras's rules.

    Args:
        equation: the einsum equation.
        bias_axes: the output axes that get a bias, or `None`.
        input_shape: the full input shape (batch first).
        output_shape: the output shape without the batch axis and elided axes.

    Returns:
        `(kernel_shape, bias_shape, full_output_shape, input_axes,
        output_axes)`: the last two are the kernel axes that count towards
        fan-in and fan-out.
    """
    in_spec, w_spec, out_spec, left_elided = _parse(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(in_spec)
    full = [input_shape[0], *output_shape]
    if elided > 0 and left_elided:
        # The elided axes follow the batch axis.
        full[1:1] = input_shape[1:elided]
    elif elided > 0:
        full.extend(input_shape[len(input_shape) - elided :])
    if left_elided:
        in_index = {d: i + elided - len(input_shape) for i, d in enumerate(in_spec)}
        out_index = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_index = {d: i for i, d in enumerate(in_spec)}
        out_index = {d: i for i, d in enumerate(out_spec)}

    for d in in_spec:
        if d in out_index:
            want, got = full[out_index[d]], input_shape[in_index[d]]
            if want is None:
                # Keras leaves it unknown; the input tells it.
                full[out_index[d]] = got
            elif got is not None and want != got:
                raise ValueError(
                    f"EinsumDense input and output shapes differ at shared axis "
                    f"{d!r} of {equation!r}: input size {got}, output size "
                    f"{want} (input shape {input_shape}, output_shape "
                    f"{output_shape})."
                )
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise ValueError(
                f"EinsumDense output axis {d!r} of {equation!r} appears in "
                "neither the input nor the kernel."
            )
    kernel_shape, input_axes, output_axes = [], [], []
    for i, d in enumerate(w_spec):
        if d in out_index:
            kernel_shape.append(full[out_index[d]])
            output_axes.append(i)
        elif d in in_index:
            kernel_shape.append(input_shape[in_index[d]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"EinsumDense kernel axis {d!r} of {equation!r} appears in "
                "neither the input nor the output."
            )

    bias_shape = None
    if bias_axes is not None:
        for d in bias_axes:
            if d not in out_spec:
                raise ValueError(
                    f"EinsumDense `bias_axes` {bias_axes!r} names axis {d!r}, "
                    f"which is not an output axis of {equation!r}."
                )
        offset = elided if left_elided else 0
        # The bias spans the output axes from the first biased one to the
        # end, with size 1 on the axes that are not biased.
        first = min(out_spec.find(d) for d in bias_axes)
        bias_shape = [
            full[i + offset] if d in bias_axes else 1
            for i, d in enumerate(out_spec)
            if i >= first
        ]
        if not left_elided:
            bias_shape.extend([1] * max(elided, 0))
    return kernel_shape, bias_shape, full, input_axes, output_axes


class EinsumDense(EinsumDenseQuantization, LoraMixin, Layer):
    """A dense layer computing `activation(einsum(equation, inputs, kernel) + bias)`.

    Args:
        equation: an einsum equation over the input and the kernel, such as
            `"ab,bc->ac"`, `"...b,bc->...c"` or `"ab...,bc->ac..."`.
        output_shape: the output shape without the batch axis and the
            elided (`...`) axes; `None` entries are taken from the input.
            An int means a 1-D shape.
        activation: an activation name or function (default: none).
        bias_axes: the output axes (letters of `equation`) that get a bias;
            `None` for no bias.
        kernel_initializer: initializer of the kernel (`"glorot_uniform"`,
            with fans computed from the equation's input and output axes).
        bias_initializer: initializer of the bias (`"zeros"`).
        kernel_regularizer: regularizer of the kernel.
        bias_regularizer: regularizer of the bias.
        activity_regularizer: regularizer of the output.
        kernel_constraint: constraint on the kernel.
        bias_constraint: constraint on the bias.
        lora_rank: if set, LoRA of this rank is enabled at build (see
            `enable_lora`): the kernel is frozen and a trainable low-rank
            update is added to it.
        lora_alpha: scales the LoRA update by `lora_alpha / lora_rank`
            (default `lora_rank`).
        gptq_unpacked_column_size: kept for Keras compatibility; unused.
        quantization_config: an `Int8QuantizationConfig` (or its dict),
            used when the layer is (or gets) quantized; see `quantize`.

    Call arguments:
        inputs: the input tensor.

    Input shape:
        The shape `equation`'s input part describes, batch first.

    Output shape:
        `(batch_size, *output_shape)`, with the elided axes in place.

    Example:
    >>> layer = EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(np.ones((2, 32, 128), "float32")).shape
    torch.Size([2, 32, 64])
    """

    def __init__(
        self,
        equation: str,
        output_shape: int | tuple[int | None, ...],
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        gptq_unpacked_column_size: int | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _parse(equation)
        self.equation = equation
        self.partial_output_shape = (
            (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        )
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self._act = None if self.activation is activations.linear else self.activation
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_lora(lora_rank, lora_alpha)
        self.gptq_unpacked_column_size = gptq_unpacked_column_size
        self._init_quantization(quantization_config)
        self.bias: torch.Tensor | None = None

    def build(self, input_shape: Any) -> None:
        kernel_shape, bias_shape, _, input_axes, output_axes = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        init = self.kernel_initializer
        if isinstance(init, VarianceScaling) and (
            init.input_axes is None or init.output_axes is None
        ):
            # Fans come from the equation, not from the kernel's last two axes.
            config = {**init.get_config(), "seed": init.seed}
            config.update(input_axes=input_axes, output_axes=output_axes)
            init = type(init).from_config(config)
        self.kernel = self.add_weight(
            shape=kernel_shape,
            initializer=init,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            name="kernel",
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                shape=bias_shape,
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                name="bias",
            )
        self.input_spec = InputSpec(ndim=len(input_shape))

    def call(self, inputs: torch.Tensor) -> torch.Tensor:
        x = torch.einsum(self.equation, inputs, self._with_lora(self.kernel))
        if self.bias is not None:
            x = x + self.bias
        return x if self._act is None else self._act(x)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        _, _, full, _, _ = analyze_equation(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape
        )
        return tuple(full)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": self._serialized_quantization_config(),
        }

"""float8 training for `Dense` and `EinsumDense` (`layer.quantize("float8")`).

As Keras does, the float kernel stays and trains; the layer gains six
float32 variables, a scalar scale and an amax history (length
`amax_history_length`, 1024) for each of its inputs, its kernel and the
gradient of its outputs. The forward multiplies the inputs and the kernel
after a round trip through `float8_e4m3fn` (divide by the scale, clip, cast,
cast back, multiply); the gradient of the outputs takes the same round trip
through `float8_e5m2`. Delayed scaling: in training, the gradients of the
scale and history variables are their next values (the scale from the
largest amax of the history, the history rolled with the new amax), and the
optimizer overwrites them with it (`overwrite_with_gradient`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from cornu.quantizers.quantizers import (
    compute_float8_amax_history,
    compute_float8_scale,
    quantize_and_dequantize,
)

_E4M3_MAX = float(torch.finfo(torch.float8_e4m3fn).max)
_E5M2_MAX = float(torch.finfo(torch.float8_e5m2).max)


class _QuantizeDequantizeInputs(torch.autograd.Function):
    """Forward: the e4m3 round trip; backward: the upstream gradient, and in
    training the next scale and amax history as their variables' gradients."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        inputs: torch.Tensor,
        scale: torch.Tensor,
        amax_history: torch.Tensor,
        training: bool,
        compute_dtype: str,
    ) -> torch.Tensor:
        ctx.updates = None
        if training:
            new_scale = compute_float8_scale(
                torch.amax(amax_history, dim=0), scale.detach(), _E4M3_MAX
            )
            ctx.updates = (new_scale, compute_float8_amax_history(inputs, amax_history))
        return quantize_and_dequantize(
            inputs, scale.detach(), "float8_e4m3fn", compute_dtype
        )

    @staticmethod
    def backward(ctx: Any, upstream: torch.Tensor) -> Any:  # type: ignore[override]
        new_scale, new_history = ctx.updates or (None, None)
        return upstream, new_scale, new_history, None, None


class _QuantizeDequantizeOutputGradient(torch.autograd.Function):
    """Forward: the outputs unchanged; backward: the e5m2 round trip of the
    upstream gradient, and the next scale and amax history."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        outputs: torch.Tensor,
        scale: torch.Tensor,
        amax_history: torch.Tensor,
        compute_dtype: str,
    ) -> torch.Tensor:
        ctx.save_for_backward(scale.detach(), amax_history.detach())
        ctx.compute_dtype = compute_dtype
        return outputs.view_as(outputs)

    @staticmethod
    def backward(ctx: Any, upstream: torch.Tensor) -> Any:  # type: ignore[override]
        scale, amax_history = ctx.saved_tensors
        new_scale = compute_float8_scale(
            torch.amax(amax_history, dim=0), scale, _E5M2_MAX
        )
        grad = quantize_and_dequantize(
            upstream, scale, "float8_e5m2", ctx.compute_dtype
        )
        new_history = compute_float8_amax_history(upstream, amax_history)
        return grad, new_scale, new_history, None


class Float8Quantization:
    """float8 variables and call for a layer whose product is `_float8_product`."""

    _float8_variables: ClassVar[tuple[str, ...]] = (
        "inputs_scale",
        "inputs_amax_history",
        "kernel_scale",
        "kernel_amax_history",
        "outputs_grad_scale",
        "outputs_grad_amax_history",
    )

    def _float8_build(self) -> None:
        """Adds the scale and amax-history variables (the kernel stays)."""
        length = getattr(self.dtype_policy, "amax_history_length", 1024)  # type: ignore[attr-defined]
        add_weight = self.add_weight  # type: ignore[attr-defined]
        for name in self._float8_variables:
            history = name.endswith("history")
            variable = add_weight(
                name=name,
                shape=(length,) if history else (),
                initializer="zeros" if history else "ones",
                dtype="float32",
                trainable=True,
                autocast=False,
            )
            # The optimizer replaces these by their "gradient" (the update).
            variable.overwrite_with_gradient = True
            setattr(self, name, variable)
        self._is_quantized = True
        # The instance attributes shadow the class's float `call`, which
        # takes no `training` flag.
        self._call_has_training = True
        setattr(self, "call", self._float8_call)  # noqa: B010 (a bound method, not a weight)

    def _float8_product(
        self, inputs: torch.Tensor, kernel: torch.Tensor
    ) -> torch.Tensor:
        raise NotImplementedError

    def _float8_call(
        self, inputs: torch.Tensor, training: bool | None = None
    ) -> torch.Tensor:
        if getattr(self, "lora_enabled", False):
            raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
        compute = self.compute_dtype  # type: ignore[attr-defined]
        dtype = self._compute_torch_dtype  # type: ignore[attr-defined]
        train = bool(training)
        x = _QuantizeDequantizeInputs.apply(
            inputs, self.inputs_scale, self.inputs_amax_history, train, compute
        )
        kernel = _QuantizeDequantizeInputs.apply(
            self.kernel.to(dtype),  # type: ignore[attr-defined]
            self.kernel_scale,
            self.kernel_amax_history,
            train,
            compute,
        )
        x = _QuantizeDequantizeOutputGradient.apply(
            self._float8_product(x, kernel),
            self.outputs_grad_scale,
            self.outputs_grad_amax_history,
            compute,
        )
        bias = self.bias  # type: ignore[attr-defined]
        if bias is not None:
            if compute == "float32":
                # Keras rounds a float32 bias through bfloat16 here.
                bias = bias.to(torch.bfloat16).to(bias.dtype)
            x = x + bias.to(dtype)
        act = self._act  # type: ignore[attr-defined]
        return x if act is None else act(x)

    # The attributes the methods above read, declared for the type checker.
    inputs_scale: torch.Tensor
    inputs_amax_history: torch.Tensor
    kernel_scale: torch.Tensor
    kernel_amax_history: torch.Tensor
    outputs_grad_scale: torch.Tensor
    outputs_grad_amax_history: torch.Tensor


__all__ = ["Float8Quantization"]

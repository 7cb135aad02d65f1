"""`Bidirectional`: runs a recurrent layer forwards and backwards, and merges."""

from __future__ import annotations

from typing import Any

import torch

from cornu.core import serialization
from cornu.core.layer import Layer

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy_layer(layer: Layer, prefix: str, **overrides: Any) -> Layer:
    config = layer.get_config()
    name = str(config.get("name", layer.name))
    config.update(name=f"{prefix}{name.removeprefix(prefix)}", **overrides)
    return type(layer).from_config(config)


class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions and merges.

    The forward layer is a copy of `layer` (named `forward_<name>`); the
    backward layer is `backward_layer`, or a copy of `layer` with the
    opposite `go_backwards` (named `backward_<name>`). With
    `return_sequences`, the backward outputs are flipped back into time
    order before merging, and masked steps output zeros.

    Args:
        layer: a recurrent layer (`LSTM`, `GRU`, `SimpleRNN`, `RNN`, ...).
        merge_mode: how the two outputs combine: `"concat"` (default),
            `"sum"`, `"mul"`, `"ave"`, or `None` for a list of both.
        weights: optional initial weights, forward layer's then backward
            layer's, set when the layer is built.
        backward_layer: an optional recurrent layer for the backward pass;
            it must have the opposite `go_backwards` and the same
            `return_sequences`, `return_state` and `stateful`.

    Call arguments:
        sequences: `(batch_size, timesteps, features)`.
        initial_state: the forward layer's initial states followed by the
            backward layer's.
        mask: `(batch_size, timesteps)` booleans.
        training: whether dropout applies.

    Input shape:
        `(batch_size, timesteps, features)`.

    Output shape:
        The wrapped layer's output, with the last dimension doubled by
        `"concat"`; with `return_state`, `(output, *forward_states,
        *backward_states)`.

    Example:
    >>> layer = Bidirectional(LSTM(4, return_sequences=True))
    >>> layer(np.ones((2, 3, 5), "float32")).shape
    torch.Size([2, 3, 8])
    """

    forward_layer: Any
    backward_layer: Any

    def __init__(
        self,
        layer: Layer,
        merge_mode: str | None = "concat",
        weights: list[Any] | None = None,
        backward_layer: Layer | None = None,
        **kwargs: Any,
    ) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Bidirectional `layer` must be a keras Layer instance, received: {layer!r}."
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "Bidirectional `backward_layer` must be a keras Layer instance, "
                f"received: {backward_layer!r}."
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                "Bidirectional `merge_mode` must be one of 'concat', 'sum', 'mul', "
                f"'ave' or None, received: merge_mode={merge_mode!r}."
            )
        super().__init__(**kwargs)
        self.forward_layer = _copy_layer(layer, "forward_")
        if backward_layer is None:
            backward_layer = _copy_layer(
                layer, "backward_", go_backwards=not layer.go_backwards
            )
        self.backward_layer = backward_layer
        self._check_pair()
        for sublayer in (self.forward_layer, self.backward_layer):
            # With sequences out, a masked step must not leak the neighbouring
            # output into the merge.
            if hasattr(sublayer, "zero_output_for_mask"):
                sublayer.zero_output_for_mask = sublayer.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _check_pair(self) -> None:
        fwd, bwd = self.forward_layer, self.backward_layer
        if fwd.go_backwards == bwd.go_backwards:
            raise ValueError(
                "Bidirectional forward and backward layers must have different "
                f"`go_backwards`, received forward go_backwards={fwd.go_backwards} "
                f"and backward go_backwards={bwd.go_backwards}."
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(fwd, attr) != getattr(bwd, attr):
                raise ValueError(
                    f"Bidirectional forward and backward layers must have the same "
                    f"`{attr}`, received {getattr(fwd, attr)} (forward) and "
                    f"{getattr(bwd, attr)} (backward)."
                )

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        for sublayer in (self.forward_layer, self.backward_layer):
            if not sublayer.built:
                sublayer._build_with(tuple(sequences_shape))
        if self._initial_weights:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(
        self,
        sequences: torch.Tensor,
        initial_state: Any = None,
        mask: torch.Tensor | None = None,
        training: bool | None = None,
    ) -> Any:
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        kwargs: dict[str, Any] = {"mask": mask}
        if training is not None:
            kwargs["training"] = training
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states: tuple = ()
        if self.return_state:
            states = (*y[1:], *y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)  # back into time order
        output: Any
        if self.merge_mode == "concat":
            output = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    @property
    def states(self) -> tuple | None:
        """The carried states of both layers, when stateful."""
        fwd, bwd = self.forward_layer.states, self.backward_layer.states
        if fwd is None or bwd is None:
            return None
        return (*fwd, *bwd)

    def reset_states(self) -> None:
        self.reset_state()

    def reset_state(self) -> None:
        if not self.stateful:
            raise AttributeError(
                f'Layer "{self.name}" (Bidirectional) is not stateful: there are '
                "no states to reset."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        if not self.return_sequences:
            return None if self.merge_mode else (None, None)
        return previous_mask if self.merge_mode else (previous_mask, previous_mask)

    def compute_output_shape(
        self, sequences_shape: Any, initial_state_shape: Any = None
    ) -> Any:
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states: tuple = ()
        if self.return_state:
            shape, states = shape[0], tuple(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        output = (shape, shape) if self.merge_mode is None else (shape,)
        if self.return_state:
            return (*output, *states, *states)
        return output if self.merge_mode is None else shape

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialization.serialize_keras_object(self.forward_layer),
            "backward_layer": serialization.serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Layer:
        config = dict(config)
        config["layer"] = serialization.deserialize_keras_object(
            config["layer"], custom_objects
        )
        if config.get("backward_layer") is not None:
            config["backward_layer"] = serialization.deserialize_keras_object(
                config["backward_layer"], custom_objects
            )
        return super().from_config(config)

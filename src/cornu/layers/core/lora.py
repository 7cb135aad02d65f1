"""LoRA (low-rank adaptation) for the layers with one main weight matrix.

`LoraMixin` gives a layer Keras's `enable_lora(rank, ...)`: the main weight
(`kernel` of `Dense` / `EinsumDense`, `embeddings` of `Embedding`) is frozen
and two small trainable factors `a` (`weight.shape[:-1] + (rank,)`) and `b`
(`(rank, weight.shape[-1])`) are added, so that the layer computes with

    weight + (lora_alpha / lora_rank) * (a @ b)

The layer files stay free of LoRA: a layer inherits the mixin, names its
weight in `_lora_weight`, and passes that weight through `self._with_lora`
where `call` uses it. The mixin itself hooks into `build` (a `lora_rank`
given to `__init__` enables LoRA right after the layer's own `build`, as
Keras does), `get_config` (`lora_rank` and `lora_alpha`, so `from_config`
enables LoRA again) and weight files: as Keras does, a LoRA layer writes only
its merged weight and its other weights, and reading a file sets the main
weight from it and resets the factors to zero.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

import numpy as np
import torch

from cornu import initializers


def _variable_of(tensor: torch.Tensor) -> Any:
    """The parameter behind `tensor` (itself, or the base of a view of it)."""
    if isinstance(tensor, torch.nn.Parameter):
        return tensor
    base = tensor._base
    return base if isinstance(base, torch.nn.Parameter) else tensor


def _as_tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    return torch.as_tensor(np.asarray(value))


def _enable_after_build(build: Any) -> Any:
    @functools.wraps(build)
    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        out = build(self, *args, **kwargs)
        if self.lora_rank and not self.lora_enabled:
            # The configured alpha is kept (Keras's EinsumDense keeps it; its
            # Dense and Embedding reset it to the rank here).
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)
        return out

    wrapped._lora_hooked = True  # type: ignore[attr-defined]
    return wrapped


class LoraMixin:
    """Adds `enable_lora` to a layer whose main weight is `_lora_weight`.

    A layer using it lists the mixin before `Layer` in its bases, sets
    `_lora_weight` (`"kernel"`, `"embeddings"`), calls
    `self._init_lora(lora_rank, lora_alpha)` in `__init__` and reads its
    weight in `call` as `self._with_lora(self.kernel)`.
    """

    _lora_weight: ClassVar[str] = "kernel"
    lora_enabled: bool = False
    lora_rank: int | None = None
    lora_alpha: float | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_lora_hooked", False):
            cls.build = _enable_after_build(build)  # type: ignore[attr-defined]

    def _init_lora(self, lora_rank: int | None, lora_alpha: float | None) -> None:
        """Validates and stores the LoRA arguments of `__init__`."""
        if lora_rank is not None:
            self._check_rank(lora_rank)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _check_rank(self, rank: Any) -> None:
        if (
            not isinstance(rank, (int, np.integer))
            or isinstance(rank, bool)
            or (rank <= 0)
        ):
            raise ValueError(
                f"{type(self).__name__} LoRA rank must be a positive integer, "
                f"received: {rank!r}."
            )

    def _where(self) -> str:
        return f'Layer "{self.name}" ({type(self).__name__})'  # type: ignore[attr-defined]

    # -- the extension point used by `call` ----------------------------------
    def _with_lora(self, weight: torch.Tensor) -> torch.Tensor:
        """`weight` itself, or `weight + scale * (a @ b)` once LoRA is on."""
        if not self.lora_enabled:
            return weight
        return weight + self._lora_delta().to(weight.dtype)

    def _lora_delta(self) -> torch.Tensor:
        scale = self.lora_alpha / self.lora_rank  # type: ignore[operator]
        a = getattr(self, f"lora_{self._lora_weight}_a")
        b = getattr(self, f"lora_{self._lora_weight}_b")
        return torch.matmul(a, b) * scale  # weight.shape

    # -- public API -------------------------------------------------------------
    def enable_lora(
        self,
        rank: int,
        lora_alpha: float | None = None,
        a_initializer: Any = "he_uniform",
        b_initializer: Any = "zeros",
    ) -> None:
        """Freezes the main weight and adds trainable low-rank factors.

        Args:
            rank: the rank of the update `a @ b`.
            lora_alpha: the update is scaled by `lora_alpha / rank`
                (default `rank`, a scale of 1).
            a_initializer: initializer of `a` (`"he_uniform"`).
            b_initializer: initializer of `b` (`"zeros"`, so the layer's
                output does not change at first).

        Raises:
            ValueError: the layer is not built, LoRA is already on, the rank
                is not a positive integer, or the weight has a constraint.

        Example:
        >>> from cornu.layers.core.dense import Dense
        >>> layer = Dense(4)
        >>> layer.build((None, 3))
        >>> layer.enable_lora(2)
        >>> [w.name for w in layer.trainable_weights]
        ['bias', 'lora_kernel_a', 'lora_kernel_b']
        """
        name = self._lora_weight
        if getattr(self, f"{name}_constraint", None) is not None:
            raise ValueError(
                f"{self._where()} cannot enable LoRA while it has a "
                f"`{name}_constraint`; remove the constraint first."
            )
        if not self.built:  # type: ignore[attr-defined]
            raise ValueError(
                f"{self._where()} cannot enable LoRA before it is built; call "
                "it on data or `build` it first."
            )
        if self.lora_enabled:
            raise ValueError(
                f"{self._where()} already has LoRA enabled (rank "
                f"{self.lora_rank}); it can be enabled once per layer."
            )
        self._check_rank(rank)
        weight = getattr(self, name)
        shape = tuple(weight.shape)
        regularizer = getattr(self, f"{name}_regularizer", None)
        add_weight = self.add_weight  # type: ignore[attr-defined]
        # float32 factors, whatever the layer's dtype: low-precision factors
        # under- or overflow in fine-tuning.
        a = add_weight(
            shape=(*shape[:-1], rank),
            initializer=initializers.get(a_initializer),
            dtype="float32",
            regularizer=regularizer,
            name=f"lora_{name}_a",
        )
        b = add_weight(
            shape=(rank, shape[-1]),
            initializer=initializers.get(b_initializer),
            dtype="float32",
            regularizer=regularizer,
            name=f"lora_{name}_b",
        )
        setattr(self, f"lora_{name}_a", a)
        setattr(self, f"lora_{name}_b", b)
        _variable_of(weight).trainable = False
        self.lora_enabled = True
        self.lora_rank = int(rank)
        self.lora_alpha = lora_alpha if lora_alpha is not None else int(rank)

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = super().get_config()  # type: ignore[misc]
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config

    # -- weight files -----------------------------------------------------------
    @property
    def _uses_own_variables_io(self) -> bool:
        """Whether weight files go through `save/load_own_variables`."""
        return self.lora_enabled

    def _saved_weights(self) -> list[torch.Tensor]:
        """The weights Keras writes: the main one first, the factors left out."""
        name = self._lora_weight
        skip = {
            id(getattr(self, f"lora_{name}_a")),
            id(getattr(self, f"lora_{name}_b")),
            id(_variable_of(getattr(self, name))),
        }
        own = self._own_weights()  # type: ignore[attr-defined]
        return [getattr(self, name), *(w for w in own if id(w) not in skip)]

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Writes the merged weight, then the other weights, as `"0"`, `"1"`..."""
        if not self.lora_enabled:
            for i, w in enumerate(self._own_weights()):  # type: ignore[attr-defined]
                store[str(i)] = w.detach()
            return
        saved = self._saved_weights()
        with torch.no_grad():
            store["0"] = self._with_lora(saved[0]).detach()
        for i, w in enumerate(saved[1:], start=1):
            store[str(i)] = w.detach()

    def load_own_variables(self, store: dict[str, Any]) -> None:
        """Reads weights written by `save_own_variables`; zeroes the factors."""
        targets = (
            self._saved_weights() if self.lora_enabled else self._own_weights()  # type: ignore[attr-defined]
        )
        if len(store) != len(targets):
            raise ValueError(
                f"{self._where()} expects {len(targets)} saved weight(s), "
                f"received {len(store)}."
            )
        values = [_as_tensor(store[str(i)]) for i in range(len(targets))]
        for target, value in zip(targets, values):
            if tuple(value.shape) != tuple(target.shape):
                raise ValueError(
                    f"{self._where()} expects a saved weight of shape "
                    f"{tuple(target.shape)}, received shape {tuple(value.shape)}."
                )
        with torch.no_grad():
            for target, value in zip(targets, values):
                # copy_ writes through views, whatever the weight's storage.
                target.copy_(value.to(device=target.device, dtype=target.dtype))
            if self.lora_enabled:
                getattr(self, f"lora_{self._lora_weight}_a").zero_()
                getattr(self, f"lora_{self._lora_weight}_b").zero_()


__all__ = ["LoraMixin"]

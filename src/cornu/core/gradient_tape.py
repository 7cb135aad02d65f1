"""`GradientTape`: Keras's custom-loop API over torch autograd."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch

from cornu import tree


class GradientTape:
    """Records operations so that `gradient` can differentiate them.

    A thin layer over torch autograd: inside the `with` block gradients are
    enabled (even under `torch.no_grad()` outside), and `gradient` calls
    `torch.autograd.grad`. Trainable variables are always watched; plain
    tensors are watched with `watch`.

    Args:
        persistent: allow several `gradient` calls on the same tape.
        watch_accessed_variables: when False, only tensors and variables
            passed to `watch` receive gradients (others get `None`).

    Example:
    >>> w = Variable(np.ones((2,)), name="w")
    >>> with GradientTape() as tape:
    ...     loss = (w * w).sum()
    >>> tape.gradient(loss, w).tolist()
    [2.0, 2.0]
    """

    def __init__(
        self, persistent: bool = False, watch_accessed_variables: bool = True
    ) -> None:
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched: set[int] = set()
        self._used = False
        self._grad_mode: Any = None

    def __enter__(self) -> GradientTape:
        self._grad_mode = torch.enable_grad()
        self._grad_mode.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._grad_mode.__exit__(*exc)

    def watch(self, tensor: Any) -> None:
        """Makes gradients with respect to `tensor` (or a structure of them) available."""
        for t in tree.flatten(tensor):
            if isinstance(t, torch.Tensor):
                if not t.requires_grad:
                    if not t.is_leaf:
                        raise ValueError(
                            "Cannot watch a tensor computed outside the tape; "
                            "watch it before using it."
                        )
                    t.requires_grad_(True)
                self._watched.add(id(t))

    @contextlib.contextmanager
    def stop_recording(self) -> Iterator[None]:
        """Operations in this block are not recorded."""
        with torch.no_grad():
            yield

    def reset(self) -> None:
        self._watched.clear()
        self._used = False

    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: str = "none",
    ) -> Any:
        """Gradients of `target` with respect to each of `sources`.

        Args:
            target: a tensor (or a structure of tensors, summed) to differentiate.
            sources: a tensor, variable, or a nested structure of them.
            output_gradients: optional gradients of `target`, as in a
                vector-Jacobian product.
            unconnected_gradients: `"none"` (Keras's default) or `"zero"`
                for sources `target` does not depend on.

        Returns:
            Gradients in the structure of `sources`; `None` where a source
            is unconnected (or zeros with `unconnected_gradients="zero"`).
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one "
                "set of gradients (or jacobians). Create it with "
                "`GradientTape(persistent=True)` to call `gradient` again."
            )
        self._used = True
        flat_sources = tree.flatten(sources)
        targets = [t for t in tree.flatten(target) if isinstance(t, torch.Tensor)]
        grads_out = None if output_gradients is None else tree.flatten(output_gradients)
        wanted = [
            i
            for i, s in enumerate(flat_sources)
            if isinstance(s, torch.Tensor)
            and s.requires_grad
            and (self.watch_accessed_variables or id(s) in self._watched)
        ]
        results: list[Any] = [None] * len(flat_sources)
        if wanted and any(t.requires_grad for t in targets):
            grads = torch.autograd.grad(
                [t for t in targets if t.requires_grad],
                [flat_sources[i] for i in wanted],
                grad_outputs=grads_out,
                retain_graph=self.persistent,
                allow_unused=True,
            )
            for i, g in zip(wanted, grads):
                results[i] = g
        if unconnected_gradients == "zero":
            results = [
                torch.zeros_like(s) if g is None and isinstance(s, torch.Tensor) else g
                for g, s in zip(results, flat_sources)
            ]
        if isinstance(sources, torch.Tensor):
            return results[0]
        return tree.pack_sequence_as(sources, results)

"""`export_model`: ONNX, `torch.export` (`.pt2`) and ExecuTorch (`.pte`).

Every export is verified before it is put in place: the artifact is run in
its own runtime (onnxruntime, `torch.export.load`, the ExecuTorch runtime)
on sample inputs at two batch sizes and compared with the model's own
outputs; a difference above the tolerance is an error and leaves no file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from cornu import tree
from cornu.export.input_spec import InputSignature, model_signature
from cornu.export.input_spec import sample_inputs as make_sample_inputs
from cornu.saving.atomic import atomic_path

FORMATS = ("onnx", "torch", "executorch")
_EXTENSIONS = {".onnx": "onnx", ".pt2": "torch", ".pte": "executorch"}
# The batch size traced at export; verification uses others, so a batch
# dimension wrongly frozen to it is caught.
_TRACE_BATCH = 2


class ExportVerificationError(RuntimeError):
    """The exported artifact's outputs differ from the model's."""


@dataclasses.dataclass
class ExportResult:
    """What was exported, and how well the artifact matches the model.

    Attributes:
        path: the artifact's path.
        format: `"onnx"`, `"torch"` or `"executorch"`.
        runtime: the runtime that ran the artifact, with its version.
        max_abs_diff: the largest absolute difference between the
            artifact's and the model's outputs over all checks.
        tolerance: the allowed difference, `atol + rtol * |expected|`.
        batch_sizes: the batch sizes verified.
        dynamic_axes: per input, the axes left dynamic in the artifact.
    """

    path: str
    format: str
    runtime: str
    max_abs_diff: float
    tolerance: tuple[float, float]
    batch_sizes: tuple[int, ...]
    dynamic_axes: list[list[int]]

    def __str__(self) -> str:
        atol, rtol = self.tolerance
        return (
            f"Exported {self.format} artifact to {self.path}; verified with "
            f"{self.runtime} at batch sizes {list(self.batch_sizes)}: max abs "
            f"diff {self.max_abs_diff:.3g} (atol={atol:g}, rtol={rtol:g})."
        )


class _Inference(torch.nn.Module):
    """The model in inference mode, called on flat tensors.

    Args:
        model: the model.
        signature: how the flat tensors become the model's input.
    """

    def __init__(self, model: Any, signature: InputSignature) -> None:
        super().__init__()
        self.model = model
        self._signature = signature

    def forward(self, *inputs: torch.Tensor) -> Any:
        packed = self._signature.pack(list(inputs))
        return _flatten_outputs(self.model(packed, training=False))


@contextlib.contextmanager
def _exportable(model: torch.nn.Module) -> Iterator[None]:
    """Presents the model to torch.export as a plain module tree, temporarily.

    Two changes, undone afterwards: cornu Variables are swapped for plain
    `nn.Parameter`s (the program then holds ordinary tensors and runs
    without cornu, and exporters that call tensor methods with torch-only
    arguments, such as `numpy(force=True)`, work), and submodules and
    weights registered under dotted keys (layers kept in a list attribute,
    `"blocks.0"`) get dot-free keys, since torch resolves dots as nesting.
    """
    plain: dict[int, torch.nn.Parameter] = {}
    saved: list[tuple[dict, dict]] = []
    for module in list(model.modules()):
        for table_name in ("_parameters", "_modules"):
            table = module.__dict__[table_name]
            original = dict(table)
            renamed: dict[str, Any] = {}
            for key, value in original.items():
                if table_name == "_parameters" and value is not None:
                    if type(value) is not torch.nn.Parameter:
                        if id(value) not in plain:
                            plain[id(value)] = torch.nn.Parameter(
                                value.detach(), requires_grad=False
                            )
                        value = plain[id(value)]
                new_key = key.replace(".", "_")
                while new_key in renamed or (new_key != key and new_key in original):
                    new_key += "_"
                renamed[new_key] = value
            table.clear()
            table.update(renamed)
            saved.append((table, original))
    try:
        yield
    finally:
        for table, original in saved:
            table.clear()
            table.update(original)


def _flatten_outputs(out: Any) -> tuple[torch.Tensor, ...]:
    if isinstance(out, torch.Tensor):
        return (out,)
    if isinstance(out, dict):
        return tuple(tree.flatten([out[k] for k in sorted(out)]))
    return tuple(tree.flatten(out))


@contextlib.contextmanager
def _quiet_exporters() -> Iterator[None]:
    """Silences the exporters' own deprecation chatter (not actionable here)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


def _dynamic_shapes(
    signature: InputSignature, all_unknown: bool, max_batch: int | None
) -> tuple[tuple[dict[int, Any], ...], list[list[int]]]:
    batch = (
        torch.export.Dim("batch", min=1, max=max_batch)
        if max_batch
        else (torch.export.Dim("batch", min=1))
    )
    shapes, axes = [], []
    for i, spec in enumerate(signature.specs):
        dims: dict[int, Any] = {0: batch}
        if all_unknown:
            for axis, d in enumerate(spec.shape[1:], start=1):
                if d is None:
                    dims[axis] = torch.export.Dim(f"{spec.name}_{axis}_{i}", min=2)
        shapes.append(dims)
        axes.append(sorted(dims))
    return tuple(shapes), axes


def _export_program(
    module: _Inference, signature: InputSignature, max_batch: int | None
) -> tuple[torch.export.ExportedProgram, list[list[int]]]:
    example = tuple(make_sample_inputs(signature, _TRACE_BATCH))
    errors = []
    # First with every unknown dimension dynamic; if the model needs some of
    # them fixed (e.g. a Flatten before a Dense), with the batch alone.
    for all_unknown in (True, False):
        dynamic, axes = _dynamic_shapes(signature, all_unknown, max_batch)
        try:
            with _quiet_exporters(), _exportable(module):
                program = torch.export.export(
                    # `forward(*inputs)`: the specs go in one tuple.
                    module,
                    example,
                    dynamic_shapes=(dynamic,),
                    strict=False,
                )
            return program, axes
        except Exception as e:  # noqa: BLE001 - reported below with the cause
            errors.append(e)
    raise RuntimeError(
        "torch.export could not trace the model with a dynamic batch "
        f"dimension: {type(errors[-1]).__name__}: {errors[-1]}"
    ) from errors[-1]


def _compare(
    got: list[np.ndarray], want: list[np.ndarray], atol: float, rtol: float
) -> tuple[float, bool]:
    if len(got) != len(want):
        raise ExportVerificationError(
            f"The artifact returns {len(got)} output(s); the model returns {len(want)}."
        )
    worst, ok = 0.0, True
    for g, w in zip(got, want):
        if g.shape != w.shape:
            raise ExportVerificationError(
                f"The artifact returned an output of shape {g.shape}; the model's "
                f"is {w.shape}."
            )
        if g.size == 0:
            continue
        diff = np.abs(g.astype(np.float64) - w.astype(np.float64))
        worst = max(worst, float(diff.max()))
        ok = ok and bool(np.all(diff <= atol + rtol * np.abs(w.astype(np.float64))))
    return worst, ok


def _verify(
    run: Callable[[list[torch.Tensor]], list[np.ndarray]],
    module: _Inference,
    signature: InputSignature,
    batch_sizes: tuple[int, ...],
    atol: float,
    rtol: float,
    given: list[torch.Tensor] | None,
) -> float:
    worst = 0.0
    for i, batch in enumerate(batch_sizes):
        if given is not None:
            inputs = [_take(x, batch) for x in given]
        else:
            inputs = make_sample_inputs(signature, batch, seed=i + 1)
        with torch.no_grad():
            want = [t.detach().cpu().numpy() for t in module(*inputs)]
        got = run(inputs)
        diff, ok = _compare(got, want, atol, rtol)
        worst = max(worst, diff)
        if not ok:
            raise ExportVerificationError(
                f"The exported artifact does not match the model at batch size "
                f"{batch}: max abs diff {diff:.3g} exceeds atol={atol:g}, "
                f"rtol={rtol:g}. The artifact was not saved."
            )
    return worst


def _take(x: torch.Tensor, batch: int) -> torch.Tensor:
    if x.shape[0] >= batch:
        return x[:batch]
    reps = -(-batch // x.shape[0])
    return x.repeat(reps, *([1] * (x.dim() - 1)))[:batch]


# -- the formats ----------------------------------------------------------------
def _need(module: str, extra: str, purpose: str) -> Any:
    import importlib

    try:
        with _quiet_exporters():
            return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"{purpose} needs the `{module.split('.')[0]}` package: "
            f"`pip install cornu[{extra}]`."
        ) from e


def _export_onnx(
    program: torch.export.ExportedProgram,
    path: str,
    signature: InputSignature,
    n_outputs: int,
) -> tuple[Callable, str]:
    _need("onnxscript", "onnx", "Exporting to ONNX")
    _need("onnx", "onnx", "Exporting to ONNX")
    ort = _need("onnxruntime", "onnx", "Verifying an ONNX export")
    input_names = [s.name for s in signature.specs]
    output_names = [f"output_{i}" for i in range(n_outputs)]
    with _quiet_exporters():
        torch.onnx.export(
            program,
            f=path,
            input_names=input_names,
            output_names=output_names,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])

    def run(inputs: list[torch.Tensor]) -> list[np.ndarray]:
        feed = {n: x.numpy() for n, x in zip(input_names, inputs)}
        return [np.asarray(y) for y in session.run(None, feed)]

    return run, f"onnxruntime {ort.__version__}"


def _export_torch(
    program: torch.export.ExportedProgram, path: str
) -> tuple[Callable, str]:
    with _quiet_exporters():
        torch.export.save(program, path)
        loaded = torch.export.load(path).module()

    def run(inputs: list[torch.Tensor]) -> list[np.ndarray]:
        with torch.no_grad(), _quiet_exporters():
            out = loaded(*inputs)
        return [t.detach().cpu().numpy() for t in _flatten_outputs(out)]

    return run, f"torch.export.load (torch {torch.__version__})"


def _export_executorch(
    program: torch.export.ExportedProgram, path: str
) -> tuple[Callable, str]:
    exir = _need("executorch.exir", "executorch", "Exporting to ExecuTorch")
    runtime_mod = _need(
        "executorch.runtime", "executorch", "Verifying an ExecuTorch export"
    )
    partitioners = []
    with contextlib.suppress(ImportError), _quiet_exporters():
        from executorch.backends.xnnpack.partition.xnnpack_partitioner import (
            XnnpackPartitioner,
        )

        partitioners.append(XnnpackPartitioner())
    with _quiet_exporters():
        edge = exir.to_edge_transform_and_lower(program, partitioner=partitioners)
        buffer = edge.to_executorch().buffer
    with open(path, "wb") as f:
        f.write(buffer)
    method = runtime_mod.Runtime.get().load_program(path).load_method("forward")

    def run(inputs: list[torch.Tensor]) -> list[np.ndarray]:
        out = method.execute([x.contiguous() for x in inputs])
        return [
            np.asarray(t.detach().cpu().numpy() if hasattr(t, "detach") else t)
            for t in out
        ]

    return run, f"ExecuTorch runtime {_version('executorch')}".strip()


def _version(distribution: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


def _infer_format(path: str, format: str | None) -> str:
    if format is None:
        return _EXTENSIONS.get(os.path.splitext(path)[1].lower(), "onnx")
    if format == "tf_saved_model":
        raise ValueError(
            "cornu has no TensorFlow: `format='tf_saved_model'` is not available. "
            "Export to 'onnx' (servable by ONNX Runtime, Triton, browsers), "
            "'torch' (a torch.export program) or 'executorch'."
        )
    if format not in FORMATS:
        raise ValueError(
            f"Unknown export format {format!r}; expected one of {list(FORMATS)}."
        )
    return format


def export_model(
    model: Any,
    filepath: str | os.PathLike[str],
    format: str | None = None,
    verbose: bool | None = None,
    input_signature: Any = None,
    sample_inputs: Any = None,
    batch_sizes: tuple[int, int] = (1, 3),
    atol: float = 1e-4,
    rtol: float = 1e-4,
    max_batch_size: int = 1024,
) -> ExportResult:
    """Exports `model` for inference and verifies the artifact against it.

    The batch dimension (and, where the model allows, every other unknown
    dimension) stays dynamic. After writing, the artifact is run in its own
    runtime on sample inputs at two batch sizes and compared with the
    model; only a matching artifact is put at `filepath` (atomically).

    Args:
        model: a built model.
        filepath: the artifact's path (`.onnx`, `.pt2` or `.pte`).
        format: `"onnx"`, `"torch"` (a `torch.export` program, reloadable
            with `torch.export.load`) or `"executorch"`; by default from the
            file extension, else `"onnx"`.
        verbose: print the verification result (default True).
        input_signature: the inputs' specs when the model does not know them
            (a `keras.Input`, an `InputSpec`, a shape with the batch first,
            or a sample array; a list or dict of those for several inputs).
        sample_inputs: arrays to verify on instead of random ones (a list
            for several inputs); their batch is cut or tiled to each of
            `batch_sizes`.
        batch_sizes: the two batch sizes verified.
        atol: absolute tolerance of the verification.
        rtol: relative tolerance of the verification.
        max_batch_size: the largest batch an ExecuTorch program accepts
            (its dynamic dimensions need a bound).

    Returns:
        An `ExportResult` (path, runtime, max abs diff, ...).

    Raises:
        ExportVerificationError: the artifact's outputs differ from the
            model's beyond the tolerance (no file is written).
        ImportError: the format's package is missing (the message names the
            `pip install cornu[...]` extra).

    Example:
    >>> import os, tempfile
    >>> import cornu as keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.pt2")
    >>> result = export_model(model, path, format="torch", verbose=False)
    >>> result.max_abs_diff < 1e-5
    True
    """
    path = os.fspath(filepath)
    fmt = _infer_format(path, format)
    if not getattr(model, "built", False):
        raise ValueError(
            f'Cannot export model "{model.name}": it is not built yet. Call it '
            "on data or build it first."
        )
    if sample_inputs is not None and input_signature is None:
        input_signature = sample_inputs
    signature = model_signature(model, input_signature)
    given = None
    if sample_inputs is not None:
        flat = (
            [sample_inputs]
            if signature.structure == "single"
            else (
                list(sample_inputs.values())
                if isinstance(sample_inputs, dict)
                else list(sample_inputs)
            )
        )
        given = [torch.as_tensor(np.asarray(x)) for x in flat]
    module = _Inference(model, signature).eval()
    started = time.perf_counter()
    program, axes = _export_program(
        module, signature, max_batch_size if fmt == "executorch" else None
    )
    with torch.no_grad():
        n_outputs = len(module(*sample_inputs_for(signature)))
    # torch.export insists on a `.pt2` name, even for the temporary file.
    with atomic_path(path, suffix=f".tmp{os.path.splitext(path)[1]}") as tmp:
        if fmt == "onnx":
            run, runtime = _export_onnx(program, tmp, signature, n_outputs)
        elif fmt == "torch":
            run, runtime = _export_torch(program, tmp)
        else:
            run, runtime = _export_executorch(program, tmp)
        worst = _verify(run, module, signature, tuple(batch_sizes), atol, rtol, given)
    result = ExportResult(
        path=path,
        format=fmt,
        runtime=runtime,
        max_abs_diff=worst,
        tolerance=(atol, rtol),
        batch_sizes=tuple(batch_sizes),
        dynamic_axes=axes,
    )
    if verbose is None or verbose:
        print(f"{result} ({time.perf_counter() - started:.1f} s)")
    return result


def sample_inputs_for(signature: InputSignature) -> list[torch.Tensor]:
    return make_sample_inputs(signature, _TRACE_BATCH)


__all__ = ["export_model", "ExportResult", "ExportVerificationError", "FORMATS"]

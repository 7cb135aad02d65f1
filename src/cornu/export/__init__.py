"""`keras.export`: verified exports to ONNX, `torch.export` and ExecuTorch.

`model.export(path, format=...)` calls `export_model`; every artifact is run
in its own runtime and compared with the model before it is kept.
"""

from cornu.export.export_archive import ExportArchive
from cornu.export.export_lib import (
    FORMATS,
    ExportResult,
    ExportVerificationError,
    export_model,
)
from cornu.export.input_spec import InputSignature, TensorSpec

__all__ = [
    "ExportArchive",
    "FORMATS",
    "ExportResult",
    "ExportVerificationError",
    "InputSignature",
    "TensorSpec",
    "export_model",
]

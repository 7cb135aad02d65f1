"""The `.keras` archive: a zip of `metadata.json`, `config.json` and weights.

The layout is Keras 3's, member for member, so archives move both ways
between cornu and Keras. Reading treats the archive as hostile until proven
otherwise: member names, counts, declared sizes and compression ratios are
checked before a byte is decompressed, only the members cornu needs are
read (never extracted to disk), and JSON is parsed with limits.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import json
import os
import zipfile
from typing import IO, Any

from cornu.saving.errors import InvalidFileError

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_H5_FILENAME = "model.weights.h5"
WEIGHTS_NPZ_FILENAME = "model.weights.npz"

# The Keras release whose file format cornu writes and reads.
KERAS_FORMAT_VERSION = "3.15.1"

# Limits on what an archive may declare (checked before reading anything).
# Keras stores members uncompressed and DEFLATE cannot exceed ~1032:1, so a
# large member expanding more than `MAX_COMPRESSION_RATIO` times is a bomb.
MAX_MEMBERS = 10_000
MAX_JSON_BYTES = 256 * 2**20
MAX_MEMBER_BYTES = 64 * 2**30
BOMB_FLOOR_BYTES = 16 * 2**20
MAX_COMPRESSION_RATIO = 100
_ALLOWED_COMPRESSION = (
    zipfile.ZIP_STORED,
    zipfile.ZIP_DEFLATED,
    zipfile.ZIP_BZIP2,
    zipfile.ZIP_LZMA,
)


@dataclasses.dataclass
class ArchiveContents:
    """What `read_archive` found: the parsed JSON and the raw weights.

    Attributes:
        config: the model's serialized config (from `config.json`).
        metadata: the parsed `metadata.json` (empty when absent).
        weights_h5: the bytes of `model.weights.h5`, or None.
        assets: the `assets/...` members (layers' files such as vocabularies).
    """

    config: dict[str, Any]
    metadata: dict[str, Any]
    weights_h5: bytes | None
    assets: dict[str, bytes] = dataclasses.field(default_factory=dict)


def metadata_json() -> str:
    """The `metadata.json` that cornu writes (Keras reads none of it back)."""
    from cornu import __version__

    return json.dumps(
        {
            "keras_version": KERAS_FORMAT_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
            "saved_by": f"cornu {__version__}",
        }
    )


def write_archive(
    fileobj: IO[bytes],
    config_json: str,
    weights_h5_path: str | None = None,
    weights_h5_bytes: bytes | None = None,
    assets: dict[str, bytes] | None = None,
) -> None:
    """Writes a `.keras` zip (stored, uncompressed, as Keras does) to `fileobj`.

    Args:
        fileobj: a writable (and seekable) binary file.
        config_json: the model's serialized config.
        weights_h5_path: a finished HDF5 weights file to add, or
        weights_h5_bytes: its content in memory.
        assets: extra `assets/...` members (name -> bytes).
    """
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(METADATA_FILENAME, metadata_json())
        zf.writestr(CONFIG_FILENAME, config_json)
        if weights_h5_path is not None:
            zf.write(weights_h5_path, WEIGHTS_H5_FILENAME)
        elif weights_h5_bytes is not None:
            zf.writestr(WEIGHTS_H5_FILENAME, weights_h5_bytes)
        for name, data in (assets or {}).items():
            zf.writestr(name, data)


def _check_member_name(name: str) -> None:
    parts = name.replace("\\", "/").split("/")
    if (
        not name
        or "\x00" in name
        or "\\" in name
        or name.startswith("/")
        or (len(name) > 1 and name[1] == ":")
        or ".." in parts
    ):
        raise InvalidFileError(
            f"The archive has a member named {name!r}, a path that points "
            "outside the archive; refusing to read it."
        )


def _check_members(zf: zipfile.ZipFile, what: str) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InvalidFileError(
            f"{what} has {len(infos)} members; a .keras archive has a handful "
            f"(at most {MAX_MEMBERS} are accepted)."
        )
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        _check_member_name(info.filename)
        if info.filename in members:
            raise InvalidFileError(
                f"{what} has two members named {info.filename!r}; refusing an "
                "ambiguous archive."
            )
        if info.flag_bits & 0x1:
            raise InvalidFileError(
                f"{what}: member {info.filename!r} is encrypted; .keras "
                "archives are not."
            )
        if info.compress_type not in _ALLOWED_COMPRESSION:
            raise InvalidFileError(
                f"{what}: member {info.filename!r} uses unsupported compression "
                f"method {info.compress_type}."
            )
        if info.file_size > MAX_MEMBER_BYTES:
            raise InvalidFileError(
                f"{what}: member {info.filename!r} declares {info.file_size} "
                f"bytes, over the {MAX_MEMBER_BYTES}-byte limit."
            )
        if (
            info.file_size > BOMB_FLOOR_BYTES
            and info.file_size > MAX_COMPRESSION_RATIO * info.compress_size
        ):
            raise InvalidFileError(
                f"{what}: member {info.filename!r} declares {info.file_size} "
                f"bytes but stores only {info.compress_size}; refusing a "
                "possible decompression bomb."
            )
        members[info.filename] = info
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> bytes:
    try:
        with zf.open(info, "r") as f:
            # zipfile stops at the declared size and checks the CRC, so the
            # data cannot outgrow the size validated above.
            data = f.read(info.file_size + 1)
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
    ) as e:
        raise InvalidFileError(
            f"{what}: cannot read member {info.filename!r} (the archive may be "
            f"truncated or corrupted): {e}"
        ) from None
    if len(data) != info.file_size:
        raise InvalidFileError(
            f"{what}: member {info.filename!r} has {len(data)} bytes, its header "
            f"declares {info.file_size}."
        )
    return data


def parse_json(data: bytes, member: str, what: str) -> Any:
    """Parses JSON from the archive, turning every failure into a clear error."""
    if len(data) > MAX_JSON_BYTES:
        raise InvalidFileError(
            f"{what}: {member} is {len(data)} bytes, over the {MAX_JSON_BYTES}-byte "
            "limit for a config."
        )
    try:
        text = data.decode("utf-8")
        return json.loads(text)
    except UnicodeDecodeError as e:
        raise InvalidFileError(f"{what}: {member} is not UTF-8 text: {e}") from None
    except RecursionError:
        raise InvalidFileError(
            f"{what}: {member} is nested too deeply to be a model config."
        ) from None
    except ValueError as e:
        raise InvalidFileError(f"{what}: {member} is not valid JSON: {e}") from None


def open_zip(
    source: str | os.PathLike[str] | IO[bytes] | io.IOBase, what: str
) -> zipfile.ZipFile:
    """Opens a zip archive, with a clear error when it is not one."""
    try:
        return zipfile.ZipFile(source, "r")  # type: ignore[arg-type]
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise InvalidFileError(
            f"{what} is not a valid .keras archive (a zip file); it may be "
            f"truncated or corrupted: {e}"
        ) from None


def read_archive(
    source: str | os.PathLike[str] | IO[bytes] | io.IOBase,
    what: str,
    weights: bool = True,
) -> ArchiveContents:
    """Reads and validates a `.keras` archive without extracting anything.

    Args:
        source: a path or a readable binary file.
        what: how to name the file in errors.
        weights: whether to read the weights member too.

    Returns:
        The parsed config and metadata, and the weights' bytes.

    Raises:
        InvalidFileError: the archive is malformed, truncated, oversized or
            has members whose names escape it.
    """
    with open_zip(source, what) as zf:
        members = _check_members(zf, what)
        if CONFIG_FILENAME not in members:
            raise InvalidFileError(
                f"{what} has no {CONFIG_FILENAME}; it is not a .keras model "
                f"archive (members: {sorted(members)[:10]})."
            )
        config = parse_json(
            _read_member(zf, members[CONFIG_FILENAME], what), CONFIG_FILENAME, what
        )
        if not isinstance(config, dict) or "class_name" not in config:
            raise InvalidFileError(
                f"{what}: {CONFIG_FILENAME} must hold a serialized model (an "
                f"object with a 'class_name'); received {type(config).__name__}."
            )
        metadata: Any = {}
        if METADATA_FILENAME in members:
            metadata = parse_json(
                _read_member(zf, members[METADATA_FILENAME], what),
                METADATA_FILENAME,
                what,
            )
            if not isinstance(metadata, dict):
                raise InvalidFileError(
                    f"{what}: {METADATA_FILENAME} must hold a JSON object; "
                    f"received {type(metadata).__name__}."
                )
        weights_h5 = None
        if weights:
            if WEIGHTS_H5_FILENAME in members:
                weights_h5 = _read_member(zf, members[WEIGHTS_H5_FILENAME], what)
            elif WEIGHTS_NPZ_FILENAME in members:
                raise InvalidFileError(
                    f"{what} stores its weights as {WEIGHTS_NPZ_FILENAME} "
                    "(Keras's `weights_format='npz'`); cornu reads the default "
                    "h5 format. Re-save the model with Keras's defaults."
                )
            else:
                raise InvalidFileError(
                    f"{what} has no {WEIGHTS_H5_FILENAME}; the archive is incomplete."
                )
        assets = {
            name: _read_member(zf, info, what)
            for name, info in members.items()
            if name.startswith("assets/") and not info.is_dir()
        }
        return ArchiveContents(config, metadata, weights_h5, assets)


def is_zip(source: Any) -> bool:
    """Whether `source` (a path or seekable file) starts like a zip archive."""
    if isinstance(source, (str, os.PathLike)):
        return zipfile.is_zipfile(source)
    if isinstance(source, io.IOBase):
        pos = source.tell()
        try:
            return zipfile.is_zipfile(source)
        finally:
            source.seek(pos)
    return False


__all__ = [
    "ArchiveContents",
    "read_archive",
    "write_archive",
    "open_zip",
    "parse_json",
    "CONFIG_FILENAME",
    "METADATA_FILENAME",
    "WEIGHTS_H5_FILENAME",
]

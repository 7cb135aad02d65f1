"""Atomic file writes: a save either completes or leaves the old file intact."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[str]:
    """Yields a temporary file name next to `path`; on success it becomes `path`.

    The temporary file lives in the same directory so that the final
    `os.replace` is a rename within one filesystem (atomic on POSIX and
    Windows). Its data is fsynced before the rename and the directory after
    it, so a crash at any point leaves either the previous file or the
    complete new one, never a torn file. On an exception the temporary file
    is removed and `path` is untouched.

    Args:
        path: the destination file.
        suffix: the temporary file's suffix (for writers that check it).

    Returns:
        A context manager yielding the temporary file's name; write the
        whole content there (by name, e.g. with h5py) inside the block.

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("data")
    >>> target.read_text()
    'data'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot save to {path!r}: the directory {directory!r} does not exist."
        )
    fd, tmp = tempfile.mkstemp(
        dir=directory, prefix=f".{os.path.basename(path)}.", suffix=suffix
    )
    os.close(fd)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_directory(directory)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Opens a binary file that atomically replaces `path` when closed.

    The same guarantees as `atomic_path`, for writers that take a file
    object.

    Args:
        path: the destination file.

    Returns:
        A context manager yielding a readable and writable binary file.

    Example:
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.bin"
    >>> with atomic_write(target) as f:
    ...     _ = f.write(b"data")
    >>> target.read_bytes()
    b'data'
    """
    with atomic_path(path) as tmp, open(tmp, "w+b") as f:
        yield f
        f.flush()


def scratch_file_beside(path: str | os.PathLike[str], suffix: str) -> str:
    """Creates an empty scratch file in `path`'s directory and returns its name.

    Scratch data (such as the HDF5 part of a `.keras` archive) goes on the
    destination's filesystem rather than in `/tmp`, which may be small. The
    caller removes it.
    """
    directory = os.path.dirname(os.path.abspath(os.fspath(path)))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".cornu-", suffix=suffix)
    os.close(fd)
    return tmp


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable; not possible (nor needed) everywhere.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

"""`get_file`: download a file once into the Keras cache, check its hash,
optionally extract it."""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from typing import Any

from cornu.utils.io_utils import print_msg


def keras_home() -> str:
    """The cache root: `$KERAS_HOME`, else `~/.keras`."""
    return os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )


def resolve_hasher(algorithm: str, file_hash: str | None = None) -> Any:
    """Returns a hashlib object: sha256 for 64-character hashes under `"auto"`."""
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    if algorithm in ("auto", "md5"):
        return hashlib.md5()
    raise ValueError(
        f'`hash_algorithm` must be "auto", "sha256" or "md5", received {algorithm!r}.'
    )


def hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """Returns the hex digest of a file (`"sha256"` or `"md5"`)."""
    hasher = resolve_hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto") -> bool:
    """Whether the file's sha256 or md5 digest is `file_hash`."""
    hasher = resolve_hasher(algorithm, file_hash)
    name = "sha256" if hasher.name == "sha256" else "md5"
    return hash_file(fpath, name) == str(file_hash)


def _is_within(directory: str, target: str) -> bool:
    directory = os.path.realpath(directory)
    target = os.path.realpath(target)
    return os.path.commonpath([directory, target]) == directory


def extract_archive(
    file_path: str, path: str = ".", archive_format: str | list[str] | None = "auto"
) -> bool:
    """Extracts a tar or zip archive into `path`, refusing unsafe members.

    Members whose path (or link target) would land outside `path` raise a
    ValueError and nothing is extracted.

    Returns:
        `True` when the file was an archive of an accepted format.
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    if isinstance(formats, str):
        formats = [formats]
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                for member in archive.getmembers():
                    target = os.path.join(path, member.name)
                    if not _is_within(path, target) or (
                        (member.issym() or member.islnk())
                        and not _is_within(
                            path,
                            os.path.join(os.path.dirname(target), member.linkname),
                        )
                    ):
                        raise ValueError(
                            f"Refusing to extract {file_path!r}: member "
                            f"{member.name!r} would be written outside {path!r}."
                        )
                    if member.isdev():
                        raise ValueError(
                            f"Refusing to extract {file_path!r}: member "
                            f"{member.name!r} is a device file."
                        )
                _extract_into(path, lambda d, a=archive: a.extractall(d, filter="data"))
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                for name in archive.namelist():
                    if not _is_within(path, os.path.join(path, name)):
                        raise ValueError(
                            f"Refusing to extract {file_path!r}: member {name!r} "
                            f"would be written outside {path!r}."
                        )
                _extract_into(path, lambda d, a=archive: a.extractall(d))
            return True
    return False


def _extract_into(path: str, extract: Any) -> None:
    try:
        extract(path)
    except BaseException:
        if os.path.isdir(path):
            shutil.rmtree(path)
        raise


def get_file(
    fname: str | None = None,
    origin: str | None = None,
    untar: bool = False,
    md5_hash: str | None = None,
    file_hash: str | None = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: str = "auto",
    cache_dir: str | None = None,
    force_download: bool = False,
) -> str:
    """Downloads a file from a URL unless it is already in the cache.

    The file goes to `cache_dir/cache_subdir/fname` (`~/.keras/datasets/` by
    default, or under `$KERAS_HOME`). The download is written to a temporary
    file and moved into place only when complete and, if `file_hash` is
    given, only when its hash matches.

    Args:
        fname: the file name in the cache; defaults to the URL's last part.
        origin: the URL (`https://`, `http://` or `file://`).
        untar: deprecated; same as `extract=True` with `archive_format="tar"`.
        md5_hash: deprecated; same as `file_hash` with `hash_algorithm="md5"`.
        file_hash: the expected sha256 or md5 hex digest.
        cache_subdir: the subdirectory of the cache.
        hash_algorithm: `"auto"` (by the length of `file_hash`), `"sha256"`
            or `"md5"`.
        extract: whether to extract the file as a tar or zip archive.
        archive_format: `"auto"`, `"tar"`, `"zip"` or `None`.
        cache_dir: the cache root (default `$KERAS_HOME` or `~/.keras`).
        force_download: download even when the file is cached.

    Returns:
        The path of the downloaded file, or of the extraction directory when
        `extract` is true.

    Example:

    >>> import tempfile, os, pathlib
    >>> src = os.path.join(tempfile.mkdtemp(), "data.txt")
    >>> _ = pathlib.Path(src).write_text("hello")
    >>> path = get_file(origin=pathlib.Path(src).as_uri(),
    ...                 cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Downloading data from file://...
    >>> pathlib.Path(path).read_text()
    'hello'
    """
    if origin is None:
        raise ValueError(
            'Please specify the "origin" argument (URL of the file to download).'
        )
    if cache_dir is None:
        cache_dir = keras_home()
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(cache_dir)
    os.makedirs(base, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = fname
    fname = os.fspath(fname) if fname else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify "
            "the file's parent directory, use the `cache_dir` argument. "
            f"Received: fname={fname}"
        )

    if extract or untar:
        if provided and "." in fname:
            target = os.path.join(datadir, fname)
            stem = fname[: fname.find(".")]
            extraction_dir = os.path.join(datadir, f"{stem}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None:
        if not validate_file(target, file_hash, hash_algorithm):
            print_msg(
                "A local file was found, but it seems to be incomplete or "
                f"outdated because the {hash_algorithm} file hash does not match "
                f"the original value of {file_hash} so we will re-download the "
                "data."
            )
            download = True

    if download:
        print_msg(f"Downloading data from {origin}")
        _download(origin, target, file_hash, hash_algorithm)

    if extract or untar:
        fmt: Any = "tar" if untar else archive_format
        if download or not os.path.isdir(extraction_dir):
            if os.path.isdir(extraction_dir):
                shutil.rmtree(extraction_dir)
            if not extract_archive(target, extraction_dir, fmt):
                raise ValueError(f"Could not extract {target!r}: not a {fmt} archive.")
        return extraction_dir
    return target


def _download(
    origin: str, target: str, file_hash: str | None, hash_algorithm: str
) -> None:
    """Fetches `origin` into a temporary file next to `target`, checks it,
    then renames it: an interrupted or corrupt download leaves no file."""
    from cornu.utils.progbar import Progbar

    fd, partial = tempfile.mkstemp(
        prefix=os.path.basename(target) + ".",
        suffix=".part",
        dir=os.path.dirname(target),
    )
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(origin)
            except urllib.error.HTTPError as e:
                raise Exception(
                    f"URL fetch failure on {origin}: {e.code} -- {e.msg}"
                ) from e
            except urllib.error.URLError as e:
                raise Exception(
                    f"URL fetch failure on {origin}: {e.errno} -- {e.reason}"
                ) from e
            with response:
                length = response.headers.get("Content-Length")
                total = int(length) if length else None
                bar = Progbar(total) if total else None
                received = 0
                while True:
                    try:
                        chunk = response.read(1 << 16)
                    except (http.client.IncompleteRead, OSError) as e:
                        # The server closed the connection mid-body.
                        raise Exception(
                            f"URL fetch failure on {origin}: the connection was "
                            f"lost after {received} of {total} bytes ({e!r})."
                        ) from e
                    if not chunk:
                        break
                    out.write(chunk)
                    received += len(chunk)
                    if bar is not None:
                        bar.update(min(received, total or received))
                if total is not None and received < total:
                    raise Exception(
                        f"URL fetch failure on {origin}: received {received} of "
                        f"{total} bytes."
                    )
        if file_hash is not None and not validate_file(
            partial, file_hash, hash_algorithm
        ):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file "
                f"hash does not match the provided value of {file_hash}."
            )
        os.replace(partial, target)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise

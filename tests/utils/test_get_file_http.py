"""get_file over real HTTP: a server on 127.0.0.1 started by each test."""

from __future__ import annotations

import hashlib
import http.server
import io
import pathlib
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from cornu.utils.file_utils import get_file


class _Handler(http.server.BaseHTTPRequestHandler):
    # Set per server: {path: bytes}, the request log, and truncated paths.
    files: dict[str, bytes]
    requests: list[str]
    truncate: dict[str, int]

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        self.requests.append(self.path)
        body = self.files.get(self.path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = self.truncate.get(self.path)
        if cut is None:
            self.wfile.write(body)
            return
        # Part of the announced body, then the connection drops.
        self.wfile.write(body[:cut])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep the test output clean


class _Server:
    def __init__(self) -> None:
        handler: type[_Handler] = type(
            "Handler", (_Handler,), {"files": {}, "requests": [], "truncate": {}}
        )
        self.handler = handler
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes, truncate: int | None = None) -> str:
        self.handler.files[path] = body
        if truncate is not None:
            self.handler.truncate[path] = truncate
        port = self.httpd.server_address[1]
        return f"http://127.0.0.1:{port}{path}"

    @property
    def requests(self) -> list[str]:
        return self.handler.requests

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def _cache_files(root: pathlib.Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_download_then_cache_hit_makes_no_request(server, tmp_path, capsys):
    body = b"0123456789" * 1000
    url = server.serve("/data/blob.bin", body)
    sha = hashlib.sha256(body).hexdigest()
    path = get_file(origin=url, file_hash=sha, cache_dir=str(tmp_path))
    assert pathlib.Path(path) == tmp_path / "datasets" / "blob.bin"
    assert pathlib.Path(path).read_bytes() == body
    assert f"Downloading data from {url}" in capsys.readouterr().out
    assert server.requests == ["/data/blob.bin"]
    again = get_file("blob.bin", url, file_hash=sha, cache_dir=str(tmp_path))
    assert again == path and server.requests == ["/data/blob.bin"]
    assert "Downloading" not in capsys.readouterr().out
    # force_download fetches again; md5 hashes work too.
    md5 = hashlib.md5(body).hexdigest()
    get_file(origin=url, md5_hash=md5, cache_dir=str(tmp_path), force_download=True)
    assert len(server.requests) == 2
    assert _cache_files(tmp_path) == ["datasets/blob.bin"]


def test_stale_cache_is_downloaded_again(server, tmp_path):
    url = server.serve("/f.txt", b"new")
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "f.txt").write_bytes(b"old")
    path = get_file(
        origin=url,
        file_hash=hashlib.sha256(b"new").hexdigest(),
        cache_dir=str(tmp_path),
    )
    assert pathlib.Path(path).read_bytes() == b"new" and len(server.requests) == 1


def test_bad_checksum_is_an_error_and_caches_nothing(server, tmp_path):
    url = server.serve("/weights.h5", b"tampered payload")
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
        get_file(origin=url, file_hash="0" * 64, cache_dir=str(tmp_path))
    assert _cache_files(tmp_path) == []
    # Nothing half-written means the next call downloads again.
    with pytest.raises(ValueError, match="hash does not match"):
        get_file(origin=url, file_hash="0" * 32, cache_dir=str(tmp_path))
    assert len(server.requests) == 2 and _cache_files(tmp_path) == []


def test_interrupted_download_leaves_no_file(server, tmp_path):
    body = bytes(range(256)) * 400  # 100 kB announced
    url = server.serve("/big.bin", body, truncate=5000)
    with pytest.raises(
        Exception, match=r"URL fetch failure on .*big.bin.*5000 of 102400"
    ):
        get_file(origin=url, cache_dir=str(tmp_path))
    assert _cache_files(tmp_path) == []


def test_http_error_is_clear(server, tmp_path):
    url = server.serve("/present", b"x").replace("/present", "/missing")
    with pytest.raises(Exception, match=r"URL fetch failure on .*/missing: 404"):
        get_file(origin=url, cache_dir=str(tmp_path))
    assert _cache_files(tmp_path) == []


def _tar(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            t.addfile(info)
    return buf.getvalue()


def test_extract_over_http(server, tmp_path):
    url = server.serve("/pack.tar.gz", _tar({"pack/a.txt": b"a"}))
    out = get_file("pack.tar.gz", url, extract=True, cache_dir=str(tmp_path))
    assert pathlib.Path(out) == tmp_path / "datasets" / "pack_extracted"
    assert (pathlib.Path(out) / "pack" / "a.txt").read_bytes() == b"a"
    get_file("pack.tar.gz", url, extract=True, cache_dir=str(tmp_path))
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    "name, archive",
    [
        ("dotdot.tar.gz", _tar({"ok.txt": b"1", "../../escape.txt": b"x"})),
        ("absolute.tar.gz", _tar({"/tmp/cornu_escape_abs.txt": b"x"})),
        ("symlink.tar.gz", _tar({}, links={"link": "../../../etc"})),
        ("dotdot.zip", None),
    ],
    # Archive bytes hold a timestamp: ids by name keep xdist workers agreed.
    ids=["dotdot.tar.gz", "absolute.tar.gz", "symlink.tar.gz", "dotdot.zip"],
)
def test_path_traversal_archives_are_refused(server, tmp_path, name, archive):
    if archive is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("fine.txt", "1")
            z.writestr("../../escape.txt", "x")
        archive = buf.getvalue()
    url = server.serve("/" + name, archive)
    cache = tmp_path / "cache"
    with pytest.raises(ValueError, match="Refusing to extract .*outside"):
        get_file(name, url, extract=True, cache_dir=str(cache))
    assert not (tmp_path / "escape.txt").exists()
    assert not (cache / "escape.txt").exists()
    assert not pathlib.Path("/tmp/cornu_escape_abs.txt").exists()
    # Nothing of the archive was extracted, not even its safe members.
    stem = name[: name.find(".")]
    assert not (cache / "datasets" / f"{stem}_extracted").exists()

"""An exported ONNX model runs in headless Chromium (onnxruntime-web) and gives
the outputs cornu gives. Needs Debian's Chromium and `npm install` in
examples/browser (both done by `make test-browser`); skips, saying so, without."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

import cornu as keras

ROOT = Path(__file__).resolve().parents[2]
PAGE_DIR = ROOT / "examples" / "browser"
ORT = PAGE_DIR / "node_modules" / "onnxruntime-web" / "dist"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="Chromium is not installed (make test-browser)"
    ),
    pytest.mark.skipif(
        not ORT.is_dir(), reason="onnxruntime-web is not installed (make test-browser)"
    ),
    pytest.mark.skipif(
        __import__("importlib").util.find_spec("onnxruntime") is None,
        reason="onnx/onnxruntime are not installed (pip install cornu[onnx])",
    ),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _serve(directory: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _run_page(url: str, profile: Path) -> dict:
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=30000",
        "--dump-dom",
        url,
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    start = dom.index('<pre id="result">') + len('<pre id="result">')
    text = dom[start : dom.index("</pre>", start)]
    return json.loads(text.replace("&quot;", '"'))


def test_browser_outputs_equal_cornu(tmp_path: Path) -> None:
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    site = tmp_path / "site"
    site.mkdir()
    x = np.random.default_rng(0).random((3, 8, 8, 1), dtype=np.float32)
    model.export(str(site / "model.onnx"), format="onnx", verbose=False)
    (site / "inputs.json").write_text(
        json.dumps({"shape": list(x.shape), "data": x.ravel().tolist()})
    )
    shutil.copy(PAGE_DIR / "index.html", site / "index.html")
    (site / "node_modules").symlink_to(PAGE_DIR / "node_modules")
    server, port = _serve(site)
    try:
        result = _run_page(f"http://127.0.0.1:{port}/index.html", tmp_path / "profile")
    finally:
        server.shutdown()
        server.server_close()
    assert "error" not in result, result
    got = np.asarray(result["data"], dtype=np.float32).reshape(result["shape"])
    want = model(x).detach().numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert result["classes"] == want.argmax(-1).tolist()

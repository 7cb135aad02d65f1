"""Tests for `RemoteMonitor`, against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import numpy as np
import pytest
import torch

from cornu.callbacks import RemoteMonitor


class Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length)
        type(self).received.append((self.path, dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass  # Keep test output clean.


@pytest.fixture
def server() -> Iterator[tuple[str, type[Recorder]]]:
    handler = type("Handler", (Recorder,), {"received": [], "status": 200})
    httpd = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


LOGS = {"loss": 0.5, "acc": np.float32(0.25), "t": torch.tensor(2.0)}


def test_posts_form_encoded_json(server) -> None:
    root, handler = server
    monitor = RemoteMonitor(root=root, headers={"X-Run": "7"})
    monitor.on_epoch_end(3, dict(LOGS))
    (path, headers, body) = handler.received[0]
    assert path == "/publish/epoch/end/"
    assert headers["X-Run"] == "7"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = urllib.parse.parse_qs(body.decode())
    assert json.loads(form["data"][0]) == {
        "epoch": 3,
        "loss": 0.5,
        "acc": 0.25,
        "t": 2.0,
    }


def test_posts_json_body(server) -> None:
    root, handler = server
    monitor = RemoteMonitor(root=root, path="/events", send_as_json=True)
    monitor.on_epoch_end(0, {"loss": 1.0})
    (path, headers, body) = handler.received[0]
    assert path == "/events"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"epoch": 0, "loss": 1.0}


def test_error_status_is_ignored(server) -> None:
    root, handler = server
    handler.status = 500
    RemoteMonitor(root=root).on_epoch_end(0, {"loss": 1.0})
    assert len(handler.received) == 1


def test_unreachable_server_warns() -> None:
    # Port 9 on loopback: nothing listens there, so the connection is refused.
    monitor = RemoteMonitor(root="http://127.0.0.1:9")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        monitor.on_epoch_end(0, {"loss": 1.0})

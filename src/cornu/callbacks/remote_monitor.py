"""`RemoteMonitor`: posts each epoch's logs to an HTTP server."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

import numpy as np
import torch

from cornu.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """Sends each epoch's logs to a server as an HTTP POST.

    The event is a JSON object with `epoch` and the logs. With
    `send_as_json=True` it is the request body (`application/json`);
    otherwise it is sent as a form whose field `field` holds the JSON text.
    An unreachable server gives a warning, not an error.

    Args:
        root: root URL of the server.
        path: path, relative to `root`, that receives the events.
        field: form field holding the JSON (when `send_as_json=False`).
        headers: extra HTTP headers.
        send_as_json: send the event as a JSON body.

    Example:
    ```python
    monitor = keras.callbacks.RemoteMonitor(root="http://localhost:9000")
    model.fit(x, y, callbacks=[monitor])
    ```
    """

    # Seconds to wait for the server: a hung monitor must not hang training.
    timeout: float = 10.0

    def __init__(
        self,
        root: str = "http://localhost:9000",
        path: str = "/publish/epoch/end/",
        field: str = "data",
        headers: dict[str, str] | None = None,
        send_as_json: bool = False,
    ) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        send: dict[str, Any] = {"epoch": epoch}
        for key, value in (logs or {}).items():
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            if isinstance(value, (np.ndarray, np.generic)):
                value = value.item() if value.size == 1 else value.tolist()
            send[key] = value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(
            self.root + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            # The server answered; like Keras, an error status is not ours to
            # report.
            error.close()
        except (urllib.error.URLError, OSError):
            warnings.warn(
                f"Could not reach RemoteMonitor root server at {self.root}",
                stacklevel=2,
            )

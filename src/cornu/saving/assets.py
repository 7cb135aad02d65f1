"""Layer assets in a `.keras` archive (e.g. a lookup layer's `vocabulary.txt`).

As Keras: each object of the model's tree that defines `save_assets(dir)`
writes files into a directory of its own, stored in the archive under
`assets/<object path>/`; on loading, `load_assets(dir)` receives a
directory holding those files again. Only the members under an object's
own path are written out, into a fresh temporary directory.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from cornu.saving.object_tree import walk

ASSETS_DIRNAME = "assets"


def _member(path: str, relative: str) -> str:
    parts = [ASSETS_DIRNAME, path, relative.replace(os.sep, "/")]
    return "/".join(p for p in parts if p)


def collect_assets(model: Any) -> dict[str, bytes]:
    """The archive members (name -> bytes) that `model`'s objects' assets fill."""
    out: dict[str, bytes] = {}
    for saveable in walk(model):
        save = getattr(saveable.obj, "save_assets", None)
        if not callable(save):
            continue
        with tempfile.TemporaryDirectory() as tmp:
            save(tmp)
            for root, _, files in os.walk(tmp):
                for name in sorted(files):
                    full = os.path.join(root, name)
                    with open(full, "rb") as f:
                        out[_member(saveable.path, os.path.relpath(full, tmp))] = (
                            f.read()
                        )
    return out


def restore_assets(model: Any, members: dict[str, bytes]) -> None:
    """Calls `load_assets` of each object whose path has members in the archive."""
    if not members:
        return
    for saveable in walk(model):
        load = getattr(saveable.obj, "load_assets", None)
        if not callable(load):
            continue
        prefix = _member(saveable.path, "") + "/"
        own = {k[len(prefix) :]: v for k, v in members.items() if k.startswith(prefix)}
        if not own:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            for relative, data in own.items():
                # Member names were checked when the archive was read: no
                # absolute paths, no `..`.
                target = os.path.join(tmp, *relative.split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(data)
            load(tmp)


__all__ = ["collect_assets", "restore_assets", "ASSETS_DIRNAME"]

"""disable_interactive_logging moves fit's progress output to `logging`."""

from __future__ import annotations

import logging

import numpy as np

import cornu as keras
from cornu.utils import io_utils
from cornu.utils.progbar import Progbar


def _fit(verbose: int, callbacks=()):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    model.fit(x, y, epochs=2, batch_size=4, verbose=verbose, callbacks=list(callbacks))


def test_fit_prints_to_stdout_by_default(capsys, caplog):
    caplog.set_level(logging.INFO, logger="cornu")
    _fit(verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss" in out
    assert not [r for r in caplog.records if r.name == "cornu"]


def test_disabled_interactive_logging_silences_stdout(capsys, caplog):
    caplog.set_level(logging.INFO, logger="cornu")
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=0, verbose=1)
    io_utils.disable_interactive_logging()
    try:
        _fit(verbose=1, callbacks=[stop])
        Progbar(2, verbose=2).update(2, [("acc", 0.5)])
        io_utils.print_msg("plain message")
    finally:
        io_utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "cornu"]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "cornu")
    text = "\n".join(messages)
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "loss" in text
    assert "acc: 0.5000" in text and "plain message" in messages
    # Enabled again: back on stdout.
    io_utils.print_msg("visible")
    assert capsys.readouterr().out == "visible\n"


def test_print_msg_survives_a_narrow_console_encoding(monkeypatch):
    import io
    import sys

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", errors="strict")
    monkeypatch.setattr(sys, "stdout", stream)
    io_utils.print_msg("bar ━━ done")
    stream.flush()
    assert raw.getvalue() == b"bar  done\n"

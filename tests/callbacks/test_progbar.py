"""Tests for `Progbar` and `ProgbarLogger`: Keras's formats, and the hot path."""

from __future__ import annotations

import contextlib
import io

import pytest

from cornu.callbacks import CallbackList, ProgbarLogger
from cornu.utils import progbar as progbar_module
from cornu.utils.progbar import Progbar


class Clock:
    """A controllable `time.monotonic`."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progbar_module.time, "monotonic", clock)
    return clock


class Output:
    """Collects what is printed while it is active.

    pytest installs its own stdout capture as each test starts (after the
    fixtures), so tests enter it (`with out:`) inside their body.
    """

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream
        self._redirect = contextlib.redirect_stdout(stream)

    def __enter__(self) -> Output:
        self._redirect.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._redirect.__exit__(*exc)

    def getvalue(self) -> str:
        return self.stream.getvalue()

    def clear(self) -> None:
        self.stream.seek(0)
        self.stream.truncate()


@pytest.fixture
def out() -> Output:
    return Output(io.StringIO())


@pytest.fixture
def tty() -> Output:
    return Output(FakeTTY())


BAR_DONE = "\x1b[32m" + "━" * 20 + "\x1b[0m\x1b[37m\x1b[0m"


def test_verbose_1_final_line_matches_keras(clock: Clock, out: Output) -> None:
    with out:
        bar = Progbar(32, stateless_metrics=set())
        bar._dynamic_display = True
        clock.now += 0.5
        bar.update(1, [("accuracy", 0.5), ("loss", 1.0)])
        clock.now += 0.372  # 31 more steps at 12 ms each.
        first_width = bar._prev_total_width
        out.clear()
        bar.update(32, [("accuracy", 0.91), ("loss", 0.25)])
        line = out.getvalue()
        # The redraw first erases exactly what the previous draw showed.
        assert line.startswith("\b" * first_width + "\r\x1b[1m32/32")
        expected = (
            f"\x1b[1m32/32\x1b[0m {BAR_DONE} \x1b[1m1s\x1b[0m 12ms/step"
            " - accuracy: 0.9100 - loss: 0.2500"
        )
        # Padded with spaces over the longer previous line, then done.
        assert line.endswith("\n")
        assert line[first_width + 1 :].rstrip("\n").rstrip(" ") == expected


def test_verbose_1_shows_eta_and_partial_bar(clock: Clock, out: Output) -> None:
    with out:
        bar = Progbar(10, stateless_metrics=set())
        bar._dynamic_display = True
        clock.now += 2.0
        bar.update(1, [("loss", 0.5)])
        clock.now += 4.0
        bar.update(5, [("loss", 0.0001)])
        last = out.getvalue().split("\r")[-1]
        # 4 s for steps 2..5: 1 s/step, 5 steps left.
        green = "\x1b[32m" + "━" * 10 + "\x1b[0m"
        grey = "\x1b[37m" + "━" * 10 + "\x1b[0m"
        assert last.startswith(f"\x1b[1m 5/10\x1b[0m {green}{grey} \x1b[1m5s\x1b[0m")
        assert last.rstrip(" ").endswith("1s/step - loss: 1.0000e-04")


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0.0, " 0s/step"), (2.4, " 2s/step"), (0.012, " 12ms/step"), (3e-5, " 30us/step")],
)
def test_time_per_step_units(seconds: float, expected: str) -> None:
    assert Progbar._format_time(seconds, "step") == expected


@pytest.mark.parametrize(
    ("eta", "expected"), [(45.0, "45s"), (125.0, "2:05"), (3725.0, "1:02:05")]
)
def test_eta_formats(eta: float, expected: str) -> None:
    assert progbar_module._format_eta(eta) == expected


def test_verbose_2_prints_one_line_at_the_end(clock: Clock, out: Output) -> None:
    with out:
        bar = Progbar(32, verbose=2, stateless_metrics=set())
        for step in range(1, 33):
            clock.now += 0.012 if step > 1 else 0.6
            bar.update(step, [("accuracy", 0.91), ("loss", 0.25)])
        assert out.getvalue() == (
            "32/32 - 1s - 12ms/step - accuracy: 0.9100 - loss: 0.2500\n"
        )


def test_averaging_and_stateful_metrics(clock: Clock, out: Output) -> None:
    with out:
        bar = Progbar(4, verbose=2, stateful_metrics=["acc"])
        bar.update(1, [("loss", 1.0), ("acc", 0.1)])
        bar.update(4, [("loss", 2.0), ("acc", 0.9)], finalize=False)
        # loss is averaged over steps (1 * 1.0 + 3 * 2.0) / 4; acc is shown as is.
        assert bar._values["loss"] == [7.0, 4]
        assert bar._values["acc"] == [0.9, 1]


def test_unknown_target_and_add(clock: Clock, out: Output) -> None:
    with out:
        bar = Progbar(None)
        bar._dynamic_display = False
        bar.add(3)
        assert out.getvalue().startswith("\n      3/Unknown")


def test_both_metric_lists_rejected() -> None:
    with pytest.raises(ValueError, match="Only one of `stateful_metrics`"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_redraw_erases_a_longer_previous_line(clock: Clock, out: Output) -> None:
    with out:
        bar = Progbar(10, stateless_metrics=set())
        bar._dynamic_display = True
        bar.update(1, [("loss", 123456.0)])
        width = bar._prev_total_width
        clock.now += 1
        bar._values.clear()
        bar.update(2, [])
        assert bar._prev_total_width < width
        last = out.getvalue().split("\r")[-1]
        assert last.endswith(" " * (width - bar._prev_total_width))


def _run_epochs(logger_params: dict, make_logs, clock: Clock, steps: int = 32):
    callbacks = CallbackList([], add_progbar=True, **logger_params)
    logs = make_logs({"accuracy": 0.91, "loss": 0.25})
    callbacks.on_train_begin()
    for epoch in range(logger_params["epochs"]):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            clock.now += 0.012 if step else 0.6
            callbacks.on_train_batch_end(step, logs)
        callbacks.on_epoch_end(epoch, {"accuracy": 0.91, "loss": 0.25})
    callbacks.on_train_end()
    return logs


def test_logger_not_a_terminal_prints_one_line_per_epoch(
    clock: Clock, out: Output, make_logs
) -> None:
    with out:
        logs = _run_epochs({"verbose": 1, "epochs": 2, "steps": 32}, make_logs, clock)
        assert out.getvalue() == (
            "Epoch 1/2\n"
            "32/32 - 1s - 12ms/step - accuracy: 0.9100 - loss: 0.2500\n"
            "Epoch 2/2\n"
            "32/32 - 1s - 12ms/step - accuracy: 0.9100 - loss: 0.2500\n"
        )
        assert "\r" not in out.getvalue()
        assert logs.reads == 0  # No batch log was ever read.


def test_logger_in_a_terminal_redraws_at_most_every_100ms(
    clock: Clock, tty: Output, make_logs
) -> None:
    with tty:
        logs = _run_epochs({"verbose": 1, "epochs": 1, "steps": 32}, make_logs, clock)
        text = tty.getvalue()
        # 31 steps of 12 ms after the first: 0.372 s, so the first step and then
        # one redraw per 100 ms (at most 4), plus the final line.
        redraws = text.count("\r")
        assert 2 <= redraws <= 6
        # Each redraw reads the two values (and the length) once.
        assert 0 < logs.reads <= 3 * (redraws - 1)
        assert "Epoch" not in text  # A single epoch shows no epoch header.
        assert text.endswith(
            f"\x1b[1m32/32\x1b[0m {BAR_DONE} \x1b[1m1s\x1b[0m 12ms/step"
            " - accuracy: 0.9100 - loss: 0.2500\n"
        )


def test_logger_verbose_2_in_a_terminal(clock: Clock, tty: Output, make_logs) -> None:
    with tty:
        logs = _run_epochs({"verbose": 2, "epochs": 1, "steps": 4}, make_logs, clock)
        assert tty.getvalue().startswith("4/4 - ")
        assert logs.reads == 0


def test_logger_unknown_steps_learns_target(clock: Clock, out: Output) -> None:
    with out:
        logger = ProgbarLogger()
        logger.set_params({"verbose": "auto", "epochs": 1, "steps": None})
        logger.on_epoch_begin(0)
        for step in range(5):
            logger.on_train_batch_end(step, {"loss": 1.0})
        logger.on_epoch_end(0, {"loss": 1.0})
        assert logger.target == 5
        assert out.getvalue().startswith("5/5 - ")


def test_logger_evaluate_and_predict_bars(clock: Clock, out: Output) -> None:
    with out:
        logger = ProgbarLogger()
        logger.set_params({"verbose": 1, "epochs": 1, "steps": 2})
        logger.on_test_begin()
        logger.on_test_batch_end(0, {"loss": 1.0})
        logger.on_test_batch_end(1, {"loss": 1.0})
        logger.on_test_end({"loss": 0.5})
        logger.on_predict_begin()
        logger.on_predict_batch_end(0, {"outputs": [1, 2]})
        logger.on_predict_batch_end(1, {"outputs": [1, 2]})
        logger.on_predict_end()
        lines = out.getvalue().splitlines()
        assert lines[0].startswith("2/2 - ") and lines[0].endswith(" - loss: 0.5000")
        assert lines[1].startswith("2/2 - ") and "outputs" not in lines[1]


def test_logger_silent_during_validation_in_fit(clock: Clock, out: Output) -> None:
    with out:
        logger = ProgbarLogger()
        logger.set_params({"verbose": 1, "epochs": 1, "steps": 2})
        logger.on_train_begin()
        logger.on_test_begin()
        logger.on_test_batch_end(0, {"loss": 1.0})
        logger.on_test_end({"loss": 1.0})
        assert out.getvalue() == ""

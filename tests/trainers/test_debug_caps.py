"""`keras.config.set_max_epochs` / `set_max_steps_per_epoch` cap fit, evaluate, predict."""

from collections.abc import Iterator

import numpy as np
import pytest

import cornu as keras


@pytest.fixture
def caps() -> Iterator[None]:
    yield
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)


class _CountBatches(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.train = self.test = self.predict = 0

    def on_train_batch_end(self, batch, logs=None):
        self.train += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1


def test_caps_limit_epochs_and_steps(caps: None) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((40, 3), "float32"), np.ones((40, 1), "float32")
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    counter = _CountBatches()
    with pytest.warns(UserWarning) as record:
        history = model.fit(
            x, y, batch_size=4, epochs=5, verbose=0, callbacks=[counter]
        )
    messages = {str(w.message) for w in record}
    assert messages == {"Limiting epochs to 2", "Limiting steps_per_epoch to 3"}
    assert len(history.history["loss"]) == 2
    assert counter.train == 2 * 3
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[counter])
    assert counter.test == 3
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        out = model.predict(x, batch_size=4, verbose=0, callbacks=[counter])
    assert counter.predict == 3 and out.shape == (12, 1)


def test_no_cap_no_warning(caps: None) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    keras.config.set_max_steps_per_epoch(10)  # above the 2 batches: no cap
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

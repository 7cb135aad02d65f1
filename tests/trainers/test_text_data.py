"""fit/evaluate/predict on text: numpy string arrays, object arrays, pandas."""

import numpy as np
import pandas as pd
import pytest

import cornu as keras


def _model() -> keras.Model:
    inputs = keras.Input(shape=(), dtype="string")
    ids = keras.layers.StringLookup(vocabulary=["a", "b", "c"])(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.Embedding(5, 4)(ids))
    model = keras.Model(inputs, outputs)
    model.compile("sgd", "mse")
    return model


TEXT = np.array(["a", "b", "c", "zzz"] * 4)
TARGETS = np.linspace(0, 1, 16, dtype="float32")[:, None]


@pytest.mark.parametrize(
    "as_input",
    [lambda t: t, lambda t: t.astype(object), lambda t: pd.Series(list(t))],
    ids=["unicode", "object", "pandas"],
)
def test_every_text_container_gives_the_same_training(as_input) -> None:
    reference = _model()
    model = _model()
    model.set_weights(reference.get_weights())
    reference.fit(TEXT, TARGETS, batch_size=4, epochs=2, shuffle=False, verbose=0)
    history = model.fit(
        as_input(TEXT), TARGETS, batch_size=4, epochs=2, shuffle=False, verbose=0
    )
    assert len(history.history["loss"]) == 2
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(
        model.predict(as_input(TEXT), verbose=0),
        reference.predict(TEXT, verbose=0),
        rtol=1e-6,
    )
    assert model.evaluate(as_input(TEXT), TARGETS, verbose=0) == pytest.approx(
        reference.evaluate(TEXT, TARGETS, verbose=0), rel=1e-6
    )


def test_mixed_object_arrays_are_refused() -> None:
    model = _model()
    mixed = np.array(["a", 1, "b", 2.0], dtype=object)
    with pytest.raises(ValueError, match="arrays of Python objects"):
        model.fit(mixed, TARGETS[:4], verbose=0)

import numpy as np
import pytest
import torch

import cornu as keras


def _model():
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )


def test_tape_gradients_equal_autograd():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6)).astype("float32")
    targets = rng.dirichlet(np.ones(3), size=4).astype("float32")
    model = _model()
    with keras.GradientTape() as tape:
        loss = keras.ops.mean(keras.losses.kl_divergence(targets, model(x)))
    grads = tape.gradient(loss, model.trainable_weights)

    t = torch.from_numpy(targets)
    pred = model(x)
    # KL divergence written out: sum t * log(t / p) with Keras's clipping.
    eps = keras.config.epsilon()
    tc, pc = t.clamp(eps, 1), pred.clamp(eps, 1)
    ref_loss = (tc * (tc / pc).log()).sum(-1).mean()
    ref = torch.autograd.grad(ref_loss, model.trainable_weights)
    for g, r in zip(grads, ref):
        torch.testing.assert_close(g, r, rtol=1e-5, atol=1e-6)


def test_structure_and_unconnected_sources():
    a = keras.Variable(np.ones(2), name="a")
    b = keras.Variable(np.ones(2), name="b")
    with keras.GradientTape() as tape:
        y = (a * 3.0).sum()
    grads = tape.gradient(y, {"a": a, "b": b})
    assert grads["b"] is None
    np.testing.assert_allclose(grads["a"].numpy(), [3.0, 3.0])


def test_unconnected_zero():
    a = keras.Variable(np.ones(2))
    b = keras.Variable(np.ones(2))
    with keras.GradientTape() as tape:
        y = a.sum()
    g = tape.gradient(y, [a, b], unconnected_gradients="zero")
    np.testing.assert_array_equal(g[1].numpy(), [0.0, 0.0])


def test_non_persistent_tape_refuses_second_call():
    a = keras.Variable(np.ones(2))
    with keras.GradientTape() as tape:
        y = (a * a).sum()
    tape.gradient(y, a)
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(y, a)


def test_persistent_tape_allows_several_calls():
    a = keras.Variable(np.full(2, 2.0))
    with keras.GradientTape(persistent=True) as tape:
        y = (a * a).sum()
        z = (a * a * a).sum()
    np.testing.assert_allclose(tape.gradient(y, a).numpy(), [4.0, 4.0])
    np.testing.assert_allclose(tape.gradient(z, a).numpy(), [12.0, 12.0])


def test_watch_plain_tensor_and_stop_recording():
    x = torch.tensor([1.0, 2.0])
    with keras.GradientTape() as tape:
        tape.watch(x)
        y = (x**2).sum()
        with tape.stop_recording():
            z = x * 5
    assert not z.requires_grad
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0])


def test_tape_enables_grad_inside_no_grad():
    a = keras.Variable(np.ones(2))
    with torch.no_grad(), keras.GradientTape() as tape:
        y = (a * 2).sum()
    np.testing.assert_allclose(tape.gradient(y, a).numpy(), [2.0, 2.0])


def test_watch_accessed_variables_false():
    a = keras.Variable(np.ones(2))
    b = keras.Variable(np.ones(2))
    with keras.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = (a * b).sum()
    ga, gb = tape.gradient(y, [a, b])
    assert gb is None and ga is not None

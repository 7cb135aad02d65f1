"""compile/fit/evaluate/predict: the Keras workflow, its arguments and results."""

import numpy as np
import pytest
import torch

import cornu as keras


def _data(n=256, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)).astype("float32")
    labels = (x[:, :classes].argmax(-1)).astype("int64")
    return x, labels


def _model(classes=3, activation="softmax"):
    return keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(classes, activation=activation),
        ]
    )


def test_issue_workflow_trains_and_returns_keras_results():
    x, labels = _data()
    y = keras.utils.to_categorical(labels, 3)
    model = _model()
    model.compile(
        loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"]
    )
    model.compile(
        loss=keras.losses.categorical_crossentropy,
        optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
        metrics=["accuracy"],
    )
    history = model.fit(
        x,
        y,
        epochs=5,
        batch_size=32,
        validation_split=0.1,
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
        ],
    )
    assert set(history.history) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss_and_metrics = model.evaluate(x, y, batch_size=128, verbose=0)
    assert isinstance(loss_and_metrics, list) and len(loss_and_metrics) == 2
    classes = model.predict(x, batch_size=128, verbose=0)
    assert isinstance(classes, np.ndarray) and classes.shape == (256, 3)
    # evaluate's numbers are the loss and accuracy of predict's outputs.
    probs = np.clip(classes, 1e-7, 1 - 1e-7)
    ref_loss = float(-(y * np.log(probs)).sum(-1).mean())
    ref_acc = float((classes.argmax(-1) == labels).mean())
    np.testing.assert_allclose(loss_and_metrics, [ref_loss, ref_acc], rtol=1e-4)
    assert model.metrics_names == ["loss", "compile_metrics"]


def test_accuracy_resolves_by_loss_and_shapes():
    x, labels = _data()
    model = _model()
    model.compile(
        loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"]
    )
    model.fit(x, labels, epochs=1, verbose=0)
    assert (
        type(model._compile_metrics.metrics[0]).__name__ == "SparseCategoricalAccuracy"
    )
    binary = _model(classes=1, activation="sigmoid")
    binary.compile(loss="binary_crossentropy", optimizer="adam", metrics=["acc", "mae"])
    logs = binary.fit(x, (labels == 0).astype("float32"), epochs=1, verbose=0).history
    assert set(logs) == {"acc", "loss", "mae"}


def test_evaluate_return_dict_and_single_loss():
    x, labels = _data()
    model = _model()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    value = model.evaluate(x, labels, verbose=0)
    assert isinstance(value, float)
    result = model.evaluate(x, labels, verbose=0, return_dict=True)
    assert list(result) == ["loss"] and result["loss"] == pytest.approx(value)


def test_sample_weight_and_class_weight():
    x, labels = _data()
    model = _model()
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer="adam",
        weighted_metrics=["accuracy"],
    )
    weights = np.where(labels == 0, 2.0, 0.5).astype("float32")
    plain = model.evaluate(x, labels, verbose=0, return_dict=True)
    weighted = model.evaluate(
        x, labels, sample_weight=weights, verbose=0, return_dict=True
    )
    probs = model.predict(x, verbose=0)
    per_sample = -np.log(np.clip(probs[np.arange(len(x)), labels], 1e-7, 1))
    np.testing.assert_allclose(plain["loss"], per_sample.mean(), rtol=1e-4)
    # Keras's sum_over_batch_size: sum(w * loss) / batch size, batch-size-weighted mean.
    np.testing.assert_allclose(
        weighted["loss"], (weights * per_sample).mean(), rtol=1e-4
    )
    model.fit(x, labels, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="cannot both be given"):
        model.fit(x, labels, class_weight={0: 1.0}, sample_weight=weights, verbose=0)


def test_validation_data_steps_and_initial_epoch():
    x, labels = _data()
    model = _model()
    model.compile(
        loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"]
    )
    seen = []
    cb = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append((epoch, sorted(logs)))
    )
    model.fit(
        x,
        labels,
        validation_data=(x[:64], labels[:64], np.ones(64, "float32")),
        epochs=4,
        initial_epoch=1,
        steps_per_epoch=3,
        validation_freq=2,
        verbose=0,
        callbacks=[cb],
    )
    assert [e for e, _ in seen] == [1, 2, 3]
    assert "val_loss" in seen[0][1] and "val_loss" not in seen[1][1]


def test_predict_nests_like_outputs_and_on_batch_methods():
    inputs = keras.Input((8,))
    h = keras.layers.Dense(4)(inputs)
    model = keras.Model(
        inputs,
        {
            "a": keras.layers.Dense(2, name="a")(h),
            "b": keras.layers.Dense(1, name="b")(h),
        },
    )
    x, labels = _data()
    out = model.predict(x, batch_size=100, verbose=0)
    assert (
        set(out) == {"a", "b"}
        and out["a"].shape == (256, 2)
        and out["b"].shape == (256, 1)
    )
    model.compile(
        optimizer="adam",
        loss={"a": "mse", "b": "mae"},
        loss_weights={"a": 1.0, "b": 0.5},
        metrics={"a": ["mae"]},
    )
    y = {"a": np.zeros((256, 2), "float32"), "b": np.ones((256, 1), "float32")}
    logs = model.train_on_batch(
        x[:32], {k: v[:32] for k, v in y.items()}, return_dict=True
    )
    assert set(logs) == {"loss", "a_mae"}
    evaluation = model.test_on_batch(
        x[:32], {k: v[:32] for k, v in y.items()}, return_dict=True
    )
    preds = model.predict_on_batch(x[:32])
    ref = (preds["a"] ** 2).mean() + 0.5 * np.abs(preds["b"] - 1).mean()
    np.testing.assert_allclose(evaluation["loss"], ref, rtol=1e-4)


def test_custom_train_step_and_stop_training():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.steps = 0

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data[0], data[1]
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred)
            self.zero_grad()
            loss.backward()
            weights = self.trainable_weights
            self.optimizer.apply([w.grad for w in weights], weights)
            self.steps += 1
            if self.steps == 3:
                self.stop_training = True
            return {"custom": loss.detach()}

    model = Custom()
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(
        np.ones((64, 2)), np.ones((64, 1)), batch_size=8, epochs=5, verbose=0
    )
    assert model.steps == 3 and list(history.history) == ["custom"]


def test_data_kinds_all_train():
    x, labels = _data(n=64)
    model = _model()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    dataset = torch.utils.data.TensorDataset(
        torch.from_numpy(x), torch.from_numpy(labels)
    )

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 16 : (i + 1) * 16], labels[i * 16 : (i + 1) * 16]

    def generator():
        while True:
            yield x[:16], labels[:16]

    kinds = [
        dict(x=torch.from_numpy(x), y=torch.from_numpy(labels)),
        dict(x=dataset, batch_size=16),
        dict(x=torch.utils.data.DataLoader(dataset, batch_size=16)),
        dict(x=Batches()),
        dict(x=generator(), steps_per_epoch=2),
        dict(x=[x], y=labels),
    ]
    for kwargs in kinds:
        history = model.fit(epochs=1, verbose=0, **kwargs)
        assert np.isfinite(history.history["loss"][0])


def test_dict_inputs_by_name():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    out = keras.layers.Dense(1)(keras.layers.concatenate([a, b]))
    model = keras.Model([a, b], out)
    model.compile(optimizer="adam", loss="mse")
    data = {"a": np.ones((16, 3), "float32"), "b": np.ones((16, 2), "float32")}
    model.fit(data, np.ones((16, 1), "float32"), verbose=0)
    assert model.predict(data, verbose=0).shape == (16, 1)


def test_pandas_inputs():
    pd = pytest.importorskip("pandas")
    x, labels = _data(n=64)
    model = _model()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    model.fit(pd.DataFrame(x), pd.Series(labels), epochs=1, verbose=0)


def test_clear_errors_before_training():
    x, labels = _data(n=64)
    model = _model()
    with pytest.raises(
        ValueError, match=r"must call `compile\(\)` before calling `fit\(\)`"
    ):
        model.fit(x, labels)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        model.fit(x, labels[:10], verbose=0)
    with pytest.raises(ValueError, match="non-empty"):
        model.fit(x[:0], labels[:0], verbose=0)
    with pytest.raises(
        ValueError, match="`validation_split` is only supported for arrays"
    ):
        model.fit(
            torch.utils.data.TensorDataset(torch.from_numpy(x)),
            validation_split=0.2,
            verbose=0,
        )
    with pytest.raises(ValueError, match="must not be given separately"):
        model.fit(
            torch.utils.data.TensorDataset(torch.from_numpy(x)), labels, verbose=0
        )
    with pytest.raises(ValueError, match="`verbose` must be"):
        model.fit(x, labels, verbose=5)


def test_steps_per_execution_groups_batch_hooks():
    x, labels = _data(n=128)
    model = _model()
    model.compile(
        loss="sparse_categorical_crossentropy", optimizer="adam", steps_per_execution=4
    )
    batches = []
    cb = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: batches.append(batch)
    )
    model.fit(x, labels, batch_size=16, epochs=1, verbose=0, callbacks=[cb])
    assert batches == [0, 4]


def test_fit_matches_a_hand_written_torch_loop():
    """Same data order, same SGD math: cornu's fit equals a plain torch loop."""
    x, labels = _data(n=96)
    model = _model(activation=None)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    net = torch.nn.Sequential(
        torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)
    )
    with torch.no_grad():
        for layer, linear in zip(model.layers, (net[0], net[2])):
            linear.weight.copy_(layer.kernel.T)
            linear.bias.copy_(layer.bias)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    model.fit(x, labels, batch_size=32, epochs=2, shuffle=False, verbose=0)
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)
    for _ in range(2):
        for start in range(0, 96, 32):
            loss = torch.nn.functional.cross_entropy(
                net(xt[start : start + 32]), yt[start : start + 32]
            )
            opt.zero_grad()
            loss.backward()
            opt.step()
    torch.testing.assert_close(
        model.layers[0].kernel.detach(), net[0].weight.detach().T, rtol=1e-5, atol=1e-6
    )
    torch.testing.assert_close(
        model.layers[1].bias.detach(), net[2].bias.detach(), rtol=1e-5, atol=1e-6
    )


def test_regularization_losses_join_the_training_loss():
    x, labels = _data(n=32)
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L2(0.5)),
        ]
    )
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="sgd",
    )
    total = model.evaluate(x, labels, batch_size=32, verbose=0)
    logits = (
        torch.from_numpy(x) @ model.layers[0].kernel.detach()
        + model.layers[0].bias.detach()
    )
    ce = torch.nn.functional.cross_entropy(logits, torch.from_numpy(labels))
    penalty = 0.5 * (model.layers[0].kernel.detach() ** 2).sum()
    np.testing.assert_allclose(total, float(ce + penalty), rtol=1e-5)


def test_jit_compile_true_trains_like_eager():
    x, labels = _data(n=64)
    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(3)
        model = _model(activation=None)
        model.compile(
            optimizer=keras.optimizers.SGD(0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            jit_compile=jit,
        )
        assert model.jit_compile is jit
        model.fit(x, labels, batch_size=32, epochs=1, shuffle=False, verbose=0)
        results.append(model.get_weights())
    for eager, compiled in zip(*results):
        np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)


def test_jit_compile_auto_is_off_on_cpu():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    assert model.jit_compile is (keras.config.device().type == "cuda")


def test_predict_returns_bfloat16_outputs_as_float32() -> None:
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, dtype="bfloat16")]
    )
    x = np.random.default_rng(0).random((5, 4)).astype("float32")
    out = model.predict(x, batch_size=2, verbose=0)
    direct = model(torch.from_numpy(x)).float().detach().numpy()
    assert out.dtype == np.float32 and out.shape == (5, 3)
    np.testing.assert_array_equal(out, direct)
    np.testing.assert_array_equal(model.predict_on_batch(x), direct)


def test_predict_calls_batch_hooks_only_where_a_callback_has_them() -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = np.random.default_rng(1).random((10, 3)).astype("float32")
    seen: list[tuple[str, int, tuple]] = []

    class Record(keras.callbacks.Callback):
        def on_predict_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch, ()))

        def on_predict_batch_end(self, batch, logs=None):
            seen.append(("end", batch, tuple(logs["outputs"].shape)))

    with_hooks = model.predict(x, batch_size=4, verbose=0, callbacks=[Record()])
    assert seen == [
        ("begin", 0, ()),
        ("end", 0, (4, 2)),
        ("begin", 1, ()),
        ("end", 1, (4, 2)),
        ("begin", 2, ()),
        ("end", 2, (2, 2)),
    ]
    plain = model.predict(x, batch_size=4, verbose=0)
    direct = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(with_hooks, direct, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(plain, direct, rtol=1e-6, atol=1e-6)

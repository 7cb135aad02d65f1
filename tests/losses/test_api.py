"""The losses API: configs and files shared with Keras, `get`, errors, dtypes,
names, custom subclasses, and the fused fast path."""

from __future__ import annotations

import inspect
import json
import warnings

import numpy as np
import pytest
import torch

from cornu import losses
from cornu.losses.loss import Loss, LossFunctionWrapper

# (class name, constructor arguments) for every public loss class.
CLASS_CONFIGS = [
    ("MeanSquaredError", {}),
    ("MeanAbsoluteError", {"reduction": "sum"}),
    ("MeanAbsolutePercentageError", {}),
    ("MeanSquaredLogarithmicError", {"name": "msle_loss"}),
    ("CosineSimilarity", {"axis": 1}),
    ("Huber", {"delta": 2.5}),
    ("LogCosh", {"reduction": None}),
    ("KLDivergence", {}),
    ("Poisson", {"reduction": "mean_with_sample_weight"}),
    ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1, "axis": 0}),
    (
        "BinaryFocalCrossentropy",
        {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.0},
    ),
    ("CategoricalCrossentropy", {"from_logits": True, "label_smoothing": 0.2}),
    ("CategoricalFocalCrossentropy", {"alpha": [0.1, 0.9], "gamma": 3.0}),
    ("SparseCategoricalCrossentropy", {"from_logits": True, "ignore_class": -1}),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.7}),
    ("Hinge", {}),
    ("SquaredHinge", {}),
    ("CategoricalHinge", {}),
    ("Dice", {"axis": (1, 2)}),
    ("Tversky", {"alpha": 0.2, "beta": 0.8, "axis": (1,)}),
    ("Circle", {"gamma": 32.0, "margin": 0.1, "remove_diagonal": False}),
    ("CTC", {}),
]
# Keys Keras 3 leaves out of these configs (dropping the argument on reload);
# cornu writes them, and Keras's constructors accept them.
EXTRA_KEYS = {
    "Huber": {"delta"},
    "CosineSimilarity": {"axis"},
    "SparseCategoricalCrossentropy": {"axis"},
}
ALL_FUNCTIONS = [
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "ctc",
    "dice",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "tversky",
]
IDS = [name for name, _ in CLASS_CONFIGS]


def _json(obj):
    return json.loads(json.dumps(obj))


def test_public_names_match_keras(keras):
    keras_names = {n for n in dir(keras.losses) if not n.startswith("_")}
    ours = {n for n in dir(losses) if not n.startswith("_")}
    assert keras_names <= ours
    assert {name for name, _ in CLASS_CONFIGS} | set(ALL_FUNCTIONS) <= keras_names


# --- configs ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), CLASS_CONFIGS, ids=IDS)
def test_config_matches_keras(keras, name, kwargs):
    ours = getattr(losses, name)(**kwargs).get_config()
    theirs = getattr(keras.losses, name)(**kwargs).get_config()
    assert set(ours) == set(theirs) | EXTRA_KEYS.get(name, set())
    assert {k: ours[k] for k in theirs} == theirs


@pytest.mark.parametrize(("name", "kwargs"), CLASS_CONFIGS, ids=IDS)
def test_config_round_trip_and_matches_signature(name, kwargs):
    cls = getattr(losses, name)
    loss = cls(**kwargs)
    config = loss.get_config()
    params = set(inspect.signature(cls.__init__).parameters) - {"self", "dtype"}
    assert set(config) == params
    clone = cls.from_config(_json(config))
    assert type(clone) is cls
    assert _json(clone.get_config()) == _json(config)


@pytest.mark.parametrize(("name", "kwargs"), CLASS_CONFIGS, ids=IDS)
def test_serialized_loss_matches_keras(keras, name, kwargs):
    ours = _json(losses.serialize(getattr(losses, name)(**kwargs)))
    theirs = _json(keras.losses.serialize(getattr(keras.losses, name)(**kwargs)))
    for key in EXTRA_KEYS.get(name, ()):
        del ours["config"][key]
    assert ours == theirs


@pytest.mark.parametrize(("name", "kwargs"), CLASS_CONFIGS, ids=IDS)
def test_keras_config_loads_in_cornu(keras, name, kwargs):
    config = _json(keras.losses.serialize(getattr(keras.losses, name)(**kwargs)))
    loss = losses.deserialize(config)
    assert type(loss) is getattr(losses, name)
    ours = _json(loss.get_config())
    assert {k: ours[k] for k in config["config"]} == config["config"]


@pytest.mark.parametrize(("name", "kwargs"), CLASS_CONFIGS, ids=IDS)
def test_cornu_config_loads_in_keras(keras, name, kwargs):
    config = _json(losses.serialize(getattr(losses, name)(**kwargs)))
    # The loader model files go through (`keras.losses.deserialize` does not
    # know CategoricalGeneralizedCrossEntropy in Keras 3.15).
    loss = keras.saving.deserialize_keras_object(config)
    assert type(loss).__name__ == name
    expected = _json(getattr(keras.losses, name)(**kwargs).get_config())
    assert _json(loss.get_config()) == expected


@pytest.mark.parametrize("name", ALL_FUNCTIONS)
def test_functions_serialize_as_keras_and_back(keras, name):
    ours = losses.serialize(getattr(losses, name))
    assert ours == keras.losses.serialize(getattr(keras.losses, name))
    assert losses.deserialize(_json(ours)) is getattr(losses, name)
    from_keras = keras.saving.deserialize_keras_object(_json(ours))
    assert from_keras is getattr(keras.losses, name)


def test_loss_function_wrapper_config_interchanges_with_keras(keras):
    from keras.src.losses.losses import LossFunctionWrapper as KerasWrapper

    ours = LossFunctionWrapper(losses.huber, name="w", reduction="sum", delta=2.0)
    theirs = KerasWrapper(keras.losses.huber, name="w", reduction="sum", delta=2.0)
    assert _json(ours.get_config()) == _json(theirs.get_config())

    from_keras = losses.deserialize(_json(keras.losses.serialize(theirs)))
    assert type(from_keras) is LossFunctionWrapper
    assert from_keras.fn is losses.huber
    assert from_keras._fn_kwargs == {"delta": 2.0}

    to_keras = keras.losses.deserialize(_json(losses.serialize(ours)))
    assert to_keras.fn is keras.losses.huber
    y_true, y_pred = torch.zeros(2, 3), torch.full((2, 3), 3.0)
    assert float(to_keras(y_true, y_pred)) == pytest.approx(float(ours(y_true, y_pred)))


def test_loss_function_wrapper_round_trip_and_repr():
    wrapper = LossFunctionWrapper(losses.tversky, alpha=0.1, beta=0.9, axis=(1,))
    clone = LossFunctionWrapper.from_config(_json(wrapper.get_config()))
    assert clone.fn is losses.tversky
    assert clone._fn_kwargs == {"alpha": 0.1, "beta": 0.9, "axis": [1]}
    assert "tversky" in repr(wrapper)
    weighted = LossFunctionWrapper(losses.mean_squared_error, scale=np.float32(2))
    assert weighted.get_config()["scale"] == 2.0


# --- get ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error),
        ("mape", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error),
        ("kld", losses.kl_divergence),
        ("bce", losses.binary_crossentropy),
        ("BCE", losses.binary_crossentropy),
        ("categorical_crossentropy", losses.categorical_crossentropy),
        ("huber", losses.huber),
        ("circle", losses.circle),
        (losses.poisson, losses.poisson),
    ],
)
def test_get_returns_functions(identifier, expected):
    assert losses.get(identifier) is expected


@pytest.mark.parametrize("name", [name for name, _ in CLASS_CONFIGS] + ["Loss"])
def test_get_class_name_returns_instance(name):
    loss = losses.get(name)
    assert type(loss) is getattr(losses, name)


def test_get_other_identifiers():
    assert losses.get(None) is None
    instance = losses.Huber(delta=3.0)
    assert losses.get(instance) is instance
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)
    loss = losses.get(
        {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    )
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits


@pytest.mark.parametrize("identifier", ["huber_loss", "logcosh", "not_a_loss", 3])
def test_get_unknown_raises(identifier):
    with pytest.raises(
        ValueError, match=f"Could not interpret loss identifier: {identifier!r}"
    ):
        losses.get(identifier)


def test_deserialize_unknown_raises():
    with pytest.raises(ValueError, match="not_a_loss"):
        losses.deserialize("not_a_loss")


def test_deserialize_custom_objects():
    def my_loss(y_true, y_pred):
        return (y_true - y_pred).abs().sum(dim=-1)

    assert losses.deserialize("my_loss", custom_objects={"my_loss": my_loss}) is my_loss


# --- errors and warnings ------------------------------------------------------


def test_invalid_reduction_raises():
    with pytest.raises(
        ValueError, match=r"Invalid value for argument `reduction`.*'avg'"
    ):
        losses.MeanSquaredError(reduction="avg")


@pytest.mark.parametrize("q", [0.0, 1.0, -0.5])
def test_generalized_cross_entropy_rejects_q(q):
    with pytest.raises(
        ValueError, match=rf"`q` must be in the interval \(0, 1\). Received: q={q}"
    ):
        losses.CategoricalGeneralizedCrossEntropy(q=q)


@pytest.mark.parametrize(
    "fn", [losses.categorical_crossentropy, losses.categorical_focal_crossentropy]
)
def test_boolean_axis_raises(fn):
    with pytest.raises(ValueError, match="`axis` must be of type `int`"):
        fn(torch.ones(2, 3), torch.ones(2, 3), axis=True)


def test_shape_mismatch_raises():
    with pytest.raises(
        ValueError, match=r"target.shape=\(2, 3\), output.shape=\(2, 4\)"
    ):
        losses.binary_crossentropy(torch.ones(2, 3), torch.ones(2, 4))
    with pytest.raises(
        ValueError, match=r"target.shape=\(2, 3\), output.shape=\(2, 4\)"
    ):
        losses.categorical_crossentropy(torch.ones(2, 3), torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"up until the last dimension.*\(3,\)"):
        losses.SparseCategoricalCrossentropy()(
            torch.tensor([0, 1, 1]), torch.ones(2, 4)
        )


def test_ctc_rank_errors():
    with pytest.raises(ValueError, match=r"y_true.shape=\(2,\)"):
        losses.ctc(torch.tensor([1, 2]), torch.zeros(2, 5, 3))
    with pytest.raises(ValueError, match=r"y_pred.shape=\(2, 5\)"):
        losses.ctc(torch.tensor([[1, 2]]), torch.zeros(2, 5))


def test_single_class_categorical_warns_like_keras():
    with pytest.warns(SyntaxWarning, match="Consider using 'binary_crossentropy'"):
        losses.CategoricalCrossentropy(from_logits=True)(
            torch.ones(2, 1), torch.ones(2, 1)
        )


def test_unimplemented_call_raises():
    with pytest.raises(NotImplementedError, match="'Loss' must implement `call"):
        Loss()(torch.ones(1), torch.ones(1))


# --- names, dtypes, subclasses ------------------------------------------------


def test_default_names():
    first, second = Loss(), Loss()
    assert first.name.startswith("loss") and second.name != first.name
    assert losses.Huber().name == "huber_loss"
    assert losses.MeanSquaredError(name="m").name == "m"


def test_dtype_of_computation():
    y_true, y_pred = torch.rand(3, 4), torch.rand(3, 4)
    assert losses.MeanSquaredError().dtype == "float32"
    out = losses.MeanSquaredError(dtype="float64")(y_true, y_pred)
    assert out.dtype == torch.float64
    half = losses.BinaryCrossentropy()(y_true.half(), y_pred.half())
    assert half.dtype == torch.float32
    expected = losses.BinaryCrossentropy()(y_true.half().float(), y_pred.half().float())
    torch.testing.assert_close(half, expected)


def test_custom_subclass_gets_float_targets():
    seen = {}

    class Custom(Loss):
        def call(self, y_true, y_pred):
            seen["dtype"] = y_true.dtype
            return (y_true - y_pred).square().sum(dim=-1)

    loss = Custom(reduction="sum")
    out = loss(np.array([[1, 2]]), torch.tensor([[0.0, 0.0]]))
    assert seen["dtype"] == torch.float32
    assert float(out) == 5.0
    assert loss.get_config() == {"name": loss.name, "reduction": "sum"}


def test_integer_label_losses_keep_integer_labels():
    seen = {}

    def spy(y_true, y_pred, **kwargs):
        seen["dtype"] = y_true.dtype
        return losses.sparse_categorical_crossentropy(y_true, y_pred, **kwargs)

    loss = losses.SparseCategoricalCrossentropy(reduction="none")
    loss.fn = spy
    loss(torch.tensor([0, 1]), torch.rand(2, 3))
    assert seen["dtype"] == torch.int64


def test_dict_structures_are_mapped():
    class PerKey(Loss):
        def call(self, y_true, y_pred):
            return sum(((y_true[k] - y_pred[k]) ** 2).mean() for k in y_true)

    y = {"a": np.ones((2, 2)), "b": np.zeros(3)}
    p = {"a": torch.zeros(2, 2), "b": torch.ones(3)}
    assert float(PerKey()(y, p)) == 2.0


# --- the fused fast path ------------------------------------------------------

FUSED_CASES = [
    (losses.MeanSquaredError, {}, "regression"),
    (losses.BinaryCrossentropy, {}, "binary"),
    (
        losses.BinaryCrossentropy,
        {"from_logits": True, "label_smoothing": 0.1},
        "binary",
    ),
    (losses.CategoricalCrossentropy, {"from_logits": True}, "categorical"),
    (
        losses.CategoricalCrossentropy,
        {"from_logits": True, "label_smoothing": 0.1, "reduction": "sum"},
        "categorical",
    ),
    (losses.SparseCategoricalCrossentropy, {}, "sparse"),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True}, "sparse"),
    (
        losses.SparseCategoricalCrossentropy,
        {"from_logits": True, "ignore_class": 0, "reduction": "sum"},
        "sparse",
    ),
    (losses.SparseCategoricalCrossentropy, {"ignore_class": 2}, "sparse"),
]


def _fused_data(kind: str):
    g = torch.Generator().manual_seed(0)
    if kind == "sparse":
        return torch.randint(0, 4, (8,), generator=g), torch.rand(8, 4, generator=g)
    if kind == "categorical":
        return torch.eye(4)[torch.randint(0, 4, (8,), generator=g)], torch.randn(8, 4)
    if kind == "binary":
        return torch.randint(0, 2, (8, 3), generator=g).float(), torch.rand(8, 3)
    return torch.randn(8, 3, generator=g), torch.randn(8, 3, generator=g)


@pytest.mark.parametrize(("cls", "kwargs", "kind"), FUSED_CASES)
def test_fused_path_is_taken_and_equals_general_path(cls, kwargs, kind):
    y_true, y_pred = _fused_data(kind)
    loss = cls(**kwargs)
    general = loss.call(y_true, y_pred)
    expected = losses.loss.reduce_weighted_values(
        general, mask=getattr(general, "_keras_mask", None), reduction=loss.reduction
    )

    def refuse(*args):
        raise AssertionError("the general path was taken")

    loss.call = refuse
    torch.testing.assert_close(loss(y_true, y_pred), expected)


def test_general_path_when_weighted_or_masked():
    y_true, y_pred = _fused_data("regression")
    loss = losses.MeanSquaredError()
    loss._fused = lambda *args: pytest.fail("the fused path was taken")
    loss(y_true, y_pred, sample_weight=torch.ones(8))
    y_pred._keras_mask = torch.ones(8, dtype=torch.bool)
    loss(y_true, y_pred)


def test_no_warning_from_default_call():
    y_true, y_pred = _fused_data("regression")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, kwargs in CLASS_CONFIGS[:5]:
            getattr(losses, name)(**kwargs)(y_true, y_pred)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", None])
def test_binary_crossentropy_runs_under_autocast(reduction):
    # torch refuses F.binary_cross_entropy inside autocast regions.
    y_true, y_pred = _fused_data("binary")
    loss = losses.BinaryCrossentropy(reduction=reduction)
    expected = loss(y_true, y_pred)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        actual = loss(y_true, y_pred)
    torch.testing.assert_close(actual, expected)

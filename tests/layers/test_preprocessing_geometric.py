"""Geometric and mixing image augmentations: the harness, then Keras's
`transform_images` on our draw (and Keras's own seeded draws), training=False
passthrough, reproducible seeds, dict inputs and argument errors."""

from __future__ import annotations

import doctest
import importlib
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.layers.preprocessing.cut_mix import CutMix
from cornu.layers.preprocessing.max_num_bounding_boxes import MaxNumBoundingBoxes
from cornu.layers.preprocessing.mix_up import MixUp
from cornu.layers.preprocessing.random_elastic_transform import RandomElasticTransform
from cornu.layers.preprocessing.random_erasing import RandomErasing
from cornu.layers.preprocessing.random_gaussian_blur import RandomGaussianBlur
from cornu.layers.preprocessing.random_perspective import RandomPerspective
from cornu.layers.preprocessing.random_shear import RandomShear

RNG = np.random.default_rng(3)
SHAPE = (4, 9, 10, 3)
X = torch.from_numpy((RNG.random(SHAPE) * 255).astype("float32"))
X_CF = X.permute(0, 3, 1, 2).contiguous()

# (layer, kwargs) cases checked against Keras on the same draw.
CASES = [
    (RandomShear, {"x_factor": 0.3, "y_factor": 0.2}),
    (RandomShear, {"x_factor": (0.1, 0.4), "fill_mode": "constant", "fill_value": 7.0}),
    (RandomShear, {"y_factor": 0.5, "interpolation": "nearest", "fill_mode": "wrap"}),
    (RandomShear, {"x_factor": 0.3, "data_format": "channels_first"}),
    (RandomPerspective, {"scale": 0.5}),
    (RandomPerspective, {"factor": (0.5, 0.9), "interpolation": "nearest"}),
    (
        RandomPerspective,
        {"scale": 0.3, "fill_value": 3.0, "data_format": "channels_first"},
    ),
    (RandomGaussianBlur, {"kernel_size": 5, "factor": 0.7}),
    (RandomGaussianBlur, {"sigma": (0.2, 0.9), "data_format": "channels_first"}),
    (RandomErasing, {}),
    (RandomErasing, {"fill_value": 3.0, "scale": (0.1, 0.5)}),
    (RandomErasing, {"factor": (0.6, 1.0), "data_format": "channels_first"}),
    (CutMix, {}),
    (CutMix, {"factor": 0.4, "data_format": "channels_first"}),
    (MixUp, {"alpha": 0.5}),
]


def _x(kwargs: dict) -> torch.Tensor:
    return X_CF if kwargs.get("data_format") == "channels_first" else X


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_harness(layer_test: Any, cls: Any, kwargs: dict) -> None:
    shape = tuple(_x(kwargs).shape)
    layer_test(
        cls,
        {**kwargs, "seed": 1},
        input_shape=shape,
        expected_output_shape=shape,
        expected_num_trainable_weights=0,
    )


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_keras_applies_our_draw_identically(
    keras_oracle: Any, cls: Any, kwargs: dict
) -> None:
    x = _x(kwargs)
    layer = cls(**kwargs, seed=5)
    t = layer.get_random_transformation(x)
    theirs_layer = getattr(keras_oracle.layers, cls.__name__)(**kwargs)
    ours = layer.transform_images(x, t)
    theirs = theirs_layer.transform_images(x, t)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-5, atol=1e-4)
    # Seeded layers draw Keras's own numbers too: same seed, same output.
    ours = cls(**kwargs, seed=9)(x)
    theirs = getattr(keras_oracle.layers, cls.__name__)(**kwargs, seed=9)(x)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("cls,kwargs", CASES)
def test_training_false_and_seeds(cls: Any, kwargs: dict) -> None:
    x = _x(kwargs)
    assert torch.equal(cls(**kwargs, seed=2)(x, training=False), x)
    a, b = cls(**kwargs, seed=2), cls(**kwargs, seed=2)
    first = a(x)
    torch.testing.assert_close(first, b(x), rtol=0, atol=0)
    assert not torch.equal(first, x)
    # The layer's generator moves on: a second call draws anew.
    assert not torch.equal(a(x), first)


def test_random_shear_maps_pixels_as_keras_documents(keras_oracle: Any) -> None:
    # An output pixel (x, y) reads (x + sx * y, y + sy * x).
    x = torch.arange(20.0).reshape(1, 4, 5, 1)
    layer = RandomShear(interpolation="nearest", fill_mode="constant")
    t = {"shear_factor": torch.tensor([[1.0, 0.0]]), "input_shape": (1, 4, 5, 1)}
    y = layer.transform_images(x, t)[0, ..., 0]
    assert y[1, 0] == x[0, 1, 1, 0] and y[2, 1] == x[0, 2, 3, 0] and y[3, 4] == 0
    # One image, and the masks of a dict input (nearest, as Keras).
    single = RandomShear(0.3, 0.3, seed=4)
    t = single.get_random_transformation(X[0])
    theirs = keras_oracle.layers.RandomShear(0.3, 0.3).transform_images(X[:1], t)
    torch.testing.assert_close(single.transform_images(X[0], t), theirs[0].cpu())
    masks = torch.from_numpy(RNG.integers(0, 3, (4, 9, 10, 1)).astype("float32"))
    data = {"images": X, "labels": torch.eye(4), "segmentation_masks": masks}
    ours = RandomShear(0.3, 0.2, seed=6)(data)
    theirs = keras_oracle.layers.RandomShear(0.3, 0.2, seed=6)(dict(data))
    for key in ("images", "labels", "segmentation_masks"):
        torch.testing.assert_close(ours[key], theirs[key].cpu(), rtol=1e-5, atol=1e-4)
    assert set(torch.unique(ours["segmentation_masks"]).tolist()) <= {0.0, 1.0, 2.0}


def test_random_perspective_single_image_and_probability() -> None:
    layer = RandomPerspective(scale=0.4, seed=2)
    t = layer.get_random_transformation(X[0])
    assert t["start_points"].shape == (1, 4, 2)
    out = layer.transform_images(X[0], t)
    torch.testing.assert_close(out, layer.transform_images(X[:1], t)[0])
    never = RandomPerspective(factor=0.0, seed=2)
    assert torch.equal(never(X), X)
    corners = never.get_random_transformation(X)["start_points"][0]
    assert corners.tolist() == [[0, 0], [9, 0], [0, 8], [9, 8]]


def test_random_elastic_transform(layer_test: Any, keras_oracle: Any) -> None:
    kwargs: dict[str, Any] = {"factor": (1.0, 1.0), "scale": 0.8}
    layer_test(
        RandomElasticTransform,
        {**kwargs, "seed": 1},
        input_shape=SHAPE,
        expected_output_shape=SHAPE,
        expected_num_trainable_weights=0,
    )
    layer = RandomElasticTransform(**kwargs, seed=3)
    t = layer.get_random_transformation(X)
    assert sorted(t) == ["apply_transform", "distortion_factor", "seed"]
    # Keras draws the field from torch's global generator whatever the seed;
    # unseeded, both draw the same field under the same global seed.
    t["seed"] = None
    torch.manual_seed(0)
    ours = layer.transform_images(X, t)
    torch.manual_seed(0)
    theirs = keras_oracle.layers.RandomElasticTransform(**kwargs).transform_images(X, t)
    torch.testing.assert_close(ours, theirs.cpu(), rtol=1e-5, atol=1e-3)
    assert (
        not torch.equal(ours, X) and float(ours.min()) >= 0 and float(ours.max()) <= 255
    )
    assert torch.equal(layer(X, training=False), X)
    a = RandomElasticTransform(**kwargs, seed=4)(X)
    torch.testing.assert_close(
        a, RandomElasticTransform(**kwargs, seed=4)(X), rtol=0, atol=0
    )
    assert torch.equal(RandomElasticTransform(scale=0.0)(X), X)


def test_random_gaussian_blur_is_a_depthwise_conv() -> None:
    layer = RandomGaussianBlur(kernel_size=3, value_range=(-1e9, 1e9))
    sigma = torch.tensor([0.7, 0.7])
    t = {
        "should_apply_blur": torch.tensor([True, False, True, True]),
        "blur_factor": sigma,
    }
    out = layer.transform_images(X, t)
    g = torch.exp(-0.5 * (torch.arange(3.0) - 1) ** 2 / 0.49)
    k = torch.outer(g, g) / torch.outer(g, g).sum()
    want = torch.nn.functional.conv2d(
        X_CF, k.expand(3, 1, 3, 3), padding=1, groups=3
    ).permute(0, 2, 3, 1)
    torch.testing.assert_close(out[[0, 2, 3]], want[[0, 2, 3]], rtol=1e-5, atol=1e-3)
    assert torch.equal(out[1], X[1])


def test_random_erasing_box_and_fill() -> None:
    layer = RandomErasing(factor=(1.0, 1.0), scale=(0.25, 0.25), fill_value=0.0, seed=1)
    y = layer(torch.full((3, 8, 8, 2), 5.0))
    # Every image loses one 4 x 4 box (half of each side), in all channels.
    assert ((y == 0).sum(dim=(1, 2, 3)) == 32).all()
    triple = RandomErasing(factor=(1.0, 1.0), fill_value=[1.0, 2.0, 3.0], seed=1)
    z = triple(X)
    erased = z != X
    assert torch.equal(
        z[..., 1][erased[..., 1]], torch.full_like(z[..., 1][erased[..., 1]], 2.0)
    )
    single = RandomErasing(factor=(1.0, 1.0), seed=2)(X[0])
    assert single.shape == X[0].shape


def test_cut_mix_and_mix_up_dicts(layer_test: Any, keras_oracle: Any) -> None:
    labels = torch.eye(4)
    for cls in (CutMix, MixUp):
        out = layer_test(
            cls,
            {"seed": 1},
            input_data={"images": X.numpy(), "labels": labels.numpy()},
            expected_num_trainable_weights=0,
        )
        assert out["images"].shape == X.shape and out["labels"].shape == (4, 4)
        ours = cls(seed=2)({"images": X, "labels": labels})
        theirs = getattr(keras_oracle.layers, cls.__name__)(seed=2)(
            {"images": X, "labels": labels}
        )
        for key in ("images", "labels"):
            torch.testing.assert_close(
                ours[key], theirs[key].cpu(), rtol=1e-5, atol=1e-4
            )
        torch.testing.assert_close(ours["labels"].sum(-1), torch.ones(4))
        kept = cls(seed=2)({"images": X, "labels": labels}, training=False)
        assert torch.equal(kept["images"], X) and torch.equal(kept["labels"], labels)


def test_cut_mix_labels_follow_the_box_area() -> None:
    layer = CutMix(seed=3)
    t = layer.get_random_transformation(X)
    images = layer.transform_images(X, t)
    labels = layer.transform_labels(torch.eye(4), t)
    order = t["permutation_order"].long()
    pasted = t["batch_masks"][..., 0].float().mean(dim=(1, 2))
    for i in range(4):
        if order[i] != i:
            # The pixels changed are those of the box, taken from the partner.
            torch.testing.assert_close(
                images[i][t["batch_masks"][i]], X[order[i]][t["batch_masks"][i]]
            )
            assert abs(float(labels[i, order[i]]) - float(pasted[i])) < 0.12
    assert CutMix(seed=1)(X[0]).shape == X[0].shape  # unbatched: unchanged
    assert torch.equal(CutMix(seed=1)(X[0]), X[0])


def test_mix_up_blends_with_the_partner_and_its_boxes() -> None:
    layer = MixUp(alpha=0.5, seed=3, bounding_box_format="xyxy")
    boxes = torch.arange(4 * 2 * 4, dtype=torch.float32).reshape(4, 2, 4)
    box_labels = torch.arange(8.0).reshape(4, 2)
    out = layer({"images": X, "bounding_boxes": {"boxes": boxes, "labels": box_labels}})
    t = MixUp(alpha=0.5, seed=3).get_random_transformation(X)
    w, order = t["mix_weight"].reshape(-1, 1, 1, 1), t["permutation_order"]
    torch.testing.assert_close(out["images"], w * X + (1 - w) * X[order])
    assert out["bounding_boxes"]["boxes"].shape == (4, 4, 4)
    assert torch.equal(out["bounding_boxes"]["boxes"][:, 2:], boxes[order])
    assert torch.equal(out["bounding_boxes"]["labels"][:, 2:], box_labels[order])
    assert layer.get_config()["bounding_box_format"] == "xyxy"


def test_max_num_bounding_boxes(layer_test: Any, keras_oracle: Any) -> None:
    boxes = RNG.random((2, 3, 4)).astype("float32")
    labels = np.array([[1, 2, 3], [4, 5, 6]], "float32")
    for n in (2, 5):
        layer = MaxNumBoundingBoxes(n, bounding_box_format="xyxy")
        data = {"images": X[:2], "bounding_boxes": {"boxes": boxes, "labels": labels}}
        ours = layer(data)["bounding_boxes"]
        theirs = keras_oracle.layers.MaxNumBoundingBoxes(n, bounding_box_format="xyxy")(
            {"images": X[:2], "bounding_boxes": {"boxes": boxes, "labels": labels}}
        )
        for key in ("boxes", "labels"):
            torch.testing.assert_close(
                ours[key], torch.as_tensor(theirs["bounding_boxes"][key]).cpu()
            )
        assert ours["boxes"].shape == (2, n, 4)
    layer_test(
        MaxNumBoundingBoxes,
        {"max_number": 3},
        input_shape=SHAPE,
        expected_output_shape=SHAPE,
        expected_num_trainable_weights=0,
    )
    sym = MaxNumBoundingBoxes(4, bounding_box_format="xyxy")(
        {
            "images": keras.Input((9, 10, 3)),
            "bounding_boxes": {
                "boxes": keras.Input((6, 4)),
                "labels": keras.Input((6,)),
            },
        }
    )
    assert sym["bounding_boxes"]["boxes"].shape == (None, 4, 4)
    assert sym["bounding_boxes"]["labels"].shape == (None, 4)
    with pytest.raises(ValueError, match="no `bounding_box_format`"):
        MaxNumBoundingBoxes(2)(
            {"images": X, "bounding_boxes": {"boxes": boxes, "labels": labels}}
        )
    with pytest.raises(KeyError, match="only 'boxes' and 'labels'"):
        MaxNumBoundingBoxes(2).compute_output_shape(
            {"bounding_boxes": {"boxes": (2, 3, 4), "labels": (2, 3), "scores": (2, 3)}}
        )
    with pytest.raises(ValueError, match="`max_number` must be a positive int"):
        MaxNumBoundingBoxes(0)


@pytest.mark.parametrize(
    "make,match",
    [
        (
            lambda: RandomShear(x_factor=1.5),
            r"RandomShear `x_factor` must be a number in \[0, 1\]",
        ),
        (lambda: RandomShear(y_factor=-0.2), "RandomShear `y_factor`"),
        (
            lambda: RandomShear(fill_mode="edge"),
            "RandomShear `fill_mode` must be one of",
        ),
        (lambda: RandomShear(interpolation="cubic"), "`interpolation` must be one of"),
        (lambda: RandomPerspective(scale=1.5), r"`scale` must be a number in \[0, 1\]"),
        (lambda: RandomPerspective(factor=2.0), "RandomPerspective `factor`"),
        (lambda: RandomPerspective(interpolation="area"), "`interpolation` must be"),
        (
            lambda: RandomElasticTransform(scale=(2, 3)),
            "RandomElasticTransform `scale`",
        ),
        (
            lambda: RandomElasticTransform(fill_mode="edge"),
            "`fill_mode` must be one of",
        ),
        (lambda: RandomElasticTransform(value_range=(1, 1)), "`value_range` must be"),
        (lambda: RandomGaussianBlur(kernel_size=4), "`kernel_size` must be an odd int"),
        (lambda: RandomGaussianBlur(sigma=3.0), "RandomGaussianBlur `sigma`"),
        (
            lambda: RandomErasing(fill_value=[1, 2]),
            "`fill_value` must be None, a number",
        ),
        (lambda: RandomErasing(scale="big"), "RandomErasing `scale`"),
        (lambda: CutMix(factor=-1.0), "CutMix `factor`"),
        (lambda: MixUp(alpha=0.0), "MixUp `alpha` must be a positive number"),
    ],
)
def test_bad_arguments(make: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_dict_inputs_errors() -> None:
    with pytest.raises(ValueError, match='with an "images" key'):
        RandomShear(0.2)({"labels": torch.zeros(4)})
    with pytest.raises(ValueError, match="no `bounding_box_format`"):
        MixUp()({"images": X, "bounding_boxes": {"boxes": torch.zeros(4, 1, 4)}})
    with pytest.raises(NotImplementedError, match="CutMix does not transform bounding"):
        CutMix(bounding_box_format="xyxy")(
            {"images": X, "bounding_boxes": {"boxes": torch.zeros(4, 1, 4)}}
        )


@pytest.mark.parametrize(
    "module",
    [
        "random_shear",
        "random_perspective",
        "random_elastic_transform",
        "random_gaussian_blur",
        "random_erasing",
        "cut_mix",
        "mix_up",
        "max_num_bounding_boxes",
    ],
)
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"cornu.layers.preprocessing.{module}")
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_in_a_functional_model_predict_passes_through() -> None:
    inputs = keras.Input(SHAPE[1:])
    x = RandomShear(0.3, seed=0)(inputs)
    x = RandomPerspective(scale=0.3, seed=0)(x)
    x = RandomErasing(seed=0)(x)
    model = keras.Model(inputs, x)
    assert model.output_shape == (None, *SHAPE[1:])
    np.testing.assert_allclose(model.predict(X.numpy(), verbose=0), X.numpy())

"""Dict inputs with bounding boxes and segmentation masks through the image
augmentation layers, checked against Keras (torch backend) on the same
transformation or the same seed."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.utils.bounding_boxes import convert_format

RNG = np.random.default_rng(11)
H, W = 9, 10
X = torch.from_numpy((RNG.random((4, H, W, 3)) * 255).astype("float32"))
_CORNER = RNG.random((4, 3, 2)) * np.array([W, H]) * 0.6
_SIZE = RNG.random((4, 3, 2)) * np.array([W, H]) * 0.5 + 0.5
BOXES = torch.from_numpy(
    np.concatenate([_CORNER, _CORNER + _SIZE], -1).astype("float32")
)
BOXES[3, 2] = 0.0  # a padding box
LABELS = torch.from_numpy(RNG.integers(0, 5, (4, 3)).astype("int32"))
MASKS = torch.from_numpy(RNG.integers(0, 3, (4, H, W, 1)).astype("float32"))
FORMATS = ["xyxy", "center_xywh", "rel_yxyx"]
RTOL, ATOL = 1e-5, 1e-4

# (layer, kwargs): each transforms boxes as Keras does.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("RandomFlip", {}),
    ("RandomFlip", {"mode": "horizontal"}),
    ("RandomFlip", {"mode": "vertical", "data_format": "channels_first"}),
    ("RandomRotation", {"factor": 0.2}),
    ("RandomZoom", {"height_factor": 0.3}),
    ("RandomZoom", {"height_factor": (-0.4, -0.2), "width_factor": (0.1, 0.3)}),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.3}),
    ("RandomCrop", {"height": 6, "width": 7}),
    ("CenterCrop", {"height": 6, "width": 7}),
    ("CenterCrop", {"height": 12, "width": 7}),  # taller than the input
    ("Resizing", {"height": 6, "width": 7}),
    ("Resizing", {"height": 6, "width": 14, "crop_to_aspect_ratio": True}),
    ("Resizing", {"height": 6, "width": 14, "pad_to_aspect_ratio": True}),
    ("RandomShear", {"x_factor": 0.3, "y_factor": 0.2}),
    ("RandomPerspective", {"scale": 0.5}),
    ("RandomPerspective", {"factor": (0.4, 0.6), "scale": 0.3}),
    ("RandomGaussianBlur", {}),
    ("RandomErasing", {}),
]
DETERMINISTIC = ("CenterCrop", "Resizing")


def _layers(oracle: Any, name: str, kwargs: dict, fmt: str, seed: int = 3):
    kwargs = {**kwargs, "bounding_box_format": fmt}
    if name not in DETERMINISTIC:
        kwargs["seed"] = seed
    return getattr(keras.layers, name)(**kwargs), getattr(oracle.layers, name)(**kwargs)


def _data(fmt: str, channels_first: bool = False) -> dict[str, Any]:
    images, masks = X, MASKS
    if channels_first:
        images, masks = X.permute(0, 3, 1, 2), MASKS.permute(0, 3, 1, 2)
    return {
        "images": images.contiguous(),
        "labels": torch.eye(4),
        "bounding_boxes": {
            "boxes": convert_format(BOXES, "xyxy", fmt, H, W),
            "labels": LABELS,
        },
        "segmentation_masks": masks.contiguous(),
    }


def _copy(value: Any) -> Any:
    """A deep copy: Keras edits dicts (and some tensors) in place."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return copy.deepcopy(value)


def _check_boxes(ours: dict, theirs: dict) -> None:
    torch.testing.assert_close(
        ours["boxes"], theirs["boxes"].cpu(), rtol=RTOL, atol=ATOL
    )
    assert torch.equal(ours["labels"], theirs["labels"].cpu())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name,kwargs", CASES)
def test_boxes_match_keras_on_one_transformation(
    keras_oracle: Any, name: str, kwargs: dict, fmt: str
) -> None:
    ours, theirs = _layers(keras_oracle, name, kwargs, fmt)
    data = _data(fmt, kwargs.get("data_format") == "channels_first")
    t = ours.get_random_transformation(data, training=True)
    mine = ours.transform_bounding_boxes(_copy(data["bounding_boxes"]), t)
    reference = theirs.transform_bounding_boxes(_copy(data["bounding_boxes"]), _copy(t))
    _check_boxes(mine, reference)
    assert mine["boxes"].shape == (4, 3, 4)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_dict_call_matches_keras(keras_oracle: Any, name: str, kwargs: dict) -> None:
    fmt = "xyxy"
    ours, theirs = _layers(keras_oracle, name, kwargs, fmt)
    data = _data(fmt, kwargs.get("data_format") == "channels_first")
    mine = ours(_copy(data))
    reference = theirs(_copy(data))
    for key in ("images", "labels"):
        torch.testing.assert_close(
            mine[key], reference[key].cpu(), rtol=RTOL, atol=ATOL
        )
    _check_boxes(mine["bounding_boxes"], reference["bounding_boxes"])
    # The images are those of the plain call with the same seed.
    plain, _ = _layers(keras_oracle, name, kwargs, fmt)
    torch.testing.assert_close(mine["images"], plain(data["images"]), rtol=0, atol=0)


@pytest.mark.parametrize("name,kwargs", CASES)
def test_segmentation_masks_match_keras(keras_oracle: Any, name: str, kwargs: dict):
    ours, theirs = _layers(keras_oracle, name, kwargs, "xyxy")
    data = _data("xyxy", kwargs.get("data_format") == "channels_first")
    t = ours.get_random_transformation(data, training=True)
    masks = data["segmentation_masks"]
    mine = ours.transform_segmentation_masks(masks, t)
    reference = theirs.transform_segmentation_masks(masks.clone(), _copy(t))
    torch.testing.assert_close(mine, reference.cpu(), rtol=RTOL, atol=ATOL)
    # Nearest interpolation keeps the class ids (resizes of crops excepted).
    if name not in ("CenterCrop", "RandomCrop") or kwargs["height"] <= H:
        assert set(torch.unique(mine).tolist()) <= {0.0, 1.0, 2.0}


@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("RandomFlip", {}),
        ("RandomRotation", {"factor": 0.3}),
        ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}),
        ("CenterCrop", {"height": 6, "width": 7}),
        ("Resizing", {"height": 5, "width": 12, "pad_to_aspect_ratio": True}),
    ],
)
def test_one_image_matches_keras(keras_oracle: Any, name: str, kwargs: dict) -> None:
    fmt = "rel_xyxy"
    ours, theirs = _layers(keras_oracle, name, kwargs, fmt)
    data = _data(fmt)
    one = {
        "images": data["images"][0],
        "bounding_boxes": {k: v[0] for k, v in data["bounding_boxes"].items()},
    }
    mine = ours(_copy(one))
    reference = theirs(_copy(one))
    assert mine["bounding_boxes"]["boxes"].shape == (3, 4)
    _check_boxes(mine["bounding_boxes"], reference["bounding_boxes"])
    torch.testing.assert_close(
        mine["images"], reference["images"].cpu(), rtol=RTOL, atol=ATOL
    )


def test_inference_passes_boxes_through(keras_oracle: Any) -> None:
    data = _data("xywh")
    for name, kwargs in CASES:
        if name in DETERMINISTIC or name == "RandomCrop":
            continue
        layer = getattr(keras.layers, name)(**kwargs, bounding_box_format="xywh")
        out = layer(_copy(data), training=False)
        assert torch.equal(
            out["bounding_boxes"]["boxes"], data["bounding_boxes"]["boxes"]
        )
        assert torch.equal(out["segmentation_masks"], data["segmentation_masks"])
    # RandomCrop's inference resize moves boxes as Resizing does.
    crop = keras.layers.RandomCrop(6, 14, bounding_box_format="xywh")
    out = crop(_copy(data), training=False)
    resizing = keras_oracle.layers.Resizing(
        6, 14, crop_to_aspect_ratio=True, bounding_box_format="xywh"
    )
    _check_boxes(out["bounding_boxes"], resizing(_copy(data))["bounding_boxes"])
    assert out["images"].shape == (4, 6, 14, 3)
    assert out["segmentation_masks"].shape == (4, 6, 14, 1)


def test_every_format_through_random_flip(keras_oracle: Any) -> None:
    from cornu.utils.bounding_boxes.formats import SUPPORTED_FORMATS

    for fmt in SUPPORTED_FORMATS:
        ours, theirs = _layers(keras_oracle, "RandomFlip", {}, fmt, seed=5)
        data = _data(fmt)
        _check_boxes(
            ours(_copy(data))["bounding_boxes"], theirs(_copy(data))["bounding_boxes"]
        )


def test_numpy_and_list_boxes() -> None:
    layer = keras.layers.RandomTranslation(0.2, 0.2, seed=1, bounding_box_format="xyxy")
    data = {
        "images": X.numpy(),
        "bounding_boxes": {"boxes": BOXES.numpy(), "labels": LABELS.numpy()},
    }
    out = layer(data)
    assert isinstance(out["bounding_boxes"]["boxes"], torch.Tensor)
    assert out["bounding_boxes"]["boxes"].dtype == torch.float32
    ragged = {
        "images": X[:2],
        "bounding_boxes": {
            "boxes": [
                [[1.0, 1.0, 4.0, 4.0]],
                [[0.0, 0.0, 2.0, 3.0], [2.0, 2.0, 6.0, 5.0]],
            ],
            "labels": [[1], [2, 3]],
        },
    }
    out = keras.layers.RandomFlip(seed=0, bounding_box_format="xyxy")(ragged)
    assert out["bounding_boxes"]["boxes"].shape == (2, 2, 4)
    assert out["bounding_boxes"]["labels"][0].tolist() == [1, -1]


def test_config_and_harness(layer_test: Any) -> None:
    for name, kwargs in CASES[:4] + CASES[8:9]:
        layer = getattr(keras.layers, name)(**kwargs, bounding_box_format="yxyx")
        config = layer.get_config()
        assert config["bounding_box_format"] == "yxyx"
        assert type(layer).from_config(config).bounding_box_format == "yxyx"
        plain = getattr(keras.layers, name)(**kwargs).get_config()
        assert "bounding_box_format" not in plain
    layer_test(
        keras.layers.RandomFlip,
        {"bounding_box_format": "xyxy", "seed": 1},
        input_shape=(2, 5, 6, 3),
        expected_output_shape=(2, 5, 6, 3),
    )


def test_errors() -> None:
    data = _data("xyxy")
    with pytest.raises(
        ValueError, match=r"RandomFlip\) received 'bounding_boxes' but no"
    ):
        keras.layers.RandomFlip(seed=0)(_copy(data))
    with pytest.raises(
        ValueError, match=r"Resizing\) received 'bounding_boxes' but no"
    ):
        keras.layers.Resizing(4, 4)(_copy(data))
    with pytest.raises(
        ValueError, match=r'CenterCrop\) expects a dict input with an "images"'
    ):
        keras.layers.CenterCrop(4, 4)({"labels": LABELS})
    with pytest.raises(ValueError, match=r"rank 2 `\(num_boxes, 4\)` or 3"):
        keras.layers.RandomFlip(bounding_box_format="xyxy")(
            {"images": X, "bounding_boxes": {"boxes": torch.zeros(4), "labels": LABELS}}
        )
    with pytest.raises(
        NotImplementedError, match="RandomElasticTransform does not transform bounding"
    ):
        keras.layers.RandomElasticTransform(bounding_box_format="xyxy")(_copy(data))


@pytest.mark.parametrize(
    "layer",
    [
        keras.layers.RandomFlip(seed=1, bounding_box_format="xyxy"),
        keras.layers.RandomShear(0.2, seed=1, bounding_box_format="xyxy"),
        keras.layers.Resizing(4, 5, bounding_box_format="xyxy"),
        keras.layers.CenterCrop(4, 5, bounding_box_format="xyxy"),
        keras.layers.RandomCrop(4, 5, seed=1, bounding_box_format="xyxy"),
    ],
)
def test_symbolic_dicts(layer: Any) -> None:
    inputs = {
        "images": keras.Input((H, W, 3)),
        "segmentation_masks": keras.Input((H, W, 1)),
        "bounding_boxes": {"boxes": keras.Input((3, 4)), "labels": keras.Input((3,))},
    }
    out = layer(inputs)
    size = (4, 5) if layer.compute_output_shape((1, H, W, 3))[1] == 4 else (H, W)
    assert out["images"].shape == (None, *size, 3)
    assert out["segmentation_masks"].shape == (None, *size, 1)
    assert out["bounding_boxes"]["boxes"].shape == (None, 3, 4)
    assert out["bounding_boxes"]["labels"].shape == (None, 3)

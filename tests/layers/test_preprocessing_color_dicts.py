"""Dict inputs through the colour layers, RandAugment, AugMix and CutMix:
boxes, masks and labels compared with real Keras (torch backend) on the
same seed or the same transformation."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch

import cornu as keras
from cornu.utils.bounding_boxes import convert_format

# Keras's own equalization warns about a 0-d transpose.
pytestmark = pytest.mark.filterwarnings("ignore:Tensor.T is deprecated")

RNG = np.random.default_rng(5)
H, W = 8, 9
X = torch.from_numpy((RNG.random((4, H, W, 3)) * 255).astype("float32"))
_CORNER = RNG.random((4, 3, 2)) * np.array([W, H]) * 0.6
_SIZE = RNG.random((4, 3, 2)) * np.array([W, H]) * 0.4 + 0.5
BOXES = torch.from_numpy(
    np.concatenate([_CORNER, _CORNER + _SIZE], -1).astype("float32")
)
LABELS = torch.from_numpy(RNG.integers(0, 5, (4, 3)).astype("int32"))
MASKS = torch.from_numpy(RNG.integers(0, 3, (4, H, W, 1)).astype("float32"))
RTOL, ATOL = 1e-5, 1e-4

# (layer, kwargs); the Keras class has the same name.
COLOUR: list[tuple[str, dict[str, Any]]] = [
    ("RandomBrightness", {"factor": 0.3}),
    ("RandomContrast", {"factor": 0.4}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "hue_factor": 0.3}),
    ("RandomHue", {"factor": 0.5}),
    ("RandomSaturation", {"factor": 0.5}),
    ("RandomSharpness", {"factor": 0.5}),
    ("RandomColorDegeneration", {"factor": 0.5}),
    ("RandomInvert", {"factor": 0.6}),
    ("RandomPosterization", {"factor": 4}),
    ("Solarization", {"addition_factor": 0.2, "threshold_factor": 0.5}),
    ("RandomGrayscale", {"factor": 0.7}),
    ("Equalization", {}),
    ("AutoContrast", {}),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"tile_grid_size": (2, 2)}),
]
DETERMINISTIC = (
    "Equalization",
    "AutoContrast",
    "ContrastLimitedAdaptiveHistogramEqualization",
)
# Keras's own call fails on dict inputs for these (cornu passes boxes and
# masks through, as Keras's other colour layers do).
KERAS_REFUSES_DICTS = (
    "RandomGrayscale",
    "ContrastLimitedAdaptiveHistogramEqualization",
)


def _copy(value: Any) -> Any:
    """A deep copy: Keras edits dicts (and some tensors) in place."""
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return copy.deepcopy(value)


def _data(fmt: str = "xyxy") -> dict[str, Any]:
    return {
        "images": X.clone(),
        "labels": torch.eye(4),
        "bounding_boxes": {
            "boxes": convert_format(BOXES, "xyxy", fmt, H, W),
            "labels": LABELS.clone(),
        },
        "segmentation_masks": MASKS.clone(),
    }


def _one(data: dict[str, Any]) -> dict[str, Any]:
    """The first image of a batch dict, as a dict of one image."""
    return {
        "images": data["images"][0],
        "bounding_boxes": {k: v[0] for k, v in data["bounding_boxes"].items()},
        "segmentation_masks": data["segmentation_masks"][0],
    }


def _close(ours: Any, theirs: Any) -> None:
    torch.testing.assert_close(
        torch.as_tensor(ours), torch.as_tensor(theirs).cpu(), rtol=RTOL, atol=ATOL
    )


def _pair(oracle: Any, name: str, kwargs: dict, **extra: Any) -> tuple[Any, Any]:
    kwargs = {**kwargs, **extra}
    if name not in DETERMINISTIC:
        kwargs.setdefault("seed", 7)
    return getattr(keras.layers, name)(**kwargs), getattr(oracle.layers, name)(**kwargs)


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "one"])
@pytest.mark.parametrize("name,kwargs", COLOUR)
def test_colour_layers_keep_boxes_and_masks(
    keras_oracle: Any, name: str, kwargs: dict, batched: bool
) -> None:
    fmt = "center_xywh"
    data = _data(fmt) if batched else _one(_data(fmt))
    ours, theirs = _pair(keras_oracle, name, kwargs, bounding_box_format=fmt)
    mine = ours(_copy(data))
    # Boxes, box labels and masks come back unchanged, images as the plain call.
    _close(mine["bounding_boxes"]["boxes"], data["bounding_boxes"]["boxes"])
    assert torch.equal(
        mine["bounding_boxes"]["labels"], data["bounding_boxes"]["labels"]
    )
    assert torch.equal(mine["segmentation_masks"], data["segmentation_masks"])
    plain, _ = _pair(keras_oracle, name, kwargs)
    _close(mine["images"], plain(data["images"].clone()))
    if name in KERAS_REFUSES_DICTS:
        return
    reference = theirs(_copy(data))
    _close(mine["bounding_boxes"]["boxes"], reference["bounding_boxes"]["boxes"])
    assert torch.equal(
        mine["bounding_boxes"]["labels"], reference["bounding_boxes"]["labels"].cpu()
    )
    _close(mine["segmentation_masks"], reference["segmentation_masks"])
    if name not in DETERMINISTIC:  # Keras's equalization pools the batch
        _close(mine["images"], reference["images"])


@pytest.mark.parametrize("name,kwargs", COLOUR[:3] + COLOUR[-3:])
def test_colour_layers_need_a_box_format(
    keras_oracle: Any, name: str, kwargs: dict
) -> None:
    ours, theirs = _pair(keras_oracle, name, kwargs)
    with pytest.raises(ValueError, match=r"received 'bounding_boxes' but no"):
        ours(_data())
    if name not in KERAS_REFUSES_DICTS:
        with pytest.raises(ValueError, match="didn't specify a bounding box format"):
            theirs(_data())
    # Masks alone need no format.
    data = {"images": X.clone(), "segmentation_masks": MASKS.clone()}
    assert torch.equal(ours(data)["segmentation_masks"], MASKS)


def _keras_picks_in_order(picks: list[int]) -> bool:
    """Whether Keras's RandAugment moves boxes as the images: it applies the
    picked geometric augmentations (the first three) in its list's order,
    each once."""
    geometric = [p for p in picks if p < 3]
    return geometric == sorted(set(geometric))


@pytest.mark.parametrize(
    "kwargs,seeds,orders",
    [
        # Picks such as [0, 3], [2, 8], [6, 2]: Keras's order is right.
        ({}, [1, 6, 14, 19, 27], {True}),
        # [10, 1, 8, 2] and [1, 9, 2, 5] as well; [0, 3, 5, 0], [6, 2, 6, 2]
        # and [8, 5, 2, 0] repeat or swap geometric augmentations.
        ({"num_ops": 4, "factor": 0.8}, [1, 4, 19, 20, 29], {True, False}),
    ],
)
def test_rand_augment_boxes_and_masks_match_keras(
    keras_oracle: Any, kwargs: dict, seeds: list[int], orders: set[bool]
) -> None:
    data = _data("xyxy")
    boxes, masks = data["bounding_boxes"], data["segmentation_masks"]
    seen = set()
    for seed in seeds:
        ours, theirs = _pair(
            keras_oracle, "RandAugment", kwargs, seed=seed, bounding_box_format="xyxy"
        )
        t = ours.get_random_transformation(data["images"])
        picks = t["layer_idxes"].tolist()
        mine = ours.transform_bounding_boxes(_copy(boxes), t)
        in_order = _keras_picks_in_order(picks)
        seen.add(in_order)
        if in_order:
            want = theirs.transform_bounding_boxes(_copy(boxes), _copy(t))
        else:  # Keras's own augmentations, in the images' order
            want = _copy(boxes)
            for pick in picks:
                name = ours._AUGMENT_LAYERS[pick]
                step = getattr(theirs, name)
                want = step.transform_bounding_boxes(want, _copy(t["transforms"][name]))
        _close(mine["boxes"], want["boxes"])
        assert torch.equal(mine["labels"], torch.as_tensor(want["labels"]).cpu())
        # Masks: Keras's own augmentations in turn (its RandAugment runs
        # every augmentation at every step, and its torch affine transform
        # edits the rotation matrix in place, so a rotation picked after
        # another step reads a changed matrix).
        want_masks = masks.clone()
        for pick in picks:
            name = ours._AUGMENT_LAYERS[pick]
            step = getattr(theirs, name)
            want_masks = step.transform_segmentation_masks(
                want_masks, _copy(t["transforms"][name])
            )
        _close(ours.transform_segmentation_masks(masks.clone(), t), want_masks)
    assert seen == orders


def test_rand_augment_dict_call(keras_oracle: Any) -> None:
    for fmt in ("xyxy", "rel_yxyx"):
        data = _data(fmt)
        layer = keras.layers.RandAugment(num_ops=3, seed=4, bounding_box_format=fmt)
        out = layer(_copy(data))
        fresh = keras.layers.RandAugment(num_ops=3, seed=4, bounding_box_format=fmt)
        t = fresh.get_random_transformation(data["images"])
        assert {n for n in t["layer_idxes"].tolist()} & {0, 1, 2}  # geometric
        want = fresh.transform_bounding_boxes(_copy(data["bounding_boxes"]), t)
        _close(out["bounding_boxes"]["boxes"], want["boxes"])
        masks = fresh.transform_segmentation_masks(data["segmentation_masks"], t)
        _close(out["segmentation_masks"], masks)
        _close(out["images"], fresh.transform_images(data["images"], t))
        assert torch.equal(out["labels"], data["labels"])
        if fmt == "xyxy":
            xyxy = out["bounding_boxes"]["boxes"]
        else:  # the same boxes, in another format
            _close(
                out["bounding_boxes"]["boxes"], convert_format(xyxy, "xyxy", fmt, H, W)
            )
    with pytest.raises(ValueError, match=r"RandAugment\) received 'bounding_boxes'"):
        keras.layers.RandAugment(seed=0)(_data())
    # Inference passes everything through.
    out = keras.layers.RandAugment(seed=0, bounding_box_format="xyxy")(
        _copy(data := _data()), training=False
    )
    assert torch.equal(out["bounding_boxes"]["boxes"], data["bounding_boxes"]["boxes"])
    assert torch.equal(out["segmentation_masks"], data["segmentation_masks"])


@pytest.mark.parametrize("kwargs", [{}, {"all_ops": False, "chain_depth": 4}])
def test_aug_mix_boxes_and_masks_match_keras(keras_oracle: Any, kwargs: dict) -> None:
    data = _data("xywh")
    for seed in range(4):
        ours, theirs = _pair(
            keras_oracle, "AugMix", kwargs, seed=seed, bounding_box_format="xywh"
        )
        t = ours.get_random_transformation(data["images"])
        masks = data["segmentation_masks"]
        _close(
            ours.transform_segmentation_masks(masks.clone(), t),
            theirs.transform_segmentation_masks(masks.clone(), _copy(t)),
        )
        boxes = ours.transform_bounding_boxes(_copy(data["bounding_boxes"]), t)
        want = theirs.transform_bounding_boxes(_copy(data["bounding_boxes"]), _copy(t))
        _close(boxes["boxes"], want["boxes"])
    # A dict call: boxes unchanged, masks mixed as the transformation says.
    layer = keras.layers.AugMix(seed=3, bounding_box_format="xywh")
    out = layer(_copy(data))
    fresh = keras.layers.AugMix(seed=3, bounding_box_format="xywh")
    t = fresh.get_random_transformation(data["images"])
    assert torch.equal(out["bounding_boxes"]["boxes"], data["bounding_boxes"]["boxes"])
    _close(
        out["segmentation_masks"],
        fresh.transform_segmentation_masks(data["segmentation_masks"], t),
    )
    _close(out["images"], fresh.transform_images(data["images"], t))


def test_cut_mix_masks_match_keras_and_boxes_are_refused(keras_oracle: Any) -> None:
    data = _data()
    ours, theirs = _pair(keras_oracle, "CutMix", {}, bounding_box_format="xyxy")
    t = ours.get_random_transformation(data["images"])
    masks = data["segmentation_masks"]
    _close(
        ours.transform_segmentation_masks(masks.clone(), t),
        theirs.transform_segmentation_masks(masks.clone(), _copy(t)),
    )
    with pytest.raises(
        NotImplementedError, match="CutMix does not transform bounding boxes"
    ):
        ours(_copy(data))
    with pytest.raises(NotImplementedError):
        theirs(_copy(data))
    # Without boxes, a dict call goes through, its masks cut as the images.
    data.pop("bounding_boxes")
    out = keras.layers.CutMix(seed=7)(_copy(data))
    fresh = keras.layers.CutMix(seed=7)
    t = fresh.get_random_transformation(data["images"])
    _close(out["segmentation_masks"], fresh.transform_segmentation_masks(masks, t))
    _close(out["labels"], fresh.transform_labels(data["labels"], t))

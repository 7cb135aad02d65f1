"""`cornu.utils.bounding_boxes` against Keras's `keras.utils.bounding_boxes`
(torch backend) on the same inputs."""

from __future__ import annotations

import doctest
import importlib
import os
from typing import Any

import numpy as np
import pytest
import torch

from cornu.utils import bounding_boxes as bb
from cornu.utils.bounding_boxes.formats import SUPPORTED_FORMATS
from cornu.utils.bounding_boxes.validation import (
    densify_bounding_boxes,
    validate_bounding_boxes,
)

RNG = np.random.default_rng(7)
H, W = 20, 30


def _xyxy(shape: tuple[int, ...]) -> np.ndarray:
    """Random corner boxes inside an `H x W` image."""
    corner = RNG.random(shape + (2,)) * np.array([W, H]) * 0.7
    size = RNG.random(shape + (2,)) * np.array([W, H]) * 0.5 + 0.5
    return np.concatenate([corner, corner + size], axis=-1).astype("float32")


BOXES = _xyxy((2, 5))  # (batch, n, 4)
OTHER = _xyxy((2, 4))
RTOL, ATOL = 1e-5, 1e-4


@pytest.fixture(scope="module")
def kb() -> Any:
    """Keras's `keras.utils.bounding_boxes`, the reference."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    return keras.utils.bounding_boxes


def _close(ours: Any, theirs: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    assert isinstance(ours, torch.Tensor)
    theirs = torch.as_tensor(theirs).cpu()
    assert ours.dtype == theirs.dtype
    torch.testing.assert_close(ours, theirs, rtol=rtol, atol=atol)


def _in_format(boxes: np.ndarray, fmt: str) -> np.ndarray:
    return bb.convert_format(boxes, "xyxy", fmt, height=H, width=W).numpy()


# convert_format -------------------------------------------------------------


@pytest.mark.parametrize("source", SUPPORTED_FORMATS)
@pytest.mark.parametrize("target", SUPPORTED_FORMATS)
def test_convert_format_matches_keras(kb: Any, source: str, target: str) -> None:
    boxes = _in_format(BOXES, source)
    for x in (boxes, boxes[0], torch.from_numpy(boxes)):  # batched, one, torch
        ours = bb.convert_format(x, source, target, height=H, width=W)
        _close(ours, kb.convert_format(np.asarray(x), source, target, H, W))
    # A round trip gives the boxes back.
    back = bb.convert_format(
        bb.convert_format(boxes, source, target, H, W), target, source, H, W
    )
    torch.testing.assert_close(back, torch.from_numpy(boxes), rtol=RTOL, atol=ATOL)


def test_convert_format_dicts_dtypes_and_case(kb: Any) -> None:
    labels = np.arange(10).reshape(2, 5)
    data = {"boxes": BOXES, "labels": labels}
    ours = bb.convert_format(data, "XYXY", "center_xywh")
    theirs = kb.convert_format(dict(data), "XYXY", "center_xywh")
    _close(ours["boxes"], theirs["boxes"])
    assert ours["labels"] is labels  # other entries are kept
    assert data["boxes"] is BOXES  # the input dict is left alone
    wide = bb.convert_format(BOXES, "xyxy", "rel_xywh", H, W, dtype="float64")
    _close(wide, kb.convert_format(BOXES, "xyxy", "rel_xywh", H, W, dtype="float64"))
    ints = np.array([[10, 20, 30, 40]])
    _close(
        bb.convert_format(ints, "xyxy", "xywh"), kb.convert_format(ints, "xyxy", "xywh")
    )
    # Per-image sizes broadcast like boxes: (batch, 1, 1).
    sizes = torch.tensor([20.0, 40.0]).reshape(2, 1, 1)
    ours = bb.convert_format(BOXES, "xyxy", "rel_xyxy", height=sizes, width=sizes)
    torch.testing.assert_close(
        ours, torch.from_numpy(BOXES) / sizes, rtol=RTOL, atol=ATOL
    )


def test_convert_format_errors() -> None:
    with pytest.raises(
        ValueError, match=r"last dimension of 4, received shape \(2, 3\)"
    ):
        bb.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(ValueError, match=r"`source` must be one of .* source='xyz'"):
        bb.convert_format(BOXES, "xyz", "xywh")
    with pytest.raises(
        ValueError, match=r"`target` must be one of .*'rel_center_yxhw'"
    ):
        bb.convert_format(BOXES, "xyxy", "rel_center_yxhw")
    with pytest.raises(ValueError, match="needs `height` and `width`.*height=None"):
        bb.convert_format(BOXES, "xyxy", "rel_xyxy", width=W)


# clip_to_image_size, crop, pad ---------------------------------------------------


def test_clip_to_image_size_matches_keras(kb: Any) -> None:
    boxes = BOXES * 1.6 - 5.0  # some boxes run out of the image
    boxes[0, 0] = [-9.0, -9.0, -2.0, 4.0]  # and some leave it
    boxes[1, 2] = [W + 1.0, 3.0, W + 5.0, 8.0]
    labels = RNG.integers(0, 4, (2, 5)).astype("int32")
    data = {"boxes": torch.from_numpy(boxes), "labels": torch.from_numpy(labels)}
    ours = bb.clip_to_image_size(data, height=H, width=W)
    theirs = kb.clip_to_image_size(dict(data), height=H, width=W)
    _close(ours["boxes"], theirs["boxes"])
    assert torch.equal(ours["labels"], theirs["labels"].cpu())
    assert (ours["labels"] == -1).any()  # empty boxes lose their label
    rel = {"boxes": torch.from_numpy(boxes / 20.0), "labels": torch.from_numpy(labels)}
    ours = bb.clip_to_image_size(rel, bounding_box_format="rel_xyxy")
    theirs = kb.clip_to_image_size(dict(rel), bounding_box_format="rel_xyxy")
    _close(ours["boxes"], theirs["boxes"])
    assert torch.equal(ours["labels"], theirs["labels"].cpu())
    only_boxes = bb.clip_to_image_size({"boxes": boxes[0]}, H, W)
    assert set(only_boxes) == {"boxes"} and only_boxes["boxes"].shape == (5, 4)
    with pytest.raises(
        NotImplementedError, match="'xyxy' or 'rel_xyxy', received: 'xywh'"
    ):
        bb.clip_to_image_size(data, H, W, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="needs `height` and `width`.*height=None"):
        bb.clip_to_image_size(data, width=W)


def test_crop_and_pad_match_keras(kb: Any) -> None:
    for boxes in (BOXES, BOXES[0], torch.from_numpy(BOXES)):
        _close(bb.crop(boxes, 3, 5, 10, 12), kb.crop(boxes, 3, 5, 10, 12))
        _close(bb.pad(boxes, 3, 5), kb.pad(boxes, 3, 5))
    # Without a size, only the top and left are clipped.
    shifted = np.maximum(BOXES - np.array([5.0, 3.0, 5.0, 3.0], "float32"), 0.0)
    torch.testing.assert_close(
        bb.crop(BOXES, 3, 5, None, None), torch.from_numpy(shifted)
    )
    with pytest.raises(NotImplementedError, match="only bounding_box_format='xyxy'"):
        bb.crop(BOXES, 0, 0, 5, 5, bounding_box_format="yxyx")
    with pytest.raises(NotImplementedError, match="only bounding_box_format='xyxy'"):
        bb.pad(BOXES, 0, 0, bounding_box_format="rel_xyxy")


# affine_transform ---------------------------------------------------------------


@pytest.mark.parametrize("center", [(None, None), (0.25, 0.7)])
def test_affine_transform_matches_keras(kb: Any, center: tuple) -> None:
    def draw(low: float, high: float) -> torch.Tensor:
        return torch.from_numpy(RNG.uniform(low, high, 2).astype("float32"))

    params = (
        draw(-60, 60),  # angle
        draw(-0.2, 0.2),  # translate_x
        draw(-0.2, 0.2),  # translate_y
        draw(0.7, 1.3),  # scale
        draw(-20, 20),  # shear_x
        draw(-20, 20),  # shear_y
    )
    kwargs = {"height": H, "width": W, "center_x": center[0], "center_y": center[1]}
    ours = bb.affine_transform(BOXES, *params, **kwargs)
    theirs = kb.affine_transform(torch.from_numpy(BOXES), *params, **kwargs)
    _close(ours, theirs, rtol=1e-4, atol=1e-3)
    # Unbatched boxes take the first image's parameters.
    angle, tx, ty, scale, shear_x, shear_y = (p[:1] for p in params)
    one = bb.affine_transform(
        BOXES[0], angle, tx, ty, scale, shear_x, shear_y, **kwargs
    )
    torch.testing.assert_close(one, ours[0], rtol=1e-4, atol=1e-3)
    with pytest.raises(NotImplementedError, match="only bounding_box_format='xyxy'"):
        bb.affine_transform(BOXES, *params, H, W, bounding_box_format="xywh")


def test_affine_transform_identity_and_rotation() -> None:
    zero, one = torch.zeros(1), torch.ones(1)
    box = torch.tensor([[[2.0, 3.0, 6.0, 5.0]]])
    same = bb.affine_transform(box, zero, zero, zero, one, zero, zero, 11, 11)
    torch.testing.assert_close(same, box)
    # A half turn about the centre (5, 5) of an 11 x 11 image.
    turned = bb.affine_transform(box, 180 * one, zero, zero, one, zero, zero, 11, 11)
    torch.testing.assert_close(
        turned, torch.tensor([[[4.0, 5.0, 8.0, 7.0]]]), atol=1e-5, rtol=0
    )


# encode_box_to_deltas, decode_deltas_to_boxes --------------------------------------


@pytest.mark.parametrize("encoding", ["center_yxhw", "center_xywh"])
@pytest.mark.parametrize("variance", [None, [0.1, 0.1, 0.2, 0.2]])
def test_deltas_match_keras(kb: Any, encoding: str, variance: Any) -> None:
    anchors = _in_format(BOXES[0], "xywh")
    boxes = _in_format(OTHER[:, :1].repeat(5, axis=1), "rel_yxyx") + 0.01
    kwargs = {"variance": variance, "image_shape": (H, W, 3)}
    ours = bb.encode_box_to_deltas(
        anchors, boxes, "xywh", "rel_yxyx", encoding_format=encoding, **kwargs
    )
    theirs = kb.encode_box_to_deltas(
        anchors, boxes, "xywh", "rel_yxyx", encoding_format=encoding, **kwargs
    )
    _close(ours, theirs)
    decoded = bb.decode_deltas_to_boxes(
        anchors, ours, "xywh", "rel_yxyx", encoded_format=encoding, **kwargs
    )
    reference = kb.decode_deltas_to_boxes(
        anchors, theirs, "xywh", "rel_yxyx", encoded_format=encoding, **kwargs
    )
    _close(decoded, reference)
    torch.testing.assert_close(
        decoded, torch.from_numpy(boxes), rtol=RTOL, atol=ATOL
    )  # a round trip
    # Dicts of feature levels decode level by level.
    levels = bb.decode_deltas_to_boxes(
        {"p3": anchors}, {"p3": ours}, "xywh", "rel_yxyx", encoding, **kwargs
    )
    torch.testing.assert_close(levels["p3"], decoded)


def test_deltas_errors() -> None:
    with pytest.raises(
        ValueError, match=r"`variance` must hold 4 values, received shape \(3,\)"
    ):
        bb.encode_box_to_deltas(BOXES[0], BOXES[0], "xyxy", "xyxy", variance=[1, 1, 1])
    with pytest.raises(ValueError, match="`encoding_format` must be one of .*'xyxy'"):
        bb.encode_box_to_deltas(
            BOXES[0], BOXES[0], "xyxy", "xyxy", encoding_format="xyxy"
        )
    with pytest.raises(ValueError, match="`encoded_format` must be one of .*'yxyx'"):
        bb.decode_deltas_to_boxes(
            BOXES[0], BOXES[0], "xyxy", "xyxy", encoded_format="yxyx"
        )


# compute_iou, compute_ciou --------------------------------------------------------


@pytest.mark.parametrize(
    "a,b", [(BOXES, OTHER), (BOXES, OTHER[0]), (BOXES[0], OTHER), (BOXES[0], OTHER[0])]
)
def test_compute_iou_matches_keras(kb: Any, a: np.ndarray, b: np.ndarray) -> None:
    ours = bb.compute_iou(a, b, "xyxy")
    _close(ours, kb.compute_iou(a, b, "xyxy"))
    assert ours.shape[-2:] == (a.shape[-2], b.shape[-2])
    fmt = "center_yxhw"
    _close(
        bb.compute_iou(_in_format(a, fmt), _in_format(b, fmt), fmt),
        kb.compute_iou(_in_format(a, fmt), _in_format(b, fmt), fmt),
    )
    rel_a, rel_b = _in_format(a, "rel_xyxy"), _in_format(b, "rel_xyxy")
    _close(
        bb.compute_iou(rel_a, rel_b, "rel_xyxy", image_shape=(H, W, 3)),
        kb.compute_iou(rel_a, rel_b, "rel_xyxy", image_shape=(H, W, 3)),
    )


def test_compute_iou_masking_and_errors(kb: Any) -> None:
    a, b = BOXES.copy(), OTHER.copy()
    a[0, 1] = -1.0  # padding boxes
    b[1, 2] = -1.0
    ours = bb.compute_iou(a, b, "xyxy", use_masking=True, mask_val=-7)
    _close(ours, kb.compute_iou(a, b, "xyxy", use_masking=True, mask_val=-7))
    assert (ours[0, 1] == -7).all() and (ours[1, :, 2] == -7).all()
    # Identical boxes overlap fully.
    same = bb.compute_iou(BOXES[0], BOXES[0], "xyxy")
    torch.testing.assert_close(same.diagonal(), torch.ones(5), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match=r"`boxes1` of rank 2 .* received rank 1"):
        bb.compute_iou(BOXES[0, 0], OTHER, "xyxy")
    with pytest.raises(ValueError, match=r"`boxes2` of rank 2 .* received rank 4"):
        bb.compute_iou(BOXES, OTHER[None], "xyxy")
    with pytest.raises(ValueError, match="needs `image_shape` .*'rel_xyxy'"):
        bb.compute_iou(BOXES, OTHER, "rel_xyxy")


def test_compute_ciou_matches_keras(kb: Any) -> None:
    a, b = BOXES[:, :4], OTHER
    for fmt in ("xyxy", "xywh", "center_yxhw"):
        fa, fb = _in_format(a, fmt), _in_format(b, fmt)
        _close(bb.compute_ciou(fa, fb, fmt), kb.compute_ciou(fa, fb, fmt))
    torch.testing.assert_close(
        bb.compute_ciou(a, a, "xyxy"), torch.ones(2, 4), rtol=0, atol=1e-5
    )
    with pytest.raises(ValueError, match="absolute formats only.*'rel_xyxy'"):
        bb.compute_ciou(a, b, "rel_xyxy", image_shape=(H, W, 3))


# validation ---------------------------------------------------------------------


def test_validation_and_densify() -> None:
    ragged = {
        "boxes": [[[1, 2, 3, 4]], [[1, 1, 2, 2], [0, 0, 5, 5]]],
        "labels": [[1], [2, 3]],
    }
    dense = densify_bounding_boxes(ragged, is_batched=True)
    assert dense["boxes"].shape == (2, 2, 4) and dense["boxes"].dtype == torch.float32
    assert dense["labels"].tolist() == [[1, -1], [2, 3]]
    assert dense["boxes"][0, 1].tolist() == [0.0, 0.0, 0.0, 0.0]
    single = densify_bounding_boxes({"boxes": BOXES[0].astype("float64")})
    assert single["boxes"].dtype == torch.float32 and "labels" not in single
    with pytest.raises(ValueError, match=r"keys \('boxes', 'labels'\)"):
        validate_bounding_boxes({"boxes": BOXES})
    with pytest.raises(ValueError, match=r"rank 2 `\(num_boxes, 4\)` or 3 .*\(4,\)"):
        validate_bounding_boxes({"boxes": np.zeros(4), "labels": np.zeros(1)})
    with pytest.raises(
        ValueError, match=r"`bounding_boxes\['labels'\]` must have rank 2 or 3"
    ):
        validate_bounding_boxes({"boxes": BOXES, "labels": np.zeros(2)})
    with pytest.raises(ValueError, match="must be a list of the same length"):
        validate_bounding_boxes({"boxes": [[[1, 2, 3, 4]]], "labels": [[1], [2]]})


@pytest.mark.parametrize("module", ["converters", "deltas", "iou"])
def test_docstring_examples_run(module: str) -> None:
    mod = importlib.import_module(f"cornu.utils.bounding_boxes.{module}")
    result = doctest.testmod(mod)
    assert result.attempted > 0 and result.failed == 0

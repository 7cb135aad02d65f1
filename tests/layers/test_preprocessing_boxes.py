"""Dict inputs with bounding boxes and segmentation masks through the image
augmentation layers, checked against Keras (torch backend) on the same
transformation or the same seed.

Where Keras moves boxes wrongly (RandomRotation reads every format as
`"xyxy"`, RandomPerspective answers in `"xyxy"`, RandomCrop swaps its
offsets and does not clip), cornu is checked against a NumPy reference
instead, and against Keras only where Keras is right."""

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


def keras_is_right(name: str, fmt: str) -> bool:
    """Whether Keras moves the boxes of layer `name` in format `fmt` right."""
    if name == "RandomCrop":
        return False
    return fmt == "xyxy" or name not in ("RandomRotation", "RandomPerspective")


KERAS_CASES = [
    (name, kwargs, fmt)
    for name, kwargs in CASES
    for fmt in FORMATS
    if keras_is_right(name, fmt)
]
# Every case that Keras gets wrong, in more formats, with the NumPy reference.
REFERENCE_FORMATS = FORMATS + ["xywh", "rel_xyxy", "center_yxhw"]
REFERENCE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("RandomRotation", {"factor": 0.2}),
    ("RandomRotation", {"factor": (0.1, 0.4), "data_format": "channels_first"}),
    ("RandomPerspective", {"scale": 0.5}),
    ("RandomPerspective", {"factor": (0.4, 0.6), "scale": 0.3}),
    ("RandomCrop", {"height": 6, "width": 7}),
    ("RandomCrop", {"height": 5, "width": 4, "data_format": "channels_first"}),
    ("RandomCrop", {"height": 12, "width": 7}),  # taller than the input: resized
    ("RandomCrop", {"height": 4, "width": 14}),  # wider than the input: resized
]


# NumPy reference: formats, then each layer's map of points.
def np_to_xyxy(boxes: np.ndarray, fmt: str, height: int, width: int) -> np.ndarray:
    a, b, c, d = (boxes[..., i].astype("float64") for i in range(4))
    kind = fmt.removeprefix("rel_")
    if kind == "xyxy":
        x1, y1, x2, y2 = a, b, c, d
    elif kind == "yxyx":
        y1, x1, y2, x2 = a, b, c, d
    elif kind == "xywh":
        x1, y1, x2, y2 = a, b, a + c, b + d
    elif kind == "center_xywh":
        x1, y1, x2, y2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    else:  # center_yxhw
        y1, x1, y2, x2 = a - c / 2, b - d / 2, a + c / 2, b + d / 2
    out = np.stack([x1, y1, x2, y2], -1)
    return out * [width, height, width, height] if fmt.startswith("rel_") else out


def np_from_xyxy(boxes: np.ndarray, fmt: str, height: int, width: int) -> np.ndarray:
    if fmt.startswith("rel_"):
        boxes = boxes / [width, height, width, height]
    x1, y1, x2, y2 = (boxes[..., i] for i in range(4))
    kind = fmt.removeprefix("rel_")
    columns = {
        "xyxy": [x1, y1, x2, y2],
        "yxyx": [y1, x1, y2, x2],
        "xywh": [x1, y1, x2 - x1, y2 - y1],
        "center_xywh": [(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1],
        "center_yxhw": [(y1 + y2) / 2, (x1 + x2) / 2, y2 - y1, x2 - x1],
    }[kind]
    return np.stack(columns, -1)


def np_map_boxes(xyxy: np.ndarray, maps: list[Any]) -> np.ndarray:
    """The box around the four corners of each box, image `i`'s corners
    moved by `maps[i]` (`(x, y)` arrays -> `(x, y)` arrays)."""
    x1, y1, x2, y2 = (xyxy[..., i] for i in range(4))
    out = []
    for i, move in enumerate(maps):
        xs = np.stack([x1[i], x2[i], x1[i], x2[i]], -1)
        ys = np.stack([y1[i], y1[i], y2[i], y2[i]], -1)
        nx, ny = move(xs, ys)
        out.append(np.stack([nx.min(-1), ny.min(-1), nx.max(-1), ny.max(-1)], -1))
    return np.stack(out)


def np_clip(xyxy: np.ndarray, labels: np.ndarray, height: int, width: int):
    """Boxes clipped to the image; those left with no area get label -1."""
    clipped = np.clip(xyxy, 0, [width, height, width, height])
    area = (clipped[..., 2] - clipped[..., 0]) * (clipped[..., 3] - clipped[..., 1])
    return clipped, np.where(area > 0, labels, -1)


def np_rotation(xyxy: np.ndarray, t: dict, height: int, width: int) -> np.ndarray:
    """Rotation: the images read input pixel `M @ p` at output pixel `p`, so
    the corners move by `M`'s inverse."""
    matrices = np.asarray(t["rotation_matrix"].cpu(), "float64").reshape(-1, 8)
    maps = []
    for m in matrices:
        inverse = np.linalg.inv(np.append(m, 1.0).reshape(3, 3))

        def move(xs: np.ndarray, ys: np.ndarray, inv: np.ndarray = inverse):
            return (
                inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2],
                inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2],
            )

        maps.append(move)
    return np_map_boxes(xyxy, maps)


def np_perspective(xyxy: np.ndarray, t: dict) -> np.ndarray:
    """Perspective: the homography taking each start corner to its end."""
    starts = np.asarray(t["start_points"].cpu(), "float64")
    ends = np.asarray(t["end_points"].cpu(), "float64")
    maps = []
    for start, end in zip(starts, ends):
        rows, rhs = [], []
        for (sx, sy), (ex, ey) in zip(start, end):
            rows.append([sx, sy, 1, 0, 0, 0, -ex * sx, -ex * sy])
            rows.append([0, 0, 0, sx, sy, 1, -ey * sx, -ey * sy])
            rhs += [ex, ey]
        h = np.append(np.linalg.solve(np.array(rows), np.array(rhs)), 1.0).reshape(3, 3)

        def move(xs: np.ndarray, ys: np.ndarray, h: np.ndarray = h):
            z = h[2, 0] * xs + h[2, 1] * ys + h[2, 2]
            return (
                (h[0, 0] * xs + h[0, 1] * ys + h[0, 2]) / z,
                (h[1, 0] * xs + h[1, 1] * ys + h[1, 2]) / z,
            )

        maps.append(move)
    warped = np_map_boxes(xyxy, maps)
    apply = np.asarray(t["apply_perspective"].cpu()).reshape(-1, 1, 1)
    return np.where(apply, warped, xyxy)


def np_reference(
    layer: Any, boxes: dict, t: Any, in_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The boxes and labels a RandomRotation, RandomPerspective or
    RandomCrop should return for transformation `t`."""
    fmt, (height, width) = layer.bounding_box_format, in_size
    xyxy = np_to_xyxy(np.asarray(boxes["boxes"]), fmt, height, width)
    labels = np.asarray(boxes["labels"])
    name = type(layer).__name__
    if name == "RandomRotation":
        xyxy = np_rotation(xyxy, t, height, width)
    elif name == "RandomPerspective":
        xyxy = np_perspective(xyxy, t)
    else:  # RandomCrop: the window, cut where it runs past the input, resized
        top, left = (int(v) for v in t)
        win_h, win_w = min(layer.height, height - top), min(layer.width, width - left)
        xyxy, _ = np_clip(xyxy - [left, top, left, top], labels, win_h, win_w)
        sx, sy = layer.width / win_w, layer.height / win_h
        xyxy = xyxy * [sx, sy, sx, sy]
        height, width = layer.height, layer.width
    xyxy, labels = np_clip(xyxy, labels, height, width)
    return np_from_xyxy(xyxy, fmt, height, width), labels


def _check_reference(ours: dict, want: tuple[np.ndarray, np.ndarray]) -> None:
    np.testing.assert_allclose(
        np.asarray(ours["boxes"].cpu()), want[0], rtol=RTOL, atol=ATOL
    )
    np.testing.assert_array_equal(np.asarray(ours["labels"].cpu()), want[1])


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


@pytest.mark.parametrize("name,kwargs,fmt", KERAS_CASES)
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
    if keras_is_right(name, fmt):
        _check_boxes(mine["bounding_boxes"], reference["bounding_boxes"])
    else:
        fresh, _ = _layers(keras_oracle, name, kwargs, fmt)
        t = fresh.get_random_transformation(data["images"])
        want = np_reference(fresh, data["bounding_boxes"], t, (H, W))
        _check_reference(mine["bounding_boxes"], want)
    # The images are those of the plain call with the same seed.
    plain, _ = _layers(keras_oracle, name, kwargs, fmt)
    torch.testing.assert_close(mine["images"], plain(data["images"]), rtol=0, atol=0)


@pytest.mark.parametrize("fmt", REFERENCE_FORMATS)
@pytest.mark.parametrize("name,kwargs", REFERENCE_CASES)
def test_boxes_match_reference_on_one_transformation(
    name: str, kwargs: dict, fmt: str
) -> None:
    data = _data(fmt, kwargs.get("data_format") == "channels_first")
    for seed in range(3):
        layer = getattr(keras.layers, name)(
            **kwargs, bounding_box_format=fmt, seed=seed
        )
        t = layer.get_random_transformation(data, training=True)
        mine = layer.transform_bounding_boxes(_copy(data["bounding_boxes"]), t)
        assert mine["boxes"].shape == (4, 3, 4)
        _check_reference(mine, np_reference(layer, data["bounding_boxes"], t, (H, W)))


@pytest.mark.parametrize("name,kwargs", REFERENCE_CASES)
def test_dict_call_matches_reference(name: str, kwargs: dict) -> None:
    fmt = "rel_yxyx"
    channels_first = kwargs.get("data_format") == "channels_first"
    data = _data(fmt, channels_first)
    make = getattr(keras.layers, name)
    layer = make(**kwargs, bounding_box_format=fmt, seed=4)
    mine = layer(_copy(data))
    fresh = make(**kwargs, bounding_box_format=fmt, seed=4)
    t = fresh.get_random_transformation(data["images"])
    _check_reference(
        mine["bounding_boxes"], np_reference(fresh, data["bounding_boxes"], t, (H, W))
    )
    plain = make(**kwargs, seed=4)
    torch.testing.assert_close(mine["images"], plain(data["images"]), rtol=0, atol=0)
    # One image: its boxes as those of a batch of one.
    one = {
        "images": data["images"][1],
        "bounding_boxes": {k: v[1] for k, v in data["bounding_boxes"].items()},
    }
    layer = make(**kwargs, bounding_box_format=fmt, seed=4)
    mine = layer(_copy(one))["bounding_boxes"]
    assert mine["boxes"].shape == (3, 4)
    fresh = make(**kwargs, bounding_box_format=fmt, seed=4)
    t = fresh.get_random_transformation(one["images"])
    batch = {k: v[None] for k, v in one["bounding_boxes"].items()}
    if name == "RandomPerspective":
        t = {**t, "apply_perspective": t["apply_perspective"][:1]}
    boxes, labels = np_reference(fresh, batch, t, (H, W))
    _check_reference(mine, (boxes[0], labels[0]))


def test_random_crop_boxes_follow_the_pixels() -> None:
    # A box drawn into the image covers the same pixels after the crop.
    image = torch.zeros(1, H, W, 1)
    image[0, 2:7, 3:9] = 1.0
    boxes = {"boxes": torch.tensor([[[3.0, 2.0, 9.0, 7.0]]]), "labels": LABELS[:1, :1]}
    for seed in range(6):
        layer = keras.layers.RandomCrop(5, 6, seed=seed, bounding_box_format="xyxy")
        out = layer({"images": image, "bounding_boxes": _copy(boxes)})
        ys, xs = torch.nonzero(out["images"][0, ..., 0], as_tuple=True)
        want = [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        got = out["bounding_boxes"]["boxes"][0, 0]
        assert got.tolist() == [float(v) for v in want]


def test_random_crop_plain_window_needs_the_size_for_relative_boxes() -> None:
    layer = keras.layers.RandomCrop(5, 6, bounding_box_format="xyxy")
    boxes = {"boxes": torch.tensor([[[3.0, 2.0, 9.0, 7.0]]]), "labels": LABELS[:1, :1]}
    # A plain `(top, left)` pair, as Keras writes it: absolute boxes move.
    out = layer.transform_bounding_boxes(_copy(boxes), (1, 2))
    assert out["boxes"].tolist() == [[[1.0, 1.0, 6.0, 5.0]]]
    layer = keras.layers.RandomCrop(5, 6, bounding_box_format="rel_xyxy")
    with pytest.raises(ValueError, match=r"needs the input size to move boxes"):
        layer.transform_bounding_boxes(_copy(boxes), (1, 2))


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
    "name,kwargs,fmt",
    [
        ("RandomFlip", {}, "rel_xyxy"),
        ("RandomRotation", {"factor": 0.3}, "xyxy"),
        ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2}, "rel_xyxy"),
        ("CenterCrop", {"height": 6, "width": 7}, "rel_xyxy"),
        (
            "Resizing",
            {"height": 5, "width": 12, "pad_to_aspect_ratio": True},
            "rel_xyxy",
        ),
    ],
)
def test_one_image_matches_keras(
    keras_oracle: Any, name: str, kwargs: dict, fmt: str
) -> None:
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

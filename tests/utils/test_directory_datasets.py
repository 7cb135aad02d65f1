import importlib.util
import os

import numpy as np
import pytest
import torch

import cornu as keras
from cornu import utils


@pytest.fixture
def image_dir(tmp_path):
    rng = np.random.RandomState(0)
    for c, name in enumerate(("cat", "dog")):
        os.makedirs(tmp_path / name / "sub")
        for i in range(5):
            size = (6 + i, 8) if i % 2 else (10, 7)
            img = rng.randint(0, 255, size + (3,)).astype("float32")
            ext = ("png", "jpg", "bmp")[i % 3]
            folder = tmp_path / name / ("sub" if i == 4 else "")
            utils.save_img(str(folder / f"{c}_{i}.{ext}"), img, scale=False)
    (tmp_path / "cat" / "notes.txt").write_text("ignored")
    return tmp_path


def test_image_dataset_split_labels_and_fit(image_dir, capsys):
    train, val = utils.image_dataset_from_directory(
        image_dir,
        validation_split=0.2,
        subset="both",
        seed=1,
        image_size=(8, 8),
        batch_size=3,
    )
    assert "Found 10 files belonging to 2 classes." in capsys.readouterr().out
    assert train.class_names == ["cat", "dog"]
    assert len(train.file_paths) == 8 and len(val.file_paths) == 2
    assert not set(train.file_paths) & set(val.file_paths)
    # Keras's order: sorted paths shuffled by np.random.RandomState(seed).
    everything = sorted(train.file_paths + val.file_paths)
    expected = [p for p in everything if "cat" in p] + [
        p for p in everything if "dog" in p
    ]
    np.random.RandomState(1).shuffle(expected)
    assert val.file_paths == expected[-2:]
    x, y = next(iter(train))
    assert tuple(x.shape) == (3, 8, 8, 3) and str(x.dtype) == "torch.float32"
    assert str(y.dtype) == "torch.int32" and float(x.max()) <= 255.0
    model = keras.Sequential(
        [keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, validation_data=val, epochs=1, verbose=0)
    assert "val_loss" in history.history


def test_image_dataset_label_modes(image_dir):
    ds = utils.image_dataset_from_directory(
        image_dir,
        label_mode="categorical",
        image_size=4,
        batch_size=10,
        shuffle=False,
        color_mode="grayscale",
        verbose=False,
    )
    x, y = next(iter(ds))
    assert tuple(x.shape) == (10, 4, 4, 1) and tuple(y.shape) == (10, 2)
    assert y[:5, 0].sum() == 5
    ds = utils.image_dataset_from_directory(
        image_dir,
        label_mode="binary",
        image_size=(4, 5),
        shuffle=False,
        verbose=False,
        crop_to_aspect_ratio=True,
        class_names=["dog", "cat"],
    )
    x, y = next(iter(ds))
    assert (
        tuple(y.shape) == (10, 1) and float(y[0]) == 0.0 and "dog" in ds.file_paths[0]
    )
    ds = utils.image_dataset_from_directory(
        image_dir,
        labels=None,
        image_size=4,
        verbose=False,
        batch_size=None,
        seed=0,
    )
    assert tuple(next(iter(ds)).shape) == (4, 4, 3)


def test_image_dataset_errors(image_dir):
    with pytest.raises(ValueError, match="you must provide a `seed`"):
        utils.image_dataset_from_directory(
            image_dir, validation_split=0.2, subset="both"
        )
    with pytest.raises(ValueError, match="`label_mode` argument must be one of"):
        utils.image_dataset_from_directory(image_dir, label_mode="onehot")
    with pytest.raises(ValueError, match="`color_mode` must be one of"):
        utils.image_dataset_from_directory(image_dir, color_mode="cmyk")
    with pytest.raises(ValueError, match="did not match the names"):
        utils.image_dataset_from_directory(image_dir, class_names=["cow"])
    with pytest.raises(ValueError, match='`format` should be "torch"'):
        utils.image_dataset_from_directory(image_dir, format="jax")
    with pytest.raises(ValueError, match="Expected the lengths of `labels`"):
        utils.image_dataset_from_directory(image_dir, labels=[0, 1], verbose=False)


def test_text_dataset(tmp_path):
    for name in ("neg", "pos"):
        os.makedirs(tmp_path / name)
        for i in range(3):
            (tmp_path / name / f"{i}.txt").write_text(f"{name} text {i}")
    train, val = utils.text_dataset_from_directory(
        tmp_path,
        validation_split=0.34,
        subset="both",
        seed=2,
        batch_size=2,
        max_length=3,
        verbose=False,
    )
    texts, labels = next(iter(train))
    assert len(texts) == 2 and all(len(t) <= 3 for t in texts)
    assert train.class_names == ["neg", "pos"] and len(val.file_paths) == 2
    assert str(labels.dtype) == "torch.int32"


def test_image_utils_round_trip(tmp_path):
    img = np.arange(24, dtype="float32").reshape(2, 4, 3)
    path = str(tmp_path / "a.png")
    utils.save_img(path, img, scale=False)
    loaded = utils.load_img(path)
    np.testing.assert_array_equal(utils.img_to_array(loaded), img)
    assert utils.img_to_array(loaded, data_format="channels_first").shape == (3, 2, 4)
    assert utils.load_img(path, target_size=(4, 8)).size == (8, 4)
    assert utils.array_to_img(img).mode == "RGB"
    with pytest.raises(ValueError, match="Expected image array to have rank 3"):
        utils.array_to_img(np.zeros((2, 2)))


@pytest.mark.skipif(
    importlib.util.find_spec("grain") is None, reason="needs the grain package"
)
def test_grain_format_yields_the_torch_format_batches(image_dir, tmp_path):
    import grain

    kwargs = dict(image_size=4, batch_size=3, shuffle=False, verbose=False)
    ours = utils.image_dataset_from_directory(image_dir, format="grain", **kwargs)
    torch_ds = utils.image_dataset_from_directory(image_dir, **kwargs)
    assert isinstance(ours, grain.IterDataset)
    assert ours.class_names == torch_ds.class_names == ["cat", "dog"]
    assert ours.file_paths == torch_ds.file_paths
    for (xa, ya), (xb, yb) in zip(ours, torch_ds, strict=True):
        torch.testing.assert_close(xa, xb)
        torch.testing.assert_close(ya, yb)
    # Split, seeded shuffle, and `fit` consuming it, as it does a torch loader.
    train, val = utils.image_dataset_from_directory(
        image_dir,
        format="grain",
        validation_split=0.25,
        subset="both",
        seed=3,
        image_size=4,
        batch_size=2,
        verbose=False,
    )
    assert len(train.file_paths) + len(val.file_paths) == len(torch_ds.file_paths)
    model = keras.Sequential(
        [keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, validation_data=val, epochs=2, verbose=0)
    assert len(history.history["val_loss"]) == 2
    (texts, labels) = next(
        iter(
            utils.text_dataset_from_directory(
                _text_tree(tmp_path), format="grain", shuffle=False, verbose=False
            )
        )
    )
    assert texts == ["neg review", "pos review"] and labels.tolist() == [0, 1]


def _text_tree(root):
    for name in ("neg", "pos"):
        os.makedirs(root / "texts" / name)
        (root / "texts" / name / "a.txt").write_text(name + " review")
    return root / "texts"


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is not None, reason="tensorflow present"
)
def test_tf_format_without_tensorflow_names_what_to_install(image_dir):
    with pytest.raises(ImportError, match='format="tf" needs the `tensorflow`'):
        utils.image_dataset_from_directory(image_dir, format="tf", verbose=False)


@pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None, reason="needs tensorflow"
)
def test_tf_format_yields_the_torch_format_batches(image_dir, tmp_path):
    import tensorflow as tf

    kwargs = dict(image_size=4, batch_size=3, shuffle=False, verbose=False)
    ours = utils.image_dataset_from_directory(image_dir, format="tf", **kwargs)
    torch_ds = utils.image_dataset_from_directory(image_dir, **kwargs)
    assert isinstance(ours, tf.data.Dataset)
    assert ours.class_names == ["cat", "dog"]
    assert ours.file_paths == torch_ds.file_paths
    for (xa, ya), (xb, yb) in zip(ours, torch_ds, strict=True):
        np.testing.assert_array_equal(xa.numpy(), xb.numpy())
        np.testing.assert_array_equal(ya.numpy(), yb.numpy())
    texts, labels = next(
        iter(
            utils.text_dataset_from_directory(
                _text_tree(tmp_path), format="tf", shuffle=False, verbose=False
            )
        )
    )
    assert texts.numpy().tolist() == [b"neg review", b"pos review"]
    assert labels.numpy().tolist() == [0, 1]

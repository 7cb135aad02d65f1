import gzip
import hashlib
import pathlib

import numpy as np
import pytest

from cornu import datasets
from cornu.datasets import _common, boston_housing, fashion_mnist, mnist
from cornu.utils import file_utils


@pytest.fixture
def origin(tmp_path, monkeypatch):
    """Serves files from a local folder as Keras's origin (file:// URLs)."""
    served = tmp_path / "served"
    served.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(_common, "ORIGIN_FOLDER", served.as_uri() + "/")
    for module in (mnist, fashion_mnist, boston_housing, datasets.california_housing):
        monkeypatch.setattr(module, "ORIGIN_FOLDER", served.as_uri() + "/")
    return served


def _sha(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def test_mnist_download_cache_and_bad_hash(origin, tmp_path, monkeypatch):
    x = np.random.randint(0, 255, (5, 28, 28)).astype("uint8")
    np.savez(
        origin / "mnist.npz",
        x_train=x,
        y_train=np.arange(5, dtype="uint8"),
        x_test=x[:2],
        y_test=np.arange(2, dtype="uint8"),
    )
    monkeypatch.setattr(mnist, "_FILE_HASH", _sha(origin / "mnist.npz"))
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (5, 28, 28) and y_test.tolist() == [0, 1]
    cached = tmp_path / "home" / "datasets" / "mnist.npz"
    assert cached.exists()
    (origin / "mnist.npz").unlink()  # a cache hit needs no origin
    mnist.load_data()
    monkeypatch.setattr(mnist, "_FILE_HASH", "0" * 64)
    with pytest.raises(Exception, match="URL fetch failure"):
        mnist.load_data()  # stale cache, origin gone: nothing half-written
    assert list(cached.parent.glob("*.part")) == []


def test_bad_checksum_leaves_nothing_cached(origin, tmp_path, monkeypatch):
    np.savez(origin / "boston_housing.npz", x=np.zeros((10, 13)), y=np.zeros(10))
    monkeypatch.setattr(boston_housing, "_FILE_HASH", "1" * 64)
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
        boston_housing.load_data()
    assert list((tmp_path / "home" / "datasets").iterdir()) == []


def test_housing_split_matches_keras(origin, monkeypatch):
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    np.savez(origin / "boston_housing.npz", x=x, y=y)
    monkeypatch.setattr(
        boston_housing, "_FILE_HASH", _sha(origin / "boston_housing.npz")
    )
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(seed=5)
    idx = np.arange(10)
    np.random.RandomState(5).shuffle(idx)
    np.testing.assert_array_equal(y_train, y[idx[:8]])
    np.testing.assert_array_equal(x_test, x[idx[8:]])


def test_pickled_npz_is_refused(origin, monkeypatch):
    np.savez(origin / "mnist.npz", x_train=np.array([[1], [1, 2]], dtype=object))
    monkeypatch.setattr(mnist, "_FILE_HASH", _sha(origin / "mnist.npz"))
    with pytest.raises(ValueError, match="Refusing to load .*pickled"):
        mnist.load_data()


def test_fashion_mnist_idx_files(origin):
    def write(name, header, body):
        with gzip.open(origin / name, "wb") as f:
            f.write(bytes(header) + body.tobytes())

    images = np.random.randint(0, 255, (3, 28, 28)).astype("uint8")
    write("train-labels-idx1-ubyte.gz", [0] * 8, np.array([1, 2, 3], "uint8"))
    write("train-images-idx3-ubyte.gz", [0] * 16, images)
    write("t10k-labels-idx1-ubyte.gz", [0] * 8, np.array([4], "uint8"))
    write("t10k-images-idx3-ubyte.gz", [0] * 16, images[:1])
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, images)
    assert y_train.tolist() == [1, 2, 3] and x_test.shape == (1, 28, 28)


def test_get_file_extract_and_path_traversal(tmp_path):
    import tarfile
    import zipfile

    payload = tmp_path / "inner.txt"
    payload.write_text("data")
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as t:
        t.add(payload, arcname="folder/inner.txt")
    out = file_utils.get_file(
        "good.tar.gz", good.as_uri(), extract=True, cache_dir=str(tmp_path / "cache")
    )
    assert (pathlib.Path(out) / "folder" / "inner.txt").read_text() == "data"
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escape.txt", "x")
    with pytest.raises(ValueError, match="would be written outside"):
        file_utils.get_file(
            "evil.zip", evil.as_uri(), extract=True, cache_dir=str(tmp_path / "cache")
        )
    assert not (tmp_path / "escape.txt").exists()
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        file_utils.get_file("a/b.txt", good.as_uri(), cache_dir=str(tmp_path))
    md5 = hashlib.md5(payload.read_bytes()).hexdigest()
    path = file_utils.get_file(
        origin=payload.as_uri(), file_hash=md5, cache_dir=str(tmp_path / "c2")
    )
    assert pathlib.Path(path).read_text() == "data"

"""CIFAR, IMDB and Reuters loaders, fed with small files in the real formats."""

import hashlib
import io
import json
import os
import pathlib
import pickle
import re
import tarfile
import zipfile

import numpy as np
import pytest

from cornu import config, datasets
from cornu.datasets import _safe_pickle, cifar10, cifar100, imdb, reuters


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A local folder served as every origin (file:// URLs), and an empty cache."""
    folder = tmp_path / "served"
    folder.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    for module in (imdb, reuters):
        monkeypatch.setattr(module, "ORIGIN_FOLDER", folder.as_uri() + "/")
    return folder


def _digest(path, algorithm="sha256"):
    return hashlib.new(algorithm, pathlib.Path(path).read_bytes()).hexdigest()


def _tarball(path, members):
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def _records(labels, images):
    """CIFAR binary records: label byte(s), then the (3, 32, 32) planes."""
    rows = [np.concatenate([lab, img.ravel()]) for lab, img in zip(labels, images)]
    return np.stack(rows).astype(np.uint8).tobytes()


def _images(n, rng):
    return rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)


def test_exports():
    assert {"cifar10", "cifar100", "imdb", "reuters"} <= set(datasets.__all__)


def test_cifar10_binary_archive(served, monkeypatch):
    rng = np.random.default_rng(0)
    images = _images(12, rng)
    labels = rng.integers(0, 10, (12, 1), dtype=np.uint8)
    members = {
        f"cifar-10-batches-bin/data_batch_{i}.bin": _records(
            labels[2 * (i - 1) : 2 * i], images[2 * (i - 1) : 2 * i]
        )
        for i in range(1, 6)
    }
    members["cifar-10-batches-bin/test_batch.bin"] = _records(labels[10:], images[10:])
    members["cifar-10-batches-bin/batches.meta.txt"] = b"airplane\n"
    archive = served / "cifar-10-binary.tar.gz"
    _tarball(archive, members)
    monkeypatch.setattr(cifar10, "ORIGIN", archive.as_uri())
    monkeypatch.setattr(cifar10, "_FILE_HASH", _digest(archive, "md5"))

    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (10, 1) and y_test.shape == (2, 1)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # channels-last: pixel (h, w) of channel c is byte c * 1024 + h * 32 + w
    np.testing.assert_array_equal(x_train, images[:10].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_test, labels[10:])
    assert x_train[3, 5, 7, 2] == images[3].ravel()[2 * 1024 + 5 * 32 + 7]

    previous = config.image_data_format()
    config.set_image_data_format("channels_first")
    try:
        (x_train, _), _ = cifar10.load_data()  # served from the cache now
    finally:
        config.set_image_data_format(previous)
    np.testing.assert_array_equal(x_train, images[:10])


def test_cifar10_bad_checksum(served, monkeypatch):
    archive = served / "cifar-10-binary.tar.gz"
    _tarball(archive, {"cifar-10-batches-bin/test_batch.bin": b""})
    monkeypatch.setattr(cifar10, "ORIGIN", archive.as_uri())
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected"):
        cifar10.load_data()  # the real MD5 cannot match this archive


def test_cifar100_label_modes(served, monkeypatch):
    rng = np.random.default_rng(1)
    images = _images(5, rng)
    coarse = rng.integers(0, 20, 5, dtype=np.uint8)
    fine = rng.integers(0, 100, 5, dtype=np.uint8)
    labels = np.stack([coarse, fine], axis=1)
    archive = served / "cifar-100-binary.tar.gz"
    _tarball(
        archive,
        {
            "cifar-100-binary/train.bin": _records(labels[:3], images[:3]),
            "cifar-100-binary/test.bin": _records(labels[3:], images[3:]),
        },
    )
    monkeypatch.setattr(cifar100, "ORIGIN", archive.as_uri())
    monkeypatch.setattr(cifar100, "_FILE_HASH", _digest(archive))

    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert x_train.shape == (3, 32, 32, 3) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_test, images[3:].transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(y_train, fine[:3, None])
    assert y_test.shape == (2, 1) and y_test.dtype == np.uint8
    (_, y_train), (_, y_test) = cifar100.load_data(label_mode="coarse")
    np.testing.assert_array_equal(y_test, coarse[3:, None])
    with pytest.raises(ValueError, match="`label_mode` must be one of .*label_mode=x"):
        cifar100.load_data(label_mode="x")


def test_cifar_truncated_file_is_refused(tmp_path):
    from cornu.datasets._cifar import read_records

    path = tmp_path / "test.bin"
    path.write_bytes(bytes(3073 + 5))
    with pytest.raises(ValueError, match="whole CIFAR records of 3073 bytes"):
        read_records(str(path), label_bytes=1)


# -- IMDB / Reuters ------------------------------------------------------------


def _ragged(rng, n, vocab=30):
    """`n` int lists of distinct lengths, stored the way Keras's files are."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, vocab, 2 + (i * 3) % 11)]
    return out


def _imdb_file(folder, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(
        folder / "imdb.npz",
        x_train=_ragged(rng, 9),
        y_train=rng.integers(0, 2, 9),
        x_test=_ragged(rng, 7),
        y_test=rng.integers(0, 2, 7),
    )
    return folder / "imdb.npz"


def _reuters_file(folder, seed=0):
    rng = np.random.default_rng(seed)
    np.savez(folder / "reuters.npz", x=_ragged(rng, 13), y=rng.integers(0, 46, 13))
    return folder / "reuters.npz"


CASES = [
    {},
    {"num_words": 12, "skip_top": 2},
    {"maxlen": 9, "seed": 3},
    {"start_char": None, "oov_char": None, "index_from": 0, "num_words": 20},
    {"start_char": 5, "oov_char": 7, "index_from": 1, "skip_top": 4},
]


@pytest.fixture(scope="module")
def keras_datasets():
    """The real Keras loaders (their `get_file` patched per test): the oracle."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("the Keras oracle needs KERAS_BACKEND=torch")
    from keras.src.datasets import imdb as k_imdb
    from keras.src.datasets import reuters as k_reuters

    return k_imdb, k_reuters


def _assert_same(ours, theirs):
    for (x, y), (kx, ky) in zip(ours, theirs):
        assert x.dtype == object and x.ndim == 1
        assert [list(s) for s in x] == [list(s) for s in kx]
        np.testing.assert_array_equal(y, np.asarray(ky))
        assert y.dtype == np.asarray(ky).dtype


@pytest.mark.parametrize("kwargs", CASES)
def test_imdb_matches_keras(served, monkeypatch, keras_datasets, kwargs):
    path = _imdb_file(served)
    monkeypatch.setattr(imdb, "_FILE_HASH", _digest(path))
    k_imdb, _ = keras_datasets
    monkeypatch.setattr(k_imdb, "get_file", lambda *a, **k: str(path))
    _assert_same(imdb.load_data(**kwargs), k_imdb.load_data(**kwargs))


@pytest.mark.parametrize("kwargs", [*CASES, {"test_split": 0.5, "maxlen": 12}])
def test_reuters_matches_keras(served, monkeypatch, keras_datasets, kwargs):
    path = _reuters_file(served)
    monkeypatch.setattr(reuters, "_FILE_HASH", _digest(path))
    _, k_reuters = keras_datasets
    monkeypatch.setattr(k_reuters, "get_file", lambda *a, **k: str(path))
    _assert_same(reuters.load_data(**kwargs), k_reuters.load_data(**kwargs))
    assert reuters.get_label_names() == k_reuters.get_label_names()


def test_imdb_without_oracle(served, monkeypatch):
    """The transforms by hand, so they stay tested where Keras is absent."""
    x = np.empty(2, dtype=object)
    x[0], x[1] = [1, 5, 2], [3, 3]  # equal lengths must still give 1-D arrays
    np.savez(served / "imdb.npz", x_train=x, y_train=[0, 1], x_test=x, y_test=[1, 0])
    monkeypatch.setattr(imdb, "_FILE_HASH", _digest(served / "imdb.npz"))
    (x_train, y_train), (x_test, _) = imdb.load_data(num_words=7, skip_top=5, seed=0)
    order = np.arange(2)
    np.random.RandomState(0).shuffle(order)
    # start_char 1, then +3; outside [skip_top, num_words) = [5, 7) becomes oov 2,
    # the start character included (as in Keras)
    expected = {0: [2, 2, 2, 5], 1: [2, 6, 6]}
    assert x_train.shape == (2,) and x_train.dtype == object
    assert [x_train[i] for i in range(2)] == [expected[j] for j in order]
    assert y_train.tolist() == [[0, 1][j] for j in order]
    assert len(x_test) == 2
    with pytest.raises(ValueError, match="maxlen=2, no sequence was kept"):
        imdb.load_data(maxlen=2)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments: \\['nb'\\]"):
        imdb.load_data(nb=3)


def test_reuters_split_and_word_index(served, monkeypatch):
    path = _reuters_file(served)
    monkeypatch.setattr(reuters, "_FILE_HASH", _digest(path))
    (x_train, y_train), (x_test, y_test) = reuters.load_data(test_split=0.3)
    assert len(x_train) == int(13 * 0.7) and len(x_test) == 13 - int(13 * 0.7)
    assert y_train.dtype == np.int64 and len(y_test) == len(x_test)
    assert len(reuters.get_label_names()) == 46
    with pytest.raises(ValueError, match="test_split=1.5"):
        reuters.load_data(test_split=1.5)
    for module, name in ((reuters, "reuters"), (imdb, "imdb")):
        index = served / f"{name}_word_index.json"
        index.write_text(json.dumps({"the": 1, "ünïcode": 2}), encoding="utf-8")
        monkeypatch.setattr(module, "_WORD_INDEX_HASH", _digest(index, "md5"))
        assert module.get_word_index() == {"the": 1, "ünïcode": 2}


# -- the restricted unpickler --------------------------------------------------


class _Evil:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _object_npz(path, name, payload):
    """An `.npz` whose member is an object-array header followed by `payload`."""
    buffer = io.BytesIO()
    header = {"descr": "|O", "fortran_order": False, "shape": (1,)}
    np.lib.format.write_array_header_1_0(buffer, header)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}.npy", buffer.getvalue() + payload)


def test_malicious_pickle_is_refused(served, monkeypatch, tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Evil(f"touch {marker}"), protocol=3)
    _object_npz(served / "reuters.npz", "x", payload)
    monkeypatch.setattr(reuters, "_FILE_HASH", _digest(served / "reuters.npz"))
    with pytest.raises(pickle.UnpicklingError, match=r"Refusing to load the global"):
        reuters.load_data()
    assert not marker.exists()
    for gadget in (eval, getattr, np.load):
        where = re.escape(f"global {gadget.__module__}.{gadget.__name__} from")
        with pytest.raises(pickle.UnpicklingError, match=where):
            _safe_pickle.RestrictedUnpickler(io.BytesIO(pickle.dumps(gadget))).load()


def test_object_member_must_be_an_array(tmp_path):
    _object_npz(tmp_path / "a.npz", "x", pickle.dumps([1, 2], protocol=3))
    with pytest.raises(ValueError, match=r"object array of shape \(1,\)"):
        _safe_pickle.load_npz_objects(str(tmp_path / "a.npz"), ("x",))
    with pytest.raises(KeyError, match="to hold the array 'y'"):
        _safe_pickle.load_npz_objects(str(tmp_path / "a.npz"), ("y",))


def test_legitimate_object_npz_loads(tmp_path):
    x = _ragged(np.random.default_rng(0), 4)
    np.savez(tmp_path / "ok.npz", x=x, y=np.arange(4, dtype=np.int32))
    got_x, got_y = _safe_pickle.load_npz_objects(str(tmp_path / "ok.npz"), ("x", "y"))
    assert got_x.dtype == object and [list(s) for s in got_x] == list(x)
    assert got_y.dtype == np.int32 and got_y.tolist() == [0, 1, 2, 3]

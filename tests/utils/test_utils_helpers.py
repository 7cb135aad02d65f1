import numpy as np
import pytest
import torch

import cornu as keras
from cornu import utils


def test_pad_sequences_matches_keras_documented_results():
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9]]
    np.testing.assert_array_equal(
        utils.pad_sequences(seqs), [[0, 1, 2, 3], [0, 0, 4, 5], [6, 7, 8, 9]]
    )
    out = utils.pad_sequences(seqs, maxlen=3, padding="post", truncating="pre")
    np.testing.assert_array_equal(out, [[1, 2, 3], [4, 5, 0], [7, 8, 9]])
    out = utils.pad_sequences(seqs, maxlen=2, truncating="post", value=-1)
    np.testing.assert_array_equal(out, [[1, 2], [4, 5], [6, 7]])
    assert out.dtype == np.int32
    out = utils.pad_sequences([[[1, 1]], [[2, 2], [3, 3]]], dtype="float32")
    assert out.shape == (2, 2, 2) and out[0, 0, 0] == 0.0
    strings = utils.pad_sequences([["a"], ["b", "c"]], dtype=object, value="")
    assert strings.tolist() == [["", "a"], ["b", "c"]]


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match='Padding type "mid" not understood'):
        utils.pad_sequences([[1]], padding="mid")
    with pytest.raises(ValueError, match='Truncating type "x" not understood'):
        utils.pad_sequences([[1]], truncating="x")
    with pytest.raises(ValueError, match="Found non-iterable: 3"):
        utils.pad_sequences([[1], 3])
    with pytest.raises(ValueError, match="not compatible with `value`'s type"):
        utils.pad_sequences([[1]], value="x")
    with pytest.raises(ValueError, match="at position 1 is different"):
        utils.pad_sequences([[[1, 1]], [[1, 2, 3]]])


def test_split_dataset():
    x, y = np.arange(10), np.arange(10) * 2
    left, right = utils.split_dataset((x, y), left_size=0.8)
    assert (len(left), len(right)) == (8, 2)
    assert right[0][0].item() == 8 and right[0][1].item() == 16
    left, right = utils.split_dataset(x, right_size=3, shuffle=True, seed=1)
    values = sorted(int(left[i][0]) for i in range(7)) + [
        int(right[i][0]) for i in range(3)
    ]
    assert sorted(values) == list(range(10))
    again, _ = utils.split_dataset(x, right_size=3, shuffle=True, seed=1)
    assert [int(a[0]) for a in again] == [int(a[0]) for a in left]
    with pytest.raises(ValueError, match="At least one of the `left_size`"):
        utils.split_dataset(x)
    with pytest.raises(ValueError, match="`left_size` should be either"):
        utils.split_dataset(x, left_size=1.5)
    with pytest.raises(TypeError, match="Invalid `left_size` Type"):
        utils.split_dataset(x, left_size="a")
    with pytest.raises(TypeError, match="must be a `torch.utils.data.Dataset`"):
        utils.split_dataset(5, left_size=0.5)


def test_source_inputs_keras_tensor_dtype_and_clear_session():
    a, b = keras.Input((2,)), keras.Input((2,))
    out = keras.layers.Dense(3)(keras.layers.Add()([a, b]))
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.is_keras_tensor(out) and not utils.is_keras_tensor(torch.ones(1))
    assert utils.standardize_dtype(torch.int64) == "int64"
    assert utils.standardize_dtype(np.float16) == "float16"
    keras.layers.Dense(1)
    utils.clear_session()
    assert keras.layers.Dense(1).name == "dense"


def test_interactive_logging_and_config(capsys):
    assert utils.is_interactive_logging_enabled()
    utils.disable_interactive_logging()
    try:
        assert not utils.is_interactive_logging_enabled()
        from cornu.utils.io_utils import print_msg

        print_msg("hidden")
        assert "hidden" not in capsys.readouterr().out
    finally:
        utils.enable_interactive_logging()
    config = utils.Config(a=1)
    config.b = 2
    assert config["b"] == 2 and config.a == 1 and len(config) == 2
    assert config.as_dict() == {"a": 1, "b": 2}
    config.freeze()
    with pytest.raises(ValueError, match="config is frozen"):
        config.c = 3
    with pytest.raises(AttributeError, match="Unknown attribute: 'zz'"):
        _ = config.zz


def test_timeseries_dataset_matches_numpy_reference():
    data = np.arange(100, dtype="float32").reshape(50, 2)
    targets = np.arange(50)
    ds = utils.timeseries_dataset_from_array(
        data,
        targets,
        sequence_length=5,
        sequence_stride=3,
        sampling_rate=2,
        batch_size=4,
        start_index=2,
        end_index=40,
    )
    xs, ys = zip(*list(ds))
    x, y = torch.cat(xs).numpy(), torch.cat(ys).numpy()
    sub, tsub = data[2:40], targets[2:40]
    starts = np.arange(0, 38 - 4 * 2, 3)
    np.testing.assert_array_equal(x, np.stack([sub[s : s + 10 : 2] for s in starts]))
    np.testing.assert_array_equal(y, tsub[starts])
    shuffled = utils.timeseries_dataset_from_array(
        data, targets, 5, batch_size=8, shuffle=True, seed=3
    )
    xs = torch.cat([b[0] for b in shuffled])
    assert xs.shape == (46, 5, 2)
    model = keras.Sequential(
        [keras.Input((5, 2)), keras.layers.Flatten(), keras.layers.Dense(1)]
    )
    model.compile("sgd", "mse")
    model.fit(shuffled, epochs=1, verbose=0)


def test_timeseries_errors():
    with pytest.raises(ValueError, match="`sampling_rate` must be higher than 0"):
        utils.timeseries_dataset_from_array(np.zeros(10), None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="same number of time steps"):
        utils.timeseries_dataset_from_array(np.zeros(10), np.zeros(9), 3)
    with pytest.raises(ValueError, match='format="tf" is not available'):
        utils.timeseries_dataset_from_array(np.zeros(10), None, 3, format="tf")

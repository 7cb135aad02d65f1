"""RandAugment and AugMix: harness, Keras's draws for one seed, and the output
rebuilt from Keras's own augmentation layers applied in turn."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
import torch

from cornu.layers.preprocessing.aug_mix import AugMix
from cornu.layers.preprocessing.rand_augment import RandAugment

RNG = np.random.default_rng(0)
# Keras's own equalization warns about a 0-d transpose.
pytestmark = pytest.mark.filterwarnings("ignore:Tensor.T is deprecated")


def _images(shape: tuple, low: float = 0.0, high: float = 255.0) -> torch.Tensor:
    return torch.from_numpy(RNG.uniform(low, high, shape).astype("float32"))


def _assert_same_draws(ours: Any, theirs: Any) -> None:
    if isinstance(ours, dict):
        assert set(ours) == set(theirs)
        for key in ours:
            _assert_same_draws(ours[key], theirs[key])
    elif isinstance(ours, torch.Tensor):
        torch.testing.assert_close(ours, torch.as_tensor(theirs).cpu())
    else:
        assert ours == theirs


def _keras_step(keras_layer: Any, name: str, images: Any, t: Any) -> torch.Tensor:
    """One augmentation by Keras's own layer (on copies: Keras updates some
    inputs in place). Its equalization pools the histogram over the batch,
    ours is per image, so that one goes image by image."""
    layer = getattr(keras_layer, name)
    if name == "equalization":
        parts = [layer.transform_images(img[None].clone(), None) for img in images]
        return torch.cat(parts).cpu()
    return layer.transform_images(images.clone(), copy.deepcopy(t)).cpu()


RAND_AUGMENT: list[dict[str, Any]] = [
    {},
    {"num_ops": 4, "factor": 0.9},
    {"factor": (0.2, 0.4), "interpolation": "nearest", "value_range": (0, 1)},
]
AUG_MIX: list[dict[str, Any]] = [
    {},
    {"all_ops": False, "num_chains": 2, "chain_depth": 4, "alpha": 0.5},
    {"factor": (0.1, 0.6), "value_range": (0, 1), "interpolation": "nearest"},
]


@pytest.mark.parametrize("cls,kwargs", [(RandAugment, RAND_AUGMENT[1]), (AugMix, {})])
def test_harness(layer_test: Any, cls: Any, kwargs: dict) -> None:
    shape = (2, 8, 9, 3)
    layer_test(
        cls,
        {**kwargs, "seed": 1},
        input_shape=shape,
        expected_output_shape=shape,
        expected_num_trainable_weights=0,
    )


@pytest.mark.parametrize("kwargs", RAND_AUGMENT)
def test_rand_augment_matches_keras(keras_oracle: Any, kwargs: dict) -> None:
    x = _images((3, 7, 9, 3), *kwargs.get("value_range", (0, 255)))
    for seed in range(4):
        ours = RandAugment(**kwargs, seed=seed)
        theirs = keras_oracle.layers.RandAugment(**kwargs, seed=seed)
        t = ours.get_random_transformation(x)
        _assert_same_draws(t, theirs.get_random_transformation(x))
        assert list(t["transforms"]) == ours._AUGMENT_LAYERS
        want = x
        for pick in t["layer_idxes"].tolist():
            name = ours._AUGMENT_LAYERS[pick]
            want = _keras_step(theirs, name, want, t["transforms"][name])
        got = ours.transform_images(x, t)
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("kwargs", AUG_MIX)
def test_aug_mix_matches_keras(keras_oracle: Any, kwargs: dict) -> None:
    x = _images((3, 7, 9, 3), *kwargs.get("value_range", (0, 255)))
    low, high = kwargs.get("value_range", (0, 255))
    for seed in range(4):
        ours = AugMix(**kwargs, seed=seed)
        theirs = keras_oracle.layers.AugMix(**kwargs, seed=seed)
        t = ours.get_random_transformation(x)
        t_keras = theirs.get_random_transformation(x)
        # The mixing weights are Keras's draws for the seed.
        _assert_same_draws(t["chain_mixing_weights"], t_keras["chain_mixing_weights"])
        _assert_same_draws(t["weight_sample"], t_keras["weight_sample"])
        assert len(t["chain_transforms"]) == ours.num_chains
        mixed = torch.zeros_like(x)
        for weight, chain in zip(t["chain_mixing_weights"], t["chain_transforms"]):
            assert len(chain) <= ours.chain_depth
            y = x
            for step in chain:
                assert step["layer_name"] in ours._augment_layers
                y = _keras_step(theirs, step["layer_name"], y, step["transformation"])
            mixed = mixed + y * weight
        m = t["weight_sample"]
        want = (m * x + (1 - m) * mixed).clamp(low, high)
        torch.testing.assert_close(
            ours.transform_images(x, t), want, rtol=1e-5, atol=1e-3
        )


def test_aug_mix_single_image_matches_keras_layer(keras_oracle: Any) -> None:
    # For one image Keras's AugMix itself is the reference.
    x = _images((7, 9, 3))
    for seed in range(3):
        ours = AugMix(seed=seed)
        t = ours.get_random_transformation(x)
        theirs = keras_oracle.layers.AugMix().transform_images(
            x[None].clone(), copy.deepcopy(t)
        )
        got = ours.transform_images(x, t)
        torch.testing.assert_close(got, theirs[0].cpu(), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("cls", [RandAugment, AugMix])
def test_training_seeds_and_layouts(cls: Any) -> None:
    x = _images((4, 6, 7, 3))
    layer = cls(seed=5)
    assert torch.equal(layer(x, training=False), x)
    first = layer(x)
    assert first.shape == x.shape and not torch.equal(first, x)
    torch.testing.assert_close(cls(seed=5)(x), first)
    assert not torch.equal(layer(x), first)
    # Draws do not depend on the layout.
    cf = cls(seed=5, data_format="channels_first")(x.permute(0, 3, 1, 2))
    torch.testing.assert_close(cf.permute(0, 2, 3, 1), first, rtol=1e-5, atol=1e-3)
    single = cls(seed=2)(x[0])
    assert single.shape == x[0].shape
    assert 0.0 <= float(first.min()) and float(first.max()) <= 255.0


def test_config_matches_keras(keras_oracle: Any) -> None:
    cases: list[tuple[Any, dict[str, Any]]] = [
        (RandAugment, RAND_AUGMENT[2]),
        (AugMix, AUG_MIX[1]),
    ]
    for cls, kwargs in cases:
        ours = cls(**kwargs).get_config()
        theirs = getattr(keras_oracle.layers, cls.__name__)(**kwargs).get_config()
        for key in set(theirs) - {"name", "dtype", "trainable"}:
            assert ours[key] == theirs[key], key


def test_sublayers_follow_keras() -> None:
    layer: Any = RandAugment(factor=0.5, value_range=(0, 1), interpolation="nearest")
    assert layer.random_rotation.factor == (0.0, 0.5)
    assert layer.random_translation._height_range == (0.0, 0.5)
    assert layer.random_shear.x_factor == (0.0, 0.5)
    assert layer.random_posterization.factor == (1, 4)
    assert layer.solarization.threshold_factor == (0.0, 0.5)
    assert layer.random_rotation.interpolation == "nearest"
    assert layer.equalization.value_range == [0, 1]
    assert not hasattr(AugMix(all_ops=False), "random_brightness")


def test_errors() -> None:
    with pytest.raises(ValueError, match=r"RandAugment `num_ops` must be an integer"):
        RandAugment(num_ops=-1)
    with pytest.raises(ValueError, match=r"RandAugment `factor` must be a number or"):
        RandAugment(factor=1.5)
    with pytest.raises(ValueError, match=r"RandAugment `interpolation` must be one"):
        RandAugment(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"AugMix `alpha` must be a positive number"):
        AugMix(alpha=0.0)
    with pytest.raises(ValueError, match=r"AugMix `num_chains` must be an integer"):
        AugMix(num_chains=0)
    with pytest.raises(ValueError, match=r"AugMix `value_range` must be a pair"):
        AugMix(value_range=(1, 1, 2))


def test_docstring_examples_run() -> None:
    import doctest

    from cornu.layers.preprocessing import aug_mix, rand_augment

    for mod in (aug_mix, rand_augment):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0

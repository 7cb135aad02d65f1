"""`FeatureSpace`: one-step preprocessing and encoding of structured data."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch

from cornu.core import naming, serialization
from cornu.core.keras_tensor import KerasTensor
from cornu.core.layer import Layer
from cornu.layers.core.input_layer import Input
from cornu.layers.preprocessing.category_encoding import CategoryEncoding
from cornu.layers.preprocessing.discretization import Discretization
from cornu.layers.preprocessing.hashed_crossing import HashedCrossing
from cornu.layers.preprocessing.hashing import Hashing
from cornu.layers.preprocessing.integer_lookup import IntegerLookup
from cornu.layers.preprocessing.normalization import Normalization
from cornu.layers.preprocessing.rescaling import Rescaling
from cornu.layers.preprocessing.string_lookup import StringLookup
from cornu.layers.preprocessing.text_vectorization import TextVectorization

# Keras keeps these classes in a private module and names it in its files.
_KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"
FEATURE_OUTPUT_MODES = ("int", "one_hot", "float")
CROSS_OUTPUT_MODES = ("int", "one_hot")


class TFDIdentity(Layer):
    """The preprocessor of `FeatureSpace.float` features: a cast to its dtype.

    (Keras's name for it, kept so that saved feature spaces interchange.)
    """

    _keras_module = _KERAS_MODULE

    def call(self, inputs: Any) -> torch.Tensor:
        return torch.as_tensor(inputs).to(self._compute_torch_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


def _deserialize_layer(config: Any) -> Any:
    if isinstance(config, dict):
        return serialization.deserialize_keras_object(
            config, custom_objects={"TFDIdentity": TFDIdentity}
        )
    return config


class Cross:
    """A feature cross of `FeatureSpace`: features hashed together.

    Args:
        feature_names: the names of the crossed features.
        crossing_dim: the number of hash bins.
        output_mode: `"one_hot"` (default) or `"int"`.
    """

    _keras_module = _KERAS_MODULE

    def __init__(
        self,
        feature_names: Iterable[str],
        crossing_dim: int,
        output_mode: str = "one_hot",
    ) -> None:
        if output_mode not in CROSS_OUTPUT_MODES:
            raise ValueError(
                f"Cross `output_mode` must be one of {CROSS_OUTPUT_MODES}, received: "
                f"output_mode={output_mode!r}."
            )
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self) -> str:
        return "_X_".join(self.feature_names)

    def get_config(self) -> dict[str, Any]:
        return {
            "feature_names": self.feature_names,
            "crossing_dim": self.crossing_dim,
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Cross:
        config = dict(config)
        names = config.get("feature_names")
        if isinstance(names, dict) and names.get("class_name") == "__tuple__":
            config["feature_names"] = names["config"]["value"]
        return cls(**config)


class Feature:
    """A feature of `FeatureSpace`: its input dtype, preprocessor and encoding.

    Args:
        dtype: the dtype of the raw feature (`"float32"`, `"int32"`,
            `"string"`).
        preprocessor: the layer applied to it.
        output_mode: `"float"` (used as it is), `"one_hot"` (the
            preprocessor's integer output one-hot encoded) or `"int"`.
    """

    _keras_module = _KERAS_MODULE

    def __init__(self, dtype: str, preprocessor: Any, output_mode: str) -> None:
        if output_mode not in FEATURE_OUTPUT_MODES:
            raise ValueError(
                f"Feature `output_mode` must be one of {FEATURE_OUTPUT_MODES}, "
                f"received: output_mode={output_mode!r}."
            )
        self.dtype = dtype
        self.preprocessor = _deserialize_layer(preprocessor)
        self.output_mode = output_mode

    def get_config(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "preprocessor": serialization.serialize_keras_object(self.preprocessor),
            "output_mode": self.output_mode,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Feature:
        return cls(**config)


def _from_serialized(value: Any, cls: type) -> Any:
    if isinstance(value, dict) and value.get("class_name") == cls.__name__:
        return cls.from_config(dict(value.get("config", {})))  # type: ignore[attr-defined]
    return value


def _column(value: Any, dtype: str) -> Any:
    """One feature's values as a batch of shape `(batch, ...)`."""
    if dtype == "string":
        array = np.asarray(
            value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        )
        return array.astype(object) if array.dtype.kind == "S" else array
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if dtype.startswith("float"):
        return torch.as_tensor(array.astype(dtype))
    return torch.as_tensor(array.astype("int64"))


class FeatureSpace(Layer):
    """Preprocesses and encodes a dict of structured-data features at once.

    Each feature is named with a preprocessing recipe (a string such as
    `"float_normalized"`, or a `FeatureSpace.<constructor>(...)` such as
    `FeatureSpace.string_categorical(max_tokens=100)`); crosses hash pairs
    of categorical features together. `adapt` learns every preprocessor's
    state (vocabularies, means, bins) from the data; calling the feature
    space on a dict of arrays returns the features encoded and, with
    `output_mode="concat"`, concatenated in name order (features, then
    crosses), as Keras.

    Args:
        features: a dict from feature name to a recipe name
            (`"float"`, `"float_rescaled"`, `"float_normalized"`,
            `"float_discretized"`, `"integer_categorical"`,
            `"string_categorical"`, `"integer_hashed"`, `"string_hashed"`)
            or a `Feature`.
        output_mode: `"concat"` (default; one float tensor) or `"dict"`.
        crosses: feature crosses: tuples of feature names or `Cross`es.
        crossing_dim: the hash bins of crosses given as tuples.
        hashing_dim: the hash bins of `"*_hashed"` features.
        num_discretization_bins: the bins of `"float_discretized"`.
        name: the layer's name.

    Call arguments:
        data: a dict from feature name to values: arrays, lists, tensors
            of shape `(batch,)` or `(batch, 1)`, or single values.

    Input shape:
        A dict of `(batch,)` or `(batch, 1)` features.

    Output shape:
        `(batch, encoded_dim)` for `"concat"`; a dict of `(batch, dim)`
        otherwise (without the batch axis for single values).

    Returns:
        A float tensor, or a dict of tensors.

    Example:
    >>> fs = FeatureSpace({"x": "float_normalized", "c": "integer_categorical"})
    >>> fs.adapt({"x": np.array([0.0, 2.0]), "c": np.array([1, 1])})
    >>> fs({"x": np.array([1.0, 2.0]), "c": np.array([1, 7])}).tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """

    # -- feature constructors ---------------------------------------------------
    @classmethod
    def cross(
        cls,
        feature_names: Iterable[str],
        crossing_dim: int,
        output_mode: str = "one_hot",
    ) -> Cross:
        """A cross of `feature_names` hashed into `crossing_dim` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype: str, preprocessor: Any, output_mode: str) -> Feature:
        """A feature with a preprocessor of your own."""
        return Feature(dtype, preprocessor, output_mode)

    # Keras's constructor name; it hides torch's `Module.float()` cast, which
    # has nothing to cast here (a feature space holds no float weights of
    # its own; its preprocessors are cast through `to()`).
    @classmethod
    def float(cls, name: str | None = None) -> Feature:  # type: ignore[override]
        """A float feature used as it is."""
        name = name or naming.uniquify("float")
        preprocessor = TFDIdentity(dtype="float32", name=f"{name}_preprocessor")
        return Feature("float32", preprocessor, "float")

    @classmethod
    def float_rescaled(
        cls,
        scale: builtins.float = 1.0,
        offset: builtins.float = 0.0,
        name: str | None = None,
    ) -> Feature:
        """A float feature rescaled as `x * scale + offset`."""
        name = name or naming.uniquify("float_rescaled")
        preprocessor = Rescaling(
            scale=scale, offset=offset, name=f"{name}_preprocessor"
        )
        return Feature("float32", preprocessor, "float")

    @classmethod
    def float_normalized(cls, name: str | None = None) -> Feature:
        """A float feature normalized to mean 0 and variance 1 (adapted)."""
        name = name or naming.uniquify("float_normalized")
        preprocessor = Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature("float32", preprocessor, "float")

    @classmethod
    def float_discretized(
        cls,
        num_bins: int | None,
        bin_boundaries: list[builtins.float] | None = None,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """A float feature bucketed into `num_bins` quantile bins (adapted), or
        by `bin_boundaries` (then `num_bins=None`)."""
        name = name or naming.uniquify("float_discretized")
        preprocessor = Discretization(
            num_bins=num_bins,
            bin_boundaries=bin_boundaries,
            name=f"{name}_preprocessor",
        )
        return Feature("float32", preprocessor, output_mode)

    @classmethod
    def integer_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """An integer category, indexed through an adapted vocabulary."""
        name = name or naming.uniquify("integer_categorical")
        preprocessor = IntegerLookup(
            name=f"{name}_preprocessor",
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
        )
        return Feature("int32", preprocessor, output_mode)

    @classmethod
    def string_categorical(
        cls,
        max_tokens: int | None = None,
        num_oov_indices: int = 1,
        output_mode: str = "one_hot",
        name: str | None = None,
    ) -> Feature:
        """A string category, indexed through an adapted vocabulary."""
        name = name or naming.uniquify("string_categorical")
        preprocessor = StringLookup(
            name=f"{name}_preprocessor",
            max_tokens=max_tokens,
            num_oov_indices=num_oov_indices,
        )
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def string_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        """A string category hashed into `num_bins` bins."""
        name = name or naming.uniquify("string_hashed")
        preprocessor = Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def integer_hashed(
        cls, num_bins: int, output_mode: str = "one_hot", name: str | None = None
    ) -> Feature:
        """An integer category hashed into `num_bins` bins."""
        name = name or naming.uniquify("integer_hashed")
        preprocessor = Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("int32", preprocessor, output_mode)

    # -- construction -------------------------------------------------------------
    def __init__(
        self,
        features: dict[str, Any],
        output_mode: str = "concat",
        crosses: list[Any] | None = None,
        crossing_dim: int = 32,
        hashing_dim: int = 32,
        num_discretization_bins: int = 32,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        if not features or not isinstance(features, dict):
            raise ValueError(
                "FeatureSpace `features` must be a non-empty dict of feature name "
                f"to feature, received: features={features!r}."
            )
        if output_mode not in ("concat", "dict"):
            raise ValueError(
                "FeatureSpace `output_mode` must be one of ('concat', 'dict'), "
                f"received: output_mode={output_mode!r}."
            )
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {
            key: self._standardize_feature(key, value)
            for key, value in features.items()
        }
        self.crosses: list[Cross] = []
        for cross in crosses or []:
            cross = _from_serialized(cross, Cross)
            if not isinstance(cross, Cross):
                if not crossing_dim:
                    raise ValueError(
                        "FeatureSpace `crosses` given as feature names need a "
                        f"`crossing_dim`, received: crossing_dim={crossing_dim!r}."
                    )
                unknown = [key for key in cross if key not in self.features]
                if unknown:
                    raise ValueError(
                        "FeatureSpace `crosses` must name features of `features`, "
                        f"received unknown features {unknown} in cross {cross!r}."
                    )
                cross = Cross(cross, crossing_dim=crossing_dim)
            self.crosses.append(cross)
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        # Public dicts of layers: registered as sublayers (weights, devices).
        self.preprocessors = {key: f.preprocessor for key, f in self.features.items()}
        self.crossers = {
            cross.name: HashedCrossing(cross.crossing_dim, name=cross.name)
            for cross in self.crosses
        }
        self.one_hot_encoders: dict[str, CategoryEncoding] = {}
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, name: str, feature: Any) -> Feature:
        feature = _from_serialized(feature, Feature)
        if isinstance(feature, Feature):
            return feature
        recipes = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                name=name, num_bins=self.num_discretization_bins
            ),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(feature, str) or feature not in recipes:
            raise ValueError(
                f"FeatureSpace feature {name!r} must be a Feature or one of "
                f"{sorted(recipes)}, received: {feature!r}."
            )
        return recipes[feature]()

    # -- adapting -----------------------------------------------------------------
    def _adaptable(self) -> list[str]:
        names = []
        for key in self.features:
            layer = self.preprocessors[key]
            if isinstance(layer, Normalization) and layer.input_mean is not None:
                continue
            if (
                isinstance(layer, (StringLookup, IntegerLookup))
                and layer._has_input_vocabulary
            ):
                continue
            if (
                isinstance(layer, TextVectorization)
                and layer._lookup_layer._has_input_vocabulary
            ):
                continue
            if isinstance(layer, Discretization) and layer.num_bins is None:
                continue
            if callable(getattr(layer, "adapt", None)):
                names.append(key)
        return names

    def adapt(self, dataset: Any) -> None:
        """Learns each preprocessor's state from the data.

        Args:
            dataset: a dict from feature name to values (arrays, lists,
                tensors), or an iterable of such dicts (batches).
        """
        if isinstance(dataset, dict):
            columns = {key: [dataset[key]] for key in dataset}
        elif isinstance(dataset, Iterable) and not isinstance(dataset, (str, bytes)):
            columns = {}
            for batch in dataset:
                if not isinstance(batch, dict):
                    raise ValueError(
                        "FeatureSpace.adapt expects batches that are dicts of "
                        f"features, received a {type(batch).__name__}."
                    )
                for key, value in batch.items():
                    columns.setdefault(key, []).append(value)
        else:
            raise ValueError(
                "FeatureSpace.adapt expects a dict of arrays/lists or an iterable "
                f"of such dicts, received: {type(dataset).__name__}."
            )
        for key in self._adaptable():
            if key not in columns:
                raise ValueError(
                    f"FeatureSpace.adapt needs data for feature {key!r}; received "
                    f"features {sorted(columns)}."
                )
            parts = [np.asarray(_as_array(v)) for v in columns[key]]
            data = np.concatenate(
                [p.reshape(-1, 1) if p.ndim <= 1 else p for p in parts]
            )
            if self.features[key].dtype.startswith("float"):
                data = data.astype("float32")
            self.preprocessors[key].adapt(data)
        self._is_adapted = True
        self._build_encoders()

    def _check_if_adapted(self) -> None:
        if not self._is_adapted:
            if self._adaptable():
                raise ValueError(
                    f'FeatureSpace "{self.name}" must be adapted first: call '
                    "`.adapt(data)` before using it."
                )
            self._is_adapted = True

    def _build_encoders(self) -> None:
        """Creates the one-hot encoders once every preprocessor knows its size."""
        specs: list[tuple[str, Any, Any]] = [
            (key, self.features[key], self.preprocessors[key])
            for key in sorted(self.features)
        ] + [
            (key, self.crosses_by_name[key], self.crossers[key])
            for key in sorted(self.crossers)
        ]
        encoders = {}
        for key, spec, layer in specs:
            if spec.output_mode == "one_hot":
                encoders[key] = CategoryEncoding(
                    num_tokens=self._cardinality(key, layer), output_mode="multi_hot"
                )
            elif spec.output_mode == "int" and self.output_mode == "concat":
                raise ValueError(
                    f"FeatureSpace cannot concatenate feature {key!r}: it has "
                    "output_mode='int' (not encoded). Use output_mode='dict' for "
                    "the FeatureSpace, or encode the feature."
                )
        self.one_hot_encoders = encoders
        self._sublayers_built = True
        self.built = True

    @staticmethod
    def _cardinality(key: str, layer: Any) -> int:
        if isinstance(layer, (IntegerLookup, StringLookup)):
            return layer.vocabulary_size()
        if isinstance(layer, CategoryEncoding):
            return int(layer.num_tokens)
        if isinstance(layer, Discretization):
            if layer.num_bins is not None:
                return int(layer.num_bins)
            return len(layer.bin_boundaries or []) + 1
        if isinstance(layer, (Hashing, HashedCrossing)):
            return layer.num_bins
        raise ValueError(
            f"FeatureSpace feature {key!r} has output_mode='one_hot', but the size "
            f"of its preprocessor's ({type(layer).__name__}) output space is not "
            "known, so it cannot be one-hot encoded; use output_mode='int'."
        )

    def _check_if_built(self) -> None:
        if not self._sublayers_built:
            self._check_if_adapted()
            self._build_encoders()

    # -- encoding -------------------------------------------------------------------
    def _output_dims(self) -> dict[str, tuple[int, str]]:
        dims: dict[str, tuple[int, str]] = {}
        specs: dict[str, Any] = {**self.features, **self.crosses_by_name}
        for key in [*sorted(self.features), *sorted(self.crossers)]:
            encoder = self.one_hot_encoders.get(key)
            if encoder is not None:
                dims[key] = (int(encoder.num_tokens), "float32")
            elif specs[key].output_mode == "int":
                dims[key] = (1, "int64")
            else:
                dims[key] = (1, "float32")
        return dims

    def get_encoded_features(self) -> Any:
        """Symbolic tensors shaped like the encoded features, to build a model on.

        As Keras's, they are what a model taking the encoded data starts from:
        `Model(inputs=fs.get_encoded_features(), outputs=...)`.
        """
        self._check_if_built()
        dims = self._output_dims()
        if self.output_mode == "concat":
            total = sum(d for d, _ in dims.values())
            return Input(shape=(total,), name=f"{self.name}_encoded")
        return {
            key: Input(shape=(d,), dtype=dtype, name=key)
            for key, (d, dtype) in dims.items()
        }

    def get_inputs(self) -> dict[str, KerasTensor]:
        """Symbolic inputs of the raw features (numeric features only)."""
        self._check_if_built()
        strings = [key for key, f in self.features.items() if f.dtype == "string"]
        if strings:
            raise NotImplementedError(
                f"FeatureSpace features {strings} are strings, which have no "
                "symbolic input in cornu; call the FeatureSpace on the data (e.g. "
                "in the input pipeline) and build the model on "
                "`get_encoded_features()`."
            )
        return {
            key: Input(shape=(1,), dtype=f.dtype, name=key)
            for key, f in self.features.items()
        }

    def __call__(self, data: Any, *args: Any, **kwargs: Any) -> Any:
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                f'FeatureSpace "{self.name}" must be called on a dict of features, '
                f"received: {type(data).__name__}."
            )
        missing = [key for key in self.features if key not in data]
        if missing:
            raise ValueError(
                f'FeatureSpace "{self.name}" expects features {sorted(self.features)}; '
                f"the data lacks {missing}."
            )
        columns = {}
        rebatched = False
        for key, feature in self.features.items():
            column = _column(data[key], feature.dtype)
            if column.ndim == 0:
                column, rebatched = column.reshape(1, 1), True
            elif column.ndim == 1:
                column = column.reshape(-1, 1)
            columns[key] = column
        preprocessed = {
            key: self.preprocessors[key](columns[key]) for key in self.features
        }
        crossed = {
            cross.name: self.crossers[cross.name](
                [preprocessed[key] for key in cross.feature_names]
            )
            for cross in self.crosses
        }
        merged = self._merge({**preprocessed, **crossed})
        if rebatched:
            if isinstance(merged, dict):
                return {
                    k: v.squeeze(0) if v.dim() == 2 and v.shape[0] == 1 else v
                    for k, v in merged.items()
                }
            return merged.squeeze(0)
        return merged

    def _merge(self, outputs: dict[str, Any]) -> Any:
        encoded = {}
        for key in [*sorted(self.features), *sorted(self.crossers)]:
            value = outputs[key]
            encoder = self.one_hot_encoders.get(key)
            encoded[key] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        return torch.cat([v.to(torch.float32) for v in encoded.values()], dim=-1)

    def call(self, data: Any) -> Any:
        return self(data)

    # -- saving -----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {
            "features": serialization.serialize_keras_object(self.features),
            "output_mode": self.output_mode,
            "crosses": serialization.serialize_keras_object(self.crosses),
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FeatureSpace:
        return cls(**config)

    def get_build_config(self) -> dict[str, Any]:
        return {key: _build_config(f.preprocessor) for key, f in self.features.items()}

    def build_from_config(self, config: dict[str, Any]) -> None:
        for key, build_config in config.items():
            layer = self.features[key].preprocessor
            if build_config and not layer.built:
                layer.build_from_config(build_config)
        self._is_adapted = True

    def save(self, filepath: Any) -> None:
        """Saves the feature space as a `.keras` file (`keras.saving.load_model` reads it)."""
        from cornu.saving.saving_api import save_model

        save_model(self, filepath)

    def save_own_variables(self, store: dict[str, Any]) -> None:
        return

    def load_own_variables(self, store: Any) -> None:
        # The preprocessors (sublayers) hold the state, loaded after this.
        self._is_adapted = True
        self._sublayers_built = False


def _as_array(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return value


def _build_config(layer: Any) -> Any:
    """A preprocessor's build config, if it records a real shape.

    (A layer first called on a list of strings has no shape to record.)
    """
    config = layer.get_build_config()
    shape = (config or {}).get("input_shape")
    if shape is not None and not (
        isinstance(shape, (list, tuple))
        and all(
            d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in shape
        )
    ):
        return None
    return config

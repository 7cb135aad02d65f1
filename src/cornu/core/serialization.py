"""Keras's object serialization schema, and the registry of known classes.

An object serializes to `{"module", "class_name", "config", "registered_name"}`
(plus `"build_config"` for built layers). Deserialization looks the class up
by name: in the caller's `custom_objects`, then among registered objects,
then in cornu's own public namespaces. It never imports a module named by
the data and never evaluates code.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
_SCOPE = threading.local()

# Keras's public module names, and the cornu namespace that answers for each.
_PUBLIC_MODULES = {
    "keras": "cornu",
    "keras.layers": "cornu.layers",
    "keras.models": "cornu.models",
    "keras.activations": "cornu.activations",
    "keras.initializers": "cornu.initializers",
    "keras.regularizers": "cornu.regularizers",
    "keras.constraints": "cornu.constraints",
    "keras.losses": "cornu.losses",
    "keras.metrics": "cornu.metrics",
    "keras.optimizers": "cornu.optimizers",
    "keras.optimizers.schedules": "cornu.optimizers.schedules",
    "keras.callbacks": "cornu.callbacks",
    "keras.random": "cornu.random",
    "keras.utils": "cornu.utils",
    "keras.src.models.functional": "cornu.models",
    "keras.src.models.sequential": "cornu.models",
    "keras.src.models.model": "cornu.models",
    "keras.src.ops.numpy": "cornu.ops",
    "keras.ops": "cornu.ops",
}


def register_keras_serializable(
    package: str = "Custom", name: str | None = None
) -> Callable[[Any], Any]:
    """Registers a class or function under `"package>name"` for loading.

    Example:
    >>> @register_keras_serializable(package="demo")
    ... def double(x):
    ...     return x * 2
    >>> get_registered_name(double)
    'demo>double'
    """

    def decorator(arg: Any) -> Any:
        key = f"{package}>{name or arg.__name__}"
        if isinstance(arg, type) and not hasattr(arg, "get_config"):
            raise ValueError(
                f"Cannot register {arg.__name__}: a registered class must "
                "define `get_config()`."
            )
        _GLOBAL_CUSTOM_OBJECTS[key] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = key
        return arg

    return decorator


def get_registered_name(obj: Any) -> str:
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", type(obj).__name__))


def get_registered_object(
    name: str, custom_objects: dict[str, Any] | None = None, module_objects: Any = None
) -> Any:
    """The class or function registered (or passed) under `name`, or None."""
    for source in (_scope_objects(), _GLOBAL_CUSTOM_OBJECTS, custom_objects or {}):
        if name in source:
            return source[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects() -> dict[str, Any]:
    """The global dict of registered objects (mutable, as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


def _scope_objects() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for objs in getattr(_SCOPE, "stack", []):
        merged.update(objs)
    return merged


class CustomObjectScope:
    """Makes `custom_objects` visible to deserialization inside a `with` block."""

    def __init__(self, *custom_objects: dict[str, Any]) -> None:
        self._objects: dict[str, Any] = {}
        for objs in custom_objects:
            self._objects.update(objs or {})

    def __enter__(self) -> CustomObjectScope:
        if not hasattr(_SCOPE, "stack"):
            _SCOPE.stack = []
        _SCOPE.stack.append(self._objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _SCOPE.stack.pop()


custom_object_scope = CustomObjectScope


@contextlib.contextmanager
def safe_mode_scope(value: bool | None) -> Iterator[None]:
    previous = getattr(_SCOPE, "safe_mode", None)
    if value is not None:
        _SCOPE.safe_mode = value
    try:
        yield
    finally:
        _SCOPE.safe_mode = previous


# Set by `keras.config.enable_unsafe_deserialization()`: as in Keras, it
# turns safe mode off everywhere, overriding `safe_mode=True` arguments.
UNSAFE_DESERIALIZATION = False


def in_safe_mode() -> bool:
    if UNSAFE_DESERIALIZATION:
        return False
    value = getattr(_SCOPE, "safe_mode", None)
    return True if value is None else bool(value)


# Classes that Keras does not export where cornu's layout would put them:
# Keras names these modules in its files, and only these load there.
_KERAS_MODULES_OF_CLASSES = {
    "cornu.models.functional.Functional": "keras.src.models.functional",
    "cornu.models.sequential.Sequential": "keras",
}


def public_module(cls: type) -> str:
    """Keras's module name for a cornu class (`cornu.layers.core.dense` -> `keras.layers`)."""
    explicit = cls.__dict__.get("_keras_module")
    if explicit:
        return explicit
    known = _KERAS_MODULES_OF_CLASSES.get(f"{cls.__module__}.{cls.__qualname__}")
    if known:
        return known
    parts = cls.__module__.split(".")
    if parts[0] != "cornu":
        return cls.__module__
    if parts[1:3] == ["optimizers", "schedules"]:
        return "keras.optimizers.schedules"
    return "keras." + parts[1] if len(parts) > 1 else "keras"


def serialize_keras_object(obj: Any) -> Any:
    """Returns `obj` in Keras's JSON-ready serialization schema."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.generic,)):
        return obj.item()
    if isinstance(obj, torch.dtype):
        from cornu import config

        return config.standardize_dtype(obj)
    if isinstance(obj, (np.ndarray, torch.Tensor)):
        is_tensor = isinstance(obj, torch.Tensor)
        arr = obj.detach().cpu().numpy() if isinstance(obj, torch.Tensor) else obj
        return {
            # Keras names backend tensors `__tensor__`, numpy arrays `__numpy__`.
            "class_name": "__tensor__" if is_tensor else "__numpy__",
            "config": {"value": arr.tolist(), "dtype": str(arr.dtype)},
        }
    if isinstance(obj, tuple):
        return {
            "class_name": "__tuple__",
            "config": {"value": [serialize_keras_object(v) for v in obj]},
        }
    if isinstance(obj, list):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if isinstance(obj, type):
        raise TypeError(f"Cannot serialize the class {obj.__name__}; pass an instance.")
    if getattr(obj, "__name__", None) == "<lambda>" and hasattr(obj, "__code__"):
        return _dump_lambda(obj)
    if callable(obj) and not hasattr(obj, "get_config"):
        name = _GLOBAL_CUSTOM_NAMES.get(obj)
        return {
            "module": getattr(obj, "__module__", None),
            "class_name": "function",
            "config": name or obj.__name__,
            "registered_name": name or obj.__name__,
        }
    cls = type(obj)
    keras_module = getattr(obj, "keras_module", None)
    if isinstance(keras_module, str):  # a recorded cornu.ops operation
        return {
            "module": keras_module,
            "class_name": obj.class_name,
            "config": _serialize_config(obj.get_config()),
            "registered_name": None,
        }
    registered = _GLOBAL_CUSTOM_NAMES.get(cls)
    out: dict[str, Any] = {
        "module": None if registered else public_module(cls),
        "class_name": cls.__dict__.get("_keras_class_name", cls.__name__),
        "config": _serialize_config(obj.get_config()),
        "registered_name": registered,
    }
    build = getattr(obj, "get_build_config", None)
    if build is not None:
        build_config = build()
        if build_config is not None:
            out["build_config"] = _serialize_config(build_config)
    compile_config = _compile_config(obj)
    if compile_config:
        out["compile_config"] = _serialize_config(compile_config)
    return out


def _compile_config(obj: Any) -> dict[str, Any] | None:
    get = getattr(obj, "get_compile_config", None)
    if get is None or not getattr(obj, "compiled", False):
        return None
    return get() or None


def _serialize_config(config: dict[str, Any]) -> dict[str, Any]:
    return {k: _config_value(v) for k, v in config.items()}


def _config_value(v: Any) -> Any:
    if isinstance(v, tuple):
        return [_config_value(x) for x in v]
    if isinstance(v, list):
        return [_config_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _config_value(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return serialize_keras_object(v)


def _lookup(
    class_name: str,
    module: str | None,
    registered_name: str | None,
    custom_objects: dict[str, Any] | None,
) -> Any:
    for name in (registered_name, class_name):
        if name:
            found = get_registered_object(name, custom_objects)
            if found is not None:
                return found
    candidates = []
    if module in _PUBLIC_MODULES:
        candidates.append(_PUBLIC_MODULES[module])
    elif (
        module is not None
        and module.startswith("keras.src.backend.")
        and (".optimizers" in module)
    ):
        # Keras writes its backend-specific optimizer classes' modules
        # (e.g. `keras.src.backend.torch.optimizers.torch_adam`).
        candidates.append("cornu.optimizers")
    elif module is not None and module.startswith("keras.src."):
        # Keras writes private module paths for some classes; answer from the
        # matching public cornu namespace (never by importing the name given).
        family = module.split(".")[2]
        target = f"cornu.{family}"
        if target in _PUBLIC_MODULES.values():
            candidates.append(target)
    candidates += ["cornu.layers", "cornu.models"]
    if not class_name.isidentifier() or class_name.startswith("_"):
        # Only public names of cornu's namespaces: never `__builtins__`,
        # `__loader__` or other module internals a file could name.
        return None
    for mod_name in candidates:
        mod = importlib.import_module(mod_name)
        obj = getattr(mod, class_name, None)
        if obj is not None and _is_cornu_object(obj):
            return obj
    return None


def _is_cornu_object(obj: Any) -> bool:
    # A name in a cornu namespace may be a re-exported module or third-party
    # function (e.g. `torch`); only cornu's own classes and functions answer.
    if not (isinstance(obj, type) or callable(obj)) or isinstance(obj, type(importlib)):
        return False
    return str(getattr(obj, "__module__", "") or "").split(".")[0] == "cornu"


def deserialize_keras_object(
    config: Any,
    custom_objects: dict[str, Any] | None = None,
    safe_mode: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Rebuilds an object from Keras's serialization schema.

    Classes are found by name among `custom_objects`, registered objects and
    cornu's own namespaces; nothing named in `config` is imported or run.
    `safe_mode=None` (the default) follows the enclosing `load_model` call
    (safe unless it passed `safe_mode=False`), as in Keras.
    """
    if safe_mode is None:
        safe_mode = in_safe_mode()
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = _lookup(config, None, None, custom_objects)
        if found is None:
            raise ValueError(f"Unknown object name: {config!r}.")
        return found
    if isinstance(config, list):
        return [deserialize_keras_object(c, custom_objects, safe_mode) for c in config]
    if not isinstance(config, dict):
        raise TypeError(f"Cannot deserialize {type(config).__name__}: {config!r}.")
    if "class_name" not in config:
        return {
            k: deserialize_keras_object(v, custom_objects, safe_mode)
            if isinstance(v, dict) and "class_name" in v
            else v
            for k, v in config.items()
        }
    class_name = config["class_name"]
    inner = config.get("config", {})
    if class_name == "__tuple__":
        return tuple(
            deserialize_keras_object(v, custom_objects, safe_mode)
            for v in inner["value"]
        )
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner["dtype"])
    if class_name == "__tensor__":
        from cornu import config as cornu_config

        return torch.tensor(
            inner["value"], dtype=cornu_config.torch_dtype(inner["dtype"])
        ).to(cornu_config.device())
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Refusing to deserialize a Python lambda stored in the file: it "
                "would run code from the file. Pass `safe_mode=False` to "
                "`load_model` if you trust its source."
            )
        return _load_lambda(inner)
    if class_name == "function":
        fn = _lookup(
            inner if isinstance(inner, str) else class_name,
            config.get("module"),
            config.get("registered_name"),
            custom_objects,
        )
        if fn is None:
            raise ValueError(
                f"Unknown function {inner!r}: register it with "
                "`register_keras_serializable` or pass it in `custom_objects`."
            )
        return fn
    module = config.get("module") or ""
    if module.startswith("keras.src.ops") or module == "keras.ops":
        from cornu import ops  # noqa: F401  (registers the operations)
        from cornu.core.operation import operation_from_config

        return operation_from_config(
            class_name, _deserialize_inner(inner, custom_objects, safe_mode)
        )
    cls = _lookup(
        class_name, config.get("module"), config.get("registered_name"), custom_objects
    )
    if cls is None:
        raise ValueError(
            f"Unknown class {class_name!r} (module {config.get('module')!r}): "
            "register it with `register_keras_serializable` or pass it in "
            "`custom_objects`."
        )
    with safe_mode_scope(safe_mode), CustomObjectScope(custom_objects or {}):
        if hasattr(cls, "from_config"):
            obj = cls.from_config(_deserialize_inner(inner, custom_objects, safe_mode))
        else:
            obj = cls(**inner)
        build_config = config.get("build_config")
        if build_config and hasattr(obj, "build_from_config"):
            obj.build_from_config(build_config)
        compile_config = config.get("compile_config")
        if compile_config and hasattr(obj, "compile_from_config"):
            obj.compile_from_config(compile_config)
    return obj


def _dump_lambda(fn: Any) -> dict[str, Any]:
    """Keras's `__lambda__` form: base64 bytecode, defaults, closure values.

    Writing it is harmless; loading it runs code, so safe mode refuses it.
    """
    import base64
    import marshal

    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = fn.__closure__
    cells = tuple(c.cell_contents for c in closure) if closure else None
    return {
        "class_name": "__lambda__",
        "config": {"value": [code, fn.__defaults__, cells]},
    }


def _load_lambda(inner: Any) -> Any:
    """Rebuilds a Python lambda that Keras stored as marshalled bytecode.

    Only reached with `safe_mode=False`: this runs code from the file.
    """
    import base64
    import builtins
    import marshal
    import types

    value = inner.get("value") if isinstance(inner, dict) else inner
    if isinstance(value, (list, tuple)):
        code, defaults, closure = value
    else:
        code, defaults, closure = value, None, None
    raw = base64.b64decode(code.encode("ascii"))
    fn_code = marshal.loads(raw)  # noqa: S302 - explicitly requested by safe_mode=False
    import cornu

    globs = {"__builtins__": builtins, "keras": cornu, "ops": cornu.ops}
    cells = None
    if closure is not None:
        cells = tuple(types.CellType(v) for v in closure)
    return types.FunctionType(
        fn_code,
        globs,
        name=fn_code.co_name,
        argdefs=tuple(defaults) if defaults is not None else None,
        closure=cells,
    )


_KERAS_ONLY_DEFAULT_KEYS = frozenset({"quantization_config"})


def _deserialize_inner(inner: Any, custom_objects: Any, safe_mode: bool) -> Any:
    if not isinstance(inner, dict):
        return inner
    out = {}
    for k, v in inner.items():
        if k in _KERAS_ONLY_DEFAULT_KEYS and v is None:
            # Keras writes these (null) for features cornu does not have;
            # a null value means "off", which is cornu's behaviour anyway.
            continue
        if isinstance(v, dict) and v.get("class_name") in (
            "__tuple__",
            "__numpy__",
            "__tensor__",
        ):
            out[k] = deserialize_keras_object(v, custom_objects, safe_mode)
        else:
            out[k] = v
    return out

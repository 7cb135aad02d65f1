"""The errors raised when a file cannot be trusted or does not fit the model."""

from __future__ import annotations


class InvalidFileError(ValueError):
    """A model or weights file is malformed, truncated, unsafe or does not fit.

    It is a `ValueError`, so code written for Keras (which raises
    `ValueError`) catches it unchanged. Nothing is loaded when it is raised:
    a model being loaded is discarded and the weights of an existing model
    keep their values.

    Example:
    >>> try:
    ...     raise InvalidFileError("bad file")
    ... except ValueError as e:
    ...     print(e)
    bad file
    """

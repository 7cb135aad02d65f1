"""Interactive logging: whether Keras messages go to stdout or to `logging`."""

from __future__ import annotations

import logging
import sys

_INTERACTIVE_LOGGING = True


def enable_interactive_logging() -> None:
    """Sends Keras's messages (progress bars, "Found N files...") to stdout.

    Example:

    >>> enable_interactive_logging()
    >>> is_interactive_logging_enabled()
    True
    """
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = True


def disable_interactive_logging() -> None:
    """Sends Keras's messages to the `logging` module instead of stdout.

    Example:

    >>> disable_interactive_logging()
    >>> is_interactive_logging_enabled()
    False
    >>> enable_interactive_logging()
    """
    global _INTERACTIVE_LOGGING
    _INTERACTIVE_LOGGING = False


def is_interactive_logging_enabled() -> bool:
    """Returns whether messages are written to stdout (`True` by default).

    Returns:
        `True` when interactive logging is enabled.

    Example:

    >>> is_interactive_logging_enabled()
    True
    """
    return _INTERACTIVE_LOGGING


def print_msg(message: str, line_break: bool = True) -> None:
    """Prints `message` to stdout, or logs it when interactive logging is off.

    Args:
        message: the text.
        line_break: whether to end the line.
    """
    if _INTERACTIVE_LOGGING:
        sys.stdout.write(message + "\n" if line_break else message)
        sys.stdout.flush()
    else:
        logging.getLogger("cornu").info(message)

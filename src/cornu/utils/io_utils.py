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

    Progress bars, callbacks and the dataset helpers print through this, so
    `disable_interactive_logging()` moves all of them to the `logging`
    module (logger `"cornu"`, level INFO), as Keras does.

    Args:
        message: the text (converted with `str`).
        line_break: whether to end the line.

    Example:

    >>> print_msg("hello")
    hello
    """
    message = str(message)
    if not _INTERACTIVE_LOGGING:
        logging.getLogger("cornu").info(message)
        return
    if line_break:
        message += "\n"
    stream = sys.stdout
    try:
        stream.write(message)
    except UnicodeEncodeError:
        # A non-UTF-8 console: drop what its encoding cannot show.
        encoding = getattr(stream, "encoding", None) or "utf-8"
        stream.write(message.encode(encoding, errors="ignore").decode(encoding))
    stream.flush()

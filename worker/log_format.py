"""One log format for every dockwatch process, at the level ``DOCKWATCH_LOG_LEVEL`` gives.

Every line is ``2026-12-07T08:22:50Z LEVEL logger: message`` (UTC, like every instant dockwatch
prints), on stderr: the command line, the Celery worker and beat, the relay, the webhook
delivery and the mirror alike, so ``dockwatch run``'s children read as one log. A message's own
line breaks become spaces; an exception's traceback follows its line, as usual.

Libraries that narrate their routine at INFO (Celery's "Task … received/succeeded", beat's
"Sending due task", Alembic's "Context impl", uvicorn's start-up and access lines, httpx's one
line per request) are held to WARNING unless the level is DEBUG: at INFO the log is
dockwatch's own lines, each cycle's outcome among them. Python warnings (Celery's warning about
running as root, for one) become one log line each.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import warnings
from typing import Protocol, TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# A line in this format (what ``dockwatch run`` passes through unchanged).
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING|ERROR|CRITICAL) \S+: ")
# Loggers whose INFO lines are routine: held to WARNING unless the level is DEBUG.
ROUTINE = ("alembic", "amqp", "celery", "httpcore", "httpx", "kombu", "uvicorn")
# Even at DEBUG, httpcore's per-socket-operation lines would bury everything else.
CHATTY = ("httpcore",)


class Sink(Protocol):
    """Where a handler writes: a text stream, or anything with ``write`` and ``flush``."""

    def write(self, text: str, /) -> int:
        """Write ``text``."""
        ...

    def flush(self) -> None:
        """Flush what was written."""
        ...


class OneLineFormatter(logging.Formatter):
    """The format above; the message's line breaks become spaces (the traceback keeps its own)."""

    def __init__(self) -> None:
        super().__init__(FORMAT, DATE_FORMAT)
        self.converter = time.gmtime

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's line, its message on one line."""
        record.message = " ".join(record.message.split())
        return super().formatMessage(record)


def format_line(level: str, name: str, message: str) -> str:
    """A line in the format for ``message`` from ``name`` (for text that did not come through
    logging, such as a child's stray output)."""
    stamp = time.strftime(DATE_FORMAT, time.gmtime())
    return f"{stamp} {level} {name}: {' '.join(message.split())}"


def _warning_as_log_line(
    message: Warning | str,
    category: type[Warning],
    filename: str,  # warnings.showwarning's signature
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    text = " ".join(f"{category.__name__}: {message}".split())
    if not logging.getLogger().handlers:  # before ``configure``: still in the format
        sys.stderr.write(format_line("WARNING", "py.warnings", text) + "\n")
        return
    logging.getLogger("py.warnings").warning("%s", text)


def capture_warnings() -> None:
    """Python warnings become one line each in the format (even before ``configure``)."""
    warnings.showwarning = _warning_as_log_line


_installed: list[logging.Handler] = []


def configure(level: str, *, stream: Sink | None = None) -> None:
    """Send every record at ``level`` (one of ``LEVELS``) or above to ``stream`` (stderr) in
    the format. Calling it again replaces the handler it installed (other handlers, such as a
    test's log capture, stay), so a later call changes the level or the stream."""
    handler: logging.StreamHandler[Sink] = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter())
    root = logging.getLogger()
    while _installed:
        root.removeHandler(_installed.pop())
    root.addHandler(handler)
    _installed.append(handler)
    root.setLevel(level)
    routine = logging.NOTSET if level == "DEBUG" else max(logging.WARNING, root.level)
    for name in ROUTINE:
        logging.getLogger(name).setLevel(routine)
    for name in CHATTY:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    capture_warnings()

"""The one writer of ``dockwatch run``'s stderr: every process's log lines, and a status line.

The supervisor's children write into pipes it reads (``ChildOutput``), so their lines and its
own reach the terminal through one lock, whole, in one format: a child's line already in
``worker.log_format``'s format passes unchanged; anything else it prints (a traceback before its
logging is set up, a library's ``print``) is put into the format under the child's name. On a
terminal, ``status`` keeps one redrawn line (the first fill's progress bar) below the log: each
log line is written above it and the bar redrawn, so no log line ever breaks it.
"""

from __future__ import annotations

import logging
import shutil
import threading
from typing import IO, TextIO

from worker.log_format import LINE, format_line

CLEAR_LINE = "\r\033[K"


class Console:
    """Whole lines on ``stream``, with one status line kept at the bottom on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._lock = threading.Lock()
        self._status: str | None = None

    def line(self, text: str) -> None:
        """Write one line (above the status line, which is redrawn after it)."""
        with self._lock:
            if self._status is not None:
                self.stream.write(CLEAR_LINE)
            self.stream.write(text + "\n")
            if self._status is not None:
                self.stream.write(self._status + "\033[K")
            self.stream.flush()

    def status(self, text: str, *, final: bool = False) -> None:
        """Show ``text`` as the status line (terminals only); ``final`` leaves it in the log as
        an ordinary line and ends the status line. A line wider than the terminal is cut: a
        wrapped one could not be redrawn in place."""
        text = text[: max(20, shutil.get_terminal_size().columns - 1)]
        with self._lock:
            self.stream.write("\r" + text + "\033[K" + ("\n" if final else ""))
            self._status = None if final else text
            self.stream.flush()


class ConsoleWriter:
    """A text stream for a ``logging.StreamHandler`` that hands each whole line to a console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._partial = ""

    def write(self, text: str) -> int:
        """Buffer ``text``; pass every completed line on."""
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self.console.line(line)
        return len(text)

    def flush(self) -> None:
        """Nothing to do: whole lines are written at once."""

    def isatty(self) -> bool:
        """Whether the console is a terminal."""
        return self.console.tty


class ChildOutput(threading.Thread):
    """Reads a child's combined stdout and stderr until it closes; each line to the console.

    Lines outside the format are given it under the child's name: ERROR for a traceback (its
    header, indented lines and the exception line after them), INFO otherwise; INFO lines are
    dropped when the job logs warnings only.
    """

    def __init__(self, name: str, pipe: IO[bytes], console: Console) -> None:
        super().__init__(name=f"output-{name}", daemon=True)
        self.child = name
        self.pipe = pipe
        self.console = console
        self._traceback = False
        self._quoted = False  # inside billiard's quoted traceback

    def run(self) -> None:
        """Copy lines until end of file."""
        with self.pipe:
            for raw in self.pipe:
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                shown = self.shown(text)
                if shown is not None:
                    self.console.line(shown)

    def shown(self, text: str) -> str | None:
        """What the console shows for one line of the child's output (None: nothing)."""
        if LINE.match(text):
            self._traceback = self._quoted = False
            return text
        if not text.strip():
            return None
        if text.strip() == '"""' and (self._traceback or self._quoted):
            # billiard quotes the pool process's own traceback after its exception line.
            self._quoted = not self._quoted
            self._traceback = self._quoted
            return format_line("ERROR", self.child, text)
        if self._quoted:
            return format_line("ERROR", self.child, text)
        if text.startswith("Traceback (most recent call last)"):
            self._traceback = True
        elif self._traceback and not text[:1].isspace():
            # The exception's own line ends the traceback, unless its message follows (":").
            self._traceback = text.rstrip().endswith(":")
            return format_line("ERROR", self.child, text)
        if self._traceback:
            return format_line("ERROR", self.child, text)
        if logging.getLogger().getEffectiveLevel() > logging.INFO:
            return None
        return format_line("INFO", self.child, text)

"""How the command line fails: one line on stderr naming the problem and its fix, an exit code.

Exit codes: 0 done, 1 failed (upstream, Redis or the database unusable), 2 a bad setting or
usage, 3 ``status`` of stale data, 75 (``EX_TEMPFAIL`` of sysexits.h) ``sync`` stopped early by
the budget, a 429 or the unreachable back-off: a later run resumes where it stopped. Messages
never carry a password or the API token.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click
import redis
from sqlalchemy.exc import SQLAlchemyError

from models.support.redact import redact_text
from settings import Settings, SettingsError, get_settings, load_settings
from worker.bootstrap import ServiceError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_STALE = 3
EXIT_TEMPFAIL = 75


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print one line on stderr and exit with ``code``."""
    click.echo(f"dockwatch: {message}", err=True)
    sys.exit(code)


def settings_or_exit() -> Settings:
    """The process's settings (read once); a bad one ends the process with one line, exit 2.

    For processes started by another program than the command line (Celery's worker and beat),
    whose own error handling would print a traceback.
    """
    try:
        return get_settings()
    except SettingsError as error:
        fail(str(error), EXIT_CONFIG)


def one_line_errors(command: F) -> F:
    """Turn configuration and service errors into a single stderr line and an exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SettingsError as error:
            fail(str(error), EXIT_CONFIG)
        except ServiceError as error:
            fail(str(error))
        except SQLAlchemyError as error:
            # E.g. the database went away mid-command (connect_database checked it at the start).
            fail(f"database error: {reason(error)}. Check DOCKWATCH_DATABASE_URL.")
        except redis.RedisError as error:
            # E.g. Redis went away between the start-up PING and a later command.
            fail(f"Redis error: {reason(error)}. Check DOCKWATCH_REDIS_URL and redis-server.")
        return None

    return wrapper  # type: ignore[return-value]


def reason(error: Exception) -> str:
    """The error's first line (the driver's own message if wrapped), without any secret."""
    text = str(getattr(error, "orig", None) or error).strip()
    first = text.splitlines()[0].rstrip(".") if text else type(error).__name__
    return redact_text(first, _secrets())


def _secrets() -> list[str]:
    """The configured token and URL passwords, to blank out wherever a message quotes them."""
    try:
        return load_settings().secrets()
    except SettingsError:
        return []

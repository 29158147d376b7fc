"""How much the command line logs: ``DOCKWATCH_LOG_LEVEL``, ``--verbose`` and ``--quiet``.

Long-running commands (``run`` and its children, ``serve``, ``relay``, ``webhooks deliver``,
``subscribe``, ``demo``) log at ``DOCKWATCH_LOG_LEVEL`` (INFO by default); one-shot commands
(``sync``, ``status``, ``db upgrade``, ``webhooks add`` …) log warnings only unless the
variable is set, so their answer is not buried. ``-v/--verbose`` (DEBUG) and ``-q/--quiet``
(WARNING) override both, before the command (``dockwatch -v sync``) or after it
(``dockwatch run --verbose``). The format is ``worker.log_format``'s.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TypeVar

import click

from settings import (
    ONE_SHOT_LOG_LEVEL,
    SettingsError,
    load_settings,
    unknown_variables,
    variables_given,
)
from worker import log_format
from worker.redis_outage import SUPERVISOR_ENV

F = TypeVar("F", bound=Callable[..., object])

log = logging.getLogger("worker.cli")

# The commands that keep running in the foreground, by their path under ``dockwatch``.
SERVICES = ("run", "serve", "relay", "mqtt", "subscribe", "demo", "webhooks deliver")
VERBOSE, QUIET = "DEBUG", "WARNING"
# Where the group's flag waits for a subgroup that learns only later that it runs a service.
FLAG_KEY = "dockwatch.log_flag"


def settings_level(*, service: bool) -> str:
    """The level ``DOCKWATCH_LOG_LEVEL`` gives a (service or one-shot) command.

    A bad setting is the command's own one-line error later: here it means the default.
    """
    try:
        settings = load_settings()
    except SettingsError:
        return "INFO" if service else ONE_SHOT_LOG_LEVEL
    if service or "log_level" in settings.model_fields_set:
        return settings.log_level
    return ONE_SHOT_LOG_LEVEL


def configure(flag: str | None, *, service: bool) -> None:
    """Set the process's logging: ``flag`` (VERBOSE or QUIET) or else the settings' level."""
    log_format.configure(flag or settings_level(service=service))


def warn_unknown_variables() -> None:
    """Warn once per misspelled ``DOCKWATCH_*`` variable; ``dockwatch run``'s children leave
    it to their supervisor, which warned already."""
    if os.environ.get(SUPERVISOR_ENV):
        return
    for line in unknown_variables(variables_given()):
        log.warning("%s", line)


def flag_of(verbose: bool, quiet: bool) -> str | None:
    """The level the flags ask for (``--verbose`` wins over ``--quiet``), if any."""
    return VERBOSE if verbose else QUIET if quiet else None


def _reconfigure(service: bool) -> Callable[[click.Context, click.Parameter, bool], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if value:
            configure(VERBOSE if param.name == "verbose" else QUIET, service=service)

    return callback


def verbosity_options(*, service: bool) -> Callable[[F], F]:
    """``--verbose/-v`` and ``--quiet/-q`` on a command (they set the level when given)."""

    def decorate(command: F) -> F:
        quiet = click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_reconfigure(service),
            help="Warnings and errors only.",
        )
        verbose = click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_reconfigure(service),
            help="Debug logging (also Celery's, uvicorn's and httpx's routine lines).",
        )
        return verbose(quiet(command))

    return decorate

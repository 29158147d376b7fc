"""``dockwatch demo``: the offline demo.

The demo and its replay upstream live in the ``fake_upstream`` package, installed with dockwatch,
so the command works from an installed package as well as from a checkout. It passes its
arguments to ``fake_upstream.demo``, which parses them (``dockwatch demo --help`` lists them).
``make demo`` runs the same thing.
"""

from __future__ import annotations

import sys

import click


@click.command(
    "demo",
    add_help_option=False,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def demo_command(args: tuple[str, ...]) -> None:
    """The offline demo: a replay upstream, the main job, a docking and an undocking (--help)."""
    from fake_upstream.demo import main as run_demo  # loaded only when the demo runs

    sys.exit(run_demo(list(args)))

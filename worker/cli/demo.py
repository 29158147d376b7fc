"""``dockwatch demo``: the offline demo (``make demo`` runs it too).

The demo's run is ``worker.cli.offline_demo``; its replay upstream is the ``fake_upstream``
package, installed with dockwatch, so the command works from an installed package as well as
from a checkout. Both are imported only when the demo runs. The options are declared here,
once, like every other command's.
"""

from __future__ import annotations

import sys

import click

from worker.cli.listener import PORT


@click.command("demo")
@click.option("--port", default=8000, show_default=True, type=PORT, help="Mirror port.")
@click.option(
    "--events",
    default=650,
    show_default=True,
    type=click.IntRange(min=1),
    help="Historical events the replay upstream serves.",
)
@click.option(
    "--pause",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds before the docking and before the undocking.",
)
@click.option("--exit-when-done", is_flag=True, help="Stop after the undocking (for CI).")
@click.option("--key-prefix", help="Redis key prefix  [default: a new dockwatch-demo-*]")
@click.option("--stream", help="Notification stream  [default: <key prefix>:events]")
def demo_command(
    port: int,
    events: int,
    pause: float,
    exit_when_done: bool,
    key_prefix: str | None,
    stream: str | None,
) -> None:
    """The offline demo: a replay upstream, the main job, a docking and an undocking.

    Runs `dockwatch run` against a local replay of LL2 with a temporary SQLite database and Redis
    keys of its own, then docks a spacecraft at the ISS and undocks it. Ctrl-C ends it and
    removes its files and its Redis keys.
    """
    from worker.cli.offline_demo import DemoOptions
    from worker.cli.offline_demo import main as run_demo

    options = DemoOptions(port, events, pause, exit_when_done, key_prefix, stream)
    sys.exit(run_demo(options))

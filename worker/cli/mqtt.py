"""``dockwatch mqtt``: the MQTT / Home Assistant publisher alone (``run`` starts it when
``DOCKWATCH_MQTT_URL`` is set; compose runs it as a service).

It publishes retained state and discovery to the broker, then every notification, until SIGTERM
or SIGINT (see ``worker.notify.mqtt.publisher``). Unset ``DOCKWATCH_MQTT_URL``, a bad one or
credentials the broker refuses: one line naming it, exit 2.
"""

from __future__ import annotations

import click

from settings import load_settings
from worker.bootstrap import mqtt_process
from worker.cli.errors import one_line_errors
from worker.cli.signals import stop_on_signals
from worker.cli.verbosity import verbosity_options


@click.command()
@verbosity_options(service=True)
@one_line_errors
def mqtt() -> None:
    """Publish state, Home Assistant discovery and notifications to MQTT until stopped."""
    with mqtt_process(load_settings()) as publisher:
        publisher.run(stop_on_signals())

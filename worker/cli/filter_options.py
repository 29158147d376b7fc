"""The notification filter's options, ``--station``, ``--vehicle`` and ``--type``, defined once.

``dockwatch subscribe`` and ``dockwatch webhooks add``/``update`` take the same options with the
same meaning (``models.fleet.subscription.NotificationFilter``): each is repeatable, a value may
be a comma list, stations and vehicles are an id or a name (case-insensitive), and a type is one
of the notification types. The decorated command gets the tuples ``stations``, ``vehicles`` and
``types`` (empty when the option was not given).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from models.fleet.stream import NOTIFICATION_TYPES

F = TypeVar("F", bound=Callable[..., object])

STATION_OPTION = click.option(
    "--station",
    "stations",
    multiple=True,
    help="Only this space station's notifications (an id or a name; repeat for several).",
)
VEHICLE_OPTION = click.option(
    "--vehicle",
    "vehicles",
    multiple=True,
    help="Only this spacecraft's notifications (an id or a name; repeat for several).",
)
TYPE_OPTION = click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(NOTIFICATION_TYPES),
    help="Only notifications of this CloudEvent type (repeat for several).",
)


def filter_options(command: F) -> F:
    """``command`` with ``--station``, ``--vehicle`` and ``--type`` (in that order in --help)."""
    return STATION_OPTION(VEHICLE_OPTION(TYPE_OPTION(command)))

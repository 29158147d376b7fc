"""Fragments: serialized events whose two growing durations are brought current at serve time.

A serialized event depends on the data version, the event, the mode and the link style, and on
the serve time through its spacecraft's two durations only. A ``Fragment`` keeps the body and
what those durations are computed from, so a list page can reuse events serialized in earlier
seconds (see ``api_mirror.fragment_cache``).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from models.ll2.formats import current_duration
from models.ll2.graph import EventGraph
from models.ll2.render import JSONDict, LinkStyle, Mode, serialize_events


@dataclass(frozen=True, slots=True)
class Fragment:
    """A serialized event whose two durations are brought current by ``finish_fragment``.

    ``body`` is the event as serialized at some serve time; ``craft`` holds what its
    spacecraft's durations are computed from (None without a spacecraft). ``size`` estimates
    its bytes, for the fragment cache's bound.
    """

    body: JSONDict
    craft: tuple[int | None, int | None, dt.datetime | None, bool, bool] | None
    size: int


def make_fragments(
    graphs: list[EventGraph], *, mode: Mode, links: LinkStyle, now: dt.datetime
) -> list[Fragment]:
    """The events' fragments (their bodies as of ``now``)."""
    fragments = []
    for graph, body in zip(
        graphs, serialize_events(graphs, mode=mode, links=links, now=now), strict=True
    ):
        craft = graph.spacecraft
        inputs = (
            None
            if craft is None
            else (
                craft.time_in_space_seconds,
                craft.time_docked_seconds,
                craft.durations_fetched_at,
                bool(craft.in_space),
                graph.spacecraft_has_open_docking,
            )
        )
        fragments.append(Fragment(body, inputs, len(json.dumps(body))))
    return fragments


def finish_fragment(fragment: Fragment, now: dt.datetime) -> JSONDict:
    """The fragment's event as served at ``now`` (the fragment itself is left untouched)."""
    body = dict(fragment.body)
    if fragment.craft is None:
        return body
    in_space_seconds, docked_seconds, fetched_at, in_space, open_docking = fragment.craft
    flight = body["flight_vehicle"] = dict(body["flight_vehicle"])
    craft = flight["spacecraft"] = dict(flight["spacecraft"])
    craft["time_in_space"] = current_duration(in_space_seconds, fetched_at, in_space, now)
    craft["time_docked"] = current_duration(docked_seconds, fetched_at, open_docking, now)
    return body

"""A fake Launch Library 2 (2.2.0) docking-event upstream: server and generated data.

``FakeUpstream`` serves LL2's docking-event list and detail endpoints on 127.0.0.1 from plain
event dicts, with a scriptable clock, edits, queued faults and a request log; the test suite and
the benchmarks run the product against it. ``generate_history`` and ``make_event`` make the
events (two real recorded samples, shipped in ``samples/``, plus seeded generated history).
The offline demo (``dockwatch demo``, in the product) serves it too. Nothing here imports the
product, so the fake stays an independent reference for it.
"""

from fake_upstream.catalogue import LOCATIONS, STATIONS
from fake_upstream.data import DEFAULT_NOW, make_event, sample_100, sample_615
from fake_upstream.faults import Fault, FaultQueue
from fake_upstream.filtering import split_search_terms
from fake_upstream.history import generate_history
from fake_upstream.log import RequestLog, RequestRecord
from fake_upstream.serializers import Response, dumps, render_event
from fake_upstream.server import FakeUpstream, iter_pages
from fake_upstream.values import (
    Event,
    format_datetime,
    format_duration,
    parse_datetime,
    parse_duration,
)

__all__ = [
    "DEFAULT_NOW",
    "LOCATIONS",
    "STATIONS",
    "Event",
    "FakeUpstream",
    "Fault",
    "FaultQueue",
    "RequestLog",
    "RequestRecord",
    "Response",
    "dumps",
    "format_datetime",
    "format_duration",
    "generate_history",
    "iter_pages",
    "make_event",
    "parse_datetime",
    "parse_duration",
    "render_event",
    "sample_100",
    "sample_615",
    "split_search_terms",
]

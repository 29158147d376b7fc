"""How the fake answers: events in normal or detailed form, compact JSON, and ``Response``.

The detailed form is the stored event; the normal form drops ``space_station`` and trims the
spacecraft (and its config and agency) to their short forms. A ``?format=json`` request gets
that suffix on every ``url``. ``Response`` is one answer before it goes on the socket, with what
a fault made of it (a delay, a body sent in parts, a closed or reset connection, a body cut
short).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from fake_upstream.values import Event

if TYPE_CHECKING:
    from fake_upstream.faults import FaultKind

Route = Literal["list", "detail"]

NORMAL_SPACECRAFT_KEYS = (
    "id", "url", "name", "serial_number", "is_placeholder", "in_space", "time_in_space",
    "time_docked", "flights_count", "mission_ends_count", "status", "description",
)  # fmt: skip
NORMAL_CONFIG_KEYS = ("id", "url", "name", "type", "agency", "in_use", "image_url")
AGENCY_MINI_KEYS = ("id", "url", "name", "type")


def _suffixed(value: Any, suffix: str) -> Any:
    """A deep copy with ``suffix`` appended to every ``url`` string."""
    if isinstance(value, dict):
        return {
            k: v + suffix if k == "url" and isinstance(v, str) else _suffixed(v, suffix)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_suffixed(v, suffix) for v in value]
    return value


def _project(value: Any, keys: Iterable[str]) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: value[k] for k in keys if k in value}


def _normal_spacecraft(craft: Any) -> Any:
    if not isinstance(craft, dict):
        return craft
    out = _project(craft, (*NORMAL_SPACECRAFT_KEYS, "spacecraft_config"))
    config = out.get("spacecraft_config")
    if isinstance(config, dict):
        config = _project(config, NORMAL_CONFIG_KEYS)
        if "agency" in config:
            config["agency"] = _project(config["agency"], AGENCY_MINI_KEYS)
        out["spacecraft_config"] = config
    return out


def render_event(event: Event, *, detailed: bool, url: str, suffix: str = "") -> dict[str, Any]:
    """One event in normal or detailed form; ``url`` is its own link (suffix added here)."""
    out: dict[str, Any] = _suffixed(event, suffix)
    out["url"] = url + suffix
    if detailed:
        return out
    out.pop("space_station", None)
    flight = out.get("flight_vehicle")
    if isinstance(flight, dict) and "spacecraft" in flight:
        flight["spacecraft"] = _normal_spacecraft(flight["spacecraft"])
    return out


def dumps(body: Any) -> bytes:
    """Compact JSON as the framework writes it."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Response:
    """What to send back; ``action`` other than "send" misbehaves on the socket."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    parts: int = 1  # the body goes out in this many writes, ``interval`` seconds before each
    interval: float = 0.0
    action: Literal["send", "close", "reset", "partial"] = "send"
    route: Route | None = None
    fault: FaultKind | None = None


def json_response(status: int, body: Any, route: Route | None = None) -> Response:
    """A JSON answer; on a known route it also carries ``Vary: Accept`` and ``Allow: GET``."""
    headers = [("Content-Type", "application/json"), ("Vary", "Accept"), ("Allow", "GET")]
    return Response(status, dumps(body), headers if route else headers[:1], route=route)

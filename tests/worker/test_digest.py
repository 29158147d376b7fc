"""The payload digest is stored with every event: its bytes must not change between versions.

A different digest for the same payload would make every stored event look changed once, and
the next resync would rewrite them all. These values were computed by the first implementation
(``json.dumps(sort_keys=True, separators=(",", ":"), default=str)`` hashed with BLAKE2b-128).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.conftest import DATA_DIR
from worker.sync.durations import payload_digest

NOW = dt.datetime(2025, 4, 4, 5, 24, 14, tzinfo=dt.UTC)


def sample_615() -> dict[str, Any]:
    path = DATA_DIR / "ll-2.2.0_docking_event_615_detail_format-api.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_the_digest_of_a_real_event_is_the_one_stored_by_earlier_versions() -> None:
    assert payload_digest(sample_615(), NOW) == "857fde0581aabc68ebc305b6ecaa3867"


def test_the_digest_of_unusual_values_is_the_one_stored_by_earlier_versions() -> None:
    payload = sample_615()
    payload["flight_vehicle"]["spacecraft"]["name"] = "Sojuz \u2028 Крым \x01"
    payload["extra"] = [1.5, 1e16, None, True, {"b": 1, "a": 2}]

    assert payload_digest(payload, NOW) == "e75ba9b442778a1892f9d8bd1b26d7b8"

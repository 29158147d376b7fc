"""The payload digest is stored with every event: its bytes must not change between versions.

A different digest for the same payload would make every stored event look changed: each
resync would parse and compare them all again. Version 1's values were computed by the first
implementation (``json.dumps(sort_keys=True, separators=(",", ":"), default=str)`` hashed with
BLAKE2b-128); version 2's pin the form written from now on.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.store.tables import DockingEvent
from tests.conftest import DATA_DIR
from worker.sync.digest import legacy_payload_digest, payload_digest, stored_digest_matches
from worker.sync.store import apply_page

NOW = dt.datetime(2025, 4, 4, 5, 24, 14, tzinfo=dt.UTC)


def sample_615() -> dict[str, Any]:
    path = DATA_DIR / "ll-2.2.0_docking_event_615_detail_format-api.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def unusual() -> dict[str, Any]:
    payload = sample_615()
    payload["flight_vehicle"]["spacecraft"]["name"] = "Sojuz \u2028 Крым \x01"
    payload["extra"] = [1.5, 1e16, None, True, {"b": 1, "a": 2}]
    return payload


def test_version_1_is_the_digest_earlier_versions_stored() -> None:
    assert legacy_payload_digest(sample_615(), NOW) == "857fde0581aabc68ebc305b6ecaa3867"
    assert legacy_payload_digest(unusual(), NOW) == "e75ba9b442778a1892f9d8bd1b26d7b8"


def test_version_2_is_marked_and_stays_put() -> None:
    assert payload_digest(sample_615(), NOW) == "v2e47199547483abda9f5825615d8d3c"
    assert payload_digest(unusual(), NOW) == "v2289987fff40b1c17c1fabfea5fc8ff"


def test_both_versions_match_their_payload_and_nothing_else() -> None:
    payload, other = sample_615(), unusual()
    for digest in (payload_digest(payload, NOW), legacy_payload_digest(payload, NOW)):
        assert stored_digest_matches(digest, payload, NOW)
        assert not stored_digest_matches(digest, other, NOW)
    assert not stored_digest_matches(None, payload, NOW)


def test_a_row_with_a_version_1_digest_is_skipped_without_a_write(
    session: Session, engine: Engine
) -> None:
    apply_page(session, [sample_615()], now=NOW)
    stored = session.get(DockingEvent, 615)
    assert stored is not None
    assert stored.payload_digest == payload_digest(sample_615(), NOW)
    stored.payload_digest = legacy_payload_digest(sample_615(), NOW)
    session.add(stored)
    session.commit()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    with Session(engine) as later_session:
        result = apply_page(later_session, [sample_615()], now=NOW)
    event.remove(engine, "before_cursor_execute", record)

    assert (result.unchanged, result.rows_written) == (1, 0)
    assert len(statements) == 1
    assert statements[0].lstrip().upper().startswith("SELECT")

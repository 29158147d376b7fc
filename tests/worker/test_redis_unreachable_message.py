"""The one-line message of an unreachable Redis: one full stop per sentence, no password."""

from __future__ import annotations

import pytest

from worker.bootstrap import redis_unreachable


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        ("Connection refused.", "Connection refused."),
        ("Connection refused", "Connection refused."),
        (
            "Authentication required. Are you sure your configuration is correct? ",
            "Authentication required. Are you sure your configuration is correct?",
        ),
    ],
)
def test_the_reason_ends_its_sentence_once(detail: str, reason: str) -> None:
    message = redis_unreachable("redis://:hunter2@127.0.0.1:1/0", detail)

    assert message == (
        f"cannot reach Redis at redis://:***@127.0.0.1:1/0: {reason} "
        "Start redis-server or set DOCKWATCH_REDIS_URL."
    )

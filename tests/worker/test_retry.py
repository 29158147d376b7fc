"""The retry policy on its own: what it retries, how long it sleeps, when it gives up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from worker.upstream.errors import (
    BudgetExhausted,
    PayloadError,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from worker.upstream.retry import build_retrying, is_retryable, parse_retry_after

NOW = 1_700_000_000.0


def _status_error(status: int, headers: dict[str, str] | None = None) -> httpx.HTTPStatusError:
    request = httpx.Request("GET", "https://ll.example/2.2.0/docking_event/")
    response = httpx.Response(status, headers=headers, request=request)
    return httpx.HTTPStatusError(f"status {status}", request=request, response=response)


class Failing:
    """Raises the scripted errors in turn, then returns "done"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_retry_after_in_seconds_is_parsed() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 2 ", NOW) == 2.0


def test_retry_after_as_http_date_is_parsed_against_the_clock() -> None:
    moment = datetime.fromtimestamp(NOW + 90, tz=UTC)
    assert parse_retry_after(format_datetime(moment, usegmt=True), NOW) == 90.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:14:50 -0000", NOW) == 90.0


def test_retry_after_in_the_past_means_now() -> None:
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("-5", NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf"])
def test_unusable_retry_after_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        _status_error(500),
        _status_error(503),
        _status_error(429),
        _status_error(429, {"Retry-After": "60"}),
        UpstreamUnavailable("down", status=502),
        UpstreamThrottled("slow down", retry_after=5, not_before=NOW + 5),
        PayloadError("truncated"),
    ],
)
def test_transport_errors_429_5xx_and_bad_payloads_are_retried(error: BaseException) -> None:
    assert is_retryable(error, max_wait=60, now=NOW)


@pytest.mark.parametrize(
    "error",
    [
        _status_error(400),
        _status_error(404),
        _status_error(429, {"Retry-After": "61"}),
        UpstreamRejected("bad filter", status=400),
        UpstreamThrottled("slow down", retry_after=120, not_before=NOW + 120),
        BudgetExhausted(NOW + 10),
        ValueError("a bug"),
    ],
)
def test_other_errors_and_long_retry_afters_are_not_retried(error: BaseException) -> None:
    assert not is_retryable(error, max_wait=60, now=NOW)


def test_gives_up_after_max_attempts_and_reraises_the_last_error() -> None:
    last = UpstreamUnavailable("third", status=500)
    work = Failing(UpstreamUnavailable("first"), UpstreamUnavailable("second"), last)
    sleeps = Sleeps()
    with pytest.raises(UpstreamUnavailable) as raised:
        build_retrying(max_attempts=3, max_wait=60, sleep=sleeps)(work)
    assert raised.value is last
    assert work.calls == 3
    assert len(sleeps) == 2


def test_recovers_when_a_retry_succeeds() -> None:
    work = Failing(httpx.ConnectError("refused"))
    assert build_retrying(max_attempts=3, max_wait=60, sleep=Sleeps())(work) == "done"
    assert work.calls == 2


def test_backoff_is_exponential_with_jitter_and_capped_by_max_wait() -> None:
    work = Failing(*(PayloadError(f"try {n}") for n in range(7)))
    sleeps = Sleeps()
    with pytest.raises(PayloadError):
        build_retrying(max_attempts=7, max_wait=10, max_total=1000, sleep=sleeps)(work)
    floors = [1, 2, 4, 8, 10, 10]
    assert len(sleeps) == len(floors)
    for slept, floor in zip(sleeps, floors, strict=True):
        assert floor <= slept <= min(floor + 1, 10)


def test_retry_after_within_max_wait_is_slept_exactly() -> None:
    work = Failing(
        _status_error(429, {"Retry-After": "7"}),
        UpstreamThrottled("slow down", retry_after=3, not_before=NOW + 3),
    )
    sleeps = Sleeps()
    assert build_retrying(max_attempts=3, max_wait=10, sleep=sleeps)(work) == "done"
    assert sleeps == [7.0, 3.0]


def test_retry_after_beyond_max_wait_is_raised_without_sleeping() -> None:
    throttled = UpstreamThrottled("slow down", retry_after=120, not_before=NOW + 120)
    work = Failing(throttled)
    sleeps = Sleeps()
    with pytest.raises(UpstreamThrottled) as raised:
        build_retrying(max_attempts=5, max_wait=60, sleep=sleeps)(work)
    assert raised.value is throttled
    assert (work.calls, sleeps) == (1, [])


def test_non_retryable_errors_are_raised_at_once() -> None:
    for error in (UpstreamRejected("bad", status=400), BudgetExhausted(NOW)):
        work = Failing(error)
        sleeps = Sleeps()
        with pytest.raises(type(error)):
            build_retrying(max_attempts=5, max_wait=60, sleep=sleeps)(work)
        assert (work.calls, sleeps) == (1, [])


def test_total_time_cap_stops_before_a_sleep_would_exceed_it() -> None:
    work = Failing(
        *(UpstreamThrottled("slow down", retry_after=4, not_before=NOW + 4) for _ in range(5))
    )
    sleeps = Sleeps()
    with pytest.raises(UpstreamThrottled):
        build_retrying(max_attempts=10, max_wait=5, max_total=10, sleep=sleeps)(work)
    assert sleeps == [4.0, 4.0]
    assert work.calls == 3


def test_each_sleep_is_logged_at_info_with_lazy_arguments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="worker.upstream.retry")
    work = Failing(UpstreamUnavailable("boom", status=502), PayloadError("cut short"))
    build_retrying(max_attempts=3, max_wait=60, sleep=Sleeps())(work)
    records = [r for r in caplog.records if r.name == "worker.upstream.retry"]
    assert len(records) == 2
    assert all(record.args for record in records)
    assert {record.levelname for record in records} == {"INFO"}  # the caller reports the outcome
    assert "UpstreamUnavailable" in records[0].getMessage()
    assert "retrying in" in records[1].getMessage()

"""The retry policy for upstream requests, as a tenacity ``Retrying`` factory.

Retried: transport errors (a request past its deadline included), 429 and 5xx (raw httpx errors
or our typed equivalents) and payloads that failed to parse (a truncated page is a transient
fault), but not a 2xx that is not JSON at all (``NotJsonPayload``: an HTML page answers the same
each time, and every retry costs a request). Everything else, and our own
``BudgetExhausted``, goes straight to the caller. Waits are jittered exponential backoff, except
that a ``Retry-After`` within the policy's max wait is slept exactly; a longer one is not retried
at all (the caller records "not before" and the next slot picks the work up). Attempts and total
time are both capped, and the last error is re-raised as it was. Each retry is one INFO line:
the caller reports the outcome.
"""

from __future__ import annotations

import email.utils
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC

import httpx
import tenacity

from worker.upstream.errors import (
    NotJsonPayload,
    PayloadError,
    UpstreamThrottled,
    UpstreamUnavailable,
)

logger = logging.getLogger(__name__)

# First backoff step and its jitter, in seconds; doubled per retry up to the policy's max wait.
BACKOFF_BASE_SECONDS = 1.0
RETRYABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait for a ``Retry-After`` value (seconds or HTTP-date); None if unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:  # RFC 9110 dates are always GMT ("-0000" parses as naive)
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp() - now
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _retry_after_of(error: BaseException, now: float) -> float | None:
    if isinstance(error, UpstreamThrottled):
        return error.retry_after if error.retry_after > 0 else None
    if isinstance(error, httpx.HTTPStatusError):
        return parse_retry_after(error.response.headers.get("Retry-After"), now)
    return None


def is_retryable(error: BaseException, max_wait: float, now: float) -> bool:
    """Whether ``error`` is worth another attempt under a policy sleeping at most ``max_wait``."""
    if isinstance(error, NotJsonPayload):
        return False
    if isinstance(error, httpx.HTTPStatusError):
        if error.response.status_code not in RETRYABLE_STATUSES:
            return False
    elif not isinstance(
        error, httpx.TransportError | UpstreamUnavailable | UpstreamThrottled | PayloadError
    ):
        return False
    retry_after = _retry_after_of(error, now)
    return retry_after is None or retry_after <= max_wait


class _Stop(tenacity.stop.stop_base):
    """Stop after ``max_attempts``, or when the next sleep would pass ``max_total`` seconds.

    Time spent counts both the wall clock and the sleeps tenacity scheduled, so the cap holds with
    an injected (fake) sleep as well as a real one.
    """

    def __init__(self, max_attempts: int, max_total: float) -> None:
        self.max_attempts = max_attempts
        self.max_total = max_total

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        if retry_state.attempt_number >= self.max_attempts:
            return True
        spent = max(retry_state.seconds_since_start or 0.0, retry_state.idle_for)
        return spent + retry_state.upcoming_sleep > self.max_total


def build_retrying(
    *,
    max_attempts: int,
    max_wait: float,
    max_total: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> tenacity.Retrying:
    """A fresh policy: at most ``max_attempts`` tries, sleeps ≤ ``max_wait``, ≤ ``max_total`` s.

    ``max_total`` defaults to twice ``max_wait``. Pass a fake ``sleep`` in tests; ``clock`` turns a
    ``Retry-After`` HTTP-date into seconds.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    total = 2 * max_wait if max_total is None else max_total
    backoff = tenacity.wait_exponential(
        multiplier=BACKOFF_BASE_SECONDS, max=max_wait
    ) + tenacity.wait_random(0, BACKOFF_BASE_SECONDS)

    def wait(retry_state: tenacity.RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = _retry_after_of(error, clock()) if error is not None else None
        if retry_after is not None:
            return retry_after  # is_retryable already refused anything above max_wait
        return min(max_wait, backoff(retry_state))

    def log_sleep(retry_state: tenacity.RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        logger.info(
            "upstream attempt %d/%d failed (%s: %s); retrying in %.1f s",
            retry_state.attempt_number,
            max_attempts,
            type(error).__name__,
            error,
            retry_state.upcoming_sleep,
        )

    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda error: is_retryable(error, max_wait, clock())),
        wait=wait,
        stop=_Stop(max_attempts, total),
        sleep=sleep,
        before_sleep=log_sleep,
        reraise=True,
    )

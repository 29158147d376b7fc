"""The errors the upstream client and the request budget raise.

A small tree so callers can decide at the edge (CLI exit code, task outcome, HTTP status) without
knowing about httpx: ``UpstreamError`` covers everything the upstream did wrong or refused, while
``BudgetExhausted`` and ``UpstreamBackoff`` are our own decisions not to send. Messages name the
status, the path and a one-line excerpt of the body at most (``worker.upstream.excerpt``); they
never carry the API token or any request header.
"""

from __future__ import annotations

import time
from typing import Any


def _rebuild(cls: type[Exception], message: str, kwargs: dict[str, Any]) -> Exception:
    return cls(message, **kwargs)


def _clock_text(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class UpstreamError(Exception):
    """The upstream API could not give us what we asked for."""


class UpstreamUnavailable(UpstreamError):
    """Transport failures or 5xx answers, still failing after the retries."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    # Keyword-only arguments defeat Exception's default pickling (Celery results, multiprocessing).
    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), {"status": self.status}))


class UpstreamUnreachable(UpstreamUnavailable):
    """The request never left: the connection was refused, the name did not resolve, or the
    connect timed out. It cost no budget.

    ``cause`` says which, in words (``cannot resolve ll.example``); ``retry_at`` is the epoch
    before which the unreachable back-off sends nothing, once the client has counted it.
    """

    def __init__(self, message: str, *, cause: str = "", retry_at: float | None = None) -> None:
        super().__init__(message)
        self.cause = cause or message
        self.retry_at = retry_at

    def __reduce__(self) -> tuple[object, ...]:
        state = {"cause": self.cause, "retry_at": self.retry_at}
        return (_rebuild, (type(self), str(self), state))


class UpstreamThrottled(UpstreamError):
    """Upstream answered 429 (or 503 with ``Retry-After``): send nothing before ``not_before``.

    ``retry_after`` is in seconds (0 when upstream gave no hint); ``not_before`` is an epoch.
    """

    def __init__(
        self, message: str, *, retry_after: float, not_before: float, status: int = 429
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.not_before = not_before
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:
        state = {"retry_after": self.retry_after, "not_before": self.not_before}
        return (_rebuild, (type(self), str(self), {**state, "status": self.status}))


class UpstreamRejected(UpstreamError):
    """Upstream refused the request itself (a 4xx other than 429); retrying cannot help."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), str(self), {"status": self.status}))


class PayloadError(UpstreamError):
    """A 2xx answer whose body is not JSON or not the shape we expect (e.g. a truncated page)."""


class NotJsonPayload(PayloadError):
    """A 2xx answer that is not JSON at all, not even cut short (an HTML page: a wrong URL, a
    captive portal); retrying cannot help. The message names the content type and an excerpt."""


class BudgetExhausted(Exception):
    """The shared request budget cannot afford another request before ``resume_at`` (epoch).

    ``throttled`` says why: True when upstream's own ``Retry-After`` deadline (a 429 or 503
    some process received, persisted fleet-wide) holds the requests back, not the hour's count.
    """

    def __init__(self, resume_at: float, *, throttled: bool = False) -> None:
        cause = "upstream's Retry-After" if throttled else "request budget exhausted"
        super().__init__(f"{cause} until {_clock_text(resume_at)}")
        self.resume_at = resume_at
        self.throttled = throttled

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.resume_at, {"throttled": self.throttled}))


class UpstreamBackoff(Exception):
    """Requests in a row never reached upstream: nothing is sent before ``until`` (epoch).

    ``failures`` counts them and ``cause`` names the last one's cause in words (empty when
    unknown); the back-off is fleet-wide (see ``worker.upstream.budget``).
    """

    def __init__(self, until: float, failures: int, cause: str = "") -> None:
        times = "once" if failures == 1 else f"{failures} times in a row"
        why = f" ({cause})" if cause else ""
        super().__init__(
            f"upstream was unreachable {times}{why}; nothing is sent before {_clock_text(until)}"
        )
        self.until = until
        self.failures = failures
        self.cause = cause

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.until, self.failures, self.cause))

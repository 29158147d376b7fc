"""The upstream (Launch Library 2) client: budgeted, retried, typed GETs of docking events.

``build_http_client`` makes the one ``httpx.Client`` a process uses; ``UpstreamClient`` wraps it so
that every attempt, retries included, first spends from the shared ``RequestBudget`` (and gets
its slot back when it never left: refused, unresolved, connect timed out), a 429/503
``Retry-After`` becomes a fleet-wide "not before", a request that never reached upstream after
its retries extends the fleet-wide unreachable back-off, and every failure leaves as an error
from ``worker.upstream.errors``. The client's timeout is one deadline per attempt, connect to the
last byte (``worker.upstream.deadline``): an answer still arriving then is a failed attempt,
retried like a 5xx. The API token travels only in the ``Authorization`` header: it is
never put into a log line, an exception message or a repr. So do credentials in the upstream
URL (``http://user:secret@host/2.2.0``): they become HTTP Basic auth and the client's base URL
keeps none, because httpx would otherwise print them in its own request log lines.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from importlib import metadata
from typing import Any

import httpx

from models.fleet.counters import UPSTREAM_REQUESTS, SharedCounters, status_class
from worker.upstream.budget import RequestBudget
from worker.upstream.deadline import DeadlineExceeded, send_within
from worker.upstream.errors import (
    NotJsonPayload,
    PayloadError,
    UpstreamError,
    UpstreamRejected,
    UpstreamThrottled,
    UpstreamUnavailable,
    UpstreamUnreachable,
)
from worker.upstream.excerpt import body_excerpt, one_line
from worker.upstream.retry import build_retrying, parse_retry_after

logger = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/dockwatch/dockwatch"
LIST_PATH = "docking_event/"
# Transport errors raised before a request was written: it cannot have reached upstream.
# (httpx raises ConnectError for a refused connection and a name that does not resolve alike.)
NEVER_LEFT = (httpx.ConnectError, httpx.ConnectTimeout)


def _version() -> str:
    try:
        return metadata.version("dockwatch")
    except metadata.PackageNotFoundError:
        return "0+unknown"


USER_AGENT = f"dockwatch/{_version()} (+{PROJECT_URL})"


def credentials_as_auth(url: str | httpx.URL) -> tuple[httpx.URL, httpx.BasicAuth | None]:
    """``url`` without its user information, and that information as HTTP Basic auth (or None).

    httpx turns a URL's user information into Basic auth too, but also prints the URL, secret
    included, in its request log lines: requests go to the stripped URL with this auth instead.
    """
    parsed = httpx.URL(url)
    if not parsed.username and not parsed.password:
        return parsed, None
    bare = parsed.copy_with(username=None, password=None)
    return bare, httpx.BasicAuth(parsed.username, parsed.password)


def build_http_client(
    base_url: str,
    token: str | None,
    timeout: float,
    *,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """The process's single HTTP client: base URL, explicit timeouts, identifying headers.

    ``timeout`` (seconds) bounds each network operation and, as ``UpstreamClient`` sends through
    ``worker.upstream.deadline.send_within``, each request as a whole, connect to last byte.

    User information in ``base_url`` is sent as HTTP Basic auth (``credentials_as_auth``); the
    client's URLs carry none. ``transport`` replaces the network (``httpx.MockTransport`` in
    tests); nothing else changes.
    """
    url, auth = credentials_as_auth(base_url)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if token is not None and token.strip():
        # A header value with whitespace or control characters makes h11 quote it in its error.
        if not token.strip().isprintable() or any(char.isspace() for char in token.strip()):
            raise ValueError("the API token contains whitespace or control characters")
        headers["Authorization"] = f"Token {token.strip()}"
    return httpx.Client(
        base_url=url,
        auth=auth,
        headers=headers,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,  # upstream paths end in "/"; a redirect is a fault, not a detour
        transport=transport,
    )


def _starts_as_json(content: bytes) -> bool:
    """Whether a body that failed to parse began as a JSON object or array would (cut short),
    or was empty, rather than being something else altogether (an HTML page)."""
    start = content.lstrip()[:1]
    return start in (b"", b"{", b"[")


def _is_page(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("results"), list) and "count" in body


def _is_event(body: Any) -> bool:
    return isinstance(body, dict) and "id" in body


def _page(body: dict[str, Any] | None) -> dict[str, Any]:
    if body is None:  # cannot happen: only detail requests treat 404 as "missing"
        raise PayloadError("upstream answered a list request with nothing")
    return body


def _target(url: httpx.URL) -> str:
    return url.raw_path.decode("ascii", errors="replace")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def unreachable_cause(error: httpx.TransportError, url: httpx.URL) -> str:
    """Why a request never left, in words: ``cannot resolve HOST``, ``HOST:PORT refused the
    connection``, ``connecting to HOST:PORT timed out``, or the socket error's own text.

    Built from the error's chain (httpx wraps httpcore's error, which wraps the ``OSError``);
    only the host, the port and the operating system's message are named, never a header.
    """
    host = url.host
    where = f"{host}:{url.port or (443 if url.scheme == 'https' else 80)}"
    for link in _chain(error):
        if isinstance(link, socket.gaierror):
            return f"cannot resolve {host}: {link.strerror or 'no address'}"
        if isinstance(link, ConnectionRefusedError):
            return f"{where} refused the connection"
        if isinstance(link, (TimeoutError, socket.timeout)):
            return f"connecting to {where} timed out"
    if isinstance(error, httpx.ConnectTimeout):
        return f"connecting to {where} timed out"
    for link in _chain(error):
        if isinstance(link, OSError) and link.strerror:
            return f"cannot connect to {where}: {link.strerror}"
    # A connect error's text is the socket's (no request was written, so no header is in it).
    detail = one_line(str(error))
    return f"cannot connect to {where} ({type(error).__name__}{': ' + detail if detail else ''})"


class UpstreamClient:
    """Budgeted, retried GETs of LL2 docking events.

    ``requests_made`` counts every send that may have reached upstream (what the budget counts).
    """

    def __init__(
        self,
        http: httpx.Client,
        budget: RequestBudget,
        *,
        max_attempts: int,
        max_wait: float,
        max_total: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        counters: SharedCounters | None = None,
    ) -> None:
        self._http = http
        self._counters = counters  # fleet-wide requests by status class, when given
        self._budget = budget
        self._max_attempts = max_attempts
        self._max_wait = max_wait
        self._max_total = max_total
        self._sleep = sleep
        self._clock = clock
        self.requests_made = 0

    def __repr__(self) -> str:
        return (
            f"UpstreamClient(base_url={str(self._http.base_url)!r}, requests={self.requests_made})"
        )

    def close(self) -> None:
        """Close the HTTP client's connections."""
        self._http.close()

    def get_list(self, params: Mapping[str, str]) -> dict[str, Any]:
        """One page of ``docking_event/`` with these query parameters."""
        return _page(self._get(self._http.base_url.join(LIST_PATH), dict(params), _is_page, False))

    def get_url(self, absolute_next_url: str) -> dict[str, Any]:
        """The page a DRF ``next``/``previous`` link points at; only links under our base URL."""
        return _page(self._get(self._same_origin(absolute_next_url), None, _is_page, False))

    def get_event(self, event_id: int) -> dict[str, Any] | None:
        """The detailed docking event, or None when upstream answers 404."""
        url = self._http.base_url.join(f"{LIST_PATH}{int(event_id)}/")
        return self._get(url, None, _is_event, True)

    def _same_origin(self, link: str) -> httpx.URL:
        base = self._http.base_url
        try:
            url = httpx.URL(link)
        except httpx.InvalidURL as error:
            raise PayloadError("upstream sent a malformed pagination link") from error
        if url.host != base.host or url.port != base.port or not url.path.startswith(base.path):
            raise PayloadError(f"refusing a pagination link outside {base}: {url.host}")
        # Keep our own scheme: an http:// link (proxy artefact) must not downgrade the token's trip.
        return base.copy_with(raw_path=url.raw_path)

    def _get(
        self,
        url: httpx.URL,
        params: dict[str, str] | None,
        shape: Callable[[Any], bool],
        missing_ok: bool,
    ) -> dict[str, Any] | None:
        retrying = build_retrying(
            max_attempts=self._max_attempts,
            max_wait=self._max_wait,
            max_total=self._max_total,
            sleep=self._sleep,
            clock=self._clock,
        )
        try:
            result: dict[str, Any] | None = retrying(self._attempt, url, params, shape, missing_ok)
        except UpstreamUnreachable as error:
            backoff = self._budget.note_unreachable(error.cause)
            error.retry_at = backoff.until
            logger.warning(
                "upstream unreachable: %s; failed %s; nothing is sent before %s UTC (in %.0f s)",
                error.cause,
                "once" if backoff.failures == 1 else f"{backoff.failures} times in a row",
                time.strftime("%H:%M:%S", time.gmtime(backoff.until)),
                backoff.until - self._clock(),
            )
            raise
        return result

    def _attempt(
        self,
        url: httpx.URL,
        params: dict[str, str] | None,
        shape: Callable[[Any], bool],
        missing_ok: bool,
    ) -> dict[str, Any] | None:
        # BudgetExhausted and UpstreamBackoff are not retryable: they propagate as they are.
        slot = self._budget.acquire()
        self.requests_made += 1
        try:
            response = send_within(self._http, self._http.build_request("GET", url, params=params))
        except NEVER_LEFT as error:
            self._budget.refund(slot)
            self.requests_made -= 1
            cause = unreachable_cause(error, url)
            raise UpstreamUnreachable(f"GET {_target(url)} failed: {cause}", cause=cause) from error
        except DeadlineExceeded as error:
            self._count(None)
            raise UpstreamUnavailable(f"GET {_target(url)} failed: {error}") from error
        except httpx.TransportError as error:
            self._count(None)
            # Only the class name: some transport errors quote the offending header value.
            raise UpstreamUnavailable(
                f"GET {_target(url)} failed: {type(error).__name__}"
            ) from error
        self._count(response.status_code)
        if slot.unreachable_failures:
            self._budget.note_reachable()
        target = _target(response.request.url)
        logger.debug("GET %s -> %d", target, response.status_code)
        if missing_ok and response.status_code == 404:
            return None
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as error:
            raise self._status_error(response, target) from error
        try:
            body = response.json()
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
            if not _starts_as_json(response.content):
                kind = response.headers.get("content-type", "").split(";")[0].strip() or "a body"
                raise NotJsonPayload(
                    f"upstream answered {response.status_code} for GET {target} with {kind}, "
                    f"not JSON: {body_excerpt(response) or '(empty)'}"
                ) from error
            raise PayloadError(f"GET {target}: the body is not valid JSON") from error
        if not shape(body):
            raise PayloadError(f"GET {target}: the JSON does not have the expected shape")
        result: dict[str, Any] = body
        return result

    def _count(self, status: int | None) -> None:
        if self._counters is not None:
            self._counters.increment(UPSTREAM_REQUESTS, status_class(status))

    def _status_error(self, response: httpx.Response, target: str) -> UpstreamError:
        status = response.status_code
        if status in (429, 503):
            now = self._clock()
            retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
            if retry_after is not None and retry_after > 0:
                # Every process must hold off, whether or not this one sleeps through it.
                self._budget.defer_until(now + retry_after)
            if retry_after is not None or status == 429:
                wait = retry_after or 0.0
                return UpstreamThrottled(
                    f"upstream answered {status} for GET {target}; retry after {wait:.0f} s",
                    retry_after=wait,
                    not_before=now + wait,
                    status=status,
                )
        if status >= 500:
            return UpstreamUnavailable(
                f"upstream answered {status} for GET {target}", status=status
            )
        excerpt = body_excerpt(response)
        return UpstreamRejected(
            f"upstream answered {status} for GET {target}" + (f": {excerpt}" if excerpt else ""),
            status=status,
        )

"""``FakeUpstream``: a fake Launch Library 2 (2.2.0) docking-event API on real sockets.

It serves ``GET /2.2.0/docking_event/`` and ``/2.2.0/docking_event/{id}/`` from a plain list of
detailed-form event dicts, as upstream does: the query rules, links and shapes of ``query`` and
``render``, 404 for unknown paths and ids, 405 for other methods. Nothing is imported from the
mirror or the worker, so it is an independent reference for both. Tests script it between
requests (edits, a clock, queued faults) and read its request log; without sockets, ``respond``
and ``iter_pages`` answer directly. ``python -m fake_upstream.server --port 8999`` serves
generated history until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import unquote, urlencode

from fake_upstream.faults import Fault, FaultQueue, apply_fault
from fake_upstream.filtering import (
    Pairs,
    QueryError,
    last_values,
    page_links,
    parse_query,
    row_checks,
    select,
)
from fake_upstream.handler import FakeHTTPServer, FakeRequestHandler
from fake_upstream.history import generate_history
from fake_upstream.log import RequestLog, RequestRecord
from fake_upstream.serializers import Response, Route, json_response, render_event
from fake_upstream.store import UpstreamState
from fake_upstream.values import Event

API_ROOT = "/2.2.0"
LIST_PATH = f"{API_ROOT}/docking_event/"
_DETAIL_RE = re.compile(r"^/2\.2\.0/docking_event/([^/]+)/$")
NOT_FOUND = {"detail": "Not found."}
NO_EVENT = {"detail": "No DockingEvent matches the given query."}


class FakeUpstream(UpstreamState):
    """A fake LL2 2.2.0 docking-event API on 127.0.0.1 with scriptable data, clock and faults."""

    def __init__(
        self,
        events: Iterable[Event] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
        now: datetime | None = None,
    ) -> None:
        super().__init__(events, clock=clock, now=now)
        self._host, self._port = host, port
        self.faults = FaultQueue()
        self.log = RequestLog()
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # lifecycle

    def start(self) -> Self:
        """Listen and serve in a daemon thread."""
        self._stopping.clear()
        self._server = FakeHTTPServer((self._host, self._port), FakeRequestHandler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        if self._server is None:
            raise RuntimeError("FakeUpstream is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/2.2.0`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}{API_ROOT}"

    @property
    def list_url(self) -> str:
        """The list endpoint's URL."""
        return f"{self.base_url}/docking_event/"

    # request handling

    def respond(
        self, method: str, target: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        """The answer to one request, without faults or logging (usable without sockets)."""
        path, _, raw_query = target.partition("?")
        pairs = parse_query(raw_query)
        route, event_id = _route(path)
        if route is None:
            return json_response(404, NOT_FOUND)
        params = last_values(pairs)
        fmt = params.get("format", "")
        # ``api`` is the browsable page; the fake answers it with the JSON that page shows.
        if fmt not in ("", "json", "api"):
            return json_response(404, NOT_FOUND, route)
        if method != "GET":
            response = json_response(405, {"detail": f'Method "{method}" not allowed.'}, route)
            return response
        # Any ``format`` parameter, even empty, is carried into every url.
        suffix = "?" + urlencode({"format": fmt}) if "format" in params else ""
        port = self.port if self._server is not None else self._port
        base = _request_base(headers or {}, self._host, port)
        with self._lock:
            try:
                if route == "detail":
                    return self._detail(event_id, pairs, base, suffix)
                return self._list(pairs, base, suffix)
            except QueryError as error:
                return json_response(400, error.body, route)

    def _detail(self, event_id: str, pairs: Pairs, base: str, suffix: str) -> Response:
        # The list's filters and search apply: a bad value is a 400 whatever the id, and an
        # event they leave out is not found.
        checks = row_checks(last_values(pairs))
        if not re.fullmatch(r"-?[0-9]+", event_id):
            return json_response(404, NOT_FOUND, "detail")
        event = self._events.get(int(event_id))
        if event is None or not all(check(self._rows[event["id"]]) for check in checks):
            return json_response(404, NO_EVENT, "detail")
        served = self._served(event, self._now(), self._open_crafts())
        url = f"{base}/docking_event/{event['id']}/"
        return json_response(200, render_event(served, detailed=True, url=url, suffix=suffix),
                              "detail")  # fmt: skip

    def _list(self, pairs: Pairs, base: str, suffix: str) -> Response:
        page = select(self._rows.values(), pairs)
        detailed = last_values(pairs).get("mode") == "detailed"
        now, open_crafts = self._now(), self._open_crafts()
        results = [
            render_event(
                self._served(self._events[row.id], now, open_crafts),
                detailed=detailed,
                url=f"{base}/docking_event/{row.id}/",
                suffix=suffix,
            )
            for row in page.rows
        ]
        following, previous = page_links(f"{base}/docking_event/", pairs, page)
        body = {"count": page.count, "next": following, "previous": previous, "results": results}
        return json_response(200, body, "list")

    def handle(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        """``respond`` plus the next queued fault for the route."""
        path, _, raw_query = target.partition("?")
        route, _ = _route(path)
        fault = self.faults.take(route, frozenset(parse_query(raw_query))) if route else None
        if fault is None or route is None:
            return self.respond(method, target, headers)
        return apply_fault(fault, lambda: self.respond(method, target, headers), route)

    # request log helpers

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request seen since the last ``clear_log``."""
        return self.log.records

    @property
    def last_request(self) -> RequestRecord | None:
        """The most recent request, if any."""
        records = self.log.records
        return records[-1] if records else None

    def request_count(
        self, route: Route | None = None, *, method: str | None = None, path: str | None = None
    ) -> int:
        """How many requests were seen (optionally by route, method or path)."""
        return self.log.count(route, method=method, path=path)

    def clear_log(self) -> None:
        """Forget the requests seen so far."""
        self.log.clear()

    def inject(self, fault: Fault) -> Fault:
        """Queue a fault (same as ``faults.add``)."""
        return self.faults.add(fault)


def _route(path: str) -> tuple[Route | None, str]:
    if path == LIST_PATH:
        return "list", ""
    match = _DETAIL_RE.match(path)
    if match:
        return "detail", unquote(match.group(1))
    return None, ""


def _request_base(headers: Mapping[str, str], host: str, port: int) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    scheme = lowered.get("x-forwarded-proto", "http")
    return f"{scheme}://{lowered.get('host', f'{host}:{port}')}{API_ROOT}"


def main(argv: list[str] | None = None) -> None:
    """Serve generated history until Ctrl-C (the offline demo)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8999)
    parser.add_argument("--events", type=int, default=650)
    parser.add_argument("--open", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    events = generate_history(args.events, args.open, args.seed, now=now)
    fake = FakeUpstream(events, host=args.host, port=args.port, clock=lambda: datetime.now(UTC))
    done = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: done.set())
    with fake:
        print(f"fake LL2 serving {len(events)} docking events at {fake.base_url}", flush=True)
        while not done.wait(0.5):
            pass
    print("stopped", flush=True)


def iter_pages(fake: FakeUpstream, query: str = "") -> Iterator[dict[str, Any]]:
    """Walk the list through ``respond`` (no sockets), following ``next`` links."""
    target: str | None = f"{LIST_PATH}?{query}"
    while target:
        body = json.loads(fake.respond("GET", target).body)
        yield body
        following = body["next"]
        target = following[following.index(API_ROOT) :] if following else None


if __name__ == "__main__":
    main()

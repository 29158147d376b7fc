"""The mirror's FastAPI app: upstream-compatible docking-event routes plus operator routes.

``create_app(engine, config, …)`` wires everything from explicit arguments (``worker.bootstrap``
builds them from settings). The docking-event routes take every method and read the raw query
string, so nothing of FastAPI's own validation (422) or method handling shows through; for the
same reason the OpenAPI document at ``/openapi.json`` is written out (``api_mirror.openapi``),
not generated.
``/docs`` is Swagger UI on that document, its files served by the mirror itself (the
``fastapi-offline`` package ships them), so it works without the internet. At startup the app
builds its snapshot of the data and starts the watcher that keeps it current
(``api_mirror.read.watcher``); ``FastPath`` answers repeated requests before the framework runs.
Beside the docking-event routes, upstream's API root (``/2.2.0/``) and ``/2.2.0/api-throttle/``
answer as upstream's; ``Cors`` wraps the whole stack, so every answer carries CORS headers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.types import Receive, Scope, Send

from api_mirror.drf import suffixes
from api_mirror.drf.renderer import API_ROOT, json_response
from api_mirror.http.config import MirrorConfig
from api_mirror.http.context import MirrorContext
from api_mirror.http.cors import Cors
from api_mirror.http.fast_path import FastPath
from api_mirror.http.fleet_metrics import FleetCollector, FleetRedis
from api_mirror.http.metrics import MetricsMiddleware, MirrorMetrics
from api_mirror.http.routes import api_root, docking_events, events, live, operations, throttle
from api_mirror.http.routes.events import EventFeed
from api_mirror.live.page import DOCKED_FRAGMENT_PATH, RECENT_PATH, TIMELINE_FRAGMENT_PATH
from api_mirror.openapi.document import build_document
from api_mirror.read.answer_cache import ResponseCache
from api_mirror.read.current import Snapshots
from api_mirror.read.watcher import Hints, SnapshotWatcher
from models.store.status import BudgetReader, LockReader
from models.support.clock import Clock, utc_now

log = logging.getLogger(__name__)


class _AnyMethod:
    """An ASGI endpoint: Starlette limits a plain function route to GET, not an ASGI app."""

    def __init__(self, handler: Callable[[Request], Response | Awaitable[Response]]) -> None:
        self.app = request_response(handler)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def _not_found(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404:
        return json_response(404, {"detail": "Not found."}, head=request.method == "HEAD")
    return json_response(error.status_code, {"detail": error.detail})


def create_app(
    engine: Engine,
    config: MirrorConfig,
    *,
    clock: Clock = utc_now,
    budget: BudgetReader | None = None,
    lock: LockReader | None = None,
    event_feed: EventFeed | None = None,
    fleet_redis: FleetRedis | None = None,
    hints: Hints | None = None,
) -> FastAPI:
    """The mirror app over ``engine``, with the values of ``config``.

    The collaborators are optional, each part answering without Redis: ``budget`` and ``lock``
    (the sync lock's holder) report the Redis side of /status (``budget`` feeds /metrics too);
    ``event_feed`` (the notification stream) serves ``/events``, which answers 503 without it;
    ``fleet_redis`` is where /metrics reads the fleet's counters and stream (without it, those
    metrics are left out and ``dockwatch_redis_up`` is 0).
    ``hints`` is where writers announce new data versions (without it the snapshot moves every
    ``config.check_seconds``, or on an explicit ``app.state.mirror.snapshots.refresh()``).
    Whole answers are kept for repeats up to ``config.cache_bytes``.
    """
    snapshots = Snapshots(engine)
    watcher = SnapshotWatcher(snapshots, interval=config.check_seconds, hints=hints)
    fleet = FleetCollector(
        engine,
        clock=clock,
        stale_after_seconds=config.stale_after_seconds,
        budget=budget,
        fleet_redis=fleet_redis,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            await run_in_threadpool(snapshots.refresh)
        except (SQLAlchemyError, OSError) as error:
            log.warning("cannot read the data yet (the first request tries again): %s", error)
        watcher.start()
        try:
            yield
        finally:
            await run_in_threadpool(watcher.stop)
            fleet.close()
            if event_feed is not None:
                await event_feed.fanout.close()

    app = FastAPIOffline(
        title="dockwatch mirror",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        # Swagger UI would ask validator.swagger.io about the document: it stays offline.
        swagger_ui_parameters={"validatorUrl": None},
        redirect_slashes=False,
        lifespan=lifespan,
    )
    # FastAPI's documented way to serve a document of one's own instead of a generated one.
    document = build_document()
    app.openapi = lambda: document  # type: ignore[method-assign]
    app.state.event_feed = event_feed
    context = MirrorContext(
        engine=engine,
        snapshots=snapshots,
        trust_proxy=config.trust_proxy,
        upstream_base=config.upstream_base.rstrip("/"),
        clock=clock,
        budget=budget,
        lock=lock,
        stale_after_seconds=config.stale_after_seconds,
        cache=ResponseCache(max_bytes=config.cache_bytes),
    )
    app.state.mirror = context
    metrics = MirrorMetrics(fleet)
    app.state.metrics = metrics
    # Every method reaches these handlers, which answer upstream's 405 themselves. The suffix
    # routes come before the plain detail route, whose ``{ident}`` would take ``615.json``.
    routes: list[tuple[str, Callable[[Request], Response | Awaitable[Response]]]] = [
        (docking_events.LIST_PATH, docking_events.list_events),
        (suffixes.LIST_SUFFIX_PATH, docking_events.list_events),
        (suffixes.DETAIL_SUFFIX_PATH, docking_events.detail_event),
        (docking_events.DETAIL_PATH, docking_events.detail_event),
        (f"{API_ROOT}/docking_event", docking_events.append_slash),
        (f"{API_ROOT}/docking_event/{{ident}}", docking_events.append_slash),
        (api_root.ROOT_PATH, api_root.api_root),
        (api_root.ROOT_SUFFIX_PATH, api_root.api_root),
        (API_ROOT, docking_events.append_slash),
        (throttle.THROTTLE_PATH, throttle.api_throttle),
        (throttle.THROTTLE_SUFFIX_PATH, throttle.api_throttle),
        (f"{API_ROOT}/api-throttle", docking_events.append_slash),
    ]
    for path, handler in routes:
        app.router.routes.append(Route(path, _AnyMethod(handler), methods=None))
    app.add_route("/healthz", operations.healthz, methods=["GET"])
    app.add_route("/status", operations.status, methods=["GET"])
    app.add_route("/metrics", operations.metrics, methods=["GET"])
    app.add_route("/events", events.stream_events, methods=["GET"])
    app.add_route("/", live.live_page, methods=["GET"])
    app.add_route(DOCKED_FRAGMENT_PATH, live.docked_fragment, methods=["GET"])
    app.add_route(TIMELINE_FRAGMENT_PATH, live.timeline_fragment, methods=["GET"])
    app.add_route(RECENT_PATH, live.recent_notifications, methods=["GET"])
    app.add_exception_handler(StarletteHTTPException, _not_found)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    # Added last, so it runs first: a cached answer skips the framework and the middleware above.
    app.add_middleware(FastPath, context=context, metrics=metrics)
    # CORS wraps the whole stack, the framework's error middleware included: every answer has it.
    build_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: Cors(build_stack(), config.cors_origins)  # type: ignore[method-assign]
    return app

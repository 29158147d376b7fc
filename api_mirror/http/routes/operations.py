"""Operator routes: ``/healthz``, ``/status`` (JSON) and ``/metrics`` (Prometheus text)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from api_mirror.drf.renderer import json_bytes
from api_mirror.http.context import context_of
from api_mirror.http.metrics import MirrorMetrics
from models.store.status import read_status


def _json(status: int, body: object) -> Response:
    return Response(json_bytes(body), status_code=status, media_type="application/json")


def healthz(request: Request) -> Response:
    """200 when the database answers, 503 otherwise."""
    try:
        with Session(context_of(request).engine) as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return _json(503, {"status": "unavailable", "reason": type(error).__name__})
    return _json(200, {"status": "ok"})


def status(request: Request) -> Response:
    """Freshness, counts, budget and the sync lock's holder as JSON."""
    context = context_of(request)
    with Session(context.engine) as session:
        report = read_status(
            session,
            now=context.clock(),
            stale_after_seconds=context.stale_after_seconds,
            budget=context.budget,
            lock=context.lock,
        )
    return _json(200, report.model_dump(mode="json"))


def metrics(request: Request) -> Response:
    """Prometheus text exposition."""
    registry = request.app.state.metrics
    assert isinstance(registry, MirrorMetrics)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)

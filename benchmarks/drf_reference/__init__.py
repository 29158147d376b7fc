"""The DRF reference: upstream's docking-event endpoint as Django + DRF + django-filter write it.

A second, conventional implementation of ``GET /2.2.0/docking_event/`` and its detail route,
built the way upstream builds it (a ``ReadOnlyModelViewSet`` with nested serializers,
``select_related``, django-filter's ``FilterSet``, DRF's ``SearchFilter``, ``OrderingFilter`` and
``LimitOffsetPagination``) over the very tables dockwatch fills, read-only. The mirror benchmark
measures it side by side with the mirror and the floor, process to process, under the same
uvicorn. It needs the ``bench`` extra (``pip install -e '.[bench]'``); nothing in the product
imports it.

``wsgi_application(database_path)`` returns Django's WSGI handler on a dockwatch SQLite file
(the benchmark serves it through ``a2wsgi`` under uvicorn, as it serves the mirror).
"""

from __future__ import annotations

import os
from typing import Any


def wsgi_application(database_path: str) -> Any:
    """Django's WSGI handler for the reference, reading the dockwatch SQLite file at that path."""
    os.environ["DOCKWATCH_DRF_DATABASE"] = database_path
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.drf_reference.settings"
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()

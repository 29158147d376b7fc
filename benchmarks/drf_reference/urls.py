"""``/2.2.0/docking_event/`` and its detail route through DRF's router, as upstream routes them."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from benchmarks.drf_reference.views import DockingEventViewSet

router = DefaultRouter()
router.register("docking_event", DockingEventViewSet, basename="dockingevent")

urlpatterns = [path("2.2.0/", include(router.urls))]

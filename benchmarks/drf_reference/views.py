"""The docking-event viewset: upstream's filters, search, ordering and serializer choice."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters, viewsets
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.serializers import BaseSerializer

from benchmarks.drf_reference import models, serializers


class Paging(LimitOffsetPagination):
    """``limit`` default 10, at most 100."""

    default_limit = 10
    max_limit = 100


class DockingEventFilter(django_filters.FilterSet):
    class Meta:
        model = models.DockingEvent
        fields = {
            "space_station__id": ["exact"],
            "flight_vehicle__id": ["exact"],
            "docking_location__id": ["exact"],
            "docking": ["gt", "gte", "lt", "lte"],
        }


class DockingEventViewSet(viewsets.ReadOnlyModelViewSet[models.DockingEvent]):
    pagination_class = Paging
    filter_backends = [DjangoFilterBackend, filters.SearchFilter, filters.OrderingFilter]
    filterset_class = DockingEventFilter
    search_fields = ["space_station__name", "flight_vehicle__spacecraft__name",
                     "docking_location__name"]  # fmt: skip
    ordering_fields = ["id", "docking", "departure"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[models.DockingEvent]:
        return models.DockingEvent.objects.select_related(
            "flight_vehicle__spacecraft__status",
            "flight_vehicle__spacecraft__spacecraft_config__type",
            "flight_vehicle__spacecraft__spacecraft_config__agency",
            "docking_location__spacestation",
            "space_station",
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "retrieve" or self.request.query_params.get("mode") == "detailed":
            return serializers.DockingEventDetailed
        return serializers.DockingEventNormal

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        # Which spacecraft have a docking without a departure (their time_docked grows): one
        # query for the whole page, as a prefetch would do it.
        instances = args[0] if args else []
        items = instances if isinstance(instances, list) else [instances]
        craft_ids = {
            e.flight_vehicle.spacecraft_id
            for e in items
            if isinstance(e, models.DockingEvent) and e.flight_vehicle is not None
        }
        open_ids = models.DockingEvent.objects.filter(
            departure__isnull=True, flight_vehicle__spacecraft_id__in=craft_ids
        ).values_list("flight_vehicle__spacecraft_id", flat=True)
        context = self.get_serializer_context()
        context["open_craft"] = dict.fromkeys(open_ids, True)
        serializer_class = self.get_serializer_class()
        return serializer_class(*args, context=context, **kwargs)

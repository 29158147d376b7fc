"""Nested serializers writing LL2 2.2.0's normal and detailed docking-event forms.

The two durations grow at serve time as upstream recomputes them on every request: the stored
seconds plus the time since they were fetched, while the spacecraft is in space (``time_in_space``)
or has a docking without a departure (``time_docked``, from the view's ``craft_open`` annotation).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from benchmarks.drf_reference import models
from models.ll2.formats import format_duration


def _grown(stored: int | None, fetched_at: dt.datetime | None, growing: bool) -> str | None:
    if stored is None:
        return None
    if fetched_at is None or not growing:
        return format_duration(stored)
    elapsed = int((dt.datetime.now(dt.UTC) - fetched_at).total_seconds())
    return format_duration(stored + max(0, elapsed))


class IdName(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AgencyMini(serializers.ModelSerializer[models.Agency]):
    class Meta:
        model = models.Agency
        fields = ["id", "url", "name", "type"]


class AgencyFull(serializers.ModelSerializer[models.Agency]):
    class Meta:
        model = models.Agency
        fields = [
            "id", "url", "name", "featured", "type", "country_code", "abbrev", "description",
            "administrator", "founding_year", "launchers", "spacecraft", "parent", "image_url",
            "logo_url",
        ]  # fmt: skip


class ConfigNormal(serializers.ModelSerializer[models.SpacecraftConfig]):
    type = IdName()
    agency = AgencyMini()

    class Meta:
        model = models.SpacecraftConfig
        fields = ["id", "url", "name", "type", "agency", "in_use", "image_url"]


class ConfigDetailed(serializers.ModelSerializer[models.SpacecraftConfig]):
    type = IdName()
    agency = AgencyFull()

    class Meta:
        model = models.SpacecraftConfig
        fields = [
            "id", "url", "name", "type", "agency", "in_use", "capability", "history", "details",
            "maiden_flight", "height", "diameter", "human_rated", "crew_capacity",
            "payload_capacity", "payload_return_capacity", "flight_life", "image_url",
            "nation_url", "wiki_link", "info_link",
        ]  # fmt: skip


SPACECRAFT_FIELDS = [
    "id", "url", "name", "serial_number", "is_placeholder", "in_space", "time_in_space",
    "time_docked", "flights_count", "mission_ends_count", "status", "description",
    "spacecraft_config",
]  # fmt: skip


class SpacecraftNormal(serializers.ModelSerializer[models.Spacecraft]):
    time_in_space = serializers.SerializerMethodField()
    time_docked = serializers.SerializerMethodField()
    status = IdName()
    spacecraft_config = ConfigNormal()

    class Meta:
        model = models.Spacecraft
        fields = SPACECRAFT_FIELDS

    def get_time_in_space(self, craft: models.Spacecraft) -> str | None:
        return _grown(craft.time_in_space_seconds, craft.durations_fetched_at, bool(craft.in_space))

    def get_time_docked(self, craft: models.Spacecraft) -> str | None:
        growing = bool(self.context.get("open_craft", {}).get(craft.id))
        return _grown(craft.time_docked_seconds, craft.durations_fetched_at, growing)


class SpacecraftDetailed(SpacecraftNormal):
    spacecraft_config = ConfigDetailed()


class FlightNormal(serializers.ModelSerializer[models.SpacecraftFlight]):
    spacecraft = SpacecraftNormal()

    class Meta:
        model = models.SpacecraftFlight
        fields = ["id", "url", "destination", "mission_end", "spacecraft"]


class FlightDetailed(FlightNormal):
    spacecraft = SpacecraftDetailed()


class StationLink(serializers.ModelSerializer[models.SpaceStation]):
    class Meta:
        model = models.SpaceStation
        fields = ["id", "url", "name"]


class StationFull(serializers.ModelSerializer[models.SpaceStation]):
    class Meta:
        model = models.SpaceStation
        fields = ["id", "url", "name", "image_url"]


class Location(serializers.ModelSerializer[models.DockingLocation]):
    spacestation = StationLink()

    class Meta:
        model = models.DockingLocation
        fields = ["id", "name", "spacestation"]


class DockingEventNormal(serializers.HyperlinkedModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="dockingevent-detail")
    flight_vehicle = FlightNormal()
    docking_location = Location()

    class Meta:
        model = models.DockingEvent
        fields = ["id", "url", "launch_id", "docking", "departure", "flight_vehicle",
                  "docking_location"]  # fmt: skip


class DockingEventDetailed(DockingEventNormal):
    flight_vehicle = FlightDetailed()
    space_station = StationFull()

    class Meta:
        model = models.DockingEvent
        fields = [*DockingEventNormal.Meta.fields, "space_station"]

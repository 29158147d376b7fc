"""Unmanaged Django models over dockwatch's tables (Django never creates or alters them)."""

from __future__ import annotations

from django.db import models


def _link(to: str, column: str, related: str = "+") -> models.ForeignKey[models.Model]:
    """A foreign key on an existing id column, without a database constraint."""
    return models.ForeignKey(
        to,
        db_column=column,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name=related,
    )


class Agency(models.Model):
    id = models.BigIntegerField(primary_key=True)
    url = models.TextField(null=True)
    name = models.TextField(null=True)
    featured = models.BooleanField(null=True)
    type = models.TextField(null=True)
    country_code = models.TextField(null=True)
    abbrev = models.TextField(null=True)
    description = models.TextField(null=True)
    administrator = models.TextField(null=True)
    founding_year = models.TextField(null=True)
    launchers = models.TextField(null=True)
    spacecraft = models.TextField(null=True)
    parent = models.TextField(null=True)
    image_url = models.TextField(null=True)
    logo_url = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "agency"


class ConfigType(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "spacecraft_config_type"


class Status(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "spacecraft_status"


class SpacecraftConfig(models.Model):
    id = models.BigIntegerField(primary_key=True)
    url = models.TextField(null=True)
    name = models.TextField(null=True)
    type = _link("ConfigType", "type_id")
    agency = _link("Agency", "agency_id")
    in_use = models.BooleanField(null=True)
    capability = models.TextField(null=True)
    history = models.TextField(null=True)
    details = models.TextField(null=True)
    maiden_flight = models.DateField(null=True)
    height = models.FloatField(null=True)
    diameter = models.FloatField(null=True)
    human_rated = models.BooleanField(null=True)
    crew_capacity = models.BigIntegerField(null=True)
    payload_capacity = models.BigIntegerField(null=True)
    payload_return_capacity = models.BigIntegerField(null=True)
    flight_life = models.TextField(null=True)
    image_url = models.TextField(null=True)
    nation_url = models.TextField(null=True)
    wiki_link = models.TextField(null=True)
    info_link = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "spacecraft_config"


class Spacecraft(models.Model):
    id = models.BigIntegerField(primary_key=True)
    url = models.TextField(null=True)
    name = models.TextField(null=True)
    serial_number = models.TextField(null=True)
    is_placeholder = models.BooleanField(null=True)
    in_space = models.BooleanField(null=True)
    time_in_space_seconds = models.BigIntegerField(null=True)
    time_docked_seconds = models.BigIntegerField(null=True)
    durations_fetched_at = models.DateTimeField(null=True)
    flights_count = models.BigIntegerField(null=True)
    mission_ends_count = models.BigIntegerField(null=True)
    status = _link("Status", "status_id")
    description = models.TextField(null=True)
    spacecraft_config = _link("SpacecraftConfig", "spacecraft_config_id")

    class Meta:
        managed = False
        db_table = "spacecraft"


class SpacecraftFlight(models.Model):
    id = models.BigIntegerField(primary_key=True)
    url = models.TextField(null=True)
    destination = models.TextField(null=True)
    mission_end = models.DateTimeField(null=True)
    spacecraft = _link("Spacecraft", "spacecraft_id", related="flights")

    class Meta:
        managed = False
        db_table = "spacecraft_flight"


class SpaceStation(models.Model):
    id = models.BigIntegerField(primary_key=True)
    url = models.TextField(null=True)
    name = models.TextField(null=True)
    image_url = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "space_station"


class DockingLocation(models.Model):
    id = models.BigIntegerField(primary_key=True)
    name = models.TextField(null=True)
    spacestation = _link("SpaceStation", "spacestation_id")

    class Meta:
        managed = False
        db_table = "docking_location"


class DockingEvent(models.Model):
    id = models.BigIntegerField(primary_key=True)
    launch_id = models.TextField(null=True)
    docking = models.DateTimeField()
    departure = models.DateTimeField(null=True)
    flight_vehicle = _link("SpacecraftFlight", "flight_vehicle_id", related="docking_events")
    docking_location = _link("DockingLocation", "docking_location_id")
    space_station = _link("SpaceStation", "space_station_id")

    class Meta:
        managed = False
        db_table = "docking_event"

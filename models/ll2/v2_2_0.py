"""LL2 2.2.0's docking event, declared once: every object it embeds, its forms and its keys.

The forms are upstream's serializers: ``normal`` (the list's default, notifications) and
``detailed`` (``?mode=detailed``, the detail route), plus the station's two subsets. Keys are in
upstream's order; ``nullable`` follows upstream's published schema and its real answers, while
``upstream`` says what validation accepts (leniently: a scalar may be null unless it is a name,
no embedded object may be null except a location's ``spacestation``). Adding a key to the 2.2.0
representation is one line here (plus its column in ``models.store.tables``, a migration and its
record field): see ``models.ll2.declaration`` for what is derived from it.
"""

from __future__ import annotations

from models.ll2.declaration import (
    Form,
    Kind,
    LL2Object,
    Upstream,
    embed,
    ident,
    key,
    name_key,
    url_key,
)

NORMAL, DETAILED = "normal", "detailed"
# The station's forms: the link a docking location holds, and the event's ``space_station``.
LINK, FULL = "link", "full"
_DETAILED_ONLY = frozenset({DETAILED})
_BOTH = {NORMAL: NORMAL, DETAILED: DETAILED}
_CURRENT = "Current at serve time."

STATUS = LL2Object(
    name="status",
    struct="Lookup",
    table="spacecraft_status",
    doc="``{id, name}`` objects: a spacecraft's ``status``, a configuration's ``type``.",
    forms={NORMAL: Form("SpacecraftStatus", "The spacecraft's status.")},
    keys=(ident(), name_key()),
)

CONFIG_TYPE = LL2Object(
    name="config_type",
    struct="Lookup",
    table="spacecraft_config_type",
    doc=STATUS.doc,
    forms={NORMAL: Form("SpacecraftConfigType", "The kind of spacecraft configuration.")},
    keys=(ident(), name_key()),
)

AGENCY = LL2Object(
    name="agency",
    struct="Agency",
    table="agency",
    doc="``AgencySerializerDetailedCommon`` (detailed) or ``AgencySerializerMini`` (normal).",
    forms={
        NORMAL: Form("AgencySerializerMini", "An agency, short form."),
        DETAILED: Form("Agency", "An agency in full."),
    },
    keys=(
        ident(),
        url_key(),
        name_key(),
        key("featured", Kind.FLAG, forms=_DETAILED_ONLY),
        key("type", Kind.TEXT, nullable=True),
        key("country_code", Kind.TEXT, forms=_DETAILED_ONLY),
        key("abbrev", Kind.TEXT, forms=_DETAILED_ONLY),
        key("description", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("administrator", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key(
            "founding_year",
            Kind.TEXT,
            nullable=True,
            forms=_DETAILED_ONLY,
            doc="A year, as a string in 2.2.0.",
        ),
        key("launchers", Kind.TEXT, forms=_DETAILED_ONLY),
        key("spacecraft", Kind.TEXT, forms=_DETAILED_ONLY),
        key("parent", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("image_url", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("logo_url", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
    ),
)

CONFIG = LL2Object(
    name="config",
    struct="SpacecraftConfig",
    table="spacecraft_config",
    doc="``SpacecraftConfigurationDetail`` (detailed) or ``SpacecraftConfig`` (normal).",
    forms={
        NORMAL: Form("SpacecraftConfig", "A spacecraft configuration, short form."),
        DETAILED: Form("SpacecraftConfigurationDetail", "A spacecraft configuration in full."),
    },
    keys=(
        ident(),
        url_key(),
        name_key(),
        embed("type", CONFIG_TYPE, NORMAL, column="type_id"),
        embed("agency", AGENCY, _BOTH, column="agency_id"),
        key("in_use", Kind.FLAG),
        key("capability", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("history", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("details", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("maiden_flight", Kind.DATE, nullable=True, forms=_DETAILED_ONLY),
        key("height", Kind.NUMBER, nullable=True, forms=_DETAILED_ONLY),
        key("diameter", Kind.NUMBER, nullable=True, forms=_DETAILED_ONLY),
        key("human_rated", Kind.FLAG, nullable=True, forms=_DETAILED_ONLY),
        key("crew_capacity", Kind.COUNT, nullable=True, forms=_DETAILED_ONLY),
        key("payload_capacity", Kind.COUNT, nullable=True, forms=_DETAILED_ONLY),
        key("payload_return_capacity", Kind.COUNT, nullable=True, forms=_DETAILED_ONLY),
        key("flight_life", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("image_url", Kind.TEXT, nullable=True),
        key("nation_url", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("wiki_link", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
        key("info_link", Kind.TEXT, nullable=True, forms=_DETAILED_ONLY),
    ),
)

SPACECRAFT = LL2Object(
    name="spacecraft",
    struct="Spacecraft",
    table="spacecraft",
    doc="``SpacecraftDetailedNoFlights`` (detailed) or ``Spacecraft`` (normal).",
    forms={
        NORMAL: Form("Spacecraft", "The spacecraft (the vehicle)."),
        DETAILED: Form(
            "SpacecraftDetailedNoFlights", "The spacecraft, with its configuration in full."
        ),
    },
    keys=(
        ident(),
        url_key(),
        name_key(),
        key("serial_number", Kind.TEXT, nullable=True),
        key("is_placeholder", Kind.FLAG),
        key("in_space", Kind.FLAG),
        key("time_in_space", Kind.DURATION, column="time_in_space_seconds", doc=_CURRENT),
        key("time_docked", Kind.DURATION, column="time_docked_seconds", doc=_CURRENT),
        key("flights_count", Kind.COUNT),
        key("mission_ends_count", Kind.COUNT),
        embed("status", STATUS, NORMAL, column="status_id"),
        key("description", Kind.TEXT),
        embed("spacecraft_config", CONFIG, _BOTH, column="spacecraft_config_id"),
    ),
)

FLIGHT = LL2Object(
    name="flight",
    struct="SpacecraftFlight",
    table="spacecraft_flight",
    doc="``SpacecraftFlightSerializerForDockingEvent[Detailed]``: the event's ``flight_vehicle``.",
    forms={
        NORMAL: Form(
            "SpacecraftFlightSerializerForDockingEvent", "The spacecraft flight that docked."
        ),
        DETAILED: Form(
            "SpacecraftFlightSerializerForDockingEventDetailed",
            "The spacecraft flight that docked, detailed form.",
        ),
    },
    keys=(
        ident(),
        url_key(),
        key("destination", Kind.TEXT, nullable=True),
        key("mission_end", Kind.INSTANT, nullable=True),
        embed("spacecraft", SPACECRAFT, _BOTH, column="spacecraft_id", upstream=Upstream.REQUIRED),
    ),
)

STATION = LL2Object(
    name="station",
    struct="SpaceStation",
    table="space_station",
    doc="``SpaceStationSerializerForDockingEvent``; a location's ``spacestation`` is its subset.",
    forms={
        LINK: Form("SpaceStationSerializerForDocking", "The station of a docking port."),
        FULL: Form("SpaceStationSerializerForDockingEvent", "The space station docked at."),
    },
    keys=(
        ident(),
        url_key(),
        name_key(),
        key("image_url", Kind.TEXT, nullable=True, forms=frozenset({FULL})),
    ),
)

LOCATION = LL2Object(
    name="location",
    struct="DockingLocation",
    table="docking_location",
    doc="``DockingLocation``: a port, linked to its station (null in locations older than that).",
    forms={NORMAL: Form("DockingLocation", "The docking port.")},
    keys=(
        ident(),
        name_key(),
        # 2.2.0's serializer always writes the key; locations older than the link have null.
        embed(
            "spacestation",
            STATION,
            LINK,
            column="spacestation_id",
            nullable=True,
            upstream=Upstream.NULLABLE,
        ),
    ),
)

EVENT = LL2Object(
    name="event",
    struct="DockingEventDetailed",
    table="docking_event",
    doc="``DockingEventDetailed``: one docking event as ``?mode=detailed`` and the detail route "
    "send.\n\n``space_station`` is the detailed form's last key; the normal form has none.",
    forms={
        NORMAL: Form("DockingEvent", "A docking event, normal form."),
        DETAILED: Form(
            "DockingEventDetailed",
            "A docking event, detailed form: the spacecraft's config in full and the "
            "space station.",
        ),
    },
    keys=(
        ident(),
        # The mirror's own url for the event: not read from upstream.
        key("url", Kind.SELF_URL, column="id", upstream=Upstream.IGNORED),
        key("launch_id", Kind.UUID, nullable=True),
        key("docking", Kind.INSTANT, upstream=Upstream.REQUIRED),
        key("departure", Kind.INSTANT, nullable=True, doc="Null while still docked."),
        embed(
            "flight_vehicle",
            FLIGHT,
            _BOTH,
            column="flight_vehicle_id",
            upstream=Upstream.REQUIRED,
        ),
        embed(
            "docking_location",
            LOCATION,
            NORMAL,
            column="docking_location_id",
            upstream=Upstream.REQUIRED,
        ),
        embed(
            "space_station",
            STATION,
            FULL,
            column="space_station_id",
            forms=_DETAILED_ONLY,
        ),
    ),
)

# Every object, in the order the OpenAPI document lists their forms' schemas.
OBJECTS: tuple[LL2Object, ...] = (
    EVENT,
    FLIGHT,
    SPACECRAFT,
    STATUS,
    CONFIG_TYPE,
    CONFIG,
    AGENCY,
    LOCATION,
    STATION,
)

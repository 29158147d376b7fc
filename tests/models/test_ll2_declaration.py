"""The 2.2.0 declaration (``models.ll2.v2_2_0``) drives every part of the LL2 representation.

Each declared key, in order, is a field of its validating struct, a property of its forms'
OpenAPI schemas, a key of the rendered JSON and a column of the parsed rows and of the stored
table and record; and a key added to a declaration shows up in all of them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import msgspec
from sqlmodel import Session, SQLModel

from api_mirror.openapi.ll2_schemas import LL2_SCHEMAS, form_schemas
from models.ll2 import v2_2_0
from models.ll2.declaration import Kind, LL2Object, Upstream, key
from models.ll2.form_writer import form_writer
from models.ll2.graph import load_graphs
from models.ll2.parse import columns_of, parse_event
from models.ll2.records import TABLES, StationRecord, table_of
from models.ll2.render import LinkStyle, Writer, serialize_event
from models.ll2.schema import STRUCTS, structs_of
from tests.api_mirror.dataset import FETCHED_AT, UPSTREAM, sample_615, store


def _read_keys(declared: LL2Object) -> list[str]:
    return [k.name for k in declared.keys if k.upstream is not Upstream.IGNORED]


def test_every_object_of_the_event_is_declared_once() -> None:
    names = [declared.name for declared in v2_2_0.OBJECTS]
    embedded = {k.target.name for o in v2_2_0.OBJECTS for k in o.keys if k.target is not None}
    assert len(set(names)) == len(names)
    assert embedded <= set(names)
    for declared in v2_2_0.OBJECTS:
        for k in declared.keys:
            assert k.forms is None or k.forms <= set(declared.forms), (declared.name, k.name)
            if k.target is not None:
                assert {k.embedded_form(form) for form in declared.forms} <= set(k.target.forms)


def test_every_declared_key_is_a_field_of_its_struct_required_ones_first() -> None:
    for declared in v2_2_0.OBJECTS:
        fields = msgspec.structs.fields(STRUCTS[declared.struct])
        names = [field.name for field in fields]
        assert sorted(names) == sorted(_read_keys(declared)), declared.name
        required = [f.name for f in fields if f.required]
        expected = [k.name for k in declared.keys if k.upstream is Upstream.REQUIRED]
        assert required == expected, declared.name
        assert names == required + [n for n in _read_keys(declared) if n not in required]


def test_every_form_is_an_openapi_schema_with_the_declared_keys_in_order() -> None:
    for declared in v2_2_0.OBJECTS:
        for form_name, form in declared.forms.items():
            schema = LL2_SCHEMAS[form.schema_name]
            names = [k.name for k in declared.keys_of(form_name)]
            assert list(schema["properties"]) == names, form.schema_name
            assert schema["required"] == names
            for k in declared.keys_of(form_name):
                prop = schema["properties"][k.name]
                null = "anyOf" in prop or "null" in prop.get("type", [])
                assert null == k.nullable, (form.schema_name, k.name)


def _forms_in(body: dict[str, Any], declared: LL2Object, form: str) -> int:
    """Checks ``body`` and what it embeds against the declaration; the objects checked."""
    assert list(body) == [k.name for k in declared.keys_of(form)], (declared.name, form)
    checked = 1
    for k in declared.keys_of(form):
        if k.target is not None and body[k.name] is not None:
            checked += _forms_in(body[k.name], k.target, k.embedded_form(form))
    return checked


def test_the_rendered_sample_has_the_declared_keys_in_order_in_both_modes(
    session: Session,
) -> None:
    store(session, [sample_615()])
    [graph] = load_graphs(session, [615])
    for mode in ("normal", "detailed"):
        body = serialize_event(graph, mode=mode, links=LinkStyle(UPSTREAM), now=FETCHED_AT)
        # event, flight, spacecraft, status, config, type, agency, location, station(s)
        assert _forms_in(body, v2_2_0.EVENT, mode) == (10 if mode == v2_2_0.DETAILED else 9)


def test_every_declared_column_is_stored_and_read_back() -> None:
    records = {table_of(record).name: record for record in TABLES}
    for declared in v2_2_0.OBJECTS:
        table = SQLModel.metadata.tables[declared.table]
        fields = records[declared.table]._fields
        for k in declared.keys:
            assert k.column in table.c, (declared.table, k.column)
            assert k.column in fields, (declared.table, k.column)


def test_the_parsed_sample_has_a_column_for_every_key_read_from_upstream() -> None:
    parsed = parse_event(sample_615(), fetched_at=FETCHED_AT)
    rows = {
        v2_2_0.EVENT.name: parsed.event,
        v2_2_0.FLIGHT.name: parsed.flight,
        v2_2_0.SPACECRAFT.name: parsed.spacecraft,
        v2_2_0.STATUS.name: parsed.status,
        v2_2_0.CONFIG.name: parsed.config,
        v2_2_0.CONFIG_TYPE.name: parsed.config_type,
        v2_2_0.AGENCY.name: parsed.agency,
        v2_2_0.LOCATION.name: parsed.location,
        v2_2_0.STATION.name: parsed.stations[-1],
    }
    for declared in v2_2_0.OBJECTS:
        row = rows[declared.name]
        assert row is not None
        plan = [column for column, _ in columns_of(declared).plan]
        read = [k for k in declared.keys if k.upstream is not Upstream.IGNORED]
        assert sorted(plan) == sorted(k.column for k in read if k.kind is not Kind.OBJECT)
        assert {k.column for k in read} <= set(row), declared.name


def test_a_key_added_to_a_declaration_is_validated_documented_and_rendered() -> None:
    extra = key("nickname", Kind.TEXT, column="name", nullable=True, forms=frozenset({"full"}))
    station = dataclasses.replace(
        v2_2_0.STATION, struct="StationPlus", keys=(*v2_2_0.STATION.keys, extra)
    )
    struct = structs_of((station,))["StationPlus"]
    decoded = msgspec.convert({"id": 4, "nickname": None}, struct)
    assert decoded.nickname is None
    schemas = form_schemas((station,))
    assert list(schemas["SpaceStationSerializerForDockingEvent"]["properties"])[-1] == "nickname"
    assert "nickname" not in schemas["SpaceStationSerializerForDocking"]["properties"]
    record = StationRecord(id=4, url="https://x/4/", name="ISS", image_url=None)
    writer = Writer(LinkStyle(UPSTREAM), dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert form_writer(station, "full")(writer, record) == {
        "id": 4,
        "url": "https://x/4/",
        "name": "ISS",
        "image_url": None,
        "nickname": "ISS",
    }
    assert len(columns_of(station).plan) == len(columns_of(v2_2_0.STATION).plan) + 1

"""The Alembic migrations build exactly the schema the SQLModel tables describe."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel

from models.store.db import ForeignDatabase, alembic_config, make_engine, upgrade
from models.store.webhook_endpoints import add_endpoint, list_endpoints
from models.support.clock import utc_now
from tests.api_mirror.dataset import make_events, store


def test_upgrade_builds_the_tables_the_models_describe(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    assert "docking_event" in inspect(engine).get_table_names()
    engine.dispose()


def test_a_database_holding_another_apps_tables_gets_none_of_ours(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))

    only_theirs = r"^holds 1 table \(orders\) but no dockwatch schema$"
    with pytest.raises(ForeignDatabase, match=only_theirs):
        upgrade(engine)

    assert inspect(engine).get_table_names() == ["orders"]
    engine.dispose()


def test_another_projects_alembic_revision_is_not_taken_for_ours(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('f00dcafe')"))
        connection.execute(text("CREATE TABLE users (id INTEGER PRIMARY KEY)"))

    with pytest.raises(ForeignDatabase, match=r"revision 'f00dcafe', not dockwatch's"):
        upgrade(engine)

    assert sorted(inspect(engine).get_table_names()) == ["alembic_version", "users"]
    engine.dispose()


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as connection:
        version = MigrationContext.configure(connection).get_current_revision()
    assert version is not None
    engine.dispose()


def test_the_webhook_table_comes_and_goes_with_its_migration(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")  # below both later tables
    before = set(inspect(engine).get_table_names())
    upgrade(engine)
    after = set(inspect(engine).get_table_names())
    engine.dispose()

    assert "webhook_endpoint" not in before
    assert "docking_event" in before
    assert "webhook_endpoint" in after - before


def test_upgrade_renders_the_documents_of_events_stored_before_it(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine) as session:
        store(session, make_events(30))
    select_documents = text("SELECT * FROM event_document ORDER BY id")
    with engine.connect() as connection:
        rendered_by_the_sync = [tuple(row) for row in connection.execute(select_documents)]
    with engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert "event_document" not in inspect(engine).get_table_names()
    upgrade(engine)
    with engine.connect() as connection:
        rendered_by_the_migration = [tuple(row) for row in connection.execute(select_documents)]
    assert len(rendered_by_the_sync) == 30
    assert rendered_by_the_migration == rendered_by_the_sync
    engine.dispose()


def test_endpoints_registered_before_filters_keep_getting_everything(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")  # before endpoints had station and vehicle filters
    columns_before = {c["name"] for c in inspect(engine).get_columns("webhook_endpoint")}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO webhook_endpoint (url, secret, event_types, enabled, created_at,"
                " failures_in_a_row, delivered) VALUES ('http://hooks.example/', 'whsec_x',"
                " '[\"docking_event.docked\"]', :yes, '2026-12-01 00:00:00', 0, 3)"
            ),
            {"yes": True},
        )
    upgrade(engine)
    with Session(engine) as session:
        [endpoint] = list_endpoints(session)
        kept = (endpoint.event_types, endpoint.stations, endpoint.vehicles, endpoint.skipped)
        delivered, old_id = endpoint.delivered, endpoint.id
        added = add_endpoint(session, "http://hooks.example/2", "whsec_y", [], now=utc_now())
        session.commit()
        new_id = added.id
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    columns_after_downgrade = {c["name"] for c in inspect(engine).get_columns("webhook_endpoint")}
    with engine.connect() as connection:
        ids = list(
            connection.execute(text("SELECT id FROM webhook_endpoint ORDER BY id")).scalars()
        )
    engine.dispose()

    assert {"stations", "vehicles", "skipped"}.isdisjoint(columns_before)
    assert kept == (["docking_event.docked"], [], [], 0)
    assert delivered == 3
    assert columns_after_downgrade == columns_before
    assert ids == [old_id, new_id]

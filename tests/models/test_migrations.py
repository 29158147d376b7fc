"""The Alembic migrations build exactly the schema the SQLModel tables describe."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from models.db import alembic_config, make_engine, upgrade


def test_upgrade_builds_the_tables_the_models_describe(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    assert "docking_event" in inspect(engine).get_table_names()
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
        command.downgrade(config, "0003")
    before = set(inspect(engine).get_table_names())
    upgrade(engine)
    after = set(inspect(engine).get_table_names())
    engine.dispose()

    assert "webhook_endpoint" not in before
    assert "docking_event" in before
    assert after - before == {"webhook_endpoint"}

"""Engine factory, session scope and migrations for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, inspect, make_url
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# How long an SQLite writer waits out another's lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_SECONDS = 30


class DatabaseError(Exception):
    """The database URL is malformed or the database cannot be reached; one-line message."""


class ForeignDatabase(DatabaseError):
    """The database holds tables but no dockwatch schema: it belongs to something else.

    ``tables`` lists (sorted) the tables found; the message is one line.
    """

    def __init__(self, tables: list[str], revision: str | None = None) -> None:
        shown = ", ".join(tables[:3]) + (", …" if len(tables) > 3 else "")
        held = f"holds {len(tables)} table{'s' if len(tables) != 1 else ''} ({shown})"
        if revision is None:
            super().__init__(f"{held} but no dockwatch schema")
        else:
            super().__init__(f"{held} and Alembic revision {revision!r}, not dockwatch's")
        self.tables = tables
        self.revision = revision


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return url.startswith("sqlite")


def sqlite_file(url: str) -> Path | None:
    """The file an SQLite URL names (``sqlite:///./dockwatch.db`` → ``dockwatch.db``).

    None for another database, an in-memory one, a ``file:`` URI or a URL that does not parse.
    """
    if not is_sqlite(url):
        return None
    try:
        database = make_url(url).database
    except ArgumentError:
        return None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _tune_sqlite(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets the mirror read while a sync writes; busy_timeout waits out a writer instead of
    # failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``, tuned per dialect; raises DatabaseError on a malformed URL."""
    try:
        if is_sqlite(url):
            engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                **kwargs,
            )
            event.listen(engine, "connect", _tune_sqlite)
        else:
            engine = create_engine(url, pool_pre_ping=True, **kwargs)
    except Exception as error:  # noqa: BLE001 - SQLAlchemy raises several types for a bad URL
        raise DatabaseError(f"invalid database URL: {error}") from None
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def begin_consistent(connection: Connection) -> None:
    """Make the connection's current transaction see one committed state in every statement.

    PostgreSQL's REPEATABLE READ takes its snapshot at the transaction's first statement; set
    it before the transaction begins (``consistent_read`` does, and ``session_snapshot``). On
    SQLite, pysqlite only begins a transaction before a write, so each SELECT would see the
    latest commit: an explicit ``BEGIN`` holds one WAL snapshot from the first read to the end.
    """
    if connection.dialect.name != "sqlite":
        return
    driver: Any = connection.connection.driver_connection
    if not driver.in_transaction:
        # On the driver's connection, as pysqlite issues its own implicit BEGIN: transaction
        # control, not a query (SQLAlchemy's rollback at the end ends it either way).
        driver.execute("BEGIN")


@contextmanager
def consistent_read(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction whose statements all see the same committed state; rolled back."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        begin_consistent(connection)
        try:
            yield connection
        finally:
            connection.rollback()


def session_snapshot(session: Session) -> Connection:
    """The session's connection, made to read one committed state from now on.

    On PostgreSQL that needs a session whose transaction has not begun yet (it then runs
    REPEATABLE READ); one already begun keeps its own isolation.
    """
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        connection = session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    else:
        connection = session.connection()
    begin_consistent(connection)
    return connection


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Alembic's config is ConfigParser-based: a literal % must be doubled.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def check_ours(connection: Connection, config: Config) -> None:
    """Raise ``ForeignDatabase`` unless the connection's database (its default schema) is empty
    or dockwatch's own: an ``alembic_version`` table whose revision our migrations know.

    A dockwatch database always has ``alembic_version`` (the first migration creates it with
    every table); tables without it, or a revision from another project's migrations, mean the
    URL points at someone else's database, which must not get dockwatch's tables.
    """
    tables = sorted(inspect(connection).get_table_names())
    if not tables:
        return
    if "alembic_version" not in tables:
        raise ForeignDatabase(tables)
    scripts = ScriptDirectory.from_config(config)
    known = {script.revision for script in scripts.walk_revisions()}
    for revision in MigrationContext.configure(connection).get_current_heads():
        if revision not in known:
            raise ForeignDatabase([t for t in tables if t != "alembic_version"], revision)


def upgrade(engine: Engine) -> None:
    """Apply every migration up to head on the engine's database.

    Raises ``ForeignDatabase`` (nothing is created) when the database holds tables but no
    dockwatch schema (``check_ours``).
    """
    with engine.begin() as connection:
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        check_ours(connection, config)
        command.upgrade(config, "head")

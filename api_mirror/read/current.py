"""The serving process's snapshot of the data, kept current, and the templates it serves from.

``Snapshots.current`` is the snapshot requests start from; it only ever moves to a newer data
version, built inside one consistent read (``refresh``, or ``advance`` on a caller's consistent
read), never per request: the watcher (``api_mirror.read.watcher``) calls ``refresh`` when a
writer's hint arrives and at a fixed interval. Each document a snapshot reads hands its template to
the template cache, compiled for the plain link style.

A request answers from its snapshot alone when the cache holds its events' templates
(``cached_templates``; otherwise ``TemplatesMissing``). When some are missing it answers again
inside a consistent read (``answer_reading``): the snapshot is brought up to that read's version
and the missing templates are read in the same transaction, so they are the very versions the
snapshot names.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import Connection
from sqlalchemy.engine import Engine

from api_mirror.read.snapshot import Entry, Snapshot, load_snapshot
from api_mirror.read.templates import DEFAULT_ENDS, Compiled, Ends, TemplateCache, compile_template
from models.store.data_version import data_version_at
from models.store.db import consistent_read
from models.store.read_model import Document, read_templates

# Given a request's events and link style: their compiled templates by id.
Templates = Callable[[Sequence[Entry], Ends], dict[int, Compiled]]
T = TypeVar("T")
# Consistent reads tried before giving up, each newer than the last snapshot (writes are rare).
READ_ATTEMPTS = 5


class TemplatesMissing(Exception):
    """The template cache lacks some of the events a body needs (their ids)."""

    def __init__(self, ids: list[int]) -> None:
        super().__init__(f"{len(ids)} templates to read")
        self.ids = ids


class InconsistentRead(RuntimeError):
    """A template read does not have the version the snapshot of the same read names."""


class Snapshots:
    """The current snapshot of ``engine``'s data and the cache of compiled templates."""

    def __init__(self, engine: Engine, templates: TemplateCache) -> None:
        self.engine = engine
        self.templates = templates
        self._current: Snapshot | None = None
        self._lock = threading.Lock()

    @property
    def current(self) -> Snapshot | None:
        """The newest snapshot built so far (None before the first)."""
        return self._current

    def refresh(self) -> Snapshot:
        """Bring the snapshot up to the data's current version (one consistent read)."""
        with consistent_read(self.engine) as connection:
            fresh = self.advance(connection)
        current = fresh or self._current
        assert current is not None
        return current

    def advance(self, connection: Connection) -> Snapshot | None:
        """The snapshot of what ``connection`` (a consistent read) sees, made current; None
        when that read is older than the current snapshot (a newer one was built meanwhile)."""
        with self._lock:
            current = self._current
            version = data_version_at(connection)
            if current is not None and version.number < current.version:
                return None
            fresh = load_snapshot(connection, current, version=version, on_document=self._take)
            self._current = fresh
            return fresh

    def _take(self, document: Document) -> None:
        if document.template is not None:
            compiled = compile_template(document.template, DEFAULT_ENDS)
            self.templates.put_many([((document.id, document.version, DEFAULT_ENDS), compiled)])

    def _from_cache(self, entries: Sequence[Entry], ends: Ends) -> dict[int, Compiled | None]:
        """Each event's compiled template at its snapshot's version, None where not cached."""
        keys = [(entry.id, entry.doc_version, ends) for entry in entries]
        cached = self.templates.get_many(keys)
        return dict(zip((entry.id for entry in entries), cached, strict=True))

    def cached_templates(self, entries: Sequence[Entry], ends: Ends) -> dict[int, Compiled]:
        """The events' compiled templates from the cache; raises TemplatesMissing."""
        found = self._from_cache(entries, ends)
        missing = [ident for ident, compiled in found.items() if compiled is None]
        if missing:
            raise TemplatesMissing(missing)
        return {ident: compiled for ident, compiled in found.items() if compiled is not None}

    def read_templates(
        self, connection: Connection, entries: Sequence[Entry], ends: Ends
    ) -> dict[int, Compiled]:
        """The events' compiled templates, reading the missing ones through ``connection``
        (the consistent read the entries' snapshot was built in)."""
        found = self._from_cache(entries, ends)
        wanted = {entry.id: entry.doc_version for entry in entries if found[entry.id] is None}
        if not wanted:
            return {ident: compiled for ident, compiled in found.items() if compiled}
        read = read_templates(connection, list(wanted))
        fresh = []
        for ident, version in wanted.items():
            stored_version, template = read.get(ident, (None, None))
            if stored_version != version or template is None:
                raise InconsistentRead(f"event {ident}: template {stored_version}, want {version}")
            compiled = compile_template(template, ends)
            found[ident] = compiled
            fresh.append(((ident, version, ends), compiled))
        self.templates.put_many(fresh)
        return {ident: compiled for ident, compiled in found.items() if compiled}

    def answer_reading(self, answer: Callable[[Snapshot, Templates], T]) -> T:
        """``answer(snapshot, templates)`` inside one consistent read, the snapshot brought up
        to that read and the templates it lacks read in it."""
        for _ in range(READ_ATTEMPTS):
            with consistent_read(self.engine) as connection:
                snapshot = self.advance(connection)
                if snapshot is None:
                    continue  # a newer snapshot came in meanwhile: read again, newer

                def templates(entries: Sequence[Entry], ends: Ends) -> dict[int, Compiled]:
                    return self.read_templates(connection, entries, ends)

                return answer(snapshot, templates)
        raise InconsistentRead("the data kept moving ahead of every read")

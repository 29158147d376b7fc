"""The vocabulary an LL2 representation is declared in: objects, their forms and their keys.

A representation (``models.ll2.v2_2_0``) declares each LL2 object once: the ordered JSON keys
it has, each with its kind, its nullability, the forms that have it and the stored column it
comes from. Everything else is derived from that one declaration:

- the msgspec structs that validate upstream JSON (``models.ll2.schema``),
- the OpenAPI component schemas, under upstream's names (``api_mirror.openapi.ll2_schemas``),
- the key order and value formats of the rendered JSON (``models.ll2.render``),
- which column each upstream key is stored in, and how it is converted (``models.ll2.parse``).

What stays outside it: the storage (``models.store.tables``, the migrations, the records), and
how the rows of one event are navigated (which row an embedded object comes from).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class Kind(enum.Enum):
    """What a key holds, which decides its validation, its OpenAPI schema and its rendering."""

    ID = "id"  # the object's id: an integer from 1 to 2**63 - 1
    SELF_URL = "self_url"  # the event's own url, built on the serving base from its id column
    URL = "url"  # a hyperlinked url: upstream's as stored, written for the request
    TEXT = "text"  # a string copied as it is ("" and null included)
    UUID = "uuid"  # a string holding a UUID, copied as it is
    FLAG = "flag"  # a boolean
    COUNT = "count"  # an integer that fits a BIGINT
    NUMBER = "number"  # a finite float
    INSTANT = "instant"  # an RFC 3339 instant, stored as aware UTC
    DATE = "date"  # YYYY-MM-DD
    DURATION = "duration"  # ISO 8601 as upstream writes it, stored as whole seconds
    OBJECT = "object"  # an embedded object: another declared object, in one of its forms


class Upstream(enum.Enum):
    """What validation accepts for a key in upstream's JSON."""

    REQUIRED = "required"  # must be there, never null
    OPTIONAL = "optional"  # may be left out, never null
    NULLABLE = "nullable"  # may be left out or null
    IGNORED = "ignored"  # not read from upstream (the mirror writes its own)


@dataclass(frozen=True, slots=True)
class Form:
    """One form of an object as served: its upstream schema name and what it is."""

    schema_name: str
    description: str


@dataclass(frozen=True, slots=True)
class Key:
    """One JSON key of an object.

    ``column`` is the stored column the value comes from (for an ``OBJECT``, the column holding
    the embedded row's id). ``nullable`` is whether upstream's schema lets the served value be
    null; ``upstream`` is what validation accepts. ``forms`` names the forms that have the key
    (None: every form of its object). For an ``OBJECT``, ``target`` is the embedded object and
    ``target_forms`` maps each form of this object to the target's form it embeds (a form it
    does not name embeds ``target_form``). ``doc`` is
    the key's description in the OpenAPI document.
    """

    name: str
    kind: Kind
    column: str
    nullable: bool = False
    upstream: Upstream = Upstream.NULLABLE
    forms: frozenset[str] | None = None
    target: LL2Object | None = None
    target_form: str = ""
    target_forms: Mapping[str, str] = field(default_factory=dict)
    doc: str = ""

    def in_form(self, form: str) -> bool:
        """Whether the form ``form`` of the key's object has this key."""
        return self.forms is None or form in self.forms

    def embedded_form(self, form: str) -> str:
        """The target's form an ``OBJECT`` key embeds in the form ``form`` of its object."""
        return self.target_forms.get(form, self.target_form)


@dataclass(frozen=True, slots=True)
class LL2Object:
    """An LL2 object: its JSON keys in upstream's order, its forms and where it is stored.

    ``struct`` names the validating struct (objects of one shape may share one, as the status
    and the config type share ``Lookup``); ``table`` is the table its rows are stored in.
    ``forms`` are in the order the OpenAPI document lists them.
    """

    name: str
    struct: str
    table: str
    doc: str
    forms: Mapping[str, Form]
    keys: tuple[Key, ...]

    def keys_of(self, form: str) -> tuple[Key, ...]:
        """The keys the form ``form`` has, in upstream's order; raises KeyError for no such form."""
        if form not in self.forms:
            raise KeyError(f"{self.name} has no form {form!r}")
        return tuple(key for key in self.keys if key.in_form(form))

    def key(self, name: str) -> Key:
        """The key named ``name``; raises KeyError when there is none."""
        for key in self.keys:
            if key.name == name:
                return key
        raise KeyError(f"{self.name} has no key {name!r}")


# Shorthands for declarations: most keys are named as their column.


def key(
    name: str,
    kind: Kind,
    *,
    column: str | None = None,
    nullable: bool = False,
    upstream: Upstream = Upstream.NULLABLE,
    forms: frozenset[str] | None = None,
    doc: str = "",
) -> Key:
    """A scalar key, stored in ``column`` (default: the key's name)."""
    if kind is Kind.OBJECT:
        raise ValueError("an embedded object is declared with embed()")
    return Key(name, kind, column or name, nullable, upstream, forms, doc=doc)


def embed(
    name: str,
    target: LL2Object,
    target_forms: str | Mapping[str, str],
    *,
    column: str,
    nullable: bool = False,
    upstream: Upstream = Upstream.OPTIONAL,
    forms: frozenset[str] | None = None,
) -> Key:
    """A key embedding ``target`` whose id is stored in ``column``.

    ``target_forms`` is the target's form embedded in every form, or a form-by-form mapping.
    """
    if isinstance(target_forms, str):
        return Key(name, Kind.OBJECT, column, nullable, upstream, forms, target, target_forms)
    return Key(
        name, Kind.OBJECT, column, nullable, upstream, forms, target, target_forms=target_forms
    )


def ident() -> Key:
    """The object's ``id``, always sent."""
    return key("id", Kind.ID, upstream=Upstream.REQUIRED)


def name_key() -> Key:
    """The object's ``name``: a string, never null."""
    return key("name", Kind.TEXT, upstream=Upstream.OPTIONAL)


def url_key() -> Key:
    """The object's own (hyperlinked) ``url``."""
    return key("url", Kind.URL)
